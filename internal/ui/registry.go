package ui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/model"
)

// paneKind is what a pane is: its name and command, its columns, the rows
// it reads from the state and the endpoints they come from. The console
// keeps one table per pane and derives everything else from the registry:
// the tabs, the digit keys, the : commands and their completion, the help
// and the footer's hints. Optional interfaces add to it: filler (rows made
// lazily), changeTracker (rows rebuilt only on change), countTexter and
// titleExtender (the pane's title line), binder (keys of its own).
type paneKind interface {
	// info describes the pane; it never changes.
	info() paneInfo
	// columns are its table's columns, in order: a built-in pane's are
	// the layout of its column list (a colList, whose columns also make
	// the rows' cells and sort keys; see rowOf).
	columns() []column
	// rows reads its rows from the console's state. Each row sets what
	// "problems only" hides (its okUntil) and what it refers to (its
	// subject, which the detail and the actions take).
	rows(m *Model) []row
	// deps lists the endpoints its data comes from, for its age and its
	// error line.
	deps(s *model.State) []dep
}

// paneInfo describes a pane.
type paneInfo struct {
	name string // its tab and title
	cmd  string // its : command
	// fast: fed by the fast poll interval (for staleness).
	fast bool
	// counted: its tab shows its number of rows.
	counted bool
	// timeless: its title says nothing of its data's age (the pane is
	// not fed by polled endpoints).
	timeless bool
	// empty is said when it has no row ("" for nothing).
	empty string
	// actions are the actions its rows take, for the footer.
	actions []Action
}

// filler is a pane whose rows carry their source (row.src) and have their
// cells and sort keys made only when drawn, sorted or filtered (by its
// column list's Fill).
type filler interface {
	fill(m *Model, src any) ([]cell, []sortKey)
}

// rowSharer is a pane of many rows that sessions reading one Shared share
// (see Shared.rows). sharedRows, called in Update, returns what the rows
// are made from, as a key, and a function that makes them from what it
// captured, so that it may run off the event loop.
type rowSharer interface {
	sharedRows(m *Model) (key string, build func() []row)
}

// changeTracker is a pane whose rows are rebuilt only when what they are
// made from changed; acks says the acknowledgements in force changed.
// due notes what it compared, so it says each change once.
type changeTracker interface {
	due(m *Model, acks bool) bool
}

// countTexter is a pane that counts its rows in its own words in its
// title (instead of "N rows").
type countTexter interface {
	countText(n int) string
}

// titleExtender is a pane whose title line adds parts after the data age.
type titleExtender interface {
	titleExtra(m *Model) []string
}

// binder is a pane with keys of its own: bindings the key map adds (in
// help order, after the built-in ones of their group) unless an action of
// that name exists already, each flagged dangerous or not; act runs one
// when its key is pressed in the pane.
type binder interface {
	bindings() []*binding
	act(m *Model, a Action) tea.Cmd
}

// registry is the console's panes, in tab order. A new pane is a type in
// its own file (pane_NAME.go) and one line here.
var registry = []paneKind{
	farmsPane{},
	mismatchesPane{},
	queuePane{},
	requestsPane{},
	nodesPane{},
	gitlabPane{},
	eventsPane{},
}

// paneID is a pane's position in the registry (and in the tabs).
type paneID int

// The positions of the built-in panes, for the few places (and tests) that
// name one.
const (
	paneFarms paneID = iota
	paneMismatches
	paneQueue
	paneRequests
	paneNodes
	paneGitLab
	paneEvents
)

// pane is one tab of the console: its kind and its table.
type pane struct {
	id   paneID
	kind paneKind
	paneInfo
	table *table
	// rowsKey is what the table's rows were made from (rowSharer panes).
	rowsKey string
}

// deps lists the endpoints the pane's data comes from.
func (p *pane) deps(s *model.State) []dep { return p.kind.deps(s) }

// newPanes makes a pane, with its table, for every registered kind.
func newPanes(m *Model) []*pane {
	out := make([]*pane, len(registry))
	for i, k := range registry {
		p := &pane{id: paneID(i), kind: k, paneInfo: k.info(), table: newTable(k.columns())}
		if f, ok := k.(filler); ok {
			p.table.fill = func(src any) ([]cell, []sortKey) { return f.fill(m, src) }
		}
		out[i] = p
	}
	return out
}

// refreshPane rebuilds one pane's rows from the state; a rowSharer's come
// from refreshShared.
func (m *Model) refreshPane(p *pane) tea.Cmd {
	if rs, ok := p.kind.(rowSharer); ok {
		return m.refreshShared(p, rs)
	}
	p.table.setRows(p.kind.rows(m))
	return nil
}

// refreshShared installs a rowSharer pane's rows for what they are made
// from now: the rows another session built from the same, else rows built
// here. A local console builds them on its event loop, as any pane's; a
// served session, once it has rows, builds new ones in a command (off its
// loop, without the lock, so that neither its keys nor the other sessions
// wait for 100 000 rows) and keeps showing the rows it has — made from an
// earlier state that they show truly — until the new ones are in, when
// every session is told.
func (m *Model) refreshShared(p *pane, rs rowSharer) tea.Cmd {
	key, build := rs.sharedRows(m)
	if key == p.rowsKey {
		return nil
	}
	install := func(r *sharedRows) {
		p.table.setSharedRows(r.rows, r.lock)
		p.rowsKey = r.key
	}
	if r := m.shared.cachedRows(p.id, key); r != nil {
		install(r)
		return nil
	}
	if !m.opt.Served || p.rowsKey == "" {
		install(m.shared.storeRows(p.id, key, build()))
		return nil
	}
	if !m.shared.startBuild(p.id) {
		return nil // another session builds them; the news of it brings them
	}
	sh := m.shared
	return func() tea.Msg {
		sh.storeRows(p.id, key, build())
		sh.notify()
		return nil
	}
}
