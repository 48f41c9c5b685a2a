// Package metrics exports the shared polled state in the Prometheus
// exposition format: a Collector reads the newest version of the state
// at scrape time (see ui.Shared.Read), and emits one series per primary, farm, node,
// endpoint and GitLab mirror — never one per Bitbucket repository, so a
// farm of 100 000 repositories costs no more series than one of ten.
package metrics

import (
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/ui"
)

// Options tune a Collector.
type Options struct {
	// Version is the mirrortop version mirrortop_build_info reports.
	Version string
	// Thresholds decide which alerts are active (mirrortop_alerts).
	Thresholds model.Thresholds
	// Now is the clock of ages and lags (default time.Now).
	Now func() time.Time
	// Notify, when set, counts the webhooks' messages
	// (mirrortop_notify_sent_total, mirrortop_notify_dropped_total).
	Notify NotifyCounts
	// Fetches, when set, counts the poller's fetches
	// (mirrortop_poll_fetches_total).
	Fetches func() []poller.FetchCount
}

// NotifyCounts counts a notifier's messages (a *notify.Notifier).
type NotifyCounts interface {
	Sent() int64
	Dropped() int64
}

// FarmStates are the values of mirrortop_farm_state's state label: the
// states mirrortop derives (model.FarmHealth) and those nodes report;
// a state outside the list counts as OTHER.
var FarmStates = []string{
	"SYNCHRONIZED", "METADATA_SYNCHRONIZED", "BOOTSTRAPPED", "STARTING", "FIRST_RUN", "RUNNING",
	model.FarmSyncing, model.FarmDegraded, model.FarmDown, model.FarmUnknown, "OTHER",
}

// RepoStatuses are the values of mirrortop_farm_repositories' status label.
var RepoStatuses = []string{
	model.RepoAvailable, model.RepoInitializing, model.RepoMissing, model.RepoErrorAvailable, model.RepoErrorInitializing,
}

// MismatchKinds are the values of mirrortop_farm_mismatches' kind label.
var MismatchKinds = []model.MismatchKind{model.KindMissing, model.KindContent, model.KindMetadata}

// AlertKinds are the values of mirrortop_alerts' kind label.
var AlertKinds = []model.AlertKind{
	model.AlertCertExpired, model.AlertCertExpiring, model.AlertNodeDown, model.AlertNodeLeft, model.AlertQueue,
	model.AlertStuckLock, model.AlertMismatches, model.AlertClockSkew, model.AlertLastSeen, model.AlertGitLab,
	model.AlertSuccessRate,
}

// Severities are the values of mirrortop_alerts' severity label.
var Severities = []model.Severity{model.SeverityWarning, model.SeverityCritical}

// GitLabHealths are the values of the GitLab metrics' health label.
var GitLabHealths = []string{
	model.HealthPaused, model.HealthStuck, model.HealthDiverged, model.HealthFailing, model.HealthRetrying,
	model.HealthNever, model.HealthUnknown, model.HealthSyncing, model.HealthDisabled, model.HealthOK,
}

// SuccessWindow is the window of mirrortop_gitlab_mirror_success_ratio,
// as in the snapshot document.
const SuccessWindow = 24 * time.Hour

// desc makes a metric description.
func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("mirrortop_"+name, help, labels, nil)
}

var mirrorLabels = []string{"instance", "project", "direction", "id"}

// The metrics' descriptions.
var (
	descBuildInfo      = desc("build_info", "Always 1: the mirrortop version and the Go version it was built with.", "version", "goversion")
	descPrimaryUp      = desc("primary_up", "1 when the primary's /status answered at the latest reading, else 0.")
	descFarmState      = desc("farm_state", "The farm's state as mirrortop judges it: 1 for the current state, 0 for the others.", "farm", "state")
	descFarmNodes      = desc("farm_nodes", "The farm's members (the largest of the nodes' member counts, /farmNodes and the polled nodes).", "farm")
	descFarmPolled     = desc("farm_nodes_polled", "The farm's nodes polled at their own URL.", "farm")
	descFarmUp         = desc("farm_nodes_up", "The farm's polled nodes that answer.", "farm")
	descInitialSync    = desc("farm_initial_sync_ratio", "Repositories synced over those known, while an initial sync is under way.", "farm")
	descQueue          = desc("farm_queue_depth", "Waiting entries in the farm's ref-changes queue.", "farm")
	descMismatches     = desc("farm_mismatches", "The farm's repositories that differ from the primary, by the worst kind of difference.", "farm", "kind")
	descLag            = desc("farm_lag_seconds", "How long the farm's mismatches have been out of sync: the median, the 95th percentile and the largest (quantile 1); 0 without mismatches.", "farm", "quantile")
	descRepos          = desc("farm_repositories", "The farm's mirrored repositories by their worst status across its nodes.", "farm", "status")
	descLockAge        = desc("farm_worst_lock_age_seconds", "How long the oldest repository sync lock on the farm has been held; 0 with none.", "farm")
	descNodeUp         = desc("node_up", "1 when the node's /status answered at the latest reading, else 0.", "farm", "node")
	descSkew           = desc("node_clock_skew_seconds", "How far the node's clock is ahead of the primary's (negative: behind); 0 under 2 seconds.", "farm", "node")
	descCert           = desc("cert_expiry_timestamp_seconds", "When the target's TLS certificate expires (Unix time).", "target")
	descLastSuccess    = desc("last_success_timestamp_seconds", "When the endpoint of the target last answered (Unix time).", "target", "endpoint")
	descFailures       = desc("endpoint_failures", "Consecutive failed readings of the endpoint of the target; 0 after a success.", "target", "endpoint")
	descAlerts         = desc("alerts", "Active alerts by kind and severity, from the [alerts] thresholds.", "kind", "severity")
	descGitLabMirrors  = desc("gitlab_mirrors", "The GitLab instance's watched mirrors by health.", "instance", "health")
	descMirrorSuccess  = desc("gitlab_mirror_last_success_timestamp_seconds", "When the GitLab mirror last updated successfully (Unix time).", mirrorLabels...)
	descMirrorRatio    = desc("gitlab_mirror_success_ratio", "The share of the GitLab mirror's updates seen in the last 24 hours that succeeded.", mirrorLabels...)
	descMirrorHealth   = desc("gitlab_mirror_health", "The GitLab mirror's health: 1 for the current one, 0 for the others.", append(mirrorLabels[:4:4], "health")...)
	descMirrorLastRead = desc("gitlab_mirror_last_update_timestamp_seconds", "When the GitLab mirror's latest update ended, successful or not (Unix time).", mirrorLabels...)
)

var (
	descFetches       = desc("poll_fetches_total", "Fetches of an endpoint of a target (a list read whole, every page), by how they ended: the HTTP status, error (no answer, or not readable) or unsupported.", "target", "endpoint", "status")
	descNotifySent    = desc("notify_sent_total", "Alert messages the webhooks took (answered 2xx).")
	descNotifyDropped = desc("notify_dropped_total", "Alert messages dropped because a webhook's queue was full (a receiver that hangs or fails).")
)

var allDescs = []*prometheus.Desc{
	descFetches, descNotifySent, descNotifyDropped,
	descBuildInfo, descPrimaryUp, descFarmState, descFarmNodes, descFarmPolled, descFarmUp, descInitialSync, descQueue,
	descMismatches, descLag, descRepos, descLockAge, descNodeUp, descSkew, descCert, descLastSuccess, descFailures,
	descAlerts, descGitLabMirrors, descMirrorSuccess, descMirrorRatio, descMirrorHealth, descMirrorLastRead,
}

// Collector is a prometheus.Collector of a shared state.
type Collector struct {
	shared *ui.Shared
	opts   Options

	mu    sync.Mutex
	farms map[string]*farmCache
}

// farmCache is what a scrape derives from a farm's mismatches, kept for
// one Mismatches generation so that a scrape walks 100 000 of them only
// after they changed.
type farmCache struct {
	gen   uint64
	n     int
	kinds [3]int
	// sorted is true when the mismatches' Since times ascend (as
	// model.SortWorstFirst leaves them); else since holds them sorted.
	sorted bool
	since  []time.Time
}

// New returns a collector of the state shared reads.
func New(shared *ui.Shared, opts Options) *Collector {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Collector{shared: shared, opts: opts, farms: map[string]*farmCache{}}
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect reads the newest state and sends the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	var ms []prometheus.Metric
	c.mu.Lock() // one scrape at a time: the farm caches
	c.shared.Read(func(st *model.State) { ms = c.collect(st, c.opts.Now()) })
	c.mu.Unlock()
	if f := c.opts.Fetches; f != nil {
		for _, fc := range f() {
			ms = append(ms, prometheus.MustNewConstMetric(descFetches, prometheus.CounterValue, float64(fc.N), fc.Target, fc.Endpoint, fc.Status))
		}
	}
	if n := c.opts.Notify; n != nil {
		ms = append(ms, prometheus.MustNewConstMetric(descNotifySent, prometheus.CounterValue, float64(n.Sent())),
			prometheus.MustNewConstMetric(descNotifyDropped, prometheus.CounterValue, float64(n.Dropped())))
	}
	for _, m := range ms {
		ch <- m
	}
}

// collect builds the metrics of st at now.
func (c *Collector) collect(st *model.State, now time.Time) []prometheus.Metric {
	ms := make([]prometheus.Metric, 0, 256)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ms = append(ms, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	unix := func(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
	gauge(descBuildInfo, 1, c.opts.Version, runtime.Version())

	endpoints := func(target string, h model.Health) {
		for ep, e := range h {
			if !e.LastOK.IsZero() {
				gauge(descLastSuccess, unix(e.LastOK), target, string(ep))
			}
			gauge(descFailures, float64(e.Failures), target, string(ep))
		}
	}
	cert := func(target string, at time.Time) {
		if !at.IsZero() {
			gauge(descCert, unix(at), target)
		}
	}

	p := st.Primary.Endpoints[model.EPStatus]
	gauge(descPrimaryUp, b2f(p != nil && !p.LastOK.IsZero() && !p.Failing()))
	cert("primary", st.Primary.CertExpiry)
	endpoints("primary", st.Primary.Endpoints)

	seen := make(map[string]bool, len(st.Farms))
	for _, f := range st.Farms {
		seen[f.Name] = true
		h := f.Health()
		state := strings.ToUpper(h.State)
		known := false
		for _, s := range FarmStates {
			known = known || s == state
		}
		if !known {
			state = "OTHER"
		}
		for _, s := range FarmStates {
			gauge(descFarmState, b2f(s == state), f.Name, s)
		}
		gauge(descFarmNodes, float64(h.NodesTotal), f.Name)
		gauge(descFarmPolled, float64(h.NodesPolled), f.Name)
		gauge(descFarmUp, float64(h.NodesUp), f.Name)
		if r, ok := initialSyncRatio(f); ok {
			gauge(descInitialSync, r, f.Name)
		}
		if f.HasQueueDepth {
			gauge(descQueue, float64(f.QueueDepth), f.Name)
		}
		fc := c.farmCache(f)
		for i, k := range MismatchKinds {
			gauge(descMismatches, float64(fc.kinds[i]), f.Name, string(k))
		}
		p50, p95, top := fc.lags(f, now)
		gauge(descLag, p50.Seconds(), f.Name, "0.5")
		gauge(descLag, p95.Seconds(), f.Name, "0.95")
		gauge(descLag, top.Seconds(), f.Name, "1")
		for _, s := range RepoStatuses {
			gauge(descRepos, float64(f.RepoStatus[s]), f.Name, s)
		}
		var lock time.Duration
		for _, l := range f.Locks {
			if !l.AcquiredAt.IsZero() {
				lock = max(lock, now.Sub(l.AcquiredAt))
			}
		}
		gauge(descLockAge, lock.Seconds(), f.Name)
		cert(f.Name, f.CertExpiry)
		endpoints(f.Name, f.Endpoints)
		for _, n := range f.Nodes {
			gauge(descNodeUp, b2f(n.Up()), f.Name, n.Name)
			if d, ok := st.ClockSkew(n); ok {
				gauge(descSkew, d.Seconds(), f.Name, n.Name)
			}
			if n.URL != f.URL {
				cert(f.Name+"/"+n.Name, n.CertExpiry)
			}
			endpoints(f.Name+"/"+n.Name, n.Endpoints)
		}
	}
	for name := range c.farms { // farms no longer tracked
		if !seen[name] {
			delete(c.farms, name)
		}
	}

	counts := map[model.AlertKind]map[model.Severity]int{}
	for _, a := range st.Alerts(c.opts.Thresholds, now) {
		if counts[a.Kind] == nil {
			counts[a.Kind] = map[model.Severity]int{}
		}
		counts[a.Kind][a.Severity]++
	}
	for _, k := range AlertKinds {
		for _, s := range Severities {
			gauge(descAlerts, float64(counts[k][s]), string(k), string(s))
		}
	}

	for _, g := range st.GitLab {
		endpoints("gitlab "+g.Name, g.Endpoints)
		byHealth := map[string]int{}
		for _, m := range g.Mirrors {
			health := m.Health(now)
			byHealth[health]++
			labels := []string{g.Name, m.Project, string(m.Direction), strconv.FormatInt(m.ID, 10)}
			for _, h := range GitLabHealths {
				gauge(descMirrorHealth, b2f(h == health), append(labels[:4:4], h)...)
			}
			if !m.LastSuccessfulUpdateAt.IsZero() {
				gauge(descMirrorSuccess, unix(m.LastSuccessfulUpdateAt), labels...)
			}
			if !m.LastUpdateAt.IsZero() {
				gauge(descMirrorLastRead, unix(m.LastUpdateAt), labels...)
			}
			if r, _, ok := m.SuccessRate(now, SuccessWindow); ok {
				gauge(descMirrorRatio, r, labels...)
			}
		}
		for _, h := range GitLabHealths {
			gauge(descGitLabMirrors, float64(byHealth[h]), g.Name, h)
		}
	}
	return ms
}

// initialSyncRatio is synced over total repositories of an initial sync
// under way, from the farm's progress or else its first node's that has one.
func initialSyncRatio(f *model.Farm) (float64, bool) {
	pr, ok := f.Progress, f.HasProgress
	if !ok || !pr.InitialSync() {
		ok = false
		for _, n := range f.Nodes {
			if n.Up() && n.Status.HasProgress && n.Status.Progress.InitialSync() {
				pr, ok = n.Status.Progress, true
				break
			}
		}
	}
	if !ok || !pr.InitialSync() || pr.TotalRepos <= 0 {
		return 0, false
	}
	return float64(pr.SyncedRepos) / float64(pr.TotalRepos), true
}

// farmCache returns the farm's cache, made anew when its mismatches
// changed. It keeps its own (not Farm.LagStats's, which a read-locked
// caller would write to) so that a scrape never writes to the state.
func (c *Collector) farmCache(f *model.Farm) *farmCache {
	fc := c.farms[f.Name]
	if fc != nil && fc.gen == f.MismatchGen && fc.n == len(f.Mismatches) {
		return fc
	}
	fc = &farmCache{gen: f.MismatchGen, n: len(f.Mismatches), sorted: true}
	var prev time.Time
	for i := range f.Mismatches {
		m := &f.Mismatches[i]
		switch m.Kind {
		case model.KindMissing:
			fc.kinds[0]++
		case model.KindContent:
			fc.kinds[1]++
		case model.KindMetadata:
			fc.kinds[2]++
		}
		if fc.sorted {
			s := since(m)
			fc.sorted = i == 0 || !s.Before(prev)
			prev = s
		}
	}
	if !fc.sorted {
		fc.since = make([]time.Time, len(f.Mismatches))
		for i := range f.Mismatches {
			fc.since[i] = since(&f.Mismatches[i])
		}
		slices.SortFunc(fc.since, time.Time.Compare)
	}
	c.farms[f.Name] = fc
	return fc
}

// since is m.Since() without copying the mismatch.
func since(m *model.Mismatch) time.Time {
	if !m.QueuedAt.IsZero() && (m.FirstSeen.IsZero() || m.QueuedAt.Before(m.FirstSeen)) {
		return m.QueuedAt
	}
	return m.FirstSeen
}

// lags gives the median, 95th percentile and largest lag of the farm's
// mismatches at now, by nearest rank as model.LagStats does: the Pth is
// the smallest lag that at least P % of the lags do not exceed. Since
// ascending means lags descending, unknown (zero) times, whose lag is 0,
// aside.
func (fc *farmCache) lags(f *model.Farm, now time.Time) (p50, p95, top time.Duration) {
	n := fc.n
	if n == 0 {
		return 0, 0, 0
	}
	sinceAt := func(i int) time.Time {
		if fc.sorted {
			return since(&f.Mismatches[i])
		}
		return fc.since[i]
	}
	zeros := sort.Search(n, func(i int) bool { return !sinceAt(i).IsZero() })
	at := func(r int) time.Duration { // the rth smallest lag, 1-based
		if r <= zeros {
			return 0
		}
		t := sinceAt(zeros + n - r)
		if now.Before(t) {
			return 0
		}
		return now.Sub(t)
	}
	rank := func(p int) int { return (p*n + 99) / 100 }
	return at(rank(50)), at(rank(95)), at(n)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// NewRegistry returns a registry holding the collector. The Go runtime and
// process collectors are left out: they describe the mirrortop process, not
// the mirrors, and cost a scrape more than the mirrors' metrics do.
func NewRegistry(c *Collector) *prometheus.Registry {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	return reg
}

// Handler serves the registry's metrics in the exposition format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, MaxRequestsInFlight: 4})
}
