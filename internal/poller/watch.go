package poller

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// watch decides whether a heavy list — the primary's repositories (100
// pages at 100 000 repositories) or a node's repoSyncStatus — needs
// fetching again, from the cheap signals polled every fast interval:
//
//   - a farm's ref-changes queue count, non-zero or changed, its queue dump
//     or repository lock owners non-empty, or its progress changed: the
//     farm, its nodes and the primary are dirty (a push on the primary is
//     what fills mirror queues);
//   - a node's status changed: that node is dirty;
//   - the primary's repositories changed: every node is dirty.
//
// A heavy list is fetched when it is dirty, never fetched, last fetched
// before full_every, or when the signals were not read successfully since
// its last fetch (a signal that cannot be read proves nothing). Otherwise the
// fetch is skipped and reported as model.Unchanged. Signals are samples —
// a sync that starts and ends between two queue readings leaves no trace —
// so full_every bounds how long such a change can go unseen.
type watch struct {
	mu    sync.Mutex
	every time.Duration // 0: never skip
	seed  maphash.Seed

	primary    heavy
	primarySum uint64 // fingerprint of the primary's last repository list
	nodes      map[model.TargetID]*heavy
	farms      map[string]*signals
}

// heavy is the record of one heavy list.
type heavy struct {
	fetched time.Time // start of the last successful fetch
	dirty   bool      // a change was signalled since
}

// signals are a farm's cheap readings.
type signals struct {
	readAt      time.Time // last successful queue count reading
	count       int
	hasCount    bool
	progress    model.Progress
	hasProgress bool
	nodeState   map[string]string // node -> last status state ("" when failing)
}

func newWatch(every time.Duration) *watch {
	return &watch{every: every, seed: maphash.MakeSeed(), nodes: map[model.TargetID]*heavy{}, farms: map[string]*signals{}}
}

func (w *watch) farm(name string) *signals {
	f := w.farms[name]
	if f == nil {
		f = &signals{nodeState: map[string]string{}}
		w.farms[name] = f
	}
	return f
}

func (w *watch) node(t model.TargetID) *heavy {
	h := w.nodes[t]
	if h == nil {
		h = &heavy{}
		w.nodes[t] = h
	}
	return h
}

// farmChanged marks a farm's nodes and the primary dirty.
func (w *watch) farmChanged(farm string) {
	w.primary.dirty = true
	for t, h := range w.nodes {
		if t.Farm == farm {
			h.dirty = true
		}
	}
}

// observe records the outcome of a cheap fetch (or of the primary's
// repositories, whose change makes every node dirty).
func (w *watch) observe(t model.TargetID, ep model.Endpoint, data any, err error, at time.Time) {
	if t.GitLab != "" {
		return // not a Bitbucket signal
	}
	var sum uint64
	repos, isRepos := data.([]model.Repo)
	if isRepos && t == model.PrimaryTarget && err == nil {
		sum = w.fingerprint(repos) // outside the lock: 100 000 entries
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case t == model.PrimaryTarget:
		// The documented list or the repo-hashes fallback's.
		if (ep == model.EPRepos || ep == model.EPRepoHashes) && err == nil && isRepos {
			if sum != w.primarySum {
				for _, n := range w.nodes {
					n.dirty = true
				}
			}
			w.primarySum = sum
		}
		return
	case t.Node != "":
		if ep != model.EPStatus {
			return
		}
		f := w.farm(t.Farm)
		state := ""
		if s, ok := data.(model.ServerStatus); ok && err == nil {
			state = s.State
		}
		if old, seen := f.nodeState[t.Node]; !seen || old != state {
			w.node(t).dirty = true
		}
		f.nodeState[t.Node] = state
		return
	}
	f := w.farm(t.Farm)
	switch ep {
	case model.EPQueueCount:
		n, ok := data.(int)
		if err != nil || !ok {
			w.farmChanged(t.Farm) // cannot tell: assume a change
			return
		}
		if n != 0 || (f.hasCount && n != f.count) {
			w.farmChanged(t.Farm)
		}
		f.count, f.hasCount, f.readAt = n, true, at
	case model.EPQueue:
		if q, ok := data.([]model.QueueItem); ok && err == nil && len(q) > 0 {
			w.farmChanged(t.Farm)
		}
	case model.EPLockOwners:
		if l, ok := data.([]model.LockOwner); ok && err == nil && len(l) > 0 {
			w.farmChanged(t.Farm)
		}
	case model.EPProgress:
		p, ok := data.(model.Progress)
		if err != nil || !ok {
			return
		}
		if f.hasProgress && p != f.progress {
			w.farmChanged(t.Farm)
		}
		f.progress, f.hasProgress = p, true
	}
}

// dirtyAll makes every heavy list due (a refresh asked by the user).
func (w *watch) dirtyAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.primary.dirty = true
	for _, h := range w.nodes {
		h.dirty = true
	}
}

// fingerprint sums the ids and hashes of the primary's repositories.
func (w *watch) fingerprint(repos []model.Repo) uint64 {
	var h maphash.Hash
	h.SetSeed(w.seed)
	for i := range repos {
		r := &repos[i]
		h.WriteString(r.ID)
		h.WriteByte(0)
		h.WriteString(r.Hashes.Content)
		h.WriteByte(0)
		h.WriteString(r.Hashes.Metadata)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// start decides whether the heavy list of t (the primary's repositories
// when t is the primary) is fetched now; when it is, the list counts as
// clean from now on, and finish records the outcome.
func (w *watch) start(t model.TargetID, now time.Time, force bool) (fetch bool, since time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := &w.primary
	if t != model.PrimaryTarget {
		h = w.node(t)
	}
	if force || w.every <= 0 || h.fetched.IsZero() || h.dirty || now.Sub(h.fetched) >= w.every || !w.fresh(t, h.fetched) {
		h.dirty = false
		return true, time.Time{}
	}
	return false, h.fetched
}

// fresh reports whether the signals covering t were read after since: the
// node's farm, or every farm for the primary.
func (w *watch) fresh(t model.TargetID, since time.Time) bool {
	if t != model.PrimaryTarget {
		f := w.farms[t.Farm]
		return f != nil && f.readAt.After(since)
	}
	if len(w.farms) == 0 {
		return false
	}
	for _, f := range w.farms {
		if !f.readAt.After(since) {
			return false
		}
	}
	return true
}

// finish records a heavy fetch that started at started.
func (w *watch) finish(t model.TargetID, started time.Time, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := &w.primary
	if t != model.PrimaryTarget {
		h = w.node(t)
	}
	if ok {
		h.fetched = started
	} else {
		h.dirty = true
	}
}

// forget drops what is known of a node's heavy list, for a node that
// (re)joins its farm: its list is fetched at once.
func (w *watch) forget(t model.TargetID) {
	w.mu.Lock()
	delete(w.nodes, t)
	w.mu.Unlock()
}
