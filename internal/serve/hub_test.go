package serve

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
	"github.com/mirrortop/mirrortop/internal/snapshot"
)

// These tests run the hub against the simulator over real HTTP on loopback.

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

func startTestSim(t *testing.T) (*sim.Sim, *config.Config) {
	t.Helper()
	s, err := sim.Start(sim.Options{Manual: true, Seed: 7, StuckRepos: 2, User: "admin", Password: "s3cret-pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Advance(10 * time.Minute) // some pushes, some syncs behind
	cfg, err := config.Parse("sim.toml", []byte(s.ConfigTOML()))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	// One round only: nothing polls again within the test.
	cfg.Poll.Fast, cfg.Poll.Slow, cfg.Poll.Timeout = time.Hour, time.Hour, 5*time.Second
	return s, cfg
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// withoutTakenAt parses a snapshot document into a generic value, less
// its takenAt.
func withoutTakenAt(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v in %.200s", err, b)
	}
	delete(v, "takenAt")
	return v
}

func TestHubServesHealthReadinessAndSnapshot(t *testing.T) {
	s, cfg := startTestSim(t)
	// The primary's repository list answers late: the round is not
	// complete until it is in.
	if err := s.SetFault("primary", "/rest/mirroring/latest/repos", sim.Fault{Delay: 700 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(p, HubOptions{Now: fixedNow, Thresholds: cfg.Alerts.Thresholds()})
	srv := httptest.NewServer(hub.Handler())
	defer srv.Close()

	if code, _, body := get(t, srv.URL+"/healthz"); code != http.StatusServiceUnavailable || body != "stopped\n" {
		t.Fatalf("healthz before Run: %d %q", code, body)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(100 * time.Millisecond)
	if code, _, body := get(t, srv.URL+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	if code, _, body := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "not ready") {
		t.Fatalf("readyz during the first round: %d %q", code, body)
	}
	if code, _, _ := get(t, srv.URL+"/snapshot"); code != http.StatusServiceUnavailable {
		t.Fatalf("snapshot during the first round: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, body := get(t, srv.URL+"/readyz")
		if code == http.StatusOK {
			if body != "ready\n" {
				t.Fatalf("readyz body %q", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := s.RequestCount("primary", "/rest/mirroring/latest/repos"); n == 0 {
		t.Fatal("ready before the repository list was asked for")
	}

	// The published document is what a one-off snapshot of the same
	// servers at the same moment gives.
	code, ctype, body := get(t, srv.URL+"/snapshot")
	if code != http.StatusOK || ctype != "application/json" {
		t.Fatalf("snapshot: %d %q", code, ctype)
	}
	direct, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	st := model.NewState(direct.Spec())
	rs := direct.RunOnce(context.Background())
	st.ApplyBatch(rs)
	// The document lists errors and unsupported endpoints by target and
	// endpoint; a one-off snapshot lists them in schedule order.
	slices.SortStableFunc(rs, func(a, b model.Reading) int {
		return cmp.Or(cmp.Compare(a.Target.String(), b.Target.String()), cmp.Compare(a.Endpoint, b.Endpoint))
	})
	want, err := json.Marshal(snapshot.Build(st, rs, fixedNow(), cfg.Alerts.Thresholds()))
	if err != nil {
		t.Fatal(err)
	}
	got := withoutTakenAt(t, []byte(body))
	if w := withoutTakenAt(t, want); !reflect.DeepEqual(got, w) {
		t.Fatalf("served snapshot differs from a direct one: %s", firstDiff(got, w))
	}
	var snap snapshot.Snapshot
	if err := json.Unmarshal([]byte(body), &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Farms) != 2 || snap.Primary.Repos == 0 || len(snap.Farms[0].Mismatches)+len(snap.Farms[1].Mismatches) == 0 {
		t.Fatalf("a thin snapshot: %d farms, %d repos", len(snap.Farms), snap.Primary.Repos)
	}

	// Serving it asks no server for anything.
	before := s.RequestCounts()
	for range 50 {
		if code, _, b := get(t, srv.URL+"/snapshot"); code != http.StatusOK || b != body {
			t.Fatalf("snapshot again: %d", code)
		}
	}
	if after := s.RequestCounts(); !reflect.DeepEqual(before, after) {
		t.Fatalf("50 GETs of /snapshot reached the servers:\nbefore %v\nafter  %v", before, after)
	}

	cancel()
	<-done
	if code, _, _ := get(t, srv.URL+"/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("healthz after Run: %d", code)
	}
}

// firstDiff describes the first line where two documents differ.
func firstDiff(got, want any) string {
	gb, _ := json.MarshalIndent(got, "", " ")
	wb, _ := json.MarshalIndent(want, "", " ")
	gl, wl := strings.Split(string(gb), "\n"), strings.Split(string(wb), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			return fmt.Sprintf("line %d: got %s, want %s", i+1, gl[i], wl[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(gl), len(wl))
}

// While readings stream in, the hub publishes again, never twice within
// PublishEvery.
func TestHubCoalescesPublishing(t *testing.T) {
	_, cfg := startTestSim(t)
	cfg.Poll.Fast = 30 * time.Millisecond // readings all the time
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test"})
	if err != nil {
		t.Fatal(err)
	}
	const every = 300 * time.Millisecond
	hub := NewHub(p, HubOptions{PublishEvery: every})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	defer func() { cancel(); <-done }()
	hub.asked.Store(time.Now().UnixNano()) // someone reads /snapshot
	var views []*View
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if v := hub.View(); v != nil && (len(views) == 0 || views[len(views)-1] != v) {
			views = append(views, v)
		}
	}
	if len(views) < 3 {
		t.Fatalf("%d views published in 2 s", len(views))
	}
	for i := 1; i < len(views); i++ {
		if gap := views[i].TakenAt.Sub(views[i-1].TakenAt); gap < every {
			t.Errorf("views %d and %d %v apart, under %v", i-1, i, gap, every)
		}
	}
}

// With nobody asking for /snapshot, the hub makes no view after the first
// (a 100 000-repository document costs seconds); a request finds the view
// older than the state and gets a fresh one.
func TestHubPublishesOnDemand(t *testing.T) {
	_, cfg := startTestSim(t)
	cfg.Poll.Fast = 30 * time.Millisecond // readings all the time
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test"})
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(p, HubOptions{PublishEvery: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(10 * time.Second); hub.View() == nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no first view")
		}
	}
	first := hub.View()
	time.Sleep(500 * time.Millisecond) // ten publishing gaps of readings
	if hub.View() != first {
		t.Fatal("a view was made with nobody asking")
	}
	if !hub.stale.Load() {
		t.Fatal("the state changed, yet the view is not marked stale")
	}
	v := hub.Fresh(context.Background())
	if v == first {
		t.Fatalf("a request got the stale view (taken %v, first %v)", v.TakenAt, first.TakenAt)
	}
}

// TestHubWithoutSnapshots: a hub nothing asks documents of (serve without
// --http, record) is ready once the first round and its mismatches are
// in, and makes no document.
func TestHubWithoutSnapshots(t *testing.T) {
	s, cfg := startTestSim(t)
	// The primary's repository list answers late: the round is not
	// complete until it is in.
	if err := s.SetFault("primary", "/rest/mirroring/latest/repos", sim.Fault{Delay: 500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(p, HubOptions{Now: fixedNow, Thresholds: cfg.Alerts.Thresholds(), NoSnapshots: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(100 * time.Millisecond)
	if hub.Ready() {
		t.Fatal("ready during the first round")
	}
	for deadline := time.Now().Add(10 * time.Second); !hub.Ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
	}
	var repos, mismatches int
	hub.Shared().Read(func(st *model.State) {
		repos = len(st.Primary.Repos)
		for _, f := range st.Farms {
			mismatches += len(f.Mismatches)
		}
	})
	if repos == 0 || mismatches == 0 {
		t.Fatalf("ready with %d repositories and %d mismatches in", repos, mismatches)
	}
	time.Sleep(200 * time.Millisecond)
	if v := hub.View(); v != nil {
		t.Fatalf("a document of %d bytes was made", len(v.JSON))
	}
}
