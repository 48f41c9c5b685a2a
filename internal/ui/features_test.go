package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/model"
)

// rowNames are the first words of the pane's rows on screen, alert marks
// left out.
func rowNames(m *Model) []string {
	lines := strings.Split(plain(m), "\n")
	var out []string
	for _, l := range lines[firstRowLine : firstRowLine+m.panes[m.active].table.height] {
		if f := strings.Fields(strings.TrimPrefix(l, "!")); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return out
}

func TestSubsequence(t *testing.T) {
	for _, c := range []struct {
		hay, term string
		want      bool
	}{
		{"web/inventory", "inv", true},
		{"web/inventory", "wbinv", true},
		{"web/inventory", "vni", false},
		{"web/billing\x1feu", "billingeu", false}, // never across cells
		{"plat/gateway-evil\x1feu", "gwe", true},
		{"größe", "öß", true},
		{"", "a", false},
		{"abc", "", true},
	} {
		if got := subsequence(c.hay, c.term); got != c.want {
			t.Errorf("subsequence(%q, %q) = %v, want %v", c.hay, c.term, got, c.want)
		}
	}
}

func TestFuzzyAndInvertedFilter(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, nil)
	press(m, "2")
	if got := strings.Join(rowNames(m), " "); got != "WEB/billing WEB/etl DATA/checkout PLAT/gateway-evil" {
		t.Fatalf("rows before filtering: %s", got)
	}
	// Each term matches a cell as a subsequence, in any cell.
	press(m, "/", "wb etl")
	if got := strings.Join(rowNames(m), " "); got != "WEB/etl" {
		t.Errorf(`"wb etl" keeps %q, want WEB/etl`, got)
	}
	press(m, "esc", "/", "chkout")
	if got := strings.Join(rowNames(m), " "); got != "DATA/checkout" {
		t.Errorf(`"chkout" keeps %q`, got)
	}
	// A leading ! hides the rows that contain the word.
	press(m, "esc", "/", "!content")
	if got := strings.Join(rowNames(m), " "); got != "WEB/etl DATA/checkout" {
		t.Errorf(`"!content" keeps %q`, got)
	}
	if s := plain(m); !strings.Contains(s, `filter "!content": 2 of 4`) {
		t.Errorf("title does not say the filter:\n%s", s)
	}
	// Inverted and fuzzy terms combine.
	press(m, "esc", "/", "!content wb")
	if got := strings.Join(rowNames(m), " "); got != "WEB/etl" {
		t.Errorf(`"!content wb" keeps %q`, got)
	}
	// The Nodes pane: "!eu" hides the eu nodes.
	press(m, "esc", "5", "/", "!eu", "enter")
	if got := strings.Join(rowNames(m), " "); got != "us/us-1 us/us-2 lab/lab" {
		t.Errorf(`"!eu" keeps %q`, got)
	}
}

// WEB/inventory is not among the fixture's mismatches: the filter is
// checked on a table of the repositories' names.
func TestFuzzyFindsWebInventory(t *testing.T) {
	tb := newTable([]column{{Title: "REPOSITORY", Width: 20}, {Title: "FARM", Width: 6}})
	var rows []row
	for _, n := range [][2]string{{"WEB/inventory", "eu"}, {"WEB/billing", "eu"}, {"PLAT/invoice-web", "us"}, {"DATA/inventory", "us"}} {
		rows = append(rows, row{id: n[0], cells: []cell{{text: n[0]}, {text: n[1]}}})
	}
	tb.setRows(rows)
	ids := func() string {
		var out []string
		for _, i := range tb.view {
			out = append(out, tb.rows[i].id)
		}
		return strings.Join(out, " ")
	}
	tb.setFilter("web inv")
	if got := ids(); got != "WEB/inventory PLAT/invoice-web" {
		t.Errorf(`"web inv" keeps %q`, got)
	}
	tb.setFilter("WEB INV !eu")
	if got := ids(); got != "PLAT/invoice-web" {
		t.Errorf(`"WEB INV !eu" keeps %q`, got)
	}
	tb.setFilter("!eu")
	if got := ids(); got != "PLAT/invoice-web DATA/inventory" {
		t.Errorf(`"!eu" keeps %q`, got)
	}
}

func TestProblemsOnly(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, nil)
	press(m, "!")
	// Farms: eu is SYNCHRONIZED with every node up and no alert.
	if got := strings.Join(rowNames(m), " "); got != "us lab gitlab" {
		t.Errorf("farms shown: %q", got)
	}
	if s := plain(m); !strings.Contains(s, "Farms · PROBLEMS ONLY (1 healthy hidden) · 3 of 4 ·") {
		t.Errorf("farms title:\n%s", s)
	}
	// Mismatches: the queued ones younger than the sync interval (3m) and
	// not failing are pushes in flight.
	press(m, "2")
	if got := strings.Join(rowNames(m), " "); got != "WEB/billing PLAT/gateway-evil" {
		t.Errorf("mismatches shown: %q", got)
	}
	if s := plain(m); !strings.Contains(s, "Mismatches · PROBLEMS ONLY (2 healthy hidden) · 2 of 4 ·") {
		t.Errorf("mismatches title:\n%s", s)
	}
	// Once older than one sync interval, they are problems (on the tick,
	// with nothing polled meanwhile).
	later := t0.Add(3 * time.Minute)
	m.opt.Now = func() time.Time { return later }
	m.Update(tickMsg(later))
	if got := strings.Join(rowNames(m), " "); got != "WEB/billing WEB/etl DATA/checkout PLAT/gateway-evil" {
		t.Errorf("mismatches shown 3m later: %q", got)
	}
	m.opt.Now = func() time.Time { return t0 }
	m.Update(tickMsg(t0))
	m.refreshAll()
	// Nodes: up, no error, certificate and clock fine.
	press(m, "5")
	if got := strings.Join(rowNames(m), " "); got != "eu/eu-2 us/us-2 lab/lab" {
		t.Errorf("nodes shown: %q", got)
	}
	// GitLab: the OK mirror is hidden.
	press(m, "6")
	if s := plain(m); strings.Count(s, "platform/api") != 1 || !strings.Contains(s, "(1 healthy hidden) · 5 of 6") {
		t.Errorf("gitlab:\n%s", s)
	}
	// Requests: a pending request always needs a decision.
	press(m, "4")
	if s := plain(m); !strings.Contains(s, "apac") || !strings.Contains(s, "(0 healthy hidden)") {
		t.Errorf("requests:\n%s", s)
	}
	// Off again: every row.
	press(m, "!", "2")
	if got := len(rowNames(m)); got != 4 {
		t.Errorf("%d mismatches after turning problems only off", got)
	}
	if s := plain(m); strings.Contains(s, "PROBLEMS ONLY") {
		t.Errorf("title still says problems only:\n%s", s)
	}
}

func TestProblemsKeyRebindable(t *testing.T) {
	km, err := NewKeyMap(map[string][]string{"problems": {"E"}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newTestModel(t, 120, 30, func(o *Options) { o.Keys = km })
	press(m, "!")
	if m.problems {
		t.Fatal("! still toggles problems only after rebinding")
	}
	press(m, "E")
	if !m.problems || !strings.Contains(plain(m), "PROBLEMS ONLY") {
		t.Error("E does not toggle problems only")
	}
}

// exportTo runs :export path and feeds the command's message back.
func exportTo(t *testing.T, m *Model, path string) {
	t.Helper()
	cmd := press(m, ":", "export "+path, "enter")
	if cmd == nil {
		t.Fatalf(":export %s gave no command; status %q", path, m.status)
	}
	m.Update(cmd())
}

func TestExportCSVFilteredAndSorted(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, nil)
	dir := t.TempDir()
	press(m, "2", "/", "!content", "enter", "R")
	path := filepath.Join(dir, "mm.csv")
	exportTo(t, m, path)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "REPOSITORY,FARM,NODES,KIND,SINCE,LAG,FAILED,STATUS\n" +
		"DATA/checkout,eu,eu-3,metadata,11:59:52,8s,0,AVAILABLE\n" +
		"WEB/etl,eu,eu-3,missing,11:59:20,40s,0,MISSING\n"
	if string(got) != want {
		t.Errorf("csv:\n%s\nwant:\n%s", got, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if want := "exported 2 rows of Mismatches to " + path; m.status != want {
		t.Errorf("status %q, want %q", m.status, want)
	}
}

func TestExportJSONAndOverwriteNeedsTypedName(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, nil)
	dir := t.TempDir()
	path := filepath.Join(dir, "req.json")
	if err := os.WriteFile(path, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	press(m, "4")
	exportTo(t, m, path)
	if m.dialog == nil || !strings.Contains(plain(m), `Type "req.json" (or yes)`) {
		t.Fatalf("no typed confirmation for an existing file:\n%s", plain(m))
	}
	// Something else typed: the file stays.
	if cmd := press(m, "req", "enter"); cmd != nil {
		t.Fatal("a wrong confirmation still writes")
	}
	if got, _ := os.ReadFile(path); string(got) != "keep me\n" {
		t.Fatalf("file changed without confirmation: %q", got)
	}
	if !strings.Contains(m.status, "not overwritten") {
		t.Errorf("status %q", m.status)
	}
	// Esc keeps it too.
	exportTo(t, m, path)
	press(m, "esc")
	if got, _ := os.ReadFile(path); string(got) != "keep me\n" || m.dialog != nil {
		t.Fatalf("file changed on esc: %q", got)
	}
	// The file's name typed: overwritten, mode 0600.
	exportTo(t, m, path)
	cmd := press(m, "req.json", "enter")
	if cmd == nil {
		t.Fatal("typed confirmation gave no command")
	}
	m.Update(cmd())
	got, _ := os.ReadFile(path)
	want := "[\n  {\"ID\": \"7\", \"MIRROR\": \"apac\", \"BASE URL\": \"https://mirror-apac.example.com\", \"VERSION\": \"9.6.2\", \"TYPE\": \"FARM\"}\n]\n"
	if string(got) != want {
		t.Errorf("json:\n%s\nwant:\n%s", got, want)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after overwriting, want 0600", fi.Mode().Perm())
	}
}

func TestExportRefusesOtherExtensions(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, nil)
	path := filepath.Join(t.TempDir(), "out.xlsx")
	if cmd := press(m, ":", "export "+path, "enter"); cmd != nil {
		t.Fatal("an .xlsx export started")
	}
	if want := `cannot export to "` + path + `": the file name must end in .csv or .json`; m.status != want {
		t.Errorf("status %q, want %q", m.status, want)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("file written")
	}
}

func TestExportExpandsHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	m, _ := newTestModel(t, 80, 24, nil)
	press(m, "4")
	exportTo(t, m, "~/r.csv")
	got, err := os.ReadFile(filepath.Join(home, "r.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "ID,MIRROR,BASE URL,VERSION,TYPE\n7,apac,https://mirror-apac.example.com,9.6.2,FARM\n"; string(got) != want {
		t.Errorf("csv %q, want %q", got, want)
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0", "+1": "'+1", "@SUM(A1)": "'@SUM(A1)",
		"-": "-", "-5s": "-5s", "-x": "'-x", "eu": "eu", "": ""} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStateGlyphs(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, nil)
	press(m, "5")
	lines := strings.Split(plain(m), "\n")
	for _, want := range []string{"  eu/eu-1        ✓ SYNCHRONIZED ", "! us/us-2        ✗ DOWN 17m00s ", "  lab/lab        … METADATA_SYNCHRONIZED "} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("no line starting %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	press(m, "1")
	if s := plain(m); !strings.Contains(s, "! us       ! DEGRADED ") || !strings.Contains(s, "! gitlab   ✗ PAUSED ") {
		t.Errorf("farm states without glyphs:\n%s", s)
	}
	press(m, "6")
	if s := plain(m); !strings.Contains(s, "pull ! NEVER SYNCED") || !strings.Contains(s, "push ✓ OK ") {
		t.Errorf("GitLab health without glyphs:\n%s", s)
	}
	// Glyphs are drawn, not part of the text: the filter does not see them.
	press(m, "5", "/", "✓", "enter")
	if s := plain(m); !strings.Contains(s, `filter "✓": 0 of 6`) {
		t.Errorf("the filter matched a glyph:\n%s", s)
	}
}

func TestASCIIGlyphs(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, func(o *Options) { o.ASCII = true })
	press(m, "5")
	s := plain(m)
	s = strings.ReplaceAll(s, "…", "") // cut text keeps its ellipsis
	for _, want := range []string{"  eu/eu-1        + SYNCHRONIZED ", "! us/us-2        x DOWN 17m00s ", "  lab/lab        ~ METADATA_SYNCHRON", " x us/us-2 status: GET /status: connection refused"} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, s)
		}
	}
	for _, g := range []string{"✓", "✗", "…"} {
		if strings.Contains(s, g) {
			t.Errorf("ASCII screen shows %q", g)
		}
	}
}

func TestBannerInHeader(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.Banner, o.BannerColor = "PROD", "#ff0000" })
	checkSize(t, m, 80, 24)
	first := strings.Split(screen(m), "\n")[0]
	if got := ansi.Strip(first); !strings.HasPrefix(got, " PROD mirrortop │ primary RUNNING") {
		t.Errorf("header %q", got)
	}
	// Bold, red, on the header's background, before anything else.
	if !strings.HasPrefix(first, "\x1b[1;38;2;255;0;0;") || !strings.Contains(first[:40], " PROD ") {
		t.Errorf("banner not drawn bold in its colour: %q", first[:60])
	}
	// A theme colour name works too, and escapes never reach the screen.
	m, _ = newTestModel(t, 80, 24, func(o *Options) { o.Banner, o.BannerColor = "STAGING\x1b]0;x\x07\x1b[2J", "ok" })
	first = strings.Split(screen(m), "\n")[0]
	if strings.Contains(first, "\x1b]") || strings.Contains(first, "\x1b[2J") || !strings.HasPrefix(ansi.Strip(first), " STAGING") {
		t.Errorf("banner not sanitized: %q", first)
	}
	// The dark theme's ok is ANSI colour 2: SGR 32.
	if ok := testTheme(t).Colors.OK; ok != "2" || !strings.HasPrefix(first, "\x1b[1;32;") {
		t.Errorf("banner in the theme's ok colour (%s): %q", ok, first[:40])
	}
	checkSize(t, m, 80, 24)
}

// A young mismatch that no node has been read since it was first seen (the
// primary's newer list alone shows it) is a push in flight too: hidden in
// problems only, until one sync interval has passed; one its nodes were
// read after is shown.
func TestProblemsOnlyHidesUnconfirmedMismatch(t *testing.T) {
	m, _ := newTestModel(t, 120, 30, nil)
	farm := m.state.Farm("eu")
	target := &farm.Mismatches[0]
	target.QueuedAt, target.FailedSyncCount = time.Time{}, 0
	earliest, latest := time.Time{}, time.Time{}
	for _, n := range target.Nodes {
		at := farm.Node(n).SyncAt
		if earliest.IsZero() || at.Before(earliest) {
			earliest = at
		}
		if at.After(latest) {
			latest = at
		}
	}
	name := model.RepoLabel(target.ProjectKey, target.Slug, target.RepoID)
	show := func(firstSeen time.Time) bool {
		target.FirstSeen = firstSeen
		farm.MismatchGen++
		m.refreshAll()
		return slices.Contains(rowNames(m), name)
	}
	press(m, "!", "2")
	if !show(earliest.Add(-time.Second)) {
		t.Errorf("%s hidden though its nodes were read since: %q", name, rowNames(m))
	}
	if show(latest.Add(time.Second)) {
		t.Errorf("%s shown while no node confirms it: %q", name, rowNames(m))
	}
	later := latest.Add(time.Second + m.syncInterval("eu"))
	m.opt.Now = func() time.Time { return later }
	m.Update(tickMsg(later))
	if !slices.Contains(rowNames(m), name) {
		t.Errorf("%s still hidden one sync interval later: %q", name, rowNames(m))
	}
}
