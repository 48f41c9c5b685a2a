package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/sim"
	"github.com/mirrortop/mirrortop/internal/ui"
	"github.com/mirrortop/mirrortop/themes"
)

// probe wraps the console model and keeps the text of its latest frame, so
// that a test waits on what a person would read rather than on the
// renderer's byte stream (which only carries the cells that changed).
type probe struct {
	m    *ui.Model
	last atomic.Value // the latest frame's text
	raw  atomic.Value // and its bytes, escape sequences included
	keys atomic.Int64 // key presses handled, their frames stored
}

func (p *probe) Init() tea.Cmd { return p.m.Init() }

func (p *probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := p.m.Update(msg)
	content := p.m.View().Content
	p.raw.Store(content)
	p.last.Store(ansi.Strip(content))
	if _, ok := msg.(tea.KeyPressMsg); ok {
		p.keys.Add(1)
	}
	return p, cmd
}

func (p *probe) View() tea.View { return p.m.View() }

// harness is the whole console (poller, executor, program) against a
// simulator, with its state folder.
type harness struct {
	t     *testing.T
	s     *sim.Sim
	cfg   *config.Config
	tm    *teatest.TestModel
	probe *probe
	// log is what the console logged (every level).
	log *lockedBuffer
}

func newHarness(t *testing.T, opts sim.Options, mod func(*config.Config)) *harness {
	t.Helper()
	return newHarnessWith(t, opts, mod, consoleOptions{})
}

// newHarnessWith is newHarness with console options (a recording).
func newHarnessWith(t *testing.T, opts sim.Options, mod func(*config.Config), co consoleOptions) *harness {
	t.Helper()
	opts.Manual = true
	if opts.Seed == 0 {
		opts.Seed = 5
	}
	if opts.Password == "" {
		opts.User, opts.Password = "admin", "harness-pw"
	}
	if opts.PushEvery == 0 {
		opts.PushEvery = -1
	}
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Advance(time.Minute)
	cfg, err := config.Parse("sim.toml", []byte(s.ConfigTOML()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Poll.Fast, cfg.Poll.Slow = 150*time.Millisecond, 300*time.Millisecond
	cfg.StateDir = t.TempDir()
	if mod != nil {
		mod(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	th, _ := themes.Load("dark", "")
	keys, _ := ui.NewKeyMap(nil)
	logBuf := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	co.theme, co.keys, co.log = th, keys, logger
	m, start, err := newConsole(ctx, cfg, co)
	if err != nil {
		t.Fatal(err)
	}
	// The console saves into the state folder as it stops: wait for it
	// before the folder is removed.
	stopped := make(chan struct{})
	go func() { start(); close(stopped) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("the console did not stop within 10 s")
		}
	})
	h := &harness{t: t, s: s, cfg: cfg, probe: &probe{m: m}, log: logBuf}
	h.tm = teatest.NewTestModel(t, h.probe, teatest.WithInitialTermSize(140, 40), teatest.WithProgramOptions(
		tea.WithEnvironment([]string{"TERM=xterm-256color"}), tea.WithColorProfile(colorprofile.Ascii)))
	t.Cleanup(func() { _ = h.tm.Quit() })
	go func() { // keep the output drained
		r := bufio.NewReader(h.tm.Output())
		for {
			if _, err := r.ReadByte(); err != nil {
				time.Sleep(20 * time.Millisecond)
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
	h.wait("live data", func(s string) bool { return strings.Contains(s, "SYNCHRONIZED") && strings.Contains(s, "3/3") })
	return h
}

func (h *harness) screen() string {
	s, _ := h.probe.last.Load().(string)
	return s
}

// wait polls the latest frame until cond holds (15 s at most).
func (h *harness) wait(what string, cond func(string) bool) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond(h.screen()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatalf("waiting for %s; the screen is:\n%s", what, h.screen())
}

func (h *harness) waitText(texts ...string) {
	h.t.Helper()
	h.wait(strings.Join(texts, " + "), func(s string) bool { return containsAll(s, texts...) })
}

// keys types keys; names like "enter" and "esc" are keys, other words are
// typed rune by rune. Each key has been handled, and the frame after it
// stored, when keys returns: what a test reads next is the key's effect.
func (h *harness) keys(ks ...string) {
	h.t.Helper()
	for _, k := range ks {
		switch k {
		case "enter":
			h.key(tea.KeyPressMsg{Code: tea.KeyEnter})
		case "esc":
			h.key(tea.KeyPressMsg{Code: tea.KeyEscape})
		case "ctrl+r", "ctrl+l":
			h.key(tea.KeyPressMsg{Code: rune(k[5]), Mod: tea.ModCtrl})
		default:
			for _, r := range k {
				h.key(tea.KeyPressMsg{Code: r, Text: string(r)})
			}
		}
	}
}

// key sends one key press and waits until the console has handled it.
func (h *harness) key(k tea.KeyPressMsg) {
	h.t.Helper()
	want := h.probe.keys.Load() + 1
	h.tm.Send(k)
	deadline := time.Now().Add(15 * time.Second)
	for h.probe.keys.Load() < want {
		if time.Now().After(deadline) {
			h.t.Fatalf("key %q not handled in 15 s; the screen is:\n%s", k.String(), h.screen())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// writes lists the requests that could change something on a server.
func (h *harness) writes() []sim.Request {
	var out []sim.Request
	for _, r := range h.s.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			out = append(out, r)
		}
	}
	return out
}

func (h *harness) audit() []actions.AuditEntry { return readAuditLog(h.t, h.cfg.StateDir) }

// readAuditLog reads the audit log of a state folder (none yet: nil).
func readAuditLog(t *testing.T, stateDir string) []actions.AuditEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(stateDir, actions.AuditFile))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []actions.AuditEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e actions.AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// containsAll reports whether s contains every one of texts.
func containsAll(s string, texts ...string) bool {
	for _, t := range texts {
		if !strings.Contains(s, t) {
			return false
		}
	}
	return true
}

func TestE2EApproveBringsANewFarm(t *testing.T) {
	h := newHarness(t, sim.Options{Repos: 30}, nil)
	h.keys("4")
	h.waitText("apac", "https://mirror-apac.example.com")
	h.keys("a")
	h.waitText("Approve mirror request", "POST "+h.s.PrimaryURL()+"/rest/mirroring/latest/requests/")
	h.keys("y")
	h.waitText("done")
	if st := h.s.RequestState(1); st != "ACCEPTED" && h.s.RequestState(3) != "ACCEPTED" {
		// the pending request's id depends on the simulator's numbering
		found := false
		for id := 1; id < 10; id++ {
			found = found || h.s.RequestState(id) == "ACCEPTED"
		}
		if !found {
			t.Fatalf("no request accepted in the simulator")
		}
	}
	// The primary now lists the new farm; mirrortop discovers it and shows it.
	h.keys("1")
	h.wait("the new farm", func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "apac") && (strings.Contains(l, "SYNCING") || strings.Contains(l, "SYNCHRONIZED")) {
				return true
			}
		}
		return false
	})
	a := h.audit()
	if len(a) != 1 || a[0].Action != actions.KindApprove || a[0].Status != 200 || a[0].Outcome != actions.OutcomeDone || a[0].User == "" {
		t.Errorf("audit %+v", a)
	}
	if b, _ := os.ReadFile(filepath.Join(h.cfg.StateDir, actions.AuditFile)); strings.Contains(string(b), "harness-pw") {
		t.Error("the password is in the audit log")
	}
	h.keys("7")
	h.waitText("action", "done: Approve mirror request")
}

func TestE2ERejectAndFailures(t *testing.T) {
	h := newHarness(t, sim.Options{Repos: 20}, nil)
	h.keys("4")
	h.waitText("apac")
	h.s.SetFault("primary", "/rest/mirroring/latest/requests/", sim.Fault{Status: 403, Times: 1})
	h.keys("x")
	h.waitText("Reject mirror request")
	h.keys("y")
	h.waitText("Failed: HTTP 403 Forbidden")
	if st := h.screen(); !strings.Contains(st, "apac") {
		t.Errorf("a refused reject must leave the request listed:\n%s", st)
	}
	h.keys("x", "y") // the fault is gone: this one goes through
	h.wait("request gone", func(s string) bool { return strings.Contains(s, "no pending mirror requests") })
	a := h.audit()
	if len(a) != 2 || a[0].Status != 403 || a[0].Outcome != actions.OutcomeFailed || a[1].Status != 200 {
		t.Errorf("audit %+v", a)
	}
}

func TestE2EReadOnlySendsNothing(t *testing.T) {
	h := newHarness(t, sim.Options{Repos: 20, StuckRepos: 1}, func(c *config.Config) { c.ReadOnly = true })
	h.keys("4", "a", "y", "x", "y", "2", "s", "r", "enter", "1", "enter", "+", "enter", "y", "*")
	h.keys("esc", "?")
	h.waitText("RO", "Help")
	if strings.Contains(h.screen(), "approve") {
		t.Error("read-only help lists actions")
	}
	if w := h.writes(); len(w) != 0 {
		t.Errorf("read-only mode sent %+v", w)
	}
	if a := h.audit(); len(a) != 0 {
		t.Errorf("read-only audit %+v", a)
	}
}

func TestE2ESyncIsHonest(t *testing.T) {
	h := newHarness(t, sim.Options{Repos: 30, StuckRepos: 1}, nil)
	// 9.x (eu): nothing is sent.
	h.keys("2")
	h.waitText("eu-3")
	h.keys("s")
	h.waitText("Nothing was sent", "no REST call that triggers a sync")
	if w := h.writes(); len(w) != 0 {
		t.Errorf("a 9.x sync sent %+v", w)
	}
	// 8.x (us): the deprecated trigger answers 410, said as it is.
	h.keys("1", "j", "s")
	h.waitText("Sync all repositories on farm us", "/upstreamServers/")
	h.keys("y")
	h.waitText("Nothing was triggered", "410 Gone")
	a := h.audit()
	if len(a) != 2 || a[1].Status != http.StatusGone || a[1].Outcome != actions.OutcomeNotTriggered {
		t.Errorf("audit %+v", a)
	}
}

func TestE2EProjects(t *testing.T) {
	h := newHarness(t, sim.Options{Repos: 30}, nil)
	dataID := h.s.ProjectID("OPS") // us mirrors PLAT, WEB and DATA
	h.keys("1", "j", "enter")      // farm us (selected projects)
	h.waitText("Farm us", "selected projects")
	h.keys("+")
	h.waitText("Add which project to farm us?")
	// Choose OPS in the list.
	for i := 0; i < 6 && !strings.Contains(h.screen(), "> OPS"); i++ {
		h.keys("j")
	}
	if !strings.Contains(h.screen(), "> OPS") {
		t.Fatalf("OPS not offered:\n%s", h.screen())
	}
	h.keys("enter")
	h.waitText("Mirror project OPS on farm us", "settings/projects/"+dataID)
	h.keys("y")
	h.waitText("done")
	if _, ids := h.s.FarmProjects("us"); !contains(ids, dataID) {
		t.Fatalf("OPS not mirrored on us: %v", ids)
	}
	h.s.Advance(2 * time.Minute) // the farm clones the project's repositories
	h.keys("esc", "1", "j", "enter")
	// The remove dialog lists the projects the console has read: wait until
	// it has read the new one.
	h.waitText("Farm us", "selected projects: PLAT, WEB, DATA, OPS")
	h.keys("-")
	h.waitText("Remove which project from farm us?")
	for i := 0; i < 6 && !strings.Contains(h.screen(), "> OPS"); i++ {
		h.keys("j")
	}
	if !strings.Contains(h.screen(), "> OPS") {
		t.Fatalf("OPS not offered for removal:\n%s", h.screen())
	}
	h.keys("enter", "y")
	// The audit line is written when the answer has been read, after the
	// simulator changed its state: wait for the line.
	h.wait("the removal audited", func(string) bool { return len(h.audit()) >= 2 })
	if _, ids := h.s.FarmProjects("us"); contains(ids, dataID) {
		t.Fatalf("OPS still mirrored on us: %v; audit %+v", ids, h.audit())
	}
	a := h.audit()
	if len(a) != 2 || a[0].Action != actions.KindAddProject || a[1].Action != actions.KindRemoveProject || a[1].Status != http.StatusNoContent {
		t.Errorf("audit %+v", a)
	}
}

func TestE2EReseed(t *testing.T) {
	farms := sim.DefaultFarms()
	farms[0].AllProjects, farms[0].ProjectKeys = false, []string{"PLAT", "WEB", "DATA", "OPS", "MOB", "SEC"}
	h := newHarness(t, sim.Options{Repos: 30, StuckRepos: 1, Farms: farms}, nil)
	h.keys("2")
	h.waitText("eu-3")
	h.keys("r")
	h.waitText("Resolve", "re-seed")
	h.keys("j", "j", "enter")
	h.waitText("Re-seed project", "Heavy", "DELETE ", "POST ", "Type ")
	var key string
	for _, l := range strings.Split(h.screen(), "\n") {
		if i := strings.Index(l, `Type "`); i >= 0 {
			key = strings.SplitN(l[i+6:], `"`, 2)[0]
		}
	}
	h.keys("NOPE", "enter")
	h.waitText("did not match")
	if w := h.writes(); len(w) != 0 {
		t.Fatalf("a wrong typed confirmation sent %+v", w)
	}
	h.keys("r", "j", "j", "enter", key, "enter")
	h.waitText("done", "INITIALIZING until cloned again")
	var w []sim.Request
	for _, r := range h.writes() {
		if r.Target == "eu" { // as the farm's load balancer saw them (its nodes log them too)
			w = append(w, r)
		}
	}
	if len(w) != 2 || w[0].Method != http.MethodDelete || w[1].Method != http.MethodPost || !strings.HasSuffix(w[0].Path, "/syncSettings/projects/"+h.s.ProjectID(key)) {
		t.Fatalf("re-seed requests %+v", w)
	}
	if a := h.audit(); len(a) != 2 || a[0].Action != actions.KindReseed || a[0].Status != http.StatusNoContent || a[1].Status != http.StatusOK {
		t.Errorf("audit %+v", a)
	}
	if _, ids := h.s.FarmProjects("eu"); !contains(ids, h.s.ProjectID(key)) {
		t.Errorf("the project is not mirrored again: %v", ids)
	}
}

func TestE2EManual(t *testing.T) {
	h := newHarness(t, sim.Options{Repos: 30, StuckRepos: 1, GitRepos: 2}, nil)
	h.keys("2")
	h.waitText("eu-3")
	// Manual: the stuck git-backed repository differs on eu-3 only.
	h.keys("r")
	h.waitText("Resolve", "manual")
	h.keys("j", "enter")
	h.waitText("Manual repair", "every ref matches the primary", "refs differ", "refs/heads/main", "git ls-remote")
	// At 80 columns the re-seed commands, wider than the screen, wrap: the
	// lines joined, indentation off, are the whole command.
	h.tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.keys("G")
	whole := regexp.MustCompile(`^curl -u ADMIN -X DELETE http://127\.0\.0\.1:\d+/rest/mirroring/\S+/projects/\d+$`)
	h.wait("the re-seed command wrapped whole at 80 columns", func(s string) bool {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if !strings.HasPrefix(l, "   curl -u ADMIN -X DELETE") || i+1 >= len(lines) || len(l) > 80 {
				continue
			}
			cmd := strings.TrimRight(l[3:], " ")
			for _, c := range lines[i+1:] {
				if !strings.HasPrefix(c, "     ") || strings.TrimSpace(c) == "" || strings.Contains(c, "…") {
					break
				}
				cmd += strings.TrimRight(c[5:], " ")
			}
			return len(cmd) > 80 && whole.MatchString(cmd)
		}
		return false
	})
	h.keys("esc")
	// Re-seed is not offered on eu (all projects); us mirrors selected projects.
	h.keys("r")
	h.waitText("Resolve")
	if strings.Contains(h.screen(), "re-seed") {
		t.Error("re-seed offered on a farm that mirrors all projects")
	}
	h.keys("esc")
	if w := h.writes(); len(w) != 0 {
		t.Errorf("manual view sent %+v", w)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestE2EActionFailuresLeaveStateConsistent(t *testing.T) {
	// The timeout is long enough for an approve queued behind polls on a
	// busy machine; the last fault's delay is three times it.
	h := newHarness(t, sim.Options{Repos: 20}, func(c *config.Config) { c.Poll.Timeout = 1500 * time.Millisecond })
	pendingID := 0
	for id := 1; id < 10; id++ {
		if h.s.RequestState(id) == "PENDING" {
			pendingID = id
		}
	}
	h.keys("4")
	h.waitText("apac")
	for _, c := range []struct {
		fault sim.Fault
		want  string
	}{
		{sim.Fault{Status: 500, Times: 1}, "Failed: HTTP 500 Internal Server Error"},
		{sim.Fault{Status: 409, Times: 1}, "Failed: HTTP 409 Conflict"},
		{sim.Fault{Status: 503, Body: "<html>maintenance</html>", Times: 1}, "Failed: HTTP 503 Service Unavailable"},
	} {
		h.s.SetFault("primary", "/rest/mirroring/latest/requests/", c.fault)
		h.keys("a")
		h.waitText("Approve mirror request")
		h.keys("y")
		h.waitText(c.want, "Nothing changed")
		if st := h.s.RequestState(pendingID); st != "PENDING" {
			t.Fatalf("after %q the request is %s", c.want, st)
		}
	}
	h.s.SetFault("primary", "/rest/mirroring/latest/requests/", sim.Fault{Delay: 4500 * time.Millisecond, Times: 1})
	h.keys("a", "y")
	h.waitText("Failed: timed out: the request may or may not have reached the server")
	a := h.audit()
	if len(a) != 4 || a[0].Status != 500 || a[1].Status != 409 || a[2].Status != 503 || a[3].Status != 0 {
		t.Errorf("audit: one line per attempt with its status: %+v", a)
	}
	for _, e := range a {
		if e.Outcome != actions.OutcomeFailed {
			t.Errorf("audit outcome %+v", e)
		}
	}
}

// TestE2EConsoleFilterDetailQuit runs the whole program on the simulator:
// live data arrives, a person filters the mismatches, opens one, sees each
// node's clone URL, and quits.
func TestE2EConsoleFilterDetailQuit(t *testing.T) {
	h := newHarness(t, sim.Options{Repos: 40, StuckRepos: 2, FailRate: -1}, nil)
	h.waitText("2/2")
	h.keys("2")
	h.waitText("eu-3", "content")
	h.keys("/eu-3", "enter")
	h.waitText(`filter "eu-3": 2 of 2`)
	h.keys("enter")
	h.wait("detail with clone URLs", func(s string) bool {
		return strings.Contains(s, "Mirror status and clone URLs") && strings.Contains(s, "ERROR_AVAILABLE") && strings.Count(s, "/scm/") >= 3
	})
	if strings.Contains(h.screen(), "harness-pw") {
		t.Error("the password reached the screen")
	}
	h.keys("esc", "q")
	h.tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestE2EAcknowledgeIsKept(t *testing.T) {
	h := newHarness(t, sim.Options{Repos: 30, StuckRepos: 1, FailRate: -1}, func(c *config.Config) { c.Alerts.MaxLag = time.Nanosecond })
	h.keys("2")
	h.waitText("eu-3", "ALERT")
	h.keys("r", "enter", "enter", "disk swap on eu-3", "enter")
	h.waitText("Acknowledged", "ack'd until")
	acks, err := actions.LoadAcks(h.cfg.StateDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	list := acks.List(time.Now())
	if len(list) != 1 || list[0].Farm != "eu" || list[0].Reason != "disk swap on eu-3" || time.Until(list[0].Until) < 50*time.Minute {
		t.Errorf("kept acknowledgements %+v", list)
	}
	if w := h.writes(); len(w) != 0 {
		t.Errorf("an acknowledgement sent %+v", w)
	}
	if a := h.audit(); len(a) != 1 || a[0].Action != actions.KindAcknowledge || a[0].Outcome != actions.OutcomeAcknowledged {
		t.Errorf("audit %+v", a)
	}
}
