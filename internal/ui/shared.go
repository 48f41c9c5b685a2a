package ui

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Shared is the polled state as consoles read it: one model.State, applied
// once, and what is derived from it once for every reader — the events
// (changes seen between rounds, and actions taken), the index of the
// primary's repositories. A local console owns one and applies its
// readings itself; `mirrortop serve` has one for all its sessions, applied
// by its hub.
//
// Readers never wait for a writer: each change is made to a copy of the
// newest state (model.State.Clone shares the big lists, which the state
// replaces whole) and published whole, with what is derived from it, as
// a version nothing writes to again. A reader takes the newest version
// (Read, or a Model at each Update and View) and reads it without a lock,
// however long a writer takes to fold a 100 000-entry list in.
//
// Lock order: wmu before the events' (emu).
type Shared struct {
	// cur is the newest published version.
	cur atomic.Pointer[version]

	// wmu orders the writers; it guards state and what only the writers
	// use.
	wmu sync.Mutex
	// state is the newest state: the published one, or the copy a
	// writer is changing (under wmu).
	state *model.State
	now   func() time.Time

	// Derived from the state by the writers, published with it.
	reposAt     time.Time
	repoIndex   map[string]*model.Repo
	projectKeys map[string]string // project id -> key, from the primary's repositories
	prev        map[watched]string
	// updates is each followed "Update now" as last reported (mirror key
	// -> request time and phase text), for its events.
	updates map[string]string

	emu    sync.Mutex
	events []event

	// alertTh, when set, are the thresholds alerts are judged with for
	// the Events pane's raised and cleared lines; active are the alerts
	// in force at the last change, with since when.
	alertTh *model.Thresholds
	active  map[string]ActiveAlert

	subMu sync.Mutex
	subs  map[chan struct{}]struct{}

	// rec, when set, is told of every change to the state (under wmu).
	rec Recorder

	// rows are the big panes' rows, built once for every session whose
	// inputs match; building says which panes' rows are being built,
	// since when.
	rowsMu   sync.Mutex
	rows     map[paneID]*sharedRows
	building map[paneID]time.Time
}

// version is one published state and what is derived from it. Nothing
// in it is written to once it is published.
type version struct {
	state       *model.State
	reposAt     time.Time
	repoIndex   map[string]*model.Repo
	projectKeys map[string]string
	active      []ActiveAlert // oldest first
}

// current returns the newest published version.
func (s *Shared) current() *version { return s.cur.Load() }

// change makes one change of the state: fn changes a copy of the newest
// state, under wmu, and reports whether readers should be told; the copy
// is then published, and the subscribers told. A change that panics is
// dropped, and wmu released (a console's guard carries on after it).
func (s *Shared) change(fn func(st *model.State) (tell bool)) {
	tell := func() bool {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		prev, published := s.state, false
		defer func() {
			if !published { // fn panicked
				s.state = prev
			}
		}()
		s.state, _ = prev.Clone(nil)
		tell := fn(s.state)
		s.publish()
		published = true
		return tell
	}()
	if tell {
		s.notify()
	}
}

// publish makes the state and what is derived from it the newest
// version; wmu is held.
func (s *Shared) publish() {
	active := make([]ActiveAlert, 0, len(s.active))
	for _, a := range s.active {
		active = append(active, a)
	}
	slices.SortFunc(active, func(a, b ActiveAlert) int { return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.Key, b.Key)) })
	s.cur.Store(&version{state: s.state, reposAt: s.reposAt, repoIndex: s.repoIndex, projectKeys: s.projectKeys, active: active})
}

// sharedRows are one pane's rows as several sessions' tables share them:
// what they were made from (key), and the lock that guards their lazily
// made cells.
type sharedRows struct {
	key  string
	rows []row
	lock *sync.Mutex
}

// buildTimeout is how long a build under way keeps others from starting
// the same one (a session that ended mid-build leaves its mark).
const buildTimeout = 10 * time.Second

// cachedRows returns a pane's rows made from key, if a session made them.
func (s *Shared) cachedRows(p paneID, key string) *sharedRows {
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	if r := s.rows[p]; r != nil && r.key == key {
		return r
	}
	return nil
}

// storeRows keeps a pane's rows made from key for the other sessions.
func (s *Shared) storeRows(p paneID, key string, rows []row) *sharedRows {
	r := &sharedRows{key: key, rows: rows, lock: &sync.Mutex{}}
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	if s.rows == nil {
		s.rows = map[paneID]*sharedRows{}
	}
	s.rows[p] = r
	delete(s.building, p)
	return r
}

// startBuild reports whether the caller should build a pane's rows:
// false while another build of them is under way. One build at a time:
// when it is in, the sessions look again and build from the newest
// inputs then, so a round whose readings arrive one by one costs one or
// two builds, not one per reading.
func (s *Shared) startBuild(p paneID) bool {
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	if since, ok := s.building[p]; ok && time.Since(since) < buildTimeout {
		return false
	}
	if s.building == nil {
		s.building = map[paneID]time.Time{}
	}
	s.building[p] = time.Now()
	return true
}

// NewShared wraps a state that nothing else writes to (the first change
// is made to a copy of it: see Shared); now is the clock of its events
// (nil: time.Now).
func NewShared(st *model.State, now func() time.Time) *Shared {
	if now == nil {
		now = time.Now
	}
	s := &Shared{state: st, now: now, subs: map[chan struct{}]struct{}{}}
	s.derive(now())
	s.publish()
	return s
}

// Read calls fn with the newest published state, which fn must not
// change. It takes no lock: fn may be slow without delaying anyone.
func (s *Shared) Read(fn func(st *model.State)) {
	fn(s.current().state)
}

// Apply folds a batch of readings into the state and returns the farms'
// mismatch computations it deferred: run them off the state's goroutine
// (Recompute.Run) and hand them to Commit.
func (s *Shared) Apply(batch []model.Reading) (jobs []*model.Recompute) {
	s.change(func(st *model.State) bool {
		jobs = st.ApplyDeferred(batch)
		now := s.now()
		if s.rec != nil {
			s.rec.Applied(now, batch)
		}
		s.derive(now)
		return true
	})
	return jobs
}

// Commit installs computed mismatches; it reports whether any was still
// current, and returns the computations that readings landed meanwhile
// made due (run and commit them too).
func (s *Shared) Commit(jobs []*model.Recompute) (committed bool, next []*model.Recompute) {
	s.change(func(st *model.State) bool {
		for _, j := range jobs {
			committed = st.Commit(j) || committed
		}
		now := s.now()
		if s.rec != nil && len(jobs) > 0 {
			farms := make([]string, len(jobs))
			for i, j := range jobs {
				farms[i] = j.Farm()
			}
			s.rec.Committed(now, farms)
		}
		next = st.ApplyDeferred(nil)
		if committed {
			s.derive(now)
		}
		return committed
	})
	return committed, next
}

// FollowUpdate starts following a GitLab mirror's requested update (see
// model.State.FollowUpdate); its phases become events.
func (s *Shared) FollowUpdate(mirror string, at time.Time) {
	s.change(func(st *model.State) bool {
		st.FollowUpdate(mirror, at)
		if s.rec != nil {
			s.rec.Followed(s.now(), mirror, at)
		}
		s.derive(s.now())
		return true
	})
}

// MarkPaused records that GitLab paused a mirror (see model.State).
func (s *Shared) MarkPaused(mirror string, at time.Time) {
	s.change(func(st *model.State) bool {
		st.MarkPaused(mirror, at)
		if s.rec != nil {
			s.rec.Paused(s.now(), mirror, at)
		}
		return true
	})
}

// derive updates what is derived from the state at now; wmu is held.
func (s *Shared) derive(now time.Time) {
	if st := s.state; !st.Primary.ReposAt.Equal(s.reposAt) {
		s.reposAt = st.Primary.ReposAt
		s.repoIndex, s.projectKeys = indexRepos(st.Primary.Repos)
	}
	s.noteChanges(now)
}

// indexRepos indexes the primary's repositories by id, and their
// projects' keys by project id.
func indexRepos(repos []model.Repo) (map[string]*model.Repo, map[string]string) {
	idx := make(map[string]*model.Repo, len(repos))
	keys := map[string]string{}
	for i := range repos {
		r := &repos[i]
		idx[r.ID] = r
		if r.ProjectID != "" {
			keys[r.ProjectID] = r.ProjectKey
		}
	}
	return idx, keys
}

// ActiveAlert is an alert in force and since when.
type ActiveAlert = model.ActiveAlert

// SetAlertThresholds makes changes of the alerts in force events of
// their own: raised, and cleared after how long. Call it before the first
// readings.
func (s *Shared) SetAlertThresholds(th model.Thresholds) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.alertTh = &th
}

// ActiveAlerts lists the alerts in force at the last change of the state,
// each with since when, oldest first (none without SetAlertThresholds).
func (s *Shared) ActiveAlerts() []ActiveAlert {
	return slices.Clone(s.current().active)
}

// noteAlerts compares the alerts in force now with those at the last
// change and records the raised and the cleared; the first look is the
// baseline. Node-down and node-left alerts are left to the nodes' own
// events. wmu is held, emu too.
func (s *Shared) noteAlerts(now time.Time) {
	if s.alertTh == nil {
		return
	}
	cur := map[string]ActiveAlert{}
	for _, a := range s.state.Alerts(*s.alertTh, now) {
		since := now
		if old, ok := s.active[a.Key]; ok {
			since = old.Since
		}
		cur[a.Key] = ActiveAlert{Alert: a, Since: since}
	}
	if s.active != nil {
		quiet := func(a model.Alert) bool { return a.Kind == model.AlertNodeDown || a.Kind == model.AlertNodeLeft }
		for k, a := range cur {
			if _, ok := s.active[k]; !ok && !quiet(a.Alert) {
				t := toneWarn
				if a.Severity == model.SeverityCritical {
					t = toneBad
				}
				s.addEventLocked(event{at: now, kind: "alert", target: model.Sanitize(a.Target), text: "raised: " + a.Text, tone: t})
			}
		}
		for k, a := range s.active {
			if _, ok := cur[k]; !ok && !quiet(a.Alert) {
				s.addEventLocked(event{at: now, kind: "alert", target: model.Sanitize(a.Target),
					text: "cleared after " + model.ShortDuration(now.Sub(a.Since)) + ": " + a.Text, tone: toneOK})
			}
		}
	}
	s.active = cur
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
