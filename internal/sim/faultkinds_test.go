package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitLogged waits until the request log holds a request to target and
// path, which happens once its handler has returned, and returns it.
func waitLogged(t *testing.T, s *Sim, target, path string) Request {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, rq := range s.Requests() {
			if rq.Target == target && rq.Path == path {
				return rq
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the request to %s %s never ended", target, path)
	return Request{}
}

func TestFaultContentType(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	html := "<!DOCTYPE html><html><body>Sign in</body></html>"
	s.SetFault("primary", "/rest/mirroring/latest/repos", Fault{Body: html, ContentType: "text/html"})
	r := c.get(s.PrimaryURL() + api + "repos")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/html" || string(r.body) != html {
		t.Fatalf("html fault: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	// Without a ContentType a Body fault keeps the JSON type.
	s.SetFault("primary", "/rest/mirroring/latest/repos", Fault{Status: 502, Body: "{"})
	r = c.get(s.PrimaryURL() + api + "repos")
	if r.status != 502 || r.header.Get("Content-Type") != contentTypeJSON {
		t.Fatalf("body fault: %d %q", r.status, r.header.Get("Content-Type"))
	}
}

func TestFaultHugeBody(t *testing.T) {
	s := startSim(t, quiet(Options{GitLab: &GitLabOptions{}}))
	c := newClient(t)

	// A small size is sent exactly, chunked, as the start of a JSON array.
	s.SetFault("eu", "/rest/mirroring/latest/progress", Fault{Size: 100_000, Times: 1})
	res, err := c.hc.Get(farmInfo(t, s, "eu").URL + api + "progress")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || res.ContentLength != -1 || len(b) != 100_000 {
		t.Fatalf("huge body: status %d, Content-Length %d, %d bytes", res.StatusCode, res.ContentLength, len(b))
	}
	if !bytes.HasPrefix(b, []byte(`[{"id":1,"slug":"huge-1",`)) || json.Valid(b) {
		t.Fatalf("huge body starts %q", b[:80])
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		t.Fatalf("first token %v %v", tok, err)
	}
	for i := 1; i <= 100; i++ {
		var item struct {
			ID   int    `json:"id"`
			Slug string `json:"slug"`
		}
		if err := dec.Decode(&item); err != nil || item.ID != i {
			t.Fatalf("item %d: %+v %v", i, item, err)
		}
	}

	// An enormous body (a terabyte) with a status and content type: the
	// client reads a mebibyte and goes away, and the server stops.
	s.SetFault("gitlab", "/api/v4/projects", Fault{Size: 1 << 40, Status: 203, ContentType: "application/json"})
	res, err = c.hc.Get(s.GitLabURL() + "/api/v4/projects")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 203 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("huge answer: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	n, err := io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	if err != nil || n != 1<<20 {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	res.Body.Close()
	if rq := waitLogged(t, s, "gitlab", "/api/v4/projects"); rq.Status != 203 {
		t.Fatalf("logged %+v", rq)
	}
}

func TestFaultHang(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")
	// A node fault applies through the load balancer; both log 499.
	s.SetFault("eu/eu-1", "/status", Fault{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, eu.Nodes[0].URL+"/status", nil)
	t0 := time.Now()
	if res, err := c.hc.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("a hanging request got an answer: %d", res.StatusCode)
	}
	if el := time.Since(t0); el < 300*time.Millisecond {
		t.Fatalf("the hanging request ended after %v", el)
	}
	if rq := waitLogged(t, s, "eu/eu-1", "/status"); rq.Status != 499 {
		t.Fatalf("logged %+v", rq)
	}
	// Other nodes answer.
	c.getJSON(eu.Nodes[1].URL+"/status", &map[string]any{})

	// A hanging request also ends when the simulator closes.
	s2, err := Start(quiet(Options{Manual: true}))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.SetFault("primary", "", Fault{Hang: true})
	done := make(chan error, 1)
	go func() {
		_, err := c.do(http.MethodGet, s2.PrimaryURL()+"/status")
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the request ended before Close: %v", err)
	default:
	}
	s2.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a hanging request got an answer at Close")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a hanging request")
	}
}

func TestFaultReset(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	eu := farmInfo(t, s, "eu")
	s.SetFault("eu", "/rest/mirroring/latest/progress", Fault{Reset: true, Times: 1})
	c := newClient(t)
	res, err := c.hc.Get(eu.URL + api + "progress")
	if err == nil {
		res.Body.Close()
		t.Fatalf("a reset request got an answer: %d", res.StatusCode)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reset error: %v", err)
	}
	if rq := waitLogged(t, s, "eu", "/rest/mirroring/latest/progress"); rq.Status != 0 {
		t.Fatalf("logged %+v", rq)
	}
	// The fault was for one request only.
	c2 := newClient(t)
	c2.getJSON(eu.URL+api+"progress", &progressT{})
}

func TestSetTargetDown(t *testing.T) {
	s := startSim(t, quiet(Options{GitLab: &GitLabOptions{}}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")
	refused := func(url string) {
		t.Helper()
		_, err := c.do(http.MethodGet, url)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("GET %s: %v, want connection refused", url, err)
		}
	}
	for _, tc := range []struct{ target, url string }{
		{"primary", s.PrimaryURL() + "/status"},
		{"eu", eu.URL + "/status"},
		{"gitlab", s.GitLabURL() + "/api/v4/version"},
	} {
		if err := s.SetTargetDown(tc.target, true); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTargetDown(tc.target, true); err != nil {
			t.Fatal("taking a target down twice:", err)
		}
		refused(tc.url)
		if err := s.SetTargetDown(tc.target, false); err != nil {
			t.Fatal(err)
		}
		if r := c.get(tc.url); r.status != http.StatusOK {
			t.Fatalf("%s back up: %d %s", tc.target, r.status, r.body)
		}
	}
	// With its load balancer down, a farm's nodes still answer.
	_ = s.SetTargetDown("eu", true)
	c.getJSON(eu.Nodes[0].URL+"/status", &map[string]any{})
	if err := s.SetTargetDown("eu", false); err != nil {
		t.Fatal(err)
	}

	// farm/node is SetNodeDown.
	if err := s.SetTargetDown("eu/eu-2", true); err != nil {
		t.Fatal(err)
	}
	if !farmInfo(t, s, "eu").Nodes[1].Down {
		t.Fatal("eu-2 is not down")
	}
	refused(eu.Nodes[1].URL + "/status")
	if err := s.SetTargetDown("eu/eu-2", false); err != nil {
		t.Fatal(err)
	}
	c.getJSON(eu.Nodes[1].URL+"/status", &map[string]any{})

	for _, bad := range []string{"", "nope", "eu/eu-9", "control", "gitlab/x"} {
		if err := s.SetTargetDown(bad, true); err == nil {
			t.Fatalf("SetTargetDown(%q) succeeded", bad)
		}
	}
	// A Down fault takes the target down, and says when it cannot.
	if err := s.SetFault("us", "/ignored", Fault{Down: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFault("eu/eu-9", "", Fault{Down: true}); err == nil || !strings.Contains(err.Error(), `no such target "eu/eu-9"`) {
		t.Fatalf("Down fault on an unknown node: %v", err)
	}
	refused(farmInfo(t, s, "us").URL + "/status")
	s.faultMu.Lock()
	n := len(s.faults)
	s.faultMu.Unlock()
	if n != 0 {
		t.Fatalf("a Down fault was stored: %d faults", n)
	}

	// Without GitLab, "gitlab" is no target.
	s2 := startSim(t, quiet(Options{}))
	if err := s2.SetTargetDown("gitlab", true); err == nil {
		t.Fatal("SetTargetDown(gitlab) without GitLab succeeded")
	}
}

func TestHostileFault(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	p := s.PrimaryURL()
	type repoT struct {
		ID      int    `json:"id"`
		Slug    string `json:"slug"`
		Name    string `json:"name"`
		Project struct {
			ID   int    `json:"id"`
			Key  string `json:"key"`
			Name string `json:"name"`
		} `json:"project"`
		Links struct {
			Clone []link `json:"clone"`
		} `json:"links"`
	}
	var plain pageOf[repoT]
	c.getJSON(p+api+"repos?limit=1000", &plain)

	s.SetFault("primary", "/rest/mirroring/latest/repos", Fault{Hostile: true})
	r := c.get(p + api + "repos?limit=1000")
	if r.status != http.StatusOK || !json.Valid(r.body) {
		t.Fatalf("hostile repos: %d, valid %v", r.status, json.Valid(r.body))
	}
	if bytes.ContainsAny(r.body, "\x1b\x07\b\r") {
		t.Fatal("raw control characters in the JSON")
	}
	if !bytes.Contains(r.body, []byte("\xff\xfe")) {
		t.Fatal("no invalid UTF-8 in the hostile JSON")
	}
	var hostile pageOf[repoT]
	if err := json.Unmarshal(r.body, &hostile); err != nil {
		t.Fatal(err)
	}
	if len(hostile.Values) != len(plain.Values) || len(plain.Values) != 60 {
		t.Fatalf("%d hostile repos, %d plain", len(hostile.Values), len(plain.Values))
	}
	var display []string
	for i, h := range hostile.Values {
		o := plain.Values[i]
		if h.ID != o.ID || h.Project.ID != o.Project.ID || h.Links.Clone[0].Href != o.Links.Clone[0].Href {
			t.Fatalf("ids or URLs changed: %#v vs %#v", h, o)
		}
		for _, pair := range [][2]string{{h.Slug, o.Slug}, {h.Name, o.Name}, {h.Project.Key, o.Project.Key}, {h.Project.Name, o.Project.Name}} {
			if pair[0] == pair[1] || !strings.Contains(pair[0], pair[1]) {
				t.Fatalf("display string %q for %q", pair[0], pair[1])
			}
			display = append(display, pair[0])
		}
	}
	all := strings.Join(display, "\n")
	for _, sample := range HostileSamples {
		if !strings.Contains(all, decodedForm(sample)) {
			t.Errorf("sample %q is in no display string", sample)
		}
	}

	// Error messages too.
	r = c.expectStatus(http.MethodGet, p+api+"repos/999", http.StatusNotFound)
	var e restErrors
	_ = json.Unmarshal(r.body, &e)
	if msg := e.Errors[0].Message; msg == "Repository 999 does not exist." || !strings.Contains(msg, "Repository 999 does not exist.") {
		t.Fatalf("error message %q", msg)
	}
	// A Status fault with Hostile has a hostile message.
	s.SetFault("primary", "/rest/mirroring/latest/mirrorServers", Fault{Hostile: true, Status: 500})
	r = c.expectStatus(http.MethodGet, p+api+"mirrorServers", http.StatusInternalServerError)
	_ = json.Unmarshal(r.body, &e)
	if msg := e.Errors[0].Message; msg == "Simulated fault: Internal Server Error" || !strings.Contains(msg, "Simulated fault: Internal Server Error") {
		t.Fatalf("fault message %q", msg)
	}
	// Other paths stay plain.
	var rp repoT
	c.getJSON(p+api+"projects/1", &rp.Project)
	if rp.Project.Key != "PLAT" {
		t.Fatalf("project key %q", rp.Project.Key)
	}
}
