package ui

import (
	"strconv"

	"github.com/mirrortop/mirrortop/internal/model"
)

// requestsPane lists the mirror requests waiting at the primary.
type requestsPane struct{}

func (requestsPane) info() paneInfo {
	return paneInfo{name: "Requests", cmd: "requests", counted: true,
		empty: "no pending mirror requests", actions: []Action{ActApprove, ActReject}}
}

func (requestsPane) columns() []column { return requestCols.Specs() }

// requestCols are the Requests pane's columns, over the primary's mirror
// requests.
var requestCols = colList[*model.MirrorRequest]{
	{Column: column{Title: "ID", Width: 6, Sort: 'I'},
		Cell: func(r *model.MirrorRequest) cell { return cell{text: model.Sanitize(r.ID)} },
		Key: func(r *model.MirrorRequest) sortKey {
			id := model.Sanitize(r.ID)
			if n, err := strconv.Atoi(id); err == nil {
				return numKey(float64(n))
			}
			return strKey(id)
		}},
	{Column: column{Title: "MIRROR", Width: 16, Sort: 'M'},
		Cell: func(r *model.MirrorRequest) cell { return cell{text: model.Sanitize(r.MirrorName), tone: toneAccent} },
		Key:  func(r *model.MirrorRequest) sortKey { return strKey(r.MirrorName) }},
	{Column: column{Title: "BASE URL", Width: 30, Flex: true, Sort: 'U'},
		Cell: func(r *model.MirrorRequest) cell { return cell{text: model.Sanitize(r.MirrorBaseURL)} },
		Key:  func(r *model.MirrorRequest) sortKey { return strKey(r.MirrorBaseURL) }},
	{Column: column{Title: "VERSION", Width: 9, Prio: 2, Sort: 'V'},
		Cell: func(r *model.MirrorRequest) cell {
			return cell{text: orDash(model.Sanitize(r.ProductVersion)), tone: toneMuted}
		},
		Key: func(r *model.MirrorRequest) sortKey { return strKey(r.ProductVersion) }},
	{Column: column{Title: "TYPE", Width: 6, Prio: 3, Sort: 'T'},
		Cell: func(r *model.MirrorRequest) cell {
			return cell{text: orDash(model.Sanitize(r.MirrorType)), tone: toneMuted}
		},
		Key: func(r *model.MirrorRequest) sortKey { return strKey(r.MirrorType) }},
}

func (requestsPane) rows(m *Model) []row { return m.requestRows() }

func (requestsPane) deps(s *model.State) []dep {
	return []dep{{primaryOwner, "primary", s.Primary.Endpoints[model.EPRequests]}}
}

func (m *Model) requestRows() []row {
	rows := make([]row, 0, len(m.state.Primary.Requests))
	for i := range m.state.Primary.Requests {
		r := &m.state.Primary.Requests[i]
		rows = append(rows, rowOf(requestSubject{model.Sanitize(r.ID)}, requestCols, r))
	}
	return rows
}
