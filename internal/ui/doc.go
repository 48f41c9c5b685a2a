// Package ui is mirrortop's live console: a Bubble Tea v2 program with panes
// for farms, mismatches, the ref-changes queue, mirror requests and nodes,
// k9s-style keys, a generated help, a filter, a command line, per-row detail,
// themes and alerts.
//
// The detail, manual-repair and help screens are pages in a viewport
// (page.go): wrapped without adding characters, scrolled by the key map's
// navigation keys and the wheel, with their position in the title. The
// footer's key hints come from the key map through the help component
// (footer.go): a new action gets its footer word in shortDesc and its place
// in paneActions or detailActions.
//
// The console renders the model.State that readings from the poller are
// folded into; it never does network I/O in Update or View. Readings arrive
// through a tea.Cmd that waits on the poller's channel; on-demand detail
// fetches run as tea.Cmds too.
package ui
