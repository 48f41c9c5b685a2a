package model

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// HistoryCapacity is how many queue-depth samples a farm keeps.
const HistoryCapacity = 240

// Spec lists the targets a State tracks, in display order.
type Spec struct {
	PrimaryURL string
	Farms      []FarmSpec
	GitLab     []GitLabSpec
}

// FarmSpec is one farm of a Spec. With no nodes, the farm URL itself is
// polled as the farm's only node.
type FarmSpec struct {
	Name  string
	URL   string
	Nodes []NodeSpec
	// Discovered is true for a farm found in the primary's mirror servers
	// rather than configured.
	Discovered bool
	// NodeURL is the farm's node URL template (node discovery), "" when
	// its nodes are only those listed.
	NodeURL string
}

// NodeSpec is one node of a farm.
type NodeSpec struct {
	Name string
	URL  string
	// Discovered is true for a node polled because /farmNodes lists it
	// (node discovery) rather than configured.
	Discovered bool
}

// EndpointHealth is the record of one endpoint of one target: when it last
// answered, when it last failed and why.
type EndpointHealth struct {
	LastOK      time.Time
	LastErr     time.Time
	Err         string
	Failures    int
	Unsupported bool
	// Status is the HTTP status of the latest failure when the server
	// answered with one (0 for a transport failure or after a success).
	Status int
}

// HTTPStatusError is an error that carries the HTTP status a server
// answered with.
type HTTPStatusError interface {
	error
	HTTPStatus() int
}

// httpStatus returns the HTTP status err carries, or 0.
func httpStatus(err error) int {
	var he HTTPStatusError
	if errors.As(err, &he) {
		return he.HTTPStatus()
	}
	return 0
}

// Failing reports whether the latest outcome was a failure.
func (h *EndpointHealth) Failing() bool {
	return h != nil && !h.LastErr.IsZero() && h.LastErr.After(h.LastOK)
}

// Health is the per-endpoint record of one target.
type Health map[Endpoint]*EndpointHealth

func (h Health) record(r Reading) {
	e := h[r.Endpoint]
	if e == nil {
		e = &EndpointHealth{}
		h[r.Endpoint] = e
	}
	switch {
	case r.Err != nil:
		e.LastErr = r.At
		e.Err = r.Err.Error()
		e.Status = httpStatus(r.Err)
		e.Failures++
	case r.Unsupported:
		e.Unsupported = true
		e.LastOK = r.At
		e.Err = ""
		e.Status = 0
		e.Failures = 0
	default:
		e.LastOK = r.At
		e.Err = ""
		e.Status = 0
		e.Failures = 0
		e.Unsupported = false
	}
}

// Errors lists the endpoints whose latest outcome was a failure.
func (h Health) Errors() map[Endpoint]*EndpointHealth {
	out := map[Endpoint]*EndpointHealth{}
	for ep, e := range h {
		if e.Failing() {
			out[ep] = e
		}
	}
	return out
}

// AuthFailure reports whether the target fails authentication or
// authorisation as a whole: every failing endpoint (at least one) was
// refused. status is 401 when the credentials themselves were refused
// somewhere, else 403 (they are accepted but lack permission). Bitbucket
// answers a user without the permission a resource needs with 401 and an
// AuthorisationException ("You are not permitted to access this
// resource"), not 403: such an answer counts as 403 here.
func (h Health) AuthFailure() (status int, ok bool) {
	n := 0
	for _, e := range h {
		if !e.Failing() {
			continue
		}
		switch AuthStatus(e.Status, e.Err) {
		case 401:
			status = 401
		case 403:
			if status == 0 {
				status = 403
			}
		default:
			return 0, false
		}
		n++
	}
	return status, n > 0
}

// AuthStatus classifies a failed answer: 401 when the credentials were
// refused, 403 when they lack permission (a 403, or a 401 whose message
// says the user is not permitted), else 0.
func AuthStatus(status int, msg string) int {
	switch status {
	case 403:
		return 403
	case 401:
		l := strings.ToLower(msg)
		if strings.Contains(l, "not permitted") || strings.Contains(l, "insufficient permission") ||
			strings.Contains(l, "authorisationexception") || strings.Contains(l, "authorizationexception") {
			return 403
		}
		return 401
	}
	return 0
}

// AuthMessage says in words what an authentication failure status means.
func AuthMessage(status int) string {
	switch status {
	case 401:
		return "authentication failed (HTTP 401): the credentials are wrong or expired"
	case 403:
		return "permission denied (HTTP 403): the mirroring resources need an ADMIN or SYS_ADMIN user"
	}
	return ""
}

// Primary is what is known of the primary.
type Primary struct {
	URL           string
	Status        ServerStatus
	HasStatus     bool
	Version       string
	MirrorServers []MirrorServer
	Requests      []MirrorRequest
	Repos         []Repo
	ReposAt       time.Time
	HasRepos      bool
	// ReposCheckedAt is when a skipped fetch last found no change
	// signalled since ReposAt (zero when none was skipped since).
	ReposCheckedAt time.Time
	Endpoints      Health
	// CertExpiry is when its TLS certificate expires (zero over HTTP).
	CertExpiry time.Time
	// ClockOffset is its clock minus mirrortop's, from the Date header of
	// its latest answer (see State.ClockSkew), when HasClockOffset.
	ClockOffset    time.Duration
	HasClockOffset bool
}

// Farm is what is known of one mirror farm.
type Farm struct {
	Name string
	URL  string
	// Discovered is true for a farm found in the primary's mirror servers.
	Discovered bool
	// NodeURL is the node URL template its members are polled at, "" when
	// only the listed nodes are.
	NodeURL string
	// Refused are members /farmNodes lists whose name or host cannot be
	// put in NodeURL safely, with why (from the latest EPMembers reading).
	Refused []RefusedMember
	// Departed are the discovered nodes that left the farm's /farmNodes,
	// most recent last; a node that joins again is taken off.
	Departed []Departure
	// lbNode is true when the farm's only node is its own URL (no nodes
	// configured or discovered): the load balancer answers for some member.
	lbNode bool
	// CertExpiry is when the farm URL's TLS certificate expires.
	CertExpiry    time.Time
	Layout        Layout
	Upstream      UpstreamServer
	Progress      Progress
	HasProgress   bool
	ClusterNodes  []ClusterNode
	Settings      SyncSettings
	HasSettings   bool
	Queue         []QueueItem
	QueueDepth    int
	HasQueueDepth bool
	QueueHistory  *Ring
	Locks         []LockOwner
	Delayed       []DelayedRepo
	Nodes         []*Node
	Endpoints     Health

	// Diagnostics says whether the farm's nodes answer the out-of-sync
	// diagnostics resource (each node's list is Node.OutOfSync).
	Diagnostics Diagnostics

	// Mismatches are the farm's repositories that differ from the primary,
	// worst lag first. RepoStatus counts mirrored repositories by their worst
	// status across nodes. Both are recomputed when hashes or settings change.
	Mismatches []Mismatch
	RepoStatus map[string]int
	// UnknownHashes counts mirrored repositories that are not mismatched
	// but whose hashes are unknown somewhere, so cannot be called in sync.
	UnknownHashes int
	// MismatchGen changes whenever Mismatches does, so that views can skip
	// rebuilding what did not change.
	MismatchGen uint64
	// ProgressHistory holds synced-repository counts over time, for the
	// rate and ETA of an initial sync.
	ProgressHistory *Ring

	firstSeen map[seenKey]time.Time
	dirty     bool
	dirtyAt   time.Time
	queueGen  uint64 // changes with Queue and Locks
	computing bool   // a Recompute is out (ApplyDeferred .. Commit)
	restamp   bool   // the queue or the locks changed: queue times to stamp again
	lagStats  atomic.Pointer[lagCache]
}

// markDirty asks for the farm's mismatches to be recomputed at the end of
// the batch.
func (f *Farm) markDirty(at time.Time) {
	f.dirty = true
	if at.After(f.dirtyAt) {
		f.dirtyAt = at
	}
}

// Node is what is known of one mirror node.
type Node struct {
	Name      string
	URL       string
	Status    ServerStatus
	HasStatus bool
	Version   string
	DownSince time.Time
	Sync      []*RepoSyncStatus
	SyncAt    time.Time
	HasSync   bool
	// SyncCheckedAt is when a skipped fetch last found no change signalled
	// since SyncAt (zero when none was skipped since).
	SyncCheckedAt time.Time
	Endpoints     Health
	// CertExpiry is when the node's TLS certificate expires.
	CertExpiry time.Time
	// OutOfSync is the set of repository ids the node's diagnostics
	// report out of sync; nil when not known (see Farm.Diagnostics).
	OutOfSync map[string]bool
	// Discovered is true for a node found through node discovery.
	Discovered bool
	// ClockOffset is the node's clock minus mirrortop's, from the Date
	// header of its latest answer, when HasClockOffset.
	ClockOffset    time.Duration
	HasClockOffset bool
	// index maps repository ids to positions in Sync, built once per reading.
	index map[string]int32
	// counts caches RepoStatusCounts for the current Sync; swapped whole,
	// since readers of a shared state make it at once.
	counts atomic.Pointer[map[string]int]
}

// NodeDown is the state shown for a node whose /status cannot be read.
const NodeDown = "DOWN"

// NodeUnknown is the state shown before a node's first reading.
const NodeUnknown = "UNKNOWN"

// Up reports whether the node's latest /status reading succeeded.
func (n *Node) Up() bool {
	e := n.Endpoints[EPStatus]
	return e != nil && !e.LastOK.IsZero() && !e.Failing()
}

// State is the node's own state, DOWN when unreachable, UNKNOWN before any reading.
func (n *Node) State() string {
	e := n.Endpoints[EPStatus]
	switch {
	case e == nil:
		return NodeUnknown
	case e.Failing():
		return NodeDown
	case n.Status.State == "":
		return NodeUnknown
	default:
		return n.Status.State
	}
}

// Error is the node's status error, "" when it answers.
func (n *Node) Error() string {
	if e := n.Endpoints[EPStatus]; e.Failing() {
		return e.Err
	}
	return ""
}

// LastGood is when the node last answered /status.
func (n *Node) LastGood() time.Time {
	if e := n.Endpoints[EPStatus]; e != nil {
		return e.LastOK
	}
	return time.Time{}
}

// RepoStatusCounts counts the node's repositories by derived status. The
// counts are worked out once per reading (a node detail asks every second);
// the map is shared: do not change it.
func (n *Node) RepoStatusCounts() map[string]int {
	if c := n.counts.Load(); c != nil {
		return *c
	}
	c := map[string]int{}
	for i := range n.Sync {
		c[n.Sync[i].Status()]++
	}
	n.counts.Store(&c)
	return c
}

// State is everything mirrortop knows, folded from readings.
type State struct {
	Primary Primary
	Farms   []*Farm
	GitLab  []*GitLabInstance
	// GitLabHistory is every GitLab mirror's conflict history.
	GitLabHistory *GitLabHistory
}

// NewState returns an empty State tracking the targets of spec.
func NewState(spec Spec) *State {
	s := &State{Primary: Primary{URL: spec.PrimaryURL, Endpoints: Health{}}, GitLabHistory: NewGitLabHistory()}
	for _, fs := range spec.Farms {
		s.addFarm(fs)
	}
	for _, gs := range spec.GitLab {
		s.GitLab = append(s.GitLab, &GitLabInstance{Name: gs.Name, URL: gs.URL, Endpoints: Health{}, ProjectErrors: map[string]string{}})
	}
	return s
}

// addFarm starts tracking a farm; a farm of the same name is kept as it is.
func (s *State) addFarm(fs FarmSpec) {
	if s.Farm(fs.Name) != nil {
		return
	}
	f := &Farm{
		Name:            fs.Name,
		URL:             fs.URL,
		Discovered:      fs.Discovered,
		NodeURL:         fs.NodeURL,
		Endpoints:       Health{},
		QueueHistory:    NewRing(HistoryCapacity),
		ProgressHistory: NewRing(HistoryCapacity),
		RepoStatus:      map[string]int{},
		firstSeen:       map[seenKey]time.Time{},
	}
	nodes := fs.Nodes
	if len(nodes) == 0 && fs.NodeURL == "" {
		nodes = []NodeSpec{{Name: fs.Name, URL: fs.URL}}
	}
	f.lbNode = fs.NodeURL == "" && len(nodes) == 1 && sameURL(nodes[0].URL, fs.URL)
	for _, ns := range nodes {
		f.Nodes = append(f.Nodes, &Node{Name: ns.Name, URL: ns.URL, Discovered: ns.Discovered, Endpoints: Health{}})
	}
	s.Farms = append(s.Farms, f)
}

// Farm returns the farm named name, or nil.
func (s *State) Farm(name string) *Farm {
	for _, f := range s.Farms {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Node returns the named node of the farm, or nil.
func (f *Farm) Node(name string) *Node {
	for _, n := range f.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Apply folds one reading into the state (see ApplyBatch).
func (s *State) Apply(r Reading) { s.ApplyBatch([]Reading{r}) }

// ApplyBatch folds readings into the state, in order. Readings for unknown
// targets or with unexpected data are ignored; a failed reading only
// updates the endpoint's health, so the last good data stays on show.
// Mismatches of a farm that any reading touched are recomputed once, at the
// end of the batch.
func (s *State) ApplyBatch(rs []Reading) {
	for _, r := range s.ApplyDeferred(rs) {
		r.Run()
		s.Commit(r)
	}
}

// ApplyDeferred is ApplyBatch leaving the mismatches to recompute: it
// returns, for each farm that needs it, a Recompute prepared from the
// state's current inputs. Run them anywhere (they only read data the state
// never changes in place), then Commit them back; meanwhile the state shows
// the previous mismatches. A farm has one Recompute out at a time: one whose
// inputs change meanwhile stays dirty, and the next call after the Commit
// (with or without readings) prepares its next one.
func (s *State) ApplyDeferred(rs []Reading) []*Recompute {
	for _, r := range rs {
		s.apply(r)
	}
	var out []*Recompute
	for _, f := range s.Farms {
		if f.computing {
			continue
		}
		if f.dirty {
			if r := s.prepare(f, f.dirtyAt); r != nil {
				// A full computation stamps the queue times too.
				f.dirty, f.restamp, f.computing = false, false, true
				out = append(out, r)
				continue
			}
		}
		if f.restamp {
			f.restamp, f.computing = false, true
			out = append(out, &Recompute{f: f, restampOnly: true, queueGen: f.queueGen, gen: f.MismatchGen,
				base: f.Mismatches, queue: f.Queue, locks: f.Locks})
		}
	}
	return out
}

func (s *State) apply(r Reading) {
	if !r.CertExpiry.IsZero() {
		s.noteCert(r.Target, r.CertExpiry)
	}
	if r.HasClockOffset {
		s.noteClock(r.Target, r.ClockOffset)
	}
	if fs, ok := r.Data.(FarmSpec); ok && r.Endpoint == EPDiscovered && r.Err == nil {
		s.addFarm(fs)
		return
	}
	if d, ok := r.Data.(Membership); ok && r.Endpoint == EPMembers && r.Err == nil {
		if f := s.Farm(r.Target.Farm); f != nil && r.Target.Node == "" {
			f.Endpoints.record(r)
			f.applyMembership(d, r.At)
		}
		return
	}
	if r.Target.GitLab != "" {
		s.applyGitLab(r)
		return
	}
	if r.Target.IsPrimary() {
		s.applyPrimary(r)
		return
	}
	f := s.Farm(r.Target.Farm)
	if f == nil {
		return
	}
	if r.Target.Node == "" {
		s.applyFarm(f, r)
		return
	}
	n := f.Node(r.Target.Node)
	if n == nil {
		return
	}
	s.applyNode(f, n, r)
}

func (s *State) applyPrimary(r Reading) {
	p := &s.Primary
	p.Endpoints.record(r)
	if r.Err != nil || r.Unsupported {
		return
	}
	switch d := r.Data.(type) {
	case ServerStatus:
		p.Status, p.HasStatus = d, true
	case AppProperties:
		p.Version = d.Version
	case []MirrorServer:
		p.MirrorServers = d
	case []MirrorRequest:
		p.Requests = d
	case Unchanged:
		if r.Endpoint == EPRepos {
			p.ReposCheckedAt = r.At
		}
	case []Repo:
		if p.HasRepos && slices.Equal(p.Repos, d) {
			// The same list again (a full read the watch could not skip):
			// as an unchanged answer, it confirms the list and recomputes
			// nothing.
			p.ReposCheckedAt = r.At
			return
		}
		p.Repos, p.ReposAt, p.HasRepos, p.ReposCheckedAt = d, r.At, true, time.Time{}
		for _, f := range s.Farms {
			f.markDirty(r.At)
		}
	}
}

func (s *State) applyFarm(f *Farm, r Reading) {
	f.Endpoints.record(r)
	if r.Err != nil || r.Unsupported {
		return
	}
	switch d := r.Data.(type) {
	case UpstreamServer:
		f.Upstream = d
		if d.Layout != LayoutUnknown {
			f.Layout = d.Layout
		}
	case Progress:
		was := f.HasProgress && f.Progress.InitialSync()
		f.Progress, f.HasProgress = d, true
		f.ProgressHistory.Add(Sample{At: r.At, Value: d.SyncedRepos})
		if was != d.InitialSync() {
			f.markDirty(r.At)
		}
	case []ClusterNode:
		f.ClusterNodes = d
	case SyncSettings:
		same := f.HasSettings && f.Settings.Mode == d.Mode && slices.Equal(f.Settings.ProjectIDs, d.ProjectIDs)
		f.Settings, f.HasSettings = d, true
		if !same {
			f.markDirty(r.At)
		}
	case []QueueItem:
		f.Queue = d
		f.queueGen++
		f.restamp = true
	case int:
		f.QueueDepth, f.HasQueueDepth = d, true
		f.QueueHistory.Add(Sample{At: r.At, Value: d})
	case []LockOwner:
		f.Locks = d
		f.queueGen++
		f.restamp = true
	case []DelayedRepo:
		f.Delayed = d
	}
}

func (s *State) applyNode(f *Farm, n *Node, r Reading) {
	wasUp := n.Up()
	n.Endpoints.record(r)
	if r.Endpoint == EPStatus {
		switch {
		case r.Err != nil && (wasUp || n.DownSince.IsZero()):
			n.DownSince = r.At
		case r.Err == nil:
			n.DownSince = time.Time{}
		}
	}
	if r.Endpoint == EPOutOfSync && r.Unsupported && f.Diagnostics == DiagnosticsUnknown {
		f.Diagnostics = DiagnosticsUnsupported
	}
	if r.Err != nil || r.Unsupported {
		return
	}
	switch d := r.Data.(type) {
	case OutOfSyncRepos:
		n.OutOfSync, f.Diagnostics = d, DiagnosticsOn
	case Diagnostics:
		n.OutOfSync, f.Diagnostics = nil, d
	case ServerStatus:
		n.Status, n.HasStatus = d, true
	case AppProperties:
		n.Version = d.Version
	case Unchanged:
		if r.Endpoint == EPRepoSyncStatus {
			n.SyncCheckedAt = r.At
		}
	case []*RepoSyncStatus:
		// Entries unchanged since the last reading are the same pointers:
		// a list of only those changes nothing to compare.
		same := n.HasSync && slices.Equal(n.Sync, d)
		if !sameIDs(n.Sync, d) {
			n.index = s.shareIndex(d)
		}
		n.Sync, n.SyncAt, n.HasSync, n.SyncCheckedAt = d, r.At, true, time.Time{}
		n.counts.Store(nil)
		if !same {
			f.markDirty(r.At)
		}
	}
}

// shareIndex returns an index for a node's new sync list: another node's,
// when it lists the same repositories in the same order (nodes of one
// estate usually do), else a new one.
func (s *State) shareIndex(d []*RepoSyncStatus) map[string]int32 {
	for _, f := range s.Farms {
		for _, n := range f.Nodes {
			if n.index != nil && sameIDs(n.Sync, d) {
				return n.index
			}
		}
	}
	return indexSync(d)
}

// SyncOf returns the node's sync status of a repository, nil when the node
// does not list it (through the node's index: the detail view asks every
// second).
func (n *Node) SyncOf(repoID string) *RepoSyncStatus {
	if n.index != nil {
		if i, ok := n.index[repoID]; ok && int(i) < len(n.Sync) {
			return n.Sync[i]
		}
		return nil
	}
	for _, st := range n.Sync { // no index (not read through Apply)
		if st.ExternalRepoID == repoID {
			return st
		}
	}
	return nil
}

// noteCert records the certificate expiry seen on a target.
func (s *State) noteCert(t TargetID, at time.Time) {
	switch {
	case t.GitLab != "":
	case t.IsPrimary():
		s.Primary.CertExpiry = at
	case t.Node == "":
		if f := s.Farm(t.Farm); f != nil {
			f.CertExpiry = at
		}
	default:
		if f := s.Farm(t.Farm); f != nil {
			if n := f.Node(t.Node); n != nil {
				n.CertExpiry = at
			}
		}
	}
}

// FarmHealth summarises a farm: its state and how many nodes answer.
type FarmHealth struct {
	// State is mirrortop's judgement: DOWN, DEGRADED, SYNCING, UNKNOWN or
	// else ReportedState.
	State string
	// ReportedState is the least advanced state the polled nodes that
	// answer report themselves, as they spell it ("" when none answers).
	ReportedState string
	// NodesUp counts the polled nodes that answer.
	NodesUp int
	// NodesPolled counts the nodes polled at their own URL (or the farm's
	// URL standing for one).
	NodesPolled int
	// NodesTotal is the farm's membership: the largest of any node's
	// memberCount, the /farmNodes list and NodesPolled.
	NodesTotal  int
	InitialSync bool
}

// Farm states derived by mirrortop; node states are shown as the nodes report them.
const (
	FarmDown     = "DOWN"
	FarmDegraded = "DEGRADED"
	FarmSyncing  = "SYNCING"
	FarmUnknown  = "UNKNOWN"
)

// Health derives the farm's state: DOWN when no polled node answers,
// SYNCING during an initial sync, DEGRADED when some polled node is down
// (members that are not polled count neither way), otherwise the nodes'
// own state (the least advanced one when they differ).
func (f *Farm) Health() FarmHealth {
	h := FarmHealth{NodesPolled: len(f.Nodes)}
	seen, common, members := 0, "", len(f.ClusterNodes)
	for _, n := range f.Nodes {
		if n.Endpoints[EPStatus] != nil {
			seen++
		}
		if !n.Up() {
			continue
		}
		h.NodesUp++
		st := n.Status.State
		members = max(members, n.Status.MemberCount)
		if n.Status.HasProgress && n.Status.Progress.InitialSync() {
			h.InitialSync = true
		}
		if common == "" || stateRank(st) < stateRank(common) {
			common = st
		}
	}
	h.NodesTotal = max(members, h.NodesPolled)
	h.ReportedState = common
	if f.HasProgress && f.Progress.InitialSync() {
		h.InitialSync = true
	}
	switch {
	case seen == 0:
		h.State = FarmUnknown
	case h.NodesUp == 0:
		h.State = FarmDown
	case h.InitialSync:
		h.State = FarmSyncing
	case h.NodesUp < h.NodesPolled:
		h.State = FarmDegraded
	case common == "":
		h.State = FarmUnknown
	default:
		h.State = common
	}
	return h
}

// Label is the state for people: State, followed by what the nodes report
// when that differs, e.g. "SYNCING (nodes: METADATA_SYNCHRONIZED)". Both
// come from servers: sanitize before showing.
func (h FarmHealth) Label() string {
	if h.ReportedState == "" || h.ReportedState == h.State {
		return h.State
	}
	return h.State + " (nodes: " + h.ReportedState + ")"
}

// NodesLabel is the node count for people: "2/3" (up of all members) when
// every member is polled, else "1 of 3 polled", or "0/1 up of 3" when a
// polled node is down.
func (h FarmHealth) NodesLabel() string {
	switch {
	case h.NodesPolled >= h.NodesTotal:
		return strconv.Itoa(h.NodesUp) + "/" + strconv.Itoa(h.NodesTotal)
	case h.NodesUp == h.NodesPolled:
		return strconv.Itoa(h.NodesPolled) + " of " + strconv.Itoa(h.NodesTotal) + " polled"
	default:
		return strconv.Itoa(h.NodesUp) + "/" + strconv.Itoa(h.NodesPolled) + " up of " + strconv.Itoa(h.NodesTotal)
	}
}

// stateRank orders node states from least to most advanced; unknown states
// rank lowest so that they are never hidden behind a healthy one.
func stateRank(s string) int {
	switch strings.ToUpper(s) {
	case "SYNCHRONIZED", "RUNNING":
		return 3
	case "METADATA_SYNCHRONIZED":
		return 2
	case "BOOTSTRAPPED", "STARTING", "FIRST_RUN":
		return 1
	default:
		return 0
	}
}

// WorstLag is the largest observed lag among the farm's mismatches at now.
func (f *Farm) WorstLag(now time.Time) time.Duration {
	var worst time.Duration
	for i := range f.Mismatches {
		if l := f.Mismatches[i].Lag(now); l > worst {
			worst = l
		}
	}
	return worst
}

// seenKey names a mismatch across rounds: a repository and a kind.
type seenKey struct {
	repo string
	kind MismatchKind
}

// Recompute brings one farm's mismatches up to date: prepared in the
// state's goroutine, Run anywhere, committed back.
type Recompute struct {
	f        *Farm
	queueGen uint64 // f.queueGen when prepared
	// restampOnly: the queue or the locks changed, not the lists the
	// mismatches come from; the farm's mismatches (base, of generation
	// gen) get their queue times again, and are sorted again, off the
	// state's goroutine (100 000 of them take tens of milliseconds).
	restampOnly bool
	gen         uint64
	base        []Mismatch
	unchanged   bool
	primary     []Repo
	settings    *SyncSettings
	nodes       []NodeSync
	initialSync bool
	prevSeen    map[seenKey]time.Time
	queue       []QueueItem
	locks       []LockOwner
	now         time.Time
	capHint     int

	ran        bool
	mismatches []Mismatch
	seen       map[seenKey]time.Time
	repoStatus map[string]int
	unknown    int
}

// Farm names the farm the work is for.
func (r *Recompute) Farm() string { return r.f.Name }

// prepare snapshots a farm's inputs: slices and maps the state replaces
// whole and never writes to.
func (s *State) prepare(f *Farm, now time.Time) *Recompute {
	if !s.Primary.HasRepos {
		return nil
	}
	r := &Recompute{f: f, queueGen: f.queueGen, primary: s.Primary.Repos,
		initialSync: f.HasProgress && f.Progress.InitialSync(), prevSeen: f.firstSeen,
		queue: f.Queue, locks: f.Locks, now: now, capHint: len(f.Mismatches)}
	if f.HasSettings {
		st := f.Settings
		r.settings = &st
	}
	r.nodes = make([]NodeSync, 0, len(f.Nodes))
	for _, n := range f.Nodes {
		if n.HasSync {
			r.nodes = append(r.nodes, NodeSync{Name: n.Name, Statuses: n.Sync, index: n.index})
		}
	}
	return r
}

// Run computes the farm's mismatches, keeping first-seen times of those
// that persist, stamped with queue times and sorted worst first. It reads
// only what prepare took and may run on any goroutine, once.
func (r *Recompute) Run() {
	if r.ran {
		return
	}
	r.ran = true
	if r.restampOnly {
		queued := queueTimes(r.queue, r.locks)
		if !slices.ContainsFunc(r.base, func(m Mismatch) bool { return !queued[m.RepoID].Equal(m.QueuedAt) }) {
			r.unchanged = true
			return
		}
		ms := slices.Clone(r.base)
		for i := range ms {
			ms[i].QueuedAt = queued[ms[i].RepoID]
		}
		SortWorstFirst(ms)
		r.mismatches = ms
		return
	}
	res := diff(r.primary, r.settings, r.nodes, r.initialSync, r.capHint)
	seen := make(map[seenKey]time.Time, len(res.Mismatches))
	for i := range res.Mismatches {
		m := &res.Mismatches[i]
		m.Farm = r.f.Name
		key := seenKey{m.RepoID, m.Kind}
		first, ok := r.prevSeen[key]
		if !ok {
			first = r.now
		}
		m.FirstSeen = first
		seen[key] = first
	}
	stampQueueTimes(res.Mismatches, r.queue, r.locks)
	SortWorstFirst(res.Mismatches)
	r.mismatches, r.seen, r.repoStatus, r.unknown = res.Mismatches, seen, res.RepoStatus, res.Unknown
}

// Commit installs a run Recompute and reports whether it did. One whose
// farm's inputs changed while it ran is still newer than what is shown, so
// it is installed too; the farm stays dirty for the next one. (Dropping it
// would let a farm whose readings change faster than a diff takes never
// show anything new.) s may be the state r was prepared on or a later
// copy of it (Clone): r goes to the farm of its name, farms being never
// removed.
func (s *State) Commit(r *Recompute) bool {
	f := s.Farm(r.f.Name)
	if !r.ran || f == nil {
		return false
	}
	f.computing = false
	if f.queueGen != r.queueGen {
		f.restamp = true // the queue moved on while it ran
	}
	if r.restampOnly {
		if r.unchanged || f.MismatchGen != r.gen {
			return false
		}
		f.Mismatches = r.mismatches
		f.MismatchGen++
		return true
	}
	f.firstSeen = r.seen
	f.Mismatches, f.RepoStatus, f.UnknownHashes = r.mismatches, r.repoStatus, r.unknown
	f.MismatchGen++
	return true
}

// stampQueueTimes sets each mismatch's QueuedAt from the queue items and
// sync locks, reporting whether any changed.
func stampQueueTimes(ms []Mismatch, queue []QueueItem, locks []LockOwner) bool {
	queued := queueTimes(queue, locks)
	changed := false
	for i := range ms {
		at := queued[ms[i].RepoID]
		changed = changed || !at.Equal(ms[i].QueuedAt)
		ms[i].QueuedAt = at
	}
	return changed
}

// queueTimes is, per repository, when the farm took in its change: its
// earliest queue item or sync lock.
func queueTimes(queue []QueueItem, locks []LockOwner) map[string]time.Time {
	queued := make(map[string]time.Time, len(queue)+len(locks))
	note := func(id string, at time.Time) {
		if t, ok := queued[id]; !at.IsZero() && (!ok || at.Before(t)) {
			queued[id] = at
		}
	}
	for _, q := range queue {
		note(q.ExternalRepoID, q.CreatedAt)
	}
	for _, l := range locks {
		note(l.ExternalRepoID, l.AcquiredAt)
	}
	return queued
}

// RateWindow is how far back SyncRate looks.
const RateWindow = 2 * time.Minute

// SyncRate estimates an initial sync's pace from the progress history over
// the last RateWindow: repositories per second, and the time left at that
// pace. ok is false when there is no sync under way or too little history.
func (f *Farm) SyncRate() (perSecond float64, eta time.Duration, ok bool) {
	if !f.HasProgress || !f.Progress.InitialSync() || f.Progress.TotalRepos == 0 {
		return 0, 0, false
	}
	samples := f.ProgressHistory.Samples()
	if len(samples) < 2 {
		return 0, 0, false
	}
	last := samples[len(samples)-1]
	first := last
	for i := len(samples) - 1; i >= 0 && last.At.Sub(samples[i].At) <= RateWindow; i-- {
		first = samples[i]
	}
	span := last.At.Sub(first.At).Seconds()
	if span <= 0 || last.Value <= first.Value {
		return 0, 0, false
	}
	perSecond = float64(last.Value-first.Value) / span
	left := f.Progress.TotalRepos - f.Progress.SyncedRepos
	return perSecond, time.Duration(float64(left) / perSecond * float64(time.Second)), true
}
