package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/model"
)

// View draws the screen: header, tabs, the active pane (or help, or a
// detail), the pane's error line and the footer. Only visible rows are drawn.
func (m *Model) View() tea.View {
	m.pin()
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	m.viewHeader(&b)
	m.viewTabs(&b)
	switch {
	case m.dialog != nil:
		m.viewDialog(&b)
	case m.glForm != nil:
		m.viewForm(&b)
	case m.mode == modeHelp:
		m.viewHelp(&b)
	case m.mode == modeDetail:
		m.viewDetail(&b)
	default:
		m.viewPane(&b)
	}
	m.viewFooter(&b)
	v := tea.NewView(b.String())
	v.AltScreen = true
	if m.opt.Mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = "mirrortop"
	return v
}

// line writes s styled, cut or padded to the screen width, and a newline.
func (m *Model) line(b *strings.Builder, s string, style func(...string) string) {
	s = fit(s, m.width, false)
	if style != nil {
		s = style(s)
	}
	b.WriteString(s)
	b.WriteByte('\n')
}

func (m *Model) viewHeader(b *strings.Builder) {
	p := &m.state.Primary
	pstate := p.Status.State
	if e := p.Endpoints[model.EPStatus]; e.Failing() {
		pstate = model.NodeDown
	}
	if pstate == "" {
		pstate = "…"
	}
	up, total := 0, 0
	for _, f := range m.state.Farms {
		h := f.Health()
		up, total = up+h.NodesUp, total+h.NodesPolled
	}
	left := fmt.Sprintf(" mirrortop │ primary %s %s │ %d farms, %d/%d nodes up", model.Sanitize(pstate), model.Sanitize(p.Version), len(m.state.Farms), up, total)
	if p.URL == "" {
		left = " mirrortop"
	}
	if n := len(m.state.GitLab); n > 0 {
		mirrors := 0
		for _, g := range m.state.GitLab {
			mirrors += len(g.Mirrors)
		}
		left += fmt.Sprintf(" │ GitLab %d mirrors", mirrors)
	}
	var right []string
	if n := len(m.alerts) + m.lagAlerts; n > 0 {
		word := "ALERTS"
		if n == 1 {
			word = "ALERT"
		}
		right = append(right, m.st.badge.Render(fmt.Sprintf(" %d %s ", n, word)))
	}
	if m.opt.ReadOnly {
		right = append(right, m.st.badge.Render(" RO "))
	}
	if m.opt.Replay != nil {
		right = append(right, m.replayBadge())
	} else if m.opt.Control != nil && m.opt.Control.Paused() {
		right = append(right, m.st.badge.Render(" PAUSED "))
	}
	if m.closed {
		right = append(right, m.st.badge.Render(" POLLER STOPPED "))
	}
	clock := " " + m.now.Local().Format("15:04:05") + " "
	if m.opt.Replay != nil {
		clock = m.replayClock()
	}
	r := strings.Join(right, " ")
	rw := ansi.StringWidth(r) + len(clock)
	lw := max(0, m.width-rw)
	if bn := bannerText(m.opt.Banner); bn != "" && lw > 0 {
		// The context first, so that nobody takes prod for staging.
		bn = fit(bn, min(ansi.StringWidth(bn), lw), false)
		b.WriteString(m.st.banner.Render(bn))
		lw -= ansi.StringWidth(bn)
		left = strings.TrimPrefix(left, " ")
	}
	b.WriteString(m.st.header.Render(fit(left, lw, false)))
	b.WriteString(r)
	b.WriteString(m.st.header.Render(clock))
	b.WriteByte('\n')
}

// bannerMax is the widest a banner is drawn.
const bannerMax = 24

// bannerText is the header's banner, padded, or "" for none. It is
// sanitized, though it comes from the user's own configuration.
func bannerText(s string) string {
	s = strings.TrimSpace(model.Sanitize(s))
	if s == "" {
		return ""
	}
	if ansi.StringWidth(s) > bannerMax {
		s = ansi.Truncate(s, bannerMax, "…")
	}
	return " " + s + " "
}

func (m *Model) viewTabs(b *strings.Builder) {
	labels := m.tabLabels()
	var sb strings.Builder
	w := 0
	for i, label := range labels {
		lw := ansi.StringWidth(label)
		if w+lw > m.width {
			break
		}
		w += lw
		if paneID(i) == m.active && m.mode != modeHelp {
			sb.WriteString(m.st.tabOn.Render(label))
		} else {
			sb.WriteString(m.st.tabOff.Render(label))
		}
	}
	if w < m.width {
		sb.WriteString(strings.Repeat(" ", m.width-w))
	}
	b.WriteString(sb.String())
	b.WriteByte('\n')
}

// tabLabels are the tab bar's labels: full with counts when they fit, else
// without counts, else abbreviated, so that every pane number stays visible
// at 80 columns.
func (m *Model) tabLabels() []string {
	var labels []string
	for style := 0; style < 3; style++ {
		labels = labels[:0]
		w := 0
		for _, p := range m.panes {
			name := p.name
			if style == 2 && len(name) > 4 {
				name = name[:3]
			}
			label := fmt.Sprintf(" %d %s", p.id+1, name)
			if n := len(p.table.rows); style == 0 && n > 0 && p.counted {
				label += fmt.Sprintf(" %d", n)
			}
			label += " "
			labels = append(labels, label)
			w += ansi.StringWidth(label)
		}
		if w <= m.width {
			break
		}
	}
	return labels
}

// paneTitle is the pane's name, what it shows, and the age of its data,
// marked stale past twice the interval that feeds it.
func (m *Model) paneTitle(p *pane) (string, bool, []string) {
	t := p.table
	age, known, failing := freshness(p.deps(m.state), m.now)
	interval := m.opt.Slow
	if p.fast {
		interval = m.opt.Fast
	}
	parts := []string{p.name}
	var count string
	switch {
	case t.filter != "":
		count = fmt.Sprintf("filter %q: %d of %d", t.filter, len(t.view), len(t.rows))
	case t.problems:
		count = fmt.Sprintf("%d of %d", len(t.view), len(t.rows))
	default:
		if ct, ok := p.kind.(countTexter); ok {
			count = ct.countText(len(t.rows))
			break
		}
		count = fmt.Sprintf("%d rows", len(t.rows))
	}
	if t.problems {
		// Said first: a calm pane must not pass for a healthy one.
		count = fmt.Sprintf("PROBLEMS ONLY (%d healthy hidden) · %s", t.hidden, count)
	}
	parts = append(parts, count)
	stale := false
	switch {
	case p.timeless:
	case !known:
		parts = append(parts, "waiting for data")
	case age > 2*interval:
		stale = true
		parts = append(parts, fmt.Sprintf("STALE: data %s old (polled every %s)", FormatDuration(age), FormatDuration(interval)))
	default:
		parts = append(parts, "updated "+ago(m.now, m.now.Add(-age)))
	}
	if te, ok := p.kind.(titleExtender); ok {
		parts = append(parts, te.titleExtra(m)...)
	}
	return strings.Join(parts, " · "), stale, failing
}

func (m *Model) viewPane(b *strings.Builder) {
	p := m.panes[m.active]
	title, stale, failing := m.paneTitle(p)
	style := m.st.title.Render
	if stale {
		style = m.st.tone(toneWarn).Render
	}
	m.line(b, " "+title, style)
	p.table.render(&m.st, b, m.now)
	switch {
	case len(failing) == 1:
		m.line(b, " "+m.st.glyphs[glyphBad]+" "+failing[0], m.st.tone(toneBad).Render)
	case len(failing) > 1:
		m.line(b, fmt.Sprintf(" %s %s (+%d more failing; Enter on a farm or node for all)", m.st.glyphs[glyphBad], failing[0], len(failing)-1), m.st.tone(toneBad).Render)
	case len(p.table.rows) == 0 && !stale:
		m.line(b, " "+p.empty, m.st.tone(toneMuted).Render)
	case len(p.table.view) == 0 && p.table.problems && p.table.hidden > 0:
		m.line(b, fmt.Sprintf(" no problems here: %d healthy rows hidden (%s shows them)", p.table.hidden, m.keys.keyFor(ActProblems)), m.st.tone(toneMuted).Render)
	default:
		m.line(b, "", nil)
	}
}

func (m *Model) viewDetail(b *strings.Builder) {
	m.viewPage(b, m.detail.title, &m.detail.vp)
}

func (m *Model) viewHelp(b *strings.Builder) {
	m.viewPage(b, "Help: keys and commands  ("+m.keys.keyFor(ActDown)+"/"+m.keys.keyFor(ActUp)+" scroll, any other key closes)", &m.helpVP)
}

// openHelp shows the help, from its start.
func (m *Model) openHelp() {
	m.mode = modeHelp
	m.helpVP = m.newPage()
	m.layoutHelp()
}

// layoutHelp lays the help's lines out in columns for the screen and gives
// them to its viewport (its position kept, and clamped).
func (m *Model) layoutHelp() {
	lines := m.helpLines()
	colW, cols, per := m.helpColumns(len(lines))
	rows := make([]string, per)
	for i := range rows {
		var sb strings.Builder
		for c := 0; c < cols; c++ {
			if j := c*per + i; j < len(lines) {
				sb.WriteString(fit(" "+lines[j], colW, false))
			}
		}
		rows[i] = strings.TrimPrefix(sb.String(), " ") // layoutPage puts it back
	}
	m.layoutPage(&m.helpVP, rows, nil, nil)
}

// helpLines lists the help screen's lines: the key bindings by group, the
// active pane's sort keys and the commands.
func (m *Model) helpLines() []string {
	var lines []string
	group := ""
	for _, kb := range m.keys.list {
		if !kb.Enabled() || m.opt.Replay != nil && kb.action == ActPause { // a replay's p is under Replay
			continue
		}
		if kb.group != group {
			group = kb.group
			lines = append(lines, group)
		}
		lines = append(lines, fmt.Sprintf("  %-14s %s", kb.Help().Key, kb.Help().Desc))
	}
	if m.opt.Replay != nil {
		lines = append(lines, replayHelp...)
	}
	var sorts []string
	for _, c := range m.panes[m.active].table.cols {
		if c.Sort != 0 {
			sorts = append(sorts, fmt.Sprintf("%c %s", c.Sort, strings.ToLower(c.Title)))
		}
	}
	lines = append(lines, "Sort "+m.panes[m.active].name+" (Shift+letter; again reverses)")
	lines = append(lines, wrapWords(sorts, ", ", 38, "  ", "  ")...)
	cmds := []string{}
	for _, p := range m.panes {
		cmds = append(cmds, ":"+p.cmd)
	}
	for _, c := range m.commands() {
		cmds = append(cmds, ":"+c)
	}
	lines = append(lines, "Commands")
	return append(lines, wrapWords(cmds, " ", 38, "  ", "  ")...)
}

// helpColumns lays n help lines out: two columns when the screen is wide
// enough and the list long (when it still does not fit, it scrolls). It
// returns the column width, the number of columns and lines per column.
func (m *Model) helpColumns(n int) (colW, cols, per int) {
	const minColW = 40
	colW, cols = m.width, 1
	if n > m.pageHeight() && m.width >= 2*minColW {
		colW, cols = m.width/2, 2
	}
	return colW, cols, (n + cols - 1) / cols
}

func (m *Model) viewFooter(b *strings.Builder) {
	switch m.mode {
	case modeFilter:
		m.lineNoNL(b, m.withHints(" /"+m.fieldView(&m.input, m.width-2)), nil)
		return
	case modeCommand:
		// The matching commands, or else the keys, after the field.
		line := " :" + m.fieldView(&m.input, m.width-2)
		if sg := m.suggestions(); sg != "" {
			line += sg
		} else {
			line = m.withHints(line)
		}
		m.lineNoNL(b, line, nil)
		return
	}
	if m.status != "" && m.now.Sub(m.statusAt) < clearStatusAfter {
		m.lineNoNL(b, " "+m.status, m.st.tone(m.statusTone).Render)
		return
	}
	m.lineNoNL(b, " "+m.footerHints(m.width-1), m.st.tone(toneMuted).Render)
}

// lineNoNL is line without the trailing newline (the last screen line).
func (m *Model) lineNoNL(b *strings.Builder, s string, style func(...string) string) {
	s = fit(s, m.width, false)
	if style != nil {
		s = style(s)
	}
	b.WriteString(s)
}

// clearStatusAfter is how long a status message stays before hints return.
const clearStatusAfter = 8 * time.Second

// wrapWords joins items with sep into lines of at most width columns,
// indentation included: the first line starts with first, the others with
// rest. An item too wide for a line gets one of its own (it is cut when
// drawn).
func wrapWords(items []string, sep string, width int, first, rest string) []string {
	var out []string
	indent, cur := first, ""
	for _, it := range items {
		switch {
		case cur == "":
			cur = it
		case ansi.StringWidth(indent+cur+sep+it) <= width:
			cur += sep + it
		default:
			out = append(out, indent+cur+strings.TrimRight(sep, " "))
			indent, cur = rest, it
		}
	}
	if cur != "" {
		out = append(out, indent+cur)
	}
	return out
}
