package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/actions"
)

// fakeRunner records what the console asks it to run.
type fakeRunner struct {
	ran  []actions.Plan
	acks *actions.AckStore
}

func (f *fakeRunner) Describe(p actions.Plan) []string {
	var out []string
	for _, s := range p.Steps {
		base := "https://bb"
		if s.GitLab != "" {
			base = "https://gl/api/v4/"
		}
		out = append(out, actions.RequestText(base, s.Call))
	}
	return out
}

func (f *fakeRunner) Execute(_ context.Context, p actions.Plan) actions.Result {
	f.ran = append(f.ran, p)
	if p.Ack != nil && f.acks != nil {
		_ = f.acks.Add(*p.Ack)
		return actions.Result{Plan: p, At: t0, Outcome: actions.OutcomeAcknowledged, Message: "Acknowledged " + p.Ack.Repo}
	}
	return actions.Result{Plan: p, At: t0, Outcome: actions.OutcomeDone, Message: p.Title + ": done.",
		Steps: []actions.StepResult{{Status: 200}}, By: actions.Actor{User: "alice"}}
}

func actionModel(t *testing.T, ro bool) (*Model, *fakeRunner, *fakeControl) {
	acks, err := actions.LoadAcks(t.TempDir(), func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeRunner{acks: acks}
	m, ctl := newTestModel(t, 120, 40, func(o *Options) { o.Actions, o.Acks, o.ReadOnly, o.User = r, acks, ro, "alice" })
	return m, r, ctl
}

// drive runs the command a key returned and feeds its result back, as the
// program would.
func drive(m *Model, keys ...string) {
	for _, msg := range runBatch(press(m, keys...)) {
		m.Update(msg)
	}
}

func TestApproveNeedsConfirmation(t *testing.T) {
	m, r, ctl := actionModel(t, false)
	press(m, "4", "a")
	s := plain(m)
	for _, want := range []string{"Approve mirror request 7 from apac (https://mirror-apac.example.com)", "POST https://bb/rest/mirroring/latest/requests/7/accept", "[N] no"} {
		if !strings.Contains(s, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, s)
		}
	}
	drive(m, "n")
	if len(r.ran) != 0 || !strings.Contains(plain(m), "cancelled: nothing was sent") {
		t.Fatal("anything but y cancels")
	}
	press(m, "a")
	drive(m, "enter") // focus is on No: enter is not y
	if len(r.ran) != 0 {
		t.Fatal("enter must not confirm")
	}
	press(m, "a")
	drive(m, "y")
	if len(r.ran) != 1 || r.ran[0].Kind != actions.KindApprove || ctl.refreshes != 1 {
		t.Fatalf("ran %+v, refreshes %d", r.ran, ctl.refreshes)
	}
	if s := plain(m); !strings.Contains(s, "Approve mirror request 7 from apac (https://mirror-apac.example.com): done.") {
		t.Errorf("status line:\n%s", s)
	}
	press(m, "7")
	if s := plain(m); !strings.Contains(s, "action") || !strings.Contains(s, "done: Approve mirror request 7") {
		t.Errorf("events pane:\n%s", s)
	}
}

func TestReadOnlyRemovesActions(t *testing.T) {
	m, r, _ := actionModel(t, true)
	press(m, "4", "a", "x")
	press(m, "2", "s", "r")
	if m.dialog != nil || len(r.ran) != 0 {
		t.Fatal("read-only mode ran an action")
	}
	if want := "read-only: resolve is not available in this console"; m.status != want {
		t.Errorf("status after a refused key: %q, want %q", m.status, want)
	}
	m.status = ""
	press(m, "?")
	if s := plain(m); strings.Contains(s, "approve") || strings.Contains(s, "resolve") || !strings.Contains(s, "RO") {
		t.Errorf("help in read-only mode:\n%s", s)
	}
}

func TestSyncOn9xSaysNothingIsSent(t *testing.T) {
	m, r, _ := actionModel(t, false)
	drive(m, "2", "s") // WEB/billing on eu, a 9.x farm
	if len(r.ran) != 1 || len(r.ran[0].Steps) != 0 || !strings.Contains(r.ran[0].Note, "no REST call that triggers a sync") {
		t.Fatalf("9.x sync plan %+v", r.ran)
	}
	if m.dialog != nil {
		t.Error("no confirmation for a plan that sends nothing")
	}
}

func TestResolveAcknowledge(t *testing.T) {
	m, r, _ := actionModel(t, false)
	if !strings.Contains(plain(m), "8 ALERTS") {
		t.Fatalf("fixture alerts:\n%s", plain(m))
	}
	press(m, "2", "r")
	if s := plain(m); !strings.Contains(s, "Resolve WEB/billing on farm eu") || !strings.Contains(s, "acknowledge") || !strings.Contains(s, "manual") {
		t.Fatalf("chooser:\n%s", s)
	}
	press(m, "enter")      // acknowledge
	press(m, "j", "enter") // 4 hours
	press(m, "known issue on eu-3")
	drive(m, "enter")
	if len(r.ran) != 1 || r.ran[0].Ack == nil || r.ran[0].Ack.Reason != "known issue on eu-3" || r.ran[0].Ack.Until != t0.Add(4*time.Hour) || r.ran[0].Ack.By != "alice" {
		t.Fatalf("ack plan %+v", r.ran)
	}
	s := plain(m)
	if !strings.Contains(s, "ack'd until 16:00") || !strings.Contains(s, "7 ALERTS") {
		t.Errorf("acknowledged row and alert count:\n%s", s)
	}
}

func TestReseedNeedsTypedProjectKey(t *testing.T) {
	m, r, _ := actionModel(t, false)
	m.state.Farm("eu").Settings.Mode = "SELECTED_PROJECTS"
	m.state.Farm("eu").Settings.ProjectIDs = []string{"1", "2", "3"}
	press(m, "2", "r", "j", "j", "enter") // re-seed
	if s := plain(m); !strings.Contains(s, "Re-seed project WEB on farm eu") || !strings.Contains(s, `Type "WEB"`) ||
		!strings.Contains(s, "DELETE https://bb/rest/mirroring/latest/syncSettings/projects/2") {
		t.Fatalf("re-seed confirmation:\n%s", s)
	}
	press(m, "WEX")
	drive(m, "enter")
	if len(r.ran) != 0 || !strings.Contains(plain(m), "did not match") {
		t.Fatal("a wrong typed confirmation must send nothing")
	}
	press(m, "r", "j", "j", "enter", "WEB")
	drive(m, "enter")
	if len(r.ran) != 1 || r.ran[0].Kind != actions.KindReseed {
		t.Fatalf("ran %+v", r.ran)
	}
}

func TestActionCannotFireTwice(t *testing.T) {
	m, r, _ := actionModel(t, false)
	press(m, "4", "a")
	cmd := press(m, "y") // running: its result has not come back
	press(m, "a", "y")
	if !strings.Contains(plain(m), "already running") {
		t.Errorf("second approve while the first runs:\n%s", plain(m))
	}
	for _, msg := range runBatch(cmd) {
		m.Update(msg)
	}
	if len(r.ran) != 1 {
		t.Errorf("ran %d times", len(r.ran))
	}
}

func TestProjectSelectionFromFarmDetail(t *testing.T) {
	m, r, _ := actionModel(t, false)
	press(m, "j", "enter") // farm us: selected projects (PLAT)
	press(m, "+")
	if s := plain(m); !strings.Contains(s, "Add which project to farm us?") || !strings.Contains(s, "DATA") || strings.Contains(s, "> PLAT") {
		t.Fatalf("add chooser:\n%s", s)
	}
	press(m, "enter")
	if s := plain(m); !strings.Contains(s, "Mirror project DATA on farm us") || !strings.Contains(s, "POST https://bb/rest/mirroring/latest/upstreamServers/f76a35c5/settings/projects/3") {
		t.Fatalf("add confirmation:\n%s", s)
	}
	drive(m, "y")
	press(m, "*")
	if s := plain(m); !strings.Contains(s, "cannot be undone") || !strings.Contains(s, `Type "us"`) {
		t.Fatalf("mirror all confirmation:\n%s", s)
	}
	press(m, "us")
	drive(m, "enter")
	if len(r.ran) != 2 || r.ran[1].Kind != actions.KindMirrorAll {
		t.Fatalf("ran %+v", r.ran)
	}
}

func TestGitLabActions(t *testing.T) {
	m, r, _ := actionModel(t, false)
	press(m, "6", "j", "j", "j") // platform/api push mirror 12 (diverged)
	// Its last update started 1m12s ago: GitLab would delay another by 5
	// minutes, so the press is refused with the time, and nothing runs.
	drive(m, "s")
	if s := plain(m); !strings.Contains(s, "Not sent: GitLab would not update the platform/api push mirror before 12:03:48") || len(r.ran) != 0 {
		t.Fatalf("early sync: ran %d\n%s", len(r.ran), s)
	}
	press(m, "enter")
	if s := plain(m); !strings.Contains(s, "Update now    allowed 12:03:48 (in 4m)") {
		t.Fatalf("detail:\n%s", s)
	}
	press(m, "esc")
	later := t0.Add(4 * time.Minute)
	m.opt.Now = func() time.Time { return later }
	m.Update(tickMsg(later))
	press(m, "s")
	if s := plain(m); !strings.Contains(s, "Update the platform/api push mirror now") || !strings.Contains(s, "POST https://gl/api/v4/projects/platform%2Fapi/remote_mirrors/12/sync") {
		t.Fatalf("sync confirmation:\n%s", s)
	}
	drive(m, "y")
	if len(r.ran) != 1 || r.ran[0].Kind != actions.KindGitLabSync {
		t.Fatalf("ran %+v", r.ran)
	}
	press(m, "r")
	s := plain(m)
	for _, want := range []string{"Resolve the platform/api push mirror", "Diverged: refs/heads/main, refs/heads/develop", "ours:", "theirs:", "manual:", "abort:"} {
		if !strings.Contains(s, want) {
			t.Errorf("chooser lacks %q:\n%s", want, s)
		}
	}
	press(m, "enter") // ours: destroys remote-only commits, so the project path is typed
	if s := plain(m); !strings.Contains(s, `Type "platform/api"`) || !strings.Contains(s, `{"keep_divergent_refs":false}`) || !strings.Contains(s, "are lost") {
		t.Fatalf("ours confirmation:\n%s", s)
	}
	press(m, "platform/api")
	drive(m, "enter")
	if len(r.ran) != 2 || r.ran[1].Kind != actions.KindGitLabOurs {
		t.Fatalf("ran %+v", r.ran)
	}
	press(m, "r", "j", "j", "enter") // manual
	if s := plain(m); !strings.Contains(s, "Reconcile by hand") || !strings.Contains(s, "git log --oneline refs/heads/develop..refs/remote/develop") {
		t.Errorf("manual view:\n%s", s)
	}
	// A refused update because the pull mirror is on pause marks it PAUSED.
	press(m, "esc")
	etl := m.state.GitLabInstance("gitlab").Mirror("gitlab/data/etl/pull/21")
	m.Update(actionResultMsg{res: actions.Result{Plan: actions.PlanGitLabSync(&etl.GitLabMirror), At: t0, Outcome: actions.OutcomeFailed, Paused: true, Message: "Paused: …"}})
	if g := m.state.GitLabInstance("gitlab").Mirror("gitlab/data/etl/pull/21"); g == nil || !g.Paused {
		t.Errorf("pause not recorded: %+v", g)
	}
}
