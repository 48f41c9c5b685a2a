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

func (requestsPane) columns() []column {
	return []column{
		{title: "ID", width: 6, sort: 'I'},
		{title: "MIRROR", width: 16, sort: 'M'},
		{title: "BASE URL", width: 30, flex: true, sort: 'U'},
		{title: "VERSION", width: 9, prio: 2, sort: 'V'},
		{title: "TYPE", width: 6, prio: 3, sort: 'T'},
	}
}

func (requestsPane) rows(m *Model) []row { return m.requestRows() }

func (requestsPane) deps(s *model.State) []dep {
	return []dep{{primaryOwner, "primary", s.Primary.Endpoints[model.EPRequests]}}
}

func (m *Model) requestRows() []row {
	rows := make([]row, 0, len(m.state.Primary.Requests))
	for _, r := range m.state.Primary.Requests {
		id := model.Sanitize(r.ID)
		idKey := strKey(id)
		if n, err := strconv.Atoi(id); err == nil {
			idKey = numKey(float64(n))
		}
		rows = append(rows, newRow(requestSubject{id}, []cell{
			{text: id},
			{text: model.Sanitize(r.MirrorName), tone: toneAccent},
			{text: model.Sanitize(r.MirrorBaseURL)},
			{text: orDash(model.Sanitize(r.ProductVersion)), tone: toneMuted},
			{text: orDash(model.Sanitize(r.MirrorType)), tone: toneMuted},
		}, []sortKey{idKey, strKey(r.MirrorName), strKey(r.MirrorBaseURL), strKey(r.ProductVersion), strKey(r.MirrorType)}))
	}
	return rows
}
