package poller_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// lbOnlyConfig is a config that lists a sim farm's URL only.
func lbOnlyConfig(t *testing.T, s *sim.Sim, extra string) *config.Config {
	t.Helper()
	eu := s.Farms()[0]
	text := "[primary]\nurl = \"" + s.PrimaryURL() + "\"\n[primary.auth]\ntype = \"basic\"\nuser = \"admin\"\npassword = \"s3cret-pw\"\n" +
		"[[farm]]\nname = \"eu\"\nurl = \"" + eu.URL + "\"\n" + extra
	cfg, err := config.Parse("t.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Poll.Timeout = 3 * time.Second
	return cfg
}

// A farm configured by its load balancer only: one of three polled, the
// others listed as not polled with why, and the farm not DEGRADED.
func TestLoadBalancerOnlyFarm(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 10, PushEvery: -1, FailRate: -1,
		Farms: []sim.FarmSpec{{Name: "eu", Nodes: 3, AllProjects: true}}})
	cfg := lbOnlyConfig(t, s, "")
	st := newState(t, cfg)
	pollOnce(t, cfg, st)
	f := st.Farm("eu")
	h := f.Health()
	if h.NodesTotal != 3 || h.NodesPolled != 1 || h.NodesUp != 1 || h.State != "SYNCHRONIZED" || h.NodesLabel() != "1 of 3 polled" {
		t.Fatalf("health %+v (%s)", h, h.NodesLabel())
	}
	ms := f.Members()
	polled, why := 0, 0
	for _, m := range ms {
		if m.Polled {
			polled++
			if m.Node != "eu" {
				t.Errorf("polled member %+v", m)
			}
		} else if m.Why == model.WhyLBOnly {
			why++
		}
	}
	if len(ms) != 3 || polled != 1 || why != 2 {
		t.Errorf("members %+v", ms)
	}
}

// Discovery by template: every member is polled at its own URL (the sim's
// load balancer path of that node), named after it.
func TestDiscoveryByTemplate(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 10, PushEvery: -1, FailRate: -1,
		Farms: []sim.FarmSpec{{Name: "eu", Nodes: 3, AllProjects: true}}})
	eu := s.Farms()[0]
	cfg := lbOnlyConfig(t, s, "node_url = \""+eu.URL+"/node/{name}\"\n")
	st := newState(t, cfg)
	if n := len(st.Farm("eu").Nodes); n != 0 {
		t.Fatalf("%d nodes before discovery", n)
	}
	pollOnce(t, cfg, st)
	f := st.Farm("eu")
	var got []string
	for _, n := range f.Nodes {
		got = append(got, n.Name+" "+n.URL+" "+n.State())
		if len(n.Sync) != 10 {
			t.Errorf("node %s: %d sync entries", n.Name, len(n.Sync))
		}
	}
	want := []string{
		"eu-1 " + eu.URL + "/node/eu-1 SYNCHRONIZED",
		"eu-2 " + eu.URL + "/node/eu-2 SYNCHRONIZED",
		"eu-3 " + eu.URL + "/node/eu-3 SYNCHRONIZED",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("nodes %q", got)
	}
	for _, n := range []string{"eu/eu-1", "eu/eu-2", "eu/eu-3"} {
		for _, p := range []string{"/status", "/rest/mirroring/latest/supportInfo/repoSyncStatus", "/rest/api/latest/application-properties"} {
			if c := s.RequestCount(n, p); c != 1 {
				t.Errorf("%s got %d requests on %s, want 1", n, c, p)
			}
		}
	}
	if h := f.Health(); h.NodesTotal != 3 || h.NodesPolled != 3 || h.NodesUp != 3 || h.NodesLabel() != "3/3" {
		t.Errorf("health %+v", h)
	}
	for _, m := range f.Members() {
		if !m.Polled || m.Node != m.Name {
			t.Errorf("member %+v", m)
		}
	}
}

// Configured nodes win over members of the same name; a member whose URL
// does not answer is DOWN with its URL shown.
func TestDiscoveryExplicitWinsAndDeadURL(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 10, PushEvery: -1, FailRate: -1,
		Farms: []sim.FarmSpec{{Name: "eu", Nodes: 3, AllProjects: true}}})
	eu := s.Farms()[0]
	// {host} is 127.0.0.1 in the sim; port 1 refuses.
	cfg := lbOnlyConfig(t, s, "node_url = \"http://{host}:1/bitbucket/{name}\"\n[[farm.node]]\nname = \"EU-1\"\nurl = \""+eu.Nodes[0].URL+"\"\n")
	st := newState(t, cfg)
	pollOnce(t, cfg, st)
	f := st.Farm("eu")
	var got []string
	for _, n := range f.Nodes {
		got = append(got, n.Name+" "+n.URL+" "+n.State())
	}
	want := []string{"EU-1 " + eu.Nodes[0].URL + " SYNCHRONIZED", "eu-2 http://127.0.0.1:1/bitbucket/eu-2 DOWN", "eu-3 http://127.0.0.1:1/bitbucket/eu-3 DOWN"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("nodes %q", got)
	}
	if e := f.Node("eu-2").Error(); !strings.Contains(e, "connection refused") {
		t.Errorf("error of the dead node: %q", e)
	}
	if h := f.Health(); h.State != model.FarmDegraded || h.NodesLabel() != "1/3" {
		t.Errorf("health %+v", h)
	}
}

// Members that join and leave are followed by the running poller within a
// slow interval, and their tasks stop.
func TestDiscoveryFollowsJoinAndLeave(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 10, PushEvery: -1, FailRate: -1,
		Farms: []sim.FarmSpec{{Name: "eu", Nodes: 3, AllProjects: true}}})
	eu := s.Farms()[0]
	if err := s.SetMember("eu", "eu-3", false); err != nil {
		t.Fatal(err)
	}
	cfg := lbOnlyConfig(t, s, "node_url = \""+eu.URL+"/node/{name}\"\n")
	cfg.Poll.Fast, cfg.Poll.Slow = 50*time.Millisecond, 200*time.Millisecond
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := model.NewState(p.Spec())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan model.Reading, 64)
	var mu sync.Mutex
	go p.Run(ctx, out)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case r := <-out:
				mu.Lock()
				st.Apply(r)
				mu.Unlock()
			}
		}
	}()
	nodes := func() string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, n := range st.Farm("eu").Nodes {
			out = append(out, n.Name+"="+n.State())
		}
		return strings.Join(out, " ")
	}
	wait := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for nodes() != want {
			if time.Now().After(deadline) {
				t.Fatalf("nodes %q, want %q", nodes(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait("eu-1=SYNCHRONIZED eu-2=SYNCHRONIZED")
	if err := s.SetMember("eu", "eu-3", true); err != nil {
		t.Fatal(err)
	}
	wait("eu-1=SYNCHRONIZED eu-2=SYNCHRONIZED eu-3=SYNCHRONIZED")
	if err := s.SetMember("eu", "eu-1", false); err != nil {
		t.Fatal(err)
	}
	wait("eu-2=SYNCHRONIZED eu-3=SYNCHRONIZED")
	if _, ok := p.Node("eu", "eu-1"); ok {
		t.Error("the departed node still has a client")
	}
	time.Sleep(150 * time.Millisecond) // a task in flight may still land
	before := s.RequestCount("eu/eu-1", "/status")
	time.Sleep(400 * time.Millisecond) // eight fast intervals
	if after := s.RequestCount("eu/eu-1", "/status"); after != before {
		t.Errorf("the departed node is still polled: %d then %d /status requests", before, after)
	}
}
