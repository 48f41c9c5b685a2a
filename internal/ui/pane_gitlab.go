package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// gitlabPane lists every GitLab mirror, worst first (rows in gitlab.go).
type gitlabPane struct{}

func (gitlabPane) info() paneInfo {
	return paneInfo{name: "GitLab", cmd: "gitlab", counted: true, actions: []Action{ActSync, ActResolve}}
}

func (gitlabPane) columns() []column { return gitlabCols.Specs() }

// gitlabRow is what a GitLab row is made from: a mirror, its health (and
// that with its acknowledgement), and its success rate and average
// duration when known.
type gitlabRow struct {
	g         *model.GitLabMirrorState
	health, h string
	rate      float64
	hasRate   bool
	avg       time.Duration
	hasAvg    bool
}

// gitlabCols are the GitLab pane's columns.
var gitlabCols = colList[*gitlabRow]{
	{Column: column{Title: "PROJECT", Width: 30, Sort: 'P'},
		Cell: func(v *gitlabRow) cell { return cell{text: model.Sanitize(v.g.Project), tone: toneAccent} },
		Key:  func(v *gitlabRow) sortKey { return strKey(v.g.Project) }},
	{Column: column{Title: "DIR", Width: 4, Sort: 'D'},
		Cell: func(v *gitlabRow) cell { return cell{text: string(v.g.Direction)} },
		Key:  func(v *gitlabRow) sortKey { return strKey(string(v.g.Direction)) }},
	{Column: column{Title: "HEALTH", Width: 16, Sort: 'H'},
		Cell: func(v *gitlabRow) cell {
			return cell{text: v.h, tone: healthTone(v.health), glyph: stateGlyph(v.health, healthTone(v.health))}
		},
		Key: func(v *gitlabRow) sortKey { return numKey(float64(-model.HealthRank(v.health))) }},
	{Column: column{Title: "STATUS", Width: 9, Prio: 3, Sort: 'S'},
		Cell: func(v *gitlabRow) cell { return cell{text: orDash(model.Sanitize(v.g.Status)), tone: toneMuted} },
		Key:  func(v *gitlabRow) sortKey { return strKey(v.g.Status) }},
	{Column: column{Title: "LAST OK", Width: 10, Sort: 'L'},
		Cell: func(v *gitlabRow) cell {
			if at := v.g.LastSuccessfulUpdateAt; !at.IsZero() {
				return cell{since: at, suffix: " ago", tone: toneMuted}
			}
			return cell{text: "never", tone: toneBad}
		},
		Key: func(v *gitlabRow) sortKey {
			if at := v.g.LastSuccessfulUpdateAt; !at.IsZero() {
				return numKey(-float64(at.Unix()))
			}
			return numKey(0)
		}},
	{Column: column{Title: "RATE", Width: 5, Right: true, Prio: 2, Sort: 'R'},
		Cell: func(v *gitlabRow) cell {
			if v.hasRate {
				return cell{text: fmt.Sprintf("%.0f%%", v.rate*100)}
			}
			return cell{text: "-"}
		},
		Key: func(v *gitlabRow) sortKey {
			if v.hasRate {
				return numKey(v.rate)
			}
			return numKey(-1)
		}},
	{Column: column{Title: "AVG", Width: 6, Right: true, Prio: 4, Sort: 'V'},
		Cell: func(v *gitlabRow) cell {
			if v.hasAvg {
				return cell{text: FormatDuration(v.avg), tone: toneMuted}
			}
			return cell{text: "-", tone: toneMuted}
		},
		Key: func(v *gitlabRow) sortKey {
			if v.hasAvg {
				return numKey(v.avg.Seconds())
			}
			return numKey(0)
		}},
	{Column: column{Title: "ERROR", Width: 20, Flex: true, Sort: 'E'},
		Cell: func(v *gitlabRow) cell {
			if u := v.g.Update; u != nil && !u.Done {
				return cell{text: "update now: " + u.Text, tone: toneAccent}
			}
			if refs := model.ParseDivergedRefs(v.g.LastError); len(refs) > 0 {
				return cell{text: fmt.Sprintf("%d diverged: %s", len(refs), strings.Join(refs, " ")), tone: toneBad}
			}
			return cell{text: firstLine(model.Sanitize(v.g.LastError)), tone: toneBad}
		},
		Key: func(v *gitlabRow) sortKey { return strKey(v.g.LastError) }},
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
