package actions

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// MirrorLabel names a GitLab mirror for people: "platform/api push mirror".
func MirrorLabel(m *model.GitLabMirror) string {
	return model.Sanitize(m.Project) + " " + string(m.Direction) + " mirror"
}

// GitLabAckKey is the acknowledgement key of a GitLab mirror's alert.
func GitLabAckKey(mirrorKey string) string { return "gitlab/" + mirrorKey }

// PlanGitLabSync asks GitLab to update a mirror now. Any 2xx answer only
// means GitLab accepted the request (it may run later, or be a no-op while
// an update runs): the console shows the next status it observes.
func PlanGitLabSync(m *model.GitLabMirror) Plan {
	call := poller.SyncPullCall(m.Project)
	if m.Direction == model.Push {
		call = poller.SyncPushCall(m.Project, m.ID)
	}
	return Plan{Kind: KindGitLabSync, Key: "gitlab/" + m.Key(), Mirror: m.Key(), Target: m.Instance + ":" + MirrorLabel(m),
		Title: "Update the " + MirrorLabel(m) + " now",
		Steps: []Step{{GitLab: m.Instance, Call: call}},
		Note:  "GitLab only promises to try: the pane shows the status it reports next, never an assumed success."}
}

// pullMirrorAPI decides how a pull mirror's settings are sent: through the
// pull mirror API (PUT …/mirror/pull, GitLab 17.5 and later), or before
// 17.5 through the project's attributes (PUT /projects/:id). A version not
// known (zero) takes the pull mirror API; known says whether the version
// decided.
func pullMirrorAPI(v model.GitLabVersion) (newAPI, known bool) {
	known = v.Raw != ""
	return !known || v.AtLeast(17, 5), known
}

// PlanGitLabToggle pauses an enabled GitLab mirror or resumes a paused one:
// a push mirror's enabled through the remote mirrors API; a pull mirror's
// through the pull mirror API (PUT …/mirror/pull) on GitLab 17.5 and
// later, and before 17.5, where that API cannot change it, through the
// project's mirror attribute (PUT /projects/:id, deprecated since 17.6).
// version is the instance's (zero when unknown: the pull mirror API is
// used, and the plan says the version was not known). health is the
// mirror's (model.HealthPaused: GitLab paused it itself).
func PlanGitLabToggle(m *model.GitLabMirror, health string, version model.GitLabVersion) Plan {
	label := MirrorLabel(m)
	enable := !m.Enabled
	call := poller.EditPullCall(m.Project, map[string]any{"enabled": enable})
	var why string
	newAPI, known := pullMirrorAPI(version)
	switch {
	case m.Direction == model.Push:
		call = poller.EditPushCall(m.Project, m.ID, map[string]any{"enabled": enable})
	case !known:
		why = " The instance's version is not known yet: the pull mirror API (GitLab 17.5 and later) is used."
	case !newAPI:
		call = poller.EditProjectCall(m.Project, map[string]any{"mirror": enable}, nil)
		why = " GitLab " + version.Raw + " is older than 17.5, which brought the pull mirror API's enabled: the project's mirror attribute is set instead."
	default:
		why = " GitLab " + version.Raw + ": through the pull mirror API (17.5 and later)."
	}
	p := Plan{Key: "gitlab/" + m.Key(), Mirror: m.Key(), Target: m.Instance + ":" + label,
		Steps: []Step{{GitLab: m.Instance, Call: call}}}
	if !enable {
		p.Kind, p.Title = KindGitLabPause, "Pause the "+label
		p.Note = "The mirror stops updating until it is resumed (e again)." + why
		return p
	}
	p.Kind, p.Title = KindGitLabResume, "Resume the "+label
	p.Note = "The mirror updates again at GitLab's next scheduled update; the pane shows what GitLab reports then." + why
	if health == model.HealthPaused {
		p.Warning = "GitLab paused this mirror after repeated failures: enabling it does not clear that pause. " +
			"GitLab resumes it after a successful \"Update now\" (Settings > Repository > Mirroring repositories) once the cause (credentials, URL, the remote) is fixed."
	}
	return p
}

// PlanGitLabDelete deletes a push mirror; it cannot be undone, so the
// operator types the project's path to confirm. A pull mirror is not
// deleted: pausing it (PlanGitLabToggle) stops it.
func PlanGitLabDelete(m *model.GitLabMirror) (Plan, error) {
	if m.Direction != model.Push {
		return Plan{}, fmt.Errorf("only a push mirror is deleted; pause the pull mirror of %s with e instead", model.Sanitize(m.Project))
	}
	label := MirrorLabel(m)
	return Plan{Kind: KindGitLabDelete, Key: "gitlab/" + m.Key(), Mirror: m.Key(), Target: m.Instance + ":" + label,
		Title: "Delete the " + label, Steps: []Step{{GitLab: m.Instance, Call: poller.DeletePushCall(m.Project, m.ID)}},
		Typed:   m.Project,
		Warning: "GitLab forgets the mirror, its URL and its credentials: adding it back means entering them again.",
		Note:    "The project stops pushing to " + model.Sanitize(m.URL) + "."}, nil
}

// ResolveStrategy is one way to resolve a diverged GitLab mirror.
type ResolveStrategy string

// The strategies. Ours: this GitLab project's side wins; theirs: the other
// side (the push target, or the pull upstream) wins.
const (
	StrategyOurs   ResolveStrategy = "ours"
	StrategyTheirs ResolveStrategy = "theirs"
	StrategyManual ResolveStrategy = "manual"
	StrategyAbort  ResolveStrategy = "abort"
)

// StrategyText explains a strategy for a mirror, for the chooser.
func StrategyText(m *model.GitLabMirror, s ResolveStrategy) string {
	switch {
	case s == StrategyOurs && m.Direction == model.Push:
		return "ours: make the remote match this project: keep_divergent_refs off, then update (commits only on the remote are LOST)"
	case s == StrategyOurs:
		return "ours: keep this project's diverged commits: leave overwriting off and acknowledge the alert (nothing is sent)"
	case s == StrategyTheirs && m.Direction == model.Push:
		return "theirs: keep the remote's diverging commits: keep_divergent_refs on, and acknowledge the alert"
	case s == StrategyTheirs:
		return "theirs: take the upstream's commits: overwrite diverged branches on, then update (local commits on them are LOST)"
	case s == StrategyManual:
		return "manual: list the diverged refs and the git commands to reconcile them"
	case s == StrategyAbort:
		return "abort: disable this mirror (it stops updating until enabled again)"
	}
	return string(s)
}

// PlanGitLabResolve builds a strategy's plan (manual has none: it is a
// view). Strategies that can destroy commits need the project path typed.
// ack is how long an acknowledgement lasts, with its reason and user.
func PlanGitLabResolve(m *model.GitLabMirror, s ResolveStrategy, ack time.Duration, reason, user string, now time.Time) (Plan, error) {
	label := MirrorLabel(m)
	key := "gitlab/" + m.Key()
	target := m.Instance + ":" + label
	project := model.Sanitize(m.Project)
	ackFor := func() *Ack {
		return &Ack{Key: GitLabAckKey(m.Key()), Farm: "gitlab:" + m.Instance, RepoID: m.Key(), Repo: label, Until: now.Add(ack), Reason: reason, By: user, At: now}
	}
	switch {
	case s == StrategyOurs && m.Direction == model.Push:
		return Plan{Kind: KindGitLabOurs, Key: key, Mirror: m.Key(), Target: target, Title: "Resolve " + label + ": this project wins",
			Steps: []Step{
				{GitLab: m.Instance, Call: poller.EditPushCall(m.Project, m.ID, map[string]any{"keep_divergent_refs": false})},
				{GitLab: m.Instance, Call: poller.SyncPushCall(m.Project, m.ID)},
			},
			Typed:   project,
			Warning: "GitLab will force-push over every diverged ref on the remote: commits that exist only there are lost. " + refsText(m)}, nil
	case s == StrategyOurs:
		return Plan{Kind: KindAcknowledge, Key: key, Mirror: m.Key(), Target: target, Title: "Keep this project's diverged commits for " + label, Ack: ackFor(),
			Note: "Nothing is sent: the diverged branches stay as they are and are not updated from the upstream; the alert is muted until " + now.Add(ack).Local().Format("Jan 2 15:04") + "."}, nil
	case s == StrategyTheirs && m.Direction == model.Push:
		return Plan{Kind: KindGitLabTheirs, Key: key, Mirror: m.Key(), Target: target, Title: "Resolve " + label + ": keep the remote's commits",
			Steps: []Step{{GitLab: m.Instance, Call: poller.EditPushCall(m.Project, m.ID, map[string]any{"keep_divergent_refs": true})}},
			Ack:   ackFor(),
			Note:  "Diverged refs stay skipped (the mirror keeps reporting them as failed); the alert is muted until " + now.Add(ack).Local().Format("Jan 2 15:04") + "."}, nil
	case s == StrategyTheirs:
		return Plan{Kind: KindGitLabTheirs, Key: key, Mirror: m.Key(), Target: target, Title: "Resolve " + label + ": the upstream wins",
			Steps: []Step{
				{GitLab: m.Instance, Call: poller.EditPullCall(m.Project, map[string]any{"mirror_overwrites_diverged_branches": true})},
				{GitLab: m.Instance, Call: poller.SyncPullCall(m.Project)},
			},
			Typed:   project,
			Warning: "GitLab will overwrite diverged branches with the upstream's: commits made only in this project on them are lost. " + refsText(m)}, nil
	case s == StrategyAbort:
		call := poller.EditPullCall(m.Project, map[string]any{"enabled": false})
		if m.Direction == model.Push {
			call = poller.EditPushCall(m.Project, m.ID, map[string]any{"enabled": false})
		}
		return Plan{Kind: KindGitLabDisable, Key: key, Mirror: m.Key(), Target: target, Title: "Disable the " + label,
			Steps: []Step{{GitLab: m.Instance, Call: call}}, Note: "The mirror stops updating until it is enabled again."}, nil
	}
	return Plan{}, fmt.Errorf("strategy %q has no plan", s)
}

// gitlabRefusal explains GitLab's refusals of a mirror call that the
// operator can act on: a role below Maintainer (GitLab answers 403, or 401
// on the remote mirrors API, whose permission check calls unauthorized!)
// and a request GitLab found invalid (400, with its reason).
func gitlabRefusal(p Plan, he *poller.HTTPError) (string, bool) {
	why := ""
	if he.Message != "" {
		why = ": " + model.Sanitize(he.Message)
	}
	switch he.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Sprintf("Refused by GitLab (HTTP %d %s%s): the token's user must be at least a Maintainer of the project, "+
			"and the token needs the api scope (or it expired). Nothing changed. (%s)", he.Status, http.StatusText(he.Status), why, p.Title), true
	case http.StatusBadRequest:
		return fmt.Sprintf("GitLab refused the request as invalid (HTTP 400%s). Nothing changed. (%s)", why, p.Title), true
	}
	return "", false
}

func refsText(m *model.GitLabMirror) string {
	refs := model.ParseDivergedRefs(m.LastError)
	if len(refs) == 0 {
		return ""
	}
	if len(refs) > 5 {
		return fmt.Sprintf("Diverged: %s and %d more.", strings.Join(refs[:5], ", "), len(refs)-5)
	}
	return "Diverged: " + strings.Join(refs, ", ") + "."
}

// GitLabManualSteps are the git commands to reconcile a diverged mirror by
// hand: fetch both sides, see the commits only one side has, and merge,
// rebase or delete. projectURL is the GitLab project's clone URL.
func GitLabManualSteps(m *model.GitLabMirror, projectURL string) []string {
	refs := model.ParseDivergedRefs(m.LastError)
	if len(refs) == 0 {
		refs = []string{"refs/heads/main"}
	}
	other := "<the mirror's URL, with credentials>"
	side := "remote"
	if m.Direction == model.Pull {
		other, side = "<the upstream's URL>", "upstream"
	}
	out := []string{
		"# Fetch both sides into a scratch clone:",
		"git clone --mirror " + projectURL + " scratch && cd scratch",
		"git fetch " + other + " '+refs/heads/*:refs/" + side + "/*'",
	}
	for _, r := range refs {
		b := strings.TrimPrefix(r, "refs/heads/")
		out = append(out,
			"",
			"# "+model.Sanitize(r)+": commits only on the "+side+", then only in GitLab:",
			"git log --oneline "+model.Sanitize(r)+"..refs/"+side+"/"+model.Sanitize(b),
			"git log --oneline refs/"+side+"/"+model.Sanitize(b)+".."+model.Sanitize(r))
	}
	out = append(out, "",
		"# Then bring the commits you keep to one side (merge or rebase, and push),",
		"# or delete the diverged branch on the side that should lose, and update the mirror.")
	return out
}
