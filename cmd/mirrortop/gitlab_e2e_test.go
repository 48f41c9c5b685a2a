package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// gitlabHarness is the console on a simulator with Bitbucket and GitLab,
// on the GitLab pane.
func gitlabHarness(t *testing.T, mod func(*config.Config)) *harness {
	h := newHarness(t, sim.Options{Repos: 20, GitLab: &sim.GitLabOptions{Token: "glpat-e2e"}}, mod)
	h.keys("6")
	h.waitText("platform/web-frontend", "DIVERGED", "platform/auth-service", "STUCK")
	return h
}

// selectRow moves the selection to the row that contains all texts.
func (h *harness) selectRow(texts ...string) {
	h.t.Helper()
	h.keys("g")
	for i := 0; i < 30; i++ {
		if h.selectedHas(texts...) {
			return
		}
		h.keys("j")
	}
	h.t.Fatalf("no row with %v:\n%s", texts, h.screen())
}

// selectedHas reports whether the selected row (the one drawn in reverse
// video, recognisable in the probe's frame by the model's selection) has
// all texts: the detail view of the selection is used to read it.
func (h *harness) selectedHas(texts ...string) bool {
	h.keys("enter")
	s := h.screen()
	h.keys("esc")
	for _, t := range texts {
		if !strings.Contains(s, t) {
			return false
		}
	}
	return true
}

func TestE2EGitLabWatchAndSync(t *testing.T) {
	h := gitlabHarness(t, nil)
	for _, want := range []string{"platform/tools/helm-charts", "data/data-lake", "NEVER SYNCED", "2 diverged: refs/heads/main refs/heads/develop"} {
		h.waitText(want)
	}
	h.keys("1")
	h.waitText("gitlab", "GitLab")
	h.keys("6")
	h.selectRow("platform/api-gateway", "push mirror 301")
	h.keys("s")
	h.waitText("Update the platform/api-gateway push mirror now", "/projects/platform%2Fapi-gateway/remote_mirrors/301/sync")
	h.keys("y")
	h.waitText("GitLab accepted the update request (HTTP 204)")
	h.s.Advance(time.Minute)
	h.keys("ctrl+r")
	// The paused pull mirror: GitLab refuses, and the pane says PAUSED.
	h.selectRow("platform/tools/infra-terraform", "pull mirror")
	h.keys("s", "y")
	h.waitText("Paused: GitLab stopped updating this pull mirror")
	h.wait("PAUSED row", func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "infra-terraform") && strings.Contains(l, "PAUSED") {
				return true
			}
		}
		return false
	})
	a := h.audit()
	if len(a) != 2 || a[0].Status != http.StatusNoContent || a[1].Status != http.StatusForbidden {
		t.Errorf("audit %+v", a)
	}
}

func TestE2EGitLabResolveOursAndTheirs(t *testing.T) {
	h := gitlabHarness(t, nil)
	// Push mirror, ours: the remote is made to match; typed project path.
	h.selectRow("platform/web-frontend", "push mirror")
	h.keys("r")
	h.waitText("Resolve the platform/web-frontend push mirror", "Diverged: refs/heads/main, refs/heads/develop")
	h.keys("enter")
	h.waitText(`Type "platform/web-frontend"`, `{"keep_divergent_refs":false}`)
	h.keys("platform/web-frontend", "enter")
	h.waitText("GitLab accepted")
	h.s.Advance(time.Minute)
	if m, _ := h.s.GitLabMirror("platform/web-frontend", "push"); m.UpdateStatus != "finished" || m.KeepDivergentRefs {
		t.Fatalf("after ours: %+v", m)
	}
	h.keys("ctrl+r")
	h.wait("web-frontend recovers", func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "platform/web-frontend") && strings.Contains(l, " OK ") {
				return true
			}
		}
		return false
	})
	// Pull mirror, theirs: the upstream wins; typed project path.
	h.selectRow("platform/tools/helm-charts", "pull mirror")
	h.keys("r", "j", "enter")
	h.waitText(`Type "platform/tools/helm-charts"`, `{"mirror_overwrites_diverged_branches":true}`)
	h.keys("platform/tools/helm-charts", "enter")
	h.waitText("GitLab accepted")
	h.s.Advance(time.Minute)
	if m, _ := h.s.GitLabMirror("platform/tools/helm-charts", "pull"); m.UpdateStatus != "finished" {
		t.Fatalf("after theirs: %+v", m)
	}
	a := h.audit()
	if len(a) != 4 || a[0].Action != actions.KindGitLabOurs || a[2].Action != actions.KindGitLabTheirs {
		t.Errorf("audit %+v", a)
	}
}

func TestE2EGitLabAcknowledgeManualAbort(t *testing.T) {
	h := gitlabHarness(t, nil)
	// Push mirror, theirs: keep the remote's commits; keep_divergent_refs on and acknowledge.
	h.selectRow("platform/web-frontend", "push mirror")
	h.keys("r", "j", "enter", "enter", "hotfixes live on the remote", "enter")
	h.waitText(`{"keep_divergent_refs":true}`)
	h.keys("y")
	h.waitText("DIVERGED (ack)")
	// The acknowledgement shows as soon as it is recorded, a moment before
	// its audit line is written.
	h.wait("the acknowledgement audited", func(string) bool { return len(h.audit()) >= 2 })
	if a := h.audit(); len(a) != 2 || a[0].Status != http.StatusOK || a[1].Action != actions.KindAcknowledge || !strings.Contains(a[1].Message, "hotfixes live on the remote") {
		t.Errorf("audit %+v", a)
	}
	// Manual: the refs and the commands.
	h.keys("r", "j", "j", "enter")
	h.waitText("Reconcile by hand", "git log --oneline refs/heads/main..refs/remote/main")
	h.keys("esc")
	// Abort: disable the stuck mirror.
	h.selectRow("platform/auth-service", "push mirror")
	h.keys("r", "j", "j", "j", "enter")
	h.waitText("Disable the platform/auth-service push mirror", `{"enabled":false}`)
	h.keys("y")
	h.waitText("done")
	if m, _ := h.s.GitLabMirror("platform/auth-service", "push"); m.Enabled {
		t.Errorf("abort did not disable: %+v", m)
	}
}

func TestE2EGitLabReadOnlyAndRateLimit(t *testing.T) {
	h := gitlabHarness(t, func(c *config.Config) { c.ReadOnly = true })
	h.keys("s", "y", "r", "enter", "y", "esc")
	for _, r := range h.writes() {
		if r.Target == "gitlab" {
			t.Errorf("read-only sent %+v", r)
		}
	}
	// A 429 with Retry-After: the pane says so, the console keeps answering,
	// Bitbucket keeps updating.
	h.s.SetFault("gitlab", "/api/v4/projects/", sim.Fault{Status: 429, RetryAfter: 30 * time.Second})
	h.keys("ctrl+r")
	h.waitText("HTTP 429 Too Many Requests")
	before := h.s.RequestCount("gitlab", "/api/v4/projects/")
	h.keys("2")
	h.waitText("Mismatches")
	h.keys("1")
	h.waitText("SYNCHRONIZED")
	time.Sleep(500 * time.Millisecond)
	if after := h.s.RequestCount("gitlab", "/api/v4/projects/"); after-before > 15 {
		t.Errorf("%d requests to GitLab despite Retry-After", after-before)
	}
}

// e pauses an enabled mirror and resumes it: the exact request reaches the
// simulated GitLab each time, and each is audited.
func TestE2EGitLabPauseResume(t *testing.T) {
	h := gitlabHarness(t, nil)
	h.selectRow("platform/billing", "push mirror")
	m, _ := h.s.GitLabMirror("platform/billing", "push")
	if !m.Enabled {
		t.Fatal("the simulator's billing push mirror starts disabled")
	}
	h.keys("e")
	h.waitText("Pause the platform/billing push mirror", "PUT ", fmt.Sprintf("/remote_mirrors/%d", m.ID), `{"enabled":false}`)
	h.keys("y")
	h.waitText("done")
	if m, _ := h.s.GitLabMirror("platform/billing", "push"); m.Enabled {
		t.Fatal("pause did not disable the mirror")
	}
	// This mirror's row, not another's: other mirrors may read DISABLED.
	h.wait("the mirror read as disabled", func(string) bool {
		h.keys("ctrl+r")
		h.selectRow("platform/billing", "push mirror")
		return h.selectedHas("platform/billing", "push mirror", "DISABLED", "enabled false")
	})
	h.keys("e")
	h.waitText("Resume the platform/billing push mirror", `{"enabled":true}`)
	h.keys("y")
	h.wait("the resume audited", func(string) bool { return len(h.audit()) >= 2 })
	if m, _ := h.s.GitLabMirror("platform/billing", "push"); !m.Enabled {
		t.Fatal("resume did not enable the mirror")
	}
	a := h.audit()
	if a[0].Action != actions.KindGitLabPause || a[1].Action != actions.KindGitLabResume || a[0].Status != http.StatusOK ||
		!strings.HasSuffix(a[0].Request, fmt.Sprintf(`/remote_mirrors/%d {"enabled":false}`, m.ID)) {
		t.Errorf("audit %+v", a)
	}
}

// d deletes a push mirror once its project's path is typed: a wrong path
// sends nothing; the right one sends exactly the DELETE, and the mirror is
// gone from GitLab and, at the next reading, from the pane. A pull mirror
// is not deleted.
func TestE2EGitLabDeletePushMirror(t *testing.T) {
	h := gitlabHarness(t, nil)
	h.selectRow("platform/tools/helm-charts", "pull mirror")
	h.keys("d")
	h.waitText("only a push mirror is deleted")
	h.selectRow("platform/billing", "push mirror")
	m, _ := h.s.GitLabMirror("platform/billing", "push")
	h.keys("d")
	h.waitText("Delete the platform/billing push mirror", "DELETE ", fmt.Sprintf("/remote_mirrors/%d", m.ID), `Type "platform/billing"`)
	h.keys("platform/bill", "enter")
	h.waitText("did not match")
	before := len(h.writes())
	h.keys("d")
	h.waitText("Delete the platform/billing push mirror")
	h.keys("platform/billing", "enter")
	h.waitText("done")
	w := h.writes()[before:]
	if len(w) != 1 || w[0].Method != http.MethodDelete || !strings.HasSuffix(w[0].Path, fmt.Sprintf("/remote_mirrors/%d", m.ID)) {
		t.Fatalf("delete requests %+v", w)
	}
	if _, ok := h.s.GitLabMirror("platform/billing", "push"); ok {
		t.Fatal("the mirror is still in GitLab")
	}
	if a := h.audit(); len(a) != 1 || a[0].Action != actions.KindGitLabDelete || a[0].Status != http.StatusNoContent {
		t.Errorf("audit %+v", a)
	}
}
