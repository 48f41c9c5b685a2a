package ui

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/model"
)

// subject is what an action applies to: the open detail's, else the
// selected row's (nil: nothing).
func (m *Model) subject() subject {
	if m.mode == modeDetail && m.detail != nil {
		return m.detail.subj
	}
	if r, ok := m.panes[m.active].table.selected(); ok {
		return r.subj
	}
	return nil
}

// handleAction starts one of the actions that change something.
func (m *Model) handleAction(a Action) tea.Cmd {
	if m.opt.Actions == nil {
		m.setStatus(toneWarn, "actions are not available here")
		return nil
	}
	subj := m.subject()
	farmSubj, isFarm := subj.(farmSubject)
	if g := m.gitlabMirror(subj); g != nil && (a == ActSync || a == ActResolve || a == ActToggleMirror || a == ActDeleteMirror) {
		return m.gitlabAction(a, g)
	}
	switch a {
	case ActToggleMirror:
		m.setStatus(toneMuted, "e pauses or resumes a GitLab mirror (GitLab pane)")
		return nil
	case ActDeleteMirror:
		m.setStatus(toneMuted, "d deletes a GitLab push mirror (GitLab pane)")
		return nil
	}
	switch a {
	case ActApprove, ActReject:
		rs, ok := subj.(requestSubject)
		if !ok {
			m.setStatus(toneMuted, "approve and reject work on a mirror request (%s)", m.panesTaking(ActApprove))
			return nil
		}
		r := m.request(rs.id)
		if r == nil {
			m.setStatus(toneWarn, "that request is gone")
			return nil
		}
		if a == ActApprove {
			m.confirm(actions.PlanApprove(*r))
		} else {
			m.confirm(actions.PlanReject(*r))
		}
	case ActSync:
		f, repo, ok := m.subjectRepo(subj)
		if !ok {
			if isFarm {
				f = m.state.Farm(farmSubj.farm)
			}
			if f == nil {
				m.setStatus(toneMuted, "sync works on a repository, a farm or a GitLab mirror (%s)", m.panesTaking(ActSync))
				return nil
			}
		}
		p, err := actions.PlanSync(f, repo, m.syncInterval(f.Name))
		if err != nil {
			m.setStatus(toneWarn, "%v", err)
			return nil
		}
		if len(p.Steps) == 0 {
			return m.run(p) // nothing to send: say so at once
		}
		m.confirm(p)
	case ActResolve:
		f, repo, ok := m.subjectRepo(subj)
		if !ok || repo == nil {
			m.setStatus(toneMuted, "resolve works on a mismatched repository or a GitLab mirror (%s)", m.panesTaking(ActResolve))
			return nil
		}
		m.resolveChooser(f, repo)
	case ActAddProject, ActRemoveProject, ActMirrorAll:
		if m.mode != modeDetail || !isFarm || m.state.Farm(farmSubj.farm) == nil {
			m.setStatus(toneMuted, "project selection works in a farm's detail (enter on a farm)")
			return nil
		}
		m.projectAction(a, m.state.Farm(farmSubj.farm))
	}
	return nil
}

// panesTaking names the panes whose rows take an action: "pane 4",
// "panes 2, 6".
func (m *Model) panesTaking(a Action) string {
	var nums []string
	for _, p := range m.panes {
		if slices.Contains(p.actions, a) {
			nums = append(nums, strconv.Itoa(int(p.id)+1))
		}
	}
	if len(nums) == 1 {
		return "pane " + nums[0]
	}
	return "panes " + strings.Join(nums, ", ")
}

func (m *Model) request(id string) *model.MirrorRequest {
	for i := range m.state.Primary.Requests {
		if model.Sanitize(m.state.Primary.Requests[i].ID) == id {
			return &m.state.Primary.Requests[i]
		}
	}
	return nil
}

// subjectRepo resolves a mismatch, queue or manual subject to its farm and
// repository (repo nil when the primary does not list it).
func (m *Model) subjectRepo(subj subject) (*model.Farm, *model.Repo, bool) {
	rr, ok := subj.(repoRef)
	if !ok {
		return nil, nil, false
	}
	farm, id := rr.repository()
	f := m.state.Farm(farm)
	if f == nil {
		return nil, nil, false
	}
	return f, m.repoByID(id), true
}

func (m *Model) syncInterval(farm string) time.Duration {
	if d, ok := m.opt.SyncIntervals[farm]; ok && d > 0 {
		return d
	}
	return 3 * time.Minute
}

// resolveChooser offers the strategies that really exist for a mismatch.
func (m *Model) resolveChooser(f *model.Farm, repo *model.Repo) {
	name := model.RepoLabel(repo.ProjectKey, repo.Slug, repo.ID)
	opts := []option{
		{"acknowledge: mute this repository's alert for a while, with a reason", "ack"},
		{"manual: compare refs between the primary and each node, and the commands to repair", "manual"},
	}
	if !(f.HasSettings && f.Settings.AllProjects()) {
		opts = append(opts, option{"re-seed: remove project " + model.Sanitize(repo.ProjectKey) + " from farm " + f.Name + " and add it back (heavy)", "reseed"})
	}
	m.choose("Resolve "+name+" on farm "+f.Name, nil, opts, func(m *Model, v string) tea.Cmd {
		switch v {
		case "ack":
			m.choose("Acknowledge "+name+" on "+f.Name+" for how long?", nil, ackDurations, func(m *Model, d string) tea.Cmd {
				m.ask("Why? (recorded with the acknowledgement and in the audit log)", nil, func(m *Model, reason string) tea.Cmd {
					if reason == "" {
						m.setStatus(toneWarn, "an acknowledgement needs a reason: nothing recorded")
						return nil
					}
					return m.run(actions.PlanAcknowledge(f.Name, repo, repo.ID, parseDur(d), reason, m.opt.User, m.opt.Now()))
				})
				return nil
			})
		case "reseed":
			p, err := actions.PlanReseed(f, repo)
			if err != nil {
				m.setStatus(toneWarn, "%v", err)
				return nil
			}
			m.confirm(p)
		case "manual":
			return m.openManual(f, repo)
		}
		return nil
	})
}

// projectAction runs the project selection of a farm's detail.
func (m *Model) projectAction(a Action, f *model.Farm) {
	projects := m.projects()
	mirrored := map[string]bool{}
	for _, id := range f.Settings.ProjectIDs {
		mirrored[id] = true
	}
	switch a {
	case ActMirrorAll:
		p, err := actions.PlanMirrorAll(f)
		if err != nil {
			m.setStatus(toneWarn, "%v", err)
			return
		}
		m.confirm(p)
	case ActAddProject, ActRemoveProject:
		if !f.HasSettings {
			m.setStatus(toneWarn, "farm %s: its project selection is not known yet", f.Name)
			return
		}
		if f.Settings.AllProjects() {
			m.setStatus(toneWarn, "farm %s mirrors all projects; there is nothing to add or remove", f.Name)
			return
		}
		var opts []option
		for _, p := range projects {
			if mirrored[p.value] == (a == ActRemoveProject) {
				opts = append(opts, p)
			}
		}
		if len(opts) == 0 {
			m.setStatus(toneMuted, "no project to choose")
			return
		}
		title := "Add which project to farm " + f.Name + "?"
		if a == ActRemoveProject {
			title = "Remove which project from farm " + f.Name + "?"
		}
		m.choose(title, nil, opts, func(m *Model, id string) tea.Cmd {
			key := projectKey(projects, id)
			var p actions.Plan
			var err error
			if a == ActAddProject {
				p, err = actions.PlanAddProject(f, id, key)
			} else {
				p, err = actions.PlanRemoveProject(f, id, key)
			}
			if err != nil {
				m.setStatus(toneWarn, "%v", err)
				return nil
			}
			m.confirm(p)
			return nil
		})
	}
}

// projects lists the primary's projects (from its repositories) as options.
func (m *Model) projects() []option {
	out := make([]option, 0, len(m.ver.projectKeys))
	for id, key := range m.ver.projectKeys {
		out = append(out, option{label: model.Sanitize(key), value: id})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].label < out[j].label || out[i].label == out[j].label && out[i].value < out[j].value
	})
	return out
}

func projectKey(opts []option, id string) string {
	for _, o := range opts {
		if o.value == id {
			return o.label
		}
	}
	return "#" + id
}

// refsMsg is one node's ref comparison for the manual view.
type refsMsg struct {
	key    string
	node   string
	deltas []actions.RefDelta
	err    error
}

// openManual opens the manual view of a repository and starts comparing
// refs between the primary and each node.
func (m *Model) openManual(f *model.Farm, repo *model.Repo) tea.Cmd {
	m.detail, m.mode = m.newDetail(manualSubject{f.Name, repo.ID}), modeDetail
	key := m.detail.key
	m.detail.rebuild(m)
	cmds := []tea.Cmd{m.fetchMirrorRepos(m.detail)}
	if m.opt.Refs == nil {
		return tea.Batch(cmds...)
	}
	path := actions.RepoPath(repo.CloneURL, repo.ProjectKey, repo.Slug)
	prim, _ := m.opt.Refs.PrimaryFetcher()
	if prim == nil {
		return tea.Batch(cmds...)
	}
	for _, n := range f.Nodes {
		nf, _, ok := m.opt.Refs.NodeFetcher(f.Name, n.Name)
		if !ok {
			continue
		}
		node := n.Name
		cmds = append(cmds, func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			pr, err := actions.LsRemote(ctx, prim, path)
			if err != nil {
				return refsMsg{key: key, node: node, err: fmt.Errorf("primary: %w", err)}
			}
			mr, err := actions.LsRemote(ctx, nf, path)
			if err != nil {
				return refsMsg{key: key, node: node, err: err}
			}
			return refsMsg{key: key, node: node, deltas: actions.DiffRefs(pr, mr)}
		})
	}
	return tea.Batch(cmds...)
}

// manualDetail is the manual view: each node's hashes, the ref-level
// difference, and the commands an administrator would run.
func (m *Model) manualDetail(farm, id string, d *detail) []string {
	f := m.state.Farm(farm)
	repo := m.repoByID(id)
	if f == nil || repo == nil {
		return nil
	}
	out := m.repoDetail(farm, id, d)
	out = append(out, "", "Refs that differ from the primary (git ls-remote over smart HTTP)")
	for _, n := range f.Nodes {
		r, ok := d.refs[n.Name]
		switch {
		case m.opt.Refs == nil:
			out = append(out, "  (not available)")
		case !ok:
			out = append(out, fmt.Sprintf("  %-10s comparing…", n.Name))
		case r.err != nil:
			out = append(out, fmt.Sprintf("  %-10s %s", n.Name, model.Sanitize(r.err.Error())))
		case len(r.deltas) == 0:
			out = append(out, fmt.Sprintf("  %-10s every ref matches the primary", n.Name))
		default:
			out = append(out, fmt.Sprintf("  %-10s %d refs differ:", n.Name, len(r.deltas)))
			for _, dl := range r.deltas {
				out = append(out, fmt.Sprintf("    %-28s primary %-12s mirror %s", model.Sanitize(dl.Ref), short(dl.Primary), short(dl.Mirror)))
			}
		}
		if m.opt.Refs == nil {
			break
		}
	}
	primBase, farmBase := "PRIMARY", "MIRROR"
	if m.opt.Refs != nil {
		_, primBase = m.opt.Refs.PrimaryFetcher()
		farmBase = m.opt.Refs.FarmBase(farm)
	}
	out = append(out, "", "What an administrator can do")
	return m.addSteps(d, out, actions.ManualSteps(f, repo, primBase, farmBase, actions.RepoPath(repo.CloneURL, repo.ProjectKey, repo.Slug), m.syncInterval(farm)))
}

func short(oid string) string {
	if oid == "" {
		return "(none)"
	}
	return model.Sanitize(oid[:min(12, len(oid))])
}
