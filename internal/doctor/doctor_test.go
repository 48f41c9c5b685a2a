package doctor

import (
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func TestExitCodeAndWorst(t *testing.T) {
	for _, c := range []struct {
		checks []Check
		code   int
		worst  Status
	}{
		{[]Check{{Check: CheckReach, Status: OK}, {Check: CheckAuth, Status: OK}}, ExitOK, OK},
		{[]Check{{Check: CheckReach, Status: OK}, {Check: CheckSSH, Status: Unknown}}, ExitOK, Unknown},
		{[]Check{{Check: CheckReach, Status: OK}, {Check: CheckMembers, Status: Warn}}, ExitWarn, Warn},
		{[]Check{{Check: CheckReach, Status: OK}, {Check: CheckMembers, Status: Warn}, {Check: CheckClock, Status: Fail}}, ExitFail, Fail},
	} {
		r := Report{Checks: c.checks}
		if got := r.ExitCode(); got != c.code {
			t.Errorf("%v: exit %d, want %d", c.checks, got, c.code)
		}
		if got := Worst(c.checks); got != c.worst {
			t.Errorf("%v: worst %s, want %s", c.checks, got, c.worst)
		}
	}
}

// state builds a primary and a farm of two configured nodes, with the
// given clock offsets and diagnostics reading.
func state(offsets map[string]time.Duration, diag model.Diagnostics, members int) *model.State {
	s := model.NewState(model.Spec{PrimaryURL: "https://bb.example.com", Farms: []model.FarmSpec{{Name: "eu", URL: "https://eu.example.com",
		Nodes: []model.NodeSpec{{Name: "eu-1", URL: "https://eu-1.example.com"}, {Name: "eu-2", URL: "https://eu-2.example.com"}}}}})
	s.Apply(model.Reading{Target: model.PrimaryTarget, Endpoint: model.EPStatus, At: t0, Data: model.ServerStatus{State: "RUNNING"}, HasClockOffset: true})
	for _, n := range []string{"eu-1", "eu-2"} {
		off, ok := offsets[n]
		s.Apply(model.Reading{Target: model.TargetID{Farm: "eu", Node: n}, Endpoint: model.EPStatus, At: t0,
			Data: model.ServerStatus{State: "SYNCHRONIZED", MemberCount: members}, ClockOffset: off, HasClockOffset: ok})
	}
	switch diag {
	case model.DiagnosticsOff:
		s.Apply(model.Reading{Target: model.TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: model.EPOutOfSync, At: t0, Data: model.DiagnosticsOff})
	case model.DiagnosticsOn:
		s.Apply(model.Reading{Target: model.TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: model.EPOutOfSync, At: t0, Data: model.NewOutOfSyncRepos([]string{"3"})})
	}
	return s
}

func one(t *testing.T, cs []Check, target string) Check {
	t.Helper()
	for _, c := range cs {
		if c.Target == target {
			return c
		}
	}
	t.Fatalf("no check for %s in %+v", target, cs)
	return Check{}
}

func TestCheckClock(t *testing.T) {
	in := &Input{State: state(map[string]time.Duration{"eu-1": -40 * time.Second, "eu-2": 20 * time.Second}, "", 2),
		Settings: Settings{MaxClockSkew: 30 * time.Second}, Now: t0}
	cs := checkClock(in)
	if c := one(t, cs, "eu/eu-1"); c.Status != Fail || c.Message != "clock 40s behind the primary's: past 30s a mirror cannot authenticate to the primary, so its syncs stall or lag" {
		t.Errorf("eu-1: %+v", c)
	}
	if c := one(t, cs, "eu/eu-2"); c.Status != OK || c.Message != "clock 20s ahead of the primary's" {
		t.Errorf("eu-2: %+v", c)
	}
	in = &Input{State: state(map[string]time.Duration{"eu-1": 0}, "", 2), Settings: Settings{MaxClockSkew: 30 * time.Second}, Now: t0}
	cs = checkClock(in)
	if c := one(t, cs, "eu/eu-2"); c.Status != Unknown {
		t.Errorf("eu-2 without a Date: %+v", c)
	}
	// 0 turns the limit off: the skew is reported, not failed.
	in = &Input{State: state(map[string]time.Duration{"eu-1": -40 * time.Second}, "", 2), Now: t0}
	if c := one(t, checkClock(in), "eu/eu-1"); c.Status != OK || c.Message != "clock 40s behind the primary's" {
		t.Errorf("eu-1 with no limit: %+v", c)
	}
}

func TestCheckMembers(t *testing.T) {
	in := &Input{State: state(nil, "", 2), Now: t0}
	if c := one(t, checkMembers(in), "eu"); c.Status != OK || c.Message != "all 2 members polled at their own URL" {
		t.Errorf("2 of 2: %+v", c)
	}
	in = &Input{State: state(nil, "", 3), Now: t0}
	if c := one(t, checkMembers(in), "eu"); c.Status != Warn || c.Message != "2 of 3 members polled" || c.Fix == "" {
		t.Errorf("2 of 3: %+v", c)
	}
}

func TestCheckDiagnostics(t *testing.T) {
	for diag, want := range map[model.Diagnostics]Check{
		model.DiagnosticsOn:      {Target: "eu", Check: CheckDiag, Status: OK, Message: "on: the farm lists its out-of-sync repositories"},
		model.DiagnosticsUnknown: {Target: "eu", Check: CheckDiag, Status: Unknown, Message: "not read (no node answered out-of-sync-repos)"},
	} {
		if c := one(t, checkDiagnostics(&Input{State: state(nil, diag, 2), Now: t0}), "eu"); c != want {
			t.Errorf("%q: %+v", diag, c)
		}
	}
	c := one(t, checkDiagnostics(&Input{State: state(nil, model.DiagnosticsOff, 2), Now: t0}), "eu")
	if c.Status != OK || c.Message[:len(model.DiagnosticsOffText)] != model.DiagnosticsOffText {
		t.Errorf("off: %+v", c)
	}
}
