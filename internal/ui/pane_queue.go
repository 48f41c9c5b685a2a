package ui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// queuePane lists the ref changes the farms have queued.
type queuePane struct{}

func (queuePane) info() paneInfo {
	return paneInfo{name: "Queue", cmd: "queue", fast: true, counted: true,
		empty: "no ref changes waiting", actions: []Action{ActSync}}
}

func (queuePane) columns() []column { return queueCols.Specs() }

// queueRow is what a Queue row is made from: a farm's queued item and the
// name of its repository.
type queueRow struct {
	farm string
	q    *model.QueueItem
	name string
}

// queueCols are the Queue pane's columns.
var queueCols = colList[queueRow]{
	{Column: column{Title: "FARM", Width: 8, Sort: 'F'},
		Cell: func(v queueRow) cell { return cell{text: v.farm, tone: toneAccent} },
		Key:  func(v queueRow) sortKey { return strKey(v.farm) }},
	{Column: column{Title: "REPOSITORY", Width: 24, Flex: true, Max: 60, Sort: 'R'},
		Cell: func(v queueRow) cell { return cell{text: v.name} },
		Key:  func(v queueRow) sortKey { return strKey(v.name) }},
	{Column: column{Title: "TYPE", Width: 11, Sort: 'T'},
		Cell: func(v queueRow) cell { return cell{text: model.Sanitize(v.q.Type), tone: toneMuted} },
		Key:  func(v queueRow) sortKey { return strKey(v.q.Type) }},
	{Column: column{Title: "ATTEMPT", Width: 7, Right: true, Sort: 'A'},
		Cell: func(v queueRow) cell {
			if v.q.Attempt > 1 {
				return cell{text: strconv.Itoa(v.q.Attempt), tone: toneWarn}
			}
			return cell{text: strconv.Itoa(v.q.Attempt)}
		},
		Key: func(v queueRow) sortKey { return numKey(float64(v.q.Attempt)) }},
	{Column: column{Title: "AGE", Width: 8, Sort: 'E'},
		Cell: func(v queueRow) cell {
			if v.q.CreatedAt.IsZero() {
				return cell{text: "-", tone: toneMuted}
			}
			return cell{since: v.q.CreatedAt}
		},
		Key: func(v queueRow) sortKey { return numKey(-float64(v.q.CreatedAt.UnixNano())) }},
}

func (queuePane) rows(m *Model) []row { return m.queueRows() }

// sharedRows captures what the rows are made from: each farm's queue (a
// list the state replaces whole, so its address names it), the
// repository index the names come from, and the sync intervals.
func (queuePane) sharedRows(m *Model) (string, func() []row) {
	var b strings.Builder
	fmt.Fprintf(&b, "repos=%d", m.ver.reposAt.UnixNano())
	in := queueInputs{index: m.ver.repoIndex, interval: m.syncInterval}
	for _, f := range m.state.Farms {
		fmt.Fprintf(&b, "|%s:%p:%d:%d", f.Name, f.Queue, len(f.Queue), m.syncInterval(f.Name)) // %p: the list's first item
		in.farms = append(in.farms, farmQueue{name: f.Name, queue: f.Queue})
	}
	return b.String(), in.rows
}

// queueInputs are what the Queue rows are made from (see sharedRows).
type queueInputs struct {
	farms    []farmQueue
	index    map[string]*model.Repo
	interval func(farm string) time.Duration
}

// farmQueue is one farm's queue.
type farmQueue struct {
	name  string
	queue []model.QueueItem
}

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
	_, build := queuePane{}.sharedRows(m)
	return build()
}

// rows makes the rows from the captured inputs.
func (in queueInputs) rows() []row {
	var rows []row
	for _, f := range in.farms {
		// Ids name the item, not its position, so that the selection stays
		// on it while the queue drains; repeats of an item are numbered.
		seen := map[string]int{}
		for i := range f.queue {
			q := &f.queue[i]
			seen[q.ExternalRepoID]++
			name := "#" + model.Sanitize(q.ExternalRepoID)
			if r := in.index[q.ExternalRepoID]; r != nil {
				name = model.RepoLabel(r.ProjectKey, r.Slug, r.ID)
			}
			r := rowOf(queueSubject{farm: f.name, repo: q.ExternalRepoID, n: seen[q.ExternalRepoID]}, queueCols, queueRow{f.name, q, name})
			// A first attempt younger than one sync interval is normal work.
			if q.Attempt <= 1 && !q.CreatedAt.IsZero() {
				r.okUntil = q.CreatedAt.Add(in.interval(f.name))
			}
			rows = append(rows, r)
		}
	}
	return rows
}
