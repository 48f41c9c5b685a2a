package model

import (
	"cmp"
	"slices"
	"time"
)

// MismatchKind says how a mirrored repository differs from the primary.
type MismatchKind string

// Mismatch kinds, from most to least severe.
const (
	KindMissing  MismatchKind = "missing"
	KindContent  MismatchKind = "content"
	KindMetadata MismatchKind = "metadata"
)

func kindRank(k MismatchKind) int {
	switch k {
	case KindMissing:
		return 3
	case KindContent:
		return 2
	case KindMetadata:
		return 1
	}
	return 0
}

// Mismatch is one repository of a farm whose copy on one or more nodes
// differs from the primary or is absent.
type Mismatch struct {
	Farm       string
	RepoID     string
	ProjectKey string
	Slug       string
	// Kind is the most severe kind across the affected nodes; Kinds lists
	// every kind seen, most severe first.
	Kind  MismatchKind
	Kinds []MismatchKind
	// Nodes are the affected nodes, in farm order.
	Nodes []string
	// PrimaryHash and MirrorHash are the hashes of Kind's side (content or
	// metadata) on the primary and on the first affected node; MirrorHash is
	// empty for a missing repository.
	PrimaryHash string
	MirrorHash  string
	// LastSyncDate is the oldest last sync among affected nodes that list
	// the repository; zero when none does.
	LastSyncDate time.Time
	// FailedSyncCount is the largest failed sync count among affected nodes.
	FailedSyncCount int
	// Status is the worst mirror repository status among the affected
	// nodes (MISSING where a node lacks the repository).
	Status string
	// FirstSeen is when mirrortop first saw this mismatch.
	FirstSeen time.Time
	// QueuedAt is when the farm took in the change, when its ref-changes
	// queue or its sync locks show it; zero otherwise.
	QueuedAt time.Time
}

// Since is the earliest evidence of the mismatch: when the farm queued the
// change, or else when mirrortop first saw it.
func (m Mismatch) Since() time.Time {
	if !m.QueuedAt.IsZero() && (m.FirstSeen.IsZero() || m.QueuedAt.Before(m.FirstSeen)) {
		return m.QueuedAt
	}
	return m.FirstSeen
}

// Lag is how long the repository has been out of sync at now, as far as the
// evidence goes (see Since).
func (m Mismatch) Lag(now time.Time) time.Duration {
	since := m.Since()
	if since.IsZero() || now.Before(since) {
		return 0
	}
	return now.Sub(since)
}

// SyncLag is how long ago the affected copy last synced, or 0 when unknown.
func (m Mismatch) SyncLag(now time.Time) time.Duration {
	if m.LastSyncDate.IsZero() || now.Before(m.LastSyncDate) {
		return 0
	}
	return now.Sub(m.LastSyncDate)
}

// NodeSync is one node's sync status list, as input to Diff.
type NodeSync struct {
	Name     string
	Statuses []*RepoSyncStatus
	// index, when set, maps repository ids to positions in Statuses.
	index map[string]int32
}

// indexSync maps repository ids to their positions.
func indexSync(ss []*RepoSyncStatus) map[string]int32 {
	m := make(map[string]int32, len(ss))
	for j := range ss {
		m[ss[j].ExternalRepoID] = int32(j)
	}
	return m
}

// sameIDs reports whether two sync lists name the same repositories in the
// same order, so that an index of one serves the other. Lists read with
// shared strings compare at pointer speed.
func sameIDs(a, b []*RepoSyncStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ExternalRepoID != b[i].ExternalRepoID {
			return false
		}
	}
	return true
}

// DiffResult is the outcome of comparing a farm with the primary.
type DiffResult struct {
	// Mismatches in primary repository order.
	Mismatches []Mismatch
	// RepoStatus counts mirrored repositories by their worst status across
	// the nodes (MISSING when a node lacks one).
	RepoStatus map[string]int
	// Compared is how many mirrored repositories were compared.
	Compared int
	// Unknown counts compared repositories that are not mismatched but
	// whose content or metadata hash is unknown on the primary or a node:
	// they cannot be called in sync.
	Unknown int
}

// Diff compares the primary's repositories with the sync status of each node
// of a farm. With settings nil (not known), only repositories that at least
// one node lists are compared, so that nothing is called missing on a guess;
// otherwise every repository of a mirrored project is. A repository whose
// hash is unknown on either side is neither in sync nor a mismatch for that
// hash. During a farm's initial sync (initialSync true) a repository that a
// node does not list yet is counted as INITIALIZING, not as missing.
func Diff(primary []Repo, settings *SyncSettings, nodes []NodeSync, initialSync bool) DiffResult {
	return diff(primary, settings, nodes, initialSync, 0)
}

// one holds single-element slices shared by the mismatches that have only
// one kind: they are never written (an append to a full slice copies).
var one = map[MismatchKind][]MismatchKind{KindMissing: {KindMissing}, KindContent: {KindContent}, KindMetadata: {KindMetadata}}

// diff is Diff with room made for capHint mismatches (the previous round's
// count), since growing a list of 100 000 of them copies it over and over.
func diff(primary []Repo, settings *SyncSettings, nodes []NodeSync, initialSync bool, capHint int) DiffResult {
	res := DiffResult{RepoStatus: map[string]int{}, Mismatches: make([]Mismatch, 0, capHint)}
	// Affected-node lists of one node are shared in the same way.
	oneNode := make([][]string, len(nodes))
	for i := range nodes {
		oneNode[i] = []string{nodes[i].Name}
	}
	if len(nodes) == 0 {
		return res
	}
	index := make([]map[string]int32, len(nodes))
	for i, n := range nodes {
		if n.index != nil {
			index[i] = n.index
		} else {
			index[i] = indexSync(n.Statuses)
		}
	}
	// Nodes usually list repositories in the primary's order: each node's
	// cursor guesses the next position before the index is asked.
	cursor := make([]int, len(nodes))
	find := func(i int, id string) (int32, bool) {
		ss := nodes[i].Statuses
		if c := cursor[i]; c < len(ss) && ss[c].ExternalRepoID == id {
			cursor[i] = c + 1
			return int32(c), true
		}
		j, ok := index[i][id]
		if ok {
			cursor[i] = int(j) + 1
		}
		return j, ok
	}
	var projects map[string]bool
	if settings != nil && !settings.AllProjects() {
		projects = make(map[string]bool, len(settings.ProjectIDs))
		for _, id := range settings.ProjectIDs {
			projects[id] = true
		}
	}
	type hit struct {
		node int
		kind MismatchKind
	}
	hits := make([]hit, 0, len(nodes)*2)
	found := make([]int32, 0, len(nodes)) // per node, the repository's position
	listed := make([]bool, 0, len(nodes)) // per node, whether it lists it
	var counts [6]int                     // by statusRank
	for ri := range primary {
		r := &primary[ri]
		// Without the farm's settings, or (from the repo-hashes fallback)
		// without the repository's project, "mirrored" can only mean
		// that a node lists it.
		byListing := settings == nil || (projects != nil && r.ProjectID == "")
		if !byListing && projects != nil && !projects[r.ProjectID] {
			continue
		}
		found, listed = found[:0], listed[:0]
		anyListed := false
		for i := range nodes {
			j, ok := find(i, r.ID)
			found, listed = append(found, j), append(listed, ok)
			anyListed = anyListed || ok
		}
		if byListing && !anyListed {
			continue
		}
		res.Compared++
		hits = hits[:0]
		worstStatus := ""
		unknown := false
		for i := range nodes {
			j := found[i]
			if !listed[i] {
				if initialSync {
					worstStatus = worseStatus(worstStatus, RepoInitializing)
					continue
				}
				hits = append(hits, hit{i, KindMissing})
				worstStatus = worseStatus(worstStatus, RepoMissing)
				continue
			}
			st := nodes[i].Statuses[j]
			worstStatus = worseStatus(worstStatus, st.Status())
			switch CompareHash(r.Hashes.Content, st.Hashes.Content) {
			case HashDiffer:
				hits = append(hits, hit{i, KindContent})
			case HashUnknownState:
				unknown = true
			}
			switch CompareHash(r.Hashes.Metadata, st.Hashes.Metadata) {
			case HashDiffer:
				hits = append(hits, hit{i, KindMetadata})
			case HashUnknownState:
				unknown = true
			}
		}
		counts[statusRank(worstStatus)]++
		if len(hits) == 0 {
			if unknown {
				res.Unknown++
			}
			continue
		}
		m := Mismatch{RepoID: r.ID, ProjectKey: r.ProjectKey, Slug: r.Slug}
		for _, h := range hits {
			if kindRank(h.kind) > kindRank(m.Kind) {
				m.Kind = h.kind
			}
			switch {
			case m.Kinds == nil && one[h.kind] != nil:
				m.Kinds = one[h.kind]
			case !slices.Contains(m.Kinds, h.kind):
				m.Kinds = append(m.Kinds, h.kind)
			}
			name := nodes[h.node].Name
			switch {
			case m.Nodes == nil:
				m.Nodes = oneNode[h.node]
			case !slices.Contains(m.Nodes, name):
				m.Nodes = append(m.Nodes, name)
			}
			if h.kind == KindMissing {
				m.Status = worseStatus(m.Status, RepoMissing)
				continue
			}
			st := nodes[h.node].Statuses[found[h.node]]
			m.Status = worseStatus(m.Status, st.Status())
			if last := st.LastSyncDate.Time(); !last.IsZero() && (m.LastSyncDate.IsZero() || last.Before(m.LastSyncDate)) {
				m.LastSyncDate = last
			}
			m.FailedSyncCount = max(m.FailedSyncCount, int(st.FailedSyncCount))
		}
		if len(m.Kinds) > 1 { // a fresh slice: single ones are shared
			slices.SortFunc(m.Kinds, func(a, b MismatchKind) int { return kindRank(b) - kindRank(a) })
		}
		for _, h := range hits {
			if h.kind != m.Kind {
				continue
			}
			switch h.kind {
			case KindContent:
				m.PrimaryHash = r.Hashes.Content
				m.MirrorHash = nodes[h.node].Statuses[found[h.node]].Hashes.Content
			case KindMetadata:
				m.PrimaryHash = r.Hashes.Metadata
				m.MirrorHash = nodes[h.node].Statuses[found[h.node]].Hashes.Metadata
			case KindMissing:
				m.PrimaryHash = r.Hashes.Content
			}
			break
		}
		res.Mismatches = append(res.Mismatches, m)
	}
	for rank, n := range counts {
		if n > 0 {
			res.RepoStatus[statusNames[rank]] += n
		}
	}
	return res
}

// statusNames are the statuses by statusRank.
var statusNames = [6]string{"", RepoAvailable, RepoInitializing, RepoMissing, RepoErrorAvailable, RepoErrorInitializing}

func statusRank(s string) int {
	switch s {
	case RepoErrorInitializing:
		return 5
	case RepoErrorAvailable:
		return 4
	case RepoMissing:
		return 3
	case RepoInitializing:
		return 2
	case RepoAvailable:
		return 1
	}
	return 0
}

func worseStatus(a, b string) string {
	if statusRank(b) > statusRank(a) {
		return b
	}
	return a
}

// SortWorstFirst orders mismatches worst lag first: out of sync longest
// first (see Since), then most failed syncs, then oldest last sync, then most
// severe kind, then repository id; equal ones keep their order. It sorts
// positions rather than the (large) values and moves each value once, so a
// 100 000-row sort stays a few tens of milliseconds.
func SortWorstFirst(ms []Mismatch) {
	if len(ms) < 2 {
		return
	}
	since := make([]time.Time, len(ms))
	perm := make([]int32, len(ms))
	for i := range ms {
		since[i] = ms[i].Since()
		perm[i] = int32(i)
	}
	slices.SortFunc(perm, func(i, j int32) int {
		if c := since[i].Compare(since[j]); c != 0 {
			return c
		}
		if c := compareTies(&ms[i], &ms[j]); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	sorted := make([]Mismatch, len(ms))
	for k, i := range perm {
		sorted[k] = ms[i]
	}
	copy(ms, sorted)
}

// MergeWorstFirst merges lists each sorted worst first (SortWorstFirst)
// into one list of pointers in the same order, as a stable sort of the
// lists one after another would give: of equal mismatches, the earlier
// list's come first. With k lists of n mismatches in all it takes about
// n·k comparisons (k is a few farms), against n·log n and more for a sort.
func MergeWorstFirst(lists [][]Mismatch) []*Mismatch {
	n := 0
	heads := make([][]Mismatch, 0, len(lists))
	for _, l := range lists {
		n += len(l)
		if len(l) > 0 {
			heads = append(heads, l)
		}
	}
	out := make([]*Mismatch, 0, n)
	for len(heads) > 1 {
		best := 0
		for i := 1; i < len(heads); i++ {
			if CompareWorst(&heads[i][0], &heads[best][0]) < 0 { // ties: the earlier list
				best = i
			}
		}
		out = append(out, &heads[best][0])
		if heads[best] = heads[best][1:]; len(heads[best]) == 0 {
			heads = slices.Delete(heads, best, best+1)
		}
	}
	for _, l := range heads {
		for i := range l {
			out = append(out, &l[i])
		}
	}
	return out
}

// CompareWorst orders two mismatches as SortWorstFirst does: negative when
// a is worse (comes first), zero when they tie.
func CompareWorst(a, b *Mismatch) int {
	if c := a.Since().Compare(b.Since()); c != 0 {
		return c
	}
	return compareTies(a, b)
}

// compareTies orders mismatches out of sync for as long: most failed syncs,
// oldest last sync, most severe kind, then repository id.
func compareTies(a, b *Mismatch) int {
	if c := b.FailedSyncCount - a.FailedSyncCount; c != 0 {
		return c
	}
	if c := compareOldestFirst(a.LastSyncDate, b.LastSyncDate); c != 0 {
		return c
	}
	if c := kindRank(b.Kind) - kindRank(a.Kind); c != 0 {
		return c
	}
	if c := cmp.Compare(len(a.RepoID), len(b.RepoID)); c != 0 {
		return c
	}
	return cmp.Compare(a.RepoID, b.RepoID)
}

// compareOldestFirst orders times ascending with the zero time (never
// synced) first, as the worst.
func compareOldestFirst(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return -1
	case b.IsZero():
		return 1
	}
	return a.Compare(b)
}
