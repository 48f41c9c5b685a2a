// Package ui is mirrortop's live console: a Bubble Tea v2 program with panes
// for farms, mismatches, the ref-changes queue, mirror requests, nodes,
// GitLab mirrors and events, k9s-style keys, a generated help, a filter, a
// command line, per-row detail, themes and alerts.
//
// A new pane is a type in its own file, pane_NAME.go, implementing paneKind
// (registry.go): its info (name, : command, whether it refreshes on the fast
// interval, whether its tab counts rows, its empty text, the actions its
// rows take), its columns, the rows it reads from the state and the
// endpoints they come from; optional interfaces add lazily made rows,
// rows rebuilt only on change, title extras and keys of its own. It is then
// one line in registry: the tabs, the digit keys (pane_1 …), the : commands
// and their completion, the help and the footer's hints follow from it.
// Each row carries a typed subject (subjects.go) saying what it refers to;
// the subject makes the row's detail view and names its detail actions.
//
// A new action is an Action constant and its binding in defaultBindings
// (keys.go), marked dangerous when it changes a server or an alert:
// read-only mode removes those from the keys, the footer and the help. A
// pane lists the actions its rows take in its info, a subject those of its
// detail; the footer's word for it goes in shortDesc (footer.go). A pane's
// own action can instead come with the pane, from its bindings and act.
// Actions that change something are planned and confirmed in
// actions_ui.go, which switches on the type of the subject.
//
// A new column is one entry in its pane's column list (a colList, in the
// pane's file: for instance farmCols in pane_farms.go): a table.Col with its
// layout (title, width, and its place when narrow: Prio, Fit, Flex, Extra;
// its Shift+letter Sort), the function that makes its cell from the row's
// source (the pane's row view: a farmRow, a nodeRow, a mismatchRow…) and
// the one that makes its sort key. When the cell needs something the row
// view lacks, the view gains a field, set where the pane's rows are made.
// A pane of lazily made rows (Mismatches) fills its row view in its fill
// function; the columns are then called only for rows drawn, sorted or
// filtered.
//
// The detail, manual-repair and help screens are pages in a viewport
// (page.go): wrapped without adding characters, scrolled by the key map's
// navigation keys and the wheel, with their position in the title. The
// footer's key hints come from the key map through the help component
// (footer.go).
//
// The console renders the model.State that readings from the poller are
// folded into; it never does network I/O in Update or View. Readings arrive
// through a tea.Cmd that waits on the poller's channel; on-demand detail
// fetches run as tea.Cmds too.
package ui
