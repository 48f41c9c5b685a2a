package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/model"
)

// detail is the view of one selected row: built from the state on every
// refresh, plus what on-demand fetches brought back.
type detail struct {
	// subj is what it shows; key is its key (for on-demand answers).
	subj  subject
	key   string
	title string
	lines []string
	// tones, when set, colour the lines one by one.
	tones   []tone
	fetched map[string]detailMsg
	refs    map[string]refsMsg

	// vp shows the lines, wrapped; starts[i] is the first screen line of
	// lines[i].
	vp     viewport.Model
	starts []int
	// cmds are the repair commands of a manual view; sel is the selected
	// one.
	cmds []command
	sel  int
}

// newDetail returns the detail view of a subject, not yet built.
func (m *Model) newDetail(s subject) *detail {
	return &detail{subj: s, key: s.key(), fetched: map[string]detailMsg{}, refs: map[string]refsMsg{}, vp: m.newPage()}
}

// layout gives the detail's lines to its viewport, the selected command
// marked.
func (d *detail) layout(m *Model) {
	var sel func(int) bool
	if len(d.cmds) > 0 {
		c := d.cmds[min(d.sel, len(d.cmds)-1)]
		sel = func(i int) bool { return i == c.line }
	}
	d.starts = m.layoutPage(&d.vp, d.lines, d.tones, sel)
}

// detailMsg is the answer of an on-demand fetch for a detail view.
type detailMsg struct {
	key  string
	node string
	repo model.MirroredRepo
	err  error
}

func (m *Model) openDetail() tea.Cmd {
	r, ok := m.panes[m.active].table.selected()
	if !ok {
		m.setStatus(toneMuted, "nothing selected")
		return nil
	}
	d := m.newDetail(r.subj)
	m.detail, m.mode = d, modeDetail
	d.rebuild(m)
	return m.fetchMirrorRepos(d)
}

// fetchMirrorRepos asks each node of a repository detail's farm for the
// repository's status and clone URLs.
func (m *Model) fetchMirrorRepos(d *detail) tea.Cmd {
	rr, ok := d.subj.(repoRef)
	if !ok || m.opt.Detail == nil {
		return nil
	}
	farm, repoID := rr.repository()
	f := m.state.Farm(farm)
	if f == nil {
		return nil
	}
	var cmds []tea.Cmd
	for _, n := range f.Nodes {
		src, key, node := m.opt.Detail, d.key, n.Name
		cmds = append(cmds, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			repo, err := src.MirrorRepo(ctx, farm, node, repoID)
			return detailMsg{key: key, node: node, repo: repo, err: err}
		})
	}
	return tea.Batch(cmds...)
}

func (m *Model) handleDetailKey(a Action) tea.Cmd {
	if scrollPage(&m.detail.vp, a) {
		return nil
	}
	switch a {
	case ActQuit:
		return m.quit()
	case ActBack:
		m.mode, m.detail = modeNormal, nil
	case ActHelp:
		m.openHelp()
	case ActNextCommand:
		m.nextCommand()
	case ActCopy:
		return m.copyCommand()
	case ActRefresh:
		m.refresh()
	case ActPause:
		m.togglePause()
	case ActRedraw:
		return tea.ClearScreen
	}
	return nil
}

func (d *detail) rebuild(m *Model) {
	d.tones, d.cmds = nil, nil
	var lines []string
	d.title, lines = d.subj.detail(m, d)
	if len(lines) == 0 {
		lines = []string{"(no longer present)"}
	}
	d.lines = lines
	d.sel = min(d.sel, max(0, len(d.cmds)-1))
	d.layout(m)
}

func kv(label, value string) string { return fmt.Sprintf("%-13s %s", label, value) }

// nodesText says how many members a farm has, how many are polled and how
// many of those answer.
func nodesText(h model.FarmHealth) string {
	s := fmt.Sprintf("%d members, %d polled, %d up", h.NodesTotal, h.NodesPolled, h.NodesUp)
	if h.NodesPolled < h.NodesTotal {
		s += fmt.Sprintf("; %d not polled (neither up nor down)", h.NodesTotal-h.NodesPolled)
	}
	return s
}

func (m *Model) farmDetail(name string) []string {
	f := m.state.Farm(name)
	if f == nil {
		return nil
	}
	h := f.Health()
	out := []string{
		kv("State", model.Sanitize(h.Label())),
		kv("Nodes", nodesText(h)),
		kv("URL", f.URL),
		kv("Layout", orDash(string(f.Layout))),
	}
	if f.Discovered {
		out = append(out, kv("Discovered", "listed by the primary, not in the config; polled through its base URL"))
	}
	out = append(out, []string{
		kv("Upstream", fmt.Sprintf("%s (%s) %s", orDash(model.Sanitize(f.Upstream.ID)), orDash(model.Sanitize(f.Upstream.State)), model.Sanitize(f.Upstream.BaseURL))),
	}...)
	if f.HasSettings {
		out = append(out, kv("Mirrors", m.projectsText(f.Settings)))
	}
	if p := &m.state.Primary; p.HasRepos {
		out = append(out, kv("Compared with", fmt.Sprintf("the primary's %d repositories (%s)", len(p.Repos), m.readText(p.ReposAt, p.ReposCheckedAt))))
	}
	if f.HasProgress {
		p := f.Progress
		prog := fmt.Sprintf("%d/%d repositories synced", p.SyncedRepos, p.TotalRepos)
		if p.Discovering {
			prog += ", discovering"
		}
		if rate, eta, ok := f.SyncRate(); ok {
			prog += fmt.Sprintf(", %.1f/s, ETA %s", rate, FormatDuration(eta))
		}
		out = append(out, kv("Progress", prog))
	}
	if f.HasQueueDepth {
		out = append(out, kv("Queue", fmt.Sprintf("%d waiting  %s", f.QueueDepth, sparkline(f.QueueHistory.Samples(), max(10, m.width-30)))))
	}
	out = append(out, kv("Mismatches", fmt.Sprintf("%d (worst lag %s); hashes unknown for %d more", len(f.Mismatches), FormatDuration(f.WorstLag(m.now)), f.UnknownHashes)))
	out = append(out, kv("Lag", lagText(f.LagStats(m.now))))
	out = append(out, kv("Last seen", m.lastSeenText(f)))
	if len(f.RepoStatus) > 0 {
		out = append(out, kv("Repositories", statusCounts(f.RepoStatus)))
	}
	switch f.Diagnostics {
	case model.DiagnosticsOff:
		out = append(out, kv("Diagnostics", model.DiagnosticsOffText+" (plugin.mirroring.repository.diagnostics.sync.enabled)"))
	case model.DiagnosticsUnsupported:
		out = append(out, kv("Diagnostics", "not in this farm's API (out-of-sync-repos is 9.x)"))
	case model.DiagnosticsOn:
		var parts []string
		for _, n := range f.Nodes {
			if n.OutOfSync != nil {
				parts = append(parts, fmt.Sprintf("%s %d", n.Name, len(n.OutOfSync)))
			}
		}
		out = append(out, kv("Diagnostics", "on; out of sync per node: "+strings.Join(parts, ", ")))
	}
	if f.NodeURL != "" {
		out = append(out, kv("Node URL", f.NodeURL+" (every /farmNodes member is polled there)"))
	}
	if members := f.Members(); len(members) > 0 {
		out = append(out, "", fmt.Sprintf("Members (%d; /farmNodes and the polled nodes)", len(members)))
		out = append(out, fmt.Sprintf("  %-16s %-21s %-22s %-8s %-7s %s", "MEMBER", "ADDRESS", "STATE", "VERSION", "CLOCK", "URL"))
		for _, mb := range members {
			n := f.Node(mb.Node)
			if !mb.Polled || n == nil {
				what := "not polled: " + mb.Why
				if mb.Polled {
					what = "polled"
				}
				out = append(out, fmt.Sprintf("  %-16s %-21s %s", mb.Name, orDash(mb.Address), what))
				continue
			}
			u := n.URL
			if mb.Node != mb.Name {
				u += " (node " + mb.Node + ")"
			}
			out = append(out, fmt.Sprintf("  %-16s %-21s %-22s %-8s %-7s %s", mb.Name, orDash(mb.Address),
				model.Sanitize(n.State()), orDash(model.Sanitize(n.Version)), m.skewCell(n).text, u))
			// What is off about it, in words, beneath.
			if m.state.NodeVersionSkew(n) != model.VersionSame {
				out = append(out, "  "+strings.Repeat(" ", 17)+"version "+m.versionText(n))
			}
			if d, ok := m.state.ClockSkew(n); ok && m.opt.Thresholds.MaxClockSkew > 0 && max(d, -d) > m.opt.Thresholds.MaxClockSkew {
				out = append(out, "  "+strings.Repeat(" ", 17)+"clock "+m.skewText(n, true))
			}
		}
	}
	if len(f.Departed) > 0 {
		out = append(out, "", "Left the farm (no longer in /farmNodes)")
		for i := len(f.Departed) - 1; i >= 0; i-- {
			d := f.Departed[i]
			out = append(out, fmt.Sprintf("  %-16s left %s, was %s", d.Name, ago(m.now, d.At), d.URL))
		}
	}
	if len(f.Delayed) > 0 {
		out = append(out, "", "Delayed sync (reported by the farm)")
		for _, d := range f.Delayed {
			out = append(out, "  "+model.RepoLabel(d.ProjectKey, d.Slug, d.RepositoryID))
		}
	}
	return append(out, endpointLines(f.Endpoints, m.now)...)
}

// readText says when a big list was read and, when later fetches were
// skipped for want of a change signal, when the signals last vouched for it.
func (m *Model) readText(at, checked time.Time) string {
	s := "read " + ago(m.now, at)
	if checked.After(at) {
		s += "; no change signalled since, checked " + ago(m.now, checked)
	}
	return s
}

func (m *Model) projectsText(s model.SyncSettings) string {
	if s.AllProjects() {
		return "all projects"
	}
	names := make([]string, 0, len(s.ProjectIDs))
	for _, id := range s.ProjectIDs {
		if k := m.ver.projectKeys[id]; k != "" {
			names = append(names, model.Sanitize(k))
		} else {
			names = append(names, "#"+model.Sanitize(id))
		}
	}
	return fmt.Sprintf("selected projects: %s", strings.Join(names, ", "))
}

func (m *Model) nodeDetail(farm, name string) []string {
	f := m.state.Farm(farm)
	if f == nil {
		return nil
	}
	n := f.Node(name)
	if n == nil {
		return nil
	}
	state := n.State()
	if state == model.NodeDown && !n.DownSince.IsZero() {
		state += " since " + n.DownSince.Local().Format("15:04:05") + " (" + FormatDuration(m.now.Sub(n.DownSince)) + ")"
	}
	out := []string{
		kv("State", state),
		kv("URL", n.URL),
		kv("Version", m.versionText(n)),
		kv("Clock", m.skewText(n, true)),
		kv("Members", fmt.Sprint(n.Status.MemberCount)),
		kv("Last good", ago(m.now, n.LastGood())),
	}
	if e := n.Error(); e != "" {
		out = append(out, kv("Error", model.Sanitize(e)))
	}
	if n.HasSync {
		out = append(out, kv("Repositories", fmt.Sprintf("%d: %s (%s)", len(n.Sync), statusCounts(n.RepoStatusCounts()), m.readText(n.SyncAt, n.SyncCheckedAt))))
	}
	return append(out, endpointLines(n.Endpoints, m.now)...)
}

func endpointLines(h model.Health, now time.Time) []string {
	if len(h) == 0 {
		return nil
	}
	eps := make([]string, 0, len(h))
	for ep := range h {
		eps = append(eps, string(ep))
	}
	sort.Strings(eps)
	out := []string{"", "Endpoints"}
	for _, ep := range eps {
		e := h[model.Endpoint(ep)]
		state := "ok " + ago(now, e.LastOK)
		switch {
		case e.Unsupported:
			state = "not supported by this server"
		case e.Failing():
			state = fmt.Sprintf("FAILING (%d×): %s", e.Failures, model.Sanitize(e.Err))
		}
		out = append(out, fmt.Sprintf("  %-22s %s", ep, state))
	}
	return out
}

func (m *Model) requestDetail(id string) []string {
	for _, r := range m.state.Primary.Requests {
		if model.Sanitize(r.ID) != id {
			continue
		}
		return []string{
			kv("Mirror", model.Sanitize(r.MirrorName)),
			kv("Base URL", model.Sanitize(r.MirrorBaseURL)),
			kv("Mirror id", model.Sanitize(r.MirrorID)),
			kv("Type", orDash(model.Sanitize(r.MirrorType))),
			kv("Version", orDash(model.Sanitize(r.ProductVersion))),
			kv("State", model.Sanitize(r.State)),
		}
	}
	return nil
}

func (m *Model) repoDetail(farm, id string, d *detail) []string {
	f := m.state.Farm(farm)
	if f == nil {
		return nil
	}
	r := m.repoByID(id)
	var out []string
	// The verdict first: why it is out of sync, and the evidence.
	for i := range f.Mismatches {
		if mm := &f.Mismatches[i]; mm.RepoID == id {
			v := model.Explain(f, mm, m.opt.Thresholds.MaxLock, m.now)
			out = append(out, kv("Why", v.Line))
			for _, e := range v.Evidence {
				out = append(out, kv("", "· "+e))
			}
			out = append(out, "")
			break
		}
	}
	if r != nil {
		out = append(out, kv("Repository", model.RepoLabel(r.ProjectKey, r.Slug, r.ID)+"  ("+model.Sanitize(r.Name)+")"))
		out = append(out, kv("Primary", "content "+shortHash(r.Hashes.Content)+"  metadata "+shortHash(r.Hashes.Metadata)))
		out = append(out, kv("", "= same  ≠ differs  ? unknown (never counted as in sync)"))
	} else {
		out = append(out, kv("Repository", "#"+model.Sanitize(id)+" (not listed by the primary)"))
	}
	for i := range f.Mismatches {
		mm := &f.Mismatches[i]
		if mm.RepoID != id {
			continue
		}
		kinds := make([]string, len(mm.Kinds))
		for i, k := range mm.Kinds {
			kinds[i] = string(k)
		}
		out = append(out, kv("Mismatch", fmt.Sprintf("%s on %s, since %s (lag %s), failed syncs %d",
			strings.Join(kinds, "+"), strings.Join(mm.Nodes, ","), mm.Since().Local().Format("15:04:05"), FormatDuration(mm.Lag(m.now)), mm.FailedSyncCount)))
	}
	for _, q := range f.Queue {
		if q.ExternalRepoID == id {
			out = append(out, kv("Queue", fmt.Sprintf("%s attempt %d, waiting %s", model.Sanitize(q.Type), q.Attempt, FormatDuration(m.now.Sub(q.CreatedAt)))))
		}
	}
	for _, l := range f.Locks {
		if l.ExternalRepoID == id {
			held := "held for " + FormatDuration(m.now.Sub(l.AcquiredAt))
			if l.AcquiredAt.IsZero() {
				held = "held since an unknown time"
			} else if ml := m.opt.Thresholds.MaxLock; ml > 0 && m.now.Sub(l.AcquiredAt) > ml {
				held += " (over max_lock " + FormatDuration(ml) + ": likely stuck)"
			}
			out = append(out, kv("Lock", fmt.Sprintf("node %s, thread %s, %s", orDash(f.NodeName(l.NodeID)), orDash(model.Sanitize(l.ThreadName)), held)))
		}
	}
	const rowFmt = "  %-8s %-10s %-10s %-10s %-10s %4s %s"
	out = append(out, "", fmt.Sprintf(rowFmt, "NODE", "CONTENT", "METADATA", "INITIAL", "LAST SYNC", "FAIL", "STATUS"))
	for _, n := range f.Nodes {
		st := n.SyncOf(id)
		switch {
		case !n.HasSync:
			out = append(out, fmt.Sprintf("  %-8s (no repoSyncStatus read yet)", n.Name))
		case st == nil:
			out = append(out, fmt.Sprintf(rowFmt, n.Name, "-", "-", "-", "-", "-", model.RepoMissing))
		default:
			var pc, pm string
			if r != nil {
				pc, pm = r.Hashes.Content, r.Hashes.Metadata
			}
			initial := "-"
			if !st.InitialSyncDate.IsZero() {
				initial = st.InitialSyncDate.Time().Local().Format("2006-01-02")
			}
			out = append(out, fmt.Sprintf(rowFmt, n.Name,
				hashCell(pc, st.Hashes.Content), hashCell(pm, st.Hashes.Metadata),
				initial, ago(m.now, st.LastSyncDate.Time()), fmt.Sprint(st.FailedSyncCount), st.Status()))
		}
	}
	out = append(out, "", "Mirror status and clone URLs (asked of each node)")
	for _, n := range f.Nodes {
		res, ok := d.fetched[n.Name]
		switch {
		case m.opt.Detail == nil:
			out = append(out, "  (not available)")
			return out
		case !ok:
			out = append(out, fmt.Sprintf("  %-10s loading…", n.Name))
		case res.err != nil:
			out = append(out, fmt.Sprintf("  %-10s %s", n.Name, model.Sanitize(res.err.Error())))
		default:
			urls := make([]string, 0, len(res.repo.CloneURLs))
			for _, l := range res.repo.CloneURLs {
				urls = append(urls, model.Sanitize(l.Name)+" "+model.Sanitize(l.Href))
			}
			out = append(out, fmt.Sprintf("  %-10s %s  %s", n.Name, orDash(model.Sanitize(res.repo.Status)), strings.Join(urls, "  ")))
		}
	}
	return out
}

// hashCell shows a node's hash, shortened, with how it compares with the
// primary's.
func hashCell(primary, mirror string) string {
	h := shortHash(mirror)
	if !model.HashUnknown(mirror) {
		h = cutRunes(h, 8)
	}
	return h + " " + hashMark(primary, mirror)
}

// hashMark compares a node's hash with the primary's: = same, ≠ differs,
// ? unknown (never shown as in sync).
func hashMark(primary, mirror string) string {
	switch model.CompareHash(primary, mirror) {
	case model.HashEqual:
		return "="
	case model.HashDiffer:
		return "≠"
	}
	return "?"
}

func statusCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
