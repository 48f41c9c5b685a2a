package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/model"
)

// The mirror's detail shows its conflict history at 80 columns, newest
// first: an action taken from the console is in it as soon as its result
// is back, a divergence with many refs is shortened with a count, and a
// server's escape sequences never reach the screen.
func TestGitLabDetailHistory(t *testing.T) {
	acks, _ := actions.LoadAcks(t.TempDir(), func() time.Time { return t0 })
	r := &fakeRunner{acks: acks}
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.Actions, o.Acks, o.User = r, acks, "alice" })
	const key = "gitlab/platform/api/push/12"
	// More refs diverge in a later reading: the open divergence grows.
	var refs []string
	for i := range 30 {
		refs = append(refs, fmt.Sprintf("refs/heads/feature-%02d", i))
	}
	diverged := model.GitLabMirror{Direction: model.Push, ID: 12, Enabled: true, Status: "failed", KeepDivergentRefs: true,
		LastError: "Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main\n" + strings.Join(refs, "\n")}
	m.Update(readingsMsg{{Target: model.TargetID{GitLab: "gitlab", Project: "platform/api"}, Endpoint: model.EPGitLabMirrors, At: t0,
		Data: model.GitLabProject{Project: "platform/api", Push: []model.GitLabMirror{diverged}}}})
	m.shared.RecordResolution(actions.Result{Plan: actions.Plan{Kind: actions.KindGitLabPause, Mirror: key}, At: t0.Add(-time.Hour),
		By: actions.Actor{User: "bob\x1b]0;pwned\x07"}, Outcome: actions.OutcomeDone, Message: "Pause: done.\x1b[2J"})
	press(m, "6", "/", "platform/api", "enter")
	press(m, "s")
	for _, msg := range runBatch(press(m, "y")) {
		m.Update(msg)
	}
	if len(r.ran) != 1 {
		t.Fatalf("ran %+v", r.ran)
	}
	press(m, "enter", "G")
	s := plain(m)
	for _, want := range []string{"History (3, newest first)", "update now by alice: done", "pause by bob: done — Pause: done.", "diverged, still diverged: main develop", " more"} {
		if !strings.Contains(s, want) {
			t.Errorf("detail lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(screen(m), "\x1b]0;") || strings.Contains(screen(m), "\x1b[2J") {
		t.Error("a server's escape sequence reached the screen")
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d wide: %q", i+1, w, l)
		}
		if strings.Contains(l, "diverged, still diverged") && !strings.Contains(l, "+") {
			t.Errorf("refs not shortened with a count: %q", l)
		}
	}
	// Newest first: the update is above the pause.
	if strings.Index(s, "update now by alice") > strings.Index(s, "pause by bob") {
		t.Errorf("not newest first:\n%s", s)
	}
}

// The saver writes after a change (once for a burst), and what is left
// when it stops; a failed write is tried again at the next change.
func TestHistorySaverDebouncesAndFlushes(t *testing.T) {
	st := fixtureState()
	sh := NewShared(st, func() time.Time { return t0 })
	var writes atomic.Int32
	var last atomic.Value
	fail := atomic.Bool{}
	save := func(b []byte) error {
		if fail.Load() {
			return errors.New("disk full")
		}
		writes.Add(1)
		last.Store(string(b))
		return nil
	}
	hs := NewHistorySaver(sh, save, 50*time.Millisecond, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hs.Run(ctx); close(done) }()
	for i := range 5 {
		sh.RecordResolution(actions.Result{Plan: actions.Plan{Kind: actions.KindGitLabSync, Mirror: "gitlab/platform/api/push/12"},
			At: t0.Add(time.Duration(i) * time.Second), Outcome: actions.OutcomeAccepted, By: actions.Actor{User: "alice"}})
	}
	deadline := time.Now().Add(5 * time.Second)
	for writes.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond)
	if n := writes.Load(); n != 1 {
		t.Fatalf("%d writes for one burst", n)
	}
	if s, _ := last.Load().(string); strings.Count(s, `"kind": "resolution"`) != 5 {
		t.Fatalf("written:\n%s", s)
	}
	// Refused and already-running results add nothing, so nothing is written.
	sh.RecordResolution(actions.Result{Plan: actions.Plan{Kind: actions.KindGitLabSync, Mirror: "gitlab/platform/api/push/12"}, Outcome: actions.OutcomeRefused})
	fail.Store(true)
	sh.RecordResolution(actions.Result{Plan: actions.Plan{Kind: actions.KindGitLabPause, Mirror: "gitlab/platform/api/push/12"}, At: t0, Outcome: actions.OutcomeDone})
	time.Sleep(150 * time.Millisecond)
	fail.Store(false)
	cancel() // stopping writes what is left
	<-done
	if n := writes.Load(); n != 2 {
		t.Fatalf("%d writes, want the one at the stop", n)
	}
	if s, _ := last.Load().(string); strings.Count(s, `"kind": "resolution"`) != 6 {
		t.Fatalf("written at the stop:\n%s", s)
	}
}

// A restart: a new Shared on a new state, loading the file the first one
// wrote, shows the same history in the mirror's detail.
func TestHistoryRestoredAfterRestart(t *testing.T) {
	dir := t.TempDir()
	m, _ := newTestModel(t, 100, 40, nil)
	hs := NewHistorySaver(m.shared, func(b []byte) error { return actions.SaveHistory(dir, b) }, 0, nil)
	m.shared.RecordResolution(actions.Result{Plan: actions.Plan{Kind: actions.KindGitLabOurs, Mirror: "gitlab/platform/api/push/12"},
		At: t0, Outcome: actions.OutcomeAccepted, By: actions.Actor{User: "alice"}, Message: "GitLab accepted (HTTP 204)"})
	if err := hs.Flush(); err != nil {
		t.Fatal(err)
	}
	h, notice, err := actions.LoadHistory(dir, true, t0)
	if err != nil || notice != "" {
		t.Fatal(notice, err)
	}
	st := fixtureState() // the fixture's reading of the mirror comes first, as the first round would
	m2, _ := newTestModel(t, 100, 40, func(o *Options) { o.State = st })
	m2.shared.RestoreHistory(h)
	press(m2, "6", "j", "j", "j", "enter", "G")
	s := plain(m2)
	if !strings.Contains(s, "History (2, newest first)") || !strings.Contains(s, "resolve ours by alice: accepted — GitLab accepted (HTTP 204)") ||
		strings.Count(s, "diverged, still diverged") != 1 {
		t.Fatalf("after the restart:\n%s", s)
	}
	if _, err := os.Stat(filepath.Join(dir, actions.HistoryFile)); err != nil {
		t.Fatal(err)
	}
}
