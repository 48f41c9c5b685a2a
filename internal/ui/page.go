package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/model"
)

// The detail, manual-repair and help screens are pages: their lines are
// wrapped to the screen's width, styled, and shown through a viewport that
// keeps its scroll position when the lines are replaced (a detail is rebuilt
// every second) and clamps it at the end.

// newPage returns a viewport for a page of the screen.
func (m *Model) newPage() viewport.Model {
	vp := viewport.New(viewport.WithWidth(m.width), viewport.WithHeight(m.pageHeight()))
	vp.MouseWheelDelta = wheelStep
	return vp
}

// layoutPage wraps lines to the screen's width (see wrapExact), styles each
// by its tone (the lines for which sel is true as selected) and gives them
// to the viewport, whose position is kept and clamped. It returns, for
// each line, the index of its first screen line.
func (m *Model) layoutPage(vp *viewport.Model, lines []string, tones []tone, sel func(int) bool) []int {
	vp.SetWidth(m.width)
	vp.SetHeight(m.pageHeight())
	out := make([]string, 0, len(lines))
	starts := make([]int, len(lines))
	for i, l := range lines {
		starts[i] = len(out)
		var style func(...string) string
		switch {
		case sel != nil && sel(i):
			style = m.st.selected.Render
		case i < len(tones) && tones[i] != toneNormal:
			style = m.st.tone(tones[i]).Render
		}
		for _, w := range wrapExact(l, m.width-1) {
			s := fit(" "+w, m.width, false)
			if style != nil {
				s = style(s)
			}
			out = append(out, s)
		}
	}
	vp.SetContentLines(out)
	return starts
}

// viewPage draws a page: its title, with the position when it does not fit
// on the screen, and the viewport's lines.
func (m *Model) viewPage(b *strings.Builder, title string, vp *viewport.Model) {
	title = " " + title
	if pos := position(vp); pos != "" {
		pos = "  " + pos + " "
		title = fit(title, max(0, m.width-ansi.StringWidth(pos)), false) + pos
	}
	m.line(b, title, m.st.title.Render)
	b.WriteString(vp.View())
	b.WriteByte('\n')
}

// position says which lines of a page are on the screen ("12–34 of 80"),
// or nothing when it all fits.
func position(vp *viewport.Model) string {
	total, h := vp.TotalLineCount(), vp.Height()
	if total <= h {
		return ""
	}
	top := vp.YOffset()
	return fmt.Sprintf("%d–%d of %d", top+1, min(top+h, total), total)
}

// scrollPage moves a page for a navigation action; it reports whether the
// action was one.
func scrollPage(vp *viewport.Model, a Action) bool {
	switch a {
	case ActUp:
		vp.ScrollUp(1)
	case ActDown:
		vp.ScrollDown(1)
	case ActPageUp:
		vp.PageUp()
	case ActPageDown:
		vp.PageDown()
	case ActTop:
		vp.GotoTop()
	case ActBottom:
		vp.GotoBottom()
	default:
		return false
	}
	return true
}

// wrapExact breaks a line wider than width into lines of at most width
// columns without adding or removing any character of it. A continuation
// line is indentation, then the next part: under the field the first line
// breaks in (a field starts after two spaces, as a value after its label)
// when that is not too far right, else two columns deeper than the line.
// A break falls before a space when one is in reach (the continuation then
// starts with that space), else inside a word. Taking the continuation
// lines' indentation off and joining the parts gives the line exactly, so
// a wrapped command stays the command.
func wrapExact(s string, width int) []string {
	if ansi.StringWidth(s) <= width || width < 1 {
		return []string{s}
	}
	rest := []rune(s)
	cut := wrapCut(rest, width)
	out := []string{string(rest[:cut])}
	lead := len(s) - len(strings.TrimLeft(s, " "))
	hang := lead + 2
	col := 0
	for i, r := range rest[:cut] {
		if i >= 2 && r != ' ' && rest[i-1] == ' ' && rest[i-2] == ' ' && col <= width*2/3 {
			hang = max(hang, col)
		}
		col += ansi.StringWidth(string(r))
	}
	if width-hang < 10 {
		hang = 0
	}
	cont := strings.Repeat(" ", hang)
	for rest = rest[cut:]; len(rest) > 0; rest = rest[cut:] {
		cut = wrapCut(rest, width-hang)
		out = append(out, cont+string(rest[:cut]))
	}
	return out
}

// wrapCut is how many runes of rest go on a line of avail columns: all
// that fit, or up to the last break in them, before a space that follows
// a non-space (at least one rune).
func wrapCut(rest []rune, avail int) int {
	w, fits, brk := 0, 0, 0
	for i, r := range rest {
		rw := ansi.StringWidth(string(r))
		if w+rw > avail {
			break
		}
		w += rw
		fits = i + 1
		if i > 0 && r == ' ' && rest[i-1] != ' ' {
			brk = i
		}
	}
	switch {
	case fits == len(rest):
		return fits
	case fits > 0 && rest[fits] == ' ' && rest[fits-1] != ' ':
		return fits // the next rune starts a space run: break right here
	case brk > 0:
		return brk
	}
	return max(fits, 1) // inside a word; a rune wider than the line goes alone
}

// command is a repair command of a manual view: its line in the detail and
// its text.
type command struct {
	line int
	text string
}

// addSteps appends a manual view's repair steps to out, indented, noting
// which lines are commands (neither comments nor blank) so that one can be
// selected and copied.
func (m *Model) addSteps(d *detail, out, steps []string) []string {
	if d != nil {
		out = append(out, fmt.Sprintf("(long commands wrap onto indented lines, nothing added to them; %s selects a command, %s copies it exactly)",
			m.keys.keyFor(ActNextCommand), m.keys.keyFor(ActCopy)))
	}
	for _, l := range steps {
		l = model.Sanitize(l)
		if d != nil && strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "#") {
			d.cmds = append(d.cmds, command{line: len(out), text: l})
		}
		out = append(out, "  "+l)
	}
	return out
}

// nextCommand selects a manual view's next repair command and scrolls it
// into view.
func (m *Model) nextCommand() {
	d := m.detail
	if len(d.cmds) == 0 {
		m.setStatus(toneMuted, "no command to select here (the manual repair view has them)")
		return
	}
	d.sel = (d.sel + 1) % len(d.cmds)
	d.layout(m)
	c := d.cmds[d.sel]
	first := d.starts[c.line]
	last := d.vp.TotalLineCount() - 1
	if c.line+1 < len(d.starts) {
		last = d.starts[c.line+1] - 1
	}
	top, h := d.vp.YOffset(), d.vp.Height()
	switch {
	case first < top:
		d.vp.SetYOffset(first)
	case last >= top+h:
		d.vp.SetYOffset(min(first, last-h+1))
	}
}

// copyCommand copies a manual view's selected command to the terminal's
// clipboard with OSC 52 (which works over SSH too, where the terminal
// allows it). The command is sanitized text: no escape sequence of a
// server's reaches the terminal.
func (m *Model) copyCommand() tea.Cmd {
	d := m.detail
	if len(d.cmds) == 0 {
		m.setStatus(toneMuted, "no command to copy here (the manual repair view has them)")
		return nil
	}
	c := model.Sanitize(d.cmds[d.sel].text)
	m.setStatus(toneOK, "copied to the clipboard (OSC 52; the terminal must allow it): %s", c)
	return tea.SetClipboard(c)
}
