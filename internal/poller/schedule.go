package poller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
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

// Poller runs every fetch of every configured target on its interval.
type Poller struct {
	cfg   *config.Config
	opts  Options
	tasks []*task
	spec  model.Spec
	nodes map[model.TargetID]*Client

	paused atomic.Bool
	wakeMu sync.Mutex
	wake   chan struct{}
}

type task struct {
	target   model.TargetID
	endpoint model.Endpoint
	interval time.Duration
	fetch    func(ctx context.Context) []outcome
}

// outcome is one result of a task run; most runs have one, a fallback may
// add another.
type outcome struct {
	endpoint model.Endpoint
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
	p := &Poller{cfg: cfg, opts: opts, wake: make(chan struct{}), nodes: map[model.TargetID]*Client{}}
	limiter := newHostLimiter(cfg.Poll.PerHost)
	transports := map[config.TLS]http.RoundTripper{}
	client := func(who, base string, t config.Target) (*Client, error) {
		tr, ok := transports[t.TLS]
		if !ok {
			ht, err := NewTransport(TLSOptions{CAFile: t.TLS.CAFile, InsecureSkipVerify: t.TLS.InsecureSkipVerify})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", who, err)
			}
			tr = limiter.wrap(ht)
			transports[t.TLS] = tr
		}
		creds, err := t.Auth.Resolve(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s credentials: %w", who, err)
		}
		auth := Auth{User: creds.User, Password: creds.Password}
		if creds.Type == "bearer" {
			auth = Auth{Token: creds.Token}
		} else if creds.Type == "none" {
			auth = Auth{}
		}
		c, err := NewClient(ClientOptions{BaseURL: base, Auth: auth, Timeout: cfg.Poll.Timeout,
			MaxBody: int64(cfg.Poll.MaxBodyMB) << 20, PageSize: cfg.Poll.PageSize, UserAgent: opts.UserAgent, Transport: tr})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", who, err)
		}
		return c, nil
	}
	fast, slow := cfg.Poll.Fast, cfg.Poll.Slow
	prim, err := client("primary", cfg.Primary.URL, cfg.Primary)
	if err != nil {
		return nil, err
	}
	p.spec.PrimaryURL = prim.BaseURL()
	pt := model.PrimaryTarget
	p.add(pt, model.EPStatus, fast, func(ctx context.Context) []outcome {
		s, err := prim.Status(ctx)
		return one(model.EPStatus, s, err)
	})
	p.add(pt, model.EPVersion, slow, func(ctx context.Context) []outcome {
		v, err := prim.AppProperties(ctx)
		return one(model.EPVersion, v, err)
	})
	p.add(pt, model.EPMirrorServers, slow, func(ctx context.Context) []outcome {
		v, err := prim.MirrorServers(ctx)
		return one(model.EPMirrorServers, v, err)
	})
	p.add(pt, model.EPRequests, slow, func(ctx context.Context) []outcome {
		v, err := prim.PendingRequests(ctx)
		return one(model.EPRequests, v, err)
	})
	useHashes := cfg.Poll.RepoHashes != "off"
	p.add(pt, model.EPRepos, slow, func(ctx context.Context) []outcome {
		return fetchRepos(ctx, prim, useHashes)
	})

	for _, f := range cfg.Farms {
		fs := model.FarmSpec{Name: f.Name, URL: f.Target.URL}
		var nodeClients []*Client
		for _, n := range f.Nodes {
			c, err := client("farm "+f.Name+" node "+n.Name, n.URL, f.Target)
			if err != nil {
				return nil, err
			}
			nodeClients = append(nodeClients, c)
			fs.Nodes = append(fs.Nodes, model.NodeSpec{Name: n.Name, URL: c.BaseURL()})
		}
		// Farm-wide resources are read through the farm's own URL (its load
		// balancer), or the first node when only nodes are configured.
		var fc *Client
		if f.Target.URL != "" {
			if fc, err = client("farm "+f.Name, f.Target.URL, f.Target); err != nil {
				return nil, err
			}
			fs.URL = fc.BaseURL()
		} else {
			fc = nodeClients[0]
		}
		if len(nodeClients) == 0 {
			nodeClients = []*Client{fc}
			fs.Nodes = []model.NodeSpec{{Name: f.Name, URL: fc.BaseURL()}}
		}
		p.spec.Farms = append(p.spec.Farms, fs)
		ft := model.TargetID{Farm: f.Name}
		p.add(ft, model.EPUpstream, slow, func(ctx context.Context) []outcome {
			v, err := fc.DetectLayout(ctx)
			return one(model.EPUpstream, v, err)
		})
		p.add(ft, model.EPProgress, fast, func(ctx context.Context) []outcome {
			v, err := fc.Progress(ctx)
			return one(model.EPProgress, v, err)
		})
		p.add(ft, model.EPFarmNodes, slow, func(ctx context.Context) []outcome {
			v, err := fc.FarmNodes(ctx)
			return one(model.EPFarmNodes, v, err)
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
			nt := model.TargetID{Farm: f.Name, Node: fs.Nodes[i].Name}
			p.nodes[nt] = nc
			p.add(nt, model.EPStatus, fast, func(ctx context.Context) []outcome {
				v, err := nc.Status(ctx)
				return one(model.EPStatus, v, err)
			})
			p.add(nt, model.EPVersion, slow, func(ctx context.Context) []outcome {
				v, err := nc.AppProperties(ctx)
				return one(model.EPVersion, v, err)
			})
			p.add(nt, model.EPRepoSyncStatus, slow, func(ctx context.Context) []outcome {
				v, err := nc.RepoSyncStatus(ctx)
				return one(model.EPRepoSyncStatus, v, err)
			})
		}
	}
	return p, nil
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
	if herr != nil {
		if errors.Is(herr, ErrUnsupported) {
			return append(out, outcome{endpoint: model.EPRepoHashes, err: ErrUnsupported})
		}
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
	p.tasks = append(p.tasks, &task{target: t, endpoint: ep, interval: every, fetch: fetch})
}

// MirrorRepo reads one repository's status and clone URLs from one node,
// on demand (for a detail view).
func (p *Poller) MirrorRepo(ctx context.Context, farm, node, repoID string) (model.MirroredRepo, error) {
	c, ok := p.nodes[model.TargetID{Farm: farm, Node: node}]
	if !ok {
		return model.MirroredRepo{}, fmt.Errorf("no node %s/%s", farm, node)
	}
	return c.MirrorRepo(ctx, repoID)
}

// Spec describes the targets the poller reads, for model.NewState.
func (p *Poller) Spec() model.Spec { return p.spec }

// Refresh makes every task run now, including those backing off.
func (p *Poller) Refresh() {
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

func (p *Poller) runTask(ctx context.Context, t *task) []model.Reading {
	start := p.opts.Now()
	outs := t.fetch(ctx)
	took := p.opts.Now().Sub(start)
	rs := make([]model.Reading, 0, len(outs))
	for _, o := range outs {
		r := model.Reading{Target: t.target, Endpoint: o.endpoint, At: p.opts.Now(), Took: took}
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
// returns all readings in schedule order. It is what `snapshot` uses.
func (p *Poller) RunOnce(ctx context.Context) []model.Reading {
	results := make([][]model.Reading, len(p.tasks))
	var wg sync.WaitGroup
	for i, t := range p.tasks {
		wg.Go(func() { results[i] = p.runTask(ctx, t) })
	}
	wg.Wait()
	var out []model.Reading
	for _, rs := range results {
		out = append(out, rs...)
	}
	return out
}

// Run polls until ctx ends, sending every reading to out. Each task runs on
// its own interval; a failing one backs off (see NextDelay) without holding
// up the others.
func (p *Poller) Run(ctx context.Context, out chan<- model.Reading) {
	var wg sync.WaitGroup
	for _, t := range p.tasks {
		wg.Go(func() { p.loop(ctx, t, out) })
	}
	wg.Wait()
}

func (p *Poller) loop(ctx context.Context, t *task, out chan<- model.Reading) {
	failures, unsupported := 0, false
	for {
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
		failed := false
		for i, r := range rs {
			select {
			case out <- r:
			case <-ctx.Done():
				return
			}
			if i == 0 {
				failed = r.Err != nil
				unsupported = r.Unsupported
				retryAfter = RetryAfter(r.Err)
			}
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

// MaxBackoff is the longest wait between retries of a failing endpoint whose
// own interval is shorter.
const MaxBackoff = time.Minute

// NextDelay is the wait before an endpoint's next fetch. After a success it
// is the interval with ±10 % jitter (so that many consoles do not poll in
// step). After the n-th consecutive failure it is base·2^(n-1), where base is
// the shorter of the interval and the fast interval, capped at the longer of
// the interval and MaxBackoff, with jitter in [½, 1] of that; never less than
// a Retry-After the server sent. r is a random number in [0, 1).
func NextDelay(interval, fast time.Duration, failures int, retryAfter time.Duration, r float64) time.Duration {
	var d time.Duration
	if failures <= 0 {
		d = time.Duration(float64(interval) * (0.9 + 0.2*r))
	} else {
		base := min(interval, fast)
		if base <= 0 {
			base = interval
		}
		limit := max(interval, MaxBackoff)
		d = base
		for i := 1; i < failures && d < limit; i++ {
			d *= 2
		}
		d = min(d, limit)
		d = time.Duration(float64(d) * (0.5 + 0.5*r))
	}
	return max(d, retryAfter, 100*time.Millisecond)
}
