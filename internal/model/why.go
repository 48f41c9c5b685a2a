package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Diagnostics says whether a farm answers the 9.x out-of-sync diagnostics
// resource (supportInfo/out-of-sync-repos/content), which a mirror serves
// only with plugin.mirroring.repository.diagnostics.sync.enabled=true.
type Diagnostics string

// The states of a farm's diagnostics.
const (
	// DiagnosticsUnknown: not asked yet, or no node answered.
	DiagnosticsUnknown Diagnostics = ""
	// DiagnosticsOn: a node listed its out-of-sync repositories.
	DiagnosticsOn Diagnostics = "on"
	// DiagnosticsOff: the farm has the resource but the feature is off
	// (HTTP 409). Not an error.
	DiagnosticsOff Diagnostics = "off"
	// DiagnosticsUnsupported: the farm's API has no such resource (8.x).
	DiagnosticsUnsupported Diagnostics = "unsupported"
)

// DiagnosticsOffText is what is shown for a farm whose diagnostics are off.
const DiagnosticsOffText = "diagnostics off on this farm"

// OutOfSyncRepos is the data of an EPOutOfSync reading: the set of upstream
// ids of the repositories one node reports out of sync. It is a set, made
// where the answer is decoded, so that applying a list of 100 000 to the
// state is a pointer's assignment.
type OutOfSyncRepos map[string]bool

// NewOutOfSyncRepos makes the set of ids.
func NewOutOfSyncRepos(ids []string) OutOfSyncRepos {
	set := make(OutOfSyncRepos, len(ids))
	for _, id := range ids {
		set[id] = true
	}
	return set
}

// NodeName names the member of the farm whose cluster node id is id, from
// /farmNodes; a configured node of that name when there is one, else the
// member's name, else the id itself (shortened), "" for an empty id.
func (f *Farm) NodeName(id string) string {
	if id == "" {
		return ""
	}
	for _, c := range f.ClusterNodes {
		if c.ID == id && c.Name != "" {
			return Sanitize(c.Name)
		}
	}
	id = Sanitize(id)
	if len(id) > 8 {
		id = id[:8] + "…"
	}
	return id
}

// LockOf returns the sync lock held on a repository, nil when none is.
func (f *Farm) LockOf(repoID string) *LockOwner {
	for i := range f.Locks {
		if f.Locks[i].ExternalRepoID == repoID {
			return &f.Locks[i]
		}
	}
	return nil
}

// ShortDuration prints a duration in its largest whole unit: 45s, 25m, 2h,
// 3d; "0s" for zero or less.
func ShortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(max(int(d.Seconds()), 0)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	default:
		return strconv.Itoa(int(d.Hours()/24)) + "d"
	}
}

// Cause is the kind of explanation a Verdict gives.
type Cause string

// The causes a verdict can name, from the most decisive to the least. A
// stuck lock blocks every other remedy; failing syncs are the server's own
// word that it tried and could not; a queue entry or a lock held for less
// than max_lock is a sync on its way; a copy missing on some nodes only
// points at those nodes; an initial sync explains everything not yet
// copied; the farm's own delayed-sync or out-of-sync lists confirm that it
// is behind without saying why; unknown hashes mean there may be nothing
// wrong at all.
const (
	CauseLockStuck     Cause = "lock-stuck"
	CauseFailing       Cause = "failing"
	CauseQueued        Cause = "queued"
	CauseSyncing       Cause = "syncing"
	CauseMissingSome   Cause = "missing-some"
	CauseInitialSync   Cause = "initial-sync"
	CauseDelayed       Cause = "delayed"
	CauseHashesUnknown Cause = "hashes-unknown"
	CauseNone          Cause = "none"
)

// LockInfo is a repository's sync lock as a verdict shows it.
type LockInfo struct {
	// Thread is the owner thread's name, sanitized.
	Thread string
	// Node names the node holding it (see Farm.NodeName).
	Node string
	// Held is how long it has been held.
	Held time.Duration
	// Stuck is true past max_lock.
	Stuck bool
}

// Verdict explains, in one line, why a repository is out of sync, with the
// evidence behind it. Every string in it is sanitized.
type Verdict struct {
	Cause Cause
	Line  string
	// Evidence lists what else was found, most decisive first.
	Evidence []string
	// Lock is the repository's sync lock, nil when none is held.
	Lock *LockInfo
}

// Why explains mismatches of one farm: it indexes the farm's queue, locks
// and delayed-sync list once, so that explaining every mismatch of a large
// farm stays linear.
type Why struct {
	f       *Farm
	maxLock time.Duration
	now     time.Time
	queue   map[string]*QueueItem
	locks   map[string]*LockOwner
	delayed map[string]bool
}

// NewWhy prepares explanations for the farm's mismatches at now; maxLock is
// how long a lock may be held before it is called stuck (0: never).
func NewWhy(f *Farm, maxLock time.Duration, now time.Time) *Why {
	w := &Why{f: f, maxLock: maxLock, now: now,
		queue: make(map[string]*QueueItem, len(f.Queue)), locks: make(map[string]*LockOwner, len(f.Locks)),
		delayed: make(map[string]bool, len(f.Delayed))}
	for i := range f.Queue {
		if _, ok := w.queue[f.Queue[i].ExternalRepoID]; !ok {
			w.queue[f.Queue[i].ExternalRepoID] = &f.Queue[i]
		}
	}
	for i := range f.Locks {
		l := &f.Locks[i]
		if o, ok := w.locks[l.ExternalRepoID]; !ok || (!l.AcquiredAt.IsZero() && l.AcquiredAt.Before(o.AcquiredAt)) {
			w.locks[l.ExternalRepoID] = l
		}
	}
	for _, d := range f.Delayed {
		w.delayed[d.RepositoryID] = true
	}
	return w
}

// Explain gives the verdict on one mismatch of the farm (see Explain).
func Explain(f *Farm, m *Mismatch, maxLock time.Duration, now time.Time) Verdict {
	return NewWhy(f, maxLock, now).Explain(m)
}

// Explain gives the verdict on one mismatch: the most decisive cause found
// (in the order of the Cause constants) as its line, the others as evidence.
func (w *Why) Explain(m *Mismatch) Verdict {
	type found struct {
		cause Cause
		line  string
	}
	var all []found
	add := func(c Cause, line string) { all = append(all, found{c, line}) }
	var v Verdict

	if l := w.locks[m.RepoID]; l != nil {
		li := &LockInfo{Thread: Sanitize(l.ThreadName), Node: w.f.NodeName(l.NodeID)}
		if !l.AcquiredAt.IsZero() && w.now.After(l.AcquiredAt) {
			li.Held = w.now.Sub(l.AcquiredAt)
		}
		li.Stuck = w.maxLock > 0 && li.Held > w.maxLock
		v.Lock = li
		line := "lock held " + ShortDuration(li.Held)
		if li.Thread != "" {
			line += " by " + li.Thread
		}
		if li.Node != "" {
			line += " on node " + li.Node
		}
		if li.Stuck {
			add(CauseLockStuck, line+" — likely stuck")
		} else {
			add(CauseSyncing, "being synced: "+line)
		}
	}
	if m.FailedSyncCount > 0 {
		line := "sync failing"
		var failing []string
		for _, n := range w.f.Nodes {
			if st := n.SyncOf(m.RepoID); st != nil && st.FailedSyncCount > 0 {
				failing = append(failing, n.Name)
			}
		}
		switch {
		case len(failing) > 0 && len(failing) <= 3:
			line += " on " + strings.Join(failing, ", ")
		case len(failing) > 3:
			line += fmt.Sprintf(" on %d nodes", len(failing))
		}
		line += fmt.Sprintf(" (%d failure%s, ", m.FailedSyncCount, plural(m.FailedSyncCount))
		if m.LastSyncDate.IsZero() {
			line += "never synced)"
		} else {
			line += "last success " + ShortDuration(w.now.Sub(m.LastSyncDate)) + " ago)"
		}
		add(CauseFailing, line)
	}
	if q := w.queue[m.RepoID]; q != nil {
		parts := []string{}
		if t := Sanitize(strings.ToUpper(q.Type)); t != "" {
			parts = append(parts, t)
		}
		if q.Attempt > 0 {
			parts = append(parts, "attempt "+strconv.Itoa(q.Attempt))
		}
		if !q.CreatedAt.IsZero() {
			parts = append(parts, ShortDuration(w.now.Sub(q.CreatedAt)))
		}
		line := "waiting in the queue"
		if len(parts) > 0 {
			line += " (" + strings.Join(parts, ", ") + ")"
		}
		add(CauseQueued, line)
	}
	if m.Kind == KindMissing || containsKind(m.Kinds, KindMissing) {
		missing := w.missingOn(m)
		if len(missing) > 0 && len(missing) < w.syncedNodes() {
			s := ""
			if len(missing) > 1 {
				s = "s"
			}
			add(CauseMissingSome, "missing on node"+s+" "+strings.Join(missing, ", ")+" only")
		}
	}
	if w.f.HasProgress && w.f.Progress.InitialSync() {
		add(CauseInitialSync, fmt.Sprintf("initial sync under way (%d of %d repositories)", w.f.Progress.SyncedRepos, w.f.Progress.TotalRepos))
	}
	var listedBy []string
	for _, n := range w.f.Nodes {
		if n.OutOfSync[m.RepoID] {
			listedBy = append(listedBy, Sanitize(n.Name))
		}
	}
	switch {
	case len(listedBy) > 0:
		add(CauseDelayed, "in delayed sync (out of sync on node "+strings.Join(listedBy, ", ")+" by the farm's own diagnostics)")
	case w.delayed[m.RepoID]:
		add(CauseDelayed, "in delayed sync")
	}
	if w.hashesUnknown(m) {
		add(CauseHashesUnknown, "hashes unknown (all zeros: Bitbucket computes them after the next change — harmless)")
	}
	order := []Cause{CauseLockStuck, CauseFailing, CauseQueued, CauseSyncing, CauseMissingSome, CauseInitialSync, CauseDelayed, CauseHashesUnknown}
	best := -1
	for i := range all {
		if best < 0 || causeRank(order, all[i].cause) < causeRank(order, all[best].cause) {
			best = i
		}
	}
	if best < 0 {
		v.Cause = CauseNone
		v.Line = "no cause found: not queued, not locked, no failures — the next full sync should pick it up"
	} else {
		v.Cause, v.Line = all[best].cause, all[best].line
	}
	for _, c := range order {
		for i := range all {
			if i != best && all[i].cause == c {
				v.Evidence = append(v.Evidence, all[i].line)
			}
		}
	}
	if w.f.Diagnostics == DiagnosticsOff {
		v.Evidence = append(v.Evidence, DiagnosticsOffText)
	}
	return v
}

func causeRank(order []Cause, c Cause) int {
	for i, o := range order {
		if o == c {
			return i
		}
	}
	return len(order)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func containsKind(ks []MismatchKind, k MismatchKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// syncedNodes counts the farm's nodes whose repository list is known.
func (w *Why) syncedNodes() int {
	c := 0
	for _, n := range w.f.Nodes {
		if n.HasSync {
			c++
		}
	}
	return c
}

// missingOn names the nodes that know their repository list but lack m.
func (w *Why) missingOn(m *Mismatch) []string {
	var out []string
	for _, n := range w.f.Nodes {
		if n.HasSync && n.SyncOf(m.RepoID) == nil {
			out = append(out, Sanitize(n.Name))
		}
	}
	return out
}

// hashesUnknown reports whether an affected node lists the repository with
// an unknown (empty or all-zero) content or metadata hash.
func (w *Why) hashesUnknown(m *Mismatch) bool {
	for _, name := range m.Nodes {
		n := w.f.Node(name)
		if n == nil {
			continue
		}
		if st := n.SyncOf(m.RepoID); st != nil && (HashUnknown(st.Hashes.Content) || HashUnknown(st.Hashes.Metadata)) {
			return true
		}
	}
	return false
}
