package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/sim"
)

// checkSim is a quiet simulator (no pushes, no failures) and its config,
// polled once per check.
func checkSim(t *testing.T) (*sim.Sim, string) {
	t.Helper()
	s, path := startSim(t, sim.Options{Repos: 30, PushEvery: -1, FailRate: -1})
	s.Advance(time.Minute)
	return s, path
}

// Each exit code from what the simulator shows: all well is OK, a node
// down CRITICAL, a deep queue WARNING, an unreadable primary UNKNOWN.
func TestCheckExitCodes(t *testing.T) {
	s, path := checkSim(t)
	farms := []string{"--farm", "eu", "--farm", "us"} // the GitLab side is judged elsewhere
	run := func(args ...string) (int, string) {
		t.Helper()
		code, out, errs := runCmd(t, append([]string{"check", "--config", path}, args...)...)
		if errs != "" {
			t.Errorf("stderr: %q", errs)
		}
		return code, out
	}
	code, out := run(farms...)
	if code != 0 || !strings.HasPrefix(out, "MIRRORTOP OK - 2 farm(s), 5/5 nodes up, no alert | 'eu_nodes_up'=3;;;0;3 ") {
		t.Fatalf("all well: exit %d\n%s", code, out)
	}
	// A deep queue on eu: WARNING, by the threshold of the config or of
	// the flag.
	if err := s.SetFault("eu", "/rest/mirroring/latest/supportInfo/refChangesQueue/count", sim.Fault{Body: "900"}); err != nil {
		t.Fatal(err)
	}
	code, out = run(farms...)
	if code != 1 || !strings.HasPrefix(out, "MIRRORTOP WARNING - 2 farm(s), 5/5 nodes up: farm eu queue depth 900 > 500 |") ||
		!strings.Contains(out, "'eu_queue'=900;500;;0") {
		t.Fatalf("deep queue: exit %d\n%s", code, out)
	}
	if code, out = run(append(farms, "--max-queue", "1000")...); code != 0 {
		t.Errorf("--max-queue 1000: exit %d\n%s", code, out)
	}
	// us only: eu's queue does not count.
	if code, out = run("--farm", "us"); code != 0 || !strings.Contains(out, "1 farm(s), 2/2 nodes up, no alert") {
		t.Errorf("--farm us: exit %d\n%s", code, out)
	}
	// A node down: CRITICAL, above the queue's WARNING.
	if err := s.SetNodeDown("us", "us-2", true); err != nil {
		t.Fatal(err)
	}
	code, out = run(farms...)
	if code != 2 || !strings.HasPrefix(out, "MIRRORTOP CRITICAL - 2 farm(s), 4/5 nodes up: node us/us-2 is down (and 1 more alerts) |") ||
		!strings.Contains(out, "\nCRITICAL: node us/us-2 is down\nWARNING: farm eu queue depth 900 > 500\n") {
		t.Fatalf("node down: exit %d\n%s", code, out)
	}
	// The primary unreadable: UNKNOWN, never OK.
	if err := s.SetTargetDown("primary", true); err != nil {
		t.Fatal(err)
	}
	code, out = run(farms...)
	if code != 3 || !strings.HasPrefix(out, "MIRRORTOP UNKNOWN - cannot read the primary") {
		t.Fatalf("primary down: exit %d\n%s", code, out)
	}
}

// --from judges what a running server publishes, with no request to the
// servers; a server that does not answer in time is UNKNOWN.
func TestCheckFrom(t *testing.T) {
	s, path := checkSim(t)
	if err := s.SetNodeDown("eu", "eu-3", true); err != nil {
		t.Fatal(err)
	}
	appendConfig(t, path, "\n[poll]\nfast = \"1h\"\nslow = \"1h\"\n\n[serve]\nhttp_listen = \"127.0.0.1:0\"\n")
	base, _ := startServe(t, "--config", path)
	waitReady(t, base)
	direct, want, _ := runCmd(t, "check", "--config", path, "--farm", "eu", "--farm", "us")
	before := len(s.Requests())
	code, out, errs := runCmd(t, "check", "--from", base, "--farm", "eu", "--farm", "us")
	if code != 2 || direct != 2 || errs != "" {
		t.Fatalf("--from: exit %d (direct %d), stderr %q\n%s", code, direct, errs, out)
	}
	// The same judgement; the lag figures may differ by the moment taken.
	first := func(s string) string { return strings.SplitN(s, " | ", 2)[0] }
	if first(out) != first(want) {
		t.Errorf("--from says %q, polling says %q", first(out), first(want))
	}
	if n := len(s.Requests()) - before; n != 0 {
		t.Errorf("--from sent %d requests to the servers", n)
	}
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	code, out, _ = runCmd(t, "check", "--from", hang.URL, "--timeout", "300ms")
	if code != 3 || !strings.Contains(out, "MIRRORTOP UNKNOWN - ") || !strings.Contains(out, "did not answer in time") {
		t.Errorf("hanging server: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "check", "--bogus")
	if code != 3 || out != "MIRRORTOP UNKNOWN - bad flags (mirrortop check -h lists them)\n" {
		t.Errorf("bad flags: exit %d, stdout %q", code, out)
	}
	code, out, _ = runCmd(t, "check", "--from", "ftp://x")
	if code != 3 || !strings.HasPrefix(out, "MIRRORTOP UNKNOWN - --from") {
		t.Errorf("bad --from: exit %d\n%s", code, out)
	}
}
