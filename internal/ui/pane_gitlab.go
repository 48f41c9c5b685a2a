package ui

import "github.com/mirrortop/mirrortop/internal/model"

// gitlabPane lists every GitLab mirror, worst first (rows in gitlab.go).
type gitlabPane struct{}

func (gitlabPane) info() paneInfo {
	return paneInfo{name: "GitLab", cmd: "gitlab", counted: true, actions: []Action{ActSync, ActResolve}}
}

func (gitlabPane) columns() []column {
	return []column{
		{title: "PROJECT", width: 30, sort: 'P'},
		{title: "DIR", width: 4, sort: 'D'},
		{title: "HEALTH", width: 16, sort: 'H'},
		{title: "STATUS", width: 9, prio: 3, sort: 'S'},
		{title: "LAST OK", width: 10, sort: 'L'},
		{title: "RATE", width: 5, right: true, prio: 2, sort: 'R'},
		{title: "AVG", width: 6, right: true, prio: 4, sort: 'V'},
		{title: "ERROR", width: 20, flex: true, sort: 'E'},
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
