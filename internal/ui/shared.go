package ui

import (
	"sync"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Shared is the polled state as consoles read it: one model.State, applied
// once, and what is derived from it once for every reader — the events
// (changes seen between rounds, and actions taken), the index of the
// primary's repositories. A local console owns one and applies its
// readings itself; `mirrortop serve` has one for all its sessions, applied
// by its hub, and each session's Model reads it under the read lock
// without copying the big lists.
//
// Lock order: the state's lock (mu) before the events' (emu).
type Shared struct {
	mu    sync.RWMutex
	state *model.State
	now   func() time.Time

	// Derived from the state under mu.
	reposAt     time.Time
	repoIndex   map[string]*model.Repo
	projectKeys map[string]string // project id -> key, from the primary's repositories
	prev        map[watched]string

	emu    sync.Mutex
	events []event

	subMu sync.Mutex
	subs  map[chan struct{}]struct{}

	// rows are the big panes' rows, built once for every session whose
	// inputs match (see rowsFor).
	rowsMu sync.Mutex
	rows   map[paneID]*sharedRows
}

// sharedRows are one pane's rows as several sessions' tables share them:
// what they were built from (key), and the lock that guards their lazily
// made cells.
type sharedRows struct {
	key  string
	rows []row
	lock *sync.Mutex
}

// rowsFor returns a pane's rows for key — what they are built from (the
// state's generations, the acknowledgements, the settings) —, building
// them with build when no session has yet. Sessions of one server then
// keep one copy of 100 000 rows, not one each, and build it once per
// change rather than once per session. The caller holds the read lock.
func (s *Shared) rowsFor(p paneID, key string, build func() []row) ([]row, *sync.Mutex) {
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	if r := s.rows[p]; r != nil && r.key == key {
		return r.rows, r.lock
	}
	if s.rows == nil {
		s.rows = map[paneID]*sharedRows{}
	}
	r := &sharedRows{key: key, rows: build(), lock: &sync.Mutex{}}
	s.rows[p] = r
	return r.rows, r.lock
}

// NewShared wraps a state that nothing else writes to; now is the clock of
// its events (nil: time.Now).
func NewShared(st *model.State, now func() time.Time) *Shared {
	if now == nil {
		now = time.Now
	}
	s := &Shared{state: st, now: now, subs: map[chan struct{}]struct{}{}}
	s.derive()
	return s
}

// Read calls fn with the state under the read lock. fn must not keep
// what it reads past its return unless the state replaces it whole (the
// big lists), nor call another method of s.
func (s *Shared) Read(fn func(st *model.State)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.state)
}

// Apply folds a batch of readings into the state and returns the farms'
// mismatch computations it deferred: run them off the lock (Recompute.Run)
// and hand them to Commit.
func (s *Shared) Apply(batch []model.Reading) []*model.Recompute {
	s.mu.Lock()
	jobs := s.state.ApplyDeferred(batch)
	s.derive()
	s.mu.Unlock()
	s.notify()
	return jobs
}

// Commit installs computed mismatches; it reports whether any was still
// current, and returns the computations that readings landed meanwhile
// made due (run and commit them too).
func (s *Shared) Commit(jobs []*model.Recompute) (committed bool, next []*model.Recompute) {
	s.mu.Lock()
	for _, j := range jobs {
		committed = s.state.Commit(j) || committed
	}
	next = s.state.ApplyDeferred(nil)
	if committed {
		s.derive()
	}
	s.mu.Unlock()
	if committed {
		s.notify()
	}
	return committed, next
}

// MarkPaused records that GitLab paused a mirror (see model.State).
func (s *Shared) MarkPaused(mirror string, at time.Time) {
	s.mu.Lock()
	s.state.MarkPaused(mirror, at)
	s.mu.Unlock()
	s.notify()
}

// derive updates what is derived from the state; mu is held for writing.
func (s *Shared) derive() {
	st := s.state
	if !st.Primary.ReposAt.Equal(s.reposAt) {
		s.reposAt = st.Primary.ReposAt
		idx := make(map[string]*model.Repo, len(st.Primary.Repos))
		keys := map[string]string{}
		for i := range st.Primary.Repos {
			r := &st.Primary.Repos[i]
			idx[r.ID] = r
			if r.ProjectID != "" {
				keys[r.ProjectID] = r.ProjectKey
			}
		}
		s.repoIndex, s.projectKeys = idx, keys
	}
	s.noteChanges(s.now())
}

// AddEvent records an event (an action and its outcome) for every reader.
func (s *Shared) AddEvent(e event) {
	s.emu.Lock()
	s.addEventLocked(e)
	s.emu.Unlock()
	s.notify()
}

func (s *Shared) addEventLocked(e event) {
	e.seq = 0
	if n := len(s.events); n > 0 {
		e.seq = s.events[n-1].seq + 1
	}
	s.events = append(s.events, e)
	if len(s.events) > maxEvents {
		s.events = append(s.events[:0:0], s.events[len(s.events)-maxEvents:]...)
	}
}

// eventList returns a copy of the events, oldest first.
func (s *Shared) eventList() []event {
	s.emu.Lock()
	defer s.emu.Unlock()
	return append([]event(nil), s.events...)
}

// Subscribe returns a channel that receives a value after the state or
// the events changed (changes that land close together are coalesced:
// the channel holds at most one), and the function that ends the
// subscription, closing the channel.
func (s *Shared) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.subMu.Lock()
	s.subs[ch] = struct{}{}
	s.subMu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.subMu.Lock()
			delete(s.subs, ch)
			close(ch)
			s.subMu.Unlock()
		})
	}
}

// Subscribers counts the open subscriptions.
func (s *Shared) Subscribers() int {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	return len(s.subs)
}

// notify tells every subscriber, never waiting for one.
func (s *Shared) notify() {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default: // one is pending already
		}
	}
}
