package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/actions"
)

// fakeRefs gives the manual view long base URLs and no fetchers (so that
// no ref comparison runs).
type fakeRefs struct{}

const longPrimary = "https://bitbucket-primary.datacenter-frankfurt.example.com"

func (fakeRefs) PrimaryFetcher() (actions.Fetcher, string) { return nil, longPrimary }
func (fakeRefs) NodeFetcher(farm, node string) (actions.Fetcher, string, bool) {
	return nil, "", false
}
func (fakeRefs) FarmBase(farm string) string {
	return "https://mirror-" + farm + ".datacenter-frankfurt.example.com"
}

// manualModel opens the manual repair view of WEB/billing on eu at 80x24.
func manualModel(t *testing.T) *Model {
	t.Helper()
	m, _, _ := actionModel(t, false)
	m.opt.Refs = fakeRefs{}
	m.Update(sizeMsg(80, 24))
	press(m, "2", "r", "j", "enter") // resolve, manual
	if m.detail == nil || !strings.HasPrefix(m.detail.key, "manual/") {
		t.Fatalf("manual view not open:\n%s", plain(m))
	}
	return m
}

// A repair command wider than 80 columns is shown whole at 80 columns:
// its screen lines, the margin and the continuation lines' indentation
// taken off, join to exactly the command; y copies it with OSC 52.
func TestManualCommandWrappedWholeAndCopied(t *testing.T) {
	m := manualModel(t)
	want := "git push " + longPrimary + "/scm/web/billing.git HEAD:refs/heads/mirror-resync"
	if len(want) <= 80 {
		t.Fatalf("command %d columns: not wider than the screen", len(want))
	}
	d := m.detail
	i := slices.IndexFunc(d.cmds, func(c command) bool { return c.text == want })
	if i < 0 {
		t.Fatalf("no command %q in %+v", want, d.cmds)
	}
	for d.sel != i {
		press(m, "n")
	}
	checkSize(t, m, 80, 24)
	lines := strings.Split(plain(m), "\n")
	// Its screen lines: below the header, tab bar and title.
	c := d.cmds[i].line
	first, n := 3+d.starts[c]-d.vp.YOffset(), d.starts[c+1]-d.starts[c]
	if first < 3 || first+n > len(lines)-1 {
		t.Fatalf("the selected command is not on screen (lines %d+%d):\n%s", first, n, plain(m))
	}
	// The first line is the margin and the step's indentation (3); the
	// continuations are the margin and four more columns (5).
	if !strings.HasPrefix(lines[first], "   git push") {
		t.Fatalf("line %d is %q", first, lines[first])
	}
	got := strings.TrimRight(lines[first][3:], " ")
	for _, l := range lines[first+1 : first+n] {
		if !strings.HasPrefix(l, "     ") {
			t.Fatalf("continuation line %q is not indented", l)
		}
		got += strings.TrimRight(l[5:], " ")
	}
	if got != want || n < 2 {
		t.Errorf("wrapped command (%d lines) joins to\n%q\nwant\n%q\n%s", n, got, want, plain(m))
	}
	if strings.Contains(strings.Join(lines[first:first+n], "\n"), "…") {
		t.Error("the command is cut")
	}
	if s := plain(m); !strings.Contains(s, "y copies it exactly") {
		t.Errorf("the view does not say how to copy:\n%s", s)
	}
	// The selected command is drawn selected (reverse colours).
	raw := strings.Split(screen(m), "\n")[first]
	if !strings.Contains(raw, "\x1b[30;44m") {
		t.Errorf("selected command not marked: %q", raw)
	}
	cmd := press(m, "y")
	if cmd == nil || fmt.Sprint(cmd()) != fmt.Sprint(tea.SetClipboard(want)()) {
		t.Fatalf("y did not copy %q", want)
	}
	if s := plain(m); !strings.Contains(s, "copied to the clipboard (OSC 52") {
		t.Errorf("status after copy:\n%s", s)
	}
}

// The copied command is sanitized: a repository name with an escape
// sequence in it reaches the clipboard without it.
func TestCopiedCommandIsSanitized(t *testing.T) {
	m := manualModel(t)
	m.detail.cmds = []command{{line: 0, text: "git ls-remote https://x/scm/web/\x1b]52;c;ZXZpbA==\x07evil.git"}}
	m.detail.sel = 0
	msg := fmt.Sprint(press(m, "y")())
	if strings.ContainsAny(msg, "\x1b\x07") || !strings.Contains(msg, "evil.git") {
		t.Errorf("clipboard message %q", msg)
	}
}

// The position indicator in a page's title moves as it scrolls, by key
// and by wheel, and stops at the end.
func TestPositionIndicatorMoves(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.Mouse = true })
	press(m, "enter") // farm eu
	title := func() string { return strings.Join(strings.Fields(strings.Split(plain(m), "\n")[2]), " ") }
	total := m.detail.vp.TotalLineCount()
	h := m.pageHeight()
	if want := fmt.Sprintf("Farm eu 1–%d of %d", h, total); title() != want {
		t.Fatalf("title %q, want %q", title(), want)
	}
	press(m, "j")
	if want := fmt.Sprintf("Farm eu 2–%d of %d", h+1, total); title() != want {
		t.Errorf("after j: %q, want %q", title(), want)
	}
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if want := fmt.Sprintf("Farm eu 5–%d of %d", h+4, total); title() != want {
		t.Errorf("after the wheel: %q, want %q", title(), want)
	}
	press(m, "G", "j")
	if want := fmt.Sprintf("Farm eu %d–%d of %d", total-h+1, total, total); title() != want {
		t.Errorf("at the end: %q, want %q", title(), want)
	}
	// A refresh keeps the position.
	m.Update(tickMsg(t0))
	if want := fmt.Sprintf("Farm eu %d–%d of %d", total-h+1, total, total); title() != want {
		t.Errorf("after a refresh: %q, want %q", title(), want)
	}
	press(m, "g")
	if want := fmt.Sprintf("Farm eu 1–%d of %d", h, total); title() != want {
		t.Errorf("back at the start: %q, want %q", title(), want)
	}
	// The help scrolls the same way.
	m.Update(sizeMsg(60, 16))
	press(m, "?")
	if s := title(); !strings.Contains(s, "1–12 of") {
		t.Errorf("help title %q", s)
	}
	press(m, "j")
	if s := title(); !strings.Contains(s, "2–13 of") {
		t.Errorf("help title after j %q", s)
	}
}

func lastLine(m *Model) string {
	lines := strings.Split(plain(m), "\n")
	return lines[len(lines)-1]
}

// The footer names the keys of the pane shown, from the key map: the
// Requests pane's approve and reject, which read-only mode leaves out.
func TestFooterShowsPaneKeys(t *testing.T) {
	m, _, _ := actionModel(t, false)
	m.Update(sizeMsg(80, 24))
	press(m, "4")
	if f, want := lastLine(m), " ? help · a approve · x reject · enter detail · / filter · : command …"; strings.TrimRight(f, " ") != want {
		t.Errorf("requests footer\n%q\nwant\n%q", f, want)
	}
	checkSize(t, m, 80, 24)
	press(m, "2")
	if f := lastLine(m); !strings.Contains(f, "s sync · r resolve") || strings.Contains(f, "approve") {
		t.Errorf("mismatches footer %q", f)
	}
	ro, _, _ := actionModel(t, true)
	ro.Update(sizeMsg(80, 24))
	press(ro, "4")
	if f, want := lastLine(ro), " ? help · enter detail · / filter · : command · 1-7 panes · p pause · q quit …"; strings.TrimRight(f, " ") != want {
		t.Errorf("read-only requests footer\n%q\nwant\n%q", f, want)
	}
}

// A detail's footer names the detail's keys: a farm's project actions,
// the manual view's command keys.
func TestFooterShowsDetailKeys(t *testing.T) {
	m, _, _ := actionModel(t, false)
	press(m, "enter")
	if f, want := lastLine(m), " esc back · j/k scroll · ? help · s sync · + add project · - remove project · * mirror all · ctrl+r refresh · q quit"; strings.TrimRight(f, " ") != want {
		t.Errorf("farm detail footer\n%q\nwant\n%q", f, want)
	}
	m = manualModel(t)
	if f := lastLine(m); !strings.HasPrefix(f, " esc back · j/k scroll · ? help · n next command · y copy command") {
		t.Errorf("manual footer %q", f)
	}
	// A dialog's footer names the dialog's keys.
	press(m, "r")
	if f := lastLine(m); !strings.HasPrefix(f, " j/k choose · enter select · any other key cancel") {
		t.Errorf("chooser footer %q", f)
	}
}

// A rebound key shows rebound in the footer and the help.
func TestFooterShowsReboundKeys(t *testing.T) {
	km, err := NewKeyMap(map[string][]string{"help": {"h"}, "approve": {"A"}, "copy": {"c", "ctrl+y"}})
	if err != nil {
		t.Fatal(err)
	}
	m, _, _ := actionModel(t, false)
	m.keys, m.opt.Keys = km, km
	m.keys.SetReadOnly(false)
	press(m, "4")
	if f := lastLine(m); !strings.HasPrefix(f, " h help · A approve · x reject") {
		t.Errorf("footer with rebound keys %q", f)
	}
	press(m, "h")
	if s := plain(m); !strings.Contains(s, "c/ctrl+y       copy selected command") {
		t.Errorf("help with rebound keys:\n%s", s)
	}
}

// ? lists every key grouped: navigation, panes, actions, general; in
// read-only mode without the actions that change anything.
func TestHelpListsKeysGrouped(t *testing.T) {
	m, _, _ := actionModel(t, false)
	m.Update(sizeMsg(80, 60))
	press(m, "?")
	s := plain(m)
	at := func(sub string) int {
		i := strings.Index(s, sub)
		if i < 0 {
			t.Fatalf("help lacks %q:\n%s", sub, s)
		}
		return i
	}
	order := []string{" Navigation", "k/up           up", " Panes", "1              farms", " Actions", "a              approve mirror request",
		"y              copy selected command", " General", "/              filter rows", "q/ctrl+c       quit"}
	for i := 1; i < len(order); i++ {
		if at(order[i-1]) > at(order[i]) {
			t.Errorf("%q comes before %q:\n%s", order[i], order[i-1], s)
		}
	}
	ro, _, _ := actionModel(t, true)
	ro.Update(sizeMsg(80, 60))
	press(ro, "?")
	if s := plain(ro); strings.Contains(s, "approve") || strings.Contains(s, "sync repository") || !strings.Contains(s, "copy selected command") {
		t.Errorf("read-only help:\n%s", s)
	}
	if g := ro.keys.FullHelp(); len(g) != 4 {
		t.Errorf("%d groups, want 4", len(g))
	}
}

func TestWrapExact(t *testing.T) {
	cases := []struct {
		in    string
		width int
		want  []string
	}{
		{"short", 10, []string{"short"}},
		// Breaks before a space; the continuation (indent + 2) starts with it.
		{"  git push https://host/x.git HEAD:refs/heads/main", 30, []string{"  git push https://host/x.git", "     HEAD:refs/heads/main"}},
		// A word wider than the line breaks inside it.
		{"  curl https://a-very-long-host-name.example.com/rest", 24, []string{"  curl", "     https://a-very-long", "    -host-name.example.c", "    om/rest"}},
		// A value after a label continues under the value.
		{"Why           sync failing on eu-3 (3 failures)", 30, []string{"Why           sync failing on", "               eu-3 (3", "               failures)"}},
	}
	for _, c := range cases {
		got := wrapExact(c.in, c.width)
		if !slices.Equal(got, c.want) {
			t.Errorf("wrapExact(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}
