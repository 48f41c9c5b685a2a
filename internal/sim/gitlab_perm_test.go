package sim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// answer sends a request and checks its status and exact body.
func (c *glClient) answer(method, path, body string, status int, want string) {
	c.t.Helper()
	ctype := ""
	if body != "" {
		ctype = "application/json"
	}
	r := c.send(method, path, ctype, body)
	if r.status != status || strings.TrimSpace(string(r.body)) != want {
		c.t.Fatalf("%s %s %s: %d %s, want %d %s", method, path, body, r.status, r.body, status, want)
	}
}

// A Reporter's token reads projects but is refused every mirror call as
// GitLab refuses it: 401 on the remote mirrors API, 403 on the pull
// mirror API and on PUT /projects/:id; an unknown project is still 404.
// SetGitLabRole demotes a token at run time.
func TestGitLabPermissions(t *testing.T) {
	s, admin := startGitLab(t, GitLabOptions{Token: "maint", ReporterToken: "rep"})
	rep := newGLClient(t, s, "rep")
	rep.expectStatus(http.MethodGet, "/projects/101", http.StatusOK)
	const unauth, forbidden = `{"message":"401 Unauthorized"}`, `{"message":"403 Forbidden"}`
	rep.answer(http.MethodGet, "/projects/101/remote_mirrors", "", 401, unauth)
	rep.answer(http.MethodPut, "/projects/101/remote_mirrors/301", `{"enabled":false}`, 401, unauth)
	rep.answer(http.MethodPost, "/projects/101/remote_mirrors/301/sync", "", 401, unauth)
	rep.answer(http.MethodDelete, "/projects/101/remote_mirrors/301", "", 401, unauth)
	rep.answer(http.MethodGet, "/projects/105/mirror/pull", "", 403, forbidden)
	rep.answer(http.MethodPut, "/projects/105/mirror/pull", `{"enabled":false}`, 403, forbidden)
	rep.answer(http.MethodPost, "/projects/105/mirror/pull", "", 403, forbidden)
	rep.answer(http.MethodPut, "/projects/105", `{"mirror":false}`, 403, forbidden)
	rep.answer(http.MethodPut, "/projects/999/mirror/pull", `{"enabled":false}`, 404, `{"message":"404 Project Not Found"}`)
	if m := mirrorState(t, s, "platform/api-gateway", "push"); !m.Enabled {
		t.Fatal("a refused call changed the mirror")
	}
	admin.expectStatus(http.MethodGet, "/projects/101/remote_mirrors", http.StatusOK)
	s.SetGitLabRole("maint", GitLabReporter)
	admin.answer(http.MethodPut, "/projects/105/mirror/pull", `{"enabled":false}`, 403, forbidden)
	new(Sim).SetGitLabRole("x", GitLabAdmin) // no GitLab: nothing happens
}

// /application/settings: the mirror settings to an administrator, 403 to
// anyone else.
func TestGitLabApplicationSettings(t *testing.T) {
	s, admin := startGitLab(t, GitLabOptions{Token: "adm", ReporterToken: "rep"})
	var set map[string]any
	admin.getJSON("/application/settings", &set)
	if set["mirror_max_delay"] != float64(300) || set["mirror_max_capacity"] != float64(100) || set["mirror_capacity_threshold"] != float64(50) || set["signup_enabled"] != false {
		t.Fatalf("settings %v", set)
	}
	newGLClient(t, s, "rep").answer(http.MethodGet, "/application/settings", "", 403, `{"message":"403 Forbidden"}`)
	s2, maint := startGitLab(t, GitLabOptions{Token: "maint", NoAdmin: true})
	_ = s2
	maint.answer(http.MethodGet, "/application/settings", "", 403, `{"message":"403 Forbidden"}`)
}

// PUT /projects/:id with the mirror attributes: Grape's validation, 404,
// the URL check, turning the pull mirror off and on, and a new pull mirror.
func TestGitLabPutProject(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{Version: "16.11.2"})
	c.answer(http.MethodPut, "/projects/105", `{"mirror":"sometimes"}`, 400, `{"error":"mirror is invalid"}`)
	c.answer(http.MethodPut, "/projects/105", `{"only_mirror_protected_branches":true,"mirror_branch_regex":"^rel"}`, 400,
		`{"error":"only_mirror_protected_branches, mirror_branch_regex are mutually exclusive"}`)
	c.answer(http.MethodPut, "/projects/105", `{"mirror_user_id":"x"}`, 400, `{"error":"mirror_user_id is invalid"}`)
	c.answer(http.MethodPut, "/projects/105", `{"frobnicate":true}`, 400,
		`{"error":"mirror, import_url, mirror_trigger_builds, only_mirror_protected_branches, mirror_overwrites_diverged_branches, mirror_branch_regex, mirror_user_id, name, description, default_branch, visibility are missing, at least one parameter must be provided"}`)
	c.answer(http.MethodPut, "/projects/999", `{"mirror":false}`, 404, `{"message":"404 Project Not Found"}`)
	c.answer(http.MethodPut, "/projects/105", `{"import_url":"ftp://example.com/x.git"}`, 400,
		`{"message":{"import_url":["is blocked: Only allowed schemes are http, https, ssh, git"]}}`)
	c.answer(http.MethodPut, "/projects/110", `{"mirror":true}`, 400, `{"message":{"import_url":["can't be blank"]}}`)
	if m := mirrorState(t, s, "platform/tools/ci-pipelines", "pull"); !m.Enabled {
		t.Fatal("a refused PUT changed the mirror")
	}

	var p map[string]any
	c.put("/projects/105", `{"mirror":false}`, &p)
	if p["mirror"] != false || p["path_with_namespace"] != "platform/tools/ci-pipelines" {
		t.Fatalf("mirror off: %v", p)
	}
	if m := mirrorState(t, s, "platform/tools/ci-pipelines", "pull"); m.Enabled || !m.NextRun.IsZero() {
		t.Fatalf("mirror off: %+v", m)
	}
	c.answer(http.MethodGet, "/projects/105/mirror/pull", "", 400, `{"message":"The project is not mirrored"}`)
	c.put("/projects/105", "mirror=true&mirror_overwrites_diverged_branches=true", &p)
	if p["mirror"] != true || p["mirror_overwrites_diverged_branches"] != true {
		t.Fatalf("mirror on: %v", p)
	}
	if m := mirrorState(t, s, "platform/tools/ci-pipelines", "pull"); !m.Enabled || m.NextRun.IsZero() || !m.OverwritesDivergedBranches {
		t.Fatalf("mirror on: %+v", m)
	}

	// A project without a mirror gets one; credentials are masked.
	c.put("/projects/110", `{"mirror":true,"import_url":"https://bot:s3cret@example.com/up.git","mirror_trigger_builds":true}`, &p)
	if p["mirror"] != true || p["import_url"] != "https://*****:*****@example.com/up.git" || p["mirror_trigger_builds"] != true {
		t.Fatalf("new pull mirror: %v", p)
	}
	s.Advance(time.Minute)
	if m := mirrorState(t, s, "data/analytics", "pull"); m.UpdateStatus != "finished" || m.LastSuccessfulUpdateAt.IsZero() {
		t.Fatalf("the new pull mirror did not update: %+v", m)
	}
	// The request log keeps the bodies of write calls.
	var bodies []string
	for _, r := range s.Requests() {
		if r.Method == http.MethodPut && r.Path == "/api/v4/projects/105" {
			bodies = append(bodies, r.Body)
		}
	}
	if len(bodies) < 2 || bodies[len(bodies)-2] != `{"mirror":false}` || bodies[len(bodies)-1] != "mirror=true&mirror_overwrites_diverged_branches=true" {
		t.Fatalf("logged bodies %q", bodies)
	}
}

// A push mirror whose last update started within its back-off delays a
// sync by the back-off (1 minute with only_protected_branches, else 5),
// still answering 204; the pull mirror API's URL is checked as GitLab does.
func TestGitLabSyncBackoffAndURL(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{})
	c.expectStatus(http.MethodPost, "/projects/101/remote_mirrors/301/sync", http.StatusNoContent)
	s.Advance(10 * time.Second)
	first := mirrorState(t, s, "platform/api-gateway", "push")
	c.expectStatus(http.MethodPost, "/projects/101/remote_mirrors/301/sync", http.StatusNoContent)
	s.Advance(4*time.Minute + 40*time.Second)
	if m := mirrorState(t, s, "platform/api-gateway", "push"); !m.LastUpdateStartedAt.Equal(first.LastUpdateStartedAt) {
		t.Fatalf("the sync was not delayed: %+v", m)
	}
	s.Advance(30 * time.Second)
	if m := mirrorState(t, s, "platform/api-gateway", "push"); !m.LastUpdateStartedAt.After(first.LastUpdateStartedAt) {
		t.Fatalf("the delayed sync never ran: %+v", m)
	}
	// only_protected_branches: a one-minute back-off.
	var put map[string]any
	c.put("/projects/101/remote_mirrors/301", `{"only_protected_branches":true}`, &put)
	s.Advance(10 * time.Second)
	before := mirrorState(t, s, "platform/api-gateway", "push")
	c.expectStatus(http.MethodPost, "/projects/101/remote_mirrors/301/sync", http.StatusNoContent)
	s.Advance(30 * time.Second)
	if m := mirrorState(t, s, "platform/api-gateway", "push"); !m.LastUpdateStartedAt.Equal(before.LastUpdateStartedAt) {
		t.Fatalf("protected: not delayed: %+v", m)
	}
	s.Advance(time.Minute)
	if m := mirrorState(t, s, "platform/api-gateway", "push"); !m.LastUpdateStartedAt.After(before.LastUpdateStartedAt) {
		t.Fatalf("protected: the delayed sync never ran: %+v", m)
	}
	c.answer(http.MethodPut, "/projects/105/mirror/pull", `{"url":"file:///etc/passwd"}`, 400,
		`{"message":{"import_url":["is blocked: Only allowed schemes are http, https, ssh, git"]}}`)
	c.answer(http.MethodPut, "/projects/105/mirror/pull", `{"enabled":"maybe"}`, 400, `{"error":"enabled is invalid"}`)
	c.answer(http.MethodPut, "/projects/101/remote_mirrors/399", `{"enabled":true}`, 404, `{"message":"404 Not found"}`)
}
