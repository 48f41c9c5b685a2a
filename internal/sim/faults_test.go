package sim

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	p := s.PrimaryURL()
	eu := farmInfo(t, s, "eu")

	// Status + Retry-After, limited to two requests.
	s.SetFault("primary", "/rest/mirroring/latest/repos", Fault{Status: http.StatusServiceUnavailable, RetryAfter: 1500 * time.Millisecond, Times: 2})
	for i := 0; i < 2; i++ {
		r := c.expectStatus(http.MethodGet, p+api+"repos", http.StatusServiceUnavailable)
		if r.header.Get("Retry-After") != "2" {
			t.Fatalf("Retry-After = %q", r.header.Get("Retry-After"))
		}
	}
	c.expectStatus(http.MethodGet, p+api+"repos", http.StatusOK)
	c.expectStatus(http.MethodGet, p+api+"mirrorServers", http.StatusOK) // other paths unaffected
	if got := s.RequestCount("primary", "/rest/mirroring/latest/repos"); got != 3 {
		t.Fatalf("RequestCount(repos) = %d", got)
	}
	if got := s.RequestCount("primary", ""); got != 4 {
		t.Fatalf("RequestCount(primary) = %d", got)
	}

	// Raw body: malformed JSON with status 200 on one node only.
	s.SetFault("eu/eu-1", "/status", Fault{Body: `{"state": "SYNCHRO`})
	r := c.get(eu.Nodes[0].URL + "/status")
	if r.status != http.StatusOK || string(r.body) != `{"state": "SYNCHRO` {
		t.Fatalf("body fault: %d %s", r.status, r.body)
	}
	if json.Valid(r.body) {
		t.Fatal("body fault produced valid JSON")
	}
	c.getJSON(eu.Nodes[1].URL+"/status", &map[string]any{})
	r = c.get(eu.Nodes[0].URL + "/status")
	if string(r.body) != `{"state": "SYNCHRO` {
		t.Fatal("a fault without Times must persist")
	}

	// Body with a status.
	s.SetFault("eu/eu-1", "/status", Fault{Status: 502, Body: "<html>bad gateway</html>"})
	if r := c.get(eu.Nodes[0].URL + "/status"); r.status != 502 || !strings.Contains(string(r.body), "bad gateway") {
		t.Fatalf("status+body fault: %d %s", r.status, r.body)
	}

	// Delay: the answer comes late but correct; a client timeout cuts it.
	s.ClearFaults()
	s.SetFault("eu", "/rest/mirroring/latest/progress", Fault{Delay: 3 * time.Second})
	t0 := time.Now()
	var pr progressT
	c.getJSON(eu.URL+api+"progress", &pr)
	if el := time.Since(t0); el < 3*time.Second {
		t.Fatalf("delay fault answered after %v", el)
	}
	if pr.TotalRepos != 60 {
		t.Fatalf("delayed answer %+v", pr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, eu.URL+api+"progress", nil)
	if _, err := c.hc.Do(req); err == nil {
		t.Fatal("client timeout did not cut the delayed request")
	}

	// Cleared faults stop applying; the request log keeps statuses.
	s.ClearFaults()
	t0 = time.Now()
	c.getJSON(eu.URL+api+"progress", &pr)
	if el := time.Since(t0); el > 2*time.Second {
		t.Fatalf("cleared delay still applies: %v", el)
	}
	var n503, n502 int
	for _, rq := range s.Requests() {
		switch {
		case rq.Target == "primary" && rq.Status == 503 && rq.Path == "/rest/mirroring/latest/repos":
			n503++
		case rq.Target == "eu/eu-1" && rq.Status == 502:
			n502++
		}
		if !rq.Time.Equal(testStart) || rq.Method != http.MethodGet {
			t.Fatalf("log entry %+v", rq)
		}
	}
	if n503 != 2 || n502 != 1 {
		t.Fatalf("request log: %d x 503, %d x 502", n503, n502)
	}
}

func TestRequestLogIsBounded(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	for i := 0; i < requestLogSize+5; i++ {
		s.logRequest(Request{Target: "primary", Path: "/p", Status: i})
	}
	log := s.Requests()
	if len(log) != requestLogSize || log[0].Status != 5 || log[len(log)-1].Status != requestLogSize+4 {
		t.Fatalf("log: %d entries, first %d, last %d", len(log), log[0].Status, log[len(log)-1].Status)
	}
}

func TestLoadBalancer(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")

	local := func() string {
		var nodes []struct {
			Name  string `json:"name"`
			Local bool   `json:"local"`
		}
		c.getJSON(eu.URL+api+"farmNodes", &nodes)
		for _, n := range nodes {
			if n.Local {
				return n.Name
			}
		}
		t.Fatal("no local node")
		return ""
	}
	seen := map[string]int{}
	for i := 0; i < 6; i++ {
		seen[local()]++
	}
	if len(seen) != 3 || seen["eu-1"] != 2 {
		t.Fatalf("round-robin over %v", seen)
	}
	if got := s.RequestCount("eu", "/rest/mirroring/latest/farmNodes"); got != 6 {
		t.Fatalf("LB RequestCount = %d", got)
	}
	if got := s.RequestCount("eu/eu-2", ""); got != 2 {
		t.Fatalf("eu-2 RequestCount = %d", got)
	}

	_ = s.SetNodeDown("eu", "eu-1", true)
	_ = s.SetNodeDown("eu", "eu-3", true)
	for i := 0; i < 3; i++ {
		if n := local(); n != "eu-2" {
			t.Fatalf("LB forwarded to %s", n)
		}
	}
	_ = s.SetNodeDown("eu", "eu-2", true)
	c.expectStatus(http.MethodGet, eu.URL+api+"progress", http.StatusServiceUnavailable)
	c.expectStatus(http.MethodGet, eu.URL+"/status", http.StatusServiceUnavailable)

	if err := s.SetNodeDown("eu", "eu-3", false); err != nil {
		t.Fatal(err)
	}
	if n := local(); n != "eu-3" {
		t.Fatalf("LB forwarded to %s", n)
	}
	// A node fault applies to requests the LB forwards to it.
	s.SetFault("eu/eu-3", "", Fault{Status: http.StatusInternalServerError, Times: 1})
	c.expectStatus(http.MethodGet, eu.URL+api+"progress", http.StatusInternalServerError)
	c.expectStatus(http.MethodGet, eu.URL+api+"progress", http.StatusOK)
}

func TestWriteConfig(t *testing.T) {
	s := startSim(t, quiet(Options{User: "admin", Password: `pa"ss`, SyncInterval: 90 * time.Second}))
	path := filepath.Join(t.TempDir(), "mirrortop.toml")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteConfig(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	got := string(b)
	eu := farmInfo(t, s, "eu")
	us := farmInfo(t, s, "us")
	want := "# mirrortop config for the simulator at " + testStart.Format(time.RFC3339) + "\n" +
		"[primary]\n" +
		"url = \"" + s.PrimaryURL() + "\"\n" +
		"[primary.auth]\n" +
		"type = \"basic\"\n" +
		"user = \"admin\"\n" +
		"password = \"pa\\\"ss\"\n" +
		"\n[[farm]]\nname = \"eu\"\nurl = \"" + eu.URL + "\"\nsync_interval = \"1m30s\"\n" +
		"\n[[farm.node]]\nname = \"eu-1\"\nurl = \"" + eu.Nodes[0].URL + "\"\n" +
		"\n[[farm.node]]\nname = \"eu-2\"\nurl = \"" + eu.Nodes[1].URL + "\"\n" +
		"\n[[farm.node]]\nname = \"eu-3\"\nurl = \"" + eu.Nodes[2].URL + "\"\n" +
		"\n[[farm]]\nname = \"us\"\nurl = \"" + us.URL + "\"\nsync_interval = \"1m30s\"\n" +
		"\n[[farm.node]]\nname = \"us-1\"\nurl = \"" + us.Nodes[0].URL + "\"\n" +
		"\n[[farm.node]]\nname = \"us-2\"\nurl = \"" + us.Nodes[1].URL + "\"\n"
	if got != want {
		t.Fatalf("config:\n%s\nwant:\n%s", got, want)
	}

	// Token only: bearer auth. No credentials: no auth table.
	s2 := startSim(t, quiet(Options{Token: "tok"}))
	cfg := s2.ConfigTOML()
	if !strings.Contains(cfg, "[primary.auth]\ntype = \"bearer\"\ntoken = \"tok\"\n") || strings.Contains(cfg, "password") {
		t.Fatalf("bearer config:\n%s", cfg)
	}
	s3 := startSim(t, quiet(Options{}))
	if cfg := s3.ConfigTOML(); strings.Contains(cfg, "[primary.auth]") || !strings.Contains(cfg, "sync_interval = \"3m0s\"") {
		t.Fatalf("anonymous config:\n%s", cfg)
	}
}

func TestStartOptions(t *testing.T) {
	if _, err := Start(Options{Manual: true, Farms: []FarmSpec{{Name: "a/b"}}}); err == nil {
		t.Fatal("a farm name with a slash was accepted")
	}
	if _, err := Start(Options{Manual: true, Farms: []FarmSpec{{Name: "x"}, {Name: "x"}}}); err == nil {
		t.Fatal("duplicate farm names were accepted")
	}
	if _, err := Start(Options{Manual: true, Farms: []FarmSpec{{Name: "x", Layout: "7.x"}}}); err == nil {
		t.Fatal("an unknown layout was accepted")
	}
	s := startSim(t, quiet(Options{Projects: 9, Repos: 20, Farms: []FarmSpec{{Name: "solo", Layout: Layout8}}}))
	f := farmInfo(t, s, "solo")
	if len(f.Nodes) != 1 || f.Nodes[0].Name != "solo-1" {
		t.Fatalf("farm %+v", f)
	}
	c := newClient(t)
	var p map[string]any
	c.getJSON(s.PrimaryURL()+api+"projects/8", &p)
	if p["key"] != "P8" {
		t.Fatalf("project 8 = %v", p)
	}
	var props map[string]string
	c.getJSON(f.URL+"/rest/api/1.0/application-properties", &props)
	if props["version"] != "8.19.9" {
		t.Fatalf("default 8.x version %v", props)
	}
	// Close is idempotent and stops the servers.
	s.Close()
	s.Close()
	if _, err := c.do(http.MethodGet, s.PrimaryURL()+"/status"); err == nil {
		t.Fatal("primary still answers after Close")
	}
}
