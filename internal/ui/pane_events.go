package ui

import (
	"fmt"

	"github.com/mirrortop/mirrortop/internal/model"
)

// eventsPane lists what changed and the actions taken, newest first (rows
// in events.go). It is not fed by an endpoint: its title gives no age.
type eventsPane struct{}

func (eventsPane) info() paneInfo {
	return paneInfo{name: "Events", cmd: "events", fast: true, timeless: true,
		empty: "no events yet: changes and actions appear here"}
}

func (eventsPane) columns() []column { return eventCols.Specs() }

// eventCols are the Events pane's columns, over its events.
var eventCols = colList[*event]{
	{Column: column{Title: "TIME", Width: 8, Sort: 'T'},
		Cell: func(e *event) cell { return cell{text: e.at.Local().Format("15:04:05"), tone: toneMuted} },
		Key:  func(e *event) sortKey { return numKey(float64(e.at.UnixNano())) }},
	{Column: column{Title: "KIND", Width: 8, Sort: 'K'},
		Cell: func(e *event) cell { return cell{text: e.kind, tone: toneAccent} },
		Key:  func(e *event) sortKey { return strKey(e.kind) }},
	{Column: column{Title: "TARGET", Width: 16, Sort: 'E'},
		Cell: func(e *event) cell { return cell{text: e.target} },
		Key:  func(e *event) sortKey { return strKey(e.target) }},
	{Column: column{Title: "WHAT", Width: 30, Flex: true, Sort: 'W'},
		Cell: func(e *event) cell { return cell{text: e.text, tone: e.tone} },
		Key:  func(e *event) sortKey { return strKey(e.text) }},
}

func (eventsPane) rows(m *Model) []row { return m.eventRows() }

func (eventsPane) deps(*model.State) []dep { return nil }

func (eventsPane) countText(n int) string { return fmt.Sprintf("%d events, newest first", n) }
