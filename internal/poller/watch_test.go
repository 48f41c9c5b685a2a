package poller

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
)

func TestWatchSkipsOnlyWhenSignalsAreQuietAndFresh(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	w := newWatch(10 * time.Minute)
	farm := model.TargetID{Farm: "eu"}
	node := model.TargetID{Farm: "eu", Node: "eu-1"}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	fetches := func(tg model.TargetID, now time.Time) bool {
		ok, _ := w.start(tg, now, false)
		if ok {
			w.finish(tg, now, true)
		}
		return ok
	}
	quiet := func(d time.Duration) {
		w.observe(farm, model.EPQueueCount, 0, nil, at(d))
		w.observe(node, model.EPStatus, model.ServerStatus{State: "SYNCHRONIZED"}, nil, at(d))
	}
	if !fetches(node, at(0)) || !fetches(model.PrimaryTarget, at(0)) {
		t.Fatal("a list never fetched must be fetched")
	}
	// No signal read since the fetch: nothing proves the list unchanged.
	if !fetches(node, at(time.Minute)) {
		t.Fatal("fetch skipped without fresh signals")
	}
	quiet(70 * time.Second)
	quiet(80 * time.Second) // the node's first status marked it dirty; this one is steady
	if !fetches(node, at(2*time.Minute)) {
		t.Fatal("the first status reading of a node counts as a change")
	}
	quiet(130 * time.Second)
	if fetches(node, at(4*time.Minute)) {
		t.Fatal("quiet, fresh signals must skip the node's list")
	}
	if ok, since := w.start(node, at(4*time.Minute), false); ok || !since.Equal(at(2*time.Minute)) {
		t.Fatalf("a skip reports when the list was fetched: %v %v", ok, since)
	}
	if fetches(model.PrimaryTarget, at(4*time.Minute)) {
		t.Fatal("quiet, fresh signals must skip the primary's repositories")
	}
	if ok, _ := w.start(node, at(4*time.Minute), true); !ok {
		t.Fatal("a forced fetch must happen")
	}
	w.finish(node, at(4*time.Minute), true)
	quiet(250 * time.Second)
	// Each signal makes the farm's nodes and the primary dirty.
	for name, signal := range map[string]func(){
		"queue count": func() { w.observe(farm, model.EPQueueCount, 3, nil, at(5*time.Minute)) },
		"queue item": func() {
			w.observe(farm, model.EPQueue, []model.QueueItem{{ExternalRepoID: "1"}}, nil, at(5*time.Minute))
		},
		"lock owner": func() {
			w.observe(farm, model.EPLockOwners, []model.LockOwner{{ExternalRepoID: "1"}}, nil, at(5*time.Minute))
		},
		"count unreadable": func() { w.observe(farm, model.EPQueueCount, nil, errors.New("HTTP 500"), at(5*time.Minute)) },
		"progress": func() {
			w.observe(farm, model.EPProgress, model.Progress{SyncedRepos: 9, TotalRepos: 10}, nil, at(5*time.Minute))
		},
		"node status": func() { w.observe(node, model.EPStatus, nil, errors.New("refused"), at(5*time.Minute)) },
		"primary hashes": func() {
			w.observe(model.PrimaryTarget, model.EPRepos, []model.Repo{{ID: "1", Hashes: model.Hashes{Content: "new"}}}, nil, at(5*time.Minute))
		},
	} {
		w.observe(farm, model.EPProgress, model.Progress{SyncedRepos: 10, TotalRepos: 10}, nil, at(290*time.Second))
		quiet(295 * time.Second)
		fetches(node, at(296*time.Second))
		quiet(297 * time.Second)
		if fetches(node, at(298*time.Second)) {
			t.Fatalf("%s: not quiet before the signal", name)
		}
		signal()
		quiet(301 * time.Second)
		if !fetches(node, at(302*time.Second)) {
			t.Errorf("%s: did not make the node's list dirty", name)
		}
		quiet(303 * time.Second)
		w.observe(node, model.EPStatus, model.ServerStatus{State: "SYNCHRONIZED"}, nil, at(303*time.Second))
	}
	// full_every bounds a run of skips.
	quiet(20 * time.Minute)
	fetches(node, at(20*time.Minute))
	quiet(21 * time.Minute)
	if fetches(node, at(25*time.Minute)) {
		t.Fatal("should skip within full_every")
	}
	quiet(30*time.Minute + time.Second)
	if !fetches(node, at(30*time.Minute+2*time.Second)) {
		t.Fatal("full_every passed: the list must be fetched")
	}
	// A failed fetch leaves the list dirty.
	quiet(31 * time.Minute)
	if ok, _ := w.start(node, at(32*time.Minute), true); ok {
		w.finish(node, at(32*time.Minute), false)
	}
	quiet(33 * time.Minute)
	if !fetches(node, at(34*time.Minute)) {
		t.Fatal("a failed fetch must be retried, not skipped")
	}
	// full_every = 0 never skips.
	w0 := newWatch(0)
	w0.start(node, at(0), false)
	w0.finish(node, at(0), true)
	w0.observe(farm, model.EPQueueCount, 0, nil, at(time.Second))
	if ok, _ := w0.start(node, at(2*time.Second), false); !ok {
		t.Fatal("full_every = 0 must always fetch")
	}
}

// GitLab readings are not Bitbucket signals, and a change seen through the
// repo-hashes fallback makes the nodes dirty like the documented list.
func TestWatchIgnoresGitLabAndReadsTheFallback(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	w := newWatch(10 * time.Minute)
	farm := model.TargetID{Farm: "eu"}
	node := model.TargetID{Farm: "eu", Node: "eu-1"}
	for _, tg := range []model.TargetID{node, model.PrimaryTarget} {
		w.start(tg, t0, false)
		w.finish(tg, t0, true)
	}
	w.observe(node, model.EPStatus, model.ServerStatus{State: "SYNCHRONIZED"}, nil, t0)
	w.start(node, t0, true)
	w.finish(node, t0, true)
	w.observe(model.TargetID{GitLab: "gl", Project: "a/b"}, model.EPGitLabMirrors, nil, nil, t0.Add(time.Second))
	w.observe(farm, model.EPQueueCount, 0, nil, t0.Add(2*time.Second))
	if ok, _ := w.start(model.PrimaryTarget, t0.Add(time.Minute), false); ok {
		t.Fatal("a GitLab reading stopped the primary's list being skipped")
	}
	w.observe(model.PrimaryTarget, model.EPRepoHashes, []model.Repo{{ID: "1", Hashes: model.Hashes{Content: "new"}}}, nil, t0.Add(time.Minute))
	if ok, _ := w.start(node, t0.Add(2*time.Minute), false); !ok {
		t.Error("a change seen through repo-hashes did not make the node dirty")
	}
}

// A mirror registered with a plain-HTTP base URL is not polled with the
// credentials of an HTTPS primary.
func TestDiscoverKeepsCredentialsOffPlainHTTP(t *testing.T) {
	cfg := config.Default()
	cfg.Primary = config.Target{URL: "https://bitbucket.example.com", Auth: config.Auth{Type: config.AuthBasic, User: "u", Password: config.Secret{Inline: "s3cret-pw"}}}
	p, err := New(context.Background(), cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := p.discover([]model.MirrorServer{
		{Name: "plain", BaseURL: "http://plain.example.com", Enabled: true},
		{Name: "tls", BaseURL: "https://tls.example.com", Enabled: true},
	})
	if len(out) != 1 || out[0].target.Farm != "tls" {
		t.Errorf("discovered %+v, want only tls", out)
	}
}
