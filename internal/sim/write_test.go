package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// send issues a request with an optional JSON body.
func (c *client) send(method, url, body string) resp {
	c.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// expectSend asserts a status (and a RestErrors body for errors) and
// decodes a 200 JSON answer into v when v is not nil.
func (c *client) expectSend(method, url, body string, want int, v any) resp {
	c.t.Helper()
	r := c.send(method, url, body)
	if r.status != want {
		c.t.Fatalf("%s %s %s: status %d, want %d (body %s)", method, url, body, r.status, want, r.body)
	}
	if want >= 400 {
		var e restErrors
		if err := json.Unmarshal(r.body, &e); err != nil || len(e.Errors) == 0 || e.Errors[0].Message == "" {
			c.t.Fatalf("%s %s: not a RestErrors body: %s", method, url, r.body)
		}
	}
	if want == http.StatusNoContent && len(r.body) != 0 {
		c.t.Fatalf("%s %s: 204 with a body %q", method, url, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			c.t.Fatalf("%s %s: decode %T: %v (body %s)", method, url, v, err, r.body)
		}
	}
	return r
}

func errorMessage(t *testing.T, r resp) string {
	t.Helper()
	var e restErrors
	if err := json.Unmarshal(r.body, &e); err != nil || len(e.Errors) == 0 {
		t.Fatalf("not a RestErrors body: %s", r.body)
	}
	return e.Errors[0].Message
}

type mirrorServerT struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	BaseURL        string `json:"baseUrl"`
	Enabled        bool   `json:"enabled"`
	LastSeenDate   int64  `json:"lastSeenDate"`
	MirrorType     string `json:"mirrorType"`
	ProductType    string `json:"productType"`
	ProductVersion string `json:"productVersion"`
}

type requestT struct {
	ID             int    `json:"id"`
	State          string `json:"state"`
	MirrorID       string `json:"mirrorId"`
	MirrorName     string `json:"mirrorName"`
	MirrorBaseURL  string `json:"mirrorBaseUrl"`
	ProductVersion string `json:"productVersion"`
}

func pendingRequests(t *testing.T, c *client, s *Sim) []requestT {
	t.Helper()
	var pg pageOf[requestT]
	c.getJSON(s.PrimaryURL()+api+"requests?state=PENDING", &pg)
	return pg.Values
}

func TestAcceptRequest(t *testing.T) {
	s := startSim(t, quiet(Options{Repos: 24, SyncTime: 200 * time.Millisecond}))
	c := newClient(t)
	p := s.PrimaryURL() + api

	pend := pendingRequests(t, c, s)
	if len(pend) != 1 || pend[0].MirrorName != "apac" {
		t.Fatalf("pending = %+v", pend)
	}
	id := strconv.Itoa(pend[0].ID)
	c.expectSend(http.MethodGet, p+"requests/"+id+"/accept", "", http.StatusMethodNotAllowed, nil)

	var ms mirrorServerT
	c.expectSend(http.MethodPost, p+"requests/"+id+"/accept", "", http.StatusOK, &ms)
	ap := farmInfo(t, s, "apac")
	if ms.Name != "apac" || ms.BaseURL != ap.URL || ms.ID != pend[0].MirrorID || !ms.Enabled || ms.MirrorType != "FARM" ||
		ms.ProductVersion != "9.6.2" || ms.ProductType != "Bitbucket" || ms.LastSeenDate != testStart.UnixMilli() {
		t.Fatalf("accept answered %+v (farm %+v)", ms, ap)
	}
	if ap.Layout != Layout9 || len(ap.Nodes) != 2 || ap.Nodes[0].Name != "apac-1" || strings.Contains(ap.URL, "example.com") {
		t.Fatalf("new farm %+v", ap)
	}
	if got := s.RequestState(pend[0].ID); got != "ACCEPTED" {
		t.Fatalf("RequestState = %q", got)
	}
	if len(pendingRequests(t, c, s)) != 0 {
		t.Fatal("the accepted request is still pending")
	}
	var rq requestT
	c.getJSON(p+"requests/"+id, &rq)
	if rq.State != "ACCEPTED" || rq.MirrorBaseURL != ap.URL {
		t.Fatalf("accepted request = %+v", rq)
	}
	var servers pageOf[mirrorServerT]
	c.getJSON(p+"mirrorServers", &servers)
	if servers.Size != 3 || servers.Values[2] != ms {
		t.Fatalf("mirrorServers = %+v", servers.Values)
	}
	var one mirrorServerT
	c.getJSON(p+"mirrorServers/"+ms.ID, &one)
	if one != ms {
		t.Fatalf("mirrorServers/{id} = %+v", one)
	}
	cfg := s.ConfigTOML()
	for _, want := range []string{"name = \"apac\"", "url = \"" + ap.URL + "\"", "name = \"apac-2\"", ap.Nodes[1].URL} {
		if !strings.Contains(cfg, want) {
			t.Fatalf("config lacks %s:\n%s", want, cfg)
		}
	}

	// The new farm listens on every server and syncs from scratch.
	var pr progressT
	c.getJSON(ap.URL+api+"progress", &pr)
	if !pr.Discovering || pr.TotalRepos != 0 {
		t.Fatalf("progress of the new farm = %+v", pr)
	}
	var st map[string]any
	c.getJSON(ap.Nodes[1].URL+"/status", &st)
	if st["state"] != "METADATA_SYNCHRONIZED" || st["memberCount"] != "2" {
		t.Fatalf("status of the new farm = %v", st)
	}
	var up map[string]string
	c.getJSON(ap.Nodes[0].URL+api+"upstreamServer", &up)
	if up["baseUrl"] != s.PrimaryURL() || up["id"] != ap.UpstreamID {
		t.Fatalf("upstreamServer = %v", up)
	}
	s.Advance(10 * time.Second)
	c.getJSON(ap.URL+api+"progress", &pr)
	if pr.Discovering || pr.TotalRepos != 24 || pr.SyncedRepos != 0 {
		t.Fatalf("progress after discovery = %+v", pr)
	}
	s.Advance(5 * time.Minute)
	c.getJSON(ap.URL+api+"progress", &pr)
	if pr.SyncedRepos != 24 || pr.TotalRepos != 24 {
		t.Fatalf("progress at the end = %+v", pr)
	}
	c.getJSON(ap.Nodes[0].URL+"/status", &st)
	if st["state"] != "SYNCHRONIZED" {
		t.Fatalf("state at the end = %v", st["state"])
	}
	var pg pageOf[syncStatusT]
	c.getJSON(ap.Nodes[1].URL+api+"supportInfo/repoSyncStatus?limit=100", &pg)
	if pg.Size != 24 || pg.Values[0].UpstreamID != ap.UpstreamID {
		t.Fatalf("apac-2 lists %d repos", pg.Size)
	}
	// A push reaches the new farm like any other.
	s.Push(3)
	s.Advance(time.Minute)
	if ch, _, _ := s.NodeHashes("apac", "apac-2", 3); ch != mustPrimary(s, 3) {
		t.Fatal("the new farm did not sync a push")
	}

	// Only a pending request can be accepted or rejected.
	for _, action := range []string{"accept", "reject"} {
		r := c.expectSend(http.MethodPost, p+"requests/"+id+"/"+action, "", http.StatusConflict, nil)
		if msg := errorMessage(t, r); msg != "Mirroring request "+id+" is not pending" {
			t.Fatalf("%s twice: %q", action, msg)
		}
		c.expectSend(http.MethodPost, p+"requests/999/"+action, "", http.StatusConflict, nil)
	}
	if len(s.Farms()) != 3 {
		t.Fatalf("%d farms after a second accept", len(s.Farms()))
	}

	// A second mirror with the same name gets a farm of its own.
	id2 := s.AddRequest("apac", "")
	c.expectSend(http.MethodPost, s.PrimaryURL()+"/rest/mirroring/1.0/requests/"+strconv.Itoa(id2)+"/accept", "", http.StatusOK, &ms)
	if ms.Name != "apac-2" || farmInfo(t, s, "apac-2").Nodes[1].Name != "apac-2-2" {
		t.Fatalf("second apac farm %+v", ms)
	}
}

func TestRejectAndDeleteRequest(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	p := s.PrimaryURL() + api

	id := s.AddRequest("tokyo", "https://mirror-tokyo.example.com")
	if id != 4 || s.RequestState(id) != "PENDING" {
		t.Fatalf("AddRequest = %d, state %q", id, s.RequestState(id))
	}
	pend := pendingRequests(t, c, s)
	if len(pend) != 2 || pend[1].ID != id || pend[1].MirrorName != "tokyo" || pend[1].ProductVersion != "9.6.2" {
		t.Fatalf("pending = %+v", pend)
	}
	sid := strconv.Itoa(id)
	var ms mirrorServerT
	r := c.expectSend(http.MethodPost, p+"requests/"+sid+"/reject", "", http.StatusOK, &ms)
	if ms.ID != pend[1].MirrorID || ms.Name != "tokyo" || ms.BaseURL != "https://mirror-tokyo.example.com" || ms.Enabled ||
		ms.MirrorType != "FARM" || ms.ProductVersion != "9.6.2" {
		t.Fatalf("reject answered %s", r.body)
	}
	if f := rawFields(t, r.body); string(f["enabled"]) != "false" {
		t.Fatalf("enabled = %s", f["enabled"])
	}
	if s.RequestState(id) != "REJECTED" || len(s.Farms()) != 2 {
		t.Fatalf("after reject: state %q, %d farms", s.RequestState(id), len(s.Farms()))
	}
	if pend := pendingRequests(t, c, s); len(pend) != 1 || pend[0].MirrorName != "apac" {
		t.Fatalf("pending after reject = %+v", pend)
	}
	var rejected pageOf[requestT]
	c.getJSON(p+"requests?state=REJECTED", &rejected)
	if rejected.Size != 1 || rejected.Values[0].ID != id {
		t.Fatalf("rejected = %+v", rejected)
	}
	c.expectSend(http.MethodPost, p+"requests/"+sid+"/accept", "", http.StatusConflict, nil)
	c.expectSend(http.MethodPost, p+"requests/"+sid+"/reject", "", http.StatusConflict, nil)

	// Delete: 204, then the request is gone; ids are not reused.
	c.expectSend(http.MethodDelete, p+"requests/"+sid, "", http.StatusNoContent, nil)
	c.expectStatus(http.MethodGet, p+"requests/"+sid, http.StatusConflict)
	c.expectSend(http.MethodDelete, p+"requests/"+sid, "", http.StatusConflict, nil)
	c.expectSend(http.MethodDelete, p+"requests/abc", "", http.StatusConflict, nil)
	if s.RequestState(id) != "" {
		t.Fatal("RequestState of a deleted request")
	}
	if next := s.AddRequest("osaka", ""); next != id+1 {
		t.Fatalf("next request id %d", next)
	}
	var all pageOf[requestT]
	c.getJSON(p+"requests", &all)
	if all.Size != 4 || all.Values[3].MirrorBaseURL != "https://mirror-osaka.example.com" {
		t.Fatalf("requests = %+v", all.Values)
	}
	// Deleting an accepted request leaves its farm alone.
	c.expectSend(http.MethodDelete, s.PrimaryURL()+"/rest/mirroring/1.0/requests/1", "", http.StatusNoContent, nil)
	if len(s.Farms()) != 2 {
		t.Fatal("deleting an accepted request removed its farm")
	}
	c.expectSend(http.MethodPut, p+"requests/2", "", http.StatusMethodNotAllowed, nil)
	c.expectSend(http.MethodPost, p+"mirrorServers", "", http.StatusMethodNotAllowed, nil)
}

// reposOf lists the repository ids of a project (by its id) when there
// are six projects.
func reposOf(project, repos int) []string {
	var ids []string
	for id := project; id <= repos; id += 6 {
		ids = append(ids, strconv.Itoa(id))
	}
	return ids
}

func repoStatus(t *testing.T, c *client, url string) string {
	t.Helper()
	var mr map[string]any
	c.getJSON(url, &mr)
	return mr["status"].(string)
}

func queueIDs(t *testing.T, c *client, url string) []string {
	t.Helper()
	var q queueT
	c.getJSON(url+api+"supportInfo/refChangesQueue", &q)
	var ids []string
	for _, v := range q.Values {
		if v.Type != "SNAPSHOT" {
			t.Fatalf("queue item %+v", v)
		}
		ids = append(ids, v.ExternalRepoID)
	}
	return ids
}

func selectedFarms() []FarmSpec {
	return []FarmSpec{
		{Name: "eu", Layout: Layout9, Nodes: 2, ProjectKeys: []string{"PLAT"}},
		{Name: "us", Layout: Layout8, Nodes: 2, ProjectKeys: []string{"PLAT"}},
	}
}

func TestProjectSelection9(t *testing.T) {
	s := startSim(t, quiet(Options{Farms: selectedFarms()}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")
	set := eu.URL + api + "syncSettings"
	web := s.ProjectID("web")
	if web != "2" || s.ProjectID("NOPE") != "" {
		t.Fatalf("ProjectID(web) = %q", web)
	}

	var ids []string
	c.expectSend(http.MethodPost, set+"/projects/"+web, "", http.StatusOK, &ids)
	if !slices.Equal(ids, []string{"1", "2"}) {
		t.Fatalf("add WEB answered %v", ids)
	}
	if all, got := s.FarmProjects("eu"); all || !slices.Equal(got, []string{"1", "2"}) {
		t.Fatalf("FarmProjects = %v %v", all, got)
	}
	webRepos := reposOf(2, 60)
	if q := queueIDs(t, c, eu.URL); len(q) != len(webRepos)-2 || q[0] != webRepos[2] { // two workers took the first two
		t.Fatalf("queue after add = %v", q)
	}
	for _, n := range eu.Nodes {
		if st := repoStatus(t, c, n.URL+api+"mirrorRepos/2"); st != "INITIALIZING" {
			t.Fatalf("%s repo 2 before sync: %s", n.Name, st)
		}
		if _, ok := statusOf(t, c, n.URL, "2"); ok {
			t.Fatalf("%s lists repo 2 before it synced", n.Name)
		}
	}
	var pr progressT
	c.getJSON(eu.URL+api+"progress", &pr)
	if pr.TotalRepos != 20 || pr.SyncedRepos != 10 {
		t.Fatalf("progress after add = %+v", pr)
	}
	s.Advance(time.Minute)
	for _, n := range eu.Nodes {
		for _, id := range webRepos {
			if st := repoStatus(t, c, n.URL+api+"mirrorRepos/"+id); st != "AVAILABLE" {
				t.Fatalf("%s repo %s after sync: %s", n.Name, id, st)
			}
			st, ok := statusOf(t, c, n.URL, id)
			if !ok || st.Hashes.Content != mustPrimary(s, atoi(id)) || st.RepoSlug == "" {
				t.Fatalf("%s repoSyncStatus of %s: %+v %v", n.Name, id, st, ok)
			}
		}
	}
	c.getJSON(eu.URL+api+"progress", &pr)
	if pr.TotalRepos != 20 || pr.SyncedRepos != 20 {
		t.Fatalf("progress after sync = %+v", pr)
	}

	// Adding again is a no-op; unknown projects are 404.
	c.expectSend(http.MethodPost, set+"/projects/2", "", http.StatusOK, &ids)
	if !slices.Equal(ids, []string{"1", "2"}) || s.QueueDepth("eu") != 0 {
		t.Fatalf("re-add: %v, queue %d", ids, s.QueueDepth("eu"))
	}
	for _, bad := range []string{"99", "0", "abc"} {
		c.expectSend(http.MethodPost, set+"/projects/"+bad, "", http.StatusNotFound, nil)
		c.expectSend(http.MethodDelete, set+"/projects/"+bad, "", http.StatusNotFound, nil)
	}
	c.expectSend(http.MethodPost, set+"/projects", `["3","99"]`, http.StatusNotFound, nil)
	if _, got := s.FarmProjects("eu"); len(got) != 2 {
		t.Fatalf("a bulk add with an unknown id changed the selection: %v", got)
	}

	// Bulk add takes strings (and integers).
	c.expectSend(http.MethodPost, set+"/projects", `["3", 4]`, http.StatusOK, &ids)
	if !slices.Equal(ids, []string{"1", "2", "3", "4"}) {
		t.Fatalf("bulk add answered %v", ids)
	}
	var settings settingsJSON
	c.getJSON(set, &settings)
	if settings.Mode != "SELECTED_PROJECTS" || !slices.Equal(settings.ProjectIDs, ids) {
		t.Fatalf("syncSettings = %+v", settings)
	}

	// Removing a project drops its waiting items and its repositories.
	c.expectSend(http.MethodDelete, set+"/projects/3", "", http.StatusNoContent, nil)
	for _, id := range queueIDs(t, c, eu.URL) {
		if atoi(id)%6 == 3 {
			t.Fatalf("queue still holds repo %s of a removed project", id)
		}
	}
	c.expectSend(http.MethodDelete, set+"/projects/2", "", http.StatusNoContent, nil)
	for _, n := range eu.Nodes {
		if _, ok := statusOf(t, c, n.URL, "2"); ok {
			t.Fatalf("%s still lists repo 2", n.Name)
		}
		if st := repoStatus(t, c, n.URL+api+"mirrorRepos/8"); st != "NOT_MIRRORED" {
			t.Fatalf("%s repo 8 after removal: %s", n.Name, st)
		}
		if _, _, ok := s.NodeHashes("eu", n.Name, 8); ok {
			t.Fatalf("%s still holds repo 8", n.Name)
		}
	}
	s.Advance(time.Minute)
	for _, n := range eu.Nodes {
		var pg pageOf[syncStatusT]
		c.getJSON(n.URL+api+"supportInfo/repoSyncStatus?limit=100", &pg)
		if pg.Size != 20 { // PLAT and OPS
			t.Fatalf("%s lists %d repos", n.Name, pg.Size)
		}
		for _, v := range pg.Values {
			if k := atoi(v.ExternalRepoID) % 6; k != 1 && k != 4 {
				t.Fatalf("%s lists repo %s", n.Name, v.ExternalRepoID)
			}
		}
	}

	// Removing the last selected project is allowed.
	c.expectSend(http.MethodDelete, set+"/projects/1", "", http.StatusNoContent, nil)
	c.expectSend(http.MethodDelete, eu.Nodes[1].URL+"/rest/mirroring/1.0/syncSettings/projects/4", "", http.StatusNoContent, nil)
	c.getJSON(set+"/projects", &ids)
	if ids == nil || len(ids) != 0 {
		t.Fatalf("projects after removing all = %v", ids)
	}
	c.getJSON(eu.URL+api+"progress", &pr)
	if pr.TotalRepos != 0 || pr.SyncedRepos != 0 {
		t.Fatalf("progress with nothing mirrored = %+v", pr)
	}

	// Bad bodies and methods.
	for _, body := range []string{``, `{"a":1}`, `not json`, `[1.5]`, `null`, `"1"`, `[true]`} {
		c.expectSend(http.MethodPost, set+"/projects", body, http.StatusBadRequest, nil)
	}
	for _, body := range []string{``, `ALL_PROJECTS`, `"all_projects"`, `"BOGUS"`, `["ALL_PROJECTS"]`, `{"mode":"ALL_PROJECTS"}`} {
		c.expectSend(http.MethodPut, set+"/mode", body, http.StatusBadRequest, nil)
	}
	for _, body := range []string{``, `[]`, `{"projectIds":["1"]}`, `{"mode":"NONE"}`, `{"mode":"SELECTED_PROJECTS","projectIds":[{}]}`} {
		c.expectSend(http.MethodPut, set, body, http.StatusBadRequest, nil)
	}
	c.expectSend(http.MethodPut, set, `{"mode":"SELECTED_PROJECTS","projectIds":["42"]}`, http.StatusNotFound, nil)
	c.expectSend(http.MethodDelete, set+"/projects", `["1"]`, http.StatusMethodNotAllowed, nil) // 8.x only
	c.expectSend(http.MethodGet, set+"/projects/1", "", http.StatusMethodNotAllowed, nil)
	c.expectSend(http.MethodPost, set+"/mode", `"ALL_PROJECTS"`, http.StatusMethodNotAllowed, nil)
	c.expectSend(http.MethodPost, eu.URL+api+"upstreamServers/"+eu.UpstreamID+"/settings/projects/1", "", http.StatusNotFound, nil)

	// PUT syncSettings sets the selection exactly.
	c.expectSend(http.MethodPut, set, `{"mode":"SELECTED_PROJECTS","projectIds":["5","2"]}`, http.StatusOK, &settings)
	if settings.Mode != "SELECTED_PROJECTS" || !slices.Equal(settings.ProjectIDs, []string{"2", "5"}) {
		t.Fatalf("PUT syncSettings answered %+v", settings)
	}
	c.expectSend(http.MethodPut, set+"/mode", `"SELECTED_PROJECTS"`, http.StatusOK, nil)
	s.Advance(time.Minute)

	// ALL_PROJECTS queues everything not yet mirrored; there is no way back.
	var mode string
	c.expectSend(http.MethodPut, set+"/mode", `"ALL_PROJECTS"`, http.StatusOK, &mode)
	if mode != "ALL_PROJECTS" {
		t.Fatalf("mode answer %q", mode)
	}
	if all, got := s.FarmProjects("eu"); !all || got != nil {
		t.Fatalf("FarmProjects after ALL = %v %v", all, got)
	}
	if q := queueIDs(t, c, eu.URL); len(q) != 40-2 {
		t.Fatalf("queue after ALL_PROJECTS holds %d items", len(q))
	}
	c.getJSON(set, &settings)
	if settings.Mode != "ALL_PROJECTS" || len(settings.ProjectIDs) != 0 {
		t.Fatalf("settings after ALL = %+v", settings)
	}
	s.Advance(5 * time.Minute)
	c.getJSON(eu.URL+api+"progress", &pr)
	if pr.TotalRepos != 60 || pr.SyncedRepos != 60 {
		t.Fatalf("progress after ALL = %+v", pr)
	}
	r := c.expectSend(http.MethodPut, set+"/mode", `"SELECTED_PROJECTS"`, http.StatusBadRequest, nil)
	if msg := errorMessage(t, r); msg != msgIrreversible {
		t.Fatalf("back to SELECTED: %q", msg)
	}
	c.expectSend(http.MethodPut, set, `{"mode":"SELECTED_PROJECTS","projectIds":["1"]}`, http.StatusBadRequest, nil)
	c.expectSend(http.MethodDelete, set+"/projects/1", "", http.StatusBadRequest, nil)
	c.expectSend(http.MethodPut, set+"/mode", `"ALL_PROJECTS"`, http.StatusOK, nil)
	c.expectSend(http.MethodPut, set, `{"mode":"ALL_PROJECTS","projectIds":[]}`, http.StatusOK, &settings)
	c.expectSend(http.MethodPost, set+"/projects/3", "", http.StatusOK, &ids)
	if len(ids) != 0 || s.QueueDepth("eu") != 0 {
		t.Fatalf("add in ALL mode: %v, queue %d", ids, s.QueueDepth("eu"))
	}
	// The other farm was never touched.
	if all, got := s.FarmProjects("us"); all || !slices.Equal(got, []string{"1"}) {
		t.Fatalf("us FarmProjects = %v %v", all, got)
	}
	if all, got := s.FarmProjects("nope"); all || got != nil {
		t.Fatal("FarmProjects of an unknown farm")
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func TestProjectSelection8(t *testing.T) {
	s := startSim(t, quiet(Options{Farms: selectedFarms()}))
	c := newClient(t)
	us := farmInfo(t, s, "us")
	base := us.Nodes[0].URL + api + "upstreamServers/" + us.UpstreamID
	set := us.URL + api + "upstreamServers/" + us.UpstreamID + "/settings"

	var ids []string
	c.expectSend(http.MethodPost, set+"/projects/2", "", http.StatusOK, &ids)
	if !slices.Equal(ids, []string{"1", "2"}) {
		t.Fatalf("add answered %v", ids)
	}
	if st := repoStatus(t, c, base+"/repos/8"); st != "INITIALIZING" {
		t.Fatalf("repo 8 before sync: %s", st)
	}
	s.Advance(time.Minute)
	for _, n := range us.Nodes {
		if st := repoStatus(t, c, n.URL+api+"upstreamServers/"+us.UpstreamID+"/repos/8"); st != "AVAILABLE" {
			t.Fatalf("%s repo 8 after sync: %s", n.Name, st)
		}
		if _, ok := statusOf(t, c, n.URL, "8"); !ok {
			t.Fatalf("%s does not list repo 8", n.Name)
		}
	}

	// Bulk remove is 8.x only, with a body.
	c.expectSend(http.MethodDelete, set+"/projects", `["2"]`, http.StatusNoContent, nil)
	if _, ok := statusOf(t, c, us.Nodes[1].URL, "8"); ok {
		t.Fatal("us-2 still lists repo 8")
	}
	if st := repoStatus(t, c, base+"/repos/8"); st != "NOT_MIRRORED" {
		t.Fatalf("repo 8 after removal: %s", st)
	}
	c.expectSend(http.MethodDelete, set+"/projects", `[`, http.StatusBadRequest, nil)
	c.expectSend(http.MethodDelete, set+"/projects", `["77"]`, http.StatusNotFound, nil)

	c.expectSend(http.MethodPost, set+"/projects", `["2","3"]`, http.StatusOK, &ids)
	if !slices.Equal(ids, []string{"1", "2", "3"}) {
		t.Fatalf("bulk add answered %v", ids)
	}
	c.expectSend(http.MethodDelete, set+"/projects/3", "", http.StatusNoContent, nil)
	var settings settingsJSON
	c.expectSend(http.MethodPut, set, `{"mode":"SELECTED_PROJECTS","projectIds":["1","2","6"]}`, http.StatusOK, &settings)
	if !slices.Equal(settings.ProjectIDs, []string{"1", "2", "6"}) {
		t.Fatalf("PUT settings answered %+v", settings)
	}
	var mode string
	c.expectSend(http.MethodPut, set+"/mode", `"ALL_PROJECTS"`, http.StatusOK, &mode)
	c.getJSON(base+"/settings/mode", &mode)
	if mode != "ALL_PROJECTS" {
		t.Fatalf("mode = %q", mode)
	}
	c.expectSend(http.MethodPut, set+"/mode", `"SELECTED_PROJECTS"`, http.StatusBadRequest, nil)
	s.Advance(5 * time.Minute)
	var pr progressT
	c.getJSON(base+"/progress", &pr)
	if pr.TotalRepos != 60 || pr.SyncedRepos != 60 {
		t.Fatalf("progress after ALL = %+v", pr)
	}

	// 9.x paths do not exist on an 8.x node, nor does another upstream.
	c.expectSend(http.MethodPost, us.URL+api+"syncSettings/projects/1", "", http.StatusNotFound, nil)
	c.expectSend(http.MethodPut, us.URL+api+"syncSettings/mode", `"ALL_PROJECTS"`, http.StatusNotFound, nil)
	c.expectSend(http.MethodPost, us.URL+api+"upstreamServers/00000000-0000-4000-8000-000000000000/settings/projects/1", "", http.StatusNotFound, nil)
	// The removed sync triggers still answer 410.
	c.expectSend(http.MethodPost, base+"/synchronization", "", http.StatusGone, nil)
}

func TestWriteAuthAndFaults(t *testing.T) {
	s := startSim(t, quiet(Options{User: "admin", Password: "secret", Token: "tok"}))
	anon := newClient(t)
	c := newClient(t).withBasic("admin", "secret")
	p := s.PrimaryURL() + api
	eu := farmInfo(t, s, "eu")
	us := farmInfo(t, s, "us")

	r := anon.send(http.MethodPost, p+"requests/3/accept", "")
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("anonymous accept: %d", r.status)
	}
	for _, call := range []struct{ method, url, body string }{
		{http.MethodPost, p + "requests/3/reject", ""},
		{http.MethodDelete, p + "requests/3", ""},
		{http.MethodPut, eu.URL + api + "syncSettings/mode", `"ALL_PROJECTS"`},
		{http.MethodPost, us.Nodes[0].URL + api + "upstreamServers/" + us.UpstreamID + "/settings/projects/4", ""},
	} {
		anon.expectSend(call.method, call.url, call.body, http.StatusUnauthorized, nil)
	}
	wrong := newClient(t).withBasic("admin", "nope")
	wrong.expectSend(http.MethodPost, p+"requests/3/accept", "", http.StatusUnauthorized, nil)
	if s.RequestState(3) != "PENDING" {
		t.Fatal("an unauthenticated accept changed the request")
	}

	// Faults apply to writes as to reads.
	s.SetFault("primary", "/rest/mirroring/latest/requests", Fault{Status: http.StatusForbidden})
	c.expectSend(http.MethodPost, p+"requests/3/accept", "", http.StatusForbidden, nil)
	if s.RequestState(3) != "PENDING" || len(s.Farms()) != 2 {
		t.Fatal("a faulted accept changed something")
	}
	s.SetFault("us", "", Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second, Times: 1})
	r = c.expectSend(http.MethodPost, us.URL+api+"upstreamServers/"+us.UpstreamID+"/settings/projects/4", "", http.StatusServiceUnavailable, nil)
	if r.header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	if _, got := s.FarmProjects("us"); len(got) != 3 {
		t.Fatalf("a faulted add changed the selection: %v", got)
	}
	var ids []string
	c.expectSend(http.MethodPost, us.URL+api+"upstreamServers/"+us.UpstreamID+"/settings/projects/4", "", http.StatusOK, &ids)
	if len(ids) != 4 {
		t.Fatalf("add answered %v", ids)
	}
	s.ClearFaults()
	bearer := newClient(t).withBearer("tok")
	bearer.expectSend(http.MethodPost, p+"requests/3/reject", "", http.StatusOK, nil)

	var n401, n403, nWrites int
	for _, rq := range s.Requests() {
		if rq.Method == http.MethodGet {
			continue
		}
		nWrites++
		switch rq.Status {
		case http.StatusUnauthorized:
			n401++
		case http.StatusForbidden:
			n403++
		}
	}
	if n401 != 6 || n403 != 1 || nWrites != 11 { // the LB and its node both log a forwarded request
		t.Fatalf("request log: %d writes, %d x 401, %d x 403", nWrites, n401, n403)
	}
	if got := s.RequestCount("primary", "/rest/mirroring/latest/requests/3/"); got != 2 {
		t.Fatalf("RequestCount of authenticated request writes = %d", got)
	}
}
