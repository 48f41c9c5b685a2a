package ui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/actions"
)

// editKeys sends keys as press does, and also the line-editing keys a
// terminal sends: arrows, Home/End, Delete and Alt+letter.
func editKeys(m *Model, keys ...string) tea.Cmd {
	var last tea.Cmd
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "left":
			msg = tea.KeyPressMsg{Code: tea.KeyLeft}
		case "right":
			msg = tea.KeyPressMsg{Code: tea.KeyRight}
		case "home":
			msg = tea.KeyPressMsg{Code: tea.KeyHome}
		case "end":
			msg = tea.KeyPressMsg{Code: tea.KeyEnd}
		case "delete":
			msg = tea.KeyPressMsg{Code: tea.KeyDelete}
		default:
			if strings.HasPrefix(k, "alt+") {
				msg = tea.KeyPressMsg{Code: rune(k[4]), Mod: tea.ModAlt}
				break
			}
			last = press(m, k)
			continue
		}
		_, last = m.Update(msg)
	}
	return last
}

// footer is the screen's last line, styled.
func footer(m *Model) string {
	lines := strings.Split(screen(m), "\n")
	return lines[len(lines)-1]
}

// plainFooter is the footer's field part, without styling and without the
// key hints drawn at its right (after a wide gap).
func plainFooter(m *Model) string {
	f := ansi.Strip(footer(m))
	if i := strings.Index(f, "    "); i >= 0 {
		f = f[:i]
	}
	return strings.TrimRight(f, " ")
}

func TestFilterCursorEditing(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	editKeys(m, "2", "/", "abc", "left", "left", "X")
	if got := m.input.Value(); got != "aXbc" {
		t.Fatalf("field %q, want aXbc", got)
	}
	if got := plainFooter(m); got != " /aXbc" {
		t.Errorf("footer %q, want %q", got, " /aXbc")
	}
	// The cursor sits on the b, in reverse video.
	if f := footer(m); !strings.HasPrefix(f, " /aX"+m.st.cursor.Render("b")+"c ") {
		t.Errorf("cursor not on the b: %q", f)
	}
	if got := m.panes[paneMismatches].table.filter; got != "axbc" {
		t.Errorf("filter %q, want axbc", got)
	}
	if s := plain(m); !strings.Contains(s, `filter "axbc": 0 of 4`) {
		t.Errorf("filter not applied:\n%s", s)
	}
	// Home, Delete, End and Right: "WEB/bil" from "aXbc" edits.
	editKeys(m, "ctrl+u", "ctrl+k", "WEB/bl", "left", "i", "home", "delete", "W", "end", "right")
	if got := m.input.Value(); got != "WEB/bil" {
		t.Fatalf("field %q, want WEB/bil", got)
	}
	if s := plain(m); !strings.Contains(s, `filter "web/bil": 1 of 4`) || !strings.Contains(s, "WEB/billing") || strings.Contains(s, "WEB/etl") {
		t.Errorf("filter web/bil:\n%s", s)
	}
	if got := plainFooter(m); got != " /WEB/bil█" {
		t.Errorf("footer %q", got)
	}
	editKeys(m, "enter")
	if m.mode != modeNormal || m.panes[paneMismatches].table.filter != "web/bil" {
		t.Errorf("enter keeps the filter: mode %v filter %q", m.mode, m.panes[paneMismatches].table.filter)
	}
	// Reopened, the field holds the filter, cursor at its end.
	editKeys(m, "/", "l")
	if got := m.input.Value(); got != "web/bill" {
		t.Errorf("reopened field %q", got)
	}
	editKeys(m, "esc")
	if m.mode != modeNormal || m.panes[paneMismatches].table.filter != "" {
		t.Error("esc clears the filter")
	}
}

func TestFieldWordKeys(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	steps := []struct {
		keys []string
		want string
		pos  int
	}{
		{[]string{":", "web bil"}, "web bil", 7},
		{[]string{"ctrl+w"}, "web ", 4},
		{[]string{"ctrl+w"}, "", 0},
		{[]string{"web inv eu"}, "web inv eu", 10},
		{[]string{"alt+b", "alt+b"}, "web inv eu", 4},
		{[]string{"ctrl+k"}, "web ", 4},
		{[]string{"inv eu", "alt+b", "alt+b"}, "web inv eu", 4},
		{[]string{"ctrl+u"}, "inv eu", 0},
		{[]string{"alt+f", "X"}, "invX eu", 4},
		{[]string{"ctrl+e", "Y", "ctrl+a", "Z"}, "ZinvX euY", 1},
		{[]string{"ctrl+h", "backspace"}, "invX euY", 0},
	}
	for _, s := range steps {
		editKeys(m, s.keys...)
		if got, pos := m.input.Value(), m.input.Position(); got != s.want || pos != s.pos {
			t.Fatalf("after %q: field %q cursor %d, want %q cursor %d", s.keys, got, pos, s.want, s.pos)
		}
	}
	if m.mode != modeCommand {
		t.Fatalf("mode %v, want the command line", m.mode)
	}
}

func TestPasteIsSanitized(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	editKeys(m, "2", "/")
	m.Update(tea.PasteMsg{Content: "WEB\x1b]0;pwned\x07/bil\x00l\x1b[2J"})
	if got := m.input.Value(); got != "WEB/bill" {
		t.Fatalf("field %q, want WEB/bill", got)
	}
	s := screen(m)
	if strings.ContainsAny(s, "\a\x00") || strings.Contains(s, "\x1b]") || strings.Contains(s, "\x1b[2J") || strings.Contains(s, "pwned") {
		t.Errorf("the pasted escape sequence reached the screen: %q", s)
	}
	if got := plainFooter(m); got != " /WEB/bill█" {
		t.Errorf("footer %q", got)
	}
	if p := plain(m); !strings.Contains(p, `filter "web/bill": 1 of 4`) {
		t.Errorf("pasted filter not applied:\n%s", p)
	}
	// A paste goes in at the cursor; a newline in it becomes a space.
	editKeys(m, "ctrl+u", "ab", "left")
	m.Update(tea.PasteMsg{Content: "x\ny"})
	if got := m.input.Value(); got != "ax yb" {
		t.Errorf("field %q, want %q", got, "ax yb")
	}
}

func TestTypedTextIsSanitized(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	editKeys(m, "/")
	// Text a terminal delivers as one key event (an unbracketed paste).
	m.Update(tea.KeyPressMsg{Code: 'a', Text: "a\x1b[31mb\u009b2Jc"})
	if got := m.input.Value(); got != "abc" {
		t.Errorf("field %q, want abc", got)
	}
}

func TestPasteWithoutAFieldDoesNothing(t *testing.T) {
	m, r, _ := actionModel(t, false)
	press(m, "4")
	_, cmd := m.Update(tea.PasteMsg{Content: "q"})
	if cmd != nil || m.mode != modeNormal || m.active != paneRequests {
		t.Fatalf("a paste in the list acted: mode %v pane %v", m.mode, m.active)
	}
	press(m, "a") // approve: y/N
	m.Update(tea.PasteMsg{Content: "y"})
	if m.dialog == nil || m.dialog.plan == nil || len(r.ran) != 0 {
		t.Fatal("a pasted y must not confirm")
	}
}

func TestPasteIsCutAtTheLimit(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	editKeys(m, "/")
	m.Update(tea.PasteMsg{Content: strings.Repeat("a", 300)})
	if got := m.input.Value(); got != strings.Repeat("a", lineLimit) {
		t.Fatalf("field has %d characters, want %d", len(got), lineLimit)
	}
	editKeys(m, "b")
	if got := len(m.input.Value()); got != lineLimit {
		t.Errorf("typing past the limit: %d characters", got)
	}
	// A long field scrolls: the cursor stays on screen.
	if got := plainFooter(m); got != " /"+strings.Repeat("a", 117)+"█" {
		t.Errorf("footer %q", got)
	}
	editKeys(m, "home")
	if got := ansi.Strip(footer(m)); got != " /"+strings.Repeat("a", 118) {
		t.Errorf("footer at home %q", got)
	}
	checkSize(t, m, 120, 40)
}

func TestTypedKeysStayInTheField(t *testing.T) {
	m, ctl := newTestModel(t, 120, 40, nil)
	for _, open := range []string{"/", ":"} {
		press(m, "3")
		cmd := editKeys(m, open, "q", "2", "j", "?", "p", "G", ":", "/", "ctrl+r", "c")
		if cmd != nil || m.active != paneQueue || m.opt.Control.Paused() || ctl.refreshes != 0 || m.detail != nil {
			t.Fatalf("%s: a typed key acted on the panes", open)
		}
		if got := m.input.Value(); got != "q2j?pG:/c" {
			t.Errorf("%s: field %q", open, got)
		}
		editKeys(m, "esc")
	}
}

func TestTabCompletesCommands(t *testing.T) {
	m, ctl := newTestModel(t, 120, 40, nil)
	editKeys(m, ":", "ref", "tab")
	if got := m.input.Value(); got != "refresh" {
		t.Fatalf("field %q, want refresh", got)
	}
	if got := plainFooter(m); got != " :refresh█  refresh" {
		t.Errorf("footer %q", got)
	}
	editKeys(m, "enter")
	if ctl.refreshes != 1 {
		t.Errorf("the completed command did not run: %d refreshes", ctl.refreshes)
	}

	// ":" alone lists every command; "r" is ambiguous.
	editKeys(m, ":")
	if got := plainFooter(m); got != " :█  farms mismatches queue requests nodes gitlab events help checks refresh pause resume export quit" {
		t.Errorf("footer %q", got)
	}
	editKeys(m, "r")
	if got := plainFooter(m); got != " :r█  requests refresh resume" {
		t.Errorf("candidates for r: %q", got)
	}
	// Tab first takes the common prefix, then cycles; Shift+Tab goes back.
	for _, step := range []struct{ key, want, foot string }{
		{"tab", "re", " :re█  requests refresh resume"},
		{"tab", "requests", " :requests█  requests refresh resume"},
		{"tab", "refresh", " :refresh█  requests refresh resume"},
		{"tab", "resume", " :resume█  requests refresh resume"},
		{"tab", "requests", " :requests█  requests refresh resume"},
		{"shift+tab", "resume", " :resume█  requests refresh resume"},
	} {
		editKeys(m, step.key)
		if got := m.input.Value(); got != step.want {
			t.Fatalf("%s: field %q, want %q", step.key, got, step.want)
		}
		if got := plainFooter(m); got != step.foot {
			t.Errorf("%s: footer %q, want %q", step.key, got, step.foot)
		}
	}
	// The candidate shown is highlighted.
	if f := footer(m); !strings.Contains(f, m.st.selected.Render("resume")) {
		t.Errorf("cycled candidate not highlighted: %q", f)
	}
	// Typing ends the cycle: the candidates follow the text again.
	editKeys(m, "backspace", "backspace", "backspace", "backspace")
	if got := plainFooter(m); got != " :re█  requests refresh resume" {
		t.Errorf("after editing: %q", got)
	}
	editKeys(m, "q", "tab", "enter")
	if m.active != paneRequests {
		t.Errorf("completed :requests did not switch pane: %v", m.active)
	}
	// No candidate: Tab changes nothing, and none are shown.
	editKeys(m, ":", "zz", "tab")
	if got := plainFooter(m); got != " :zz█" {
		t.Errorf("no candidates: %q", got)
	}
}

func TestTabCompletesArguments(t *testing.T) {
	commandArgs["farms"] = func(m *Model) []string {
		var out []string
		for _, f := range m.state.Farms {
			out = append(out, f.Name)
		}
		return out
	}
	t.Cleanup(func() { delete(commandArgs, "farms") })
	m, _ := newTestModel(t, 120, 40, nil)
	editKeys(m, ":", "far", "tab")
	if got := m.input.Value(); got != "farms " {
		t.Fatalf("field %q: a command taking an argument completes with a space", got)
	}
	if got := plainFooter(m); got != " :farms █  eu us lab" {
		t.Errorf("argument candidates: %q", got)
	}
	editKeys(m, "u", "tab")
	if got := m.input.Value(); got != "farms us" {
		t.Errorf("field %q, want %q", got, "farms us")
	}
}

func TestFilterTabIsIgnored(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	editKeys(m, "2", "/", "we", "tab")
	if got := m.input.Value(); got != "we" || m.active != paneMismatches || m.mode != modeFilter {
		t.Errorf("tab in the filter: field %q pane %v mode %v", got, m.active, m.mode)
	}
}

func TestDialogReasonEditing(t *testing.T) {
	m, r, _ := actionModel(t, false)
	press(m, "2", "r", "enter", "j", "enter") // acknowledge for 4 hours: why?
	if m.dialog == nil || !m.dialog.prompt {
		t.Fatalf("no reason prompt:\n%s", plain(m))
	}
	editKeys(m, "known bug", "ctrl+w", "issue on eu3", "left", "-", "home", "alt+f", "alt+f", "ctrl+k")
	if got := m.dialog.input.Value(); got != "known issue" {
		t.Fatalf("reason %q", got)
	}
	editKeys(m, "end")
	m.Update(tea.PasteMsg{Content: " on\x1b]0;x\x07 eu-3\n"})
	if got := m.dialog.input.Value(); got != "known issue on eu-3 " {
		t.Fatalf("reason after paste %q", got)
	}
	if s := screen(m); !strings.Contains(ansi.Strip(s), "> known issue on eu-3 █") || strings.Contains(s, "\x1b]") {
		t.Errorf("prompt line:\n%s", ansi.Strip(s))
	}
	editKeys(m, "left", "left", "left")
	if s := screen(m); !strings.Contains(s, "on eu"+m.st.cursor.Render("-")+"3") {
		t.Errorf("cursor not on the dash: %q", s)
	}
	m.Update(tea.PasteMsg{Content: strings.Repeat("x", 300)})
	if got := len([]rune(m.dialog.input.Value())); got != reasonLimit {
		t.Errorf("reason of %d characters, want the limit %d", got, reasonLimit)
	}
	editKeys(m, "ctrl+u", "ctrl+k", "reason")
	drive(m, "enter")
	if len(r.ran) != 1 || r.ran[0].Ack == nil || r.ran[0].Ack.Reason != "reason" || r.ran[0].Ack.Until != t0.Add(4*time.Hour) {
		t.Fatalf("ack plan %+v", r.ran)
	}
}

func TestTypedConfirmationEditing(t *testing.T) {
	m, r, _ := actionModel(t, false)
	m.state.Farm("eu").Settings.Mode = "SELECTED_PROJECTS"
	m.state.Farm("eu").Settings.ProjectIDs = []string{"1", "2", "3"}
	press(m, "2", "r", "j", "j", "enter") // re-seed: type WEB
	editKeys(m, "WB", "left", "E")
	drive(m, "enter")
	if len(r.ran) != 1 || r.ran[0].Kind != actions.KindReseed {
		t.Fatalf("ran %+v", r.ran)
	}
}

func TestCommandLineFitsNarrowScreens(t *testing.T) {
	m, _ := newTestModel(t, 60, 20, nil)
	editKeys(m, ":")
	if got := ansi.Strip(footer(m)); got != " :█  farms mismatches queue requests nodes gitlab events he…" {
		t.Errorf("footer %q", got)
	}
	checkSize(t, m, 60, 20)
	m.Update(tea.PasteMsg{Content: strings.Repeat("界", 100)})
	checkSize(t, m, 60, 20)
	if got := ansi.Strip(footer(m)); got != " :"+strings.Repeat("界", 28)+"█ " {
		t.Errorf("wide text: footer %q", got)
	}
}

// ":export " and Tab offers a file named after the active pane.
func TestTabCompletesExportPath(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	editKeys(m, "2", ":", "exp", "tab")
	if got := m.input.Value(); got != "export " {
		t.Fatalf("after tab %q, want %q", got, "export ")
	}
	if got := plainFooter(m); got != " :export █  mismatches.csv mismatches.json" {
		t.Errorf("candidates %q", got)
	}
	editKeys(m, "mismatches.j", "tab")
	if got := m.input.Value(); got != "export mismatches.json" {
		t.Errorf("after mismatches.j and tab %q", got)
	}
}
