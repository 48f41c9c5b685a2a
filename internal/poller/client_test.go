package poller

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// fixtureServer serves files of testdata/fixtures/bitbucket by path (and
// path?start=N for pages) and records the requests it saw.
type fixtureServer struct {
	*httptest.Server
	mu     sync.Mutex
	routes map[string]string
	seen   []*http.Request
}

func newFixtureServer(t *testing.T, routes map[string]string) *fixtureServer {
	t.Helper()
	fs := &fixtureServer{routes: routes}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.seen = append(fs.seen, r.Clone(context.Background()))
		fs.mu.Unlock()
		key := r.URL.Path
		if s := r.URL.Query().Get("start"); s != "" && s != "0" {
			key += "?start=" + s
		}
		name, ok := fs.routes[key]
		if !ok {
			name, ok = fs.routes[r.URL.Path]
		}
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errors":[{"message":"no such resource"}]}`))
			return
		}
		if strings.HasPrefix(name, "raw:") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(strings.TrimPrefix(name, "raw:")))
			return
		}
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "bitbucket", name))
		if err != nil {
			t.Errorf("fixture %s: %v", name, err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write(b)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fixtureServer) requests() []*http.Request {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]*http.Request(nil), fs.seen...)
}

func newTestClient(t *testing.T, base string, auth Auth) *Client {
	t.Helper()
	c, err := NewClient(ClientOptions{BaseURL: base, Auth: auth, Timeout: 5 * time.Second, UserAgent: "mirrortop/test", PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const mp = "/rest/mirroring/latest/"

func TestStatusQuirks(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{"/status": "mirror-status.json"})
	c := newTestClient(t, fs.URL, Auth{})
	s, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := model.ServerStatus{State: "SYNCHRONIZED", MemberCount: 3, HasProgress: true}
	if s != want {
		t.Fatalf("status = %+v, want %+v (memberCount arrives as a string)", s, want)
	}
	r := fs.requests()[0]
	if r.Header.Get("Accept") != "application/json" || r.Header.Get("User-Agent") != "mirrortop/test" {
		t.Errorf("headers: Accept=%q User-Agent=%q", r.Header.Get("Accept"), r.Header.Get("User-Agent"))
	}
}

func TestPrimaryStatusHasNoProgress(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{"/status": "primary-status.json"})
	s, err := newTestClient(t, fs.URL, Auth{}).Status(context.Background())
	if err != nil || s.State != "RUNNING" || s.HasProgress {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestMirrorServersLenientDates(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{mp + "mirrorServers": "mirror-servers.json"})
	ms, err := newTestClient(t, fs.URL, Auth{}).MirrorServers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("got %d servers", len(ms))
	}
	if got := ms[0].LastSeen; !got.Equal(time.UnixMilli(1453879734348)) {
		t.Errorf("epoch-ms lastSeenDate = %v", got)
	}
	if got := ms[1].LastSeen; !got.Equal(time.Date(2026, 11, 21, 10, 4, 46, 435e6, time.UTC)) {
		t.Errorf("ISO lastSeenDate = %v", got)
	}
	if ms[0].MirrorType != "FARM" || ms[1].MirrorType != "SINGLE" {
		t.Errorf("mirror types %q %q: want upper-case", ms[0].MirrorType, ms[1].MirrorType)
	}
}

func TestPendingRequestsFilter(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{mp + "requests": "requests.json"})
	rs, err := newTestClient(t, fs.URL, Auth{}).PendingRequests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].ID != "7" || rs[1].ID != "8" || rs[1].State != "PENDING" {
		t.Fatalf("pending = %+v", rs)
	}
	if q := fs.requests()[0].URL.Query().Get("state"); q != "PENDING" {
		t.Errorf("state query = %q", q)
	}
}

func TestReposPagingAndHashes(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{
		mp + "repos":         "repos-page1.json",
		mp + "repos?start=2": "repos-page2.json",
	})
	repos, err := newTestClient(t, fs.URL, Auth{}).Repos(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 3 {
		t.Fatalf("got %d repos, want 3 over two pages", len(repos))
	}
	r := repos[0]
	if r.CloneURL != "https://bitbucket.example.com/scm/plat/api-gateway.git" {
		t.Errorf("clone URL %q", r.CloneURL)
	}
	if r.ID != "1" || r.ProjectID != "1" || r.ProjectKey != "PLAT" || r.Slug != "api-gateway" ||
		r.Hashes.Content != "457389a0b871fb61012a7351d09aefc0cf1c57c306449d4b5df4d2f381df8433" {
		t.Errorf("repo[0] = %+v", r)
	}
	if repos[1].ID != "2" || repos[1].ProjectID != "2" || repos[1].State != "AVAILABLE" || !model.HashUnknown(repos[1].Hashes.Content) {
		t.Errorf("repo[1] = %+v", repos[1])
	}
	reqs := fs.requests()
	if len(reqs) != 2 || reqs[1].URL.Query().Get("start") != "2" || reqs[0].URL.Query().Get("limit") != "2" {
		t.Errorf("paging requests: %v", reqs)
	}
}

func TestReposSingleObjectBody(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{mp + "repos": "repos-single.json"})
	repos, err := newTestClient(t, fs.URL, Auth{}).Repos(context.Background())
	if err != nil || len(repos) != 1 || repos[0].ID != "42" || repos[0].ProjectKey != "SOLO" {
		t.Fatalf("got %+v, %v", repos, err)
	}
}

func TestDetectLayout9(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{
		mp + "upstreamServer": "upstream-server-9x.json",
		mp + "progress":       "progress.json",
		mp + "farmNodes":      "farm-nodes.json",
		mp + "syncSettings":   "sync-settings.json",
	})
	c := newTestClient(t, fs.URL, Auth{})
	ctx := context.Background()
	p, err := c.Progress(ctx) // detects first
	if err != nil {
		t.Fatal(err)
	}
	if l, id := c.Layout(); l != model.Layout9 || id != "148728f5-df0f-3f3e-af11-5ca16be3725f" {
		t.Fatalf("layout %q %q", l, id)
	}
	if p != (model.Progress{SyncedRepos: 242, TotalRepos: 1071}) {
		t.Errorf("progress %+v", p)
	}
	nodes, err := c.FarmNodes(ctx)
	if err != nil || len(nodes) != 2 || nodes[0].Port != 8230 || nodes[1].Port != 8230 || !nodes[0].Local || nodes[1].Name != "bar" {
		t.Errorf("farm nodes %+v, %v", nodes, err)
	}
	s, err := c.SyncSettings(ctx)
	if err != nil || s.Mode != model.ModeSelectedProjects || strings.Join(s.ProjectIDs, ",") != "1,3" || s.AllProjects() {
		t.Errorf("settings %+v, %v", s, err)
	}
}

func TestDetectLayout8(t *testing.T) {
	id := "f76a35c5-4592-425d-bf85-b4d9db68e809"
	fs := newFixtureServer(t, map[string]string{
		mp + "upstreamServers":                        "upstream-servers-8x.json",
		mp + "upstreamServers/" + id + "/progress":    "progress.json",
		mp + "upstreamServers/" + id + "/farmNodes":   "farm-nodes.json",
		mp + "upstreamServers/" + id + "/settings":    "sync-settings.json",
		mp + "supportInfo/refChangesQueue":            "ref-changes-queue.json",
		mp + "supportInfo/refChangesQueue/count":      "raw:17",
		mp + "upstreamServers/" + id + "/synchronize": "raw:{}",
	})
	c := newTestClient(t, fs.URL, Auth{})
	ctx := context.Background()
	up, err := c.DetectLayout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if up.Layout != model.Layout8 || up.ID != id || up.State != "INSTALLED" {
		t.Fatalf("upstream %+v", up)
	}
	if _, err := c.Progress(ctx); err != nil {
		t.Errorf("8.x progress: %v", err)
	}
	if _, err := c.FarmNodes(ctx); err != nil {
		t.Errorf("8.x farmNodes: %v", err)
	}
	if s, err := c.SyncSettings(ctx); err != nil || len(s.ProjectIDs) != 2 {
		t.Errorf("8.x settings: %+v %v", s, err)
	}
	// Only the 8.x paths were asked for after the 9.x probe.
	for _, r := range fs.requests()[2:] {
		if !strings.Contains(r.URL.Path, "/upstreamServers/"+id+"/") {
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	}
}

func TestQueueDecoding(t *testing.T) {
	for _, body := range []string{"17", `"17"`, `{"count":17}`, `{"size":"17"}`} {
		fs := newFixtureServer(t, map[string]string{mp + "supportInfo/refChangesQueue/count": "raw:" + body})
		n, err := newTestClient(t, fs.URL, Auth{}).RefChangesQueueCount(context.Background())
		if err != nil || n != 17 {
			t.Errorf("count %s: got %d, %v", body, n, err)
		}
	}
	fs := newFixtureServer(t, map[string]string{mp + "supportInfo/refChangesQueue/count": "raw:\"many\""})
	if _, err := newTestClient(t, fs.URL, Auth{}).RefChangesQueueCount(context.Background()); err == nil {
		t.Error("a non-number count must be an error")
	}
	fs = newFixtureServer(t, map[string]string{mp + "supportInfo/refChangesQueue": "ref-changes-queue.json"})
	items, err := newTestClient(t, fs.URL, Auth{}).RefChangesQueue(context.Background())
	if err != nil || len(items) != 2 {
		t.Fatalf("queue %+v, %v", items, err)
	}
	if items[0].Type != "INCREMENTAL" || items[1].Type != "SNAPSHOT" || items[1].Attempt != 2 || items[1].ExternalRepoID != "7" {
		t.Errorf("queue items %+v", items)
	}
	if !items[1].CreatedAt.Equal(time.UnixMilli(1660788286435)) {
		t.Errorf("createdAt %v", items[1].CreatedAt)
	}
}

func TestRepoSyncStatusQuirks(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{mp + "supportInfo/repoSyncStatus": "repo-sync-status.json"})
	ss, err := newTestClient(t, fs.URL, Auth{}).RepoSyncStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 3 {
		t.Fatalf("got %d", len(ss))
	}
	if ss[0].LocalRepoID != 1001 || !ss[0].LastSyncDate.Time().Equal(time.Date(2026, 11, 21, 10, 4, 46, 435e6, time.UTC)) {
		t.Errorf("ss[0] = %+v", ss[0])
	}
	if ss[1].ExternalRepoID != "2" || ss[1].FailedSyncCount != 3 || ss[1].Status() != model.RepoErrorAvailable ||
		!ss[1].LastSyncDate.Time().Equal(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("ss[1] = %+v", ss[1])
	}
	if ss[2].Hashes != (model.Hashes{}) || ss[2].LastSyncDate.Time().Year() != 2000 {
		t.Errorf("ss[2] = %+v", ss[2])
	}
	// The documentation's own example has "<string>" for dates: zero, not an error.
	fs = newFixtureServer(t, map[string]string{mp + "supportInfo/repoSyncStatus": "repo-sync-status-doc.json"})
	ss, err = newTestClient(t, fs.URL, Auth{}).RepoSyncStatus(context.Background())
	if err != nil || len(ss) != 1 || !ss[0].LastSyncDate.IsZero() || ss[0].ExternalRepoID != "1" || ss[0].FailedSyncCount != 1 {
		t.Fatalf("doc example: %+v, %v", ss, err)
	}
}

func TestOptionalEndpoints(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{
		mp + "supportInfo/repo-lock-owners": "repo-lock-owners.json",
		mp + "mirrorRepos/delayed-sync":     "delayed-sync.json",
	})
	c := newTestClient(t, fs.URL, Auth{})
	locks, err := c.RepoLockOwners(context.Background())
	if err != nil || len(locks) != 1 || locks[0].ExternalRepoID != "101" || locks[0].ThreadName != "farm-refchange-poller:thread-2" {
		t.Errorf("locks %+v %v", locks, err)
	}
	d, err := c.DelayedSync(context.Background(), 3*time.Minute, 500)
	if err != nil || len(d) != 1 || d[0].Slug != "my-repo" {
		t.Errorf("delayed %+v %v", d, err)
	}
	q := fs.requests()[1].URL.Query()
	if q.Get("limit") != "100" || q.Get("delayThreshold") != "3m0s" {
		t.Errorf("delayed-sync query %v: limit must be capped at 100", q)
	}
	empty := newFixtureServer(t, nil)
	c = newTestClient(t, empty.URL, Auth{})
	if _, err := c.RepoLockOwners(context.Background()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("404 lock owners: %v, want ErrUnsupported", err)
	}
	if _, err := c.DelayedSync(context.Background(), 0, 10); !errors.Is(err, ErrUnsupported) {
		t.Errorf("404 delayed-sync: %v, want ErrUnsupported", err)
	}
}

func TestRepoHashesShapes(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{mp + "repo-hashes": "repo-hashes.json"})
	set, err := newTestClient(t, fs.URL, Auth{}).RepoHashes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := model.RepoHashSet{"1": {Content: "c1", Metadata: "m1"}, "2": {Content: "c2", Metadata: "m2"}, "3": {Content: "c3", Metadata: "m3"}}
	if len(set) != 3 || set["1"] != want["1"] || set["2"] != want["2"] || set["3"] != want["3"] {
		t.Errorf("got %v", set)
	}
	for _, body := range []string{
		`[{"id":1,"contentHash":"c1"}]`,
		`{"id":1,"contentHash":"c1"}` + "\n" + `{"id":2,"contentHash":"c2"}`,
	} {
		fs := newFixtureServer(t, map[string]string{mp + "repo-hashes": "raw:" + body})
		set, err := newTestClient(t, fs.URL, Auth{}).RepoHashes(context.Background())
		if err != nil || set["1"].Content != "c1" {
			t.Errorf("shape %q: %v %v", body, set, err)
		}
	}
	fs = newFixtureServer(t, map[string]string{mp + "repo-hashes": `raw:{"projects":[{"id":1,"public":false}]}`})
	if _, err := newTestClient(t, fs.URL, Auth{}).RepoHashes(context.Background()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a shape with no hashes must be unsupported, got %v", err)
	}
}

func TestAuthHeaders(t *testing.T) {
	fs := newFixtureServer(t, map[string]string{"/status": "primary-status.json"})
	ctx := context.Background()
	if _, err := newTestClient(t, fs.URL, Auth{Token: "tok-123"}).Status(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestClient(t, fs.URL, Auth{User: "admin", Password: "pw"}).Status(ctx); err != nil {
		t.Fatal(err)
	}
	u := strings.Replace(fs.URL, "http://", "http://url-user:url-pw@", 1)
	c := newTestClient(t, u, Auth{})
	if strings.Contains(c.BaseURL(), "url-pw") {
		t.Errorf("base URL keeps credentials: %s", c.BaseURL())
	}
	if _, err := c.Status(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := fs.requests()
	if got := reqs[0].Header.Get("Authorization"); got != "Bearer tok-123" {
		t.Errorf("bearer header %q", got)
	}
	if u, p, ok := reqs[1].BasicAuth(); !ok || u != "admin" || p != "pw" {
		t.Errorf("basic auth %q %q %v", u, p, ok)
	}
	if u, p, ok := reqs[2].BasicAuth(); !ok || u != "url-user" || p != "url-pw" {
		t.Errorf("URL user info as basic auth: %q %q %v", u, p, ok)
	}
}

func TestHTTPErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/status":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case mp + "progress":
			w.WriteHeader(http.StatusUnauthorized)
			b, _ := os.ReadFile("../../testdata/fixtures/bitbucket/rest-errors.json")
			_, _ = w.Write(b)
		case mp + "upstreamServer":
			_, _ = w.Write([]byte(`{"id":"u1"}`))
		case mp + "farmNodes":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>proxy error</html>"))
		case mp + "syncSettings":
			_, _ = w.Write([]byte(`{"mode":"ALL_PRO`))
		case mp + "supportInfo/repoSyncStatus":
			_, _ = w.Write([]byte(`{"values":[` + strings.Repeat(`{"externalRepoId":"1"},`, 100000) + `{}]}`))
		}
	}))
	defer srv.Close()
	c, err := NewClient(ClientOptions{BaseURL: srv.URL, MaxBody: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = c.Status(ctx)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 429 || he.RetryAfter != 7*time.Second || RetryAfter(err) != 7*time.Second {
		t.Errorf("429: %v", err)
	}
	_, err = c.Progress(ctx)
	if !errors.As(err, &he) || he.Status != 401 || !strings.Contains(err.Error(), "Authentication failed") {
		t.Errorf("401: %v", err)
	}
	_, err = c.FarmNodes(ctx)
	if err == nil || !strings.Contains(err.Error(), "not JSON (text/html)") {
		t.Errorf("html: %v", err)
	}
	_, err = c.SyncSettings(ctx)
	if err == nil || !strings.Contains(err.Error(), "JSON") {
		t.Errorf("truncated: %v", err)
	}
	_, err = c.RepoSyncStatus(ctx)
	if err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("oversized: %v", err)
	}
}

func TestConnectionRefusedAndTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	url := srv.URL
	c, _ := NewClient(ClientOptions{BaseURL: url, Timeout: 200 * time.Millisecond})
	_, err := c.Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("slow server: %v", err)
	}
	srv.Close()
	_, err = c.Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("closed server: %v", err)
	}
}

func TestPagingCappedAndStalled(t *testing.T) {
	// A server that caps the page at 1 and omits nextPageStart still pages to the end.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := r.URL.Query().Get("start")
		switch start {
		case "0":
			_, _ = w.Write([]byte(`{"values":[{"id":"a"}],"isLastPage":false,"limit":1,"start":0}`))
		case "1":
			_, _ = w.Write([]byte(`{"values":[{"id":"b"}],"isLastPage":false,"limit":1,"start":1,"nextPageStart":2}`))
		case "2":
			_, _ = w.Write([]byte(`{"values":[{"id":"c"}],"isLastPage":true,"limit":1,"start":2}`))
		}
	}))
	defer srv.Close()
	c, _ := NewClient(ClientOptions{BaseURL: srv.URL, PageSize: 1000})
	var ids []string
	err := getPaged(context.Background(), c, "/x", nil, func(w *wireMirrorServer) { ids = append(ids, string(w.ID)) })
	if err != nil || strings.Join(ids, "") != "abc" {
		t.Fatalf("capped paging: %v %v", ids, err)
	}
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"values":[],"isLastPage":false}`))
	}))
	defer stalled.Close()
	c, _ = NewClient(ClientOptions{BaseURL: stalled.URL})
	err = getPaged(context.Background(), c, "/x", nil, func(w *wireMirrorServer) {})
	if err == nil || !strings.Contains(err.Error(), "stalled") {
		t.Fatalf("stalled paging: %v", err)
	}
}

// An answer of exactly max_body_mb is read, on the streamed path (status)
// and the whole-page path (repoSyncStatus); a page one byte longer is
// refused.
func TestBodyAtTheLimit(t *testing.T) {
	const limit = 1 << 20
	var extra atomic.Int64
	pad := func(s string) []byte {
		return append([]byte(s), bytes.Repeat([]byte(" "), limit+int(extra.Load())-len(s))...)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/status":
			_, _ = w.Write(pad(`{"state":"RUNNING"}`))
		case mp + "upstreamServer":
			_, _ = w.Write([]byte(`{"id":"u1"}`))
		case mp + "supportInfo/repoSyncStatus":
			_, _ = w.Write(pad(`{"values":[{"externalRepoId":"1"}],"isLastPage":true}`))
		}
	}))
	defer srv.Close()
	c, err := NewClient(ClientOptions{BaseURL: srv.URL, MaxBody: limit})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if s, err := c.Status(ctx); err != nil || s.State != "RUNNING" {
		t.Errorf("status of exactly the limit: %+v, %v", s, err)
	}
	if l, err := c.RepoSyncStatus(ctx); err != nil || len(l) != 1 {
		t.Errorf("page of exactly the limit: %d entries, %v", len(l), err)
	}
	extra.Store(1)
	if _, err := c.RepoSyncStatus(ctx); err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("page one byte over: %v", err)
	}
}

// A whole answer that stops mid-value is truncated; one with a bad byte
// inside is malformed at that byte; trailing whitespace is fine.
func TestUnmarshalWording(t *testing.T) {
	var v map[string]any
	for _, c := range []struct {
		body string
		want string
	}{
		{`{"state":"RUN`, "truncated JSON"},
		{``, "truncated JSON"},
		{`{"state":x}`, "malformed JSON at byte 10"},
		{`{"state":"RUNNING"}` + "\n  ", ""},
	} {
		err := unmarshal([]byte(c.body), &v)
		got := ""
		if err != nil {
			got = badBody("application/json", err)
		}
		if got != c.want {
			t.Errorf("%q: %q, want %q", c.body, got, c.want)
		}
	}
}

func TestClientClockOffsetFromDate(t *testing.T) {
	var date atomic.Value
	date.Store("Sat, 21 Nov 2026 12:00:45 GMT")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := date.Load().(string); d == "none" {
			w.Header()["Date"] = nil // net/http adds none then
		} else {
			w.Header().Set("Date", d)
		}
		if r.URL.Path == "/rest/api/latest/application-properties" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"message":"Authentication failed."}]}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"state":"RUNNING"}`))
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, Auth{})
	if _, ok := c.ClockOffset(); ok {
		t.Fatal("an offset before any answer")
	}
	// The local clock reads 12:00:00 when the request leaves and 12:00:02
	// when the answer is in: the middle is 12:00:01, and the server's
	// 12:00:45 stands for 12:00:45.5.
	var calls atomic.Int64
	base := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return base.Add(time.Duration(calls.Add(1)-1) * 2 * time.Second) }
	if _, err := c.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d, ok := c.ClockOffset(); !ok || d != 44500*time.Millisecond {
		t.Fatalf("offset %v %v, want 44.5s", d, ok)
	}
	// An error answer still tells the time; one without a Date (or an
	// unreadable one) keeps the last.
	date.Store("Sat, 21 Nov 2026 11:59:00 GMT")
	calls.Store(0)
	if _, err := c.AppProperties(context.Background()); err == nil {
		t.Fatal("want the 401")
	}
	if d, _ := c.ClockOffset(); d != -60500*time.Millisecond {
		t.Fatalf("offset after a 401 %v, want -60.5s", d)
	}
	for _, d := range []string{"none", "yesterday"} {
		date.Store(d)
		if _, err := c.Status(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got, _ := c.ClockOffset(); got != -60500*time.Millisecond {
			t.Fatalf("Date %q changed the offset to %v", d, got)
		}
	}
}
