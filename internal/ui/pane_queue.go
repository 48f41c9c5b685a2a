package ui

import (
	"fmt"
	"strconv"

	"github.com/mirrortop/mirrortop/internal/model"
)

// queuePane lists the ref changes the farms have queued.
type queuePane struct{}

func (queuePane) info() paneInfo {
	return paneInfo{name: "Queue", cmd: "queue", fast: true, counted: true,
		empty: "no ref changes waiting", actions: []Action{ActSync}}
}

func (queuePane) columns() []column {
	return []column{
		{Title: "FARM", Width: 8, Sort: 'F'},
		{Title: "REPOSITORY", Width: 24, Flex: true, Max: 60, Sort: 'R'},
		{Title: "TYPE", Width: 11, Sort: 'T'},
		{Title: "ATTEMPT", Width: 7, Right: true, Sort: 'A'},
		{Title: "AGE", Width: 8, Sort: 'E'},
	}
}

func (queuePane) rows(m *Model) []row { return m.queueRows() }

func (queuePane) deps(s *model.State) []dep {
	var out []dep
	for _, f := range s.Farms {
		out = append(out, farmDeps(f, model.EPQueue, model.EPQueueCount)...)
	}
	return out
}

// titleExtra is each farm's queue depth and its history.
func (queuePane) titleExtra(m *Model) []string {
	var out []string
	for _, f := range m.state.Farms {
		if f.HasQueueDepth {
			out = append(out, fmt.Sprintf("%s %d %s", f.Name, f.QueueDepth, sparkline(f.QueueHistory.Samples(), 12)))
		}
	}
	return out
}

func (m *Model) queueRows() []row {
	var rows []row
	for _, f := range m.state.Farms {
		// Ids name the item, not its position, so that the selection stays
		// on it while the queue drains; repeats of an item are numbered.
		seen := map[string]int{}
		for _, q := range f.Queue {
			seen[q.ExternalRepoID]++
			name := "#" + model.Sanitize(q.ExternalRepoID)
			if r := m.repoByID(q.ExternalRepoID); r != nil {
				name = model.RepoLabel(r.ProjectKey, r.Slug, r.ID)
			}
			age := cell{text: "-", tone: toneMuted}
			if !q.CreatedAt.IsZero() {
				age = cell{since: q.CreatedAt}
			}
			attemptTone := toneNormal
			if q.Attempt > 1 {
				attemptTone = toneWarn
			}
			r := newRow(queueSubject{farm: f.Name, repo: q.ExternalRepoID, n: seen[q.ExternalRepoID]}, []cell{
				{text: f.Name, tone: toneAccent},
				{text: name},
				{text: model.Sanitize(q.Type), tone: toneMuted},
				{text: strconv.Itoa(q.Attempt), tone: attemptTone},
				age,
			}, []sortKey{strKey(f.Name), strKey(name), strKey(q.Type), numKey(float64(q.Attempt)), numKey(-float64(q.CreatedAt.UnixNano()))})
			// A first attempt younger than one sync interval is normal work.
			if q.Attempt <= 1 && !q.CreatedAt.IsZero() {
				r.okUntil = q.CreatedAt.Add(m.syncInterval(f.Name))
			}
			rows = append(rows, r)
		}
	}
	return rows
}
