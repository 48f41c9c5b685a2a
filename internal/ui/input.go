package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Length limits of the text fields, in characters.
const (
	// lineLimit bounds the filter and the command line.
	lineLimit = 256
	// reasonLimit bounds a dialog's reason or typed confirmation.
	reasonLimit = 200
)

// newField returns a focused text field of at most limit characters. It
// edits with the usual line keys (cursor movement, word motions, Ctrl+W/U/K)
// and is drawn by fieldView; the clipboard key is off (a terminal pastes by
// bracketed paste, which arrives as a tea.PasteMsg), and so are the field's
// own suggestion keys (the command line completes with Tab itself).
func newField(limit int) textinput.Model {
	f := textinput.New()
	f.Prompt = ""
	f.CharLimit = limit
	f.SetVirtualCursor(false)
	f.KeyMap.Paste.SetEnabled(false)
	f.KeyMap.AcceptSuggestion.SetEnabled(false)
	f.KeyMap.NextSuggestion.SetEnabled(false)
	f.KeyMap.PrevSuggestion.SetEnabled(false)
	f.Focus()
	return f
}

// editField passes a key press or a paste to a field, with the text it
// carries sanitized first: an escape sequence, a control character or a
// newline in it never reaches the field or the screen. It reports whether
// the field's text changed.
func editField(f *textinput.Model, msg tea.Msg) bool {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		msg.Text = model.Sanitize(msg.Text)
		before := f.Value()
		*f, _ = f.Update(msg)
		return f.Value() != before
	case tea.PasteMsg:
		before := f.Value()
		*f, _ = f.Update(tea.PasteMsg{Content: model.Sanitize(msg.Content)})
		return f.Value() != before
	}
	return false
}

// fieldView draws a field's text within width columns with its cursor: a
// block after the text, or the character under it in reverse video. A text
// wider than width scrolls so that the cursor stays in view.
func (m *Model) fieldView(f *textinput.Model, width int) string {
	text := []rune(f.Value())
	if f.EchoMode == textinput.EchoPassword { // one mask per character, never the text
		text = []rune(strings.Repeat("•", len(text)))
	}
	pos := min(max(f.Position(), 0), len(text))
	width = max(width, 1)
	// The first character shown: as early as lets the cursor's cell fit.
	start, w := pos, 1
	for start > 0 {
		cw := ansi.StringWidth(string(text[start-1]))
		if w+cw > width {
			break
		}
		w += cw
		start--
	}
	var b strings.Builder
	b.WriteString(string(text[start:pos]))
	if pos == len(text) {
		b.WriteString("█")
	} else {
		b.WriteString(m.st.cursor.Render(string(text[pos])))
		b.WriteString(string(text[pos+1:]))
	}
	return ansi.Truncate(b.String(), width, "")
}

// commandArgs completes the argument of a command: given the console, the
// values the argument may take. A command that takes none is absent.
var commandArgs = map[string]func(*Model) []string{}

// commandNames are the command line's names for Tab completion, in the
// order help lists them: the panes', then the other commands (without the
// one-letter aliases).
func (m *Model) commandNames() []string {
	out := make([]string, 0, len(m.panes)+len(commands))
	for _, p := range m.panes {
		out = append(out, p.cmd)
	}
	for _, c := range m.commands() {
		if len(c) > 1 {
			out = append(out, c)
		}
	}
	return out
}

// completions splits a command line into the text before the word being
// completed and that word, and lists the values the word may complete to:
// a command name for the first word, else the command's argument values.
func (m *Model) completions(line string) (head, word string, cands []string) {
	var all []string
	if i := strings.LastIndexByte(line, ' '); i >= 0 {
		head, word = line[:i+1], line[i+1:]
		if f := strings.Fields(line); len(f) > 0 && commandArgs[f[0]] != nil {
			all = commandArgs[f[0]](m)
		}
	} else {
		word, all = line, m.commandNames()
	}
	lw := strings.ToLower(word)
	for _, c := range all {
		if strings.HasPrefix(strings.ToLower(c), lw) {
			cands = append(cands, c)
		}
	}
	return head, word, cands
}

// completion is the command line's Tab cycle through ambiguous candidates.
type completion struct {
	head  string   // the text before the completed word
	cands []string // the candidates cycled through
	i     int      // the one shown
}

// complete runs Tab (or Shift+Tab, back) on the command line: a single
// candidate is taken whole (with a space after a command that takes an
// argument), several are first narrowed to their common prefix, and then
// each Tab shows the next.
func (m *Model) complete(back bool) {
	line := m.input.Value()
	if c := m.comp; c != nil && line == c.head+c.cands[c.i] {
		step := 1
		if back {
			step = len(c.cands) - 1
		}
		c.i = (c.i + step) % len(c.cands)
		m.setInput(c.head + c.cands[c.i])
		return
	}
	m.comp = nil
	head, word, cands := m.completions(line)
	switch {
	case len(cands) == 0:
	case len(cands) == 1:
		done := head + cands[0]
		if head == "" && commandArgs[cands[0]] != nil {
			done += " "
		}
		m.setInput(done)
	case len(commonPrefix(cands)) > len(word):
		m.setInput(head + commonPrefix(cands))
	default:
		c := &completion{head: head, cands: cands}
		if back {
			c.i = len(cands) - 1
		}
		m.comp = c
		m.setInput(head + cands[c.i])
	}
}

// setInput replaces the command line's text, the cursor at its end.
func (m *Model) setInput(s string) {
	m.input.SetValue(s)
	m.input.CursorEnd()
}

// commonPrefix is the longest prefix the strings share (case-insensitive,
// as the first one spells it).
func commonPrefix(ss []string) string {
	p := []rune(ss[0])
	for _, s := range ss[1:] {
		r := []rune(s)
		n := 0
		for n < len(p) && n < len(r) && strings.EqualFold(string(p[n]), string(r[n])) {
			n++
		}
		p = p[:n]
	}
	return string(p)
}

// suggestions draws the command line's candidates after the field, muted,
// the one a Tab cycle shows highlighted; "" when there are none.
func (m *Model) suggestions() string {
	cands, cur := []string(nil), -1
	if c := m.comp; c != nil && m.input.Value() == c.head+c.cands[c.i] {
		cands, cur = c.cands, c.i
	} else {
		_, _, cands = m.completions(m.input.Value())
	}
	if len(cands) == 0 {
		return ""
	}
	muted := m.st.tone(toneMuted).Render
	var b strings.Builder
	b.WriteString("  ")
	run := []string(nil) // candidates drawn muted, together
	for i, c := range cands {
		c = model.Sanitize(c)
		if i != cur {
			run = append(run, c)
			continue
		}
		if len(run) > 0 {
			b.WriteString(muted(strings.Join(run, " ") + " "))
			run = run[:0]
		}
		b.WriteString(m.st.selected.Render(c))
		if i < len(cands)-1 {
			b.WriteString(muted(" "))
		}
	}
	if len(run) > 0 {
		b.WriteString(muted(strings.Join(run, " ")))
	}
	return b.String()
}
