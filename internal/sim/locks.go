package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// stuckLock is a repository sync lock that a farm holds and never releases
// (the stuck-lock fault): the repository's queue items are never taken, so
// it stays out of sync, and repo-lock-owners keeps listing the lock.
type stuckLock struct {
	repo   int32
	nodeID string
	reqID  string
	thread string
	at     int64 // Unix ms
}

// errNoRepo reports a repository id the primary does not have.
var errNoRepo = errors.New("no such repository")

// StickLock makes farm hold repository repoID's sync lock from held ago
// and never release it, as a sync stuck on a node does: the lock is listed
// by repo-lock-owners (owner thread farm-refchange-poller:thread-N, on the
// farm's second node when it has one) with that lockAcquireTime, and a push
// made now, which the stuck sync never delivers, keeps the repository out
// of sync (queued, never taken) until ReleaseLock. The repository must be
// one the farm mirrors. Sticking it again moves the acquire time.
func (s *Sim) StickLock(farmName string, repoID int, held time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.farmByName[farmName]
	switch {
	case f == nil:
		return fmt.Errorf("%w: farm %s", errNoTarget, farmName)
	case !s.validRepo(repoID):
		return fmt.Errorf("%w: %d", errNoRepo, repoID)
	case !f.mirrors(s, repoID):
		return fmt.Errorf("farm %s does not mirror repository %d", farmName, repoID)
	}
	at := s.nowMs() - max(held, 0).Milliseconds()
	n := f.nodes[min(1, len(f.nodes)-1)]
	s.jobSeq++
	if f.stuck == nil {
		f.stuck = map[int32]*stuckLock{}
	}
	f.stuck[int32(repoID)] = &stuckLock{repo: int32(repoID), nodeID: n.id, at: at,
		reqID:  "*" + randomToken(s, 6) + "x" + strconv.FormatUint(s.jobSeq, 10) + "x0",
		thread: "farm-refchange-poller:thread-" + strconv.Itoa(len(f.workers)+1)}
	s.change(repoID, true)
	for _, m := range f.nodes {
		if nr := &m.repos[repoID]; nr.differSince > at {
			nr.differSince = at
		}
	}
	return nil
}

// ReleaseLock releases a lock StickLock holds; the repository's waiting
// sync then runs. Releasing a lock that is not stuck does nothing.
func (s *Sim) ReleaseLock(farmName string, repoID int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.farmByName[farmName]
	if f == nil {
		return fmt.Errorf("%w: farm %s", errNoTarget, farmName)
	}
	delete(f.stuck, int32(repoID))
	s.dispatch(f)
	return nil
}

// lockOwners lists the farm's held sync locks: the workers' and the stuck
// ones, by repository id. Called with s.mu held.
func (n *node) lockOwners() []lockOwnerJSON {
	f := n.farm
	vals := []lockOwnerJSON{}
	for _, wk := range f.workers {
		if wk.item != nil {
			vals = append(vals, n.lockOwner(wk))
		}
	}
	ids := make([]int32, 0, len(f.stuck))
	for id := range f.stuck {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		l := f.stuck[id]
		vals = append(vals, lockOwnerJSON{ExternalRepositoryID: strconv.Itoa(int(id)), NodeID: l.nodeID,
			RequestID: l.reqID, ThreadName: l.thread, LockAcquireTime: formatMs(l.at)})
	}
	return vals
}
