package ui

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/doctor"
	"github.com/mirrortop/mirrortop/internal/model"
)

func sizeMsg(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// keyMsg builds the key press a terminal sends for a key name.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	}
	if strings.HasPrefix(k, "ctrl+") {
		return tea.KeyPressMsg{Code: rune(k[5]), Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// press sends keys; a key of more than one rune that is not a key name is
// typed rune by rune.
func press(m *Model, keys ...string) tea.Cmd {
	var last tea.Cmd
	for _, k := range keys {
		if len([]rune(k)) > 1 && !isKeyName(k) {
			for _, r := range k {
				_, last = m.Update(keyMsg(string(r)))
			}
			continue
		}
		_, last = m.Update(keyMsg(k))
	}
	return last
}

func isKeyName(k string) bool {
	switch k {
	case "enter", "esc", "tab", "shift+tab", "backspace", "down", "pgdown":
		return true
	}
	return strings.HasPrefix(k, "ctrl+")
}

func screen(m *Model) string { return m.View().Content }

// plain strips styling, for assertions about what a person reads.
func plain(m *Model) string { return ansi.Strip(screen(m)) }

func checkSize(t *testing.T, m *Model, w, h int) {
	t.Helper()
	lines := strings.Split(screen(m), "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Errorf("line %d is %d wide, want %d: %q", i+1, got, w, ansi.Strip(l))
		}
	}
}

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}, {60, 20}}

// TestGoldenScreens pins every pane and mode at three terminal sizes.
func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		mod  func(*Options)
		now  time.Duration
	}{
		{name: "farms"},
		{name: "mismatches", keys: []string{"2"}},
		{name: "queue", keys: []string{"3"}},
		{name: "requests", keys: []string{"4"}},
		{name: "nodes", keys: []string{"5"}},
		{name: "gitlab", keys: []string{"6"}},
		{name: "detail-gitlab", keys: []string{"6", "j", "j", "enter"}},
		{name: "events", keys: []string{"7"}},
		{name: "help", keys: []string{"?"}},
		{name: "checks", keys: []string{"c"}},
		{name: "filter", keys: []string{"2", "/", "plat"}},
		{name: "sort", keys: []string{"2", "C"}},
		{name: "detail-repo", keys: []string{"2", "enter"}},
		{name: "detail-farm", keys: []string{"enter"}},
		{name: "detail-node-down", keys: []string{"5", "G", "k", "k", "k", "enter"}},
		{name: "stale", now: 10 * time.Minute},
		{name: "nocolor-mismatches", keys: []string{"2"}, mod: func(o *Options) { o.Mono = true }},
		{name: "readonly-paused", keys: []string{"p"}, mod: func(o *Options) { o.ReadOnly = true }},
	}
	for _, sz := range sizes {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%dx%d/%s", sz.w, sz.h, c.name), func(t *testing.T) {
				m, _ := newTestModel(t, sz.w, sz.h, c.mod)
				press(m, c.keys...)
				if c.now > 0 {
					m.opt.Now = func() time.Time { return t0.Add(c.now) }
					m.Update(tickMsg(t0.Add(c.now)))
				}
				checkSize(t, m, sz.w, sz.h)
				golden.RequireEqual(t, screen(m))
			})
		}
	}
}

func TestPanesShowTheirData(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	s := plain(m)
	for _, want := range []string{"eu", "SYNCHRONIZED", "3/3", "us", "DEGRADED", "1/2", "lab", "SYNCING", "70/400", "1.0/s ETA 5m30s", "330", "8 ALERTS"} {
		if !strings.Contains(s, want) {
			t.Errorf("farms pane lacks %q:\n%s", want, s)
		}
	}
	press(m, "2")
	s = plain(m)
	for _, want := range []string{"WEB/billing", "content", "eu-2,eu-3", "DATA/checkout", "metadata", "PLAT/gateway-evil", "missing"} {
		if !strings.Contains(s, want) {
			t.Errorf("mismatches pane lacks %q:\n%s", want, s)
		}
	}
	// Worst lag first: the queued change of 14 minutes ago leads, and is an alert.
	lines := strings.Split(s, "\n")
	if !strings.HasPrefix(lines[4], "! WEB/billing") || !strings.Contains(lines[4], "14m00s") {
		t.Errorf("first mismatch row %q", lines[4])
	}
	// Unknown hashes (repo 4, all zeros) are neither in sync nor a mismatch.
	if strings.Contains(s, "PLAT/docs") {
		t.Error("a repository with unknown hashes is listed as a mismatch")
	}
	press(m, "3")
	if s = plain(m); !strings.Contains(s, "WEB/billing") || !strings.Contains(s, "INCREMENTAL") || !strings.Contains(s, "eu 4 ") {
		t.Errorf("queue pane:\n%s", s)
	}
	press(m, "4")
	if s = plain(m); !strings.Contains(s, "apac") || !strings.Contains(s, "https://mirror-apac.example.com") {
		t.Errorf("requests pane:\n%s", s)
	}
	press(m, "5")
	if s = plain(m); !strings.Contains(s, "200d") || !strings.Contains(s, " 9d") {
		t.Errorf("nodes pane shows certificate expiry in days:\n%s", s)
	}
	if s = plain(m); !strings.Contains(s, "! us/us-2") || !strings.Contains(s, "DOWN 17m00s") || !strings.Contains(s, "connection refused") {
		t.Errorf("nodes pane must show the node DOWN with since-when:\n%s", s)
	}
}

func TestGitLabPane(t *testing.T) {
	m, _ := newTestModel(t, 140, 40, nil)
	press(m, "6")
	s := plain(m)
	lines := strings.Split(s, "\n")
	var order []string
	for _, l := range lines[4:10] {
		if f := strings.Fields(l); len(f) > 2 {
			order = append(order, strings.Trim(f[0], "!")+" "+f[len(f)-1])
		}
	}
	for _, want := range []string{"data/lake", "PAUSED", "platform/web", "STUCK", "platform/api", "DIVERGED", "2 diverged: refs/heads/main refs/heads/develop", "data/etl", "refs/heads/main", "data/new", "NEVER SYNCED", "never"} {
		if !strings.Contains(s, want) {
			t.Errorf("GitLab pane lacks %q:\n%s", want, s)
		}
	}
	// Worst first: paused, stuck, diverged (the pull one has waited longer), ok last.
	first := func(proj string) int { return strings.Index(s, proj) }
	if !(first("data/lake") < first("platform/web") && first("platform/web") < first("data/etl") && first("data/etl") < first("data/new")) {
		t.Errorf("order:\n%s", s)
	}
	press(m, "1")
	if s := plain(m); !strings.Contains(s, "gitlab") || !strings.Contains(s, "PAUSED") || !strings.Contains(s, "push 3 · pull 3") {
		t.Errorf("overview:\n%s", s)
	}
	if s := plain(m); !strings.Contains(s, "GitLab 6 mirrors") || !strings.Contains(s, "8 ALERTS") {
		t.Errorf("header:\n%s", s)
	}
}

func TestHostileStringsAreSanitized(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	press(m, "2")
	s := screen(m)
	if strings.Contains(s, "\x1b]") || strings.Contains(s, "\a") || strings.Contains(s, "\x1b[2J") {
		t.Errorf("a server string reached the screen with its escapes: %q", s)
	}
}

func TestFilterSortAndNavigation(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	press(m, "2", "/", "DATA")
	if s := plain(m); !strings.Contains(s, `filter "data": 1 of 4`) || strings.Contains(s, "WEB/billing") {
		t.Errorf("live filter:\n%s", s)
	}
	press(m, "enter")
	if m.mode != modeNormal || m.panes[paneMismatches].table.filter != "data" {
		t.Error("enter keeps the filter")
	}
	press(m, "esc")
	if m.panes[paneMismatches].table.filter != "" || len(m.panes[paneMismatches].table.view) != 4 {
		t.Error("esc clears the filter")
	}
	press(m, "R")
	s := plain(m)
	if !strings.Contains(s, "REPOSITORY↑") || strings.Index(s, "DATA/checkout") > strings.Index(s, "WEB/billing") {
		t.Errorf("sort by repository:\n%s", s)
	}
	press(m, "R")
	if s = plain(m); !strings.Contains(s, "REPOSITORY↓") || strings.Index(s, "DATA/checkout") < strings.Index(s, "WEB/billing") {
		t.Errorf("second press reverses:\n%s", s)
	}
	press(m, "g", "j", "j")
	if r, _ := m.panes[paneMismatches].table.selected(); r.id != m.panes[paneMismatches].table.rows[m.panes[paneMismatches].table.view[2]].id {
		t.Error("j moves down")
	}
	press(m, "G")
	if m.panes[paneMismatches].table.cursor != 3 {
		t.Errorf("G goes to the last row, cursor %d", m.panes[paneMismatches].table.cursor)
	}
	press(m, "g")
	if m.panes[paneMismatches].table.cursor != 0 {
		t.Error("g goes to the first row")
	}
	press(m, "tab")
	if m.active != paneQueue {
		t.Error("tab goes to the next pane")
	}
	press(m, "shift+tab", "shift+tab")
	if m.active != paneFarms {
		t.Error("shift+tab goes back")
	}
	press(m, ":", "nodes", "enter")
	if m.active != paneNodes {
		t.Error(":nodes switches pane")
	}
	press(m, ":", "frobnicate", "enter")
	if s := plain(m); !strings.Contains(s, `unknown command "frobnicate"`) {
		t.Errorf("unknown command:\n%s", s)
	}
	if s := m.status; !strings.Contains(s, ":events") || !strings.Contains(s, ":gitlab") || !strings.Contains(s, ":resume") {
		t.Errorf("unknown command:\n%s", s)
	}
}

func TestRefreshPauseQuit(t *testing.T) {
	m, ctl := newTestModel(t, 80, 24, nil)
	press(m, "ctrl+r")
	if ctl.refreshes != 1 || !strings.Contains(plain(m), "refreshing") {
		t.Error("ctrl+r refreshes")
	}
	press(m, "p")
	if !ctl.paused || !strings.Contains(plain(m), "PAUSED") {
		t.Error("p pauses polling and says so")
	}
	press(m, "p")
	if ctl.paused {
		t.Error("p resumes")
	}
	if cmd := press(m, "q"); cmd == nil || fmt.Sprint(cmd()) != fmt.Sprint(tea.Quit()) {
		t.Error("q quits")
	}
}

func TestDetailAndBack(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, func(o *Options) { o.Detail = fakeDetail{} })
	press(m, "2") // first row: WEB/billing (repo 2) on eu
	cmd := press(m, "enter")
	s := plain(m)
	for _, want := range []string{"Repository #2 on eu", "WEB/billing", "content on eu-2,eu-3", "INCREMENTAL attempt 2", "eu-2", "≠", "loading…"} {
		if !strings.Contains(s, want) {
			t.Errorf("repo detail lacks %q:\n%s", want, s)
		}
	}
	// The clone URL fetches run as commands; their answers fill the view.
	for _, msg := range runBatch(cmd) {
		m.Update(msg)
	}
	if s = plain(m); !strings.Contains(s, "https://eu-1.example.com/scm/web/billing.git") || strings.Contains(s, "loading…") {
		t.Errorf("fetched detail:\n%s", s)
	}
	press(m, "esc")
	if m.mode != modeNormal || !strings.Contains(plain(m), "REPOSITORY") {
		t.Error("esc goes back to the pane")
	}
	// Unknown hashes show as unknown, never as in sync.
	press(m, "1", "enter")
	if s = plain(m); !strings.Contains(s, "hashes unknown for 1 more") {
		t.Errorf("farm detail:\n%s", s)
	}
}

type fakeDetail struct{}

func (fakeDetail) MirrorRepo(_ context.Context, farm, node, repoID string) (model.MirroredRepo, error) {
	return model.MirroredRepo{RepositoryID: repoID, Status: "AVAILABLE", Available: true,
		CloneURLs: []model.NamedLink{{Name: "http", Href: "https://" + node + ".example.com/scm/web/billing.git"}}}, nil
}

// runBatch runs a command and, for a batch, each command in it.
func runBatch(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, runBatch(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func TestStaleMarking(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, nil)
	if strings.Contains(plain(m), "STALE") {
		t.Fatal("fresh data marked stale")
	}
	later := t0.Add(25 * time.Second)
	m.opt.Now = func() time.Time { return later }
	m.Update(tickMsg(later))
	if s := plain(m); !strings.Contains(s, "STALE: data 40s old (polled every 10s)") {
		t.Errorf("past twice the interval the farms pane is stale:\n%s", s)
	}
	press(m, "2") // slow data: 30s is not stale at a 2m interval
	if strings.Contains(plain(m), "STALE") {
		t.Error("mismatches pane stale too early")
	}
}

func TestMonochromeKeepsSelectionVisible(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.Mono = true })
	s := screen(m)
	if c := colourCodes(s); len(c) > 0 {
		t.Errorf("colour codes in monochrome: %v", c)
	}
	if !strings.Contains(s, "\x1b[7m") {
		t.Error("no reverse video: the selection is invisible without colour")
	}
}

func TestKeyRebinding(t *testing.T) {
	km, err := NewKeyMap(map[string][]string{"quit": {"x"}, "refresh": {"R", "ctrl+r"}})
	if err != nil {
		t.Fatal(err)
	}
	m, ctl := newTestModel(t, 80, 24, func(o *Options) { o.Keys = km })
	if cmd := press(m, "q"); cmd != nil {
		t.Error("q is no longer quit")
	}
	if cmd := press(m, "x"); cmd == nil {
		t.Error("x quits")
	}
	press(m, "ctrl+r")
	if ctl.refreshes != 1 {
		t.Error("ctrl+r still refreshes")
	}
	press(m, "?")
	if s := plain(m); !strings.Contains(s, "R/ctrl+r") || !strings.Contains(s, "x              quit") {
		t.Errorf("help is built from the bindings:\n%s", s)
	}
	if _, err := NewKeyMap(map[string][]string{"frobnicate": {"f"}}); err == nil || !strings.Contains(err.Error(), "keys.frobnicate: unknown action") {
		t.Errorf("unknown action: %v", err)
	}
}

func TestResizeAndNarrowColumns(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	press(m, "2")
	if s := plain(m); !strings.Contains(s, "STATUS") || !strings.Contains(s, "SINCE") {
		t.Errorf("wide screen shows every column:\n%s", s)
	}
	m.Update(sizeMsg(60, 20))
	checkSize(t, m, 60, 20)
	s := plain(m)
	if strings.Contains(s, "STATUS") || !strings.Contains(s, "REPOSITORY") || !strings.Contains(s, "LAG") {
		t.Errorf("narrow screen drops low-priority columns first:\n%s", s)
	}
}

func TestBellOnNewAlert(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, func(o *Options) { o.Bell = true })
	// Already-known alerts do not ring again.
	if cmd := m.refreshAlerts(); cmd != nil {
		t.Error("bell for alerts already shown")
	}
	m.state.Apply(model.Reading{Target: model.TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: model.EPStatus, At: t0, Err: fmt.Errorf("refused")})
	cmd := m.refreshAlerts()
	if cmd == nil {
		t.Fatal("no bell for a new alert")
	}
	if raw, ok := cmd().(tea.RawMsg); !ok || raw.Msg != "\a" {
		t.Errorf("bell command gave %#v", cmd())
	}
}

var sgr = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

// colourCodes lists the SGR parameters in s that set a colour.
func colourCodes(s string) []string {
	var out []string
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, p := range strings.Split(m[1], ";") {
			n, err := strconv.Atoi(p)
			if err == nil && (n >= 30 && n <= 49 || n >= 90 && n <= 107) {
				out = append(out, m[0])
			}
		}
	}
	return out
}

// TestMismatchRowsMergeFarmsWorstFirst checks that the mismatch pane lists
// every farm's mismatches in one worst-first order, not farm by farm.
func TestMismatchRowsMergeFarmsWorstFirst(t *testing.T) {
	s := model.NewState(model.Spec{PrimaryURL: "https://p", Farms: []model.FarmSpec{{Name: "eu", URL: "https://eu"}, {Name: "us", URL: "https://us"}}})
	var repos []model.Repo
	statuses := map[string][]*model.RepoSyncStatus{}
	for i := 1; i <= 4; i++ {
		id := strconv.Itoa(i)
		repos = append(repos, model.Repo{ID: id, ProjectID: "1", ProjectKey: "PRJ", Slug: "r" + id, Hashes: model.Hashes{Content: "new", Metadata: "m"}})
		for _, farm := range []string{"eu", "us"} {
			st := &model.RepoSyncStatus{ExternalRepoID: id, Hashes: model.Hashes{Content: "new", Metadata: "m"},
				InitialSyncDate: model.MillisOf(t0.Add(-24 * time.Hour)), LastSyncDate: model.MillisOf(t0.Add(-time.Duration(5-i) * time.Hour))}
			// eu lags on the odd repositories, us on the even ones.
			if (farm == "eu") == (i%2 == 1) {
				st.Hashes.Content = "old"
			}
			statuses[farm] = append(statuses[farm], st)
		}
	}
	s.Apply(model.Reading{Target: model.PrimaryTarget, Endpoint: model.EPRepos, At: t0, Data: repos})
	for _, farm := range []string{"eu", "us"} {
		s.Apply(model.Reading{Target: model.TargetID{Farm: farm}, Endpoint: model.EPSyncSettings, At: t0, Data: model.SyncSettings{Mode: model.ModeAllProjects}})
		s.Apply(model.Reading{Target: model.TargetID{Farm: farm, Node: farm}, Endpoint: model.EPRepoSyncStatus, At: t0, Data: statuses[farm]})
	}
	m := New(Options{State: s, Theme: testTheme(t), Now: func() time.Time { return t0 }})
	m.Update(sizeMsg(120, 40))
	var got []string
	for _, r := range m.panes[paneMismatches].table.rows {
		got = append(got, r.id)
	}
	// Oldest last sync first across both farms.
	if want := []string{"mm/eu/1", "mm/us/2", "mm/eu/3", "mm/us/4"}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
}

// TestSortLettersAreFree checks that no column's sort letter is taken by a
// default key binding, which is matched first and would hide the sort.
func TestSortLettersAreFree(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	for _, p := range m.panes {
		for _, c := range p.table.cols {
			if c.Sort == 0 {
				continue
			}
			if a := m.keys.match(keyMsg(string(c.Sort))); a != "" {
				t.Errorf("pane %s: sort letter %c of %s is bound to %s", p.name, c.Sort, c.Title, a)
			}
		}
	}
	// And the sort does happen: Shift+E sorts the queue by age.
	press(m, "3", "E")
	if q := m.panes[paneQueue].table; q.sortCol < 0 || q.cols[q.sortCol].Title != "AGE" {
		t.Errorf("Shift+E does not sort the queue by AGE (sort column %d)", q.sortCol)
	}
}

// A node whose list fetch was skipped says how old the list is and when the
// cheap signals last vouched for it.
func TestNodeDetailShowsSkippedFetch(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	n := m.state.Farm("eu").Nodes[0]
	read := n.SyncAt
	m.state.Apply(model.Reading{Target: model.TargetID{Farm: "eu", Node: n.Name}, Endpoint: model.EPRepoSyncStatus,
		At: read.Add(30 * time.Second), Data: model.Unchanged{Since: read}})
	if n.SyncAt != read || len(n.Sync) == 0 {
		t.Fatal("a skipped fetch must keep the list and its read time")
	}
	press(m, ":", "nodes", "enter")
	press(m, "enter")
	if s := plain(m); !strings.Contains(s, "no change signalled since, checked") || !strings.Contains(s, n.Name) {
		t.Errorf("node detail:\n%s", s)
	}
}

// Repository lag alerts are counted in the header badge, rung once when
// they appear, and left out once acknowledged.
func TestLagAlertsCountedRungAndAcknowledged(t *testing.T) {
	now := t0
	acks, err := actions.LoadAcks(t.TempDir(), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newTestModel(t, 120, 40, func(o *Options) {
		o.Bell, o.Acks = true, acks
		o.Now = func() time.Time { return now }
	})
	m.Update(tickMsg(now))
	base, before := len(m.alerts), m.lagAlerts
	later := now.Add(time.Hour)
	lagging := 0
	for _, f := range m.state.Farms {
		for i := range f.Mismatches {
			if f.Mismatches[i].Lag(later) > 10*time.Minute {
				lagging++
			}
		}
	}
	if lagging <= before {
		t.Fatalf("fixture: %d lag alerts now, %d an hour later", before, lagging)
	}
	// The tick handler is "m.now = Now(); refreshAlerts()": called directly
	// here to see the bell command alone.
	now = later
	m.now = now
	if cmd := m.refreshAlerts(); cmd == nil || fmt.Sprint(cmd()) != fmt.Sprint(tea.Raw("\a")()) {
		t.Error("no bell for new lag alerts")
	}
	if m.lagAlerts != lagging {
		t.Fatalf("lag alerts %d, want %d", m.lagAlerts, lagging)
	}
	if !strings.Contains(plain(m), fmt.Sprintf(" %d ALERTS ", base+lagging)) {
		t.Errorf("badge does not count the lag alerts:\n%s", plain(m))
	}
	now = now.Add(time.Second)
	m.now = now
	if cmd := m.refreshAlerts(); cmd != nil {
		t.Error("bell again for the same alerts")
	}
	mm := m.state.Farm("eu").Mismatches[0]
	if err := acks.Add(actions.Ack{Key: actions.AckKey("eu", mm.RepoID), Farm: "eu", RepoID: mm.RepoID, Until: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	m.Update(tickMsg(now))
	if m.lagAlerts != lagging-1 {
		t.Errorf("an acknowledged lag alert still counts: %d, want %d", m.lagAlerts, lagging-1)
	}
}

// A poll round's mismatches are computed off the event loop: the round
// itself changes nothing in the mismatches pane, keys work meanwhile, and
// the pane shows the result once it lands.
func TestMismatchesRecomputedOffTheLoop(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	press(m, "2")
	before := len(m.panes[paneMismatches].table.rows)
	eu1 := m.state.Farm("eu").Nodes[0]
	// eu-1 now differs on every repository it lists.
	changed := make([]*model.RepoSyncStatus, len(eu1.Sync))
	for i, st := range eu1.Sync {
		c := *st
		c.Hashes.Content = "ffff" + strconv.Itoa(i)
		changed[i] = &c
	}
	_, cmd := m.Update(readingsMsg{{Target: model.TargetID{Farm: "eu", Node: eu1.Name}, Endpoint: model.EPRepoSyncStatus, At: t0, Data: changed}})
	if got := len(m.panes[paneMismatches].table.rows); got != before {
		t.Fatalf("the round changed the pane before its recompute landed: %d rows, was %d", got, before)
	}
	press(m, "down")
	msg := recomputed(cmd)
	if msg == nil {
		t.Fatal("the round did not ask for a recompute")
	}
	m.Update(msg)
	if got := len(m.panes[paneMismatches].table.rows); got <= before {
		t.Errorf("after the recompute landed: %d rows, was %d", got, before)
	}
	if s := plain(m); !strings.Contains(s, eu1.Name) {
		t.Errorf("pane after the recompute:\n%s", s)
	}
}

// The help opened from a detail view returns to it, and the footer of a
// detail view names the keys that work there.
func TestHelpFromDetailReturnsToIt(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, func(o *Options) { o.Detail = fakeDetail{} })
	press(m, "2", "enter")
	if m.mode != modeDetail {
		t.Fatal("enter did not open the detail")
	}
	s := plain(m)
	if !strings.Contains(s, "esc back") || strings.Contains(s, "/ filter") {
		t.Errorf("detail footer:\n%s", s)
	}
	press(m, "?")
	if s := plain(m); !strings.Contains(s, "Help: keys and commands") || !strings.Contains(s, "any other key closes") {
		t.Fatalf("help:\n%s", s)
	}
	press(m, "esc")
	if m.mode != modeDetail || !strings.Contains(plain(m), "Repository #2 on eu") {
		t.Errorf("closing the help did not return to the detail:\n%s", plain(m))
	}
	press(m, "esc", "?", "esc")
	if m.mode != modeNormal {
		t.Errorf("help from the list returns to the list, mode %v", m.mode)
	}
}

// With [ui] mouse on: the wheel scrolls, a click on a tab switches pane, a
// click on a row selects it and a second click opens it.
func TestMouse(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, func(o *Options) { o.Mouse, o.Detail = true, fakeDetail{} })
	if v := m.View(); v.MouseMode != tea.MouseModeCellMotion {
		t.Fatalf("mouse mode %v", v.MouseMode)
	}
	press(m, "2")
	tb := m.panes[paneMismatches].table
	if len(tb.view) < 4 {
		t.Fatalf("fixture has %d mismatch rows", len(tb.view))
	}
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if tb.cursor != 3 {
		t.Errorf("wheel down: cursor %d, want 3", tb.cursor)
	}
	m.Update(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if tb.cursor != 0 {
		t.Errorf("wheel up: cursor %d, want 0", tb.cursor)
	}
	// The third row on screen.
	lines := strings.Split(plain(m), "\n")
	third := lines[firstRowLine+2]
	m.Update(tea.MouseClickMsg{X: 5, Y: firstRowLine + 2, Button: tea.MouseLeft})
	if tb.cursor != 2 || m.mode != modeNormal {
		t.Fatalf("click on the third row: cursor %d, mode %v", tb.cursor, m.mode)
	}
	m.Update(tea.MouseClickMsg{X: 5, Y: firstRowLine + 2, Button: tea.MouseLeft})
	if m.mode != modeDetail {
		t.Fatalf("a click on the selected row (%q) did not open it", third)
	}
	press(m, "esc")
	// The tab bar: find "5 Nodes" on screen and click it.
	x := strings.Index(lines[tabBarLine], "5 Nodes")
	if x < 0 {
		t.Fatalf("tab bar: %q", lines[tabBarLine])
	}
	m.Update(tea.MouseClickMsg{X: len([]rune(lines[tabBarLine][:x])), Y: tabBarLine, Button: tea.MouseLeft})
	if m.active != paneNodes {
		t.Errorf("click on the Nodes tab: active pane %v", m.active)
	}
	// Clicks below the rows or with another button do nothing.
	m.Update(tea.MouseClickMsg{X: 5, Y: 39, Button: tea.MouseLeft})
	m.Update(tea.MouseClickMsg{X: 5, Y: firstRowLine, Button: tea.MouseRight})
	if m.mode != modeNormal || m.active != paneNodes {
		t.Errorf("stray clicks changed the view: mode %v pane %v", m.mode, m.active)
	}
}

// An acknowledgement that runs out leaves the mismatch row on the next
// tick: its status and alert mark come back without a new poll round.
func TestAckExpiryShowsOnTheRow(t *testing.T) {
	now := t0
	acks, err := actions.LoadAcks(t.TempDir(), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newTestModel(t, 120, 40, func(o *Options) {
		o.Acks = acks
		o.Now = func() time.Time { return now }
	})
	press(m, "2")
	mm := m.state.Farm("eu").Mismatches[0]
	if err := acks.Add(actions.Ack{Key: actions.AckKey("eu", mm.RepoID), Farm: "eu", RepoID: mm.RepoID, Until: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	m.Update(tickMsg(now))
	if !strings.Contains(plain(m), "ack'd until") {
		t.Fatalf("an acknowledgement added elsewhere is not shown:\n%s", plain(m))
	}
	now = now.Add(2 * time.Minute)
	m.Update(tickMsg(now))
	if strings.Contains(plain(m), "ack'd until") {
		t.Errorf("an expired acknowledgement is still shown:\n%s", plain(m))
	}
}

// A round that arrives while the farm's previous recompute is out is not
// lost: when that one lands, the next goes out with the newer readings.
func TestRoundDuringRecomputeGoesRoundAgain(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	eu1 := m.state.Farm("eu").Nodes[0]
	variant := func(content string) readingsMsg {
		changed := make([]*model.RepoSyncStatus, len(eu1.Sync))
		for i, st := range eu1.Sync {
			c := *st
			c.Hashes.Content = content + strconv.Itoa(i)
			changed[i] = &c
		}
		return readingsMsg{{Target: model.TargetID{Farm: "eu", Node: eu1.Name}, Endpoint: model.EPRepoSyncStatus, At: t0, Data: changed}}
	}
	_, first := m.Update(variant("aaaa"))
	_, second := m.Update(variant("bbbb"))
	if recomputed(second) != nil {
		t.Fatal("a second recompute went out while one was out")
	}
	_, next := m.Update(recomputed(first))
	msg := recomputed(next)
	if msg == nil {
		t.Fatal("the newer round was not recomputed after the first landed")
	}
	m.Update(msg)
	newer := 0
	for _, mm := range m.state.Farm("eu").Mismatches {
		if strings.HasPrefix(mm.MirrorHash, "aaaa") {
			t.Fatalf("the older round's result is still shown: %+v", mm)
		}
		if strings.HasPrefix(mm.MirrorHash, "bbbb") {
			newer++
		}
	}
	if newer == 0 {
		t.Error("the newer round's mismatches are not shown")
	}
}

// Quitting while an action runs asks again first: the request may be on
// the wire, and its audit line is written when it ends.
func TestQuitWhileActionRuns(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	m.running["sync/eu/2"] = true
	if cmd := press(m, "q"); cmd != nil {
		t.Fatal("q quit while an action was running")
	}
	if !strings.Contains(plain(m), "still running") {
		t.Errorf("no word about the running action:\n%s", plain(m))
	}
	if cmd := press(m, "q"); cmd == nil || fmt.Sprint(cmd()) != fmt.Sprint(tea.Quit()) {
		t.Error("a second q did not quit")
	}
	m2, _ := newTestModel(t, 120, 40, nil)
	if cmd := press(m2, "q"); cmd == nil || fmt.Sprint(cmd()) != fmt.Sprint(tea.Quit()) {
		t.Error("q with nothing running must quit at once")
	}
}

// The queue pane's selection stays on its item while the items ahead of it
// leave the queue.
func TestQueueSelectionFollowsItsItem(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	f := m.state.Farm("eu")
	items := []model.QueueItem{{ExternalRepoID: "1", Type: "INCREMENTAL", CreatedAt: t0}, {ExternalRepoID: "2", Type: "INCREMENTAL", CreatedAt: t0}, {ExternalRepoID: "3", Type: "SNAPSHOT", CreatedAt: t0}}
	m.state.Apply(model.Reading{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPQueue, At: t0, Data: items})
	m.refreshAll()
	press(m, "3")
	tb := m.panes[paneQueue].table
	var want string
	for i, ri := range tb.view {
		if r := tb.rows[ri]; strings.HasSuffix(r.id, "/3") && strings.HasPrefix(r.id, "q/eu/") {
			tb.move(i - tb.cursor)
			want = r.id
		}
	}
	if want == "" {
		t.Fatalf("queue item 3 of eu not in the pane")
	}
	m.state.Apply(model.Reading{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPQueue, At: t0, Data: items[1:]})
	m.refreshAll()
	if sel, ok := tb.selected(); !ok || sel.id != want {
		t.Errorf("selection moved to %q, want %q", sel.id, want)
	}
	sel, _ := tb.selected()
	if q, ok := sel.subj.(queueSubject); !ok || q != (queueSubject{farm: "eu", repo: "3", n: 1}) || f == nil {
		t.Errorf("the selected row refers to %#v", sel.subj)
	}
}

// A farm's detail says how old the primary's list it is compared with is,
// also when its fetches were skipped.
func TestFarmDetailShowsPrimaryListAge(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	read := m.state.Primary.ReposAt
	m.state.Apply(model.Reading{Target: model.PrimaryTarget, Endpoint: model.EPRepos, At: read.Add(time.Minute), Data: model.Unchanged{Since: read}})
	press(m, "1", "enter")
	if s := plain(m); !strings.Contains(s, "Compared with") || !strings.Contains(s, "no change signalled since, checked") {
		t.Errorf("farm detail:\n%s", s)
	}
}

// Scrolling a detail to its end stops with the last line at the bottom of
// the view, not two steps further with blank lines below it.
func TestDetailScrollStopsAtItsEnd(t *testing.T) {
	m, _ := newTestModel(t, 60, 20, nil)
	press(m, "1", "enter")
	d := m.detail
	total := d.vp.TotalLineCount()
	if d == nil || total <= m.pageHeight() {
		t.Fatalf("need a detail longer than the view (%d lines, view %d)", total, m.pageHeight())
	}
	press(m, "G")
	if want := total - m.pageHeight(); d.vp.YOffset() != want {
		t.Errorf("offset %d at the end, want %d", d.vp.YOffset(), want)
	}
	press(m, "j", "j")
	if want := total - m.pageHeight(); d.vp.YOffset() != want {
		t.Errorf("offset %d after j at the end, want %d", d.vp.YOffset(), want)
	}
	lines := strings.Split(plain(m), "\n")
	if last := strings.TrimSpace(d.lines[len(d.lines)-1]); !strings.Contains(lines[len(lines)-2], last) {
		t.Errorf("the last detail line %q is not just above the footer:\n%s", last, plain(m))
	}
}

// Refresh and pause work from a detail view as from a list, as the help
// (which lists them as console keys) says.
func TestRefreshAndPauseFromDetail(t *testing.T) {
	m, ctl := newTestModel(t, 120, 40, nil)
	press(m, "1", "enter", "ctrl+r", "p")
	if ctl.refreshes != 1 || !ctl.paused || m.mode != modeDetail {
		t.Errorf("refreshes %d, paused %v, mode %v", ctl.refreshes, ctl.paused, m.mode)
	}
	if s := plain(m); !strings.Contains(s, "PAUSED") {
		t.Errorf("no PAUSED badge:\n%s", s)
	}
}

func TestShortHashIsSafeToShow(t *testing.T) {
	for _, h := range []string{"\x1b[2Jabcdef0123456789", "ééééééééééééééé", "0000000000", ""} {
		s := shortHash(h)
		if s != model.Sanitize(s) || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 12 {
			t.Errorf("shortHash(%q) = %q", h, s)
		}
		if c := hashCell("x", h); !utf8.ValidString(c) || c != model.Sanitize(c) {
			t.Errorf("hashCell(%q) = %q", h, c)
		}
	}
}

// On a small screen the help scrolls: j stops at its end, so one k after
// holding j moves it up a line at once, and the last line stays reachable.
func TestHelpScrollsWithinItsLength(t *testing.T) {
	m, _ := newTestModel(t, 60, 16, nil)
	press(m, "?")
	top := plain(m)
	for range 200 {
		press(m, "j")
	}
	bottom := plain(m)
	if bottom == top || !strings.Contains(bottom, ":"+commands[len(commands)-1]) {
		t.Fatalf("the help's end is not shown after scrolling:\n%s", bottom)
	}
	press(m, "k")
	if up := plain(m); up == bottom {
		t.Errorf("k after scrolling to the end did not move the help")
	}
	for range 200 {
		press(m, "k")
	}
	if s := plain(m); s != top {
		t.Errorf("k back to the start:\n%s\nwant\n%s", s, top)
	}
	// Scrolled to the end, then the screen grows: k moves at once.
	for range 200 {
		press(m, "j")
	}
	m.Update(sizeMsg(60, 30))
	before := plain(m)
	press(m, "k")
	if plain(m) == before {
		t.Errorf("k after the screen grew did not move the help:\n%s", before)
	}
}

func TestRepoDetailVerdict(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, func(o *Options) {
		o.Thresholds.MaxLock = 10 * time.Minute
		eu := model.TargetID{Farm: "eu"}
		o.State.Apply(model.Reading{Target: eu, Endpoint: model.EPFarmNodes, At: t0,
			Data: []model.ClusterNode{{ID: "uuid-2", Name: "eu-2"}}})
		o.State.Apply(model.Reading{Target: eu, Endpoint: model.EPLockOwners, At: t0, Data: []model.LockOwner{
			{ExternalRepoID: "2", NodeID: "uuid-2", ThreadName: "farm-refchange-poller:thread-2\x1b]0;x\x07", AcquiredAt: t0.Add(-25 * time.Minute)}}})
	})
	press(m, "2") // first row: WEB/billing (repo 2) on eu
	press(m, "enter")
	lines := strings.Split(plain(m), "\n")
	// The verdict is the first line of the body, its evidence beneath.
	body := -1
	for i, l := range lines {
		if strings.Contains(l, "Repository #2 on eu") {
			body = i + 1
			break
		}
	}
	if body < 0 || body+1 >= len(lines) {
		t.Fatalf("no detail:\n%s", strings.Join(lines, "\n"))
	}
	for i, want := range []string{
		"Why           lock held 25m by farm-refchange-poller:thread-2 on node eu-2 — likely stuck",
		"              · sync failing on eu-3 (3 failures, last success 4m ago)",
		"              · waiting in the queue (INCREMENTAL, attempt 2, 14m)",
	} {
		if !strings.Contains(lines[body+i], want) {
			t.Errorf("line %d %q, want %q", body+i, lines[body+i], want)
		}
	}
	if s := plain(m); !strings.Contains(s, "Lock          node eu-2, thread farm-refchange-poller:thread-2, held for 25m00s (over max_lock 10m00s: likely stuck)") {
		t.Errorf("lock line missing:\n%s", s)
	}
}

// statusErr is a failed answer with an HTTP status, as the poller's.
type statusErr struct {
	status int
	msg    string
}

func (e statusErr) Error() string   { return e.msg }
func (e statusErr) HTTPStatus() int { return e.status }

func TestAuthFailureSaidOncePerTarget(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, nil)
	at := t0.Add(time.Second)
	for _, ep := range []model.Endpoint{model.EPSyncSettings} {
		m.state.Apply(model.Reading{Target: model.TargetID{Farm: "eu"}, Endpoint: ep, At: at,
			Err: statusErr{401, "GET /rest/mirroring/latest/syncSettings: HTTP 401 Unauthorized: Authentication failed."}})
	}
	for _, n := range []string{"eu-1", "eu-2", "eu-3"} {
		m.state.Apply(model.Reading{Target: model.TargetID{Farm: "eu", Node: n}, Endpoint: model.EPRepoSyncStatus, At: at,
			Err: statusErr{401, "GET /rest/mirroring/latest/supportInfo/repoSyncStatus: HTTP 401 Unauthorized: Authentication failed."}})
	}
	m.Update(tickMsg(at))
	press(m, "2")
	out := plain(m)
	if n := strings.Count(out, "eu: authentication failed (HTTP 401): the credentials are wrong or expired"); n != 1 {
		t.Errorf("said %d times, want once:\n%s", n, out)
	}
	if strings.Contains(out, "HTTP 401 Unauthorized") {
		t.Errorf("per-endpoint 401 lines remain:\n%s", out)
	}
}

type fakeProber struct{ urls []string }

func (f *fakeProber) Probe(_ context.Context, urls []string, _ map[string]string) doctor.Probes {
	f.urls = urls
	return doctor.Probes{SSH: &doctor.SSHProbe{Enabled: false},
		TLS: map[string]doctor.TLSProbe{"https://bitbucket.example.com": {Expiry: t0.Add(-48 * time.Hour), Problem: doctor.TLSExpired}}}
}

func TestChecksView(t *testing.T) {
	fp := &fakeProber{}
	m, _ := newTestModel(t, 160, 80, func(o *Options) { o.Checks = fp; o.CheckSettings = doctor.Settings{CertDays: 14} })
	cmd := press(m, "c")
	out := plain(m)
	for _, want := range []string{"Setup checks (as mirrortop doctor)", "probing TLS, SSH and tokens…",
		"WARN     eu/eu-2        https            certificate valid, expires in 9 days (2026-11-30)",
		"UNKNOWN  primary        ssh for git      not asked (the console asks when the checks open)"} {
		if !strings.Contains(out, want) {
			t.Errorf("before the probes, lacks %q:\n%s", want, out)
		}
	}
	if cmd == nil {
		t.Fatal("no probe command")
	}
	// The probes run in the command, not in Update or View.
	if fp.urls != nil {
		t.Fatal("probed before the command ran")
	}
	m.Update(cmd())
	if len(fp.urls) != 9 || fp.urls[0] != "https://bitbucket.example.com" {
		t.Errorf("probed %v", fp.urls)
	}
	out = plain(m)
	for _, want := range []string{
		"FAIL     primary        https            certificate expired 2026-11-19 (2 days ago)",
		"→ renew the certificate: mirrors refuse an expired one",
		"FAIL     primary        ssh for git      SSH access for Git is off on the primary: mirrors sync over SSH",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("after the probes, lacks %q:\n%s", want, out)
		}
	}
	// Problems first: no OK line above a FAIL, WARN or UNKNOWN one.
	seenOK := false
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "OK":
			seenOK = true
		case "FAIL", "WARN", "UNKNOWN":
			if seenOK {
				t.Errorf("%s below an OK line:\n%s", l, out)
			}
		}
	}
	press(m, "esc")
	press(m, ":", "checks", "enter")
	if !strings.Contains(plain(m), "Setup checks (as mirrortop doctor)") {
		t.Error(":checks does not open the view")
	}
}
