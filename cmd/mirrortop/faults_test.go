package main

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// faultCase is one fault and what a person must read while it lasts.
type faultCase struct {
	name string
	spec string // sim.ParseFault's KIND[=VALUE]
	want string // in the affected pane's error line (or header)
}

var faultMatrix = []faultCase{
	{"refuse", "down", "connection refused"},
	{"hang", "hang", "timed out"},
	{"slow", "delay=3s", "timed out"},
	{"401", "status=401", "HTTP 401"},
	{"403", "status=403", "HTTP 403"},
	{"404", "status=404", "HTTP 404"},
	{"409", "status=409", "HTTP 409"},
	{"429", "retry-after=1", "HTTP 429"},
	{"500", "status=500", "HTTP 500"},
	{"502", "status=502", "HTTP 502"},
	{"503", "status=503", "HTTP 503"},
	{"reset", "reset", "GET "},
	{"truncated", "truncated", "JSON"},
	// Lenient decoding takes wrong types (objects for strings, strings for
	// numbers) without failing: what matters is that nothing breaks.
	{"wrong-types", "wrong-types", ""},
	{"html-200", "html", "not JSON (text/html)"},
	{"huge", "huge=64MB", "larger than 1 MiB"},
	{"hostile", "hostile", ""},
}

// liveHeap runs n collections and returns the bytes the last one found
// live. Unlike HeapAlloc, this leaves out what the still-running console
// allocated after the collection ended, which on a loaded machine can be
// tens of MiB of garbage by the time the figure is read.
func liveHeap(n int) int64 {
	for range n {
		runtime.GC()
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// endpointGroup is one target and path, and the pane that shows it.
type endpointGroup struct {
	name   string
	target string
	path   string
	pane   string
	// other is a target that must keep answering meanwhile.
	other string
}

var endpointGroups = []endpointGroup{
	{"primary-repos", "primary", "/rest/mirroring/latest/repos", "2", "us/us-1"},
	{"primary-requests", "primary", "/rest/mirroring/latest/requests", "4", "us/us-1"},
	{"farm-lb", "eu", "/rest/mirroring/latest/", "1", "us/us-1"},
	{"node", "eu/eu-2", "/", "5", "us/us-1"},
	{"gitlab", "gitlab", "/api/v4/", "6", "us/us-1"},
}

// TestFaultMatrix puts every fault on every endpoint group of a running
// console and checks what an on-call engineer relies on: no crash, a
// keypress answered promptly, the affected pane saying what is wrong, the
// other targets still updating, recovery once the fault clears, bounded
// memory under an enormous body, and no escape sequence from a server
// reaching the terminal.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	h := newHarness(t, sim.Options{Repos: 20, StuckRepos: 1, GitLab: &sim.GitLabOptions{Token: "glpat-matrix", RateLimit: -1}}, func(c *config.Config) {
		// Long enough that healthy requests queued behind others on a busy
		// machine do not time out; the slow fault is three times it.
		c.Poll.Timeout = time.Second
		c.Poll.MaxBodyMB = 1
	})
	h.keys("6")
	h.waitText("platform/auth-service")
	for _, g := range endpointGroups {
		for _, fc := range faultMatrix {
			t.Run(g.name+"/"+fc.name, func(t *testing.T) {
				h.t = t
				target, path, f, err := sim.ParseFault(g.target + ":" + g.path + ":" + fc.spec)
				if err != nil {
					t.Fatal(err)
				}
				before := liveHeap(1)
				otherBefore := h.s.RequestCount(g.other, "/status")
				if err := h.s.SetFault(target, path, f); err != nil {
					t.Fatal(err)
				}
				h.keys(g.pane, "ctrl+r")
				if fc.want != "" {
					h.wait(fc.want, func(s string) bool {
						return strings.Contains(s, fc.want) && (strings.Contains(s, "✗") || strings.Contains(s, "DOWN"))
					})
					// The age of the last good data is on the pane's title line.
					if s := h.screen(); !strings.Contains(s, "updated") && !strings.Contains(s, "STALE") {
						t.Errorf("no data age on screen:\n%s", s)
					}
				} else {
					time.Sleep(600 * time.Millisecond)
				}
				// A keypress is answered while the fault lasts.
				start := time.Now()
				h.keys("?")
				h.waitText("Help: keys and commands")
				h.keys("esc")
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("a keypress took %v to show", d)
				}
				// Other targets keep updating.
				deadline := time.Now().Add(5 * time.Second)
				for h.s.RequestCount(g.other, "/status") <= otherBefore && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
				}
				if h.s.RequestCount(g.other, "/status") <= otherBefore {
					t.Errorf("%s stopped being polled", g.other)
				}
				// Nothing a server sent reaches the terminal as an escape sequence.
				if raw, _ := h.probe.raw.Load().(string); strings.Contains(raw, "\x1b]") || strings.Contains(raw, "\a") || strings.Contains(raw, "\x1b[2J") {
					t.Errorf("a server's escape sequence reached the screen")
				}
				// While the fault lasts, each request in flight to the faulted
				// server may hold up to twice max_body_mb (repo-hashes is
				// decoded as a stream, whose buffer doubles): per_host of them
				// on the server and as many through a farm's load balancer.
				during := liveHeap(1)
				bound := int64(2*h.cfg.Poll.PerHost*2*h.cfg.Poll.MaxBodyMB)<<20 + 32<<20
				if grown := during - before; grown > bound {
					t.Errorf("heap grew by %d MiB under the fault, over the %d MiB that requests in flight may hold", grown>>20, bound>>20)
				}
				// Recovery once the fault clears.
				h.s.ClearFaults()
				if f.Down {
					if err := h.s.SetTargetDown(target, false); err != nil {
						t.Fatal(err)
					}
				}
				h.keys("ctrl+r")
				if fc.want != "" {
					h.wait("recovery", func(s string) bool { return !strings.Contains(s, fc.want) })
				}
				// and nothing of the fault is kept once it is over (two
				// collections: pooled objects survive one).
				if after := liveHeap(2); after-before > 32<<20 {
					t.Errorf("heap grew by %d MiB after the fault cleared (%d -> %d MiB)", (after-before)>>20, before>>20, after>>20)
				}
			})
		}
	}
	fmt.Println() // keep go test's output tidy after the sub-tests
}
