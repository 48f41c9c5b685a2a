package ui

import (
	"fmt"
	"strconv"

	"github.com/mirrortop/mirrortop/internal/model"
)

// farmsPane lists the farms, and the GitLab instances after them.
type farmsPane struct{}

func (farmsPane) info() paneInfo {
	return paneInfo{name: "Farms", cmd: "farms", fast: true, actions: []Action{ActSync}}
}

func (farmsPane) columns() []column {
	return []column{
		{Title: "FARM", Width: 8, Sort: 'F'},
		{Title: "STATE", Width: 14, Fit: 42, Late: true, Sort: 'S'},
		{Title: "NODES", Width: 8, Fit: 13, Sort: 'N'},
		{Title: "SYNCED", Width: 11, Flex: true, Max: 40, Prio: 3, Sort: 'Y'},
		{Title: "QUEUE", Width: 11, Prio: 2, Sort: 'Q'},
		{Title: "MISM", Width: 5, Right: true, Sort: 'M'},
		{Title: "WORST LAG", Width: 9, Sort: 'L'},
		{Title: "LAYOUT", Width: 6, Prio: 4},
		{Title: "CERT", Width: 5, Right: true, Prio: 5, Sort: 'C'},
		{Title: "LAG P50", Width: 7, Prio: 6, Extra: true, Sort: 'P'},
		{Title: "P95", Width: 7, Prio: 6, Extra: true},
	}
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
		h := f.Health()
		nodesTone := toneOK
		switch {
		case h.NodesUp < h.NodesPolled:
			nodesTone = toneBad
		case h.NodesPolled < h.NodesTotal:
			nodesTone = toneMuted
		}
		synced, syncedKey := "-", 0.0
		if f.HasProgress {
			p := f.Progress
			switch {
			case p.Discovering:
				synced = fmt.Sprintf("discovering %d", p.SyncedRepos)
			case p.InitialSync():
				synced = bar(p.SyncedRepos, p.TotalRepos, 6) + fmt.Sprintf(" %d/%d", p.SyncedRepos, p.TotalRepos)
				if rate, eta, ok := f.SyncRate(); ok {
					synced += fmt.Sprintf(" %.1f/s ETA %s", rate, FormatDuration(eta))
				}
			default:
				synced = fmt.Sprintf("%d/%d", p.SyncedRepos, p.TotalRepos)
			}
			if p.TotalRepos > 0 {
				syncedKey = float64(p.SyncedRepos) / float64(p.TotalRepos)
			}
		}
		queue, queueKey, queueTone := "-", -1.0, toneNormal
		if f.HasQueueDepth {
			queue = fmt.Sprintf("%-4d %s", f.QueueDepth, sparkline(f.QueueHistory.Samples(), 6))
			queueKey = float64(f.QueueDepth)
			if m.opt.Thresholds.MaxQueue > 0 && f.QueueDepth > m.opt.Thresholds.MaxQueue {
				queueTone = toneBad
			}
		}
		mmTone := toneOK
		if len(f.Mismatches) > 0 {
			mmTone = toneWarn
		}
		lag := cell{text: "-", tone: toneMuted}
		var lagKey float64
		if len(f.Mismatches) > 0 {
			since := f.Mismatches[0].Since()
			lag = cell{since: since, tone: toneWarn}
			if m.opt.Thresholds.MaxLag > 0 {
				lag.badAt = since.Add(m.opt.Thresholds.MaxLag)
			}
			lagKey = -float64(since.Unix())
		}
		ls := f.LagStats(m.now)
		r := newRow(farmSubject{f.Name}, []cell{
			{text: f.Name, tone: toneAccent},
			// Narrow, the judgement alone: the detail has both.
			{text: model.Sanitize(h.Label()), short: model.Sanitize(h.State), tone: stateTone(h.State), glyph: stateGlyph(h.State, stateTone(h.State))},
			{text: h.NodesLabel(), tone: nodesTone},
			{text: synced},
			{text: queue, tone: queueTone},
			{text: strconv.Itoa(len(f.Mismatches)), tone: mmTone},
			lag,
			{text: orDash(string(f.Layout)), tone: toneMuted},
			m.certCell(f.CertExpiry),
			m.lagCell(ls.P50), m.lagCell(ls.P95),
		}, []sortKey{strKey(f.Name), strKey(h.State), numKey(float64(h.NodesUp)), numKey(syncedKey), numKey(queueKey),
			numKey(float64(len(f.Mismatches))), numKey(lagKey), strKey(string(f.Layout)), numKey(float64(f.CertExpiry.Unix())),
			numKey(float64(ls.P50)), numKey(float64(ls.P95))})
		r.alert = m.alertFarms[f.Name]
		if stateTone(h.State) == toneOK && h.NodesUp == h.NodesPolled && !r.alert && queueTone != toneBad {
			r.okUntil = okForever
		}
		rows = append(rows, r)
	}
	return rows
}
