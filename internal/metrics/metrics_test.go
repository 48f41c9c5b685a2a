package metrics_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/metrics"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/serve"
	"github.com/mirrortop/mirrortop/internal/sim"
	"github.com/mirrortop/mirrortop/internal/snapshot"
)

// These tests run a hub against the simulator over real HTTP on loopback
// and read /metrics as Prometheus would.

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

// startHub runs a hub polling a simulator started with opts (prepared by
// setup before the first round) until its first view is ready; it returns
// the hub and its HTTP server's URL.
func startHub(t testing.TB, opts sim.Options, setup func(*sim.Sim)) (*serve.Hub, string) {
	t.Helper()
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Advance(10 * time.Minute)
	if setup != nil {
		setup(s)
	}
	cfg, err := config.Parse("sim.toml", []byte(s.ConfigTOML()))
	if err != nil {
		t.Fatal(err)
	}
	// One round only: nothing polls again within the test.
	cfg.Poll.Fast, cfg.Poll.Slow, cfg.Poll.Timeout = time.Hour, time.Hour, time.Minute
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	hub := serve.NewHub(p, serve.HubOptions{Now: fixedNow, Thresholds: cfg.Alerts.Thresholds(), Version: "1.2.3-test"})
	srv := httptest.NewServer(hub.Handler())
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); hub.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(60 * time.Second)
	for !hub.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return hub, srv.URL
}

func get(t testing.TB, url string) (http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return resp.Header, b
}

// series is a parsed exposition: each series' value by its name and
// labels written name{k="v",…} with the labels sorted.
type series map[string]float64

func scrape(t testing.TB, base string) (series, map[string]*dto.MetricFamily) {
	t.Helper()
	hdr, body := get(t, base+"/metrics")
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q", ct)
	}
	p := expfmt.NewTextParser(pmodel.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("%v in\n%s", err, body)
	}
	out := series{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+strconv.Quote(l.GetValue()))
			}
			sort.Strings(ls)
			v := m.GetGauge().GetValue()
			if c := m.GetCounter(); c != nil {
				v = c.GetValue()
			}
			out[name+"{"+strings.Join(ls, ",")+"}"] = v
		}
	}
	return out, fams
}

// key writes a series key: name{k="v",…} from label pairs.
func key(name string, kv ...string) string {
	var ls []string
	for i := 0; i+1 < len(kv); i += 2 {
		ls = append(ls, kv[i]+"="+strconv.Quote(kv[i+1]))
	}
	sort.Strings(ls)
	return name + "{" + strings.Join(ls, ",") + "}"
}

// want checks that a series exists with the value.
func (s series) want(t *testing.T, v float64, name string, kv ...string) {
	t.Helper()
	k := key(name, kv...)
	got, ok := s[k]
	if !ok {
		t.Errorf("no series %s", k)
		return
	}
	if got != v {
		t.Errorf("%s = %v, want %v", k, got, v)
	}
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// The exposition, parsed back, says what the snapshot of the same moment
// says, farm by farm and node by node; a node put down shows up 0 and its
// farm DEGRADED.
func TestMetricsMatchSimulatorState(t *testing.T) {
	hub, base := startHub(t, sim.Options{Manual: true, Seed: 7, StuckRepos: 2, User: "admin", Password: "pw",
		GitLab: &sim.GitLabOptions{Token: "gl-token"}}, func(s *sim.Sim) {
		if err := s.SetNodeDown("eu", "eu-2", true); err != nil {
			t.Fatal(err)
		}
	})
	got, fams := scrape(t, base)
	_, body := get(t, base+"/snapshot")
	var snap snapshot.Snapshot
	if err := json.Unmarshal(body, &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Farms) != 2 || snap.Farms[0].Name != "eu" {
		t.Fatalf("unexpected simulator farms: %+v", snap.Farms)
	}

	if f := fams["mirrortop_build_info"]; f == nil || len(f.GetMetric()) != 1 {
		t.Fatalf("build info: %v", f)
	}
	if v := fams["mirrortop_build_info"].GetMetric()[0].GetLabel(); v[1].GetName() != "version" || v[1].GetValue() != "1.2.3-test" {
		t.Errorf("build info labels %v", v)
	}
	got.want(t, 1, "mirrortop_primary_up")
	if n := len(fams["mirrortop_farm_nodes"].GetMetric()); n != 2 {
		t.Errorf("%d farms in mirrortop_farm_nodes, want 2", n)
	}
	got.want(t, 1, "mirrortop_farm_state", "farm", "eu", "state", "DEGRADED")
	got.want(t, 0, "mirrortop_farm_state", "farm", "eu", "state", "SYNCHRONIZED")
	got.want(t, 2, "mirrortop_farm_nodes_up", "farm", "eu")
	got.want(t, 3, "mirrortop_farm_nodes_polled", "farm", "eu")
	got.want(t, 0, "mirrortop_node_up", "farm", "eu", "node", "eu-2")
	got.want(t, 1, "mirrortop_node_up", "farm", "eu", "node", "eu-1")
	got.want(t, 2, "mirrortop_farm_nodes_up", "farm", "us")
	// One round: each endpoint fetched once; the node that is down did
	// not answer.
	got.want(t, 1, "mirrortop_poll_fetches_total", "target", "primary", "endpoint", "status", "status", "200")
	got.want(t, 1, "mirrortop_poll_fetches_total", "target", "eu/eu-2", "endpoint", "status", "status", "error")
	got.want(t, 1, "mirrortop_poll_fetches_total", "target", "eu/eu-1", "endpoint", "status", "status", "200")

	for _, f := range snap.Farms {
		on := 0.0
		for _, st := range metrics.FarmStates {
			on += got[key("mirrortop_farm_state", "farm", f.Name, "state", st)]
		}
		if on != 1 {
			t.Errorf("farm %s: %v states set, want 1", f.Name, on)
		}
		got.want(t, 1, "mirrortop_farm_state", "farm", f.Name, "state", f.State)
		got.want(t, float64(f.NodesTotal), "mirrortop_farm_nodes", "farm", f.Name)
		got.want(t, float64(f.NodesPolled), "mirrortop_farm_nodes_polled", "farm", f.Name)
		got.want(t, float64(f.NodesUp), "mirrortop_farm_nodes_up", "farm", f.Name)
		if f.QueueDepth != nil {
			got.want(t, float64(*f.QueueDepth), "mirrortop_farm_queue_depth", "farm", f.Name)
		}
		kinds := map[string]int{}
		for _, m := range f.Mismatches {
			kinds[m.Kind]++
		}
		for _, k := range metrics.MismatchKinds {
			got.want(t, float64(kinds[string(k)]), "mirrortop_farm_mismatches", "farm", f.Name, "kind", string(k))
		}
		got.want(t, f.Lag.P50, "mirrortop_farm_lag_seconds", "farm", f.Name, "quantile", "0.5")
		got.want(t, f.Lag.P95, "mirrortop_farm_lag_seconds", "farm", f.Name, "quantile", "0.95")
		got.want(t, f.Lag.Max, "mirrortop_farm_lag_seconds", "farm", f.Name, "quantile", "1")
		for _, st := range metrics.RepoStatuses {
			got.want(t, float64(f.RepoStatus[st]), "mirrortop_farm_repositories", "farm", f.Name, "status", st)
		}
		for _, n := range f.Nodes {
			if n.ClockSkewS != nil {
				got.want(t, *n.ClockSkewS, "mirrortop_node_clock_skew_seconds", "farm", f.Name, "node", n.Name)
			}
		}
	}
	if len(snap.Farms[0].Mismatches) == 0 {
		t.Error("the stuck repositories made no mismatch on eu")
	}

	alerts := map[string]int{}
	for _, a := range snap.Alerts {
		alerts[a.Kind+"/"+a.Severity]++
	}
	if alerts["node-down/critical"] != 1 {
		t.Errorf("snapshot alerts %v: want one node down", alerts)
	}
	for _, k := range metrics.AlertKinds {
		for _, s := range metrics.Severities {
			got.want(t, float64(alerts[string(k)+"/"+string(s)]), "mirrortop_alerts", "kind", string(k), "severity", string(s))
		}
	}

	if len(snap.GitLab) != 1 || len(snap.GitLab[0].Mirrors) == 0 {
		t.Fatalf("no GitLab mirrors in the snapshot: %+v", snap.GitLab)
	}
	g := snap.GitLab[0]
	health := map[string]int{}
	for _, m := range g.Mirrors {
		health[m.Health]++
		id := strconv.FormatInt(m.ID, 10)
		lbl := []string{"instance", g.Name, "project", m.Project, "direction", m.Direction, "id", id}
		got.want(t, 1, "mirrortop_gitlab_mirror_health", append(lbl, "health", m.Health)...)
		if m.LastSuccessfulUpdateAt != nil {
			got.want(t, float64(m.LastSuccessfulUpdateAt.UnixNano())/1e9, "mirrortop_gitlab_mirror_last_success_timestamp_seconds", lbl...)
		} else if _, ok := got[key("mirrortop_gitlab_mirror_last_success_timestamp_seconds", lbl...)]; ok {
			t.Errorf("a never successful mirror has a last success: %v", lbl)
		}
		if m.SuccessRate != nil {
			got.want(t, *m.SuccessRate, "mirrortop_gitlab_mirror_success_ratio", lbl...)
		}
	}
	for _, h := range metrics.GitLabHealths {
		got.want(t, float64(health[h]), "mirrortop_gitlab_mirrors", "instance", g.Name, "health", h)
	}

	// Last successful reads: the primary's status at the fixed clock; a
	// node that is down has none for /status, and one failure.
	got.want(t, seconds(time.Duration(testNow.UnixNano())), "mirrortop_last_success_timestamp_seconds", "target", "primary", "endpoint", "status")
	if _, ok := got[key("mirrortop_last_success_timestamp_seconds", "target", "eu/eu-2", "endpoint", "status")]; ok {
		t.Error("a node that never answered has a last success")
	}
	got.want(t, 1, "mirrortop_endpoint_failures", "target", "eu/eu-2", "endpoint", "status")
	got.want(t, 0, "mirrortop_endpoint_failures", "target", "eu/eu-1", "endpoint", "status")

	// The lags are Farm.LagStats's.
	hub.Shared().Read(func(st *model.State) {
		for _, f := range st.Farms {
			ls := f.LagStats(testNow)
			got.want(t, ls.P95.Seconds(), "mirrortop_farm_lag_seconds", "farm", f.Name, "quantile", "0.95")
		}
	})
}

// countSeries scrapes and counts the series.
func countSeries(t testing.TB, base string) int {
	s, _ := scrape(t, base)
	return len(s)
}

// The number of series does not grow with the repositories: the same at
// 1 000 and at 100 000 (10 000 under the race detector, where a round of
// 100 000 takes over a minute).
func TestSeriesCountIndependentOfRepositories(t *testing.T) {
	if testing.Short() {
		t.Skip("polls up to 101 000 repositories")
	}
	big := 100_000
	if raceDetector {
		big = 10_000
	}
	counts := map[int]int{}
	for _, repos := range []int{1_000, big} {
		_, base := startHub(t, sim.Options{Manual: true, Seed: 3, Repos: repos, StuckRepos: repos, PushEvery: -1}, nil)
		counts[repos] = countSeries(t, base)
	}
	if counts[1_000] != counts[big] || counts[1_000] < 50 {
		t.Fatalf("series at 1 000 and %d repositories: %v", big, counts)
	}
}
