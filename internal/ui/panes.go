package ui

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// dep is one endpoint of one target: owner is the target it belongs to,
// for saying an authentication failure once.
type dep struct {
	owner  depOwner
	target string
	health *model.EndpointHealth
}

// depOwner is a target whose credentials an endpoint uses: "primary", a
// farm (its nodes' endpoints too), or "gitlab NAME".
type depOwner struct {
	name   string
	gitlab bool
}

// primaryOwner owns the primary's endpoints.
var primaryOwner = depOwner{name: "primary"}

func farmDeps(f *model.Farm, eps ...model.Endpoint) []dep {
	out := make([]dep, 0, len(eps))
	for _, ep := range eps {
		out = append(out, dep{depOwner{name: f.Name}, f.Name + " " + string(ep), f.Endpoints[ep]})
	}
	return out
}

// nodeDeps lists the endpoints of every node; a node that is down counts
// by its failing status only, so that its older data does not make the
// pane stale (the node shows as DOWN instead).
func nodeDeps(f *model.Farm, eps ...model.Endpoint) []dep {
	var out []dep
	for _, n := range f.Nodes {
		if n.State() == model.NodeDown {
			out = append(out, dep{depOwner{name: f.Name}, f.Name + "/" + n.Name + " " + string(model.EPStatus), n.Endpoints[model.EPStatus]})
			continue
		}
		for _, ep := range eps {
			out = append(out, dep{depOwner{name: f.Name}, f.Name + "/" + n.Name + " " + string(ep), n.Endpoints[ep]})
		}
	}
	return out
}

// authLine says in words that a target's credentials were refused.
func authLine(owner depOwner, status int) string {
	if status == 403 && owner.gitlab {
		return owner.name + ": permission denied (HTTP 403): the token's user needs the Maintainer role"
	}
	return owner.name + ": " + model.AuthMessage(status)
}

// freshness summarises a pane's deps: the age of its oldest data among the
// endpoints that answer (failing ones show as errors instead, so that one
// dead node does not make the whole pane stale), and the failing ones. A
// target whose endpoints are refused for their credentials (401) or
// permission (403) is said once, in words, not once per endpoint.
func freshness(deps []dep, now time.Time) (age time.Duration, known bool, failing []string) {
	var oldest, newest time.Time
	authAt := map[depOwner]int{} // owner -> index of its line in failing
	authSt := map[depOwner]int{}
	for _, d := range deps {
		h := d.health
		if h == nil || h.Unsupported {
			continue
		}
		if h.Failing() {
			if st := model.AuthStatus(h.Status, h.Err); st != 0 {
				owner := d.owner
				if i, seen := authAt[owner]; seen {
					if st == 401 && authSt[owner] != 401 {
						authSt[owner] = 401
						failing[i] = authLine(owner, 401)
					}
				} else {
					authAt[owner], authSt[owner] = len(failing), st
					failing = append(failing, authLine(owner, st))
				}
			} else {
				failing = append(failing, d.target+": "+model.Sanitize(h.Err))
			}
			if h.LastOK.After(newest) {
				newest = h.LastOK
			}
			continue
		}
		if oldest.IsZero() || h.LastOK.Before(oldest) {
			oldest = h.LastOK
		}
	}
	switch {
	case !oldest.IsZero():
		return now.Sub(oldest), true, failing
	case !newest.IsZero():
		return now.Sub(newest), true, failing
	}
	return 0, false, failing
}

// stateTone grades a state string.
func stateTone(s string) tone { return gradeTone(model.StateGrade(s)) }

// gradeTone is the tone of a grade.
func gradeTone(g model.Grade) tone {
	switch g {
	case model.GradeOK:
		return toneOK
	case model.GradeBad:
		return toneBad
	case model.GradeMuted:
		return toneMuted
	}
	return toneWarn
}

// ackKey names an acknowledged repository on a farm.
type ackKey struct{ farm, repo string }

// ackView is the acknowledgements in force, as the rows and alerts see
// them; refreshAcks renews it.
type ackView struct {
	repos map[ackKey]time.Time // until when
	sig   string               // changes whenever the set in force does
}

func (v *ackView) acked(farm, repo string) bool {
	_, ok := v.repos[ackKey{farm, repo}]
	return ok
}

// refreshAcks reads the acknowledgements in force now and reports whether
// they changed (one added, or one run out) since the last look: the
// mismatch rows show them, so they are rebuilt then.
func (m *Model) refreshAcks() bool {
	list := m.opt.Acks.List(m.now)
	sigs := make([]string, 0, len(list))
	repos := make(map[ackKey]time.Time, len(list))
	for _, a := range list {
		sigs = append(sigs, a.Key+"@"+a.Until.UTC().Format(time.RFC3339Nano))
		if a.RepoID != "" {
			repos[ackKey{a.Farm, a.RepoID}] = a.Until
		}
	}
	slices.Sort(sigs)
	sig := strings.Join(sigs, ";")
	changed := sig != m.acks.sig
	m.acks = ackView{repos: repos, sig: sig}
	return changed
}

// certCell shows days until a TLS certificate expires, in the warning
// style under the alert threshold and the bad one once expired.
func (m *Model) certCell(at time.Time) cell {
	if at.IsZero() {
		return cell{text: "-", tone: toneMuted}
	}
	left := at.Sub(m.now)
	days := int(left.Hours() / 24)
	switch {
	case left <= 0:
		return cell{text: "EXP", tone: toneBad}
	case m.opt.Thresholds.CertDays > 0 && left < time.Duration(m.opt.Thresholds.CertDays)*24*time.Hour:
		return cell{text: strconv.Itoa(days) + "d", tone: toneWarn}
	}
	return cell{text: strconv.Itoa(days) + "d", tone: toneMuted}
}

// repoLabel names a repository PROJECT/slug, or #id when unknown.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// nodeError is a node's error for its row; a discovered node's names the
// URL its template made, which the row may have no room for otherwise.
func nodeError(n *model.Node) string {
	e := model.Sanitize(n.Error())
	if e != "" && n.Discovered {
		return n.URL + ": " + e
	}
	return e
}
