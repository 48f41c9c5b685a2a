package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/recording"
	"github.com/mirrortop/mirrortop/internal/sim"
	"github.com/mirrortop/mirrortop/internal/snapshot"
	"github.com/mirrortop/mirrortop/internal/ui"
)

const (
	simPassword = "sim-password-Zq81"
	simToken    = "sim-token-Kx93a"
	simGLToken  = "glpat-sim-Wt55"
)

// liveRecording polls a busy simulator for rounds rounds the way serve
// does (apply a batch, compute, commit after the next batch), with a node
// failing from the middle round on, recording to a file, and returns the
// file and the snapshot JSON of each round as it was live.
func liveRecording(t *testing.T, rounds int) (string, [][]byte, *sim.Sim) {
	t.Helper()
	s, err := sim.Start(sim.Options{Repos: 120, Seed: 7, PushEvery: 150 * time.Millisecond, SyncTime: 300 * time.Millisecond,
		User: "admin", Password: simPassword, Token: simToken, StuckRepos: 2,
		GitLab: &sim.GitLabOptions{Token: simGLToken, Projects: 4}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cfg, err := config.Parse("sim", []byte(s.ConfigTOML()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Poll.Fast, cfg.Poll.Slow, cfg.Poll.FullEvery = 150*time.Millisecond, 400*time.Millisecond, time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Wall-clock times: a recording keeps no monotonic clock readings,
	// which would make durations differ by nanoseconds.
	wall := func() time.Time { return time.Now().Round(0) }
	p, err := poller.New(ctx, cfg, poller.Options{Now: wall})
	if err != nil {
		t.Fatal(err)
	}
	th := cfg.Alerts.Thresholds()
	var clock time.Time
	sh := ui.NewShared(model.NewState(p.Spec()), func() time.Time { clock = wall(); return clock })
	sh.SetAlertThresholds(th)
	path := filepath.Join(t.TempDir(), "sim.mtrec")
	w, err := recording.Create(path, recording.Header{MirrortopVersion: "test", Start: time.Now(), Spec: p.Spec(), Thresholds: th,
		Fast: cfg.Poll.Fast, Slow: cfg.Poll.Slow}, recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sh.SetRecorder(w)
	ch := make(chan model.Reading)
	done := make(chan struct{})
	go func() { p.Run(ctx, ch); close(done) }()
	latest := snapshot.Outcomes{}
	var live [][]byte
	var pending []*model.Recompute
	for round := range rounds {
		batch := []model.Reading{<-ch}
		timer := time.After(30 * time.Millisecond)
	gather:
		for {
			select {
			case r := <-ch:
				batch = append(batch, r)
			case <-timer:
				break gather
			}
		}
		if round == rounds/2 {
			// A node fails from here on, so that the outcomes (the
			// snapshot's errors) change in the course of the recording.
			if err := s.SetFault("eu/eu-2", "/status", sim.Fault{Status: 500}); err != nil {
				t.Fatal(err)
			}
		}
		jobs := sh.Apply(batch)
		for _, r := range batch {
			latest.Note(r)
		}
		// The computations of the round before are committed only now,
		// after this batch, as the hub's may be (it computes off its
		// goroutine): commits land among later batches, and a checkpoint
		// holds computations not yet committed.
		if len(pending) > 0 {
			for _, j := range pending {
				j.Run()
			}
			_, next := sh.Commit(pending)
			jobs = append(jobs, next...)
		}
		pending = jobs
		if round == rounds/2 {
			// A round of the replay ends at the next batch: what the
			// state is told between batches is part of it.
			noteActions(t, sh)
		}
		var snap snapshot.Snapshot
		sh.Read(func(st *model.State) { snap = snapshot.Build(st, latest.List(), clock, th) })
		live = append(live, jsonOf(t, snap))
	}
	cancel()
	go func() {
		for range ch {
		}
	}()
	<-done
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path, live, s
}

// noteActions does to the shared state what actions and the state folder
// do beside the readings: a resolution on a GitLab mirror, an update
// followed, a history loaded (with an older entry of the same mirror).
func noteActions(t *testing.T, sh *ui.Shared) {
	t.Helper()
	now := time.Now().Round(0)
	var m model.GitLabMirror
	sh.Read(func(st *model.State) {
		if len(st.GitLab) > 0 && len(st.GitLab[0].Mirrors) > 0 {
			m = st.GitLab[0].Mirrors[0].GitLabMirror
		}
	})
	if m.Project == "" {
		t.Fatal("no GitLab mirror read yet")
	}
	sh.RecordResolution(actions.Result{Plan: actions.Plan{Kind: actions.KindGitLabOurs, Mirror: m.Key()}, Outcome: actions.OutcomeAccepted,
		At: now, Message: "resolved in the test"})
	sh.FollowUpdate(m.Key(), now)
	h := model.NewGitLabHistory()
	h.Resolve(&m, model.HistoryEntry{Kind: model.HistoryResolution, At: now.Add(-time.Hour), Action: "gitlab-pause", By: "someone", Result: "accepted"})
	sh.RestoreHistory(h)
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReplayEqualsLive records the simulator and replays it: at every
// round, stepping forward and seeking back through checkpoints, the
// snapshot JSON is the one that was live at that round.
func TestReplayEqualsLive(t *testing.T) {
	path, live, _ := liveRecording(t, 40)
	rec, err := recording.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Damage != nil || rec.Rounds() != len(live) {
		t.Fatalf("%d rounds recorded, %d live; damage %v", rec.Rounds(), len(live), rec.Damage)
	}
	last := string(live[len(live)-1])
	for _, want := range []string{`"kind": "content"`, `"direction": "push"`, `"queueDepth": `, `"state": "SYNCHRONIZED"`,
		`"action": "gitlab-resolve-ours"`, `"by": "someone"`} {
		if !bytes.Contains(live[len(live)-1], []byte(want)) {
			t.Fatalf("the live snapshot has no %s: the comparison would prove little\n%.2000s", want, last)
		}
	}
	// The failing node's error is in the outcomes at the end, not before
	// it failed.
	failure := []byte(`"target": "eu/eu-2",` + "\n   " + `"endpoint": "status",` + "\n   " + `"message": "GET /status: HTTP 500`)
	if !bytes.Contains(live[len(live)-1], failure) || slices.ContainsFunc(live[:len(live)/2], func(b []byte) bool { return bytes.Contains(b, failure) }) {
		t.Fatalf("the failing node's error is not (only) in the last rounds: the outcomes would prove little\n%.2000s", last)
	}
	e := New(rec)
	e.CheckpointEvery = 500 * time.Millisecond
	compare := func(i int, how string) {
		t.Helper()
		got := jsonOf(t, e.Snapshot(e.Now()))
		if !bytes.Equal(got, live[i]) {
			t.Fatalf("%s round %d: replayed snapshot differs from live:\n%s", how, i+1, firstDiff(live[i], got))
		}
	}
	for i := range live {
		e.SeekRound(i + 1)
		compare(i, "stepping to")
	}
	if e.Damage() != nil {
		t.Fatalf("the recording does not play: %v", e.Damage())
	}
	if len(e.cps) < 3 {
		t.Fatalf("only %d checkpoints", len(e.cps))
	}
	for _, i := range []int{len(live) - 1, 3, 25, 0, 17, 18, 39, 1} {
		e.SeekRound(i + 1)
		compare(i, "seeking to")
	}
	// A checkpoint's own round, sought from the end, is the checkpoint
	// alone: what it holds (the outcomes too) is that round's.
	before := 0
	for _, c := range e.cps {
		if c.round == 0 {
			continue
		}
		if c.round <= len(live)/2 {
			before++
		}
		e.SeekRound(len(live))
		e.SeekRound(c.round)
		compare(c.round-1, "seeking from the end to the checkpoint of")
	}
	if before == 0 {
		t.Fatalf("no checkpoint before the node failed: %d checkpoints", len(e.cps))
	}
	// Seeking by time lands on the last round at or before it.
	e.Seek(e.RoundTime(12).Add(time.Millisecond))
	if e.Round() != 12 {
		t.Fatalf("seek to round 12's time: at round %d", e.Round())
	}
	compare(11, "seeking by time to")
}

func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range min(len(la), len(lb)) {
		if !bytes.Equal(la[i], lb[i]) {
			return "line " + itoa(i+1) + ":\n live:   " + string(la[i]) + "\n replay: " + string(lb[i])
		}
	}
	return "lengths differ"
}

func itoa(i int) string { return string(strconvAppend(nil, i)) }

func strconvAppend(b []byte, i int) []byte {
	if i >= 10 {
		b = strconvAppend(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// TestRecordingHoldsNoCredential searches the recording, decompressed,
// for the simulator's password and tokens.
func TestRecordingHoldsNoCredential(t *testing.T) {
	path, _, _ := liveRecording(t, 8)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := recording.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := rec.Decompressed()
	if err != nil {
		t.Fatal(err)
	}
	if len(plain) < 10_000 {
		t.Fatalf("only %d bytes decompressed: the search would prove nothing", len(plain))
	}
	for _, secret := range []string{simPassword, simToken, simGLToken} {
		if bytes.Contains(plain, []byte(secret)) || bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the recording contains %q", secret)
		}
	}
}
