package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/mirrortop/mirrortop/internal/metrics"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/snapshot"
	"github.com/mirrortop/mirrortop/internal/ui"
)

// DefaultPublishEvery is how often at most the hub rebuilds its published
// view: rounds that land closer together are coalesced.
const DefaultPublishEvery = time.Second

// DemandWindow is how long after a /snapshot request the hub keeps its
// view fresh: a scraper asking every minute always finds a recent one;
// with nobody asking, the hub spends nothing on a document of 100 MB.
const DemandWindow = 5 * time.Minute

// staleWait bounds how long a /snapshot request waits for a fresh view
// when the published one is older than the state.
const staleWait = 10 * time.Second

// HubOptions tune a Hub.
type HubOptions struct {
	// Now is the clock of the published snapshots (default time.Now).
	Now func() time.Time
	// Thresholds are the alert thresholds (config [alerts]) of the
	// published snapshots; MaxLock is also how long a sync lock may be held
	// before a verdict calls it stuck.
	Thresholds model.Thresholds
	// PublishEvery is the shortest time between two published views
	// (default DefaultPublishEvery).
	PublishEvery time.Duration
	// Version is the mirrortop version /metrics reports
	// (mirrortop_build_info).
	Version string
	// Notify, when set, is the webhooks' notifier whose counts /metrics
	// reports.
	Notify metrics.NotifyCounts
	// NoSnapshots makes no snapshot document at all (nothing will ask
	// for one: no HTTP side): the hub is ready once the first complete
	// round and its mismatches are in, and View stays nil. At 100 000
	// repositories a document is about 100 MB, kept while it is the
	// latest.
	NoSnapshots bool
}

// View is one published moment of the shared state. It is immutable:
// readers share it without copying or locking.
type View struct {
	// JSON is the snapshot document, as `mirrortop snapshot --format
	// json` prints it.
	JSON []byte
	// TakenAt is the moment it shows.
	TakenAt time.Time
}

// Hub runs one poller and applies its readings to one shared state (a
// ui.Shared), in one goroutine, for every viewer: the console sessions
// read it, and the published views are made from it. It publishes the
// first View once the first round is complete (see
// poller.Poller.RoundComplete); after that, while someone asks for views
// (see Fresh and DemandWindow), one after each applied batch, at most once
// per PublishEvery (less often when building a view takes long: see
// publish). With HubOptions.NoSnapshots it publishes none.
type Hub struct {
	p       *poller.Poller
	opts    HubOptions
	shared  *ui.Shared
	view    atomic.Pointer[View]
	ready   atomic.Bool
	running atomic.Bool
	// encoding is set while a view is encoded off the hub's goroutine;
	// encodeCost is how long the last encoding took (nanoseconds).
	encoding   atomic.Bool
	encodeCost atomic.Int64
	// asked is when /snapshot was last asked for (unix nanoseconds);
	// stale is set while the state has changed since the published view;
	// wake tells the hub that a request waits for a fresh view.
	asked atomic.Int64
	stale atomic.Bool
	wake  chan struct{}

	// latest holds the last reading of each target and endpoint (without
	// its data), for the snapshot's errors and unsupported endpoints.
	latest snapshot.Outcomes
}

// NewHub prepares a hub on a poller that has not been started.
func NewHub(p *poller.Poller, opts HubOptions) *Hub {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PublishEvery <= 0 {
		opts.PublishEvery = DefaultPublishEvery
	}
	sh := ui.NewShared(model.NewState(p.Spec()), opts.Now)
	sh.SetAlertThresholds(opts.Thresholds)
	return &Hub{p: p, opts: opts, shared: sh, latest: snapshot.Outcomes{}, wake: make(chan struct{}, 1)}
}

// Shared is the state the hub applies readings to, for the console
// sessions to read.
func (h *Hub) Shared() *ui.Shared { return h.shared }

// Poller is the hub's poller (its clients serve the sessions' actions
// and detail views).
func (h *Hub) Poller() *poller.Poller { return h.p }

// View is the latest published view; nil until the first complete round
// is in.
func (h *Hub) View() *View { return h.view.Load() }

// Fresh notes that someone asks for the view and returns it: the latest
// one when it is as new as the state, else, after waiting for the hub
// to make a newer one (at most staleWait or until ctx ends), the latest.
func (h *Hub) Fresh(ctx context.Context) *View {
	h.asked.Store(time.Now().UnixNano())
	v := h.view.Load()
	if v == nil || !h.stale.Load() {
		return v
	}
	select {
	case h.wake <- struct{}{}:
	default:
	}
	t := time.NewTimer(staleWait)
	defer t.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return h.view.Load()
		case <-t.C:
			return h.view.Load()
		case <-tick.C:
			if nv := h.view.Load(); nv != v {
				return nv
			}
		}
	}
}

// Ready reports whether the first complete round is in, and published
// unless HubOptions.NoSnapshots.
func (h *Hub) Ready() bool { return h.ready.Load() }

// Running reports whether Run is under way.
func (h *Hub) Running() bool { return h.running.Load() }

// Run polls and applies readings until ctx ends.
func (h *Hub) Run(ctx context.Context) {
	h.running.Store(true)
	defer h.running.Store(false)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Unbuffered: a reading the poller has sent is one this goroutine has
	// received, which RoundComplete relies on.
	ch := make(chan model.Reading)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.p.Run(ctx, ch)
	}()
	defer func() { <-done }()

	var last time.Time // when the last view was published
	gap := h.opts.PublishEvery
	dirty := false
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	// Until ready, the round is checked for now and then too: the last
	// task of a round marks itself just after its send.
	check := time.NewTicker(50 * time.Millisecond)
	defer check.Stop()
	ready := false
	// The farms' mismatches are computed off this goroutine, one set of
	// computations at a time, and committed here (see ui.Shared).
	computed := make(chan []*model.Recompute, 1)
	var computing, pending []*model.Recompute
	compute := func(jobs []*model.Recompute) {
		if len(jobs) == 0 {
			return
		}
		if computing != nil {
			pending = append(pending, jobs...)
			return
		}
		computing = jobs
		go func() {
			for _, j := range jobs {
				j.Run()
			}
			computed <- jobs
		}()
	}
	defer func() { // wait for a computation under way
		if computing != nil {
			<-computed
		}
	}()
	for {
		var batch []model.Reading
		select {
		case <-ctx.Done():
			return
		case jobs := <-computed:
			computing = nil
			committed, next := h.shared.Commit(jobs)
			next, pending = append(pending, next...), nil
			compute(next)
			dirty = dirty || committed
		case r := <-ch:
			batch = append(batch, r)
		gather:
			for len(batch) < 4096 {
				select {
				case r := <-ch:
					batch = append(batch, r)
				default:
					break gather
				}
			}
		case <-timer.C:
		case <-h.wake:
		case <-check.C:
			if ready {
				check.Stop()
				continue
			}
		}
		// Checked before applying what was received: every reading of a
		// complete round has been received by now, so it is applied below.
		complete := ready || h.p.RoundComplete()
		if len(batch) > 0 {
			compute(h.apply(batch))
			dirty = true
		}
		if !complete || (!ready && computing != nil) {
			continue // the first view waits for the round's mismatches too
		}
		if h.opts.NoSnapshots {
			ready = true
			h.ready.Store(true)
			continue
		}
		now := time.Now()
		h.stale.Store(dirty)
		// After the first, a view is made only while someone asks for
		// them (see DemandWindow).
		wanted := now.Sub(time.Unix(0, h.asked.Load())) < DemandWindow
		due := !ready || (dirty && wanted && now.Sub(last) >= gap)
		switch {
		case due:
			// The first view goes out at once; one still encoding makes
			// the next wait for it (tried again shortly).
			if g, ok := h.publish(); ok {
				ready, gap = true, g
				last, dirty = time.Now(), false
				h.stale.Store(false)
			} else {
				dirty = true
				timer.Reset(50 * time.Millisecond)
			}
		case dirty && wanted:
			timer.Reset(gap - now.Sub(last))
		}
	}
}

// apply folds a batch into the state and remembers each reading's
// outcome; it returns the mismatch computations the batch made due.
func (h *Hub) apply(batch []model.Reading) []*model.Recompute {
	jobs := h.shared.Apply(batch)
	for _, r := range batch {
		h.latest.Note(r)
	}
	return jobs
}

// outcomes lists the last reading of each target and endpoint.
func (h *Hub) outcomes() []model.Reading { return h.latest.List() }

// publishShare bounds the cost of publishing: after a view whose document
// took d to build and encode, the next waits at least publishShare·d.
const publishShare = 4

// publish takes the view of the state as it is: the document is built
// here, on the hub's goroutine (it reads the state), and encoded to JSON
// on another (a round of 100 000 mismatches encodes to ~120 MB in
// seconds), so that applying readings — and so the poller — never waits
// for the encoding. The document shares only slices and maps that the
// state replaces whole and never writes to again. It returns false, doing
// nothing, while the previous view is still being encoded; else the time
// to wait before the next: PublishEvery, or longer when the last one cost
// more.
func (h *Hub) publish() (time.Duration, bool) {
	if !h.encoding.CompareAndSwap(false, true) {
		return 0, false
	}
	start := time.Now()
	var snap snapshot.Snapshot
	h.shared.Read(func(st *model.State) {
		snap = snapshot.Build(st, h.outcomes(), h.opts.Now(), h.opts.Thresholds)
	})
	built := time.Since(start)
	size := 0
	if v := h.view.Load(); v != nil {
		size = len(v.JSON) + len(v.JSON)/8 // about the last size: no regrowing
	}
	go func() {
		defer h.encoding.Store(false)
		start := time.Now()
		var b bytes.Buffer
		b.Grow(size)
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(snap); err != nil {
			return // the document has no type that fails to encode
		}
		h.view.Store(&View{JSON: b.Bytes(), TakenAt: snap.TakenAt})
		h.ready.Store(true)
		h.encodeCost.Store(int64(time.Since(start)))
	}()
	return max(h.opts.PublishEvery, publishShare*(built+time.Duration(h.encodeCost.Load()))), true
}
