package ui

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
)

// Action names the console's key actions; [keys] in the config rebinds them.
type Action string

// The console's actions.
const (
	ActQuit     Action = "quit"
	ActHelp     Action = "help"
	ActFilter   Action = "filter"
	ActCommand  Action = "command"
	ActBack     Action = "back"
	ActUp       Action = "up"
	ActDown     Action = "down"
	ActPageUp   Action = "page_up"
	ActPageDown Action = "page_down"
	ActTop      Action = "top"
	ActBottom   Action = "bottom"
	ActNextPane Action = "next_pane"
	ActPrevPane Action = "prev_pane"
	ActOpen     Action = "open"
	ActRefresh  Action = "refresh"
	ActPause    Action = "pause"
	ActRedraw   Action = "redraw"
	ActChecks   Action = "checks"
	ActProblems Action = "problems"
	// ActPane1 … switch to the pane at that tab position: there is one
	// pane_N per registered pane (up to 9), named for its digit key.
	ActPane1 Action = "pane_1"
	ActPane2 Action = "pane_2"
	ActPane3 Action = "pane_3"
	ActPane4 Action = "pane_4"
	ActPane5 Action = "pane_5"
	ActPane6 Action = "pane_6"
	ActPane7 Action = "pane_7"
	// ActNextCommand selects the next repair command of a manual view;
	// ActCopy copies the selected one to the clipboard (OSC 52).
	ActNextCommand Action = "next_command"
	ActCopy        Action = "copy"

	// Actions that change servers or alerts: their bindings are flagged
	// dangerous, and read-only mode removes them.
	ActApprove       Action = "approve"
	ActReject        Action = "reject"
	ActSync          Action = "sync"
	ActResolve       Action = "resolve"
	ActAddProject    Action = "add_project"
	ActRemoveProject Action = "remove_project"
	ActMirrorAll     Action = "mirror_all"
	ActToggleMirror  Action = "toggle_mirror"
	ActDeleteMirror  Action = "delete_mirror"
)

// binding is one action with its keys and help text.
type binding struct {
	action Action
	group  string
	// pane is the tab position plus one of the pane a pane_N action
	// switches to (0: not a pane action).
	pane int
	// danger flags an action that changes a server or an alert: read-only
	// mode removes it from the keys, the footer and the help.
	danger bool
	key.Binding
}

// KeyMap holds every action's binding, in help order.
type KeyMap struct {
	list []*binding
	by   map[Action]*binding
	// panes is the number of pane_N actions.
	panes int
}

// maxPaneKeys is the number of panes that have a digit key.
const maxPaneKeys = 9

// newBinding is an action's binding in a help group, its keys shown
// joined by "/".
func newBinding(a Action, group, help string, keys ...string) *binding {
	return &binding{action: a, group: group, Binding: key.NewBinding(key.WithKeys(keys...), key.WithHelp(strings.Join(keys, "/"), help))}
}

// dangerous flags the binding's action as one that changes something.
func (b *binding) dangerous() *binding {
	b.danger = true
	return b
}

// paneAction is the action that switches to the pane at tab position i
// (from 0): pane_1 for the first.
func paneAction(i int) Action { return Action("pane_" + strconv.Itoa(i+1)) }

// paneBindings are the digit keys of the registered panes, each named for
// its pane's command.
func paneBindings() []*binding {
	var out []*binding
	for i, k := range registry[:min(len(registry), maxPaneKeys)] {
		d := strconv.Itoa(i + 1)
		out = append(out, &binding{action: paneAction(i), group: "Panes", pane: i + 1,
			Binding: key.NewBinding(key.WithKeys(d), key.WithHelp(d, k.info().cmd))})
	}
	return out
}

// paneOf reports the tab position a pane_N action switches to.
func (km *KeyMap) paneOf(a Action) (int, bool) {
	if b := km.by[a]; b != nil && b.pane > 0 {
		return b.pane - 1, true
	}
	return 0, false
}

func defaultBindings() []*binding {
	b := newBinding
	d := func(a Action, group, help string, keys ...string) *binding {
		return b(a, group, help, keys...).dangerous()
	}
	list := []*binding{
		b(ActUp, "Navigation", "up", "k", "up"),
		b(ActDown, "Navigation", "down", "j", "down"),
		b(ActPageUp, "Navigation", "page up", "pgup"),
		b(ActPageDown, "Navigation", "page down", "pgdown"),
		b(ActTop, "Navigation", "first row", "g", "home"),
		b(ActBottom, "Navigation", "last row", "G", "end"),
		b(ActNextPane, "Panes", "next pane", "tab"),
		b(ActPrevPane, "Panes", "previous pane", "shift+tab"),
	}
	list = append(list, paneBindings()...)
	return append(list,
		b(ActOpen, "Panes", "open detail", "enter"),
		b(ActChecks, "Panes", "setup checks (:checks)", "c"),
		b(ActBack, "Panes", "back / clear", "esc"),
		d(ActApprove, "Actions", "approve mirror request", "a"),
		d(ActReject, "Actions", "reject mirror request", "x"),
		d(ActSync, "Actions", "sync repository / farm / mirror", "s"),
		d(ActResolve, "Actions", "resolve mismatch / divergence", "r"),
		d(ActAddProject, "Actions", "add project (farm detail)", "+"),
		d(ActRemoveProject, "Actions", "remove project (farm detail)", "-"),
		d(ActMirrorAll, "Actions", "mirror all projects (farm detail)", "*"),
		d(ActToggleMirror, "Actions", "pause / resume GitLab mirror", "e"),
		d(ActDeleteMirror, "Actions", "delete GitLab push mirror", "d"),
		b(ActNextCommand, "Actions", "select next command (manual view)", "n"),
		b(ActCopy, "Actions", "copy selected command (OSC 52)", "y"),
		b(ActFilter, "General", "filter rows", "/"),
		b(ActProblems, "General", "problems only", "!"),
		b(ActCommand, "General", "command line", ":"),
		b(ActRefresh, "General", "refresh now", "ctrl+r"),
		b(ActPause, "General", "pause / resume polling", "p"),
		b(ActRedraw, "General", "redraw screen", "ctrl+l"),
		b(ActHelp, "General", "help", "?"),
		b(ActQuit, "General", "quit", "q", "ctrl+c"),
	)
}

// NewKeyMap returns the default key map with overrides applied: action
// name → keys. An unknown action name or an empty key list is an error.
func NewKeyMap(overrides map[string][]string) (*KeyMap, error) {
	km := &KeyMap{list: defaultBindings(), by: map[Action]*binding{}}
	for _, b := range km.list {
		km.by[b.action] = b
	}
	for _, k := range registry { // the panes' own keys
		if bk, ok := k.(binder); ok {
			for _, b := range bk.bindings() {
				if km.by[b.action] == nil {
					km.by[b.action] = b
					km.list = slices.Insert(km.list, km.groupEnd(b.group), b)
				}
			}
		}
	}
	for _, b := range km.list {
		if b.pane > 0 {
			km.panes++
		}
	}
	names := make([]string, 0, len(overrides))
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b, ok := km.by[Action(n)]
		if !ok {
			return nil, &KeyError{Action: n, Msg: "unknown action (known: " + strings.Join(km.actionNames(), ", ") + ")"}
		}
		keys := overrides[n]
		if len(keys) == 0 {
			return nil, &KeyError{Action: n, Msg: "no keys given"}
		}
		for _, k := range keys {
			if strings.TrimSpace(k) == "" {
				return nil, &KeyError{Action: n, Msg: "empty key"}
			}
		}
		b.SetKeys(keys...)
		b.SetHelp(strings.Join(keys, "/"), b.Help().Desc)
	}
	return km, nil
}

// groupEnd is the position after the last binding of a group (the end
// when there is none).
func (km *KeyMap) groupEnd(group string) int {
	end := len(km.list)
	for i, b := range km.list {
		if b.group == group {
			end = i + 1
		}
	}
	return end
}

// SetReadOnly removes (or restores) the actions flagged dangerous: the
// ones that change anything.
func (km *KeyMap) SetReadOnly(ro bool) {
	for _, b := range km.list {
		if b.danger {
			b.SetEnabled(!ro)
		}
	}
}

// dangerous reports whether an action is flagged as changing something.
func (km *KeyMap) dangerous(a Action) bool {
	b := km.by[a]
	return b != nil && b.danger
}

// KeyError is a bad [keys] entry.
type KeyError struct {
	Action string
	Msg    string
}

func (e *KeyError) Error() string { return fmt.Sprintf("keys.%s: %s", e.Action, e.Msg) }

func (km *KeyMap) actionNames() []string {
	out := make([]string, 0, len(km.list))
	for _, b := range km.list {
		out = append(out, string(b.action))
	}
	sort.Strings(out)
	return out
}

// refused returns the action flagged dangerous that read-only mode took
// from a key press, or "": a read-only console says no to it.
func (km *KeyMap) refused(k fmt.Stringer) Action {
	ks := k.String()
	for _, b := range km.list {
		if b.danger && !b.Enabled() && slices.Contains(b.Keys(), ks) {
			return b.action
		}
	}
	return ""
}

// match returns the action bound to a key press, or "".
func (km *KeyMap) match(k fmt.Stringer) Action {
	for _, b := range km.list {
		if key.Matches(k, b.Binding) {
			return b.action
		}
	}
	return ""
}

// keyFor is the first key of an action, for hints.
func (km *KeyMap) keyFor(a Action) string {
	if b := km.by[a]; b != nil && len(b.Keys()) > 0 {
		return b.Keys()[0]
	}
	return "?"
}
