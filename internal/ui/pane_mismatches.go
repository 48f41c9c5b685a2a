package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// mismatchesPane lists every farm's mismatched repositories, worst first.
// Its rows are made lazily (100 000 of them cost little until drawn) and
// rebuilt only when a farm's mismatches or the acknowledgements changed.
type mismatchesPane struct{}

func (mismatchesPane) info() paneInfo {
	return paneInfo{name: "Mismatches", cmd: "mismatches", counted: true,
		empty:   "no mismatches: every compared repository matches the primary",
		actions: []Action{ActSync, ActResolve}}
}

func (mismatchesPane) columns() []column {
	return []column{
		{Title: "REPOSITORY", Width: 22, Flex: true, Max: 60, Sort: 'R'},
		{Title: "FARM", Width: 8, Sort: 'F'},
		{Title: "NODES", Width: 12, Prio: 2, Sort: 'N'},
		{Title: "KIND", Width: 8, Sort: 'K'},
		{Title: "SINCE", Width: 8, Prio: 4, Sort: 'S'},
		{Title: "LAG", Width: 8, Sort: 'L'},
		{Title: "FAILED", Width: 6, Right: true, Sort: 'C'},
		{Title: "STATUS", Width: 17, Prio: 3, Sort: 'T'},
	}
}

func (mismatchesPane) rows(m *Model) []row { return m.mismatchRows() }

func (mismatchesPane) fill(m *Model, src any) ([]cell, []sortKey) { return m.fillMismatch(src) }

// due compares the farms' mismatch generations with those the rows were
// built from.
func (mismatchesPane) due(m *Model, acks bool) bool {
	gens := make([]uint64, len(m.state.Farms))
	changed := acks || len(gens) != len(m.mismatchGen)
	for i, f := range m.state.Farms {
		gens[i] = f.MismatchGen
		changed = changed || gens[i] != m.mismatchGen[i]
	}
	m.mismatchGen = gens
	return changed
}

func (mismatchesPane) deps(s *model.State) []dep {
	out := []dep{{primaryOwner, "primary", s.Primary.Endpoints[model.EPRepos]}}
	for _, f := range s.Farms {
		out = append(out, farmDeps(f, model.EPSyncSettings)...)
		out = append(out, nodeDeps(f, model.EPRepoSyncStatus)...)
	}
	return out
}

func (m *Model) mismatchRows() []row {
	// Each farm's mismatches are sorted already; only several farms' need
	// merging, and that sorts pointers rather than the values.
	n, farms := 0, 0
	for _, f := range m.state.Farms {
		n += len(f.Mismatches)
		if len(f.Mismatches) > 0 {
			farms++
		}
	}
	all := make([]*model.Mismatch, 0, n)
	for _, f := range m.state.Farms {
		for i := range f.Mismatches {
			all = append(all, &f.Mismatches[i])
		}
	}
	if farms > 1 {
		slices.SortStableFunc(all, model.CompareWorst)
	}
	// Rows carry their mismatch; cells and keys are made when a row is
	// drawn, sorted or filtered (fillMismatch), so a round that changes
	// 100 000 mismatches costs the event loop little more than this loop.
	// When each node's sync statuses were last read, per farm: a mismatch
	// first seen after its nodes were read is not confirmed by them yet.
	readAt := map[string]map[string]time.Time{}
	for _, f := range m.state.Farms {
		at := make(map[string]time.Time, len(f.Nodes))
		for _, n := range f.Nodes {
			at[n.Name] = n.SyncAt
		}
		readAt[f.Name] = at
	}
	rows := make([]row, len(all))
	for i, mm := range all {
		r := &rows[i]
		r.src, r.subj = mm, mismatchSubject{mm}
		r.id = r.subj.key()
		// A push in flight is no problem until it is older than one sync
		// interval: a change the farm has queued and not failed, or one
		// that no node has been read since (the node may well have
		// synced it meanwhile; the next reading says).
		if mm.FailedSyncCount == 0 && (!mm.QueuedAt.IsZero() || unconfirmed(mm, readAt[mm.Farm])) {
			r.okUntil = mm.Since().Add(m.syncInterval(mm.Farm))
		}
		if m.opt.Thresholds.MaxLag > 0 && !m.acks.acked(mm.Farm, mm.RepoID) {
			r.alertAt = mm.Since().Add(m.opt.Thresholds.MaxLag)
		}
	}
	return rows
}

// unconfirmed reports whether every node a mismatch is on was last read
// before the mismatch was first seen: it rests on the primary's newer list
// alone.
func unconfirmed(mm *model.Mismatch, readAt map[string]time.Time) bool {
	if mm.FirstSeen.IsZero() || len(mm.Nodes) == 0 {
		return false
	}
	for _, n := range mm.Nodes {
		if !readAt[n].Before(mm.FirstSeen) {
			return false
		}
	}
	return true
}

// fillMismatch makes the cells and sort keys of a mismatch row.
func (m *Model) fillMismatch(src any) ([]cell, []sortKey) {
	mm := src.(*model.Mismatch)
	since := mm.Since()
	var alertAt time.Time
	if m.opt.Thresholds.MaxLag > 0 {
		alertAt = since.Add(m.opt.Thresholds.MaxLag)
	}
	failTone := toneMuted
	if mm.FailedSyncCount > 0 {
		failTone = toneBad
	}
	status := cell{text: orDash(mm.Status), tone: stateTone(mm.Status), glyph: stateGlyph(mm.Status, stateTone(mm.Status))}
	if until, ok := m.acks.repos[ackKey{mm.Farm, mm.RepoID}]; ok {
		status = cell{text: "ack'd until " + until.Local().Format("15:04"), tone: toneMuted}
		alertAt = time.Time{}
	}
	label, nodes := model.RepoLabel(mm.ProjectKey, mm.Slug, mm.RepoID), strings.Join(mm.Nodes, ",")
	rc, rk := make([]cell, 8), make([]sortKey, 8)
	rc[0], rc[1], rc[2] = cell{text: label}, cell{text: mm.Farm, tone: toneAccent}, cell{text: nodes}
	rc[3] = cell{text: string(mm.Kind), tone: kindTone(mm.Kind)}
	rc[4] = cell{text: since.Local().Format("15:04:05"), tone: toneMuted} // rows are filled only when drawn, sorted or filtered
	rc[5] = cell{since: since, tone: toneWarn, badAt: alertAt}
	rc[6] = cell{text: strconv.Itoa(mm.FailedSyncCount), tone: failTone}
	rc[7] = status
	rk[0], rk[1], rk[2], rk[3] = strKey(label), strKey(mm.Farm), strKey(nodes), strKey(string(mm.Kind))
	rk[4], rk[5] = numKey(float64(since.UnixNano())), numKey(-float64(since.UnixNano()))
	rk[6], rk[7] = numKey(float64(mm.FailedSyncCount)), strKey(mm.Status)
	return rc, rk
}

func kindTone(k model.MismatchKind) tone {
	switch k {
	case model.KindMissing:
		return toneBad
	case model.KindContent:
		return toneWarn
	}
	return toneNormal
}
