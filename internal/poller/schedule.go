package poller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
)

// Options tune a Poller beyond the configuration.
type Options struct {
	// UserAgent is sent with every request ("mirrortop/<version>").
	UserAgent string
	// Now is the clock readings are stamped with (default time.Now).
	Now func() time.Time
}

// GCPercent is the garbage collector's target that mirrortop runs with
// unless GOGC is set. Its heap is mostly the big lists it keeps between
// polls (at 100 000 repositories and 9 nodes, ~120 MB that stays); the
// default of 100 would let that much garbage pile up again before a
// collection, for a peak near twice the live heap. At 50 the collector
// runs about once every three hash cycles instead of every five.
const GCPercent = 50

// Poller runs every fetch of every configured target on its interval.
type Poller struct {
	fetches     fetchCounts
	cfg         *config.Config
	opts        Options
	spec        model.Spec
	primary     *Client
	primaryAuth Auth
	limiter     *hostLimiter
	strs        *strPool // strings shared by the clients' big lists
	watch       *watch   // decides when the heavy lists are fetched

	mu         sync.Mutex // guards the fields below, which discovery extends
	tasks      []*task
	farms      map[string]*Client
	nodes      map[model.TargetID]*Client
	gitlab     map[string]*GitLabClient
	transports map[config.TLS]http.RoundTripper

	paused atomic.Bool
	wakeMu sync.Mutex
	wake   chan struct{}
}

type task struct {
	target   model.TargetID
	endpoint model.Endpoint
	interval time.Duration
	fetch    func(ctx context.Context) []outcome
	// client, when set, is asked for the certificate and the clock it saw.
	client interface {
		CertExpiry() time.Time
		ClockOffset() (time.Duration, bool)
	}
	// gone, when set, is raised when the task's node left its farm: the
	// task stops.
	gone *atomic.Bool
	// reported is raised once Run has sent the readings of the task's
	// first run.
	reported atomic.Bool
}

// stopped reports whether the task's node has left its farm.
func (t *task) stopped() bool { return t.gone != nil && t.gone.Load() }

// outcome is one result of a task run; most runs have one, a fallback or a
// discovery may add others. target, when set, overrides the task's target.
type outcome struct {
	endpoint model.Endpoint
	target   *model.TargetID
	data     any
	err      error
}

func one(ep model.Endpoint, data any, err error) []outcome {
	return []outcome{{endpoint: ep, data: data, err: err}}
}

// New builds a poller for cfg: it resolves credentials, builds one client per
// target and lays out the schedule. It does no network I/O.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Poller, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "mirrortop"
	}
	p := &Poller{cfg: cfg, opts: opts, wake: make(chan struct{}), nodes: map[model.TargetID]*Client{},
		farms: map[string]*Client{}, gitlab: map[string]*GitLabClient{}, limiter: newHostLimiter(cfg.Poll.PerHost),
		transports: map[config.TLS]http.RoundTripper{}, strs: newStrPool(cfg.Poll.Slow),
		watch: newWatch(cfg.Poll.FullEvery)}
	if err := p.addGitLab(ctx); err != nil {
		return nil, err
	}
	if cfg.Primary.URL == "" {
		return p, nil // GitLab only
	}
	primAuth, err := resolve(ctx, "primary", cfg.Primary.Auth)
	if err != nil {
		return nil, err
	}
	p.primaryAuth = primAuth
	prim, err := p.newClient("primary", cfg.Primary.URL, cfg.Primary.TLS, primAuth)
	if err != nil {
		return nil, err
	}
	p.primary = prim
	p.spec.PrimaryURL = prim.BaseURL()
	fast, slow := cfg.Poll.Fast, cfg.Poll.Slow
	pt := model.PrimaryTarget
	p.addTask(&task{target: pt, endpoint: model.EPStatus, interval: fast, client: prim, fetch: func(ctx context.Context) []outcome {
		s, err := prim.Status(ctx)
		return one(model.EPStatus, s, err)
	}})
	p.add(pt, model.EPVersion, slow, func(ctx context.Context) []outcome {
		v, err := prim.AppProperties(ctx)
		return one(model.EPVersion, v, err)
	})
	p.add(pt, model.EPMirrorServers, slow, func(ctx context.Context) []outcome {
		v, err := prim.MirrorServers(ctx)
		out := one(model.EPMirrorServers, v, err)
		if err == nil && cfg.Poll.DiscoverFarms {
			out = append(out, p.discover(v)...)
		}
		return out
	})
	p.add(pt, model.EPRequests, slow, func(ctx context.Context) []outcome {
		v, err := prim.PendingRequests(ctx)
		return one(model.EPRequests, v, err)
	})
	useHashes := cfg.Poll.RepoHashes != "off"
	p.add(pt, model.EPRepos, slow, func(ctx context.Context) []outcome {
		return p.heavy(ctx, pt, model.EPRepos, func(ctx context.Context) []outcome {
			return fetchRepos(ctx, prim, useHashes)
		})
	})
	// Farms usually inherit the primary's credentials: each distinct
	// setting is resolved once (a password command runs once, not per farm).
	resolved := map[config.Auth]Auth{cfg.Primary.Auth: primAuth}
	for _, f := range cfg.Farms {
		auth, ok := resolved[f.Target.Auth]
		if !ok {
			if auth, err = resolve(ctx, "farm "+f.Name, f.Target.Auth); err != nil {
				return nil, err
			}
			resolved[f.Target.Auth] = auth
		}
		fs, err := p.addFarm(f, auth)
		if err != nil {
			return nil, err
		}
		p.spec.Farms = append(p.spec.Farms, fs)
	}
	return p, nil
}

// resolve reads a target's credentials.
func resolve(ctx context.Context, who string, a config.Auth) (Auth, error) {
	creds, err := a.Resolve(ctx)
	if err != nil {
		return Auth{}, fmt.Errorf("%s credentials: %w", who, err)
	}
	switch creds.Type {
	case config.AuthBearer:
		return Auth{Token: creds.Token}, nil
	case config.AuthBasic:
		return Auth{User: creds.User, Password: creds.Password}, nil
	}
	return Auth{}, nil
}

// transport returns the shared transport of a TLS setting, behind the
// per-host limiter.
func (p *Poller) transport(who string, t config.TLS) (http.RoundTripper, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tr, ok := p.transports[t]
	if !ok {
		ht, err := NewTransport(TLSOptions{CAFile: t.CAFile, InsecureSkipVerify: t.InsecureSkipVerify})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", who, err)
		}
		tr = p.limiter.wrap(ht)
		p.transports[t] = tr
	}
	return tr, nil
}

// newClient builds a Bitbucket client on the shared transports.
func (p *Poller) newClient(who, base string, t config.TLS, auth Auth) (*Client, error) {
	tr, err := p.transport(who, t)
	if err != nil {
		return nil, err
	}
	c, err := NewClient(ClientOptions{BaseURL: base, Auth: auth, Timeout: p.cfg.Poll.Timeout,
		MaxBody: int64(p.cfg.Poll.MaxBodyMB) << 20, PageSize: p.cfg.Poll.PageSize, UserAgent: p.opts.UserAgent, Transport: tr})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", who, err)
	}
	c.pool = p.strs
	return c, nil
}

// addFarm builds the clients and tasks of one farm and describes it.
func (p *Poller) addFarm(f config.Farm, auth Auth) (model.FarmSpec, error) {
	fast, slow := p.cfg.Poll.Fast, p.cfg.Poll.Slow
	fs := model.FarmSpec{Name: f.Name, URL: f.Target.URL, NodeURL: f.NodeURL}
	var nodeClients []*Client
	for _, n := range f.Nodes {
		c, err := p.newClient("farm "+f.Name+" node "+n.Name, n.URL, f.Target.TLS, auth)
		if err != nil {
			return fs, err
		}
		nodeClients = append(nodeClients, c)
		fs.Nodes = append(fs.Nodes, model.NodeSpec{Name: n.Name, URL: c.BaseURL()})
	}
	// Farm-wide resources are read through the farm's own URL (its load
	// balancer), or the first node when only nodes are configured.
	var fc *Client
	if f.Target.URL != "" {
		c, err := p.newClient("farm "+f.Name, f.Target.URL, f.Target.TLS, auth)
		if err != nil {
			return fs, err
		}
		fc, fs.URL = c, c.BaseURL()
	} else if len(nodeClients) > 0 {
		fc = nodeClients[0]
	} else {
		return fs, fmt.Errorf("farm %s: no URL and no nodes", f.Name)
	}
	var disc *nodeDiscovery
	if f.NodeURL != "" {
		disc = &nodeDiscovery{farm: f, auth: auth, configured: map[string]bool{}, current: map[string]*discoveredNode{}}
		for _, n := range f.Nodes {
			disc.configured[strings.ToLower(n.Name)] = true
		}
	}
	if len(nodeClients) == 0 && disc == nil {
		nodeClients = []*Client{fc}
		fs.Nodes = []model.NodeSpec{{Name: f.Name, URL: fc.BaseURL()}}
	}
	p.mu.Lock()
	p.farms[f.Name] = fc
	for i, nc := range nodeClients {
		p.nodes[model.TargetID{Farm: f.Name, Node: fs.Nodes[i].Name}] = nc
	}
	p.mu.Unlock()
	ft := model.TargetID{Farm: f.Name}
	p.add(ft, model.EPUpstream, slow, func(ctx context.Context) []outcome {
		v, err := fc.DetectLayout(ctx)
		return one(model.EPUpstream, v, err)
	})
	p.addTask(&task{target: ft, endpoint: model.EPProgress, interval: fast, client: fc, fetch: func(ctx context.Context) []outcome {
		v, err := fc.Progress(ctx)
		return one(model.EPProgress, v, err)
	}})
	p.add(ft, model.EPFarmNodes, slow, func(ctx context.Context) []outcome {
		v, err := fc.FarmNodes(ctx)
		out := one(model.EPFarmNodes, v, err)
		if err == nil && disc != nil {
			out = append(out, p.followMembers(disc, v)...)
		}
		return out
	})
	p.add(ft, model.EPSyncSettings, slow, func(ctx context.Context) []outcome {
		v, err := fc.SyncSettings(ctx)
		return one(model.EPSyncSettings, v, err)
	})
	p.add(ft, model.EPQueueCount, fast, func(ctx context.Context) []outcome {
		v, err := fc.RefChangesQueueCount(ctx)
		return one(model.EPQueueCount, v, err)
	})
	p.add(ft, model.EPQueue, fast, func(ctx context.Context) []outcome {
		v, err := fc.RefChangesQueue(ctx)
		return one(model.EPQueue, v, err)
	})
	p.add(ft, model.EPLockOwners, fast, func(ctx context.Context) []outcome {
		v, err := fc.RepoLockOwners(ctx)
		return one(model.EPLockOwners, v, err)
	})
	threshold := f.SyncInterval
	p.add(ft, model.EPDelayedSync, slow, func(ctx context.Context) []outcome {
		v, err := fc.DelayedSync(ctx, threshold, 100)
		return one(model.EPDelayedSync, v, err)
	})
	for i, nc := range nodeClients {
		p.addNodeTasks(model.TargetID{Farm: f.Name, Node: fs.Nodes[i].Name}, nc, nil)
	}
	return fs, nil
}

// addNodeTasks schedules the per-node fetches of one node; gone, when
// set, stops them.
func (p *Poller) addNodeTasks(nt model.TargetID, nc *Client, gone *atomic.Bool) {
	fast, slow := p.cfg.Poll.Fast, p.cfg.Poll.Slow
	p.addTask(&task{target: nt, endpoint: model.EPStatus, interval: fast, client: nc, gone: gone, fetch: func(ctx context.Context) []outcome {
		v, err := nc.Status(ctx)
		return one(model.EPStatus, v, err)
	}})
	p.addTask(&task{target: nt, endpoint: model.EPVersion, interval: slow, gone: gone, fetch: func(ctx context.Context) []outcome {
		v, err := nc.AppProperties(ctx)
		return one(model.EPVersion, v, err)
	}})
	p.addTask(&task{target: nt, endpoint: model.EPOutOfSync, interval: slow, gone: gone, fetch: func(ctx context.Context) []outcome {
		// 8.x has no such resource: its 404 marks the task unsupported
		// (asked again only every tenth slow interval). Asking rather
		// than going by the farm's layout keeps a dead node from reading
		// as answered.
		v, err := nc.OutOfSyncRepos(ctx)
		if errors.Is(err, ErrDiagnosticsOff) {
			return one(model.EPOutOfSync, model.DiagnosticsOff, nil)
		}
		return one(model.EPOutOfSync, model.NewOutOfSyncRepos(v), err)
	}})
	p.addTask(&task{target: nt, endpoint: model.EPRepoSyncStatus, interval: slow, gone: gone, fetch: func(ctx context.Context) []outcome {
		return p.heavy(ctx, nt, model.EPRepoSyncStatus, func(ctx context.Context) []outcome {
			v, err := nc.RepoSyncStatus(ctx)
			return one(model.EPRepoSyncStatus, v, err)
		})
	}})
}

// discover adds the enabled mirrors the primary lists that no known farm
// matches by name or URL, polled through their base URL with the primary's
// credentials and TLS settings — not a plain-HTTP mirror of an HTTPS
// primary, which would receive those credentials in the clear. Each new
// farm is announced by an EPDiscovered outcome carrying its
// model.FarmSpec; its tasks start once that reading has been sent (Run) or
// right after the current round (RunOnce).
func (p *Poller) discover(servers []model.MirrorServer) []outcome {
	var out []outcome
	for _, ms := range servers {
		name := model.Sanitize(ms.Name)
		if !ms.Enabled || name == "" || ms.BaseURL == "" || p.knownFarm(name, ms.BaseURL) {
			continue
		}
		if strings.HasPrefix(strings.ToLower(p.spec.PrimaryURL), "https://") && !strings.HasPrefix(strings.ToLower(ms.BaseURL), "https://") {
			continue // the primary's credentials are not sent in the clear
		}
		f := config.Farm{Name: name, SyncInterval: config.DefaultSyncInterval,
			Target: config.Target{URL: strings.TrimRight(ms.BaseURL, "/"), TLS: p.cfg.Primary.TLS}}
		fs, err := p.addFarm(f, p.primaryAuth)
		if err != nil {
			continue // an unusable base URL: the mirror stays listed on the primary only
		}
		fs.Discovered = true
		out = append(out, outcome{endpoint: model.EPDiscovered, target: &model.TargetID{Farm: name}, data: fs})
	}
	return out
}

// knownFarm reports whether a farm of that name, or at that URL (farm or
// node), is already polled.
func (p *Poller) knownFarm(name, baseURL string) bool {
	norm := func(u string) string { return strings.ToLower(strings.TrimRight(u, "/")) }
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.farms[name]; ok {
		return true
	}
	for _, c := range p.farms {
		if norm(c.BaseURL()) == norm(baseURL) {
			return true
		}
	}
	for _, c := range p.nodes {
		if norm(c.BaseURL()) == norm(baseURL) {
			return true
		}
	}
	return false
}

// fetchRepos reads the primary's repositories and hashes from the documented
// paged resource; when that resource is refused or unreadable (not when the
// server is unreachable) and repo_hashes is on, it falls back to the
// undocumented repo-hashes stream, whose entries carry ids and hashes only.
func fetchRepos(ctx context.Context, c *Client, useHashes bool) []outcome {
	repos, err := c.Repos(ctx)
	if err == nil || !useHashes {
		return one(model.EPRepos, repos, err)
	}
	var he *HTTPError
	var re *RequestError
	fallback := (errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusConflict)) ||
		(errors.As(err, &re) && re.Decode)
	if !fallback {
		return one(model.EPRepos, nil, err)
	}
	set, herr := c.RepoHashes(ctx)
	out := one(model.EPRepos, nil, err)
	if herr != nil { // ErrUnsupported among them: runTask marks it so
		return append(out, outcome{endpoint: model.EPRepoHashes, err: herr})
	}
	list := make([]model.Repo, 0, len(set))
	for id, h := range set {
		list = append(list, model.Repo{ID: id, Hashes: h})
	}
	sortReposByID(list)
	return append(out, outcome{endpoint: model.EPRepoHashes, data: list})
}

func (p *Poller) add(t model.TargetID, ep model.Endpoint, every time.Duration, fetch func(context.Context) []outcome) {
	p.addTask(&task{target: t, endpoint: ep, interval: every, fetch: fetch})
}

// addTask schedules a task, complete before anyone can start it.
func (p *Poller) addTask(t *task) {
	p.mu.Lock()
	p.tasks = append(p.tasks, t)
	p.mu.Unlock()
}

// tasksFrom returns the tasks from *next on and moves *next past them.
func (p *Poller) tasksFrom(next *int) []*task {
	p.mu.Lock()
	defer p.mu.Unlock()
	ts := p.tasks[*next:]
	*next = len(p.tasks)
	return ts
}

// MirrorRepo reads one repository's status and clone URLs from one node,
// on demand (for a detail view).
func (p *Poller) MirrorRepo(ctx context.Context, farm, node, repoID string) (model.MirroredRepo, error) {
	c, ok := p.Node(farm, node)
	if !ok {
		return model.MirroredRepo{}, fmt.Errorf("no node %s/%s", farm, node)
	}
	return c.MirrorRepo(ctx, repoID)
}

// addGitLab sets up the clients and tasks of every GitLab instance: the
// project list (configured projects and those of the configured groups) on
// the slow interval, and a sweep reading every project's mirrors.
func (p *Poller) addGitLab(ctx context.Context) error {
	for _, g := range p.cfg.GitLab {
		who := "gitlab " + g.Name
		token, err := g.Token.Resolve(ctx)
		if err != nil {
			return fmt.Errorf("%s token: %w", who, err)
		}
		tr, err := p.transport(who, g.TLS)
		if err != nil {
			return err
		}
		c, err := NewGitLabClient(GitLabOptions{Name: g.Name, BaseURL: g.URL, Token: token, Timeout: p.cfg.Poll.Timeout,
			MaxBody: int64(p.cfg.Poll.MaxBodyMB) << 20, UserAgent: p.opts.UserAgent, Transport: tr})
		if err != nil {
			return err
		}
		p.gitlab[g.Name] = c
		p.spec.GitLab = append(p.spec.GitLab, model.GitLabSpec{Name: g.Name, URL: c.base})
		w := &gitlabWatch{cfg: g, c: c}
		t := model.TargetID{GitLab: g.Name}
		p.add(t, model.EPGitLabProjects, p.cfg.Poll.Slow, func(ctx context.Context) []outcome {
			list, err := w.refresh(ctx)
			paths := make([]string, 0, len(list))
			for _, pi := range list {
				paths = append(paths, pi.Path)
			}
			if err != nil {
				return one(model.EPGitLabProjects, nil, err)
			}
			return one(model.EPGitLabProjects, paths, nil)
		})
		p.add(t, model.EPGitLabMirrors, p.cfg.Poll.Slow, func(ctx context.Context) []outcome { return w.sweep(ctx) })
		p.addGitLabInstance(t, c)
	}
	return nil
}

// gitlabWatch keeps an instance's project list between sweeps.
type gitlabWatch struct {
	cfg config.GitLab
	c   *GitLabClient

	mu       sync.Mutex
	projects []ProjectInfo
	loaded   bool
	listedAt time.Time // when the groups were last listed successfully
}

// refresh rebuilds the project list: configured projects, then those of
// each group. A failing group keeps the previous list (and reports the
// error). A list made less than a second ago is reused, so that the first
// round's project task and sweep list the groups once.
func (w *gitlabWatch) refresh(ctx context.Context) ([]ProjectInfo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.loaded && time.Since(w.listedAt) < time.Second {
		return w.projects, nil
	}
	seen := map[string]int{}
	var list []ProjectInfo
	for _, path := range w.cfg.Projects {
		if _, ok := seen[path]; !ok {
			seen[path] = len(list)
			list = append(list, ProjectInfo{Path: path})
		}
	}
	for _, g := range w.cfg.Groups {
		ps, err := w.c.GroupProjects(ctx, g, w.cfg.IncludeSubgroups)
		if err != nil {
			if !w.loaded {
				w.projects, w.loaded = list, true
			}
			return w.projects, err
		}
		for _, pi := range ps {
			if i, ok := seen[pi.Path]; ok {
				list[i].PullKnown, list[i].PullMirror = true, pi.PullMirror
				continue
			}
			seen[pi.Path] = len(list)
			list = append(list, pi)
		}
	}
	w.projects, w.loaded, w.listedAt = list, true, time.Now()
	return list, nil
}

// sweepWorkers is how many projects a sweep reads at once (the per-host
// limit applies on top).
const sweepWorkers = 4

// sweep reads every project's mirrors, one reading per project.
func (w *gitlabWatch) sweep(ctx context.Context) []outcome {
	w.mu.Lock()
	list, loaded := w.projects, w.loaded
	w.mu.Unlock()
	if !loaded {
		var err error
		if list, err = w.refresh(ctx); err != nil && len(list) == 0 {
			return []outcome{{endpoint: model.EPGitLabProjects, target: &model.TargetID{GitLab: w.cfg.Name}, err: err}}
		}
	}
	out := make([]outcome, len(list))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(sweepWorkers, len(list)) {
		wg.Go(func() {
			for i := range work {
				res, err := w.c.ProjectMirrors(ctx, list[i])
				out[i] = outcome{endpoint: model.EPGitLabMirrors, target: &model.TargetID{GitLab: w.cfg.Name, Project: list[i].Path}, data: res, err: err}
			}
		})
	}
	for i := range list {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

// GitLab is the client of a GitLab instance, for actions.
func (p *Poller) GitLab(name string) (*GitLabClient, bool) {
	c, ok := p.gitlab[name]
	return c, ok
}

// Primary is the primary's client, for actions.
func (p *Poller) Primary() *Client { return p.primary }

// Farm is the client for a farm's own URL (or its first node), for actions.
func (p *Poller) Farm(name string) (*Client, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.farms[name]
	return c, ok
}

// Node is the client for one node of a farm, for actions and detail views.
func (p *Poller) Node(farm, node string) (*Client, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.nodes[model.TargetID{Farm: farm, Node: node}]
	return c, ok
}

// Secrets lists every credential the poller's clients send (the
// passwords and tokens it resolved once, as it started), each once, for a
// recording to scrub from what it writes. Discovered nodes reuse their
// farm's.
func (p *Poller) Secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	add := func(vs []string) {
		for _, v := range vs {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	if p.primary != nil {
		add(p.primary.secrets)
	}
	for _, c := range p.farms {
		add(c.secrets)
	}
	for _, c := range p.nodes {
		add(c.secrets)
	}
	for _, c := range p.gitlab {
		add(c.secrets)
	}
	return out
}

// Spec describes the targets the poller reads, for model.NewState.
func (p *Poller) Spec() model.Spec { return p.spec }

// Refresh makes every task run now, including those backing off, and the
// big lists be fetched even if no change was signalled.
func (p *Poller) Refresh() {
	p.watch.dirtyAll()
	p.wakeMu.Lock()
	close(p.wake)
	p.wake = make(chan struct{})
	p.wakeMu.Unlock()
}

// SetPaused stops (true) or resumes (false) all polling. A task under way
// finishes; resuming runs every task at once.
func (p *Poller) SetPaused(paused bool) {
	if p.paused.Swap(paused) && !paused {
		p.Refresh()
	}
}

// Paused reports whether polling is paused.
func (p *Poller) Paused() bool { return p.paused.Load() }

func (p *Poller) wakeCh() <-chan struct{} {
	p.wakeMu.Lock()
	defer p.wakeMu.Unlock()
	return p.wake
}

// forceKey marks a context whose heavy fetches may not be skipped.
type forceKey struct{}

// heavy runs the fetch of a heavy list unless the watch finds no change
// signalled since its last fetch; a skipped fetch reads as
// model.Unchanged. RunOnce always fetches.
func (p *Poller) heavy(ctx context.Context, t model.TargetID, ep model.Endpoint, fetch func(context.Context) []outcome) []outcome {
	now := p.opts.Now()
	forced, _ := ctx.Value(forceKey{}).(bool)
	if ok, since := p.watch.start(t, now, forced); !ok {
		return one(ep, model.Unchanged{Since: since}, nil)
	}
	outs := fetch(ctx)
	ok := false
	for _, o := range outs {
		ok = ok || o.err == nil
	}
	p.watch.finish(t, now, ok)
	return outs
}

func (p *Poller) runTask(ctx context.Context, t *task) []model.Reading {
	start := p.opts.Now()
	outs := t.fetch(ctx)
	took := p.opts.Now().Sub(start)
	rs := make([]model.Reading, 0, len(outs))
	for _, o := range outs {
		tgt := t.target
		if o.target != nil {
			tgt = *o.target
		}
		p.watch.observe(tgt, o.endpoint, o.data, o.err, start)
		if _, skipped := o.data.(model.Unchanged); !skipped || o.err != nil {
			p.fetches.note(tgt, o.endpoint, o.err)
		}
		r := model.Reading{Target: tgt, Endpoint: o.endpoint, At: p.opts.Now(), Took: took}
		if t.client != nil {
			r.CertExpiry = t.client.CertExpiry()
			r.ClockOffset, r.HasClockOffset = t.client.ClockOffset()
		}
		switch {
		case errors.Is(o.err, ErrUnsupported):
			r.Unsupported = true
		case o.err != nil:
			r.Err = o.err
		default:
			r.Data = o.data
		}
		rs = append(rs, r)
	}
	return rs
}

// RunOnce runs every task once, concurrently within the per-host limits, and
// returns all readings in schedule order; farms discovered on the way are
// read once too. It is what `snapshot` uses.
func (p *Poller) RunOnce(ctx context.Context) []model.Reading {
	ctx = context.WithValue(ctx, forceKey{}, true)
	var out []model.Reading
	next := 0
	for {
		tasks := p.tasksFrom(&next)
		if len(tasks) == 0 {
			return out
		}
		results := make([][]model.Reading, len(tasks))
		var wg sync.WaitGroup
		for i, t := range tasks {
			if t.stopped() {
				continue
			}
			wg.Go(func() { results[i] = p.runTask(ctx, t) })
		}
		wg.Wait()
		for _, rs := range results {
			out = append(out, rs...)
		}
	}
}

// Run polls until ctx ends, sending every reading to out. Each task runs on
// its own interval; a failing one backs off (see NextDelay) without holding
// up the others. Tasks of discovered farms start as they are found.
func (p *Poller) Run(ctx context.Context, out chan<- model.Reading) {
	var wg sync.WaitGroup
	var startMu sync.Mutex
	next := 0
	var start func()
	start = func() {
		startMu.Lock()
		defer startMu.Unlock()
		for _, t := range p.tasksFrom(&next) {
			wg.Go(func() { p.loop(ctx, t, out, start) })
		}
	}
	start()
	wg.Wait()
}

// RoundComplete reports whether the first complete round is in: every task
// of the schedule has run under Run and sent its readings (a success, a
// failure or unsupported alike) at least once. The schedule includes the
// tasks of farms and nodes found on the way (they are added before the
// readings that announce them are sent) and leaves out those of nodes that
// left their farm. With an unbuffered channel, a receiver that checks this
// before applying what it has received has applied the whole round once
// that is done.
func (p *Poller) RoundComplete() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tasks {
		if !t.reported.Load() && !t.stopped() {
			return false
		}
	}
	return true
}

func (p *Poller) loop(ctx context.Context, t *task, out chan<- model.Reading, start func()) {
	failures, unsupported := 0, false
	for {
		if t.stopped() {
			return
		}
		wake := p.wakeCh()
		if p.paused.Load() {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				continue
			}
		}
		rs := p.runTask(ctx, t)
		if ctx.Err() != nil {
			return
		}
		var retryAfter time.Duration
		failed, errs, discovered := len(rs) > 0, 0, false
		for i, r := range rs {
			select {
			case out <- r:
			case <-ctx.Done():
				return
			}
			if i == 0 {
				unsupported = r.Unsupported
			}
			if r.Err != nil {
				errs++
				retryAfter = max(retryAfter, RetryAfter(r.Err))
			}
			discovered = discovered || r.Endpoint == model.EPDiscovered || r.Endpoint == model.EPMembers
		}
		// A task is failing when none of its readings succeeded; one answer
		// with Retry-After makes the whole task wait.
		failed = failed && errs == len(rs)
		if retryAfter > 0 {
			failed = true
		}
		t.reported.Store(true)
		if discovered {
			// New farms' and nodes' tasks start once the model has them.
			start()
		}
		if failed {
			failures++
		} else {
			failures = 0
		}
		d := NextDelay(t.interval, p.cfg.Poll.Fast, failures, retryAfter, rand.Float64())
		if unsupported {
			d = 10 * max(t.interval, p.cfg.Poll.Slow)
		}
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-wake:
			timer.Stop()
		}
	}
}

// NextDelay is the wait before an endpoint's next fetch. After a success it
// is the interval with ±10 % jitter (so that many consoles do not poll in
// step). After the n-th consecutive failure it is base·2^(n-1), where base is
// the shorter of the interval and the fast interval, capped at the interval
// itself (so that an endpoint recovers within one interval of the fault
// clearing), with jitter in [½, 1] of that; never less than a Retry-After
// the server sent. r is a random number in [0, 1).
func NextDelay(interval, fast time.Duration, failures int, retryAfter time.Duration, r float64) time.Duration {
	var d time.Duration
	if failures <= 0 {
		d = time.Duration(float64(interval) * (0.9 + 0.2*r))
	} else {
		base := min(interval, fast)
		if base <= 0 {
			base = interval
		}
		limit := interval
		d = base
		for i := 1; i < failures && d < limit; i++ {
			d *= 2
		}
		d = min(d, limit)
		d = time.Duration(float64(d) * (0.5 + 0.5*r))
	}
	return max(d, retryAfter, 100*time.Millisecond)
}
