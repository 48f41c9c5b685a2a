package snapshot

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/ui"
)

// tableWidth is the widest line the table format prints.
const tableWidth = 100

type tableOptions struct {
	color      bool
	mismatches int
}

// table lays out rows of cells in columns no wider than their max, padded
// with spaces, each line at most tableWidth columns. Colour, when on, is
// applied after padding so that alignment never counts escape codes.
type table struct {
	header []string
	max    []int
	rows   [][]string
	tone   [][]string // per cell: "", "ok", "warn", "bad"
}

func newTable(header []string, max []int) *table { return &table{header: header, max: max} }

func (t *table) add(tones []string, cells ...string) {
	t.rows = append(t.rows, cells)
	t.tone = append(t.tone, tones)
}

func (t *table) write(w io.Writer, color bool) {
	widths := make([]int, len(t.header))
	for i, h := range t.header {
		widths[i] = ansi.StringWidth(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], min(ansi.StringWidth(c), t.max[i]))
		}
	}
	line := func(cells []string, tones []string, bold bool) {
		var b strings.Builder
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			if ansi.StringWidth(c) > widths[i] {
				c = ansi.Truncate(c, widths[i], "…")
			}
			pad := widths[i] - ansi.StringWidth(c)
			if i == len(cells)-1 {
				pad = 0
			}
			cell := c + strings.Repeat(" ", pad)
			tone := ""
			if tones != nil && i < len(tones) {
				tone = tones[i]
			}
			b.WriteString(paint(cell, tone, bold, color))
		}
		s := strings.TrimRight(b.String(), " ")
		if !color && ansi.StringWidth(s) > tableWidth {
			s = ansi.Truncate(s, tableWidth, "…")
		}
		fmt.Fprintln(w, s)
	}
	line(t.header, nil, true)
	for i, r := range t.rows {
		line(r, t.tone[i], false)
	}
}

func paint(s, tone string, bold, color bool) string {
	if !color || strings.TrimSpace(s) == "" {
		return s
	}
	code := ""
	switch tone {
	case "ok":
		code = "32"
	case "warn":
		code = "33"
	case "bad":
		code = "31"
	}
	if bold {
		code = "1"
	}
	if code == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// healthTone and stateTone colour as the console does (model's grades);
// a muted grade is left uncoloured.
func healthTone(h string) string { return gradeTone(model.HealthGrade(h)) }

func stateTone(s string) string { return gradeTone(model.StateGrade(s)) }

func gradeTone(g model.Grade) string {
	switch g {
	case model.GradeOK:
		return "ok"
	case model.GradeWarn:
		return "warn"
	case model.GradeBad:
		return "bad"
	}
	return ""
}

func writeTable(w io.Writer, s Snapshot, o tableOptions) {
	heading := func(title string) {
		fmt.Fprintln(w)
		fmt.Fprintln(w, paint(title, "", true, o.color))
	}
	if s.Primary.URL != "" {
		writeBitbucket(w, s, o, heading)
	}
	writeGitLab(w, s, o, heading)
	if len(s.Errors) > 0 {
		heading("ERRORS")
		groups, auth := groupErrors(s.Errors)
		for _, g := range auth {
			line := fmt.Sprintf("%s: %s (%d endpoints)", g.label(), model.AuthMessage(g.status), g.n)
			if ansi.StringWidth(line) > tableWidth { // the count goes first
				line = g.label() + ": " + model.AuthMessage(g.status)
			}
			if ansi.StringWidth(line) > tableWidth {
				line = ansi.Truncate(line, tableWidth, "…")
			}
			fmt.Fprintln(w, paint(line, "bad", false, o.color))
		}
		if len(groups) > 0 {
			et := newTable([]string{"TARGET", "ENDPOINT", "ERROR"}, []int{20, 22, 54})
			for _, g := range groups {
				ep := g.endpoint
				if g.n > 1 {
					ep = fmt.Sprintf("(%d endpoints)", g.n)
				}
				et.add([]string{"", "", "bad"}, g.target, ep, g.message)
			}
			et.write(w, o.color)
		}
	}
}

// errorGroup is one line of the table's errors: the errors of a target
// that say the same thing.
type errorGroup struct {
	target, endpoint, message string
	status, n                 int
	nodes                     []string // an authentication failure's nodes besides the farm
}

// label names the group's target: a farm's nodes refused alike are named
// with it.
func (g *errorGroup) label() string {
	switch n := len(g.nodes); {
	case n == 0:
		return g.target
	case n <= 3:
		return g.target + ", " + strings.Join(g.nodes, ", ")
	default:
		return fmt.Sprintf("%s and %d nodes", g.target, n)
	}
}

// groupErrors folds each target's identical errors into one line: the
// authentication failures (by meaning: refused credentials, or missing
// permission) apart, the others by their message without the request
// line ("GET /path: ") that differs per endpoint. Order is kept.
func groupErrors(errs []SnapError) (groups, auth []*errorGroup) {
	byKey := map[string]*errorGroup{}
	for _, e := range errs {
		msg := e.Message
		if st := model.AuthStatus(e.status, msg); st != 0 {
			// A farm and its nodes share their credentials: one line.
			farm, node, _ := strings.Cut(e.Target, "/")
			key := farm + "\x00auth\x00" + strconv.Itoa(st)
			g := byKey[key]
			if g == nil {
				g = &errorGroup{target: farm, status: st}
				byKey[key] = g
				auth = append(auth, g)
			}
			g.n++
			if node != "" && !slices.Contains(g.nodes, node) {
				g.nodes = append(g.nodes, node)
			}
			continue
		}
		short := msg
		if i := strings.Index(msg, ": "); i > 0 && strings.Count(msg[:i], " ") == 1 {
			short = msg[i+2:]
		}
		key := e.Target + "\x00" + short
		if g := byKey[key]; g != nil {
			g.n++
			g.message = short
			continue
		}
		g := &errorGroup{target: e.Target, endpoint: e.Endpoint, message: msg, n: 1}
		byKey[key] = g
		groups = append(groups, g)
	}
	return groups, auth
}

// writeBitbucket prints the primary, farms, nodes, mismatches and requests.
func writeBitbucket(w io.Writer, s Snapshot, o tableOptions, heading func(string)) {
	pt := newTable([]string{"PRIMARY", "STATE", "VERSION", "REPOS", "PENDING REQUESTS"}, []int{50, 14, 10, 8, 8})
	pt.add([]string{"", stateTone(s.Primary.State)}, s.Primary.URL, orDash(s.Primary.State), orDash(s.Primary.Version),
		fmt.Sprint(s.Primary.Repos), fmt.Sprint(len(s.PendingRequests)))
	pt.write(w, o.color)

	heading("FARMS")
	ft := newTable([]string{"FARM", "LAYOUT", "STATE", "NODES", "SYNCED/TOTAL", "QUEUE", "MISMATCH", "WORST LAG"},
		[]int{14, 6, 38, 13, 13, 6, 8, 9})
	for _, f := range s.Farms {
		prog := "-"
		if f.Progress != nil {
			prog = fmt.Sprintf("%d/%d", f.Progress.SyncedRepos, f.Progress.TotalRepos)
			if f.Progress.Discovering {
				prog = fmt.Sprintf("%d/?", f.Progress.SyncedRepos)
			}
		}
		q := "-"
		if f.QueueDepth != nil {
			q = fmt.Sprint(*f.QueueDepth)
		}
		nodesTone := "ok"
		if f.NodesUp < f.NodesPolled {
			nodesTone = "bad"
		}
		h := model.FarmHealth{State: f.State, ReportedState: f.ReportedState, NodesUp: f.NodesUp, NodesPolled: f.NodesPolled, NodesTotal: f.NodesTotal}
		mmTone := "ok"
		if len(f.Mismatches) > 0 {
			mmTone = "warn"
		}
		ft.add([]string{"", "", stateTone(f.State), nodesTone, "", "", mmTone},
			f.Name, orDash(f.Layout), h.Label(), h.NodesLabel(), prog, q,
			fmt.Sprint(len(f.Mismatches)), ui.FormatDuration(time.Duration(f.WorstLagS*float64(time.Second))))
	}
	ft.write(w, o.color)

	heading("NODES")
	nt := newTable([]string{"NODE", "STATE", "VERSION", "REPOS", "STATUS", "ERROR"}, []int{24, 21, 8, 6, 24, 40})
	for _, f := range s.Farms {
		for _, n := range f.Nodes {
			st := n.State
			if n.DownSince != nil {
				st += " " + ui.FormatDuration(s.TakenAt.Sub(*n.DownSince))
			}
			nt.add([]string{"", stateTone(n.State), "", "", "", "bad"}, f.Name+"/"+n.Name, st, orDash(n.Version),
				fmt.Sprint(n.Repos), statusCounts(n.RepoStatus), n.Error)
		}
	}
	nt.write(w, o.color)

	var unpolled [][3]string
	for _, f := range s.Farms {
		for _, m := range f.Members {
			if !m.Polled {
				unpolled = append(unpolled, [3]string{f.Name + "/" + m.Name, orDash(m.Address), m.Why})
			}
		}
	}
	if len(unpolled) > 0 {
		heading("MEMBERS NOT POLLED (neither up nor down)")
		ut := newTable([]string{"MEMBER", "ADDRESS", "WHY"}, []int{24, 21, 70})
		for _, u := range unpolled {
			ut.add(nil, u[0], u[1], u[2])
		}
		ut.write(w, o.color)
	}

	any := false
	for _, f := range s.Farms {
		any = any || len(f.Mismatches) > 0
	}
	if any {
		heading("MISMATCHES (worst lag first)")
		mt := newTable([]string{"FARM", "REPOSITORY", "KIND", "NODES", "LAG", "LAST SYNC", "FAILED"}, []int{12, 32, 8, 20, 8, 9, 6})
		// Why each shown mismatch is out of sync, in a table of its own:
		// the verdict needs the width.
		why := newTable([]string{"FARM", "REPOSITORY", "WHY"}, []int{12, 32, 0})
		for _, f := range s.Farms {
			for i, m := range f.Mismatches {
				if i == o.mismatches {
					mt.add(nil, f.Name, fmt.Sprintf("… %d more (see --format json)", len(f.Mismatches)-i), "", "", "", "", "")
					break
				}
				why.add(nil, f.Name, repoName(m), m.Reason)
				last := "never"
				if m.LastSyncDate != nil {
					last = ui.FormatDuration(time.Duration(m.SyncLagS*float64(time.Second))) + " ago"
				}
				failTone := ""
				if m.FailedSyncCount > 0 {
					failTone = "bad"
				}
				mt.add([]string{"", "", "warn", "", "", "", failTone}, f.Name, repoName(m), m.Kind, strings.Join(m.Nodes, ","),
					ui.FormatDuration(time.Duration(m.LagS*float64(time.Second))), last, fmt.Sprint(m.FailedSyncCount))
			}
		}
		mt.write(w, o.color)
		heading("WHY (the verdict on each mismatch above)")
		// The verdict takes what the other two columns leave.
		fw, rw := len("FARM"), len("REPOSITORY")
		for _, r := range why.rows {
			fw, rw = max(fw, min(ansi.StringWidth(r[0]), 12)), max(rw, min(ansi.StringWidth(r[1]), 32))
		}
		why.max[2] = tableWidth - fw - rw - 4
		why.write(w, o.color)
	}

	if len(s.PendingRequests) > 0 {
		heading("PENDING MIRROR REQUESTS")
		rt := newTable([]string{"ID", "MIRROR", "BASE URL", "VERSION"}, []int{8, 24, 50, 10})
		for _, r := range s.PendingRequests {
			rt.add(nil, r.ID, r.MirrorName, r.MirrorBaseURL, orDash(r.ProductVersion))
		}
		rt.write(w, o.color)
	}
}

// writeGitLab prints each GitLab instance's mirrors, worst first.
func writeGitLab(w io.Writer, s Snapshot, o tableOptions, heading func(string)) {
	for _, g := range s.GitLab {
		heading(fmt.Sprintf("GITLAB %s (%d projects, worst first)", g.Name, g.Projects))
		gt := newTable([]string{"PROJECT", "DIR", "HEALTH", "LAST SUCCESS", "ERROR"}, []int{28, 4, 12, 12, 36})
		for _, m := range g.Mirrors {
			last := "never"
			if m.LastSuccessfulUpdateAt != nil {
				last = ui.FormatDuration(s.TakenAt.Sub(*m.LastSuccessfulUpdateAt)) + " ago"
			}
			msg := m.LastError
			if len(m.DivergedRefs) > 0 {
				msg = fmt.Sprintf("%d diverged: %s", len(m.DivergedRefs), strings.Join(m.DivergedRefs, " "))
			}
			gt.add([]string{"", "", healthTone(m.Health), "", "bad"}, m.Project, m.Direction, m.Health, last, msg)
		}
		gt.write(w, o.color)
	}
}

func repoName(m SnapMismatch) string {
	if m.Project == "" && m.Slug == "" {
		return "#" + m.RepoID
	}
	return m.Project + "/" + m.Slug
}

func statusCounts(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", shortStatus(k), m[k]))
	}
	return strings.Join(parts, " ")
}

func shortStatus(s string) string {
	switch s {
	case "AVAILABLE":
		return "ok"
	case "INITIALIZING":
		return "init"
	case "ERROR_AVAILABLE":
		return "err"
	case "ERROR_INITIALIZING":
		return "err-init"
	default:
		return strings.ToLower(s)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// TableWidth is the widest line the table printout has.
const TableWidth = tableWidth

// TableOptions shape the table printout: Color paints it, Mismatches is
// how many mismatches each farm lists.
type TableOptions struct {
	Color      bool
	Mismatches int
}

// WriteTable prints the snapshot as tables for people.
func WriteTable(w io.Writer, s Snapshot, o TableOptions) {
	writeTable(w, s, tableOptions{color: o.Color, mismatches: o.Mismatches})
}

// Paint colours s with tone ("ok", "warn", "bad" or "") or bold, when
// color is on; blank text is left as it is.
func Paint(s, tone string, bold, color bool) string { return paint(s, tone, bold, color) }
