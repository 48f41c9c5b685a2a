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
		{Title: "ID", Width: 6, Sort: 'I'},
		{Title: "MIRROR", Width: 16, Sort: 'M'},
		{Title: "BASE URL", Width: 30, Flex: true, Sort: 'U'},
		{Title: "VERSION", Width: 9, Prio: 2, Sort: 'V'},
		{Title: "TYPE", Width: 6, Prio: 3, Sort: 'T'},
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
