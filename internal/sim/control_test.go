package sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ctl sends a request to the control server and returns the status and
// body.
func ctl(t *testing.T, s *Sim, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.ControlURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func expectCtl(t *testing.T, s *Sim, method, path, body string, want int) []byte {
	t.Helper()
	status, b := ctl(t, s, method, path, body)
	if status != want {
		t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, status, b, want)
	}
	if want >= 400 {
		var e controlError
		if err := json.Unmarshal(b, &e); err != nil || e.Error == "" {
			t.Fatalf("%s %s: error body %s", method, path, b)
		}
	}
	return b
}

func TestControlFaults(t *testing.T) {
	s := startSim(t, quiet(Options{GitLab: &GitLabOptions{}}))
	c := newClient(t)
	p := s.PrimaryURL()
	if !strings.HasPrefix(s.ControlURL(), "http://127.0.0.1:") {
		t.Fatalf("ControlURL %q", s.ControlURL())
	}

	expectCtl(t, s, http.MethodPost, "/faults",
		`{"target":"primary","path":"/rest/mirroring/latest/repos","status":503,"retryAfterSeconds":5,"times":2}`, http.StatusNoContent)
	r := c.expectStatus(http.MethodGet, p+api+"repos", http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") != "5" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	expectCtl(t, s, http.MethodPost, "/faults",
		`{"target":"eu/eu-1","path":"/status","delayMs":1500,"body":"<html></html>","contentType":"text/html","size":0,"hang":false,"reset":false,"hostile":true}`, http.StatusNoContent)
	expectCtl(t, s, http.MethodPost, "/faults", `{"path":"/nowhere","size":1048576}`, http.StatusNoContent)

	var list []faultJSON
	if err := json.Unmarshal(expectCtl(t, s, http.MethodGet, "/faults", "", http.StatusOK), &list); err != nil {
		t.Fatal(err)
	}
	one := 1
	want := []faultJSON{
		{Target: "primary", Path: "/rest/mirroring/latest/repos", Status: 503, RetryAfterSeconds: 5, Times: 2, Left: &one},
		{Target: "eu/eu-1", Path: "/status", DelayMs: 1500, Body: "<html></html>", ContentType: "text/html", Hostile: true},
		{Path: "/nowhere", Size: 1 << 20},
	}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("GET /faults = %+v", list)
	}

	for _, bad := range []string{
		``, `{`, `[]`, `{"target":"primary","bogus":1}`, `{"status":42}`, `{"status":700}`,
		`{"delayMs":-1}`, `{"times":-2}`, `{"size":-5}`, `{"path":"no-slash"}`, `{"left":3}`, `{"down":true}`, `{} {}`,
	} {
		expectCtl(t, s, http.MethodPost, "/faults", bad, http.StatusBadRequest)
	}
	expectCtl(t, s, http.MethodPost, "/faults", `{"target":"nope","status":500}`, http.StatusNotFound)
	expectCtl(t, s, http.MethodPost, "/faults", `{"target":"eu/eu-9","status":500}`, http.StatusNotFound)

	expectCtl(t, s, http.MethodDelete, "/faults", "", http.StatusNoContent)
	if b := expectCtl(t, s, http.MethodGet, "/faults", "", http.StatusOK); strings.TrimSpace(string(b)) != "[]" {
		t.Fatalf("faults after DELETE: %s", b)
	}
	c.expectStatus(http.MethodGet, p+api+"repos", http.StatusOK)

	// Every fault kind through the control server.
	expectCtl(t, s, http.MethodPost, "/faults", `{"target":"gitlab","path":"/api/v4/version","reset":true,"times":1}`, http.StatusNoContent)
	if _, err := newClient(t).do(http.MethodGet, s.GitLabURL()+"/api/v4/version"); err == nil {
		t.Fatal("no reset")
	}
	expectCtl(t, s, http.MethodPost, "/faults", `{"target":"primary","path":"/status","hang":true,"times":1}`, http.StatusNoContent)
	hc := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := hc.Get(p + "/status"); err == nil {
		t.Fatal("no hang")
	}

	// Wrong methods and paths.
	expectCtl(t, s, http.MethodPut, "/faults", "{}", http.StatusMethodNotAllowed)
	expectCtl(t, s, http.MethodGet, "/nothing", "", http.StatusNotFound)
}

func TestControlTargets(t *testing.T) {
	s := startSim(t, quiet(Options{GitLab: &GitLabOptions{}}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")

	expectCtl(t, s, http.MethodPost, "/targets/eu%2Feu-2/down", "", http.StatusNoContent)
	if !farmInfo(t, s, "eu").Nodes[1].Down {
		t.Fatal("eu-2 is not down")
	}
	expectCtl(t, s, http.MethodPost, "/targets/eu%2Feu-2/up", "", http.StatusNoContent)
	if farmInfo(t, s, "eu").Nodes[1].Down {
		t.Fatal("eu-2 is still down")
	}
	for _, tc := range []struct{ target, url string }{
		{"primary", s.PrimaryURL() + "/status"},
		{"eu", eu.URL + "/status"},
		{"gitlab", s.GitLabURL() + "/api/v4/version"},
	} {
		expectCtl(t, s, http.MethodPost, "/targets/"+tc.target+"/down", "", http.StatusNoContent)
		if _, err := c.do(http.MethodGet, tc.url); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("%s down: %v", tc.target, err)
		}
		expectCtl(t, s, http.MethodPost, "/targets/"+tc.target+"/up", "", http.StatusNoContent)
		if r := c.get(tc.url); r.status != http.StatusOK {
			t.Fatalf("%s up: %d", tc.target, r.status)
		}
	}
	expectCtl(t, s, http.MethodPost, "/targets/nope/down", "", http.StatusNotFound)
	expectCtl(t, s, http.MethodPost, "/targets/eu%2Feu-9/up", "", http.StatusNotFound)
	expectCtl(t, s, http.MethodPost, "/targets/eu/eu-2/down", "", http.StatusNotFound)
	expectCtl(t, s, http.MethodGet, "/targets/primary/down", "", http.StatusMethodNotAllowed)

	// A down fault.
	expectCtl(t, s, http.MethodPost, "/faults", `{"target":"us","down":true}`, http.StatusNoContent)
	if _, err := c.do(http.MethodGet, farmInfo(t, s, "us").URL+"/status"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("us down: %v", err)
	}
	expectCtl(t, s, http.MethodPost, "/faults", `{"target":"nope","down":true}`, http.StatusNotFound)
}

func TestControlHostile(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	key := func() string {
		var p projectJSON
		c.getJSON(s.PrimaryURL()+api+"projects/1", &p)
		return p.Key
	}
	expectCtl(t, s, http.MethodPost, "/hostile", "true", http.StatusNoContent)
	if k := key(); !isHostileForm(k, "PLAT") {
		t.Fatalf("hostile key %q", k)
	}
	expectCtl(t, s, http.MethodPost, "/hostile", " false\n", http.StatusNoContent)
	if k := key(); k != "PLAT" {
		t.Fatalf("plain key %q", k)
	}
	for _, bad := range []string{"", "yes", `"true"`, "1"} {
		expectCtl(t, s, http.MethodPost, "/hostile", bad, http.StatusBadRequest)
	}
	expectCtl(t, s, http.MethodGet, "/hostile", "", http.StatusMethodNotAllowed)
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		spec         string
		target, path string
		f            Fault
	}{
		{"primary:/rest/mirroring/latest/repos:status=500", "primary", "/rest/mirroring/latest/repos", Fault{Status: 500}},
		{"eu::status=404", "eu", "", Fault{Status: 404}},
		{"gitlab:/api/v4/projects:retry-after=30", "gitlab", "/api/v4/projects", Fault{Status: 429, RetryAfter: 30 * time.Second}},
		{"primary::retry-after=1m", "primary", "", Fault{Status: 429, RetryAfter: time.Minute}},
		{"eu/eu-1:/status:delay=2s", "eu/eu-1", "/status", Fault{Delay: 2 * time.Second}},
		{"*:/rest/:hang", "", "/rest/", Fault{Hang: true}},
		{"us:/rest/mirroring/latest/progress:reset", "us", "/rest/mirroring/latest/progress", Fault{Reset: true}},
		{"primary:/rest:html", "primary", "/rest", Fault{Body: htmlFaultBody, ContentType: htmlContentType}},
		{"gitlab::html", "gitlab", "", Fault{Body: htmlFaultBody, ContentType: htmlContentType}},
		{"primary::truncated", "primary", "", Fault{Body: truncatedFaultBody}},
		{"gitlab::truncated", "gitlab", "", Fault{Body: truncatedFaultBodyGL}},
		{"eu::wrong-types", "eu", "", Fault{Body: wrongTypesFaultBody}},
		{"gitlab:/api/v4/groups:wrong-types", "gitlab", "/api/v4/groups", Fault{Body: wrongTypesFaultBodyGL}},
		{"primary::huge=100MB", "primary", "", Fault{Size: 100 << 20}},
		{"primary::huge=2g", "primary", "", Fault{Size: 2 << 30}},
		{"primary::huge=512KiB", "primary", "", Fault{Size: 512 << 10}},
		{"primary::huge=1000", "primary", "", Fault{Size: 1000}},
		{"primary::huge=1T", "primary", "", Fault{Size: 1 << 40}},
		{"eu/eu-2:/rest/:hostile", "eu/eu-2", "/rest/", Fault{Hostile: true}},
		{"eu/eu-2::down", "eu/eu-2", "", Fault{Down: true}},
		{"gitlab:/ignored:down", "gitlab", "", Fault{Down: true}},
		{"primary:/a:b:status=503", "primary", "/a:b", Fault{Status: 503}},
	}
	for _, tt := range tests {
		target, path, f, err := ParseFault(tt.spec)
		if err != nil {
			t.Errorf("ParseFault(%q): %v", tt.spec, err)
			continue
		}
		if target != tt.target || path != tt.path || f != tt.f {
			t.Errorf("ParseFault(%q) = %q %q %+v, want %q %q %+v", tt.spec, target, path, f, tt.target, tt.path, tt.f)
		}
	}
	// Every kind is covered above.
	for _, kind := range []string{"status=", "retry-after=", "delay=", "hang", "reset", "html", "truncated", "wrong-types", "huge=", "hostile", "down"} {
		found := false
		for _, tt := range tests {
			found = found || strings.Contains(tt.spec, ":"+kind)
		}
		if !found {
			t.Errorf("kind %q is not tested", kind)
		}
	}
	// The truncated and wrong-types bodies are what they claim to be.
	for _, b := range []string{truncatedFaultBody, truncatedFaultBodyGL} {
		if err := json.Unmarshal([]byte(b), new(any)); err == nil || !strings.Contains(err.Error(), "unexpected end") {
			t.Errorf("truncated body %q: %v", b, err)
		}
	}
	var page struct {
		Values []struct {
			ID   int    `json:"id"`
			Slug string `json:"slug"`
		} `json:"values"`
		IsLastPage bool `json:"isLastPage"`
	}
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal([]byte(wrongTypesFaultBody), &page); !errors.As(err, &typeErr) {
		t.Errorf("wrong-types body: %v", err)
	}
	var gl []struct {
		ID   int    `json:"id"`
		Path string `json:"path_with_namespace"`
	}
	if err := json.Unmarshal([]byte(wrongTypesFaultBodyGL), &gl); !errors.As(err, &typeErr) {
		t.Errorf("wrong-types GitLab body: %v", err)
	}

	bad := []struct{ spec, msg string }{
		{"", "want TARGET:PATH:KIND"},
		{"primary", "want TARGET:PATH:KIND"},
		{"primary:status=500", "want TARGET:PATH:KIND"},
		{":/x:status=500", "missing target"},
		{"a/b/c::hang", "invalid target"},
		{"/eu::hang", "invalid target"},
		{"primary:rest:hang", "does not start with /"},
		{"primary::", "missing kind"},
		{"primary::explode", `unknown kind "explode"`},
		{"primary::status", "status needs a value"},
		{"primary::status=", "status needs a value"},
		{"primary::status=abc", "not an HTTP status"},
		{"primary::status=99", "not an HTTP status"},
		{"primary::status=600", "not an HTTP status"},
		{"primary::retry-after=0", "retry-after"},
		{"primary::retry-after=soon", "retry-after"},
		{"primary::delay=2", "not a positive duration"},
		{"primary::delay=-1s", "not a positive duration"},
		{"primary::hang=1", "hang takes no value"},
		{"primary::down=yes", "down takes no value"},
		{"primary::huge=", "huge needs a value"},
		{"primary::huge=MB", "want a number"},
		{"primary::huge=10XB", "unknown unit"},
		{"primary::huge=0", "must be positive"},
		{"primary::huge=99999999999999999999", "too large"},
		{"primary::huge=9999999T", "too large"},
		{"*::down", "down needs one target"},
	}
	for _, tt := range bad {
		_, _, _, err := ParseFault(tt.spec)
		if err == nil {
			t.Errorf("ParseFault(%q) succeeded", tt.spec)
			continue
		}
		if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), tt.spec) {
			t.Errorf("ParseFault(%q): %v, want %q", tt.spec, err, tt.msg)
		}
	}
}

// TestParseFaultApplies sets parsed faults and checks what a client sees.
func TestParseFaultApplies(t *testing.T) {
	s := startSim(t, quiet(Options{GitLab: &GitLabOptions{}}))
	c := newClient(t)
	set := func(spec string) {
		t.Helper()
		target, path, f, err := ParseFault(spec)
		if err != nil {
			t.Fatal(err)
		}
		s.ClearFaults()
		s.SetFault(target, path, f)
	}
	set("primary:/rest/mirroring/latest/repos:html")
	r := c.get(s.PrimaryURL() + api + "repos")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<html>") {
		t.Fatalf("html: %d %q", r.status, r.header.Get("Content-Type"))
	}
	set("gitlab:/api/v4/projects:retry-after=30")
	r = c.get(s.GitLabURL() + "/api/v4/projects")
	if r.status != 429 || r.header.Get("Retry-After") != "30" || !strings.Contains(string(r.body), `"message"`) {
		t.Fatalf("retry-after: %d %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	set("gitlab:/api/v4/projects:truncated")
	r = c.get(s.GitLabURL() + "/api/v4/projects")
	if r.status != 200 || r.header.Get("Content-Type") != contentTypeGL || json.Valid(r.body) {
		t.Fatalf("truncated: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	// A body fault naming no content type gets the server's own: GitLab's
	// on GitLab, also when set for every server.
	s.ClearFaults()
	s.SetFault("", "/api/v4/projects", Fault{Body: "[]"})
	r = c.get(s.GitLabURL() + "/api/v4/projects")
	if r.status != 200 || r.header.Get("Content-Type") != contentTypeGL {
		t.Fatalf("gitlab body fault: %d %q", r.status, r.header.Get("Content-Type"))
	}
	s.SetFault("", "/rest", Fault{Body: "{}"})
	if r = c.get(s.PrimaryURL() + api + "repos"); r.header.Get("Content-Type") != contentTypeJSON {
		t.Fatalf("primary body fault: %q", r.header.Get("Content-Type"))
	}
	set("eu/eu-2::down")
	if !farmInfo(t, s, "eu").Nodes[1].Down {
		t.Fatal("eu-2 not down")
	}
}

func TestControlLocks(t *testing.T) {
	s := startSim(t, quiet(Options{Repos: 12}))
	eu := farmInfo(t, s, "eu")
	c := newClient(t)
	owners := func() []lockOwnerJSON {
		var v []lockOwnerJSON
		c.getJSON(eu.Nodes[0].URL+api+"supportInfo/repo-lock-owners", &v)
		return v
	}
	expectCtl(t, s, http.MethodPost, "/locks", `{"farm":"eu","repo":5,"heldSeconds":1500}`, http.StatusNoContent)
	s.Advance(5 * time.Minute) // the push it made never syncs
	got := owners()
	want := lockOwnerJSON{ExternalRepositoryID: "5", NodeID: eu.Nodes[1].ID, ThreadName: "farm-refchange-poller:thread-3",
		LockAcquireTime: formatMs(testStart.Add(-25 * time.Minute).UnixMilli())}
	if len(got) != 1 || got[0].RequestID == "" {
		t.Fatalf("lock owners %+v", got)
	}
	got[0].RequestID = ""
	if got[0] != want {
		t.Errorf("lock owner %+v, want %+v", got[0], want)
	}
	pc, _ := s.PrimaryHashes(5)
	if nc, _, _ := s.NodeHashes("eu", "eu-1", 5); nc == pc || s.QueueDepth("eu") != 1 {
		t.Errorf("repository 5 synced under a stuck lock (queue %d)", s.QueueDepth("eu"))
	}
	expectCtl(t, s, http.MethodPost, "/locks", `{"farm":"nope","repo":5}`, http.StatusNotFound)
	expectCtl(t, s, http.MethodPost, "/locks", `{"farm":"eu","repo":999}`, http.StatusBadRequest)
	expectCtl(t, s, http.MethodPost, "/locks", `{"farm":"eu","repo":5,"bogus":1}`, http.StatusBadRequest)
	expectCtl(t, s, http.MethodGet, "/locks", ``, http.StatusMethodNotAllowed)
	expectCtl(t, s, http.MethodPost, "/locks", `{"farm":"eu","repo":5,"release":true}`, http.StatusNoContent)
	s.Advance(time.Minute)
	if got := owners(); len(got) != 0 {
		t.Errorf("lock owners after release %+v", got)
	}
	if nc, _, _ := s.NodeHashes("eu", "eu-1", 5); nc != pc {
		t.Error("repository 5 did not sync after the release")
	}
}
