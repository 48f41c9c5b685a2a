package sim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var isoRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestLayout9Paths(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")
	n1 := eu.Nodes[0].URL

	var up map[string]any
	c.getJSON(n1+api+"upstreamServer", &up)
	if up["id"] != eu.UpstreamID || up["baseUrl"] != s.PrimaryURL() || up["state"] != "INSTALLED" || len(up) != 3 {
		t.Fatalf("upstreamServer = %v", up)
	}

	var pr progressT
	c.getJSON(n1+api+"progress", &pr)
	if pr.Discovering || pr.TotalRepos != 60 || pr.SyncedRepos != 60 {
		t.Fatalf("progress = %+v", pr)
	}
	// The 1.0 alias serves the same resource.
	var pr10 progressT
	c.getJSON(n1+"/rest/mirroring/1.0/progress", &pr10)
	if pr10 != pr {
		t.Fatalf("1.0 progress = %+v, latest %+v", pr10, pr)
	}

	var nodes []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Address struct {
			Address string `json:"address"`
			Port    int    `json:"port"`
		} `json:"address"`
		BuildVersion string `json:"buildVersion"`
		Local        bool   `json:"local"`
	}
	c.getJSON(eu.Nodes[1].URL+api+"farmNodes", &nodes)
	if len(nodes) != 3 {
		t.Fatalf("farmNodes: %d nodes", len(nodes))
	}
	for i, n := range nodes {
		if n.Name != eu.Nodes[i].Name || n.ID != eu.Nodes[i].ID || n.Address.Port != 5701+i || n.BuildVersion != "9.6.2" || n.Local != (i == 1) {
			t.Fatalf("farmNodes[%d] = %+v", i, n)
		}
	}

	var settings struct {
		Mode       string   `json:"mode"`
		ProjectIDs []string `json:"projectIds"`
	}
	c.getJSON(n1+api+"syncSettings", &settings)
	if settings.Mode != "ALL_PROJECTS" || settings.ProjectIDs == nil || len(settings.ProjectIDs) != 0 {
		t.Fatalf("syncSettings = %+v", settings)
	}
	var mode string
	c.getJSON(n1+api+"syncSettings/mode", &mode)
	if mode != "ALL_PROJECTS" {
		t.Fatalf("syncSettings/mode = %q", mode)
	}
	var ids []string
	c.getJSON(n1+api+"syncSettings/projects", &ids)
	if ids == nil || len(ids) != 0 {
		t.Fatalf("syncSettings/projects = %v", ids)
	}

	var mr struct {
		RepositoryID string `json:"repositoryId"`
		MirrorName   string `json:"mirrorName"`
		Available    bool   `json:"available"`
		LastUpdated  string `json:"lastUpdated"`
		Status       string `json:"status"`
		CloneURLs    []link `json:"cloneUrls"`
		PushURLs     []link `json:"pushUrls"`
		Links        struct {
			Clone []link `json:"clone"`
		} `json:"links"`
	}
	c.getJSON(n1+api+"mirrorRepos/7", &mr)
	if mr.RepositoryID != "7" || mr.MirrorName != "eu" || !mr.Available || mr.Status != "AVAILABLE" || !isoRe.MatchString(mr.LastUpdated) {
		t.Fatalf("mirrorRepos/7 = %+v", mr)
	}
	if len(mr.CloneURLs) != 1 || mr.CloneURLs[0].Name != "http" || !strings.HasPrefix(mr.CloneURLs[0].Href, eu.URL+"/scm/plat/") ||
		len(mr.PushURLs) != 1 || !strings.HasPrefix(mr.PushURLs[0].Href, s.PrimaryURL()+"/scm/plat/") || len(mr.Links.Clone) != 1 {
		t.Fatalf("mirrorRepos/7 links = %+v", mr)
	}
	c.expectStatus(http.MethodGet, n1+api+"mirrorRepos/999", http.StatusNotFound)

	var locks []map[string]any
	c.getJSON(n1+api+"supportInfo/repo-lock-owners", &locks)
	if locks == nil || len(locks) != 0 {
		t.Fatalf("repo-lock-owners = %v", locks)
	}
	var delayed []map[string]string
	c.getJSON(n1+api+"mirrorRepos/delayed-sync", &delayed)
	if delayed == nil || len(delayed) != 0 {
		t.Fatalf("delayed-sync = %v", delayed)
	}

	var one syncStatusT
	c.getJSON(n1+api+"supportInfo/projects/PLAT/repos/api-gateway/repoSyncStatus", &one)
	if one.ExternalRepoID != "1" || one.RepoSlug != "api-gateway" {
		t.Fatalf("repoSyncStatus by slug = %+v", one)
	}
	c.expectStatus(http.MethodGet, n1+api+"supportInfo/projects/PLAT/repos/nope/repoSyncStatus", http.StatusNotFound)

	var props map[string]string
	c.getJSON(n1+"/rest/api/latest/application-properties", &props)
	if props["version"] != "9.6.2" || props["buildNumber"] != "9006002" || props["displayName"] != "Bitbucket" {
		t.Fatalf("application-properties = %v", props)
	}

	// 8.x-style paths do not exist on a 9.x node, nor do sync triggers.
	for _, p := range []string{
		"upstreamServers",
		"upstreamServers/" + eu.UpstreamID,
		"upstreamServers/" + eu.UpstreamID + "/progress",
		"upstreamServers/" + eu.UpstreamID + "/farmNodes",
		"upstreamServers/" + eu.UpstreamID + "/repos/1",
		"upstreamServers/" + eu.UpstreamID + "/settings",
		"nonsense",
	} {
		c.expectStatus(http.MethodGet, n1+api+p, http.StatusNotFound)
	}
	c.expectStatus(http.MethodPost, n1+api+"upstreamServers/"+eu.UpstreamID+"/synchronization", http.StatusNotFound)
	c.expectStatus(http.MethodPost, n1+api+"upstreamServers/"+eu.UpstreamID+"/repos/1/synchronization", http.StatusNotFound)
	c.expectStatus(http.MethodGet, n1+"/nowhere", http.StatusNotFound)
}

func TestLayout8Paths(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	us := farmInfo(t, s, "us")
	if us.Layout != Layout8 {
		t.Fatalf("us layout %q", us.Layout)
	}
	n1 := us.Nodes[0].URL
	base := n1 + api + "upstreamServers/" + us.UpstreamID

	var ups pageOf[map[string]string]
	c.getJSON(n1+api+"upstreamServers", &ups)
	if ups.Size != 1 || !ups.IsLastPage || len(ups.Values) != 1 {
		t.Fatalf("upstreamServers page = %+v", ups)
	}
	want := map[string]string{"id": us.UpstreamID, "state": "INSTALLED", "type": "server", "baseUrl": s.PrimaryURL(), "apiBaseUrl": s.PrimaryURL()}
	for k, v := range want {
		if ups.Values[0][k] != v {
			t.Fatalf("upstreamServers[0][%s] = %q, want %q", k, ups.Values[0][k], v)
		}
	}
	var up map[string]string
	c.getJSON(base, &up)
	if up["id"] != us.UpstreamID {
		t.Fatalf("upstreamServers/{id} = %v", up)
	}
	c.expectStatus(http.MethodGet, n1+api+"upstreamServers/00000000-0000-4000-8000-000000000000", http.StatusNotFound)

	var pr progressT
	c.getJSON(base+"/progress", &pr)
	if pr.TotalRepos != 30 || pr.SyncedRepos != 30 { // PLAT, WEB and DATA: half of 60 repos
		t.Fatalf("progress = %+v", pr)
	}
	var nodes []map[string]any
	c.getJSON(base+"/farmNodes", &nodes)
	if len(nodes) != 2 || nodes[0]["local"] != true || nodes[1]["local"] != false || nodes[0]["buildVersion"] != "8.19.9" {
		t.Fatalf("farmNodes = %v", nodes)
	}
	var mr map[string]any
	c.getJSON(base+"/repos/1", &mr)
	if mr["status"] != "AVAILABLE" || mr["repositoryId"] != "1" || mr["mirrorName"] != "us" {
		t.Fatalf("repos/1 = %v", mr)
	}
	c.getJSON(base+"/repos/4", &mr) // project OPS is not mirrored by us
	if mr["status"] != "NOT_MIRRORED" || mr["available"] != false {
		t.Fatalf("repos/4 = %v", mr)
	}
	var settings struct {
		Mode       string   `json:"mode"`
		ProjectIDs []string `json:"projectIds"`
	}
	c.getJSON(base+"/settings", &settings)
	if settings.Mode != "SELECTED_PROJECTS" || !slices.Equal(settings.ProjectIDs, []string{"1", "2", "3"}) {
		t.Fatalf("settings = %+v", settings)
	}
	var mode string
	c.getJSON(base+"/settings/mode", &mode)
	var ids []string
	c.getJSON(base+"/settings/projects", &ids)
	if mode != "SELECTED_PROJECTS" || !slices.Equal(ids, []string{"1", "2", "3"}) {
		t.Fatalf("settings/mode = %q, settings/projects = %v", mode, ids)
	}
	var props map[string]string
	c.getJSON(n1+"/rest/api/latest/application-properties", &props)
	if props["version"] != "8.19.9" || props["buildNumber"] != "8019009" {
		t.Fatalf("application-properties = %v", props)
	}
	// Shared support endpoints.
	var pg pageOf[syncStatusT]
	c.getJSON(n1+api+"supportInfo/repoSyncStatus", &pg)
	if pg.Size != 25 || pg.Values[0].UpstreamID != us.UpstreamID {
		t.Fatalf("repoSyncStatus = %+v", pg)
	}

	// The removed synchronization triggers answer 410 Gone.
	for _, p := range []string{base + "/synchronization", base + "/repos/1/synchronization"} {
		r := c.expectStatus(http.MethodPost, p, http.StatusGone)
		if got := strings.TrimSpace(string(r.body)); got != goneBody {
			t.Fatalf("410 body = %s", got)
		}
	}

	// 9.x-only paths do not exist on an 8.x node.
	for _, p := range []string{
		"upstreamServer", "progress", "farmNodes", "mirrorRepos/1", "mirrorRepos/delayed-sync",
		"syncSettings", "syncSettings/mode", "syncSettings/projects", "supportInfo/repo-lock-owners",
	} {
		c.expectStatus(http.MethodGet, n1+api+p, http.StatusNotFound)
	}
}

func TestPrimaryEndpoints(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	p := s.PrimaryURL()

	var st map[string]string
	c.getJSON(p+"/status", &st)
	if st["state"] != "RUNNING" {
		t.Fatalf("status = %v", st)
	}
	var props map[string]string
	c.getJSON(p+"/rest/api/latest/application-properties", &props)
	want := map[string]string{"version": "9.6.2", "buildNumber": "9006002", "buildDate": "1730000000000", "displayName": "Bitbucket"}
	for k, v := range want {
		if props[k] != v {
			t.Fatalf("application-properties[%s] = %q", k, props[k])
		}
	}

	// mirrorServers: lastSeenDate is epoch milliseconds (a JSON number).
	r := c.get(p + api + "mirrorServers")
	var ms pageOf[json.RawMessage]
	if err := json.Unmarshal(r.body, &ms); err != nil || ms.Size != 2 {
		t.Fatalf("mirrorServers: %v %s", err, r.body)
	}
	eu := farmInfo(t, s, "eu")
	f0 := rawFields(t, ms.Values[0])
	if string(f0["lastSeenDate"]) != strconv.FormatInt(testStart.UnixMilli(), 10) {
		t.Fatalf("lastSeenDate = %s", f0["lastSeenDate"])
	}
	var m0 map[string]any
	_ = json.Unmarshal(ms.Values[0], &m0)
	if m0["name"] != "eu" || m0["baseUrl"] != eu.URL || m0["enabled"] != true || m0["mirrorType"] != "FARM" ||
		m0["productType"] != "Bitbucket" || m0["productVersion"] != "9.6.2" {
		t.Fatalf("mirrorServers[0] = %v", m0)
	}
	id := m0["id"].(string)
	if !regexp.MustCompile(`^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$`).MatchString(id) {
		t.Fatalf("mirror id %q", id)
	}
	var one map[string]any
	c.getJSON(p+api+"mirrorServers/"+id, &one)
	if one["name"] != "eu" {
		t.Fatalf("mirrorServers/{id} = %v", one)
	}
	c.expectStatus(http.MethodGet, p+api+"mirrorServers/NOPE", http.StatusNotFound)

	// Mirroring requests: one ACCEPTED per farm and one PENDING.
	var reqs pageOf[map[string]any]
	c.getJSON(p+api+"requests", &reqs)
	if reqs.Size != 3 {
		t.Fatalf("requests = %+v", reqs)
	}
	var pending pageOf[map[string]any]
	c.getJSON(p+api+"requests?state=pending", &pending)
	if pending.Size != 1 || pending.Values[0]["mirrorName"] != "apac" || pending.Values[0]["state"] != "PENDING" ||
		pending.Values[0]["mirrorBaseUrl"] != "https://mirror-apac.example.com" {
		t.Fatalf("pending requests = %+v", pending)
	}
	var accepted pageOf[map[string]any]
	c.getJSON(p+api+"requests?state=ACCEPTED", &accepted)
	if accepted.Size != 2 || accepted.Values[0]["mirrorId"] != id || accepted.Values[0]["mirrorType"] != "FARM" {
		t.Fatalf("accepted requests = %+v", accepted)
	}
	for _, k := range []string{"id", "state", "mirrorId", "mirrorName", "mirrorBaseUrl", "mirrorType", "productVersion", "productType", "addonDescriptorUri"} {
		if _, ok := accepted.Values[0][k]; !ok {
			t.Fatalf("request lacks %s: %v", k, accepted.Values[0])
		}
	}
	reqID := strconv.Itoa(int(pending.Values[0]["id"].(float64)))
	c.getJSON(p+api+"requests/"+reqID, &one)
	if one["mirrorName"] != "apac" {
		t.Fatalf("requests/%s = %v", reqID, one)
	}
	c.expectStatus(http.MethodGet, p+api+"requests/999", http.StatusConflict)

	// Repositories.
	type repoT struct {
		ID            int    `json:"id"`
		Slug          string `json:"slug"`
		Name          string `json:"name"`
		ScmID         string `json:"scmId"`
		State         string `json:"state"`
		StatusMessage string `json:"statusMessage"`
		Forkable      bool   `json:"forkable"`
		Public        bool   `json:"public"`
		Archived      bool   `json:"archived"`
		HierarchyID   string `json:"hierarchyId"`
		Project       struct {
			ID     int    `json:"id"`
			Key    string `json:"key"`
			Name   string `json:"name"`
			Public bool   `json:"public"`
			Type   string `json:"type"`
		} `json:"project"`
		Links struct {
			Clone []link `json:"clone"`
			Self  []link `json:"self"`
		} `json:"links"`
		Properties map[string]string `json:"properties"`
	}
	var repos pageOf[repoT]
	c.getJSON(p+api+"repos", &repos)
	r1 := repos.Values[0]
	if r1.ID != 1 || r1.Slug != "api-gateway" || r1.Name != "Api Gateway" || r1.ScmID != "git" || r1.State != "AVAILABLE" ||
		r1.StatusMessage != "Available" || !r1.Forkable || r1.Public || r1.Archived || !isHex(r1.HierarchyID, 20) ||
		r1.Project.ID != 1 || r1.Project.Key != "PLAT" || r1.Project.Type != "NORMAL" {
		t.Fatalf("repos[0] = %+v", r1)
	}
	if len(r1.Links.Clone) != 1 || r1.Links.Clone[0].Href != p+"/scm/plat/api-gateway.git" || r1.Links.Clone[0].Name != "http" || len(r1.Links.Self) != 1 {
		t.Fatalf("repos[0].links = %+v", r1.Links)
	}
	if _, has := r1.Properties["defaultBranchId"]; has || len(r1.Properties) != 2 {
		t.Fatalf("repos[0].properties = %v", r1.Properties)
	}
	for i, v := range repos.Values {
		if v.ID != i+1 {
			t.Fatalf("repos not ordered by id: %d at %d", v.ID, i)
		}
	}
	c.getJSON(p+api+"repos?includeDefaultBranch=true&limit=1", &repos)
	if repos.Values[0].Properties["defaultBranchId"] != "refs/heads/main" {
		t.Fatalf("includeDefaultBranch: %v", repos.Values[0].Properties)
	}
	var rone repoT
	c.getJSON(p+api+"repos/8", &rone)
	if rone.ID != 8 || rone.Project.Key != "WEB" {
		t.Fatalf("repos/8 = %+v", rone)
	}
	c.expectStatus(http.MethodGet, p+api+"repos/999", http.StatusNotFound)
	c.expectStatus(http.MethodGet, p+api+"repos/abc", http.StatusNotFound)

	// Slugs are unique within each project.
	var all pageOf[repoT]
	c.getJSON(p+api+"repos?limit=1000", &all)
	seen := map[string]bool{}
	for _, v := range all.Values {
		k := v.Project.Key + "/" + v.Slug
		if seen[k] {
			t.Fatalf("duplicate slug %s", k)
		}
		seen[k] = true
	}

	var proj map[string]any
	c.getJSON(p+api+"projects/3", &proj)
	if proj["key"] != "DATA" || proj["type"] != "NORMAL" || proj["public"] != false {
		t.Fatalf("projects/3 = %v", proj)
	}
	c.expectStatus(http.MethodGet, p+api+"projects/99", http.StatusNotFound)
	var prepos pageOf[repoT]
	c.getJSON(p+api+"projects/2/repos?limit=100", &prepos)
	if prepos.Size != 10 || !prepos.IsLastPage {
		t.Fatalf("projects/2/repos = %d items, last %v", prepos.Size, prepos.IsLastPage)
	}
	for _, v := range prepos.Values {
		if v.Project.Key != "WEB" {
			t.Fatalf("projects/2/repos holds %s", v.Project.Key)
		}
	}
	c.expectStatus(http.MethodGet, p+api+"projects/99/repos", http.StatusNotFound)
	c.expectStatus(http.MethodGet, p+api+"whatever", http.StatusNotFound)
	c.expectStatus(http.MethodGet, p+"/nowhere", http.StatusNotFound)
}

type hashesDocT struct {
	Projects []struct {
		ID     int    `json:"id"`
		Key    string `json:"key"`
		Public bool   `json:"public"`
		Repos  []struct {
			ID           int     `json:"id"`
			Slug         string  `json:"slug"`
			ContentHash  *string `json:"contentHash"`
			MetadataHash *string `json:"metadataHash"`
		} `json:"repos"`
	} `json:"projects"`
}

func TestRepoHashes(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	var doc hashesDocT
	c.getJSON(s.PrimaryURL()+api+"repo-hashes", &doc)
	if len(doc.Projects) != 6 || doc.Projects[0].Key != "PLAT" || doc.Projects[0].ID != 1 {
		t.Fatalf("repo-hashes projects: %+v", doc.Projects)
	}
	total := 0
	for _, p := range doc.Projects {
		for _, r := range p.Repos {
			total++
			ch, mh := s.PrimaryHashes(r.ID)
			if r.ContentHash == nil || r.MetadataHash == nil || *r.ContentHash != ch || *r.MetadataHash != mh {
				t.Fatalf("repo-hashes repo %d mismatch", r.ID)
			}
		}
	}
	if total != 60 {
		t.Fatalf("repo-hashes holds %d repos", total)
	}
	doc = hashesDocT{}
	c.getJSON(s.PrimaryURL()+api+"repo-hashes/content", &doc)
	if r := doc.Projects[1].Repos[0]; r.ContentHash == nil || r.MetadataHash != nil {
		t.Fatalf("repo-hashes/content item %+v", r)
	}
	doc = hashesDocT{}
	c.getJSON(s.PrimaryURL()+api+"repo-hashes/metadata", &doc)
	if r := doc.Projects[1].Repos[0]; r.ContentHash != nil || r.MetadataHash == nil {
		t.Fatalf("repo-hashes/metadata item %+v", r)
	}
	// A node of a SELECTED_PROJECTS farm lists only what it mirrors.
	us := farmInfo(t, s, "us")
	doc = hashesDocT{}
	c.getJSON(us.Nodes[0].URL+api+"repo-hashes", &doc)
	if len(doc.Projects) != 3 {
		t.Fatalf("node repo-hashes: %d projects", len(doc.Projects))
	}
}

func TestPaging(t *testing.T) {
	s := startSim(t, quiet(Options{MaxPageSize: 40}))
	c := newClient(t)
	p := s.PrimaryURL() + api

	var pg pageOf[map[string]any]
	c.getJSON(p+"repos", &pg)
	if pg.Size != 25 || pg.Limit != 25 || pg.Start != 0 || pg.IsLastPage || pg.NextPageStart == nil || *pg.NextPageStart != 25 {
		t.Fatalf("first page = size %d limit %d start %d last %v next %v", pg.Size, pg.Limit, pg.Start, pg.IsLastPage, pg.NextPageStart)
	}
	c.getJSON(p+"repos?limit=500", &pg)
	if pg.Limit != 40 || pg.Size != 40 {
		t.Fatalf("limit not capped: limit %d size %d", pg.Limit, pg.Size)
	}
	// The last page carries no nextPageStart at all.
	r := c.get(p + "repos?start=50&limit=25")
	fields := rawFields(t, r.body)
	if _, has := fields["nextPageStart"]; has {
		t.Fatalf("last page has nextPageStart: %s", r.body)
	}
	pg = pageOf[map[string]any]{}
	_ = json.Unmarshal(r.body, &pg)
	if pg.Size != 10 || !pg.IsLastPage || pg.Start != 50 || pg.Values[0]["id"].(float64) != 51 {
		t.Fatalf("last page = %+v", pg)
	}
	c.getJSON(p+"repos?start=500", &pg)
	if pg.Size != 0 || !pg.IsLastPage || pg.Values == nil {
		t.Fatalf("page past the end = %+v", pg)
	}
	for _, q := range []string{"start=-1", "start=x", "limit=0", "limit=abc"} {
		c.expectStatus(http.MethodGet, p+"repos?"+q, http.StatusBadRequest)
	}
	c.getJSON(p+"mirrorServers?limit=1", &pg)
	if pg.Size != 1 || pg.IsLastPage || *pg.NextPageStart != 1 {
		t.Fatalf("mirrorServers page = %+v", pg)
	}

	// Walk a node's repoSyncStatus with nextPageStart.
	eu := farmInfo(t, s, "eu")
	var ids []string
	start := 0
	for {
		var sp pageOf[syncStatusT]
		c.getJSON(eu.Nodes[0].URL+api+"supportInfo/repoSyncStatus?limit=7&start="+strconv.Itoa(start), &sp)
		for _, v := range sp.Values {
			ids = append(ids, v.ExternalRepoID)
		}
		if sp.IsLastPage {
			if sp.NextPageStart != nil {
				t.Fatal("last repoSyncStatus page has nextPageStart")
			}
			break
		}
		start = *sp.NextPageStart
	}
	if len(ids) != 60 || ids[0] != "1" || ids[9] != "10" || ids[59] != "60" {
		t.Fatalf("repoSyncStatus walk: %d ids %v", len(ids), ids)
	}
	c.expectStatus(http.MethodGet, eu.Nodes[0].URL+api+"supportInfo/repoSyncStatus?limit=-3", http.StatusBadRequest)
}

func TestQuirks(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")

	// memberCount is a JSON string.
	r := c.get(eu.Nodes[0].URL + "/status")
	f := rawFields(t, r.body)
	if string(f["memberCount"]) != `"3"` || string(f["state"]) != `"SYNCHRONIZED"` || string(f["discovering"]) != "false" ||
		string(f["syncedRepos"]) != "60" || string(f["totalRepos"]) != "60" {
		t.Fatalf("/status = %s", r.body)
	}

	// Queue items have upper-case types; the count is a bare integer.
	for _, id := range []int{1, 2, 3, 4, 5} {
		s.Push(id)
	}
	var q queueT
	c.getJSON(eu.Nodes[0].URL+api+"supportInfo/refChangesQueue", &q)
	if len(q.Values) != 3 { // two workers took the first two items
		t.Fatalf("queue = %+v", q)
	}
	for i, v := range q.Values {
		if v.Type != "INCREMENTAL" || v.Attempt != 1 || v.ExternalRepoID != strconv.Itoa(i+3) || !isoRe.MatchString(v.CreatedAt) {
			t.Fatalf("queue item %+v", v)
		}
	}
	r = c.get(eu.Nodes[2].URL + api + "supportInfo/refChangesQueue/count")
	if strings.TrimSpace(string(r.body)) != "3" {
		t.Fatalf("count = %q", r.body)
	}
	var locks []map[string]string
	c.getJSON(eu.Nodes[0].URL+api+"supportInfo/repo-lock-owners", &locks)
	if len(locks) != 2 || locks[0]["externalRepositoryId"] != "1" || locks[1]["externalRepositoryId"] != "2" ||
		!strings.HasPrefix(locks[0]["requestId"], "*") || !strings.HasPrefix(locks[0]["threadName"], "farm-refchange-poller:thread-") ||
		!isoRe.MatchString(locks[0]["lockAcquireTime"]) || locks[0]["nodeId"] == "" {
		t.Fatalf("repo-lock-owners = %v", locks)
	}
	var lock map[string]string
	c.getJSON(eu.Nodes[0].URL+api+"supportInfo/projects/PLAT/repos/api-gateway/repo-lock-owner", &lock)
	if lock["externalRepositoryId"] != "1" {
		t.Fatalf("repo-lock-owner = %v", lock)
	}

	// repoSyncStatus carries the documented fields and formats.
	st, ok := statusOf(t, c, eu.Nodes[0].URL, "1")
	if !ok || st.UpstreamID != eu.UpstreamID || st.LocalRepoID != 1001 || st.LocalProjectID == 0 || st.RepoSlug != "api-gateway" ||
		!isoRe.MatchString(st.InitialSyncDate) || !isoRe.MatchString(st.LastSyncDate) {
		t.Fatalf("repoSyncStatus item = %+v", st)
	}
	r = c.get(eu.Nodes[0].URL + api + "supportInfo/repoSyncStatus?limit=1")
	var pg pageOf[json.RawMessage]
	_ = json.Unmarshal(r.body, &pg)
	item := rawFields(t, pg.Values[0])
	if string(item["externalRepoId"]) != `"1"` || string(item["localRepoId"]) != "1001" {
		t.Fatalf("repoSyncStatus types: %s", pg.Values[0])
	}
}

func TestZeroHashes(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	var pg pageOf[struct {
		ID         int               `json:"id"`
		Properties map[string]string `json:"properties"`
	}]
	c.getJSON(s.PrimaryURL()+api+"repos?limit=100", &pg)
	zero := 0
	for _, v := range pg.Values {
		ch, mh := v.Properties["contentHash"], v.Properties["metadataHash"]
		if ch == zeroHash {
			if mh != zeroHash {
				t.Fatalf("repo %d: content zero but metadata %s", v.ID, mh)
			}
			if zero == 0 {
				zero = v.ID
			}
			continue
		}
		if !isHex(ch, 64) || !isHex(mh, 64) {
			t.Fatalf("repo %d hashes %q %q", v.ID, ch, mh)
		}
	}
	if zero == 0 {
		t.Fatal("no repository with the all-zero hash")
	}
	// The mirror shows the same empty hash.
	eu := farmInfo(t, s, "eu")
	st, ok := statusOf(t, c, eu.Nodes[1].URL, strconv.Itoa(zero))
	if !ok || st.Hashes.Content != zeroHash || st.Hashes.Metadata != zeroHash {
		t.Fatalf("node hashes of repo %d: %+v", zero, st.Hashes)
	}
	// A push gives it a real content hash; metadata stays empty.
	s.Push(zero)
	ch, mh := s.PrimaryHashes(zero)
	if !isHex(ch, 64) || mh != zeroHash {
		t.Fatalf("after push: %q %q", ch, mh)
	}
}

func TestAuth(t *testing.T) {
	s := startSim(t, quiet(Options{User: "admin", Password: "s3cret", Token: "tok-123"}))
	eu := farmInfo(t, s, "eu")
	anon := newClient(t)
	for _, u := range []string{s.PrimaryURL() + api + "repos", eu.Nodes[0].URL + api + "progress", eu.URL + api + "farmNodes"} {
		r := anon.get(u)
		if r.status != http.StatusUnauthorized || strings.TrimSpace(string(r.body)) != authFailedBody {
			t.Fatalf("anonymous %s: %d %s", u, r.status, r.body)
		}
	}
	if r := newClient(t).withBasic("admin", "wrong").get(s.PrimaryURL() + api + "repos"); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
	if r := newClient(t).withBearer("nope").get(s.PrimaryURL() + api + "repos"); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", r.status)
	}
	if s.RequestCount("primary", "/rest/") != 0 {
		t.Fatal("rejected requests were counted")
	}
	var pg pageOf[map[string]any]
	newClient(t).withBasic("admin", "s3cret").getJSON(s.PrimaryURL()+api+"repos", &pg)
	newClient(t).withBearer("tok-123").getJSON(eu.Nodes[0].URL+api+"supportInfo/repoSyncStatus", &pg)
	newClient(t).withBearer("tok-123").getJSON(eu.URL+api+"progress", &progressT{})
	// /status needs no credentials, on the primary and on nodes.
	var st map[string]any
	anon.getJSON(s.PrimaryURL()+"/status", &st)
	anon.getJSON(eu.Nodes[0].URL+"/status", &st)
	if s.RequestCount("primary", "/rest/") != 1 {
		t.Fatalf("RequestCount = %d", s.RequestCount("primary", "/rest/"))
	}
	var saw401 bool
	for _, r := range s.Requests() {
		if r.Target == "primary" && r.Status == http.StatusUnauthorized {
			saw401 = true
		}
	}
	if !saw401 {
		t.Fatal("401 missing from the request log")
	}
}
