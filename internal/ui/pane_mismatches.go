package ui

import (
	"fmt"
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

func (mismatchesPane) columns() []column { return mismatchCols.Specs() }

// mismatchRow is what a Mismatches row's cells are made from, when it is
// first drawn, sorted or filtered: the mismatch, what several columns
// read, and its acknowledgement.
type mismatchRow struct {
	mm           *model.Mismatch
	since        time.Time
	alertAt      time.Time // zero: no lag alert
	label, nodes string
	ackUntil     time.Time
	acked        bool
}

// mismatchCols are the Mismatches pane's columns.
var mismatchCols = colList[mismatchRow]{
	{Column: column{Title: "REPOSITORY", Width: 22, Flex: true, Max: 60, Sort: 'R'},
		Cell: func(v mismatchRow) cell { return cell{text: v.label} },
		Key:  func(v mismatchRow) sortKey { return strKey(v.label) }},
	{Column: column{Title: "FARM", Width: 8, Sort: 'F'},
		Cell: func(v mismatchRow) cell { return cell{text: v.mm.Farm, tone: toneAccent} },
		Key:  func(v mismatchRow) sortKey { return strKey(v.mm.Farm) }},
	{Column: column{Title: "NODES", Width: 12, Prio: 2, Sort: 'N'},
		Cell: func(v mismatchRow) cell { return cell{text: v.nodes} },
		Key:  func(v mismatchRow) sortKey { return strKey(v.nodes) }},
	{Column: column{Title: "KIND", Width: 8, Sort: 'K'},
		Cell: func(v mismatchRow) cell { return cell{text: string(v.mm.Kind), tone: kindTone(v.mm.Kind)} },
		Key:  func(v mismatchRow) sortKey { return strKey(string(v.mm.Kind)) }},
	// Rows are filled only when drawn, sorted or filtered: the local
	// time is formatted for those alone.
	{Column: column{Title: "SINCE", Width: 8, Prio: 4, Sort: 'S'},
		Cell: func(v mismatchRow) cell { return cell{text: v.since.Local().Format("15:04:05"), tone: toneMuted} },
		Key:  func(v mismatchRow) sortKey { return numKey(float64(v.since.UnixNano())) }},
	{Column: column{Title: "LAG", Width: 8, Sort: 'L'},
		Cell: func(v mismatchRow) cell { return cell{since: v.since, tone: toneWarn, badAt: v.alertAt} },
		Key:  func(v mismatchRow) sortKey { return numKey(-float64(v.since.UnixNano())) }},
	{Column: column{Title: "FAILED", Width: 6, Right: true, Sort: 'C'},
		Cell: func(v mismatchRow) cell {
			if v.mm.FailedSyncCount > 0 {
				return cell{text: strconv.Itoa(v.mm.FailedSyncCount), tone: toneBad}
			}
			return cell{text: strconv.Itoa(v.mm.FailedSyncCount), tone: toneMuted}
		},
		Key: func(v mismatchRow) sortKey { return numKey(float64(v.mm.FailedSyncCount)) }},
	{Column: column{Title: "STATUS", Width: 17, Prio: 3, Sort: 'T'},
		Cell: func(v mismatchRow) cell {
			if v.acked {
				return cell{text: "ack'd until " + v.ackUntil.Local().Format("15:04"), tone: toneMuted}
			}
			st := v.mm.Status
			return cell{text: orDash(st), tone: stateTone(st), glyph: stateGlyph(st, stateTone(st))}
		},
		Key: func(v mismatchRow) sortKey { return strKey(v.mm.Status) }},
}

func (mismatchesPane) rows(m *Model) []row { return m.mismatchRows() }

func (mismatchesPane) fill(m *Model, src any) ([]cell, []sortKey) { return m.fillMismatch(src) }

// sharedRows captures what the rows are made from: each farm's
// mismatches (a list the state never writes to once made) and when each
// of its nodes' statuses were read, the acknowledgements, the lag
// threshold and the sync intervals.
func (mismatchesPane) sharedRows(m *Model) (string, func() []row) {
	in := mismatchInputs{maxLag: m.opt.Thresholds.MaxLag, acks: m.acks, interval: m.syncInterval}
	var b strings.Builder
	fmt.Fprintf(&b, "lag=%d acks=%s", in.maxLag, in.acks.sig)
	for _, f := range m.state.Farms {
		fmt.Fprintf(&b, "|%s:%d:%d", f.Name, f.MismatchGen, m.syncInterval(f.Name))
		at := make(map[string]time.Time, len(f.Nodes))
		for _, n := range f.Nodes {
			at[n.Name] = n.SyncAt
			fmt.Fprintf(&b, ",%s@%d", n.Name, n.SyncAt.UnixNano())
		}
		in.farms = append(in.farms, farmMismatches{name: f.Name, ms: f.Mismatches, readAt: at})
	}
	return b.String(), in.rows
}

func (mismatchesPane) deps(s *model.State) []dep {
	out := []dep{{primaryOwner, "primary", s.Primary.Endpoints[model.EPRepos]}}
	for _, f := range s.Farms {
		out = append(out, farmDeps(f, model.EPSyncSettings)...)
		out = append(out, nodeDeps(f, model.EPRepoSyncStatus)...)
	}
	return out
}

// mismatchInputs are what the Mismatches rows are made from, captured
// from the state and the session (see sharedRows).
type mismatchInputs struct {
	farms    []farmMismatches
	maxLag   time.Duration
	acks     ackView
	interval func(farm string) time.Duration
}

// farmMismatches is one farm's part of mismatchInputs.
type farmMismatches struct {
	name   string
	ms     []model.Mismatch
	readAt map[string]time.Time // when each node's sync statuses were read
}

// mismatchRows makes the Mismatches rows from the state (on the event
// loop).
func (m *Model) mismatchRows() []row {
	_, build := mismatchesPane{}.sharedRows(m)
	return build()
}

// rows makes the rows from the captured inputs.
func (in mismatchInputs) rows() []row {
	// Each farm's mismatches are sorted already; several farms' are
	// merged (a sort of 300 000 would cost a round hundreds of
	// milliseconds of CPU).
	lists := make([][]model.Mismatch, len(in.farms))
	readAt := make(map[string]map[string]time.Time, len(in.farms))
	for i, f := range in.farms {
		lists[i] = f.ms
		readAt[f.name] = f.readAt
	}
	all := model.MergeWorstFirst(lists)
	// Rows carry their mismatch; cells and keys are made when a row is
	// drawn, sorted or filtered (fillMismatch), so a round that changes
	// 100 000 mismatches costs little more than this loop. A mismatch
	// first seen after its nodes were read is not confirmed by them yet.
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
			r.okUntil = mm.Since().Add(in.interval(mm.Farm))
		}
		if in.maxLag > 0 && !in.acks.acked(mm.Farm, mm.RepoID) {
			r.alertAt = mm.Since().Add(in.maxLag)
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
	v := mismatchRow{mm: mm, since: mm.Since(), label: model.RepoLabel(mm.ProjectKey, mm.Slug, mm.RepoID), nodes: strings.Join(mm.Nodes, ",")}
	v.ackUntil, v.acked = m.acks.repos[ackKey{mm.Farm, mm.RepoID}]
	if m.opt.Thresholds.MaxLag > 0 && !v.acked {
		v.alertAt = v.since.Add(m.opt.Thresholds.MaxLag)
	}
	return mismatchCols.Fill(v)
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
