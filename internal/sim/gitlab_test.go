package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// glClient talks to the simulated GitLab API.
type glClient struct {
	t     testing.TB
	hc    *http.Client
	base  string // GitLab URL + /api/v4
	token string
}

func newGLClient(t testing.TB, s *Sim, token string) *glClient {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &glClient{t: t, hc: &http.Client{Timeout: 20 * time.Second, Transport: tr}, base: s.GitLabURL() + "/api/v4", token: token}
}

// send makes a request to base+path (or to path itself when it is an
// absolute URL) with an optional body.
func (c *glClient) send(method, path, ctype, body string) resp {
	c.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = c.base + path
	}
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, u, err)
	}
	if c.token != "" {
		req.Header.Set("PRIVATE-TOKEN", c.token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, u, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// getJSON asserts a 200 JSON answer and decodes it into v.
func (c *glClient) getJSON(path string, v any) resp {
	c.t.Helper()
	r := c.send(http.MethodGet, path, "", "")
	c.decode(http.MethodGet, path, r, http.StatusOK, v)
	return r
}

func (c *glClient) decode(method, path string, r resp, want int, v any) {
	c.t.Helper()
	if r.status != want {
		c.t.Fatalf("%s %s: status %d, want %d (body %s)", method, path, r.status, want, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		c.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		c.t.Fatalf("%s %s: decode %T: %v (body %s)", method, path, v, err, r.body)
	}
}

// expectMessage asserts a status and a {"message": msg} body.
func (c *glClient) expectMessage(method, path string, want int, msg string) {
	c.t.Helper()
	r := c.send(method, path, "", "")
	var m map[string]any
	c.decode(method, path, r, want, &m)
	if m["message"] != msg || len(m) != 1 {
		c.t.Fatalf("%s %s: body %s, want message %q", method, path, r.body, msg)
	}
}

// expectStatus asserts a status and returns the answer.
func (c *glClient) expectStatus(method, path string, want int) resp {
	c.t.Helper()
	r := c.send(method, path, "", "")
	if r.status != want {
		c.t.Fatalf("%s %s: status %d, want %d (body %s)", method, path, r.status, want, r.body)
	}
	return r
}

// put sends a JSON (body starting with '{') or form body and decodes a 200
// answer into v.
func (c *glClient) put(path, body string, v any) {
	c.t.Helper()
	ctype := "application/x-www-form-urlencoded"
	if strings.HasPrefix(body, "{") {
		ctype = "application/json"
	}
	r := c.send(http.MethodPut, path, ctype, body)
	c.decode(http.MethodPut, path, r, http.StatusOK, v)
}

func jsonKind(raw json.RawMessage) string {
	switch raw[0] {
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	case '[':
		return "array"
	case '{':
		return "object"
	}
	return "number"
}

// checkShape asserts that an object has exactly the wanted fields, each of
// one of the kinds listed ("string|null"); "time" is an ISO 8601 string
// with milliseconds and Z.
func checkShape(t testing.TB, what string, obj map[string]json.RawMessage, want map[string]string) {
	t.Helper()
	var got, exp []string
	for k := range obj {
		got = append(got, k)
	}
	for k := range want {
		exp = append(exp, k)
	}
	slices.Sort(got)
	slices.Sort(exp)
	if !slices.Equal(got, exp) {
		t.Fatalf("%s: fields %v, want %v", what, got, exp)
	}
	for k, kinds := range want {
		kind := jsonKind(obj[k])
		if kind == "string" && strings.Contains(kinds, "time") {
			var v string
			_ = json.Unmarshal(obj[k], &v)
			if !isoRe.MatchString(v) {
				t.Fatalf("%s: %s = %s is not an ISO 8601 time", what, k, obj[k])
			}
			continue
		}
		if !slices.Contains(strings.Split(kinds, "|"), kind) {
			t.Fatalf("%s: %s = %s is a %s, want %s", what, k, obj[k], kind, kinds)
		}
	}
}

var (
	remoteMirrorShape = map[string]string{
		"id": "number", "enabled": "bool", "url": "string", "auth_method": "string", "update_status": "string",
		"last_update_at": "time|null", "last_update_started_at": "time|null", "last_successful_update_at": "time|null",
		"last_error": "string|null", "only_protected_branches": "bool", "keep_divergent_refs": "bool",
		"host_keys": "array", "mirror_branch_regex": "string|null",
	}
	pullOldShape = map[string]string{
		"id": "number", "last_error": "string|null", "last_successful_update_at": "time|null",
		"last_update_at": "time|null", "last_update_started_at": "time|null", "update_status": "string", "url": "string",
	}
	projectShape = map[string]string{
		"id": "number", "description": "string", "name": "string", "name_with_namespace": "string", "path": "string",
		"path_with_namespace": "string", "created_at": "time", "default_branch": "string", "ssh_url_to_repo": "string",
		"http_url_to_repo": "string", "web_url": "string", "visibility": "string", "archived": "bool", "empty_repo": "bool",
		"last_activity_at": "time", "namespace": "object", "import_status": "string", "import_error": "string|null", "mirror": "bool",
	}
)

func pullNewShape() map[string]string {
	m := map[string]string{
		"enabled": "bool", "mirror_trigger_builds": "bool", "only_mirror_protected_branches": "bool|null",
		"mirror_overwrites_diverged_branches": "bool", "mirror_branch_regex": "string|null",
	}
	for k, v := range pullOldShape {
		m[k] = v
	}
	return m
}

func mirroredProjectShape() map[string]string {
	m := map[string]string{
		"mirror_user_id": "number", "mirror_trigger_builds": "bool", "only_mirror_protected_branches": "bool|null",
		"mirror_overwrites_diverged_branches": "bool", "import_url": "string",
	}
	for k, v := range projectShape {
		m[k] = v
	}
	return m
}

func startGitLab(t testing.TB, o GitLabOptions) (*Sim, *glClient) {
	t.Helper()
	s := startSim(t, quiet(Options{GitLab: &o}))
	return s, newGLClient(t, s, o.Token)
}

func mirrorState(t testing.TB, s *Sim, project, dir string) GitLabMirrorState {
	t.Helper()
	st, found := s.GitLabMirror(project, dir)
	if !found {
		t.Fatalf("no %s mirror on %s", dir, project)
	}
	return st
}

func TestGitLabProjects(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{})
	want := []string{
		"platform/api-gateway", "platform/billing", "platform/web-frontend", "platform/auth-service",
		"platform/tools/ci-pipelines", "platform/tools/helm-charts", "platform/tools/infra-terraform",
		"data/etl-jobs", "data/data-lake", "data/analytics",
	}
	if got := s.GitLabProjects(); !slices.Equal(got, want) {
		t.Fatalf("GitLabProjects = %v", got)
	}
	if u := s.GitLabURL(); !strings.HasPrefix(u, "http://127.0.0.1:") || strings.Contains(u, "/api") {
		t.Fatalf("GitLabURL = %q", u)
	}

	// A project without pull mirror: no mirror settings.
	var p map[string]json.RawMessage
	c.getJSON("/projects/101", &p)
	checkShape(t, "project 101", p, projectShape)
	var plain struct {
		ID                int    `json:"id"`
		Path              string `json:"path"`
		PathWithNamespace string `json:"path_with_namespace"`
		WebURL            string `json:"web_url"`
		DefaultBranch     string `json:"default_branch"`
		Mirror            bool   `json:"mirror"`
		Namespace         struct {
			ID       int    `json:"id"`
			FullPath string `json:"full_path"`
		} `json:"namespace"`
	}
	c.getJSON("/projects/platform%2Fapi-gateway", &plain)
	if plain.ID != 101 || plain.Path != "api-gateway" || plain.PathWithNamespace != "platform/api-gateway" ||
		plain.WebURL != s.GitLabURL()+"/platform/api-gateway" || plain.DefaultBranch != "main" || plain.Mirror ||
		plain.Namespace.ID != 11 || plain.Namespace.FullPath != "platform" {
		t.Fatalf("project by path = %+v", plain)
	}

	// A pull-mirrored project, by its encoded path in a subgroup.
	c.getJSON("/projects/platform%2Ftools%2Fci-pipelines", &p)
	checkShape(t, "project ci-pipelines", p, mirroredProjectShape())
	var mp struct {
		ID          int    `json:"id"`
		Mirror      bool   `json:"mirror"`
		UserID      int    `json:"mirror_user_id"`
		Trigger     bool   `json:"mirror_trigger_builds"`
		ImportURL   string `json:"import_url"`
		ImportState string `json:"import_status"`
	}
	c.getJSON("/projects/105", &mp)
	if mp.ID != 105 || !mp.Mirror || mp.UserID == 0 || !mp.Trigger || mp.ImportState != "finished" ||
		mp.ImportURL != "https://*****:*****@github.com/example/ci-pipelines.git" {
		t.Fatalf("mirrored project = %+v", mp)
	}
	// only_mirror_protected_branches can be null.
	c.getJSON("/projects/data%2Fdata-lake", &p)
	if string(p["only_mirror_protected_branches"]) != "null" || string(p["mirror"]) != "true" {
		t.Fatalf("data-lake = %s / %s", p["only_mirror_protected_branches"], p["mirror"])
	}

	var v map[string]any
	c.getJSON("/version", &v)
	if v["version"] != "18.4.1-ee" || v["revision"] == "" {
		t.Fatalf("version = %v", v)
	}
	var grp map[string]any
	c.getJSON("/groups/platform%2Ftools", &grp)
	if grp["id"] != float64(12) || grp["full_path"] != "platform/tools" || grp["parent_id"] != float64(11) || grp["full_name"] != "Platform / Tools" {
		t.Fatalf("group = %v", grp)
	}

	c.expectMessage(http.MethodGet, "/projects/999", http.StatusNotFound, "404 Project Not Found")
	c.expectMessage(http.MethodGet, "/projects/nope%2Fnothing", http.StatusNotFound, "404 Project Not Found")
	c.expectMessage(http.MethodGet, "/groups/nope/projects", http.StatusNotFound, "404 Group Not Found")
	c.expectMessage(http.MethodGet, "/nothing/here", http.StatusNotFound, "404 Not Found")
	c.expectMessage(http.MethodDelete, "/projects/101", http.StatusNotFound, "404 Not Found")
	c.expectMessage(http.MethodGet, "/projects/101/remote_mirrors/999", http.StatusNotFound, "404 Not found")
	if r := c.send(http.MethodGet, s.GitLabURL()+"/", "", ""); r.status != http.StatusNotFound {
		t.Fatalf("GET / = %d", r.status)
	}
}

func TestGitLabRemoteMirrors(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{})
	var list []map[string]json.RawMessage
	r := c.getJSON("/projects/101/remote_mirrors", &list)
	if len(list) != 2 || r.header.Get("X-Total") != "2" {
		t.Fatalf("remote_mirrors of 101: %d, X-Total %q", len(list), r.header.Get("X-Total"))
	}
	for i, m := range list {
		checkShape(t, "remote mirror "+strconv.Itoa(i), m, remoteMirrorShape)
	}
	type mirrorT struct {
		ID            int     `json:"id"`
		Enabled       bool    `json:"enabled"`
		URL           string  `json:"url"`
		AuthMethod    string  `json:"auth_method"`
		UpdateStatus  string  `json:"update_status"`
		LastUpdateAt  *string `json:"last_update_at"`
		LastStartedAt *string `json:"last_update_started_at"`
		LastSuccessAt *string `json:"last_successful_update_at"`
		LastError     *string `json:"last_error"`
		KeepDivergent bool    `json:"keep_divergent_refs"`
		HostKeys      []struct {
			Fingerprint string `json:"fingerprint_sha256"`
		} `json:"host_keys"`
	}
	var ms []mirrorT
	c.getJSON("/projects/platform%2Fapi-gateway/remote_mirrors", &ms)
	if ms[0].ID != 301 || !ms[0].Enabled || ms[0].URL != "https://*****:*****@github.com/example/api-gateway.git" ||
		ms[0].AuthMethod != "password" || ms[0].UpdateStatus != "finished" || ms[0].LastError != nil || len(ms[0].HostKeys) != 0 {
		t.Fatalf("mirror 301 = %+v", ms[0])
	}
	if ms[1].ID != 302 || ms[1].Enabled || ms[1].URL != "ssh://git@backup.example.com/platform/api-gateway.git" ||
		ms[1].AuthMethod != "ssh_public_key" || len(ms[1].HostKeys) != 1 || !strings.HasPrefix(ms[1].HostKeys[0].Fingerprint, "SHA256:") {
		t.Fatalf("mirror 302 = %+v", ms[1])
	}
	var one map[string]json.RawMessage
	c.getJSON("/projects/104/remote_mirrors/305", &one)
	checkShape(t, "stuck mirror", one, remoteMirrorShape)
	var stuck mirrorT
	c.getJSON("/projects/platform%2Fauth-service/remote_mirrors/305", &stuck)
	started, _ := time.Parse(isoMillis, *stuck.LastStartedAt)
	if stuck.UpdateStatus != "started" || testStart.Sub(started).Round(time.Minute) != 2*time.Hour {
		t.Fatalf("stuck mirror = %+v", stuck)
	}
	var div mirrorT
	c.getJSON("/projects/103/remote_mirrors/304", &div)
	if div.UpdateStatus != "failed" || !div.KeepDivergent || div.LastError == nil ||
		*div.LastError != "Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main\nrefs/heads/develop" {
		t.Fatalf("diverged mirror = %+v", div)
	}
	// A project without push mirrors lists none; the mirror must belong to
	// the project.
	var none []any
	c.getJSON("/projects/110/remote_mirrors", &none)
	if none == nil || len(none) != 0 {
		t.Fatalf("remote_mirrors of 110 = %v", none)
	}
	c.expectMessage(http.MethodGet, "/projects/102/remote_mirrors/301", http.StatusNotFound, "404 Not found")

	// A freshly reset mirror has null timestamps and error.
	var reset map[string]json.RawMessage
	c.put("/projects/104/remote_mirrors/305", `{"only_protected_branches":true}`, &reset)
	checkShape(t, "reset mirror", reset, remoteMirrorShape)
	for _, k := range []string{"last_update_at", "last_update_started_at", "last_successful_update_at", "last_error"} {
		if string(reset[k]) != "null" {
			t.Fatalf("reset mirror %s = %s", k, reset[k])
		}
	}
	if string(reset["update_status"]) != `"finished"` {
		t.Fatalf("reset mirror status %s", reset["update_status"])
	}
	if st := mirrorState(t, s, "platform/auth-service", "push"); st.UpdateStatus != "finished" || !st.LastUpdateStartedAt.IsZero() {
		t.Fatalf("GitLabMirror after reset = %+v", st)
	}

	// Before 18.4 there are no host keys; before 16.11 no sync endpoint.
	s2, c2 := startGitLab(t, GitLabOptions{Version: "18.3.2"})
	var old map[string]json.RawMessage
	c2.getJSON("/projects/101/remote_mirrors/302", &old)
	if _, has := old["host_keys"]; has || len(old) != len(remoteMirrorShape)-1 {
		t.Fatalf("18.3 mirror fields %s", c2.send(http.MethodGet, "/projects/101/remote_mirrors/302", "", "").body)
	}
	c2.expectStatus(http.MethodPost, "/projects/101/remote_mirrors/301/sync", http.StatusNoContent)
	_, c3 := startGitLab(t, GitLabOptions{Version: "16.10.0"})
	c3.expectMessage(http.MethodPost, "/projects/101/remote_mirrors/301/sync", http.StatusNotFound, "404 Not Found")
	_ = s2
}

func TestGitLabPullMirror(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{})
	for _, id := range []string{"105", "106", "107", "108", "109"} {
		var m map[string]json.RawMessage
		c.getJSON("/projects/"+id+"/mirror/pull", &m)
		checkShape(t, "pull mirror of "+id, m, pullNewShape())
	}
	type pullT struct {
		ID                int     `json:"id"`
		UpdateStatus      string  `json:"update_status"`
		URL               string  `json:"url"`
		LastError         *string `json:"last_error"`
		LastUpdateAt      *string `json:"last_update_at"`
		Enabled           bool    `json:"enabled"`
		OnlyProtected     *bool   `json:"only_mirror_protected_branches"`
		OverwriteDiverged bool    `json:"mirror_overwrites_diverged_branches"`
		BranchRegex       *string `json:"mirror_branch_regex"`
	}
	var pm pullT
	c.getJSON("/projects/platform%2Ftools%2Fci-pipelines/mirror/pull", &pm)
	if pm.ID == 105 || pm.ID == 0 || pm.UpdateStatus != "finished" || !pm.Enabled || pm.LastError != nil ||
		pm.URL != "https://*****:*****@github.com/example/ci-pipelines.git" || pm.OnlyProtected == nil || *pm.OnlyProtected {
		t.Fatalf("ci-pipelines pull = %+v", pm)
	}
	var fresh map[string]json.RawMessage
	c.getJSON("/projects/109/mirror/pull", &fresh)
	for _, k := range []string{"last_update_at", "last_update_started_at", "last_successful_update_at", "last_error", "only_mirror_protected_branches", "mirror_branch_regex"} {
		if string(fresh[k]) != "null" {
			t.Fatalf("data-lake %s = %s", k, fresh[k])
		}
	}
	if string(fresh["update_status"]) != `"none"` {
		t.Fatalf("data-lake status %s", fresh["update_status"])
	}
	var failing pullT
	c.getJSON("/projects/data%2Fetl-jobs/mirror/pull", &failing)
	if failing.UpdateStatus != "failed" || failing.LastError == nil ||
		*failing.LastError != "13:fetch remote: \"fatal: Authentication failed for 'https://github.com/example/etl-jobs.git/'\"\n: exit status 128." {
		t.Fatalf("etl-jobs pull = %+v", failing)
	}
	c.expectMessage(http.MethodGet, "/projects/101/mirror/pull", http.StatusBadRequest, "The project is not mirrored")
	c.expectMessage(http.MethodPost, "/projects/101/mirror/pull", http.StatusBadRequest, "The project is not mirrored")
	r := c.send(http.MethodPut, "/projects/999/mirror/pull", "application/x-www-form-urlencoded", "enabled=true")
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "404 Project Not Found") {
		t.Fatalf("PUT on an unknown project: %d %s", r.status, r.body)
	}

	// PUT: JSON or form, at least one parameter, booleans checked.
	var put pullT
	c.put("/projects/105/mirror/pull", `{"only_mirror_protected_branches":true,"mirror_trigger_builds":false}`, &put)
	if put.OnlyProtected == nil || !*put.OnlyProtected || put.ID != pm.ID {
		t.Fatalf("PUT answer %+v", put)
	}
	c.put("/projects/105/mirror/pull", "only_mirror_protected_branches=false&mirror_trigger_builds=true", &put)
	var e map[string]string
	r = c.send(http.MethodPut, "/projects/105/mirror/pull", "application/json", `{}`)
	c.decode(http.MethodPut, "pull", r, http.StatusBadRequest, &e)
	if !strings.Contains(e["error"], "at least one parameter must be provided") {
		t.Fatalf("empty PUT: %v", e)
	}
	r = c.send(http.MethodPut, "/projects/105/mirror/pull", "application/json", `{"enabled":"maybe"}`)
	c.decode(http.MethodPut, "pull", r, http.StatusBadRequest, &e)
	if e["error"] != "enabled is invalid" {
		t.Fatalf("bad PUT: %v", e)
	}

	// Disabling makes the project unmirrored; enabling schedules an update.
	c.put("/projects/105/mirror/pull", "enabled=false", &put)
	if put.Enabled {
		t.Fatalf("disabled answer %+v", put)
	}
	c.expectMessage(http.MethodGet, "/projects/105/mirror/pull", http.StatusBadRequest, "The project is not mirrored")
	var p map[string]json.RawMessage
	c.getJSON("/projects/105", &p)
	checkShape(t, "unmirrored project", p, projectShape)
	s.Advance(time.Hour)
	if st := mirrorState(t, s, "platform/tools/ci-pipelines", "pull"); st.LastUpdateStartedAt.After(testStart) || !st.NextRun.IsZero() {
		t.Fatalf("a disabled pull mirror updated: %+v", st)
	}
	c.put("/projects/105/mirror/pull", `{"enabled":true}`, &put)
	s.Advance(time.Minute)
	if st := mirrorState(t, s, "platform/tools/ci-pipelines", "pull"); st.UpdateStatus != "finished" || !st.LastSuccessfulUpdateAt.After(testStart.Add(time.Hour)) {
		t.Fatalf("re-enabled pull mirror: %+v", st)
	}

	// The old field set before 17.5, where PUT does not exist.
	_, old := startGitLab(t, GitLabOptions{Version: "17.2"})
	var om map[string]json.RawMessage
	old.getJSON("/projects/105/mirror/pull", &om)
	checkShape(t, "17.2 pull mirror", om, pullOldShape)
	old.getJSON("/projects/109/mirror/pull", &om)
	checkShape(t, "17.2 fresh pull mirror", om, pullOldShape)
	old.expectMessage(http.MethodPut, "/projects/105/mirror/pull", http.StatusNotFound, "404 Not Found")
	old.expectStatus(http.MethodPost, "/projects/105/mirror/pull", http.StatusOK)
}

func TestGitLabPagination(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{Projects: 25, MaxPerPage: 10})
	type projT struct {
		ID                int    `json:"id"`
		PathWithNamespace string `json:"path_with_namespace"`
	}
	linkRe := regexp.MustCompile(`<([^>]+)>; rel="(\w+)"`)
	links := func(h http.Header) map[string]string {
		out := map[string]string{}
		for _, m := range linkRe.FindAllStringSubmatch(h.Get("Link"), -1) {
			out[m[2]] = m[1]
		}
		return out
	}

	// per_page above the cap is capped; follow rel="next" to the end.
	next := "/groups/platform/projects?include_subgroups=true&per_page=50&order_by=id&sort=asc"
	var ids []int
	for page := 1; next != ""; page++ {
		var ps []projT
		r := c.getJSON(next, &ps)
		h := r.header
		wantNext, wantPrev := strconv.Itoa(page+1), strconv.Itoa(page-1)
		if page == 2 {
			wantNext = ""
		}
		if page == 1 {
			wantPrev = ""
		}
		if h.Get("X-Page") != strconv.Itoa(page) || h.Get("X-Per-Page") != "10" || h.Get("X-Total") != "17" ||
			h.Get("X-Total-Pages") != "2" || h.Get("X-Next-Page") != wantNext || h.Get("X-Prev-Page") != wantPrev {
			t.Fatalf("page %d headers %v", page, h)
		}
		if _, has := h["X-Next-Page"]; !has {
			t.Fatalf("page %d: no X-Next-Page header", page)
		}
		l := links(h)
		if _, has := l["next"]; has != (page == 1) {
			t.Fatalf("page %d links %v", page, l)
		}
		if _, has := l["prev"]; has != (page == 2) {
			t.Fatalf("page %d links %v", page, l)
		}
		for rel, u := range l {
			pu, err := url.Parse(u)
			if err != nil || pu.Scheme != "http" || pu.Host == "" || pu.Path != "/api/v4/groups/platform/projects" {
				t.Fatalf("%s link %q", rel, u)
			}
			q := pu.Query()
			if q.Get("include_subgroups") != "true" || q.Get("order_by") != "id" || q.Get("sort") != "asc" || q.Get("per_page") != "10" {
				t.Fatalf("%s link %q lost parameters", rel, u)
			}
		}
		if l["first"] == "" || !strings.Contains(l["last"], "page=2") {
			t.Fatalf("page %d first/last %v", page, l)
		}
		for _, p := range ps {
			if !strings.HasPrefix(p.PathWithNamespace, "platform/") {
				t.Fatalf("%s listed under platform", p.PathWithNamespace)
			}
			ids = append(ids, p.ID)
		}
		next = l["next"]
	}
	if len(ids) != 17 || !slices.IsSorted(ids) {
		t.Fatalf("ids %v", ids)
	}

	// Without subgroups, only the group's own projects; the default order
	// is newest first.
	var direct []projT
	r := c.getJSON("/groups/11/projects?per_page=100", &direct)
	if r.header.Get("X-Total") != "9" || len(direct) != 9 || r.header.Get("X-Per-Page") != "10" {
		t.Fatalf("platform direct: %d, headers %v", len(direct), r.header)
	}
	for i, p := range direct {
		if strings.HasPrefix(p.PathWithNamespace, "platform/tools/") || (i > 0 && p.ID > direct[i-1].ID) {
			t.Fatalf("platform direct projects %v", direct)
		}
	}
	var all []projT
	r = c.getJSON("/projects?page=3", &all)
	if len(all) != 5 || r.header.Get("X-Total") != "25" || r.header.Get("X-Per-Page") != "10" {
		t.Fatalf("projects page 3: %d, headers %v", len(all), r.header)
	}
	// Past the last page: empty, no next or prev.
	var past []projT
	r = c.getJSON("/groups/data/projects?page=5", &past)
	if past == nil || len(past) != 0 || r.header.Get("X-Next-Page") != "" || r.header.Get("X-Prev-Page") != "" || r.header.Get("X-Total") != "8" {
		t.Fatalf("past the end: %v %v", past, r.header)
	}
	if l := links(r.header); l["prev"] != "" || l["next"] != "" || l["first"] == "" || l["last"] == "" {
		t.Fatalf("past the end links %v", l)
	}
	var e map[string]string
	r = c.send(http.MethodGet, "/projects?per_page=abc", "", "")
	c.decode(http.MethodGet, "per_page=abc", r, http.StatusBadRequest, &e)
	if e["error"] != "per_page is invalid" {
		t.Fatalf("bad per_page: %v", e)
	}
	// Remote mirrors are paginated too.
	var ms []map[string]any
	r = c.getJSON("/projects/101/remote_mirrors?per_page=1&page=2", &ms)
	if len(ms) != 1 || ms[0]["id"] != float64(302) || r.header.Get("X-Total-Pages") != "2" || r.header.Get("X-Next-Page") != "" {
		t.Fatalf("remote mirrors page 2: %v %v", ms, r.header)
	}
	_ = s
}

func TestGitLabAuth(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{Token: "glpat-sim"})
	anon := newGLClient(t, s, "")
	anon.expectMessage(http.MethodGet, "/projects/101", http.StatusUnauthorized, "401 Unauthorized")
	bad := newGLClient(t, s, "wrong")
	bad.expectMessage(http.MethodGet, "/projects/101/remote_mirrors", http.StatusUnauthorized, "401 Unauthorized")
	bad.expectMessage(http.MethodPost, "/projects/101/remote_mirrors/301/sync", http.StatusUnauthorized, "401 Unauthorized")
	if st := mirrorState(t, s, "platform/api-gateway", "push"); st.UpdateStatus != "finished" {
		t.Fatal("an unauthorized sync ran")
	}

	var p map[string]any
	c.getJSON("/projects/101", &p)
	for _, h := range []string{"Authorization: Bearer glpat-sim", ""} {
		req, _ := http.NewRequest(http.MethodGet, s.GitLabURL()+"/api/v4/projects/102", nil)
		u := req.URL
		if h != "" {
			req.Header.Set("Authorization", strings.TrimPrefix(h, "Authorization: "))
		} else {
			u.RawQuery = "private_token=glpat-sim"
		}
		res, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("auth %q: %d", h, res.StatusCode)
		}
	}
	if got := s.RequestCount("gitlab", ""); got != 3 {
		t.Fatalf("RequestCount(gitlab) = %d, want only the 3 authenticated", got)
	}
	statuses := map[int]int{}
	for _, r := range s.Requests() {
		if r.Target == "gitlab" {
			statuses[r.Status]++
		}
	}
	if statuses[401] != 3 || statuses[200] != 3 {
		t.Fatalf("request log statuses %v", statuses)
	}
}

func TestGitLabRateLimit(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{Token: "tok", RateLimit: 5})
	s.Advance(10 * time.Second)
	reset := strconv.FormatInt(testStart.Add(time.Minute).Unix(), 10)
	for i := 1; i <= 5; i++ {
		var p map[string]any
		r := c.getJSON("/projects/101", &p)
		h := r.header
		if h.Get("RateLimit-Limit") != "5" || h.Get("RateLimit-Remaining") != strconv.Itoa(5-i) ||
			h.Get("RateLimit-Observed") != strconv.Itoa(i) || h.Get("RateLimit-Reset") != reset ||
			h.Get("RateLimit-Name") != "throttle_authenticated_api" || h.Get("Retry-After") != "" {
			t.Fatalf("request %d rate-limit headers %v", i, h)
		}
	}
	r := c.send(http.MethodGet, "/projects/101", "", "")
	if r.status != http.StatusTooManyRequests || strings.TrimSpace(string(r.body)) != "Retry later" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("throttled: %d %q %v", r.status, r.body, r.header)
	}
	if r.header.Get("Retry-After") != "50" || r.header.Get("RateLimit-Remaining") != "0" ||
		r.header.Get("RateLimit-ResetTime") != testStart.Add(time.Minute).Format(http.TimeFormat) {
		t.Fatalf("throttled headers %v", r.header)
	}
	if got := s.RequestCount("gitlab", ""); got != 5 {
		t.Fatalf("RequestCount = %d, a throttled request counted", got)
	}
	// Another bucket: a bad token is refused, not throttled.
	newGLClient(t, s, "other").expectMessage(http.MethodGet, "/projects/101", http.StatusUnauthorized, "401 Unauthorized")

	s.Advance(49 * time.Second)
	if r := c.send(http.MethodGet, "/projects/101", "", ""); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" {
		t.Fatalf("before the window ends: %d %v", r.status, r.header)
	}
	s.Advance(time.Second)
	r = c.getJSON("/projects/101", &map[string]any{})
	if r.header.Get("RateLimit-Remaining") != "4" || r.header.Get("RateLimit-Observed") != "1" {
		t.Fatalf("after the window: %v", r.header)
	}

	// Negative: unlimited, without headers.
	_, u := startGitLab(t, GitLabOptions{RateLimit: -1})
	for i := 0; i < 700; i++ {
		r := u.send(http.MethodGet, "/version", "", "")
		if r.status != http.StatusOK || r.header.Get("RateLimit-Limit") != "" {
			t.Fatalf("unlimited request %d: %d %v", i, r.status, r.header)
		}
	}
	// Default 600 per minute.
	_, d := startGitLab(t, GitLabOptions{})
	if r := d.send(http.MethodGet, "/version", "", ""); r.header.Get("RateLimit-Limit") != "600" {
		t.Fatalf("default limit %v", r.header)
	}
}

// collectStatuses advances the clock step by step and records every
// change of a mirror's update status.
func collectStatuses(t testing.TB, s *Sim, project, dir string, step time.Duration, steps int) []string {
	t.Helper()
	var seen []string
	for i := 0; i < steps; i++ {
		st := mirrorState(t, s, project, dir).UpdateStatus
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		s.Advance(step)
	}
	return seen
}

func TestGitLabPushDynamics(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{})
	sync := func(path string, want int) { c.t.Helper(); c.expectStatus(http.MethodPost, path, want) }

	// Healthy: started at once, finished a few seconds later.
	sync("/projects/101/remote_mirrors/301/sync", http.StatusNoContent)
	st := mirrorState(t, s, "platform/api-gateway", "push")
	if st.UpdateStatus != "started" || !st.LastUpdateStartedAt.Equal(testStart) {
		t.Fatalf("after sync: %+v", st)
	}
	s.Advance(time.Second)
	sync("/projects/platform%2Fapi-gateway/remote_mirrors/301/sync", http.StatusNoContent) // in progress: nothing new
	if st2 := mirrorState(t, s, "platform/api-gateway", "push"); !st2.LastUpdateStartedAt.Equal(testStart) {
		t.Fatalf("a sync during an update restarted it: %+v", st2)
	}
	s.Advance(10 * time.Second)
	st = mirrorState(t, s, "platform/api-gateway", "push")
	if st.UpdateStatus != "finished" || st.LastError != "" || !st.LastSuccessfulUpdateAt.Equal(st.LastUpdateAt) ||
		st.LastUpdateAt.Sub(testStart) < 2*time.Second || st.LastUpdateAt.Sub(testStart) > 8*time.Second {
		t.Fatalf("healthy mirror after the update: %+v", st)
	}
	var m map[string]json.RawMessage
	c.getJSON("/projects/101/remote_mirrors/301", &m)
	checkShape(t, "healthy mirror", m, remoteMirrorShape)
	if string(m["last_error"]) != "null" || string(m["update_status"]) != `"finished"` {
		t.Fatalf("healthy mirror JSON %v", m)
	}
	// A push starts the enabled mirror only.
	if !s.GitLabPush("platform/api-gateway") || s.GitLabPush("nope/nothing") {
		t.Fatal("GitLabPush result")
	}
	// It updated seconds ago: GitLab delays the new update by the
	// back-off (5 minutes without only_protected_branches).
	if st := mirrorState(t, s, "101", "push"); st.UpdateStatus != "finished" || st.LastUpdateStartedAt.After(testStart) {
		t.Fatalf("after a push within the back-off: %+v", st)
	}
	var ms []map[string]any
	c.getJSON("/projects/101/remote_mirrors", &ms)
	if ms[1]["update_status"] != "finished" || ms[1]["enabled"] != false {
		t.Fatalf("the disabled mirror reacted to a push: %v", ms[1])
	}

	// Disabled: sync refused until enabled.
	c.expectMessage(http.MethodPost, "/projects/101/remote_mirrors/302/sync", http.StatusBadRequest,
		"Cannot proceed with the push mirroring. Please verify your mirror configuration.")
	var put map[string]any
	c.put("/projects/101/remote_mirrors/302", "enabled=true", &put)
	if put["enabled"] != true {
		t.Fatalf("enable answer %v", put)
	}
	sync("/projects/101/remote_mirrors/302/sync", http.StatusNoContent)
	s.Advance(10 * time.Second)
	c.getJSON("/projects/101/remote_mirrors/302", &put)
	if put["update_status"] != "finished" || !strings.HasPrefix(put["last_successful_update_at"].(string), "2026-11-21T10:00:") {
		t.Fatalf("enabled mirror after sync %v", put)
	}

	// Failing: to_retry three times, one minute apart, then failed.
	t0 := s.Now()
	sync("/projects/102/remote_mirrors/303/sync", http.StatusNoContent)
	seen := collectStatuses(t, s, "platform/billing", "push", time.Second, 240)
	want := []string{"started", "to_retry", "started", "to_retry", "started", "to_retry", "started", "failed"}
	if !slices.Equal(seen, want) {
		t.Fatalf("failing mirror statuses %v, want %v", seen, want)
	}
	st = mirrorState(t, s, "platform/billing", "push")
	if st.LastError != "remote: GitLab: You are not allowed to push code to protected branches on this project." ||
		st.Tries != 3 || !st.LastUpdateAt.After(t0.Add(3*time.Minute)) || st.LastSuccessfulUpdateAt.After(testStart) {
		t.Fatalf("failed mirror %+v", st)
	}

	// Diverged with keep_divergent_refs: failed on every update.
	divergedMsg := "Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main\nrefs/heads/develop"
	for i := 0; i < 2; i++ {
		if i > 0 {
			s.Advance(5 * time.Minute) // past the back-off
		}
		before := s.Now()
		sync("/projects/103/remote_mirrors/304/sync", http.StatusNoContent)
		s.Advance(10 * time.Second)
		st = mirrorState(t, s, "platform/web-frontend", "push")
		if st.UpdateStatus != "failed" || st.LastError != divergedMsg || st.LastUpdateAt.Before(before) {
			t.Fatalf("diverged mirror update %d: %+v", i, st)
		}
		c.put("/projects/103/remote_mirrors/304", `{"keep_divergent_refs":true}`, &put)
	}
	c.put("/projects/platform%2Fweb-frontend/remote_mirrors/304", "keep_divergent_refs=false", &put)
	if put["keep_divergent_refs"] != false || put["update_status"] != "failed" {
		t.Fatalf("PUT keep_divergent_refs=false answer %v", put)
	}
	s.Advance(5 * time.Minute)
	sync("/projects/103/remote_mirrors/304/sync", http.StatusNoContent)
	s.Advance(10 * time.Second)
	c.getJSON("/projects/103/remote_mirrors/304", &m)
	if string(m["update_status"]) != `"finished"` || string(m["last_error"]) != "null" {
		t.Fatalf("force-pushed mirror %s %s", m["update_status"], m["last_error"])
	}
	c.put("/projects/103/remote_mirrors/304", `{"keep_divergent_refs":true}`, &put)
	s.GitLabPush("platform/web-frontend")
	s.Advance(10 * time.Second)
	if st := mirrorState(t, s, "platform/web-frontend", "push"); st.UpdateStatus != "finished" || st.LastError != "" {
		t.Fatalf("the mirror diverged again: %+v", st)
	}

	// Stuck: sync and time change nothing; a PUT that changes nothing
	// neither; a real change resets it, and it then works.
	stuck := mirrorState(t, s, "platform/auth-service", "push")
	sync("/projects/104/remote_mirrors/305/sync", http.StatusNoContent)
	s.GitLabPush("platform/auth-service")
	s.Advance(time.Hour)
	c.put("/projects/104/remote_mirrors/305", "enabled=true&keep_divergent_refs=false", &put)
	if st := mirrorState(t, s, "platform/auth-service", "push"); st != stuck || st.UpdateStatus != "started" {
		t.Fatalf("stuck mirror moved: %+v", st)
	}
	c.put("/projects/104/remote_mirrors/305", "enabled=false", &put)
	if put["update_status"] != "finished" || put["last_update_started_at"] != nil || put["last_error"] != nil || put["enabled"] != false {
		t.Fatalf("reset stuck mirror %v", put)
	}
	c.put("/projects/104/remote_mirrors/305", "enabled=true", &put)
	sync("/projects/104/remote_mirrors/305/sync", http.StatusNoContent)
	s.Advance(10 * time.Second)
	if st := mirrorState(t, s, "platform/auth-service", "push"); st.UpdateStatus != "finished" || st.LastSuccessfulUpdateAt.IsZero() {
		t.Fatalf("unstuck mirror: %+v", st)
	}

	// Parameter checks.
	var e map[string]string
	r := c.send(http.MethodPut, "/projects/101/remote_mirrors/301", "application/json", `{"enabled":"sometimes"}`)
	c.decode(http.MethodPut, "301", r, http.StatusBadRequest, &e)
	if e["error"] != "enabled is invalid" {
		t.Fatalf("bad PUT: %v", e)
	}
	c.put("/projects/101/remote_mirrors/301", `{"mirror_branch_regex":"^release/.*$"}`, &put)
	if put["mirror_branch_regex"] != "^release/.*$" {
		t.Fatalf("regex answer %v", put)
	}
}

func TestGitLabPullDynamics(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{})
	post := func(path string, want int) { t.Helper(); c.expectStatus(http.MethodPost, path, want) }

	// Paused from the start: 403, and no scheduled update.
	c.expectMessage(http.MethodPost, "/projects/107/mirror/pull", http.StatusForbidden, "Mirroring for the project is on pause")
	paused := mirrorState(t, s, "platform/tools/infra-terraform", "pull")
	if !paused.Paused || paused.Failures != 14 || paused.UpdateStatus != "failed" {
		t.Fatalf("paused mirror %+v", paused)
	}

	// The failing one fails its next update at +3m.
	s.Advance(20 * time.Minute)
	etl := mirrorState(t, s, "data/etl-jobs", "pull")
	if etl.Failures != 13 || etl.Paused || etl.UpdateStatus != "failed" || !etl.LastUpdateStartedAt.Equal(testStart.Add(3*time.Minute)) ||
		!etl.NextRun.Equal(etl.LastUpdateAt.Add(5*time.Hour)) {
		t.Fatalf("etl-jobs after its update: %+v", etl)
	}
	// The healthy one updated on schedule (due at about +19m).
	ci := mirrorState(t, s, "platform/tools/ci-pipelines", "pull")
	if ci.UpdateStatus != "finished" || !ci.LastUpdateStartedAt.After(testStart.Add(18*time.Minute)) ||
		!ci.LastSuccessfulUpdateAt.Equal(ci.LastUpdateAt) || !ci.NextRun.Equal(ci.LastUpdateAt.Add(30*time.Minute)) {
		t.Fatalf("ci-pipelines after its scheduled update: %+v", ci)
	}
	// A trigger within 5 minutes of the last update: 200, but it only
	// moves the next update to 5 minutes after the last one.
	post("/projects/platform%2Ftools%2Fci-pipelines/mirror/pull", http.StatusOK)
	throttled := mirrorState(t, s, "platform/tools/ci-pipelines", "pull")
	if throttled.UpdateStatus != "finished" || throttled.LastUpdateStartedAt != ci.LastUpdateStartedAt ||
		!throttled.NextRun.Equal(ci.LastUpdateAt.Add(5*time.Minute)) {
		t.Fatalf("throttled trigger: %+v", throttled)
	}
	s.Advance(5 * time.Minute)
	ci2 := mirrorState(t, s, "platform/tools/ci-pipelines", "pull")
	if ci2.UpdateStatus != "finished" || !ci2.LastUpdateStartedAt.Equal(ci.LastUpdateAt.Add(5*time.Minute)) {
		t.Fatalf("ci-pipelines after the delayed trigger: %+v (before %+v)", ci2, ci)
	}

	// Diverged: a trigger runs an update that fails; after PUT overwrite
	// and a trigger (delayed by the 5-minute interval) it finishes.
	divMsg := "The default branch (main) has diverged from its upstream counterpart and could not be updated automatically."
	post("/projects/106/mirror/pull", http.StatusOK)
	if st := mirrorState(t, s, "platform/tools/helm-charts", "pull"); st.UpdateStatus != "started" {
		t.Fatalf("diverged after trigger: %+v", st)
	}
	s.Advance(20 * time.Second)
	div := mirrorState(t, s, "platform/tools/helm-charts", "pull")
	if div.UpdateStatus != "failed" || div.LastError != divMsg || div.Failures != 3 {
		t.Fatalf("diverged after its update: %+v", div)
	}
	var pm map[string]any
	c.put("/projects/106/mirror/pull", `{"mirror_overwrites_diverged_branches":true}`, &pm)
	if pm["mirror_overwrites_diverged_branches"] != true || pm["update_status"] != "failed" {
		t.Fatalf("PUT overwrite answer %v", pm)
	}
	post("/projects/106/mirror/pull", http.StatusOK)
	if st := mirrorState(t, s, "platform/tools/helm-charts", "pull"); st.UpdateStatus != "failed" || !st.NextRun.Equal(div.LastUpdateAt.Add(5*time.Minute)) {
		t.Fatalf("trigger within 5 minutes: %+v", st)
	}
	s.Advance(6 * time.Minute)
	c.getJSON("/projects/106/mirror/pull", &pm)
	if pm["update_status"] != "finished" || pm["last_error"] != nil {
		t.Fatalf("overwritten mirror %v", pm)
	}

	// Never updated: its first update is due 30 minutes after start.
	if st := mirrorState(t, s, "data/data-lake", "pull"); st.UpdateStatus != "finished" || st.LastSuccessfulUpdateAt.IsZero() {
		t.Fatalf("data-lake after 31 minutes: %+v", st)
	}

	// The failing one pauses on its 14th failure; triggers get 403.
	post("/projects/108/mirror/pull", http.StatusOK) // its last update ended 28 minutes ago
	s.Advance(20 * time.Second)
	if st := mirrorState(t, s, "data/etl-jobs", "pull"); !st.Paused || st.Failures != 14 || !st.NextRun.IsZero() {
		t.Fatalf("etl-jobs after its 14th failure: %+v", st)
	}
	c.expectMessage(http.MethodPost, "/projects/data%2Fetl-jobs/mirror/pull", http.StatusForbidden, "Mirroring for the project is on pause")
	s.Advance(12 * time.Hour)
	if st := mirrorState(t, s, "platform/tools/infra-terraform", "pull"); st != paused {
		t.Fatalf("the paused mirror moved: %+v", st)
	}
}

func TestGitLabDivergedPullPauses(t *testing.T) {
	s, _ := startGitLab(t, GitLabOptions{})
	var seen []int
	for i := 0; i < 72; i++ {
		st := mirrorState(t, s, "platform/tools/helm-charts", "pull")
		if len(seen) == 0 || seen[len(seen)-1] != st.Failures {
			seen = append(seen, st.Failures)
		}
		s.Advance(time.Hour)
	}
	st := mirrorState(t, s, "platform/tools/helm-charts", "pull")
	if !st.Paused || len(seen) != 13 || seen[0] != 2 || seen[12] != 14 {
		t.Fatalf("failure counts %v, final %+v", seen, st)
	}
}

func TestGitLabFaultsAndLog(t *testing.T) {
	s, c := startGitLab(t, GitLabOptions{})
	s.SetFault("gitlab", "/api/v4/projects/101/remote_mirrors", Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second, Times: 1})
	c.expectMessage(http.MethodGet, "/projects/101/remote_mirrors", http.StatusServiceUnavailable, "Simulated fault: Service Unavailable")
	c.getJSON("/projects/101/remote_mirrors", &[]any{})
	s.SetFault("primary", "", Fault{Status: http.StatusInternalServerError}) // other targets are unaffected
	c.getJSON("/projects/101", &map[string]any{})
	s.SetFault("", "/api/v4/version", Fault{Body: "<html>maintenance</html>", Status: http.StatusBadGateway})
	if r := c.send(http.MethodGet, "/version", "", ""); r.status != http.StatusBadGateway || !strings.Contains(string(r.body), "maintenance") {
		t.Fatalf("body fault %d %s", r.status, r.body)
	}
	c.getJSON("/projects/platform%2Fbilling", &map[string]any{})

	if got := s.RequestCount("gitlab", "/api/v4/projects/101"); got != 3 {
		t.Fatalf("RequestCount(projects/101) = %d", got)
	}
	if got := s.RequestCount("gitlab", "/api/v4/projects/platform/billing"); got != 1 {
		t.Fatalf("RequestCount(by path) = %d", got)
	}
	if got := s.RequestCount("gitlab", ""); got != 5 || s.RequestCount("primary", "") != 0 {
		t.Fatalf("RequestCount(gitlab) = %d", got)
	}
	var log []Request
	for _, r := range s.Requests() {
		if r.Target == "gitlab" {
			log = append(log, r)
		}
	}
	if len(log) != 5 || log[0].Status != 503 || log[1].Status != 200 || log[3].Status != 502 || log[0].Method != "GET" || !log[0].Time.Equal(testStart) {
		t.Fatalf("request log %+v", log)
	}
}

func TestGitLabConfigTOML(t *testing.T) {
	s, _ := startGitLab(t, GitLabOptions{Token: "glpat-\"x\""})
	want := "\n[[gitlab]]\nname = \"gitlab\"\nurl = \"" + s.GitLabURL() + "\"\ntoken = \"glpat-\\\"x\\\"\"\n" +
		"groups = [\"platform\", \"data\"]\ninclude_subgroups = true\n"
	if cfg := s.ConfigTOML(); !strings.HasSuffix(cfg, want) || strings.Count(cfg, "[[gitlab]]") != 1 {
		t.Fatalf("config:\n%s\nwant suffix:\n%s", cfg, want)
	}
	s2, _ := startGitLab(t, GitLabOptions{})
	if cfg := s2.ConfigTOML(); !strings.Contains(cfg, "[[gitlab]]") || strings.Contains(cfg, "token") {
		t.Fatalf("config without token:\n%s", cfg)
	}
	s3 := startSim(t, quiet(Options{}))
	if cfg := s3.ConfigTOML(); strings.Contains(cfg, "gitlab") {
		t.Fatalf("config without GitLab:\n%s", cfg)
	}
}

func TestGitLabOff(t *testing.T) {
	s := startSim(t, quiet(Options{Farms: []FarmSpec{{Name: "gitlab"}}}))
	if s.GitLabURL() != "" || s.GitLabProjects() != nil || s.GitLabPush("platform/api-gateway") {
		t.Fatal("GitLab API without Options.GitLab")
	}
	if _, found := s.GitLabMirror("platform/api-gateway", "push"); found {
		t.Fatal("GitLabMirror without Options.GitLab")
	}
	if _, err := Start(Options{Manual: true, GitLab: &GitLabOptions{}, Farms: []FarmSpec{{Name: "gitlab"}}}); err == nil {
		t.Fatal("a farm named gitlab was accepted next to the GitLab server")
	}
	if _, err := Start(Options{Manual: true, GitLab: &GitLabOptions{Version: "eighteen"}}); err == nil {
		t.Fatal("an invalid version was accepted")
	}
	s2, _ := startGitLab(t, GitLabOptions{Projects: 3})
	if got := s2.GitLabProjects(); len(got) != 3 {
		t.Fatalf("3 projects: %v", got)
	}
	if _, found := s2.GitLabMirror("platform/web-frontend", "pull"); found {
		t.Fatal("web-frontend has no pull mirror")
	}
	if _, found := s2.GitLabMirror("platform/web-frontend", "sideways"); found {
		t.Fatal("unknown direction")
	}
}

// TestGitLabDeterministic runs two simulators with random pushes from the
// same seed, and one without GitLab: the GitLab side evolves the same, and
// adding it changes nothing on the Bitbucket side.
func TestGitLabDeterministic(t *testing.T) {
	run := func(gl *GitLabOptions) *Sim {
		s := startSim(t, Options{Repos: 30, Seed: 7, GitLab: gl})
		for i := 0; i < 24; i++ {
			s.Advance(5 * time.Minute)
		}
		return s
	}
	a, b, plain := run(&GitLabOptions{}), run(&GitLabOptions{}), run(nil)
	for _, p := range a.GitLabProjects() {
		for _, dir := range []string{"push", "pull"} {
			sa, fa := a.GitLabMirror(p, dir)
			sb, fb := b.GitLabMirror(p, dir)
			if sa != sb || fa != fb {
				t.Fatalf("%s %s: %+v vs %+v", p, dir, sa, sb)
			}
		}
	}
	healthy := mirrorState(t, a, "platform/api-gateway", "push")
	if !healthy.LastSuccessfulUpdateAt.After(testStart.Add(time.Hour)) {
		t.Fatalf("random pushes did not update the healthy mirror: %+v", healthy)
	}
	failing := mirrorState(t, a, "platform/billing", "push")
	if failing.LastSuccessfulUpdateAt.After(testStart) || !failing.LastUpdateStartedAt.After(testStart) {
		t.Fatalf("failing mirror after random pushes: %+v", failing)
	}
	for id := 1; id <= 30; id++ {
		ca, ma := a.PrimaryHashes(id)
		cp, mp := plain.PrimaryHashes(id)
		if ca != cp || ma != mp {
			t.Fatalf("repo %d differs with GitLab on", id)
		}
		for _, f := range []string{"eu", "us"} {
			na, _, oka := a.NodeHashes(f, f+"-1", id)
			np, _, okp := plain.NodeHashes(f, f+"-1", id)
			if na != np || oka != okp {
				t.Fatalf("repo %d on %s-1 differs with GitLab on", id, f)
			}
		}
	}
}

// TestGitLabRealTime serves concurrent reads and writes while the
// real-time clock runs.
func TestGitLabRealTime(t *testing.T) {
	s, err := Start(Options{Repos: 12, Seed: 3, PushEvery: -1, GitLab: &GitLabOptions{Token: "tok"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c := newGLClient(t, s, "tok")
	done := make(chan struct{})
	for w := 0; w < 4; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 15; i++ {
				for _, p := range []string{"/projects/101/remote_mirrors", "/groups/platform/projects?include_subgroups=true", "/projects/105/mirror/pull"} {
					if r := c.send(http.MethodGet, p, "", ""); r.status != http.StatusOK {
						t.Errorf("GET %s: %d", p, r.status)
						return
					}
				}
				c.send(http.MethodPost, "/projects/101/remote_mirrors/301/sync", "", "")
				c.send(http.MethodPost, "/projects/105/mirror/pull", "", "")
				c.send(http.MethodPut, "/projects/103/remote_mirrors/304", "application/json", `{"keep_divergent_refs":false}`)
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	for w := 0; w < 4; w++ {
		<-done
	}
	s.Advance(time.Minute)
	if st := mirrorState(t, s, "platform/api-gateway", "push"); st.UpdateStatus != "finished" || !st.LastSuccessfulUpdateAt.After(s.Now().Add(-2*time.Minute)) {
		t.Fatalf("healthy mirror in real time: %+v", st)
	}
}
