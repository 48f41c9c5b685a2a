package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// gitlabHarnessWith is gitlabHarness on a simulated GitLab of given options.
func gitlabHarnessWith(t *testing.T, o sim.GitLabOptions, mod func(*config.Config)) *harness {
	if o.Token == "" {
		o.Token = "glpat-e2e"
	}
	h := newHarness(t, sim.Options{Repos: 20, GitLab: &o}, mod)
	h.keys("6")
	h.waitText("platform/web-frontend", "platform/tools/ci-pipelines")
	return h
}

// rowHas reports whether a line of the screen has all texts.
func rowHas(screen string, texts ...string) bool {
	for _, l := range strings.Split(screen, "\n") {
		if containsAll(l, texts...) {
			return true
		}
	}
	return false
}

// "Update now" respected: a press GitLab would run is sent and followed
// through the next readings to its end (an event, the detail); a press
// within GitLab's limit is refused with the time it is allowed, and
// nothing reaches GitLab; a failing update is reported failed, with
// GitLab's error.
func TestE2EGitLabUpdateNowRespected(t *testing.T) {
	h := gitlabHarness(t, nil)
	h.selectRow("platform/api-gateway", "push mirror 301", "Update now", "allowed now")
	h.keys("s")
	h.waitText("Update the platform/api-gateway push mirror now")
	h.keys("y")
	h.waitText("GitLab accepted the update request (HTTP 204)")
	h.s.Advance(10 * time.Second) // the update runs and finishes
	h.wait("the update followed to its end", func(string) bool {
		h.keys("ctrl+r")
		h.keys("7")
		s := h.screen()
		h.keys("6")
		return strings.Contains(s, "update now: finished")
	})
	w := h.gitlabWrites()
	if len(w) != 1 || w[0].Method != http.MethodPost || w[0].Path != "/api/v4/projects/platform/api-gateway/remote_mirrors/301/sync" || w[0].Body != "" {
		t.Fatalf("sync requests %+v", w)
	}
	// Again at once: GitLab would delay it 5 minutes; nothing is sent.
	h.selectRow("platform/api-gateway", "push mirror 301", "Last request", "finished")
	h.keys("s")
	h.waitText("Not sent: GitLab would not update the platform/api-gateway push mirror before")
	time.Sleep(300 * time.Millisecond)
	if w := h.gitlabWrites(); len(w) != 1 {
		t.Fatalf("an early press reached GitLab: %+v", w[1:])
	}
	h.keys("enter")
	h.waitText("Update now", "allowed ", "(in ")
	h.keys("esc")

	// A failing mirror: the readings show the update failed, never an
	// assumed success.
	h.selectRow("platform/billing", "push mirror")
	h.keys("s", "y")
	h.waitText("GitLab accepted the update request")
	h.s.Advance(10 * time.Second)
	h.wait("the failure reported", func(string) bool {
		h.keys("ctrl+r")
		h.keys("7")
		s := h.screen()
		h.keys("6")
		return strings.Contains(s, "update now: failed: remote: GitLab: You are not allowed to push code to protected branches")
	})
	if a := h.audit(); len(a) != 2 || a[0].Action != actions.KindGitLabSync || a[0].Status != http.StatusNoContent || a[1].Status != http.StatusNoContent {
		t.Errorf("audit %+v", a)
	}
}

// Before GitLab 17.5, e on a pull mirror goes through the project's
// mirror attribute: exactly PUT /projects/:id {"mirror":false}; the plan
// says which version decided it, and the pane then reads DISABLED.
func TestE2EGitLabPullPauseOldVersion(t *testing.T) {
	h := gitlabHarnessWith(t, sim.GitLabOptions{Version: "16.11.2"}, nil)
	h.selectRow("platform/tools/ci-pipelines", "pull mirror")
	h.keys("e")
	h.waitText("Pause the platform/tools/ci-pipelines pull mirror", "GitLab 16.11.2-ee is older than 17.5",
		"PUT ", "/projects/platform%2Ftools%2Fci-pipelines {\"mirror\":false}")
	h.keys("y")
	h.waitText("done")
	w := h.gitlabWrites()
	if len(w) != 1 || w[0].Method != http.MethodPut || w[0].Path != "/api/v4/projects/platform/tools/ci-pipelines" || w[0].Body != `{"mirror":false}` || w[0].Status != http.StatusOK {
		t.Fatalf("pause requests %+v", w)
	}
	h.wait("the pull mirror read as disabled", func(s string) bool {
		h.keys("ctrl+r")
		return rowHas(h.screen(), "platform/tools/ci-pipelines", "DISABLED")
	})
	if a := h.audit(); len(a) != 1 || a[0].Action != actions.KindGitLabPause || !strings.HasSuffix(a[0].Request, `/projects/platform%2Ftools%2Fci-pipelines {"mirror":false}`) {
		t.Errorf("audit %+v", a)
	}
	// Resumed the same way.
	h.selectRow("platform/tools/ci-pipelines", "pull mirror")
	h.keys("e")
	h.waitText("Resume the platform/tools/ci-pipelines pull mirror", `{"mirror":true}`)
	h.keys("y")
	h.wait("the resume audited", func(string) bool { return len(h.audit()) >= 2 })
	if m, _ := h.s.GitLabMirror("platform/tools/ci-pipelines", "pull"); !m.Enabled {
		t.Fatalf("not resumed: %+v", m)
	}
}

// Read-only: e and s on a pull mirror of an old GitLab send nothing.
func TestE2EGitLabReadOnlyOldVersion(t *testing.T) {
	h := gitlabHarnessWith(t, sim.GitLabOptions{Version: "16.11.2"}, func(c *config.Config) { c.ReadOnly = true })
	h.selectRow("platform/tools/ci-pipelines", "pull mirror")
	h.keys("e", "y", "s", "y")
	time.Sleep(300 * time.Millisecond)
	if w := h.gitlabWrites(); len(w) != 0 {
		t.Fatalf("read-only sent %+v", w)
	}
}

// GitLab's refusals reach the operator as a clear message: a token
// demoted below Maintainer gets 403 on the pull mirror API, and a sync of
// a disabled push mirror is refused as invalid (400), each audited.
func TestE2EGitLabRefusals(t *testing.T) {
	h := gitlabHarness(t, nil)
	h.selectRow("platform/api-gateway", "push mirror 302")
	h.keys("s", "y")
	h.waitText("GitLab refused the request as invalid (HTTP 400: Cannot proceed with the push mirroring.")
	h.selectRow("platform/tools/ci-pipelines", "pull mirror")
	h.s.SetGitLabRole("glpat-e2e", sim.GitLabReporter)
	h.keys("e")
	h.waitText("Pause the platform/tools/ci-pipelines pull mirror")
	h.keys("y")
	h.waitText("Refused by GitLab (HTTP 403 Forbidden: 403 Forbidden)")
	if m, _ := h.s.GitLabMirror("platform/tools/ci-pipelines", "pull"); !m.Enabled {
		t.Fatal("a refused pause changed the mirror")
	}
	a := h.audit()
	if len(a) != 2 || a[0].Status != http.StatusBadRequest || a[1].Status != http.StatusForbidden || a[1].Outcome != actions.OutcomeFailed ||
		!strings.Contains(a[1].Message, "at least a Maintainer") {
		t.Errorf("audit %+v", a)
	}
	for _, e := range a {
		if strings.Contains(e.Message+e.Request, "glpat-e2e") {
			t.Errorf("the token in the audit: %+v", e)
		}
	}
}

// The instance's mirror capacity: shown in the GitLab line's detail with
// an administrator's token; without, said once, read once.
func TestE2EGitLabMirrorCapacity(t *testing.T) {
	h := gitlabHarness(t, nil)
	h.keys("1")
	h.wait("the settings read", func(string) bool {
		h.keys("g", "j", "j")
		return h.selectedHas("Mirror capacity", "100 updates at once (mirror_max_capacity)", "when 50 slots are free", "at most 300 min", "Version", "18.4.1-ee")
	})

	n := gitlabHarnessWith(t, sim.GitLabOptions{NoAdmin: true}, nil)
	n.keys("1")
	n.wait("the refusal read", func(string) bool {
		n.keys("g", "j", "j")
		return n.selectedHas("Mirror capacity", "instance mirror settings need an admin token")
	})
	time.Sleep(time.Second) // several slow rounds: the settings are not asked again
	if c := n.s.RequestCount("gitlab", "/api/v4/application/settings"); c != 1 {
		t.Errorf("application settings read %d times", c)
	}
}
