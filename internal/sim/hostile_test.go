package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// isHostileForm reports whether v is the hostile form of orig.
func isHostileForm(v, orig string) bool {
	return v != orig && strings.Contains(v, orig) && v == decodedForm(hostileText(orig))
}

// checkHostileJSON asserts that a hostile answer is valid JSON with every
// control character escaped.
func checkHostileJSON(t *testing.T, what string, body []byte) {
	t.Helper()
	if !json.Valid(body) {
		t.Fatalf("%s: invalid JSON %q", what, body)
	}
	if bytes.ContainsAny(body, "\x1b\x07\b\r") {
		t.Fatalf("%s: raw control characters in %q", what, body)
	}
}

func TestHostileSamples(t *testing.T) {
	if len(HostileSamples) != len(hostileSamples) {
		t.Fatal("HostileSamples and hostileSamples differ")
	}
	has := func(sub string) bool {
		for _, v := range HostileSamples {
			if strings.Contains(v, sub) {
				return true
			}
		}
		return false
	}
	for _, sub := range []string{"\x1b[2J", "\x1b[31m", "\x1b]0;", "\x1b]2;", "\x1b]8;;http://evil.example", "\x1b]52;c;", "\x07", "\b", "\r",
		"\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u009b"} {
		if !has(sub) {
			t.Errorf("no sample holds %q", sub)
		}
	}
	invalid := false
	for _, v := range HostileSamples {
		invalid = invalid || !utf8.ValidString(v)
	}
	if !invalid {
		t.Error("no sample is invalid UTF-8")
	}
	// The exported slice is a copy.
	if &HostileSamples[0] == &hostileSamples[0] {
		t.Fatal("the exported samples are shared")
	}
	// Two different samples around the original.
	for _, v := range []string{"api-gateway", "PLAT", "x"} {
		h := hostileText(v)
		if !strings.Contains(h, v) || h == v || hostileText(v) != h {
			t.Fatalf("hostileText(%q) = %q", v, h)
		}
	}
	if hostileText("") != "" {
		t.Fatal("an empty string became hostile")
	}
}

func TestHostileMode(t *testing.T) {
	s := startSim(t, quiet(Options{Hostile: true}))
	c := newClient(t)
	p := s.PrimaryURL()
	eu := farmInfo(t, s, "eu")

	r := c.get(p + api + "mirrorServers")
	checkHostileJSON(t, "mirrorServers", r.body)
	var ms pageOf[mirrorServerJSON]
	_ = json.Unmarshal(r.body, &ms)
	if len(ms.Values) != 2 || !isHostileForm(ms.Values[0].Name, "eu") || ms.Values[0].BaseURL != eu.URL || ms.Values[0].ID == "" {
		t.Fatalf("mirrorServers %#v", ms.Values)
	}

	r = c.get(p + api + "requests")
	checkHostileJSON(t, "requests", r.body)
	var reqs pageOf[mirroringRequestJSON]
	_ = json.Unmarshal(r.body, &reqs)
	if len(reqs.Values) != 3 || !isHostileForm(reqs.Values[2].MirrorName, "apac") || reqs.Values[2].MirrorBaseURL != "https://mirror-apac.example.com" {
		t.Fatalf("requests %#v", reqs.Values)
	}

	r = c.get(eu.Nodes[0].URL + api + "supportInfo/repoSyncStatus?limit=1000")
	checkHostileJSON(t, "repoSyncStatus", r.body)
	var st pageOf[syncStatusT]
	_ = json.Unmarshal(r.body, &st)
	if len(st.Values) != 60 || st.Values[0].ExternalRepoID != "1" || !isHostileForm(st.Values[0].RepoSlug, "api-gateway") {
		t.Fatalf("repoSyncStatus %#v", st.Values[0])
	}

	var mr mirroredRepoJSON
	c.getJSON(eu.Nodes[0].URL+api+"mirrorRepos/1", &mr)
	if !isHostileForm(mr.MirrorName, "eu") || !strings.HasSuffix(mr.CloneURLs[0].Href, "/scm/plat/api-gateway.git") {
		t.Fatalf("mirrorRepos/1 %#v", mr)
	}

	// The hostile key and slug, as a client decoded them, still find the
	// repository.
	var proj projectJSON
	c.getJSON(p+api+"projects/1", &proj)
	if !isHostileForm(proj.Key, "PLAT") || !isHostileForm(proj.Name, "Platform") || proj.ID != 1 {
		t.Fatalf("project %#v", proj)
	}
	var one syncStatusT
	c.getJSON(eu.Nodes[0].URL+api+"supportInfo/projects/"+url.PathEscape(proj.Key)+"/repos/"+url.PathEscape(st.Values[0].RepoSlug)+"/repoSyncStatus", &one)
	if one.ExternalRepoID != "1" {
		t.Fatalf("repoSyncStatus by hostile key and slug %#v", one)
	}

	// repo-hashes streams hostile keys and slugs, with its ids and hashes.
	r = c.get(p + api + "repo-hashes")
	checkHostileJSON(t, "repo-hashes", r.body)
	var hashes struct {
		Projects []struct {
			ID    int    `json:"id"`
			Key   string `json:"key"`
			Repos []struct {
				ID          int    `json:"id"`
				Slug        string `json:"slug"`
				ContentHash string `json:"contentHash"`
			} `json:"repos"`
		} `json:"projects"`
	}
	_ = json.Unmarshal(r.body, &hashes)
	hp := hashes.Projects[0]
	content, _ := s.PrimaryHashes(1)
	if hp.ID != 1 || !isHostileForm(hp.Key, "PLAT") || hp.Repos[0].ID != 1 || !isHostileForm(hp.Repos[0].Slug, "api-gateway") || hp.Repos[0].ContentHash != content {
		t.Fatalf("repo-hashes %#v", hp)
	}

	// Error bodies, also the fixed ones.
	r = c.expectStatus(http.MethodGet, p+api+"repos/999", http.StatusNotFound)
	checkHostileJSON(t, "404", r.body)
	var e restErrors
	_ = json.Unmarshal(r.body, &e)
	if !isHostileForm(e.Errors[0].Message, "Repository 999 does not exist.") {
		t.Fatalf("error %q", r.body)
	}
	us := farmInfo(t, s, "us")
	r, err := c.do(http.MethodPost, us.URL+api+"upstreamServers/"+us.UpstreamID+"/synchronization")
	if err != nil || r.status != http.StatusGone {
		t.Fatalf("gone: %v %d", err, r.status)
	}
	checkHostileJSON(t, "410", r.body)
	_ = json.Unmarshal(r.body, &e)
	if !isHostileForm(e.Errors[0].Message, "This operation is no longer supported") {
		t.Fatalf("gone body %q", r.body)
	}

	// Off at run time.
	s.SetHostile(false)
	c.getJSON(p+api+"projects/1", &proj)
	if proj.Key != "PLAT" {
		t.Fatalf("hostile mode off: key %q", proj.Key)
	}
	s.SetHostile(true)
	c.getJSON(p+api+"projects/1", &proj)
	if proj.Key == "PLAT" {
		t.Fatal("hostile mode back on: plain key")
	}
}

func TestHostileAuthFailure(t *testing.T) {
	s := startSim(t, quiet(Options{Hostile: true, User: "admin", Password: "pw"}))
	c := newClient(t)
	r := c.expectStatus(http.MethodGet, s.PrimaryURL()+api+"repos", http.StatusUnauthorized)
	checkHostileJSON(t, "401", r.body)
	var e restErrors
	_ = json.Unmarshal(r.body, &e)
	if !isHostileForm(e.Errors[0].Message, "Authentication failed. Please check your credentials and try again.") {
		t.Fatalf("401 body %q", r.body)
	}
}

func TestHostileGitLab(t *testing.T) {
	s := startSim(t, quiet(Options{Hostile: true, GitLab: &GitLabOptions{Token: "tok"}}))
	c := newGLClient(t, s, "tok")

	type projT struct {
		ID                int    `json:"id"`
		Name              string `json:"name"`
		NameWithNamespace string `json:"name_with_namespace"`
		Path              string `json:"path"`
		PathWithNamespace string `json:"path_with_namespace"`
		WebURL            string `json:"web_url"`
		HTTPURLToRepo     string `json:"http_url_to_repo"`
		ImportError       string `json:"import_error"`
		Namespace         struct {
			ID       int    `json:"id"`
			Name     string `json:"name"`
			FullPath string `json:"full_path"`
		} `json:"namespace"`
	}
	r := c.send(http.MethodGet, "/groups/platform/projects?include_subgroups=true&order_by=id&sort=asc", "", "")
	checkHostileJSON(t, "projects", r.body)
	var ps []projT
	c.decode(http.MethodGet, "projects", r, http.StatusOK, &ps)
	if len(ps) != 7 {
		t.Fatalf("%d projects", len(ps))
	}
	gw := ps[0]
	if gw.ID != 101 || !isHostileForm(gw.Name, "Api Gateway") || !isHostileForm(gw.Path, "api-gateway") ||
		!isHostileForm(gw.PathWithNamespace, "platform/api-gateway") || !isHostileForm(gw.NameWithNamespace, "Platform / Api Gateway") ||
		!isHostileForm(gw.Namespace.Name, "Platform") || gw.Namespace.FullPath != "platform" ||
		gw.WebURL != s.GitLabURL()+"/platform/api-gateway" || gw.HTTPURLToRepo != s.GitLabURL()+"/platform/api-gateway.git" {
		t.Fatalf("project %#v", gw)
	}
	// Pull-mirrored projects (another JSON shape) too.
	for _, p := range ps {
		if !isHostileForm(p.PathWithNamespace, s.GitLabProjects()[p.ID-101]) || p.Name == "" {
			t.Fatalf("project %#v", p)
		}
	}
	if ps[4].ID != 105 || !isHostileForm(ps[4].Name, "Ci Pipelines") || !isHostileForm(ps[5].ImportError, glErrPullDiverged) {
		t.Fatalf("pull-mirrored projects %#v %#v", ps[4], ps[5])
	}
	// A client addresses projects by the path_with_namespace it got.
	for _, p := range ps {
		var mirrors []map[string]any
		c.getJSON("/projects/"+url.PathEscape(p.PathWithNamespace)+"/remote_mirrors", &mirrors)
	}
	var billing []struct {
		ID        int     `json:"id"`
		URL       string  `json:"url"`
		LastError *string `json:"last_error"`
	}
	r = c.getJSON("/projects/"+url.PathEscape(ps[1].PathWithNamespace)+"/remote_mirrors", &billing)
	checkHostileJSON(t, "remote_mirrors", r.body)
	if len(billing) != 1 || billing[0].ID != 303 || billing[0].LastError == nil || !isHostileForm(*billing[0].LastError, glErrProtected) ||
		billing[0].URL != "https://*****:*****@gitlab.partner.example.com/acme/billing.git" {
		t.Fatalf("remote mirrors %#v", billing)
	}
	var pull struct {
		ID        int    `json:"id"`
		LastError string `json:"last_error"`
	}
	c.getJSON("/projects/"+url.PathEscape("platform/tools/helm-charts")+"/mirror/pull", &pull)
	if !isHostileForm(pull.LastError, glErrPullDiverged) {
		t.Fatalf("pull mirror %#v", pull)
	}
	// Messages, also of the guard.
	var m glMessage
	c.decode(http.MethodGet, "404", c.send(http.MethodGet, "/projects/nope%2Fnope", "", ""), http.StatusNotFound, &m)
	if !isHostileForm(m.Message, "404 Project Not Found") {
		t.Fatalf("404 %#v", m)
	}
	bad := newGLClient(t, s, "wrong")
	bad.decode(http.MethodGet, "401", bad.send(http.MethodGet, "/version", "", ""), http.StatusUnauthorized, &m)
	if !isHostileForm(m.Message, "401 Unauthorized") {
		t.Fatalf("401 %#v", m)
	}
}
