package ui

import (
	"maps"
	"slices"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Recorder is told of every change the shared state takes, in order:
// batches of readings applied, mismatch computations committed (by farm),
// mirrors found paused. It is called under the state's lock and must not
// block (see recording.Writer).
type Recorder interface {
	Applied(at time.Time, batch []model.Reading)
	Committed(at time.Time, farms []string)
	Paused(at time.Time, mirror string, when time.Time)
}

// SetRecorder makes rec hear of every later change to the state.
func (s *Shared) SetRecorder(rec Recorder) {
	s.mu.Lock()
	s.rec = rec
	s.mu.Unlock()
}

// Checkpoint is a copy of a shared state and what is derived from it (the
// events, the alerts in force), for a replay to return to.
type Checkpoint struct {
	state       *model.State
	jobs        []*model.Recompute
	events      []event
	active      map[string]ActiveAlert
	prev        map[watched]string
	reposAt     time.Time
	repoIndex   map[string]*model.Repo
	projectKeys map[string]string
}

// Checkpoint copies the state and jobs, the mismatch computations prepared
// on it and not yet committed (see model.State.Clone).
func (s *Shared) Checkpoint(jobs []*model.Recompute) *Checkpoint {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := &Checkpoint{active: maps.Clone(s.active), prev: maps.Clone(s.prev), reposAt: s.reposAt,
		repoIndex: s.repoIndex, projectKeys: s.projectKeys}
	c.state, c.jobs = s.state.Clone(jobs)
	s.emu.Lock()
	c.events = slices.Clone(s.events)
	s.emu.Unlock()
	return c
}

// Restore puts the shared state back to a checkpoint (which stays as it
// is, to be restored again) and returns its jobs, to run and commit.
func (s *Shared) Restore(c *Checkpoint) []*model.Recompute {
	st, jobs := c.state.Clone(c.jobs)
	s.mu.Lock()
	*s.state = *st // sessions hold the pointer
	s.active, s.prev = maps.Clone(c.active), maps.Clone(c.prev)
	s.reposAt, s.repoIndex, s.projectKeys = c.reposAt, c.repoIndex, c.projectKeys
	s.emu.Lock()
	s.events = slices.Clone(c.events)
	s.emu.Unlock()
	s.mu.Unlock()
	s.rowsMu.Lock()
	s.rows = nil
	s.rowsMu.Unlock()
	s.notify()
	return jobs
}
