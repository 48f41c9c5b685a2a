package sim

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// A farm's load balancer serves each node under /node/{name}/, through the
// node's own chain: its request counts, faults and down-ness.
func TestLoadBalancerNodePaths(t *testing.T) {
	s := startSim(t, quiet(Options{Repos: 5}))
	c := newClient(t)
	base := s.NodeBaseURL("eu", "eu-2")
	if want := farmInfo(t, s, "eu").URL + "/node/eu-2"; base != want {
		t.Fatalf("NodeBaseURL %q, want %q", base, want)
	}
	var nodes []clusterNodeJSON
	c.getJSON(base+"/rest/mirroring/latest/farmNodes", &nodes)
	local := ""
	for _, n := range nodes {
		if n.Local {
			local = n.Name
		}
	}
	if len(nodes) != 3 || local != "eu-2" {
		t.Fatalf("farmNodes through /node/eu-2: %+v", nodes)
	}
	if got := s.RequestCount("eu/eu-2", "/rest/mirroring/latest/farmNodes"); got != 1 {
		t.Errorf("eu-2 counted %d farmNodes requests, want 1", got)
	}
	if got := s.RequestCount("eu/eu-1", "/rest/mirroring/latest/farmNodes") + s.RequestCount("eu/eu-3", "/rest/mirroring/latest/farmNodes"); got != 0 {
		t.Errorf("other nodes counted %d", got)
	}
	if err := s.SetFault("eu/eu-2", "/status", Fault{Status: 503}); err != nil {
		t.Fatal(err)
	}
	if r := c.get(base + "/status"); r.status != http.StatusServiceUnavailable {
		t.Errorf("a node fault through its path: %d", r.status)
	}
	s.ClearFaults()
	if r := c.get(farmInfo(t, s, "eu").URL + "/node/eu-9/status"); r.status != http.StatusNotFound {
		t.Errorf("unknown node: %d", r.status)
	}
	if err := s.SetNodeDown("eu", "eu-2", true); err != nil {
		t.Fatal(err)
	}
	_, err := c.do(http.MethodGet, base+"/status")
	if err == nil || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "EOF")) {
		t.Errorf("a down node through its path: %v, want the connection closed", err)
	}
}

// A node that leaves is no longer listed in /farmNodes nor counted in
// memberCount; it comes back when it joins. The control server drives it.
func TestMemberLeaveAndJoin(t *testing.T) {
	s := startSim(t, quiet(Options{Repos: 5}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")
	names := func() string {
		var nodes []clusterNodeJSON
		c.getJSON(eu.Nodes[0].URL+"/rest/mirroring/latest/farmNodes", &nodes)
		var out []string
		for _, n := range nodes {
			out = append(out, n.Name)
		}
		var st map[string]any
		c.getJSON(eu.Nodes[0].URL+"/status", &st)
		return strings.Join(out, ",") + " memberCount=" + st["memberCount"].(string)
	}
	if got := names(); got != "eu-1,eu-2,eu-3 memberCount=3" {
		t.Fatalf("at start: %s", got)
	}
	expectCtl(t, s, http.MethodPost, "/targets/eu%2Feu-3/leave", "", http.StatusNoContent)
	if got := names(); got != "eu-1,eu-2 memberCount=2" {
		t.Fatalf("after leave: %s", got)
	}
	if !farmInfo(t, s, "eu").Nodes[2].Left {
		t.Error("NodeInfo.Left not set")
	}
	if r := c.get(eu.Nodes[2].URL + "/status"); r.status != http.StatusOK {
		t.Errorf("a node that left still answers on its own: %d", r.status)
	}
	for range 6 { // the load balancer no longer picks it
		c.get(eu.URL + "/status")
	}
	if n := s.RequestCount("eu/eu-3", "/status"); n != 1 {
		t.Errorf("eu-3 got %d /status requests, want only the direct one", n)
	}
	expectCtl(t, s, http.MethodPost, "/targets/eu%2Feu-3/join", "", http.StatusNoContent)
	if got := names(); got != "eu-1,eu-2,eu-3 memberCount=3" {
		t.Fatalf("after join: %s", got)
	}
	expectCtl(t, s, http.MethodPost, "/targets/eu%2Feu-9/leave", "", http.StatusNotFound)
	expectCtl(t, s, http.MethodGet, "/targets/eu%2Feu-3/join", "", http.StatusMethodNotAllowed)
}

// A farm with DiscoverNodes gets a node_url template instead of its nodes.
func TestConfigTOMLDiscoverNodes(t *testing.T) {
	farms := DefaultFarms()
	farms[0].DiscoverNodes = true
	s := startSim(t, quiet(Options{Repos: 5, Farms: farms}))
	cfg := s.ConfigTOML()
	eu := farmInfo(t, s, "eu")
	want := "name = \"eu\"\nurl = \"" + eu.URL + "\"\nsync_interval = \"3m0s\"\nnode_url = \"" + eu.URL + "/node/{name}\"\n\n[[farm]]\nname = \"us\""
	if !strings.Contains(cfg, want) || strings.Contains(cfg, "name = \"eu-1\"") || !strings.Contains(cfg, "name = \"us-1\"") {
		t.Errorf("config:\n%s", cfg)
	}
}
