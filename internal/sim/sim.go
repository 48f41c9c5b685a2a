package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Layout selects which mirror-side REST layout the nodes of a farm serve.
type Layout string

const (
	// Layout9 is the Bitbucket 9.x mirror layout: /upstreamServer,
	// /progress, /farmNodes, /mirrorRepos/{id}, /syncSettings and the
	// repo-lock-owners and delayed-sync support endpoints.
	Layout9 Layout = "9.x"
	// Layout8 is the Bitbucket 8.x (and older) mirror layout, where every
	// mirror-side resource hangs off /upstreamServers/{upstreamId}.
	Layout8 Layout = "8.x"
)

// FarmSpec describes one simulated mirror farm.
type FarmSpec struct {
	// Name of the farm; it is also the fault and request-log target of the
	// farm's load balancer, and the prefix of its node names ("eu-1").
	Name string
	// Layout is the REST layout the farm's nodes serve (default Layout9).
	Layout Layout
	// Nodes is the number of mirror nodes in the farm (default 1).
	Nodes int
	// Version is the Bitbucket version the farm reports, e.g. "9.6.2" or
	// "8.19.9" (default "9.6.2" for Layout9 and "8.19.9" for Layout8).
	Version string
	// AllProjects selects mode ALL_PROJECTS; otherwise the farm runs in
	// SELECTED_PROJECTS mode and mirrors only ProjectKeys.
	AllProjects bool
	// ProjectKeys lists the keys of the mirrored projects when AllProjects
	// is false. Keys that do not exist on the primary are ignored.
	ProjectKeys []string
	// Workers is the fixed size of the farm's pool of sync workers
	// (default 2).
	Workers int
	// InitialSync makes the farm start empty and perform its initial sync.
	InitialSync bool
	// Diagnostics plays plugin.mirroring.repository.diagnostics.sync.enabled
	// on the farm's 9.x nodes: on, supportInfo/out-of-sync-repos/content
	// lists the repositories out of sync on the node; off (the default, as
	// on Bitbucket), it answers 409 with a RestErrors body.
	Diagnostics bool
	// DiscoverNodes makes ConfigTOML give the farm a node_url template
	// through its load balancer's /node/{name} paths instead of listing its
	// nodes, so that mirrortop finds them in /farmNodes.
	DiscoverNodes bool
}

// Options configures a simulator. The zero value is usable: every zero field
// takes its documented default.
type Options struct {
	// Repos is the number of repositories on the primary (default 60).
	Repos int
	// Projects is the number of projects on the primary (default 6). The
	// keys are PLAT, WEB, DATA, OPS, MOB, SEC, then P7, P8 and so on.
	Projects int
	// Farms lists the mirror farms (default DefaultFarms()).
	Farms []FarmSpec
	// Seed makes every random choice deterministic.
	Seed uint64
	// Manual selects a manual clock that only moves through Advance.
	// Otherwise a goroutine advances the clock with real time every 200ms.
	Manual bool
	// Start is the simulated time at start (default: now in UTC, truncated
	// to the second).
	Start time.Time
	// PushEvery is the mean interval between pushes to random primary
	// repositories (default 5s when zero; negative disables random pushes).
	PushEvery time.Duration
	// SyncTime is the mean time one node takes to sync one repository
	// (default 1.5s).
	SyncTime time.Duration
	// FailRate is the probability that one node sync fails (default 0.05
	// when zero; negative means never).
	FailRate float64
	// MaxAttempts is the number of queue attempts before an item is
	// dropped (default 3).
	MaxAttempts int
	// SyncInterval is the interval of each farm's scheduled full sync
	// (default 3m).
	SyncInterval time.Duration
	// MaxPageSize is the server-side cap on the limit query parameter
	// (default 1000).
	MaxPageSize int
	// User and Password, when User is set, make HTTP Basic authentication
	// required on every /rest/ path.
	User, Password string
	// Token, when set, makes "Authorization: Bearer <token>" accepted on
	// every /rest/ path. When both User and Token are set either works.
	Token string
	// UserToken, when set with User or Token, is a bearer token that
	// authenticates a user without ADMIN permission: the mirroring
	// resources (/rest/mirroring/...) answer it 401 with an
	// AuthorisationException ("You are not permitted to access this
	// resource"), as Bitbucket does, while /status and the other /rest/
	// resources answer.
	UserToken string
	// NoSSH makes the primary report SSH access for Git as disabled
	// (GET /rest/ssh/latest/settings answers "enabled": false).
	NoSSH bool
	// StuckRepos is the number of repositories that always fail to sync on
	// the last node of the first farm, so they stay mismatched there. With
	// GitRepos, the stuck repositories are picked among the git-backed ones
	// first.
	StuckRepos int
	// GitRepos is the number of primary repositories (ids 1 to GitRepos)
	// backed by real bare git repositories, served read-only over git's
	// smart HTTP protocol under /scm/ by the primary and by every node that
	// mirrors them (default 0: none). When authentication is configured,
	// /scm/ requires it too. The repositories live in a temporary directory
	// that Close removes. Start fails when the git command is missing.
	GitRepos int
	// GitLab, when set, adds a simulated GitLab instance with push and pull
	// mirrors on its own server (fault and request-log target "gitlab");
	// see GitLabOptions. Nil means no GitLab server. A negative PushEvery
	// also stops its random pushes.
	GitLab *GitLabOptions
	// Hostile starts the simulator in hostile mode (see Sim.SetHostile):
	// every server-provided display string carries terminal control
	// sequences and other hostile text (see HostileSamples), while the
	// JSON stays valid and ids and URLs stay intact. On Bitbucket these
	// are repository slugs and names, project keys and names (also in
	// repo-hashes, repoSyncStatus and delayed-sync), mirror names in
	// mirrorServers, mirroring requests and mirrorRepos, and RestErrors
	// messages; on GitLab, project and group names, project paths and
	// paths with namespace, last_error and import_error texts, and error
	// messages. Lookups by project key, repository slug or GitLab project
	// path also accept the hostile forms, so a client can use them.
	Hostile bool
	// TLS, when set, serves every server but the control server over HTTPS
	// with a throwaway certificate authority made at Start: TLSValid,
	// TLSExpired, TLSWrongName or TLSUnknownCA. "" serves plain HTTP.
	TLS string
	// CertDays is how many days the server certificate is valid from Start
	// with TLS (default 30), so that a client can warn about its expiry.
	CertDays int
}

// FarmInfo describes a running simulated farm.
type FarmInfo struct {
	// Name is the farm name.
	Name string
	// Layout is the REST layout served by the farm's nodes.
	Layout Layout
	// URL is the base URL of the farm's load balancer.
	URL string
	// UpstreamID is the id under which the farm knows the primary.
	UpstreamID string
	// Nodes lists the farm's nodes in order.
	Nodes []NodeInfo
}

// NodeInfo describes one node of a running simulated farm.
type NodeInfo struct {
	// Name is the node name, e.g. "eu-1".
	Name string
	// ID is the node's uuid as reported by farmNodes.
	ID string
	// URL is the base URL of the node's own HTTP server.
	URL string
	// Down reports whether the node is currently down.
	Down bool
	// Left reports whether the node has left the farm's cluster (see
	// SetMember).
	Left bool
}

// Fault describes an injected failure for requests matching a target and a
// path prefix (see Sim.SetFault). The kinds combine in this order: Delay
// first; then Reset or Hang end the request; otherwise Retry-After is set,
// Hostile applies, and Size, Body or Status (in that order of precedence)
// replace the answer, which is served normally when none of them is set.
type Fault struct {
	// Status, when non-zero, makes the server answer with this status and a
	// RestErrors JSON body instead of serving the request.
	Status int
	// RetryAfter, when positive, sets the Retry-After header (in whole
	// seconds, rounded up).
	RetryAfter time.Duration
	// Delay makes the server wait this long (real time) before answering;
	// the wait ends early when the request is cancelled.
	Delay time.Duration
	// Body, when non-empty, is sent verbatim instead of serving the request,
	// with Status (or 200 when Status is zero).
	Body string
	// ContentType is the Content-Type of a Body or Size answer (default
	// the JSON type of the server), e.g. "text/html" for an HTML error page.
	ContentType string
	// Size, when positive, makes the server answer (with Status, or 200)
	// an enormous body of exactly this many bytes, streamed in chunks and
	// never held in memory: a JSON array that starts validly,
	// [{"id":1,…},{"id":2,…},…, and repeats items, so it never ends
	// validly. Writing stops as soon as the client goes away. The answer
	// has no Content-Length.
	Size int64
	// Hang makes the server accept the request and never answer, until the
	// client gives up or the simulator closes (Delay covers a slow answer).
	// The request is logged with status 499.
	Hang bool
	// Reset makes the server take over the connection and close it
	// (resetting it) without answering: the client sees an EOF or a
	// connection reset. The request is logged with status 0.
	Reset bool
	// Hostile makes the server serve the answer with every display string
	// in its hostile form (see Options.Hostile).
	Hostile bool
	// Down is no fault but the down kind of ParseFault: SetFault takes the
	// target down with SetTargetDown instead, ignoring the path and every
	// other field.
	Down bool
	// Skew, when non-zero, is no fault but the skew kind of ParseFault:
	// SetFault sets the target's clock skew with SetClockSkew instead,
	// ignoring the path and every other field but Down.
	Skew time.Duration
	// Times limits the fault to the next Times matching requests; zero
	// keeps it until ClearFaults.
	Times int
}

// Request is one entry of the simulator's request log.
type Request struct {
	// Target is "primary", a farm name (its load balancer), "farm/node" or
	// "gitlab".
	Target string
	// Method is the HTTP method.
	Method string
	// Path is the URL path.
	Path string
	// RawQuery is the raw URL query.
	RawQuery string
	// Status is the HTTP status sent back: 499 for a request the client
	// gave up on before it was answered, 0 for a connection closed without
	// an answer (a Reset fault).
	Status int
	// Time is the simulated time at which the request arrived.
	Time time.Time
	// Body is the start (at most 8 KiB) of the body of a request other
	// than GET or HEAD, as the server read it.
	Body string
}

// Sim is a running simulator. All methods are safe for concurrent use.
type Sim struct {
	opts Options

	mu      sync.RWMutex
	rng     *rand.Rand
	now     int64 // simulated clock, Unix nanoseconds
	startNs int64
	events  eventQueue
	seq     uint64
	jobSeq  uint64

	projects   []*project
	repos      []repo                          // indexed by repo id; index 0 unused
	hashes     [2][]atomic.Pointer[cachedHash] // last hex digest made per repo id, content and metadata
	pContent   []uint32                        // primary content version per repo id
	pMeta      []uint32                        // primary metadata version per repo id
	farms      []*farm
	farmByName map[string]*farm
	stuck      []bool // per repo id: always fails on stuckNode
	stuckNode  *node
	requests   []mirroringRequest
	nextReq    int // id of the next mirroring request

	git *gitStore // nil unless Options.GitRepos > 0
	gl  *gitLab   // nil unless Options.GitLab is set

	primary *server

	// real-time clock (when !opts.Manual)
	realBase time.Time
	offset   int64

	logMu   sync.Mutex
	log     []Request
	logNext int
	counts  map[string]map[string]int

	faultMu sync.Mutex
	faults  []*faultEntry
	skews   map[string]time.Duration // per target: its clock minus the sim's

	hostile atomic.Bool
	tls     *simTLS // nil unless Options.TLS is set
	control *server

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// DefaultFarms returns the farms used when Options.Farms is empty: "eu"
// (9.x, 3 nodes, version 9.6.2, all projects, diagnostics on) and "us" (8.x, 2 nodes,
// version 8.19.9, the projects PLAT, WEB and DATA).
func DefaultFarms() []FarmSpec {
	return []FarmSpec{
		{Name: "eu", Layout: Layout9, Nodes: 3, Version: "9.6.2", AllProjects: true, Workers: 2, Diagnostics: true},
		{Name: "us", Layout: Layout8, Nodes: 2, Version: "8.19.9", ProjectKeys: []string{"PLAT", "WEB", "DATA"}, Workers: 2},
	}
}

func normalize(o Options) (Options, error) {
	if o.Repos <= 0 {
		o.Repos = 60
	}
	if o.Projects <= 0 {
		o.Projects = 6
	}
	if len(o.Farms) == 0 {
		o.Farms = DefaultFarms()
	}
	farms := make([]FarmSpec, len(o.Farms))
	seen := map[string]bool{}
	for i, f := range o.Farms {
		if f.Name == "" || strings.ContainsAny(f.Name, "/ \t\"") {
			return o, fmt.Errorf("sim: invalid farm name %q", f.Name)
		}
		if seen[f.Name] || f.Name == "primary" || (o.GitLab != nil && f.Name == glTarget) {
			return o, fmt.Errorf("sim: duplicate or reserved farm name %q", f.Name)
		}
		seen[f.Name] = true
		switch f.Layout {
		case "":
			f.Layout = Layout9
		case Layout9, Layout8:
		default:
			return o, fmt.Errorf("sim: farm %q: unknown layout %q", f.Name, f.Layout)
		}
		if f.Nodes <= 0 {
			f.Nodes = 1
		}
		if f.Version == "" {
			if f.Layout == Layout8 {
				f.Version = "8.19.9"
			} else {
				f.Version = "9.6.2"
			}
		}
		if f.Workers <= 0 {
			f.Workers = 2
		}
		f.ProjectKeys = append([]string(nil), f.ProjectKeys...)
		farms[i] = f
	}
	o.Farms = farms
	if o.Start.IsZero() {
		o.Start = time.Now().UTC().Truncate(time.Second)
	}
	o.Start = o.Start.UTC()
	if o.PushEvery == 0 {
		o.PushEvery = 5 * time.Second
	}
	if o.SyncTime <= 0 {
		o.SyncTime = 1500 * time.Millisecond
	}
	switch {
	case o.FailRate == 0:
		o.FailRate = 0.05
	case o.FailRate < 0:
		o.FailRate = 0
	case o.FailRate > 1:
		o.FailRate = 1
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = 3 * time.Minute
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = 1000
	}
	if o.StuckRepos < 0 {
		o.StuckRepos = 0
	}
	o.GitRepos = max(0, min(o.GitRepos, o.Repos))
	switch o.TLS {
	case "", TLSValid, TLSExpired, TLSWrongName, TLSUnknownCA:
	default:
		return o, fmt.Errorf("sim: unknown TLS mode %q (want %s, %s, %s or %s)", o.TLS, TLSValid, TLSExpired, TLSWrongName, TLSUnknownCA)
	}
	if o.CertDays <= 0 {
		o.CertDays = defaultCertDays
	}
	if o.CertDays > maxCertDays {
		return o, fmt.Errorf("sim: CertDays %d is more than %d", o.CertDays, maxCertDays)
	}
	if o.GitLab != nil {
		g, err := normalizeGitLab(o.GitLab)
		if err != nil {
			return o, err
		}
		o.GitLab = g
	}
	return o, nil
}

// Start builds the simulated primary and farms and starts every server on
// 127.0.0.1 with a free port. Call Close to stop them.
func Start(opts Options) (*Sim, error) {
	o, err := normalize(opts)
	if err != nil {
		return nil, err
	}
	s := &Sim{
		opts:    o,
		rng:     rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)),
		now:     o.Start.UnixNano(),
		startNs: o.Start.UnixNano(),
		counts:  map[string]map[string]int{},
		done:    make(chan struct{}),
	}
	s.hostile.Store(o.Hostile)
	s.build()
	if o.TLS != "" {
		if s.tls, err = newSimTLS(o.TLS, o.CertDays); err != nil {
			s.Close()
			return nil, err
		}
	}
	if o.GitLab != nil {
		s.gl = s.newGitLab(o.GitLab)
	}
	if o.GitRepos > 0 {
		if s.git, err = s.setupGit(); err != nil {
			s.Close()
			return nil, err
		}
	}

	s.primary = s.newServer("primary", http.HandlerFunc(s.servePrimary))
	if err := s.primary.listen(); err != nil {
		s.Close()
		return nil, err
	}
	for _, f := range s.farms {
		for _, n := range f.nodes {
			n.srv = s.newServer(f.name+"/"+n.name, n)
			if err := n.srv.listen(); err != nil {
				s.Close()
				return nil, err
			}
		}
		f.lb = s.newServer(f.name, f)
		if err := f.lb.listen(); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.gl != nil {
		s.gl.srv = s.newServer(glTarget, http.HandlerFunc(s.serveGitLab))
		s.gl.srv.guard = s.glGuard
		s.gl.srv.errBody = glFaultBody
		s.gl.srv.contentType = contentTypeGL
		if err := s.gl.srv.listen(); err != nil {
			s.Close()
			return nil, err
		}
	}

	s.control = s.newControl()
	if err := s.control.listen(); err != nil {
		s.Close()
		return nil, err
	}

	s.mu.Lock()
	s.initDynamics()
	s.mu.Unlock()
	s.settle()

	if !o.Manual {
		s.realBase = time.Now()
		s.wg.Add(1)
		go s.ticker()
	}
	return s, nil
}

func (s *Sim) ticker() {
	defer s.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			s.advanceTo(s.startNs + s.offset + int64(time.Since(s.realBase)))
			s.mu.Unlock()
		}
	}
}

// Close stops every server and the clock goroutine and waits for them. It
// removes the git repositories and the CA file, if any.
func (s *Sim) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.git != nil {
			s.git.close()
		}
		if s.primary != nil {
			s.primary.stop()
		}
		if s.gl != nil && s.gl.srv != nil {
			s.gl.srv.stop()
		}
		if s.control != nil {
			s.control.stop()
		}
		s.mu.RLock()
		farms := slices.Clone(s.farms)
		s.mu.RUnlock()
		for _, f := range farms {
			for _, n := range f.nodes {
				if n.srv != nil {
					n.srv.stop()
				}
			}
			if f.lb != nil {
				f.lb.stop()
			}
		}
	})
	s.wg.Wait()
	if s.git != nil {
		s.git.remove()
	}
	if s.tls != nil {
		s.tls.remove()
	}
}

// Now returns the simulated time.
func (s *Sim) Now() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return time.Unix(0, s.now).UTC()
}

// Advance moves the simulated clock forward by d, processing every event
// due up to the new time in time order. With a real-time clock it also
// shifts the clock forward by d for good. With a manual clock it returns
// once the git work those events started (see Options.GitRepos) is done.
func (s *Sim) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	s.mu.Lock()
	if !s.opts.Manual {
		s.offset += int64(d)
	}
	s.advanceTo(s.now + int64(d))
	s.mu.Unlock()
	s.settle()
}

// PrimaryURL returns the base URL of the simulated primary.
func (s *Sim) PrimaryURL() string { return s.primary.url() }

// Farms describes the simulated farms in order.
func (s *Sim) Farms() []FarmInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]FarmInfo, 0, len(s.farms))
	for _, f := range s.farms {
		fi := FarmInfo{Name: f.name, Layout: f.spec.Layout, URL: f.lb.url(), UpstreamID: f.upstreamID}
		for _, n := range f.nodes {
			fi.Nodes = append(fi.Nodes, NodeInfo{Name: n.name, ID: n.id, URL: n.srv.url(), Down: n.down, Left: n.left})
		}
		out = append(out, fi)
	}
	return out
}

// Push records a push to primary repository repoID now: its content hash
// changes and every farm mirroring it gets an INCREMENTAL queue item. On a
// git-backed repository it also makes a real commit on the primary (with a
// manual clock, Push returns once it is there). Unknown ids are ignored.
func (s *Sim) Push(repoID int) {
	s.mu.Lock()
	if s.validRepo(repoID) {
		s.change(repoID, true)
	}
	s.mu.Unlock()
	s.settle()
}

// Rename records a metadata change to primary repository repoID now: its
// metadata hash changes and it is enqueued like a push. Unknown ids are
// ignored.
func (s *Sim) Rename(repoID int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.validRepo(repoID) {
		s.change(repoID, false)
	}
}

// nodeByName returns a farm and its node by name; the node is nil when
// either is unknown. The caller holds s.mu.
func (s *Sim) nodeByName(farmName, nodeName string) (*farm, *node) {
	f := s.farmByName[farmName]
	if f == nil {
		return nil, nil
	}
	for _, n := range f.nodes {
		if n.name == nodeName {
			return f, n
		}
	}
	return f, nil
}

// SetNodeDown takes a node down (its HTTP server stops listening, so
// connections are refused) or brings it back up on the same port. A node
// that comes back gets SNAPSHOT queue items for every repository it misses.
func (s *Sim) SetNodeDown(farmName, nodeName string, down bool) error {
	s.mu.Lock()
	f, n := s.nodeByName(farmName, nodeName)
	if n == nil {
		s.mu.Unlock()
		return fmt.Errorf("sim: no node %q in farm %q", nodeName, farmName)
	}
	if n.down == down {
		s.mu.Unlock()
		return nil
	}
	if down {
		n.down = true
		if f.upNodes() == 0 {
			f.lastSeen = s.now
		}
		s.checkComplete(f)
		s.mu.Unlock()
		n.srv.stop()
		return nil
	}
	s.mu.Unlock()
	if err := n.srv.listen(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n.down = false
	s.catchUp(n)
	return nil
}

// SetMember makes a node leave its farm's cluster (member false) or join
// it again: a node that left is not in /farmNodes, not counted in
// memberCount and not picked by the load balancer, though its own server
// still answers.
func (s *Sim) SetMember(farmName, nodeName string, member bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, n := s.nodeByName(farmName, nodeName)
	if n == nil {
		return fmt.Errorf("sim: %w %q", errNoTarget, farmName+"/"+nodeName)
	}
	n.left = !member
	return nil
}

// NodeBaseURL returns a node's base URL through its farm's load balancer
// (the /node/{name} path), "" for an unknown node.
func (s *Sim) NodeBaseURL(farmName, nodeName string) string {
	s.mu.RLock()
	f, n := s.nodeByName(farmName, nodeName)
	s.mu.RUnlock()
	if n == nil {
		return ""
	}
	return f.lb.url() + nodePathPrefix + n.name
}

// SetFault injects a fault for requests whose target is target ("primary",
// a farm name for its load balancer, "farm/node", "gitlab", or "" for
// every server) and whose URL path starts with pathPrefix ("" matches
// every path). Faults apply after authentication (on the GitLab server,
// after its rate limit too). A fault set again for the same target and
// prefix replaces the previous one; the most recently set matching fault
// wins. A node's faults also apply to requests its load balancer forwards.
// On the GitLab server, a Status fault answers with a {"message": …} body.
// A fault with Down set takes the target down instead (see Fault.Down and
// SetTargetDown, whose error it returns), one with Skew set skews its
// clock (SetClockSkew); other faults return nil.
func (s *Sim) SetFault(target, pathPrefix string, f Fault) error {
	if f.Down {
		return s.SetTargetDown(target, true)
	}
	if f.Skew != 0 {
		return s.SetClockSkew(target, f.Skew)
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	e := &faultEntry{target: target, prefix: pathPrefix, f: f, left: f.Times}
	for i, old := range s.faults {
		if old.target == target && old.prefix == pathPrefix {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			break
		}
	}
	s.faults = append(s.faults, e)
	return nil
}

// ClearFaults removes every injected fault and clock skew.
func (s *Sim) ClearFaults() {
	s.faultMu.Lock()
	s.faults = nil
	s.skews = nil
	s.faultMu.Unlock()
}

// SetClockSkew sets the clock of a target ("primary", a farm name for its
// load balancer, "farm/node" or "gitlab") d ahead of the simulated clock
// (behind when negative; zero puts it back): the Date header of its
// answers says so. Every server's Date header follows the simulated clock
// (Now), not the real one; a node's answer forwarded by its load balancer
// carries the node's Date.
func (s *Sim) SetClockSkew(target string, d time.Duration) error {
	if target == "" || !s.knownTarget(target) {
		return fmt.Errorf("sim: %w %q", errNoTarget, target)
	}
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	if d == 0 {
		delete(s.skews, target)
		return nil
	}
	if s.skews == nil {
		s.skews = map[string]time.Duration{}
	}
	s.skews[target] = d
	return nil
}

// clockSkew is the target's clock skew.
func (s *Sim) clockSkew(target string) time.Duration {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.skews[target]
}

// RequestCounts returns how many requests each target ("primary", a farm
// name, "farm/node", "gitlab") received per URL path since the start.
func (s *Sim) RequestCounts() map[string]map[string]int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make(map[string]map[string]int, len(s.counts))
	for t, paths := range s.counts {
		m := make(map[string]int, len(paths))
		for p, c := range paths {
			m[p] = c
		}
		out[t] = m
	}
	return out
}

// RequestCount returns how many requests that passed authentication the
// target received on paths starting with pathPrefix. An empty target counts
// every server; a request forwarded by a load balancer counts once for the
// load balancer and once for the node that answered it.
func (s *Sim) RequestCount(target, pathPrefix string) int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	total := 0
	for t, paths := range s.counts {
		if target != "" && t != target {
			continue
		}
		for p, c := range paths {
			if strings.HasPrefix(p, pathPrefix) {
				total += c
			}
		}
	}
	return total
}

// Requests returns the last 10 000 requests received by any server, oldest
// first, including rejected ones.
func (s *Sim) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if len(s.log) < requestLogSize {
		return append([]Request(nil), s.log...)
	}
	out := make([]Request, 0, len(s.log))
	out = append(out, s.log[s.logNext:]...)
	return append(out, s.log[:s.logNext]...)
}

// QueueDepth returns the number of items waiting (not in progress) in the
// farm's ref-changes queue, or 0 for an unknown farm.
func (s *Sim) QueueDepth(farmName string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if f := s.farmByName[farmName]; f != nil {
		return f.queue.Len()
	}
	return 0
}

// PrimaryHashes returns the primary's content and metadata hash of a
// repository, or empty strings for an unknown id.
func (s *Sim) PrimaryHashes(repoID int) (content, metadata string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.validRepo(repoID) {
		return "", ""
	}
	return contentHash(repoID, s.pContent[repoID]), metadataHash(repoID, s.pMeta[repoID])
}

// NodeHashes returns a node's content and metadata hash of a repository; ok
// is false when the repository is not present on that node (or the farm,
// node or repository is unknown).
func (s *Sim) NodeHashes(farmName, nodeName string, repoID int) (content, metadata string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := s.farmByName[farmName]
	if f == nil || !s.validRepo(repoID) {
		return "", "", false
	}
	for _, n := range f.nodes {
		if n.name != nodeName {
			continue
		}
		nr := &n.repos[repoID]
		if !nr.present {
			return "", "", false
		}
		return contentHash(repoID, nr.content), metadataHash(repoID, nr.meta), true
	}
	return "", "", false
}

func (s *Sim) validRepo(id int) bool { return id >= 1 && id < len(s.repos) }

var errClosed = errors.New("sim: closed")
