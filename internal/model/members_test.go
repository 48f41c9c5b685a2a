package model

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A farm polled through its load balancer only: its membership is what the
// nodes report, the unpolled members say why, and none of them is down.
func TestMembershipLoadBalancerOnly(t *testing.T) {
	s := NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{{Name: "syd", URL: "https://syd.example.com"}}})
	f := s.Farm("syd")
	ft, nt := TargetID{Farm: "syd"}, TargetID{Farm: "syd", Node: "syd"}
	s.Apply(Reading{Target: nt, Endpoint: EPStatus, At: t0, Data: ServerStatus{State: "METADATA_SYNCHRONIZED", MemberCount: 3}})
	want := FarmHealth{State: "METADATA_SYNCHRONIZED", ReportedState: "METADATA_SYNCHRONIZED", NodesUp: 1, NodesPolled: 1, NodesTotal: 3}
	if h := f.Health(); h != want {
		t.Fatalf("health %+v, want %+v", h, want)
	}
	if got := f.Health().NodesLabel(); got != "1 of 3 polled" {
		t.Errorf("nodes label %q", got)
	}
	s.Apply(Reading{Target: ft, Endpoint: EPFarmNodes, At: t0, Data: []ClusterNode{
		{Name: "syd-1", Address: "10.0.0.1", Port: 5701},
		{Name: "syd-2", Address: "10.0.0.2", Port: 5701, Local: true},
		{Name: "syd-3\x1b[31m", Address: "10.0.0.3", Port: 5701},
	}})
	wantM := []Member{
		{Name: "syd-1", Address: "10.0.0.1:5701", Why: WhyLBOnly},
		{Name: "syd-2", Address: "10.0.0.2:5701", Polled: true, Node: "syd"},
		{Name: "syd-3", Address: "10.0.0.3:5701", Why: WhyLBOnly},
	}
	if got := f.Members(); !reflect.DeepEqual(got, wantM) {
		t.Errorf("members\n got %+v\nwant %+v", got, wantM)
	}
	// A memberCount of 4 with three listed: the largest wins.
	s.Apply(Reading{Target: nt, Endpoint: EPStatus, At: t0, Data: ServerStatus{State: "SYNCHRONIZED", MemberCount: 4}})
	if h := f.Health(); h.NodesTotal != 4 || h.State != "SYNCHRONIZED" || h.Label() != "SYNCHRONIZED" {
		t.Errorf("health %+v label %q", h, h.Label())
	}
}

// Configured nodes match /farmNodes members by name, else by host; a farm
// is DEGRADED only when a polled node is down; the reported state stands
// beside the judgement.
func TestMembershipMatchAndReportedState(t *testing.T) {
	s := NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{{Name: "eu", URL: "https://eu", Nodes: []NodeSpec{
		{Name: "EU-1", URL: "https://eu-1.internal:7990"}, {Name: "second", URL: "https://10.0.0.2:7990"}}}}})
	f := s.Farm("eu")
	s.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPFarmNodes, At: t0, Data: []ClusterNode{
		{Name: "eu-1", Address: "10.0.0.1", Port: 5701}, {Name: "eu-2", Address: "10.0.0.2", Port: 5701}, {Name: "eu-3", Address: "10.0.0.3"}}})
	want := []Member{
		{Name: "eu-1", Address: "10.0.0.1:5701", Polled: true, Node: "EU-1"},
		{Name: "eu-2", Address: "10.0.0.2:5701", Polled: true, Node: "second"},
		{Name: "eu-3", Address: "10.0.0.3", Why: WhyNotListed},
	}
	if got := f.Members(); !reflect.DeepEqual(got, want) {
		t.Errorf("members\n got %+v\nwant %+v", got, want)
	}
	st := ServerStatus{State: "METADATA_SYNCHRONIZED", MemberCount: 3, HasProgress: true, Progress: Progress{SyncedRepos: 10, TotalRepos: 40}}
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "EU-1"}, Endpoint: EPStatus, At: t0, Data: st})
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "second"}, Endpoint: EPStatus, At: t0, Data: st})
	h := f.Health()
	if h.State != FarmSyncing || h.ReportedState != "METADATA_SYNCHRONIZED" || h.Label() != "SYNCING (nodes: METADATA_SYNCHRONIZED)" {
		t.Errorf("initial sync: %+v label %q", h, h.Label())
	}
	if h.NodesLabel() != "2 of 3 polled" {
		t.Errorf("nodes label %q", h.NodesLabel())
	}
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "second"}, Endpoint: EPStatus, At: t0.Add(time.Second), Err: errors.New("refused")})
	h = f.Health()
	if h.NodesUp != 1 || h.NodesLabel() != "1/2 up of 3" {
		t.Errorf("a polled node down: %+v %q", h, h.NodesLabel())
	}
}

// Discovered nodes come and go with the Membership readings; configured
// nodes stay.
func TestMembershipFollowsJoinAndLeave(t *testing.T) {
	s := NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{{Name: "eu", URL: "https://eu", NodeURL: "https://{name}.example.com",
		Nodes: []NodeSpec{{Name: "eu-1", URL: "https://eu-1.internal"}}}}})
	f := s.Farm("eu")
	ft := TargetID{Farm: "eu"}
	s.Apply(Reading{Target: ft, Endpoint: EPMembers, At: t0, Data: Membership{Nodes: []NodeSpec{
		{Name: "eu-2", URL: "https://eu-2.example.com", Discovered: true}, {Name: "eu-3", URL: "https://eu-3.example.com", Discovered: true}}}})
	names := func() []string {
		var out []string
		for _, n := range f.Nodes {
			out = append(out, n.Name+" "+n.URL)
		}
		return out
	}
	want := []string{"eu-1 https://eu-1.internal", "eu-2 https://eu-2.example.com", "eu-3 https://eu-3.example.com"}
	if got := names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("joined: %q", got)
	}
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu-3"}, Endpoint: EPStatus, At: t0, Data: ServerStatus{State: "SYNCHRONIZED"}})
	s.Apply(Reading{Target: ft, Endpoint: EPMembers, At: t0, Data: Membership{
		Nodes:   []NodeSpec{{Name: "eu-3", URL: "https://eu-3.example.com", Discovered: true}},
		Refused: []RefusedMember{{Name: "evil", Why: "its name has '/'"}}}})
	if got := names(); !reflect.DeepEqual(got, []string{"eu-1 https://eu-1.internal", "eu-3 https://eu-3.example.com"}) {
		t.Fatalf("left: %q", got)
	}
	if !f.Node("eu-3").HasStatus {
		t.Error("a node still listed must keep its data")
	}
	s.Apply(Reading{Target: ft, Endpoint: EPFarmNodes, At: t0, Data: []ClusterNode{{Name: "eu-3"}, {Name: "evil"}, {Name: "eu-4"}}})
	got := f.Members()
	if got[1].Why != "node_url not used: its name has '/'" || got[2].Why != WhyNotYet || got[3] != (Member{Name: "eu-1", Polled: true, Node: "eu-1"}) {
		t.Errorf("members %+v", got)
	}
}

// A discovered node that leaves /farmNodes (a crashed node drops out of
// the cluster) is an alert for an hour, and no longer once it joins again.
func TestDepartedMemberAlerts(t *testing.T) {
	s := NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{{Name: "eu", URL: "https://eu", NodeURL: "https://{name}.example.com"}}})
	ft := TargetID{Farm: "eu"}
	two := Membership{Nodes: []NodeSpec{{Name: "eu-1", URL: "https://eu-1.example.com", Discovered: true}, {Name: "eu-2", URL: "https://eu-2.example.com", Discovered: true}}}
	one := Membership{Nodes: two.Nodes[:1]}
	s.Apply(Reading{Target: ft, Endpoint: EPMembers, At: t0, Data: two})
	s.Apply(Reading{Target: ft, Endpoint: EPMembers, At: t0.Add(time.Minute), Data: one})
	left := func(now time.Time) []string {
		var out []string
		for _, a := range s.Alerts(Thresholds{}, now) {
			if strings.HasPrefix(a.Key, "left/") {
				out = append(out, a.Key+": "+a.Text)
			}
		}
		return out
	}
	want := []string{"left/eu/eu-2: node eu/eu-2 left the farm 5m ago (no longer in /farmNodes)"}
	if got := left(t0.Add(6 * time.Minute)); !reflect.DeepEqual(got, want) {
		t.Errorf("after leaving: %q", got)
	}
	if got := left(t0.Add(time.Minute + DepartureAlertFor)); got != nil {
		t.Errorf("an hour later: %q", got)
	}
	s.Apply(Reading{Target: ft, Endpoint: EPMembers, At: t0.Add(10 * time.Minute), Data: two})
	if got := left(t0.Add(11 * time.Minute)); got != nil || len(s.Farm("eu").Departed) != 0 {
		t.Errorf("after joining again: %q, %v", got, s.Farm("eu").Departed)
	}
}
