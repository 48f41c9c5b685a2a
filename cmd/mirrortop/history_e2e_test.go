package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/ui"
	"github.com/mirrortop/mirrortop/themes"
)

// consoleOn starts another console on the harness's simulator and config
// (a restart on the same state folder); stop ends it the way quitting
// does and returns once it has stopped, its history saved.
func consoleOn(t *testing.T, s *harness) (h *harness, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	th, _ := themes.Load("dark", "")
	keys, _ := ui.NewKeyMap(nil)
	m, start, err := newConsole(ctx, s.cfg, consoleOptions{theme: th, keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		start()
		close(done)
	}()
	h = &harness{t: t, s: s.s, cfg: s.cfg, probe: &probe{m: m}}
	h.tm = teatest.NewTestModel(t, h.probe, teatest.WithInitialTermSize(140, 40), teatest.WithProgramOptions(
		tea.WithEnvironment([]string{"TERM=xterm-256color"}), tea.WithColorProfile(colorprofile.Ascii)))
	go func() {
		r := bufio.NewReader(h.tm.Output())
		for ctx.Err() == nil {
			if _, err := r.ReadByte(); err != nil {
				time.Sleep(20 * time.Millisecond)
			}
		}
	}()
	stop = func() {
		_ = h.tm.Quit()
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the console did not stop")
		}
	}
	t.Cleanup(func() { _ = h.tm.Quit(); cancel() })
	return h, stop
}

// historyFile reads the conflict history's file of the state folder.
func historyFile(h *harness) string {
	b, _ := os.ReadFile(filepath.Join(h.cfg.StateDir, actions.HistoryFile))
	return string(b)
}

// The conflict history end to end: a diverged mirror is in its history as
// soon as the console reads it; resolving it sends exactly the plan's
// calls, and the resolution and the divergence's end join the history;
// the history is saved in the state folder and a restarted console shows
// it again, a divergence still open continuing as the same entry; and
// snapshot --format json lists it.
func TestE2EGitLabConflictHistory(t *testing.T) {
	h := gitlabHarness(t, nil)
	m, _ := h.s.GitLabMirror("platform/web-frontend", "push")
	h.selectRow("platform/web-frontend", "push mirror")
	h.keys("enter")
	h.waitText("History (1, newest first)", "diverged, still diverged: main develop")
	h.keys("esc")

	before := len(h.writes())
	h.keys("r", "enter", "platform/web-frontend", "enter")
	h.waitText("GitLab accepted")
	w := h.writes()[before:]
	path := fmt.Sprintf("/api/v4/projects/platform/web-frontend/remote_mirrors/%d", m.ID) // as the simulator decoded it
	if len(w) != 2 || w[0].Method != http.MethodPut || w[0].Path != path || w[1].Method != http.MethodPost || w[1].Path != path+"/sync" {
		t.Fatalf("requests %+v", w)
	}
	a := h.audit()
	if len(a) != 2 || a[0].Action != actions.KindGitLabOurs || !strings.HasSuffix(a[0].Request, fmt.Sprintf(`/projects/platform%%2Fweb-frontend/remote_mirrors/%d {"keep_divergent_refs":false}`, m.ID)) ||
		a[1].Status != http.StatusNoContent || a[0].User != actions.CurrentUser() {
		t.Fatalf("audit %+v", a)
	}
	h.s.Advance(time.Minute)
	h.wait("the divergence cleared in the history", func(string) bool {
		h.keys("ctrl+r")
		return h.selectedHas("History (2, newest first)", "resolve ours by "+actions.CurrentUser()+": accepted", "diverged, cleared")
	})
	// Saved (debounced) in the state folder.
	h.wait("the history saved", func(string) bool {
		f := historyFile(h)
		return strings.Contains(f, `"cleared_at"`) && strings.Contains(f, `"action": "gitlab-resolve-ours"`)
	})
	if fi, err := os.Stat(filepath.Join(h.cfg.StateDir, actions.HistoryFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("history file %v %v", fi, err)
	}

	// A restart on the same state folder.
	h2, stop := consoleOn(t, h)
	h2.keys("6")
	h2.waitText("platform/web-frontend", "platform/tools/helm-charts")
	h2.selectRow("platform/web-frontend", "push mirror")
	h2.keys("enter")
	h2.waitText("History (2, newest first)", "resolve ours by", "diverged, cleared")
	h2.keys("esc")
	// helm-charts stayed diverged throughout: one divergence, still open.
	h2.selectRow("platform/tools/helm-charts", "pull mirror")
	h2.keys("enter")
	h2.waitText("History (1, newest first)", "diverged, still diverged: main")
	h2.keys("esc")
	stop()

	// snapshot --format json, on the same state folder.
	cfgPath := filepath.Join(t.TempDir(), "sim.toml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf("state_dir = %q\n\n%s", h.cfg.StateDir, h.s.ConfigTOML())), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, "snapshot", "--config", cfgPath, "--format", "json")
	if code != exitOK {
		t.Fatalf("snapshot: exit %d: %s", code, stderr)
	}
	var snap struct {
		GitLab []struct {
			Mirrors []struct {
				Project, Direction string
				History            []map[string]any `json:"history"`
			} `json:"mirrors"`
		} `json:"gitlab"`
	}
	if err := json.Unmarshal([]byte(out), &snap); err != nil || len(snap.GitLab) != 1 {
		t.Fatalf("snapshot %v:\n%s", err, out)
	}
	seen := 0
	for _, mm := range snap.GitLab[0].Mirrors {
		if mm.History == nil {
			t.Errorf("%s %s: no history[]", mm.Project, mm.Direction)
		}
		switch {
		case mm.Project == "platform/web-frontend" && mm.Direction == "push":
			seen++
			if len(mm.History) != 2 || mm.History[0]["kind"] != "resolution" || mm.History[0]["action"] != "gitlab-resolve-ours" ||
				mm.History[0]["result"] != "accepted" || mm.History[0]["by"] != actions.CurrentUser() || mm.History[0]["at"] == nil ||
				mm.History[1]["kind"] != "divergence" || mm.History[1]["firstSeen"] == nil || mm.History[1]["clearedAt"] == nil ||
				fmt.Sprint(mm.History[1]["refs"]) != "[refs/heads/main refs/heads/develop]" {
				t.Errorf("web-frontend history %v", mm.History)
			}
		case mm.Project == "platform/tools/helm-charts":
			seen++
			if len(mm.History) != 1 || mm.History[0]["clearedAt"] != nil {
				t.Errorf("helm-charts history %v", mm.History)
			}
		}
	}
	if seen != 2 {
		t.Errorf("mirrors missing from the snapshot:\n%s", out)
	}
}

// Read-only, the history is kept and shown, and nothing is sent; an
// unusable history file is set aside and said so in the Events pane.
func TestE2EGitLabHistoryReadOnlyAndDamagedFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, actions.HistoryFile), []byte(`{"format":1,"mirrors":[{`), 0o600); err != nil {
		t.Fatal(err)
	}
	h := gitlabHarness(t, func(c *config.Config) { c.ReadOnly, c.StateDir = true, dir })
	h.selectRow("platform/web-frontend", "push mirror")
	h.keys("enter")
	h.waitText("History (1, newest first)", "diverged, still diverged")
	h.keys("esc", "r", "y", "e", "y", "s", "y", "d", "y")
	for _, r := range h.writes() {
		if r.Target == "gitlab" {
			t.Errorf("read-only sent %+v", r)
		}
	}
	h.keys("7")
	h.waitText("history", "set aside as "+actions.HistoryFile+".bad-")
	matches, _ := filepath.Glob(filepath.Join(dir, actions.HistoryFile+".bad-*"))
	if len(matches) != 1 {
		t.Fatalf("set aside: %v", matches)
	}
	h.wait("a new history saved", func(string) bool { return strings.Contains(historyFile(h), `"kind": "divergence"`) })
}
