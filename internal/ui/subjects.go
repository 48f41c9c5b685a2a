package ui

import (
	"strconv"

	"github.com/mirrortop/mirrortop/internal/model"
)

// subject is what a row or a detail view refers to, as a typed reference:
// the detail, the actions and the footer ask it what it is, and no string
// is taken apart to find out. A pane's rows carry one each.
type subject interface {
	// key identifies it across refreshes (the selection, a detail's
	// on-demand answers); it is compared, never parsed.
	key() string
	// detail is the title and lines of its detail view.
	detail(m *Model, d *detail) (title string, lines []string)
	// detailActions are the actions its detail view takes.
	detailActions() []Action
}

// repoRef is a subject that names a repository on a farm.
type repoRef interface {
	subject
	repository() (farm, repoID string)
}

// farmSubject is a farm.
type farmSubject struct{ farm string }

func (s farmSubject) key() string { return "farm/" + s.farm }
func (s farmSubject) detail(m *Model, _ *detail) (string, []string) {
	return "Farm " + s.farm, m.farmDetail(s.farm)
}
func (farmSubject) detailActions() []Action {
	return []Action{ActSync, ActAddProject, ActRemoveProject, ActMirrorAll}
}

// nodeSubject is a node of a farm.
type nodeSubject struct{ farm, node string }

func (s nodeSubject) key() string { return "node/" + s.farm + "/" + s.node }
func (s nodeSubject) detail(m *Model, _ *detail) (string, []string) {
	return "Node " + s.farm + "/" + s.node, m.nodeDetail(s.farm, s.node)
}
func (nodeSubject) detailActions() []Action { return nil }

// mismatchSubject is a mismatched repository on a farm. It holds the
// mismatch itself (a pointer, so that 100 000 rows cost no allocation for
// it); only its farm and repository id are read.
type mismatchSubject struct{ mm *model.Mismatch }

func (s mismatchSubject) key() string                     { return "mm/" + s.mm.Farm + "/" + s.mm.RepoID }
func (s mismatchSubject) repository() (farm, repo string) { return s.mm.Farm, s.mm.RepoID }
func (s mismatchSubject) detail(m *Model, d *detail) (string, []string) {
	return repoDetailOf(m, s, d)
}
func (mismatchSubject) detailActions() []Action { return []Action{ActSync, ActResolve} }

// queueSubject is a queued ref change: the n-th of its repository's on
// the farm's queue.
type queueSubject struct {
	farm, repo string
	n          int
}

func (s queueSubject) key() string {
	return "q/" + s.farm + "/" + strconv.Itoa(s.n) + "/" + s.repo
}
func (s queueSubject) repository() (farm, repo string) { return s.farm, s.repo }
func (s queueSubject) detail(m *Model, d *detail) (string, []string) {
	return repoDetailOf(m, s, d)
}
func (queueSubject) detailActions() []Action { return []Action{ActSync, ActResolve} }

// repoDetailOf is the detail of a repository on a farm.
func repoDetailOf(m *Model, r repoRef, d *detail) (string, []string) {
	farm, id := r.repository()
	return "Repository #" + model.Sanitize(id) + " on " + farm, m.repoDetail(farm, id, d)
}

// manualSubject is the manual repair view of a repository on a farm.
type manualSubject struct{ farm, repo string }

func (s manualSubject) key() string                     { return "manual/" + s.farm + "/" + s.repo }
func (s manualSubject) repository() (farm, repo string) { return s.farm, s.repo }
func (s manualSubject) detail(m *Model, d *detail) (string, []string) {
	return "Manual repair of #" + model.Sanitize(s.repo) + " on " + s.farm, m.manualDetail(s.farm, s.repo, d)
}
func (manualSubject) detailActions() []Action {
	return []Action{ActNextCommand, ActCopy, ActSync, ActResolve}
}

// requestSubject is a mirror request, by its (sanitized) id.
type requestSubject struct{ id string }

func (s requestSubject) key() string { return "req/" + s.id }
func (s requestSubject) detail(m *Model, _ *detail) (string, []string) {
	return "Mirror request " + s.id, m.requestDetail(s.id)
}
func (requestSubject) detailActions() []Action { return []Action{ActApprove, ActReject} }

// gitlabSubject is a GitLab mirror: its instance and its key there;
// manual is its hand-reconciliation view.
type gitlabSubject struct {
	instance, mirror string
	manual           bool
}

func (s gitlabSubject) key() string {
	if s.manual {
		return "glmanual/" + s.mirror
	}
	return "gl/" + s.mirror
}
func (s gitlabSubject) detail(m *Model, d *detail) (string, []string) {
	return "GitLab mirror", m.gitlabDetail(s, d)
}
func (s gitlabSubject) detailActions() []Action {
	if s.manual {
		return []Action{ActNextCommand, ActCopy, ActSync, ActResolve}
	}
	return []Action{ActSync, ActResolve}
}

// gitlabInstanceSubject is a GitLab instance.
type gitlabInstanceSubject struct{ name string }

func (s gitlabInstanceSubject) key() string { return "glinst/" + s.name }
func (s gitlabInstanceSubject) detail(m *Model, _ *detail) (string, []string) {
	return "GitLab " + s.name, m.gitlabInstanceDetail(s.name)
}
func (gitlabInstanceSubject) detailActions() []Action { return nil }

// eventSubject is an event, by its sequence number.
type eventSubject struct{ seq int }

func (s eventSubject) key() string { return "ev/" + strconv.Itoa(s.seq) }
func (s eventSubject) detail(m *Model, _ *detail) (string, []string) {
	return "Event", m.eventDetail(s.seq)
}
func (eventSubject) detailActions() []Action { return nil }

// checksSubject is the setup checks view.
type checksSubject struct{}

func (checksSubject) key() string { return checksKey }
func (checksSubject) detail(m *Model, d *detail) (string, []string) {
	return "Setup checks (as mirrortop doctor)", m.checksDetail(d)
}
func (checksSubject) detailActions() []Action { return nil }
