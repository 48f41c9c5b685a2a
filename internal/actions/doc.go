// Package actions turns what an operator asks for — approve or reject a
// mirror request, sync, acknowledge, re-seed, change a farm's projects —
// into a plan that names the target and the exact HTTP calls, executes a
// confirmed plan, and writes one audit line per attempt. It also keeps
// acknowledgements across restarts and compares refs between the primary
// and a mirror node over git's smart HTTP protocol.
//
// Plans are built from the model state alone (no I/O), so the console can
// show them in a confirmation; Execute runs them and is meant to be called
// from a tea.Cmd.
package actions
