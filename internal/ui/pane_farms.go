package ui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// farmsPane lists the farms, and the GitLab instances after them.
type farmsPane struct{}

func (farmsPane) info() paneInfo {
	return paneInfo{name: "Farms", cmd: "farms", fast: true, actions: []Action{ActSync}}
}

func (farmsPane) columns() []column { return farmCols.Specs() }

// farmRow is what a Farms row is made from: a farm (f set) or a GitLab
// instance (gl set), with what its cells read.
type farmRow struct {
	m    *Model
	name string
	f    *model.Farm
	h    model.FarmHealth
	ls   model.LagStats
	// synced, queue: a farm's progress and queue depth, with their sort
	// keys.
	synced    string
	syncedKey float64
	queue     string
	queueKey  float64
	queueTone tone
	gl        *gitlabSummary
}

// gitlabSummary is a GitLab instance's line in the Farms pane: its worst
// health, its mirrors healthy, by direction and alerting, and the oldest
// last success among those alerting.
type gitlabSummary struct {
	state                      string
	ok, total, push, pull, bad int
	oldest                     time.Time
}

// farmCols are the Farms pane's columns: each makes a farm's cell, or a
// GitLab instance's.
var farmCols = colList[*farmRow]{
	{Column: column{Title: "FARM", Width: 8, Sort: 'F'},
		Cell: func(v *farmRow) cell { return cell{text: v.name, tone: toneAccent} },
		Key:  func(v *farmRow) sortKey { return strKey(v.name) }},
	{Column: column{Title: "STATE", Width: 14, Fit: 42, Late: true, Sort: 'S'},
		Cell: func(v *farmRow) cell {
			if g := v.gl; g != nil {
				return cell{text: g.state, tone: healthTone(g.state), glyph: stateGlyph(g.state, healthTone(g.state))}
			}
			// Narrow, the judgement alone: the detail has both.
			st := v.h.State
			return cell{text: model.Sanitize(v.h.Label()), short: model.Sanitize(st), tone: stateTone(st), glyph: stateGlyph(st, stateTone(st))}
		},
		Key: func(v *farmRow) sortKey {
			if v.gl != nil {
				return strKey(v.gl.state)
			}
			return strKey(v.h.State)
		}},
	{Column: column{Title: "NODES", Width: 8, Fit: 13, Sort: 'N'},
		Cell: func(v *farmRow) cell {
			if g := v.gl; g != nil {
				return cell{text: fmt.Sprintf("%d/%d", g.ok, g.total)}
			}
			switch h := v.h; {
			case h.NodesUp < h.NodesPolled:
				return cell{text: h.NodesLabel(), tone: toneBad}
			case h.NodesPolled < h.NodesTotal:
				return cell{text: h.NodesLabel(), tone: toneMuted}
			}
			return cell{text: v.h.NodesLabel(), tone: toneOK}
		},
		Key: func(v *farmRow) sortKey {
			if v.gl != nil {
				return numKey(float64(v.gl.ok))
			}
			return numKey(float64(v.h.NodesUp))
		}},
	{Column: column{Title: "SYNCED", Width: 11, Flex: true, Max: 40, Prio: 3, Sort: 'Y'},
		Cell: func(v *farmRow) cell {
			if g := v.gl; g != nil {
				return cell{text: fmt.Sprintf("push %d · pull %d", g.push, g.pull)}
			}
			return cell{text: v.synced}
		},
		Key: func(v *farmRow) sortKey { return numKey(v.syncedKey) }},
	{Column: column{Title: "QUEUE", Width: 11, Prio: 2, Sort: 'Q'},
		Cell: func(v *farmRow) cell {
			if v.gl != nil {
				return cell{text: "-", tone: toneMuted}
			}
			return cell{text: v.queue, tone: v.queueTone}
		},
		Key: func(v *farmRow) sortKey { return numKey(v.queueKey) }},
	{Column: column{Title: "MISM", Width: 5, Right: true, Sort: 'M'},
		Cell: func(v *farmRow) cell {
			if g := v.gl; g != nil {
				return cell{text: fmt.Sprint(g.bad), tone: badTone(g.bad)}
			}
			if n := len(v.f.Mismatches); n > 0 {
				return cell{text: strconv.Itoa(n), tone: toneWarn}
			}
			return cell{text: "0", tone: toneOK}
		},
		Key: func(v *farmRow) sortKey {
			if v.gl != nil {
				return numKey(float64(v.gl.bad))
			}
			return numKey(float64(len(v.f.Mismatches)))
		}},
	{Column: column{Title: "WORST LAG", Width: 9, Sort: 'L'},
		Cell: func(v *farmRow) cell {
			if g := v.gl; g != nil {
				if g.oldest.IsZero() {
					return cell{text: "-", tone: toneMuted}
				}
				return cell{since: g.oldest, tone: toneBad}
			}
			if len(v.f.Mismatches) == 0 {
				return cell{text: "-", tone: toneMuted}
			}
			since := v.f.Mismatches[0].Since()
			lag := cell{since: since, tone: toneWarn}
			if maxLag := v.m.opt.Thresholds.MaxLag; maxLag > 0 {
				lag.badAt = since.Add(maxLag)
			}
			return lag
		},
		Key: func(v *farmRow) sortKey {
			if v.gl != nil {
				return numKey(-float64(v.gl.oldest.Unix()))
			}
			if len(v.f.Mismatches) == 0 {
				return numKey(0)
			}
			return numKey(-float64(v.f.Mismatches[0].Since().Unix()))
		}},
	{Column: column{Title: "LAYOUT", Width: 6, Prio: 4},
		Cell: func(v *farmRow) cell {
			if v.gl != nil {
				return cell{text: "GitLab", tone: toneMuted}
			}
			return cell{text: orDash(string(v.f.Layout)), tone: toneMuted}
		},
		Key: func(v *farmRow) sortKey {
			if v.gl != nil {
				return strKey("gitlab")
			}
			return strKey(string(v.f.Layout))
		}},
	{Column: column{Title: "CERT", Width: 5, Right: true, Prio: 5, Sort: 'C'},
		Cell: func(v *farmRow) cell {
			if v.gl != nil {
				return cell{text: "-", tone: toneMuted}
			}
			return v.m.certCell(v.f.CertExpiry)
		},
		Key: func(v *farmRow) sortKey {
			if v.gl != nil {
				return numKey(0)
			}
			return numKey(float64(v.f.CertExpiry.Unix()))
		}},
	lagCol(column{Title: "LAG P50", Width: 7, Prio: 6, Extra: true, Sort: 'P'}, func(ls model.LagStats) time.Duration { return ls.P50 }),
	lagCol(column{Title: "P95", Width: 7, Prio: 6, Extra: true}, func(ls model.LagStats) time.Duration { return ls.P95 }),
}

func (farmsPane) rows(m *Model) []row { return append(m.farmRows(), m.gitlabOverviewRows()...) }

func (farmsPane) deps(s *model.State) []dep {
	var out []dep
	for _, f := range s.Farms {
		out = append(out, farmDeps(f, model.EPProgress, model.EPQueueCount)...)
		out = append(out, nodeDeps(f, model.EPStatus)...)
	}
	return out
}

func (m *Model) farmRows() []row {
	s := m.state
	rows := make([]row, 0, len(s.Farms))
	for _, f := range s.Farms {
		v := &farmRow{m: m, name: f.Name, f: f, h: f.Health(), ls: f.LagStats(m.now), synced: "-", queue: "-", queueKey: -1}
		if f.HasProgress {
			p := f.Progress
			switch {
			case p.Discovering:
				v.synced = fmt.Sprintf("discovering %d", p.SyncedRepos)
			case p.InitialSync():
				v.synced = bar(p.SyncedRepos, p.TotalRepos, 6) + fmt.Sprintf(" %d/%d", p.SyncedRepos, p.TotalRepos)
				if rate, eta, ok := f.SyncRate(); ok {
					v.synced += fmt.Sprintf(" %.1f/s ETA %s", rate, FormatDuration(eta))
				}
			default:
				v.synced = fmt.Sprintf("%d/%d", p.SyncedRepos, p.TotalRepos)
			}
			if p.TotalRepos > 0 {
				v.syncedKey = float64(p.SyncedRepos) / float64(p.TotalRepos)
			}
		}
		if f.HasQueueDepth {
			v.queue = fmt.Sprintf("%-4d %s", f.QueueDepth, sparkline(f.QueueHistory.Samples(), 6))
			v.queueKey = float64(f.QueueDepth)
			if m.opt.Thresholds.MaxQueue > 0 && f.QueueDepth > m.opt.Thresholds.MaxQueue {
				v.queueTone = toneBad
			}
		}
		h := v.h
		r := rowOf(farmSubject{f.Name}, farmCols, v)
		r.alert = m.alertFarms[f.Name]
		if stateTone(h.State) == toneOK && h.NodesUp == h.NodesPolled && !r.alert && v.queueTone != toneBad {
			r.okUntil = okForever
		}
		rows = append(rows, r)
	}
	return rows
}

// lagCol is a column of one figure of a farm's lag distribution. A GitLab
// instance has none: its cell is empty and it sorts level with every row.
func lagCol(c column, pick func(model.LagStats) time.Duration) col[*farmRow] {
	return col[*farmRow]{Column: c,
		Cell: func(v *farmRow) cell {
			if v.gl != nil {
				return cell{}
			}
			return v.m.lagCell(pick(v.ls))
		},
		Key: func(v *farmRow) sortKey {
			if v.gl != nil {
				return sortKey{}
			}
			return numKey(float64(pick(v.ls)))
		}}
}
