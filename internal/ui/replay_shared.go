package ui

import (
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Recorder is told of every change the shared state takes, in order:
// batches of readings applied, mismatch computations committed (by farm),
// mirrors found paused, GitLab updates followed, resolutions added to the
// conflict history, and the history loaded from the state folder (in its
// file's JSON). It is called under the writers' lock and must not block
// (see recording.Writer).
type Recorder interface {
	Applied(at time.Time, batch []model.Reading)
	Committed(at time.Time, farms []string)
	Paused(at time.Time, mirror string, when time.Time)
	Followed(at time.Time, mirror string, when time.Time)
	Resolved(at time.Time, mirror string, e model.HistoryEntry)
	Restored(at time.Time, history []byte)
}

// SetRecorder makes rec hear of every later change to the state; a
// conflict history the state already holds is told first, so that a
// replay starts from it.
func (s *Shared) SetRecorder(rec Recorder) {
	s.wmu.Lock()
	s.rec = rec
	if h := s.state.GitLabHistory; rec != nil && h != nil && h.Len() > 0 {
		s.recordHistory(h)
	}
	s.wmu.Unlock()
}

// recordHistory tells the recorder of a conflict history loaded into the
// state; wmu is held.
func (s *Shared) recordHistory(h *model.GitLabHistory) {
	if b, err := h.MarshalHistory(); err == nil {
		s.rec.Restored(s.now(), b)
	}
}

// ReplayNote applies what a recording noted beside its readings (see
// Recorder): a followed update, a resolution (data: the entry's JSON) or
// a restored history (data: its file's JSON).
func (s *Shared) ReplayNote(what, mirror string, at time.Time, data []byte) error {
	switch what {
	case "follow":
		s.FollowUpdate(mirror, at)
	case "resolution":
		var e model.HistoryEntry
		if err := json.Unmarshal(data, &e); err != nil {
			return err
		}
		s.recordEntry(mirror, e)
	case "history":
		h, err := model.UnmarshalHistory(data)
		if err != nil {
			return err
		}
		s.RestoreHistory(h)
	}
	return nil
}

// Checkpoint is a copy of a shared state and what is derived from it (the
// events, the alerts in force, the phases of followed updates reported),
// for a replay to return to.
type Checkpoint struct {
	state       *model.State
	jobs        []*model.Recompute
	events      []event
	active      map[string]ActiveAlert
	prev        map[watched]string
	reposAt     time.Time
	repoIndex   map[string]*model.Repo
	projectKeys map[string]string
	updates     map[string]string
}

// Checkpoint copies the state and jobs, the mismatch computations prepared
// on it and not yet committed (see model.State.Clone).
func (s *Shared) Checkpoint(jobs []*model.Recompute) *Checkpoint {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	c := &Checkpoint{active: maps.Clone(s.active), prev: maps.Clone(s.prev), reposAt: s.reposAt,
		repoIndex: s.repoIndex, projectKeys: s.projectKeys, updates: maps.Clone(s.updates)}
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
	s.wmu.Lock()
	s.state = st
	s.active, s.prev, s.updates = maps.Clone(c.active), maps.Clone(c.prev), maps.Clone(c.updates)
	s.reposAt, s.repoIndex, s.projectKeys = c.reposAt, c.repoIndex, c.projectKeys
	s.emu.Lock()
	s.events = slices.Clone(c.events)
	s.emu.Unlock()
	s.publish()
	s.wmu.Unlock()
	s.rowsMu.Lock()
	s.rows = nil
	s.rowsMu.Unlock()
	s.notify()
	return jobs
}
