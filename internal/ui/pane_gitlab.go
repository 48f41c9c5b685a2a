package ui

import "github.com/mirrortop/mirrortop/internal/model"

// gitlabPane lists every GitLab mirror, worst first (rows in gitlab.go).
type gitlabPane struct{}

func (gitlabPane) info() paneInfo {
	return paneInfo{name: "GitLab", cmd: "gitlab", counted: true, actions: []Action{ActSync, ActResolve}}
}

func (gitlabPane) columns() []column {
	return []column{
		{Title: "PROJECT", Width: 30, Sort: 'P'},
		{Title: "DIR", Width: 4, Sort: 'D'},
		{Title: "HEALTH", Width: 16, Sort: 'H'},
		{Title: "STATUS", Width: 9, Prio: 3, Sort: 'S'},
		{Title: "LAST OK", Width: 10, Sort: 'L'},
		{Title: "RATE", Width: 5, Right: true, Prio: 2, Sort: 'R'},
		{Title: "AVG", Width: 6, Right: true, Prio: 4, Sort: 'V'},
		{Title: "ERROR", Width: 20, Flex: true, Sort: 'E'},
	}
}

func (gitlabPane) rows(m *Model) []row { return m.gitlabRows() }

func (gitlabPane) deps(s *model.State) []dep {
	var out []dep
	for _, g := range s.GitLab {
		owner := depOwner{name: "gitlab " + g.Name, gitlab: true}
		out = append(out, dep{owner, "gitlab " + g.Name + " mirrors", g.Endpoints[model.EPGitLabMirrors]}, dep{owner, "gitlab " + g.Name + " projects", g.Endpoints[model.EPGitLabProjects]})
	}
	return out
}
