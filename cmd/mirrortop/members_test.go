package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// A farm given by its load balancer only (the quick flags) against a farm
// of three nodes: one of three polled, the other two listed with why.
func TestSnapshotLoadBalancerOnlyFarm(t *testing.T) {
	s, _ := startSim(t, sim.Options{Repos: 10, PushEvery: -1, FailRate: -1, Token: "tok",
		Farms: []sim.FarmSpec{{Name: "syd", Nodes: 3, AllProjects: true}}})
	t.Setenv("BITBUCKET_TOKEN", "tok")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	syd := s.Farms()[0]
	code, out, stderr := runCmd(t, "snapshot", "--format", "json", "--primary", s.PrimaryURL(), "--farm", "syd="+syd.URL)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var snap Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	f := snap.Farms[0]
	if f.NodesTotal != 3 || f.NodesPolled != 1 || f.NodesUp != 1 || f.State != "SYNCHRONIZED" || f.ReportedState != "SYNCHRONIZED" {
		t.Errorf("farm %+v", f)
	}
	// Which member the load balancer's /farmNodes answer calls local
	// depends on its round robin: take it from the answer.
	var want []SnapMember
	for _, n := range syd.Nodes {
		want = append(want, SnapMember{Name: n.Name, Address: "127.0.0.1:" + map[string]string{"syd-1": "5701", "syd-2": "5702", "syd-3": "5703"}[n.Name], Why: model.WhyLBOnly})
	}
	polled := 0
	for i, m := range f.Members {
		if m.Polled {
			polled++
			want[i] = SnapMember{Name: m.Name, Address: want[i].Address, Polled: true, Node: "syd"}
		}
	}
	if polled != 1 || !reflect.DeepEqual(f.Members, want) {
		t.Errorf("members\n got %+v\nwant %+v", f.Members, want)
	}
	if !strings.Contains(out, `"members": [`) || !strings.Contains(out, `"nodesPolled": 1,`) || !strings.Contains(out, `"polled": false,`) {
		t.Errorf("JSON keys:\n%s", out)
	}
	code, out, _ = runCmd(t, "snapshot", "--primary", s.PrimaryURL(), "--farm", "syd="+syd.URL)
	if code != exitOK || !strings.Contains(out, "SYNCHRONIZED  1 of 3 polled") || strings.Count(out, "  127.0.0.1:570") != 2 || !strings.Contains(out, "MEMBERS NOT POLLED (neither up nor down)\nMEMBER     ADDRESS         WHY\n") ||
		!strings.Contains(out, "  "+model.WhyLBOnly+"\n") {
		t.Errorf("table:\n%s", out)
	}
}

// A farm in its initial sync whose nodes report METADATA_SYNCHRONIZED,
// found by node discovery: both states are shown.
func TestSnapshotReportedStateAndDiscovery(t *testing.T) {
	s, path := startSim(t, sim.Options{Repos: 20, PushEvery: -1, FailRate: -1, User: "admin", Password: "pw",
		Farms: []sim.FarmSpec{{Name: "lab", Nodes: 2, AllProjects: true, InitialSync: true, DiscoverNodes: true}}})
	code, out, stderr := runCmd(t, "snapshot", "--config", path, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var snap Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	f := snap.Farms[0]
	lb := s.Farms()[0].URL
	if f.State != "SYNCING" || f.ReportedState != "METADATA_SYNCHRONIZED" || f.NodesTotal != 2 || f.NodesPolled != 2 || len(f.Nodes) != 2 ||
		f.Nodes[0].URL != lb+"/node/lab-1" || f.Nodes[1].URL != lb+"/node/lab-2" {
		t.Errorf("farm %+v", f)
	}
	want := []SnapMember{{Name: "lab-1", Address: "127.0.0.1:5701", Polled: true, Node: "lab-1"}, {Name: "lab-2", Address: "127.0.0.1:5702", Polled: true, Node: "lab-2"}}
	if !reflect.DeepEqual(f.Members, want) {
		t.Errorf("members %+v", f.Members)
	}
	for _, n := range []string{"lab/lab-1", "lab/lab-2"} {
		if c := s.RequestCount(n, "/status"); c != 1 {
			t.Errorf("%s: %d /status requests", n, c)
		}
	}
	code, out, _ = runCmd(t, "snapshot", "--config", path)
	if code != exitOK || !strings.Contains(out, "SYNCING (nodes: METADATA_SYNCHRONIZED)  2/2") {
		t.Errorf("table:\n%s", out)
	}
}
