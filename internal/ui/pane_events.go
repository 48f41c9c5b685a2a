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

func (eventsPane) columns() []column {
	return []column{
		{Title: "TIME", Width: 8, Sort: 'T'},
		{Title: "KIND", Width: 8, Sort: 'K'},
		{Title: "TARGET", Width: 16, Sort: 'E'},
		{Title: "WHAT", Width: 30, Flex: true, Sort: 'W'},
	}
}

func (eventsPane) rows(m *Model) []row { return m.eventRows() }

func (eventsPane) deps(*model.State) []dep { return nil }

func (eventsPane) countText(n int) string { return fmt.Sprintf("%d events, newest first", n) }
