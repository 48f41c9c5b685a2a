package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/model"
)

// The test pane's own actions: one that changes something, one that does
// not.
const (
	actWipe  Action = "wipe_widget"
	actCount Action = "count_widgets"
)

// widgetsPane is a pane as a new one is written: this type, and one line
// in the registry (withPane).
type widgetsPane struct{}

func (widgetsPane) info() paneInfo {
	return paneInfo{name: "Widgets", cmd: "widgets", counted: true, empty: "no widgets", actions: []Action{actWipe, actCount}}
}

func (widgetsPane) columns() []column { return []column{{Title: "WIDGET", Width: 12, Sort: 'W'}} }

func (widgetsPane) rows(m *Model) []row {
	return []row{newRow(widgetSubject{"gizmo"}, []cell{{text: "gizmo"}}, []sortKey{strKey("gizmo")})}
}

// widgetSubject is what a widget row refers to.
type widgetSubject struct{ name string }

func (s widgetSubject) key() string { return "widget/" + s.name }
func (s widgetSubject) detail(*Model, *detail) (string, []string) {
	return "Widget " + s.name, []string{"a widget named " + s.name}
}
func (widgetSubject) detailActions() []Action { return []Action{actCount} }

func (widgetsPane) deps(*model.State) []dep { return nil }

func (widgetsPane) bindings() []*binding {
	return []*binding{
		newBinding(actWipe, "Actions", "wipe the widget", "w").dangerous(),
		newBinding(actCount, "Actions", "count the widgets", "%"),
	}
}

func (widgetsPane) act(m *Model, a Action) tea.Cmd {
	m.setStatus(toneOK, "widget action %s", a)
	return nil
}

// withPane registers one more pane for the test.
func withPane(t *testing.T, k paneKind) {
	saved := registry
	registry = append(slices.Clone(registry), k)
	t.Cleanup(func() { registry = saved })
}

func TestRegisteredPaneIsEverywhere(t *testing.T) {
	withPane(t, widgetsPane{})
	m, _, _ := actionModel(t, false)
	m.Update(sizeMsg(160, 40))

	tabs := strings.Split(plain(m), "\n")[tabBarLine]
	if !strings.Contains(tabs, " 8 Widgets 1 ") {
		t.Errorf("tab bar %q lacks the pane's tab", tabs)
	}
	if f := footerText(m); !strings.Contains(f, "1-8 panes") || strings.Contains(f, "widget") {
		t.Errorf("footer %q: no 1-8 panes hint, or the pane's keys on another pane", f)
	}
	press(m, "8")
	if m.active != 7 {
		t.Fatalf("digit key 8: active pane %d", m.active)
	}
	scr := plain(m)
	if !strings.Contains(scr, " Widgets · 1 rows") || !strings.Contains(scr, "gizmo") {
		t.Errorf("the pane's title and row are not shown:\n%s", scr)
	}
	if f := footerText(m); !strings.Contains(f, "? help · w wipe the widget · % count the widgets · enter detail") {
		t.Errorf("footer on the pane: %q", f)
	}
	press(m, "w")
	if m.status != "widget action wipe_widget" {
		t.Errorf("the pane's key ran %q", m.status)
	}
	press(m, "enter")
	if scr := plain(m); !strings.Contains(scr, "Widget gizmo") || !strings.Contains(scr, "a widget named gizmo") || !strings.Contains(footerText(m), "% count the widgets") {
		t.Errorf("enter does not open the row's detail:\n%s", scr)
	}
	press(m, "esc")

	press(m, "1", ":", "wid", "tab")
	if got := m.input.Value(); got != "widgets" {
		t.Errorf("Tab completes %q", got)
	}
	press(m, "enter")
	if m.active != 7 {
		t.Errorf(":widgets switches to pane %d", m.active)
	}

	press(m, "?")
	help := plain(m)
	for _, want := range []string{"8              widgets", "w              wipe the widget", ":widgets"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
}

// footerText is the footer line of the screen shown, status cleared.
func footerText(m *Model) string {
	m.status = ""
	lines := strings.Split(plain(m), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// enabledHints are the descriptions of the footer hints that show.
func enabledHints(m *Model) []string {
	var out []string
	for _, b := range m.footerBindings() {
		if b.Enabled() {
			out = append(out, b.Help().Desc)
		}
	}
	return out
}

func TestReadOnlyRemovesExactlyTheDangerousActions(t *testing.T) {
	withPane(t, widgetsPane{})
	rw, _, _ := actionModel(t, false)
	ro, _, _ := actionModel(t, true)
	for i := range rw.panes {
		press(rw, rw.keys.keyFor(paneAction(i)))
		press(ro, ro.keys.keyFor(paneAction(i)))
		var want []string
		for _, a := range rw.panes[i].actions {
			if rw.keys.dangerous(a) {
				want = append(want, rw.keys.short(a).Help().Desc)
			}
		}
		var gone []string
		have := enabledHints(ro)
		for _, d := range enabledHints(rw) {
			if !slices.Contains(have, d) {
				gone = append(gone, d)
			}
		}
		if !slices.Equal(gone, want) {
			t.Errorf("pane %s: read-only drops %q from the footer, want %q", rw.panes[i].name, gone, want)
		}
	}
	if got := enabledHints(ro); !slices.Contains(got, "count the widgets") {
		t.Errorf("read-only drops the safe action too: %q", got)
	}
	// The dangerous ones are gone from the keys and the help too; the
	// others stay.
	var roHelp []string
	for _, b := range ro.keys.list {
		if b.Enabled() {
			roHelp = append(roHelp, string(b.action))
		}
		if k := ro.keys.keyFor(b.action); b.danger && ro.keys.match(keyMsg(k)) == b.action {
			t.Errorf("read-only: %s (%s) still matches", b.action, k)
		}
	}
	for _, b := range rw.keys.list {
		if shown := slices.Contains(roHelp, string(b.action)); shown == b.danger {
			t.Errorf("read-only help: %s (dangerous %v) shown: %v", b.action, b.danger, shown)
		}
	}
	press(ro, "8", "w")
	if want := "read-only: wipe_widget is not available in this console"; ro.status != want {
		t.Errorf("read-only ran the dangerous pane key: %q, want %q", ro.status, want)
	}
	press(ro, "%")
	if ro.status != "widget action count_widgets" {
		t.Errorf("read-only: the safe pane key ran %q", ro.status)
	}
}

// Every row says what it refers to by a typed subject, whose key is the
// row's id; the detail and the actions take the subject.
func TestRowsCarryTypedSubjects(t *testing.T) {
	m, _, _ := actionModel(t, false)
	want := map[paneID]string{paneFarms: "ui.farmSubject", paneMismatches: "ui.mismatchSubject", paneQueue: "ui.queueSubject",
		paneRequests: "ui.requestSubject", paneNodes: "ui.nodeSubject", paneGitLab: "ui.gitlabSubject"}
	for id, typ := range want {
		rows := m.panes[id].table.rows
		if len(rows) == 0 {
			t.Fatalf("pane %d has no rows", id)
		}
		for _, r := range rows {
			if got := fmt.Sprintf("%T", r.subj); got != typ && !(id == paneFarms && got == "ui.gitlabInstanceSubject") {
				t.Errorf("pane %d: row %s refers to a %s", id, r.id, got)
			}
			if r.id != r.subj.key() {
				t.Errorf("row id %q, subject key %q", r.id, r.subj.key())
			}
		}
	}
	// The mismatch row's subject names its repository; resolve acts on it.
	press(m, "2")
	sel, _ := m.panes[paneMismatches].table.selected()
	farm, id := sel.subj.(repoRef).repository()
	if farm != "eu" || id != "2" {
		t.Errorf("first mismatch: %s/%s", farm, id)
	}
	press(m, "r")
	if m.dialog == nil || m.dialog.title != "Resolve WEB/billing on farm eu" {
		t.Errorf("resolve on %s/%s: dialog %+v", farm, id, m.dialog)
	}
}

// An action pressed where it does not apply names the panes that take it,
// from their declared actions.
func TestActionElsewhereNamesItsPanes(t *testing.T) {
	m, _, _ := actionModel(t, false)
	for _, c := range []struct{ key, want string }{
		{"a", "approve and reject work on a mirror request (pane 4)"},
		{"s", "sync works on a repository, a farm or a GitLab mirror (panes 1, 2, 3, 6)"},
		{"r", "resolve works on a mismatched repository or a GitLab mirror (panes 2, 6)"},
	} {
		press(m, "5", c.key)
		if m.status != c.want || m.dialog != nil {
			t.Errorf("%s on a node: %q", c.key, m.status)
		}
	}
}
