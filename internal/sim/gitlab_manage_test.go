package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// POST …/remote_mirrors makes a push mirror that GitLab lists with its
// credentials masked, disabled unless enabled=true; bad requests answer
// GitLab's 400s and an unknown project 404; the new mirror then updates
// after a push to the project.
func TestGitLabAddRemoteMirror(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{})
	const path = "/projects/data%2Fanalytics/remote_mirrors"
	post := func(body string) resp {
		t.Helper()
		return c.send(http.MethodPost, path, "application/json", body)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"enabled":true}`, `{"error":"url is missing"}`},
		{`{"url":"ftp://example.com/x.git"}`, `{"message":{"url":["is blocked: Only allowed schemes are http, https, ssh, git"]}}`},
		{`{"url":"https:///x.git"}`, `{"message":{"url":["is blocked: URI is invalid"]}}`},
		{`{"url":"https://example.com/x.git","auth_method":"kerberos"}`, `{"error":"auth_method does not have a valid value"}`},
		{`{"url":"https://example.com/x.git","only_protected_branches":false,"mirror_branch_regex":"^rel"}`, `{"error":"only_protected_branches, mirror_branch_regex are mutually exclusive"}`},
	} {
		r := post(tc.body)
		if r.status != http.StatusBadRequest || strings.TrimSpace(string(r.body)) != tc.want {
			t.Errorf("%s: %d %s, want 400 %s", tc.body, r.status, r.body, tc.want)
		}
	}
	if r := c.send(http.MethodPost, "/projects/nope%2Fnone/remote_mirrors", "application/json", `{"url":"https://example.com/x.git"}`); r.status != http.StatusNotFound {
		t.Errorf("unknown project: %d %s", r.status, r.body)
	}
	if _, found := s.GitLabMirror("data/analytics", "push"); found {
		t.Fatal("a refused request made a mirror")
	}

	r := post(`{"url":"https://bot:s3cr%2Ft@example.com/x.git","enabled":true,"auth_method":"password","keep_divergent_refs":true,"only_protected_branches":true}`)
	var got map[string]any
	c.decode(http.MethodPost, path, r, http.StatusCreated, &got)
	if got["url"] != "https://*****:*****@example.com/x.git" || got["enabled"] != true || got["update_status"] != "none" ||
		got["keep_divergent_refs"] != true || got["only_protected_branches"] != true || got["auth_method"] != "password" {
		t.Errorf("created %s", r.body)
	}
	if strings.Contains(string(r.body), "s3cr") {
		t.Fatal("the answer carries the password")
	}
	id := int(got["id"].(float64))
	var list []map[string]any
	c.getJSON("/projects/data%2Fanalytics/remote_mirrors", &list)
	if len(list) != 1 || int(list[0]["id"].(float64)) != id || strings.Contains(string(mustJSON(t, list)), "s3cr") {
		t.Fatalf("list %v", list)
	}
	// A password mirror has no public key.
	c.expectStatus(http.MethodGet, "/projects/data%2Fanalytics/remote_mirrors/"+strconv.Itoa(id)+"/public_key", http.StatusNotFound)

	// The next push to the project updates the new mirror.
	s.GitLabPush("data/analytics")
	s.Advance(30 * time.Second)
	if m := mirrorState(t, s, "data/analytics", "push"); m.UpdateStatus != "finished" || m.LastSuccessfulUpdateAt.IsZero() {
		t.Errorf("after a push: %+v", m)
	}

	// Without enabled, a new mirror is disabled.
	r = post(`{"url":"ssh://git@backup.example.com/x.git","auth_method":"ssh_public_key"}`)
	c.decode(http.MethodPost, path, r, http.StatusCreated, &got)
	if got["enabled"] != false || got["url"] != "ssh://git@backup.example.com/x.git" {
		t.Errorf("created %s", r.body)
	}
	ssh := strconv.Itoa(int(got["id"].(float64)))
	if ssh == strconv.Itoa(id) {
		t.Fatal("the same id twice")
	}
	var key map[string]string
	c.getJSON("/projects/data%2Fanalytics/remote_mirrors/"+ssh+"/public_key", &key)
	if !strings.HasPrefix(key["public_key"], "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5") || len(key) != 1 {
		t.Errorf("public key %v", key)
	}
}

// The public key endpoint exists from GitLab 17.9 on.
func TestGitLabPublicKeyVersion(t *testing.T) {
	_, c := startGitLab(t, GitLabOptions{Version: "17.8.0"})
	c.expectStatus(http.MethodGet, "/projects/platform%2Fapi-gateway/remote_mirrors/302/public_key", http.StatusNotFound)
	_, c = startGitLab(t, GitLabOptions{Version: "17.9.0"})
	var key map[string]string
	c.getJSON("/projects/platform%2Fapi-gateway/remote_mirrors/302/public_key", &key)
	if !strings.HasPrefix(key["public_key"], "ssh-ed25519 ") {
		t.Errorf("public key %v", key)
	}
}

// PUT /mirror/pull configures a pull mirror on a project that had none:
// the credentials are kept (never shown), the mirror is enabled and its
// first update is due at once; a bad URL is GitLab's 400.
func TestGitLabConfigurePullMirror(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{})
	const path = "/projects/data%2Fanalytics/mirror/pull"
	r := c.send(http.MethodPut, path, "application/json", `{"url":"file:///etc"}`)
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "Only allowed schemes") {
		t.Errorf("bad url: %d %s", r.status, r.body)
	}
	r = c.send(http.MethodPut, path, "application/json", `{"mirror_trigger_builds":true}`)
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), glMsgNotMirrored) {
		t.Errorf("no url on an unmirrored project: %d %s", r.status, r.body)
	}
	var got map[string]any
	c.put(path, `{"url":"https://upstream.example.com/a.git","auth_user":"bot","auth_password":"pw-Zz9","mirror_trigger_builds":true,"only_mirror_protected_branches":false}`, &got)
	if got["url"] != "https://*****:*****@upstream.example.com/a.git" || got["enabled"] != true || got["mirror_trigger_builds"] != true || got["update_status"] != "none" {
		t.Errorf("configured %v", got)
	}
	var proj map[string]any
	raw := c.getJSON("/projects/data%2Fanalytics", &proj)
	if proj["mirror"] != true || strings.Contains(string(raw.body), "pw-Zz9") {
		t.Errorf("project %s", raw.body)
	}
	s.Advance(time.Minute)
	if m := mirrorState(t, s, "data/analytics", "pull"); m.UpdateStatus != "finished" {
		t.Errorf("after a minute: %+v", m)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
