package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// The footer names the keys that work on the screen shown: the pane's (its
// actions), a detail's, a dialog's or the input line's. They come from the
// key map, so a rebound key shows as rebound, and read-only mode, which
// disables the actions, leaves those out. The help component draws them,
// dropping whole hints that do not fit.

// The key map is a help.KeyMap: its ShortHelp and FullHelp.
var _ help.KeyMap = (*KeyMap)(nil)

// shortDesc are the footer's words for the actions.
var shortDesc = map[Action]string{
	ActHelp: "help", ActFilter: "filter", ActCommand: "command", ActOpen: "detail", ActBack: "back",
	ActRefresh: "refresh", ActPause: "pause", ActQuit: "quit", ActChecks: "checks",
	ActApprove: "approve", ActReject: "reject", ActSync: "sync", ActResolve: "resolve",
	ActAddProject: "add project", ActRemoveProject: "remove project", ActMirrorAll: "mirror all",
	ActNextCommand: "next command", ActCopy: "copy command",
}

// ShortHelp is the keys every screen's footer names: help and quit. With
// FullHelp it makes the key map a help.KeyMap.
func (km *KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{km.short(ActHelp), km.short(ActQuit)}
}

// FullHelp is every enabled binding, by group (navigation, panes,
// actions, general), in help order.
func (km *KeyMap) FullHelp() [][]key.Binding {
	var out [][]key.Binding
	group := ""
	for _, b := range km.list {
		if !b.Enabled() {
			continue
		}
		if b.group != group || len(out) == 0 {
			group = b.group
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], b.Binding)
	}
	return out
}

// short is an action's binding for the footer: its keys, shown by the
// first, and a short word (its help text when it has none); disabled when
// the action is.
func (km *KeyMap) short(a Action) key.Binding {
	b := km.by[a]
	desc, ok := shortDesc[a]
	if !ok {
		desc = b.Help().Desc
	}
	kb := key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(km.keyFor(a), desc))
	kb.SetEnabled(b.Enabled())
	return kb
}

// span is one hint for a range of actions: "j/k scroll", "1-7 panes".
func (km *KeyMap) span(from, to Action, sep, desc string) key.Binding {
	keys := append(slices.Clone(km.by[from].Keys()), km.by[to].Keys()...)
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(km.keyFor(from)+sep+km.keyFor(to), desc))
}

// fixed is a hint for a key the key map does not hold (a dialog's y, the
// input line's enter).
func fixed(k, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(k), key.WithHelp(k, desc))
}

// footerBindings are the hints of the screen shown, most useful first (the
// ones that do not fit are dropped from the end).
func (m *Model) footerBindings() []key.Binding {
	km := m.keys
	var out []key.Binding
	add := func(as ...Action) {
		for _, a := range as {
			out = append(out, km.short(a))
		}
	}
	switch d := m.dialog; {
	case d != nil && d.plan != nil && !d.typed:
		return []key.Binding{fixed("y", "yes"), fixed("any other key", "no")}
	case d != nil && d.prompt:
		return []key.Binding{fixed("enter", "confirm"), fixed("esc", "cancel"), fixed("ctrl+u", "clear")}
	case d != nil:
		return []key.Binding{km.span(ActDown, ActUp, "/", "choose"), fixed(km.keyFor(ActOpen), "select"), fixed("any other key", "cancel")}
	}
	switch m.mode {
	case modeFilter:
		return []key.Binding{fixed("enter", "keep filter"), fixed("esc", "clear"), fixed("ctrl+u", "erase")}
	case modeCommand:
		return []key.Binding{fixed("enter", "run"), fixed("esc", "cancel"), fixed("ctrl+u", "erase")}
	case modeHelp:
		return []key.Binding{km.span(ActDown, ActUp, "/", "scroll"), km.span(ActTop, ActBottom, "/", "start/end"), fixed("any other key", "close")}
	case modeDetail:
		add(ActBack)
		out = append(out, km.span(ActDown, ActUp, "/", "scroll"))
		add(ActHelp)
		if m.opt.Replay != nil {
			return append(append(out, replayHints()...), km.short(ActQuit))
		}
		add(m.detail.subj.detailActions()...)
		add(ActRefresh, ActQuit)
		return out
	}
	add(ActHelp)
	if m.opt.Replay != nil { // a replay's keys in place of the actions
		out = append(out, replayHints()...)
	} else {
		add(m.panes[m.active].actions...)
	}
	add(ActOpen, ActFilter, ActCommand)
	if n := km.panes; n > 1 {
		out = append(out, km.span(ActPane1, paneAction(n-1), "-", "panes"))
	}
	if m.opt.Replay != nil {
		return append(out, km.short(ActQuit))
	}
	add(ActPause, ActQuit, ActRefresh)
	return out
}

// newHelp returns the footer's help component: plain text (the footer is
// drawn muted as a whole), hints separated by " · ".
func newHelp() help.Model {
	h := help.New()
	h.ShortSeparator = " · "
	h.Styles = help.Styles{}
	plain := lipgloss.NewStyle()
	h.Styles.ShortKey, h.Styles.ShortDesc, h.Styles.ShortSeparator, h.Styles.Ellipsis = plain, plain, plain, plain
	return h
}

// footerHints draws the hints of the screen shown for w columns; they are
// kept until the screen changes.
func (m *Model) footerHints(w int) string {
	k := footerKey{mode: m.mode, pane: m.active, width: w, dialog: m.dialogKind()}
	if m.detail != nil {
		k.detail = m.detail.key
	}
	if k != m.footerKey {
		m.footer, m.footerKey = m.shortHelp(m.footerBindings(), w), k
	}
	return m.footer
}

// shortHelp draws hints in w columns, dropping whole hints from the end
// (the help component keeps one that overflows when its "…" does not fit).
func (m *Model) shortHelp(bs []key.Binding, w int) string {
	m.help.SetWidth(w)
	for n := len(bs); n > 0; n-- {
		s := m.help.ShortHelpView(bs[:n])
		if n < len(bs) && !strings.HasSuffix(s, m.help.Ellipsis) {
			s += " " + m.help.Ellipsis
		}
		if ansi.StringWidth(s) <= w {
			return s
		}
	}
	return ""
}

// footerKey is what the footer's hints depend on, besides the key map.
type footerKey struct {
	mode          mode
	pane          paneID
	width, dialog int
	detail        string
}

// dialogKind tells the dialogs apart for the footer's cache.
func (m *Model) dialogKind() int {
	switch d := m.dialog; {
	case d == nil:
		return 0
	case d.plan != nil && !d.typed:
		return 1
	case d.prompt:
		return 2
	}
	return 3
}

// withHints draws the input line with the input mode's hints at its right
// when they fit.
func (m *Model) withHints(input string) string {
	iw := ansi.StringWidth(input)
	room := m.width - iw - 3
	if room < 10 {
		return input
	}
	hints := m.footerHints(room)
	if hints == "" {
		return input
	}
	return input + strings.Repeat(" ", m.width-iw-ansi.StringWidth(hints)-1) + m.st.tone(toneMuted).Render(hints+" ")
}
