package poller_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// These tests run the poller against the simulator over real HTTP on loopback.

func startSim(t *testing.T, opts sim.Options) *sim.Sim {
	t.Helper()
	opts.Manual = true
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	if opts.User == "" && opts.Token == "" {
		opts.User, opts.Password = "admin", "s3cret-pw"
	}
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func simConfig(t *testing.T, s *sim.Sim) *config.Config {
	t.Helper()
	cfg, err := config.Parse("sim.toml", []byte(s.ConfigTOML()))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Poll.Timeout = 3 * time.Second
	return cfg
}

func pollOnce(t *testing.T, cfg *config.Config, st *model.State) []model.Reading {
	t.Helper()
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test"})
	if err != nil {
		t.Fatal(err)
	}
	if st == nil {
		return p.RunOnce(context.Background())
	}
	rs := p.RunOnce(context.Background())
	for _, r := range rs {
		st.Apply(r)
	}
	return rs
}

func newState(t *testing.T, cfg *config.Config) *model.State {
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return model.NewState(p.Spec())
}

func errorsOf(rs []model.Reading) []string {
	var out []string
	for _, r := range rs {
		if r.Err != nil {
			out = append(out, r.Target.String()+" "+string(r.Endpoint)+": "+r.Err.Error())
		}
	}
	return out
}

func TestPollBothLayoutsAndConvergence(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 60, PushEvery: -1, FailRate: -1})
	cfg := simConfig(t, s)
	st := newState(t, cfg)
	rs := pollOnce(t, cfg, st)
	if errs := errorsOf(rs); len(errs) > 0 {
		t.Fatalf("errors from a healthy simulator: %v", errs)
	}
	if len(st.Primary.Repos) != 60 || st.Primary.Status.State != "RUNNING" || st.Primary.Version == "" {
		t.Fatalf("primary: %d repos, state %q, version %q", len(st.Primary.Repos), st.Primary.Status.State, st.Primary.Version)
	}
	if len(st.Primary.Requests) != 1 || st.Primary.Requests[0].MirrorName != "apac" {
		t.Errorf("pending requests %+v", st.Primary.Requests)
	}
	eu, us := st.Farm("eu"), st.Farm("us")
	if eu.Layout != model.Layout9 || us.Layout != model.Layout8 {
		t.Fatalf("layouts eu=%q us=%q", eu.Layout, us.Layout)
	}
	for _, f := range []*model.Farm{eu, us} {
		h := f.Health()
		if h.State != "SYNCHRONIZED" || h.NodesUp != h.NodesTotal || len(f.Mismatches) != 0 {
			t.Errorf("farm %s: %+v, mismatches %+v", f.Name, h, f.Mismatches)
		}
		for _, n := range f.Nodes {
			if !n.HasSync || len(n.Sync) == 0 || n.Version == "" || n.Status.MemberCount != len(f.Nodes) {
				t.Errorf("node %s: sync %d, version %q, members %d", n.Name, len(n.Sync), n.Version, n.Status.MemberCount)
			}
		}
	}
	if !us.HasSettings || us.Settings.AllProjects() || len(us.Nodes[0].Sync) >= 60 {
		t.Errorf("us mirrors selected projects: %+v, %d repos", us.Settings, len(us.Nodes[0].Sync))
	}
	if eu.Endpoints[model.EPLockOwners].Unsupported || !us.Endpoints[model.EPLockOwners].Unsupported {
		t.Error("lock owners: supported on 9.x, unsupported on 8.x")
	}

	// A push shows as a content mismatch on every eu node, with the queue
	// (or a worker's sync lock) holding the change, until the farm's workers
	// sync it. More pushes than workers leave some waiting in the queue.
	const pushed = 5
	for id := pushed; id < pushed+5; id++ {
		s.Push(id)
	}
	pollOnce(t, cfg, st)
	m := findMismatch(eu, "5")
	if m == nil || m.Kind != model.KindContent || len(m.Nodes) != 3 {
		t.Fatalf("after push: %+v", eu.Mismatches)
	}
	if c, _ := s.PrimaryHashes(pushed); m.PrimaryHash != c {
		t.Errorf("primary hash %s, sim says %s", m.PrimaryHash, c)
	}
	if !eu.HasQueueDepth || eu.QueueDepth < 1 || len(eu.Locks) == 0 {
		t.Errorf("queue depth %d, locks %d", eu.QueueDepth, len(eu.Locks))
	}
	for _, m := range eu.Mismatches {
		if m.QueuedAt.IsZero() {
			t.Errorf("repo %s: no queue or lock time", m.RepoID)
		}
	}
	s.Advance(2 * time.Minute)
	pollOnce(t, cfg, st)
	if len(eu.Mismatches) != 0 {
		t.Errorf("still mismatched after the workers ran: %+v", eu.Mismatches)
	}
	if eu.QueueDepth != 0 || eu.QueueHistory.Len() != 3 {
		t.Errorf("queue depth %d, history %d samples", eu.QueueDepth, eu.QueueHistory.Len())
	}
}

func findMismatch(f *model.Farm, id string) *model.Mismatch {
	for i := range f.Mismatches {
		if f.Mismatches[i].RepoID == id {
			return &f.Mismatches[i]
		}
	}
	return nil
}

func TestPollCappedPages(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 60, MaxPageSize: 7, PushEvery: -1})
	cfg := simConfig(t, s)
	cfg.Poll.PageSize = 1000
	st := newState(t, cfg)
	pollOnce(t, cfg, st)
	if len(st.Primary.Repos) != 60 {
		t.Fatalf("got %d of 60 repos through pages capped at 7", len(st.Primary.Repos))
	}
	if n := s.RequestCount("primary", "/rest/mirroring/latest/repos"); n != 9 {
		t.Errorf("%d page requests, want 9", n)
	}
	if n := len(st.Farm("eu").Nodes[0].Sync); n != 60 {
		t.Errorf("repoSyncStatus through capped pages: %d of 60", n)
	}
}

func TestPollFailureIsolation(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 30, PushEvery: -1})
	cfg := simConfig(t, s)
	st := newState(t, cfg)
	s.SetFault("eu/eu-2", "/status", sim.Fault{Status: 500})
	s.SetFault("primary", "/rest/mirroring/latest/mirrorServers", sim.Fault{Body: `{"values":[{"id":`})
	if err := s.SetNodeDown("us", "us-1", true); err != nil {
		t.Fatal(err)
	}
	rs := pollOnce(t, cfg, st)
	errs := strings.Join(errorsOf(rs), "\n")
	for _, want := range []string{
		"eu/eu-2 status: GET /status: HTTP 500",
		"primary mirrorServers: GET /rest/mirroring/latest/mirrorServers: truncated JSON",
		"us/us-1 status: GET /status: connection refused",
		"us/us-1 repoSyncStatus: GET /rest/mirroring/latest/supportInfo/repoSyncStatus: connection refused",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("missing error %q in\n%s", want, errs)
		}
	}
	if st.Farm("eu").Node("eu-2").State() != model.NodeDown || st.Farm("us").Node("us-1").State() != model.NodeDown {
		t.Error("failing nodes must show DOWN")
	}
	// Everything else was read.
	if len(st.Primary.Repos) != 30 || st.Farm("eu").Node("eu-1").State() != "SYNCHRONIZED" ||
		st.Farm("us").Node("us-2").State() != "SYNCHRONIZED" || !st.Farm("us").HasQueueDepth || !st.Farm("eu").Node("eu-2").HasSync {
		t.Error("one failure stopped other reads")
	}
	if h := st.Farm("us").Health(); h.State != model.FarmDegraded || h.NodesUp != 1 {
		t.Errorf("us health %+v", h)
	}
	// Recovery on the next poll.
	s.ClearFaults()
	if err := s.SetNodeDown("us", "us-1", false); err != nil {
		t.Fatal(err)
	}
	rs = pollOnce(t, cfg, st)
	if errs := errorsOf(rs); len(errs) > 0 {
		t.Errorf("errors after recovery: %v", errs)
	}
	if st.Farm("us").Node("us-1").State() != "SYNCHRONIZED" || len(st.Primary.MirrorServers) != 2 {
		t.Error("did not recover")
	}
}

func TestPollAuthFailure(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 10, PushEvery: -1})
	cfg := simConfig(t, s)
	cfg.Primary.Auth.Password = config.Secret{Inline: "wrong-password"}
	for i := range cfg.Farms {
		cfg.Farms[i].Target.Auth = cfg.Primary.Auth
	}
	rs := pollOnce(t, cfg, nil)
	var statusOK bool
	for _, r := range rs {
		if r.Target.IsPrimary() && r.Endpoint == model.EPStatus && r.Err == nil {
			statusOK = true
		}
		if r.Err != nil && strings.Contains(r.Err.Error(), "wrong-password") {
			t.Errorf("an error shows the password: %v", r.Err)
		}
	}
	errs := strings.Join(errorsOf(rs), "\n")
	if !statusOK || !strings.Contains(errs, "primary repos: GET /rest/mirroring/latest/repos: HTTP 401 Unauthorized: Authentication failed") {
		t.Errorf("status ok=%v, errors:\n%s", statusOK, errs)
	}
}

// runFor runs the poller for d and returns what it emitted.
func runFor(t *testing.T, p *poller.Poller, d time.Duration, during func()) []model.Reading {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	out := make(chan model.Reading, 64)
	var got []model.Reading
	var wg sync.WaitGroup
	wg.Go(func() {
		for r := range out {
			got = append(got, r)
		}
	})
	if during != nil {
		go during()
	}
	p.Run(ctx, out)
	close(out)
	wg.Wait()
	return got
}

// runUntil runs p until the readings so far satisfy done, or 15 s pass
// (which fails the test), and returns them.
func runUntil(t *testing.T, p *poller.Poller, during func(), done func([]model.Reading) bool) []model.Reading {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out := make(chan model.Reading, 64)
	var got []model.Reading
	var wg sync.WaitGroup
	wg.Go(func() {
		for r := range out {
			got = append(got, r)
			if done(got) {
				cancel()
			}
		}
	})
	if during != nil {
		go during()
	}
	p.Run(ctx, out)
	close(out)
	wg.Wait()
	if !done(got) {
		t.Fatalf("not done after 15 s: %d readings", len(got))
	}
	return got
}

// settledRequestCount waits until the simulator's request count has not
// moved for 300 ms (5 s at most) and returns it.
func settledRequestCount(s *sim.Sim) int {
	n, since := s.RequestCount("", ""), time.Now()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && time.Since(since) < 300*time.Millisecond; {
		time.Sleep(20 * time.Millisecond)
		if m := s.RequestCount("", ""); m != n {
			n, since = m, time.Now()
		}
	}
	return n
}

func count(rs []model.Reading, target string, ep model.Endpoint, failed bool) int {
	n := 0
	for _, r := range rs {
		if r.Target.String() == target && r.Endpoint == ep && (r.Err != nil) == failed {
			n++
		}
	}
	return n
}

func TestPollBackoffAndRetryAfter(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 10, PushEvery: -1})
	cfg := simConfig(t, s)
	cfg.Poll.Fast = 50 * time.Millisecond
	cfg.Poll.Slow = 2 * time.Second
	s.SetFault("primary", "/status", sim.Fault{Status: 429, RetryAfter: 5 * time.Second})
	s.SetFault("eu/eu-1", "/rest/mirroring/latest/supportInfo/repoSyncStatus", sim.Fault{Status: 503})
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := runFor(t, p, 3*time.Second, nil)
	// Retry-After 5s: asked once, not again within 3 s.
	if n := count(rs, "primary", model.EPStatus, true); n != 1 {
		t.Errorf("primary status asked %d times despite Retry-After", n)
	}
	// 503 without Retry-After on a slow endpoint: retried at the fast pace
	// first, then at doubling delays (with jitter): a handful of tries, the
	// gaps between them growing, where a fixed fast retry would make 30.
	// Gaps are compared rather than counted in a window, which a busy
	// machine stretches.
	var at []time.Time
	for _, r := range rs {
		if r.Target.String() == "eu/eu-1" && r.Endpoint == model.EPRepoSyncStatus && r.Err != nil {
			at = append(at, r.At)
		}
	}
	healthy := count(rs, "eu/eu-2", model.EPStatus, false)
	if len(at) < 4 || len(at) > 12 || healthy <= len(at) {
		t.Fatalf("failing endpoint fetched %d times, healthy node %d times", len(at), healthy)
	}
	first, last := at[1].Sub(at[0]), at[len(at)-1].Sub(at[len(at)-2])
	t.Logf("%d tries, gaps first %v last %v, healthy %d", len(at), first, last, healthy)
	if last < 2*first {
		t.Errorf("retries did not back off: first gap %v, last %v (%d tries)", first, last, len(at))
	}
}

func TestPollRefreshAndPause(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 10, PushEvery: -1})
	cfg := simConfig(t, s)
	cfg.Poll.Fast = time.Hour
	cfg.Poll.Slow = time.Hour
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Intervals of an hour: the second fetch can only come from the refresh.
	runUntil(t, p, func() {
		time.Sleep(time.Second)
		p.Refresh()
	}, func(rs []model.Reading) bool { return count(rs, "primary", model.EPRepos, false) >= 2 })
	p.SetPaused(true)
	// runUntil cancelled requests still in flight; the simulator logs them
	// as their handlers end. Count from when the log is still.
	before := settledRequestCount(s)
	rs := runFor(t, p, 300*time.Millisecond, func() { p.Refresh() })
	if len(rs) != 0 || s.RequestCount("", "") != before {
		t.Errorf("paused poller sent %d requests", s.RequestCount("", "")-before)
	}
	p.SetPaused(false)
	runUntil(t, p, nil, func(rs []model.Reading) bool { return count(rs, "primary", model.EPStatus, false) >= 1 })
}

func TestPollerMirrorRepo(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 10, PushEvery: -1})
	cfg := simConfig(t, s)
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []model.TargetID{{Farm: "eu", Node: "eu-2"}, {Farm: "us", Node: "us-1"}} {
		r, err := p.MirrorRepo(context.Background(), target.Farm, target.Node, "1")
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if r.RepositoryID != "1" || r.Status != "AVAILABLE" || !r.Available || len(r.CloneURLs) == 0 || r.CloneURLs[0].Href == "" {
			t.Errorf("%s: %+v", target, r)
		}
	}
	if _, err := p.MirrorRepo(context.Background(), "eu", "nope", "1"); err == nil {
		t.Error("unknown node must fail")
	}
}

// A farm discovered while Run polls gets its own tasks: its discovery
// reading comes first, then its nodes' readings.
func TestRunStartsDiscoveredFarms(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 20, PushEvery: -1})
	cfg := simConfig(t, s)
	cfg.Farms = cfg.Farms[:1] // only eu is configured; the primary also lists us
	cfg.Poll.Fast, cfg.Poll.Slow = 50*time.Millisecond, 200*time.Millisecond
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var discoveredAt, firstNode int
	i := 0
	rs := runFor(t, p, 3*time.Second, nil)
	for _, r := range rs {
		i++
		switch {
		case r.Endpoint == model.EPDiscovered && r.Target.Farm == "us" && discoveredAt == 0:
			discoveredAt = i
		case r.Target.Farm == "us" && r.Target.Node != "" && r.Err == nil && firstNode == 0:
			firstNode = i
		}
	}
	if discoveredAt == 0 || firstNode == 0 || firstNode < discoveredAt {
		t.Fatalf("us discovered at reading %d, its first node reading at %d (of %d)", discoveredAt, firstNode, len(rs))
	}
	// A discovered farm is polled through its base URL: one node, named
	// after the farm.
	if n := count(rs, "us/us", model.EPStatus, false); n < 2 {
		t.Errorf("us/us status read %d times in 3 s at a 50 ms interval", n)
	}
}

func TestPollDiscoversUnconfiguredFarms(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 20, PushEvery: -1})
	cfg := simConfig(t, s)
	cfg.Farms = cfg.Farms[:1] // only eu is configured; the primary also lists us
	st := newState(t, cfg)
	rs := pollOnce(t, cfg, st)
	if errs := errorsOf(rs); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	us := st.Farm("us")
	if us == nil || !us.Discovered {
		t.Fatalf("us not discovered: %+v", st.Farms)
	}
	if us.Layout != model.Layout8 || us.Health().State != "SYNCHRONIZED" || len(us.Nodes) != 1 || !us.Nodes[0].HasSync {
		t.Errorf("discovered farm was not read: layout %q health %+v", us.Layout, us.Health())
	}
	if st.Farm("eu").Discovered {
		t.Error("a configured farm is not discovered")
	}
	cfg.Poll.DiscoverFarms = false
	st = newState(t, cfg)
	pollOnce(t, cfg, st)
	if st.Farm("us") != nil {
		t.Error("discovery off: us must not be polled")
	}
}

func TestPollTLS(t *testing.T) {
	for mode, want := range map[string]string{
		"valid":      "",
		"expired":    "TLS certificate expired",
		"wrong-name": "does not match the host name",
		"unknown-ca": "unknown authority",
	} {
		t.Run(mode, func(t *testing.T) {
			s := startSim(t, sim.Options{Repos: 5, PushEvery: -1, TLS: mode, CertDays: 20})
			cfg := simConfig(t, s)
			if cfg.Primary.TLS.CAFile == "" || !strings.HasPrefix(cfg.Primary.URL, "https://") {
				t.Fatalf("the simulator's config has no TLS: %+v", cfg.Primary)
			}
			st := newState(t, cfg)
			rs := pollOnce(t, cfg, st)
			errs := strings.Join(errorsOf(rs), "\n")
			if want == "" {
				if errs != "" {
					t.Fatalf("valid TLS: %s", errs)
				}
				if got := st.Primary.CertExpiry; got.Sub(s.CertExpiry()).Abs() > time.Second || st.Farm("eu").Node("eu-1").CertExpiry.IsZero() || st.Farm("eu").CertExpiry.IsZero() {
					t.Errorf("certificate expiry: primary %v (sim %v), node %v", got, s.CertExpiry(), st.Farm("eu").Node("eu-1").CertExpiry)
				}
				if a := st.Alerts(model.Thresholds{CertDays: 30}, time.Now()); len(a) == 0 || !strings.Contains(a[0].Text, "expires in 19 days") && !strings.Contains(a[0].Text, "expires in 20 days") {
					t.Errorf("certificate alerts %+v", a)
				}
				return
			}
			if !strings.Contains(errs, want) || !strings.Contains(errs, "(host 127.0.0.1:") {
				t.Errorf("TLS %s: errors must name the reason and the host:\n%s", mode, errs)
			}
		})
	}
}

// The running poller skips the heavy lists while the farm's queue and the
// nodes' status stay quiet, says so with model.Unchanged, and fetches them
// again as soon as a push fills the queue.
func TestHeavyFetchesSkippedWhileNothingChanges(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 40, PushEvery: -1,
		Farms: []sim.FarmSpec{{Name: "eu", Layout: sim.Layout9, Nodes: 2, AllProjects: true}}})
	cfg := simConfig(t, s)
	cfg.Poll.Fast, cfg.Poll.Slow, cfg.Poll.FullEvery = 40*time.Millisecond, 200*time.Millisecond, time.Minute
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan model.Reading, 64)
	go p.Run(ctx, out)
	st := model.NewState(p.Spec())
	var mu sync.Mutex
	unchanged := 0
	go func() {
		for {
			var r model.Reading
			select {
			case <-ctx.Done():
				return
			case r = <-out:
			}
			mu.Lock()
			if _, ok := r.Data.(model.Unchanged); ok {
				unchanged++
			}
			st.Apply(r)
			mu.Unlock()
		}
	}()
	const syncPath = "/rest/mirroring/latest/supportInfo/repoSyncStatus"
	const reposPath = "/rest/mirroring/latest/repos"
	time.Sleep(2 * time.Second) // ten slow intervals
	nodeFetches, primaryFetches := s.RequestCount("eu/eu-1", syncPath), s.RequestCount("primary", reposPath)
	// The first fetch, and one more after the node's first status reading
	// (a change from nothing known); none after that.
	if nodeFetches < 1 || nodeFetches > 3 || primaryFetches < 1 || primaryFetches > 3 {
		t.Fatalf("heavy fetches in ten quiet slow intervals: node %d, primary %d; want 1 to 3", nodeFetches, primaryFetches)
	}
	mu.Lock()
	n := st.Farm("eu").Nodes[0]
	if unchanged < 5 || n.SyncCheckedAt.IsZero() || !n.SyncCheckedAt.After(n.SyncAt) || len(n.Sync) != 40 {
		t.Errorf("skips not reported: %d unchanged readings, checked %v, read %v, %d entries", unchanged, n.SyncCheckedAt, n.SyncAt, len(n.Sync))
	}
	mu.Unlock()
	// A refresh asked by the user fetches them even though nothing changed.
	p.Refresh()
	deadline := time.Now().Add(10 * time.Second)
	for s.RequestCount("eu/eu-1", syncPath) == nodeFetches || s.RequestCount("primary", reposPath) == primaryFetches {
		if time.Now().After(deadline) {
			t.Fatal("a refresh did not fetch the heavy lists")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let the poller settle and skip again
	nodeFetches, primaryFetches = s.RequestCount("eu/eu-1", syncPath), s.RequestCount("primary", reposPath)
	s.Push(7) // the farm's queue now holds an item until time moves
	deadline = time.Now().Add(10 * time.Second)
	for s.RequestCount("eu/eu-1", syncPath) == nodeFetches || s.RequestCount("primary", reposPath) == primaryFetches {
		if time.Now().After(deadline) {
			t.Fatalf("a push did not bring the heavy lists back: node %d, primary %d requests", s.RequestCount("eu/eu-1", syncPath), s.RequestCount("primary", reposPath))
		}
		time.Sleep(20 * time.Millisecond)
	}
	pc, _ := s.PrimaryHashes(7)
	deadline = time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := st.Primary.Repos[6].Hashes.Content
		mu.Unlock()
		if got == pc {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the primary's new hash was not read")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The first round detects each farm's layout once, though several of its
// tasks need it at the same moment.
func TestLayoutDetectedOncePerFarm(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 20,
		Farms: []sim.FarmSpec{{Name: "nine", Layout: sim.Layout9, Nodes: 1, AllProjects: true}, {Name: "eight", Layout: sim.Layout8, Nodes: 1, AllProjects: true}}})
	p, err := poller.New(context.Background(), simConfig(t, s), poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.RunOnce(context.Background())
	counts := s.RequestCounts()
	for _, farm := range []string{"nine", "eight"} {
		if n := counts[farm]["/rest/mirroring/latest/upstreamServer"]; n != 1 {
			t.Errorf("%s: GET upstreamServer %d times in the first round, want 1", farm, n)
		}
	}
	if n := counts["eight"]["/rest/mirroring/latest/upstreamServers"]; n != 1 {
		t.Errorf("eight: GET upstreamServers %d times, want 1", n)
	}
}

// Farms that inherit the primary's credentials do not run its password
// command again.
func TestInheritedCredentialsResolvedOnce(t *testing.T) {
	dir := t.TempDir()
	count := filepath.Join(dir, "runs")
	text := fmt.Sprintf(`
[primary]
url = "https://bitbucket.example.com"
[primary.auth]
user = "admin"
password_command = "echo run >> %s; echo s3cret-pw"
[[farm]]
name = "eu"
url = "https://eu.example.com"
[[farm]]
name = "us"
url = "https://us.example.com"
`, count)
	cfg, err := config.Parse("creds.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := poller.New(context.Background(), cfg, poller.Options{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(count)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Errorf("the password command ran %d times, want 1", n)
	}
}
