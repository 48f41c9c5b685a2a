package actions

import (
	"fmt"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// Kind names an action; it is what the audit log records.
type Kind string

// The actions.
const (
	KindApprove       Kind = "approve"
	KindReject        Kind = "reject"
	KindSync          Kind = "sync"
	KindAcknowledge   Kind = "acknowledge"
	KindReseed        Kind = "reseed"
	KindAddProject    Kind = "add-project"
	KindRemoveProject Kind = "remove-project"
	KindMirrorAll     Kind = "mirror-all-projects"

	// GitLab mirrors.
	KindGitLabSync    Kind = "gitlab-sync"
	KindGitLabOurs    Kind = "gitlab-resolve-ours"
	KindGitLabTheirs  Kind = "gitlab-resolve-theirs"
	KindGitLabDisable Kind = "gitlab-disable"
	KindGitLabPause   Kind = "gitlab-pause"
	KindGitLabResume  Kind = "gitlab-resume"
	KindGitLabDelete  Kind = "gitlab-delete"

	KindGitLabAddPush       Kind = "gitlab-add-push"
	KindGitLabConfigurePull Kind = "gitlab-configure-pull"
	KindGitLabEdit          Kind = "gitlab-edit"
)

// PrimaryTarget names the primary as the receiver of a step.
const PrimaryTarget = ""

// Step is one HTTP call of a plan and who receives it: a GitLab instance
// (GitLab set), the Bitbucket primary (Farm == PrimaryTarget) or a farm.
type Step struct {
	Farm   string
	GitLab string
	Call   poller.Call
}

// Plan is an action ready to confirm: what it does, to what, and how.
type Plan struct {
	Kind Kind
	// Key identifies what the action acts on; one action per key runs at
	// a time.
	Key string
	// Title is a one-line description ("Approve mirror request 7 (apac)").
	Title string
	// Target names the target for the audit log ("request 7", "eu/PLAT/api").
	Target string
	Steps  []Step
	// Typed, when set, is what the operator must type to confirm.
	Typed string
	// Warning is shown in the confirmation in the warning style.
	Warning string
	// Note says what happens when the plan has no HTTP call.
	Note string
	// Ack is the acknowledgement an acknowledge plan records.
	Ack *Ack
	// SyncInterval is the farm's scheduled full sync interval (sync plans).
	SyncInterval time.Duration
	// Mirror is the key of the GitLab mirror a GitLab plan acts on
	// (model.GitLabMirror.Key); "" for Bitbucket plans.
	Mirror string
	// Secrets are credentials the calls carry: they are blanked out of
	// every message, error and audit line of the plan.
	Secrets []string
}

// scrub blanks the plan's secrets out of a text.
func (p Plan) scrub(s string) string {
	for _, sec := range p.Secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[hidden]")
		}
	}
	return s
}

// PlanApprove approves a pending mirror request.
func PlanApprove(r model.MirrorRequest) Plan {
	name := model.Sanitize(r.MirrorName)
	return Plan{Kind: KindApprove, Key: "request/" + r.ID, Target: "request " + model.Sanitize(r.ID),
		Title: fmt.Sprintf("Approve mirror request %s from %s (%s)", model.Sanitize(r.ID), name, model.Sanitize(r.MirrorBaseURL)),
		Steps: []Step{{Farm: PrimaryTarget, Call: poller.AcceptRequestCall(r.ID)}},
		Note:  "The mirror becomes a registered mirror of the primary and starts its initial sync."}
}

// PlanReject rejects a pending mirror request.
func PlanReject(r model.MirrorRequest) Plan {
	return Plan{Kind: KindReject, Key: "request/" + r.ID, Target: "request " + model.Sanitize(r.ID),
		Title: fmt.Sprintf("Reject mirror request %s from %s (%s)", model.Sanitize(r.ID), model.Sanitize(r.MirrorName), model.Sanitize(r.MirrorBaseURL)),
		Steps: []Step{{Farm: PrimaryTarget, Call: poller.RejectRequestCall(r.ID)}}}
}

// PlanSync asks a farm to sync one repository (repo non-nil) or everything.
// Only the 8.x layout has a trigger, deprecated and answering 410 Gone on
// 8.x; 9.x has none, and the plan then has no step: it says so, and when
// the scheduled full sync is due instead.
func PlanSync(f *model.Farm, repo *model.Repo, interval time.Duration) (Plan, error) {
	if err := requireLayout(f); err != nil {
		return Plan{}, err
	}
	what, repoID, key := "all repositories", "", "sync/"+f.Name
	if repo != nil {
		what, repoID, key = label(repo), repo.ID, "sync/"+f.Name+"/"+repo.ID
	}
	p := Plan{Kind: KindSync, Key: key, Target: f.Name + "/" + what, SyncInterval: interval,
		Title: fmt.Sprintf("Sync %s on farm %s", what, f.Name)}
	if call, ok := poller.SyncCall(f.Layout, f.Upstream.ID, repoID); ok {
		p.Steps = []Step{{Farm: f.Name, Call: call}}
		p.Note = "Bitbucket 8.x deprecated this call (it documents 410 Gone); mirrortop sends it and says what the mirror answered."
	} else {
		p.Note = fmt.Sprintf("Bitbucket %s has no REST call that triggers a sync: nothing will be sent. The mirror's scheduled full sync runs every %s.", f.Layout, fmtInterval(interval))
	}
	return p, nil
}

// PlanAcknowledge mutes a repository's alert until a time, with a reason.
func PlanAcknowledge(farm string, repo *model.Repo, repoID string, d time.Duration, reason, user string, now time.Time) Plan {
	name := model.RepoLabel("", "", repoID)
	if repo != nil {
		name = label(repo)
	}
	a := &Ack{Key: AckKey(farm, repoID), Farm: farm, RepoID: repoID, Repo: name, Until: now.Add(d), Reason: reason, By: user, At: now}
	return Plan{Kind: KindAcknowledge, Key: "ack/" + a.Key, Target: farm + "/" + name, Ack: a,
		Title: fmt.Sprintf("Acknowledge %s on farm %s for %s", name, farm, fmtInterval(d)),
		Note:  "Mutes this repository's alert on this console until " + a.Until.Local().Format("Jan 2 15:04") + "; nothing is sent to any server."}
}

// PlanReseed removes a repository's project from a farm and adds it back,
// so that the farm syncs every repository of the project from scratch.
func PlanReseed(f *model.Farm, repo *model.Repo) (Plan, error) {
	if err := requireLayout(f); err != nil {
		return Plan{}, err
	}
	if f.HasSettings && f.Settings.AllProjects() {
		return Plan{}, fmt.Errorf("farm %s mirrors all projects; a project cannot be removed from it (re-seed is not possible here)", f.Name)
	}
	if repo.ProjectID == "" {
		return Plan{}, fmt.Errorf("the primary did not give %s's project id", label(repo))
	}
	key := model.Sanitize(repo.ProjectKey)
	return Plan{Kind: KindReseed, Key: "project/" + f.Name + "/" + repo.ProjectID, Target: f.Name + "/" + key,
		Title: fmt.Sprintf("Re-seed project %s on farm %s (for %s)", key, f.Name, label(repo)),
		Steps: []Step{
			{Farm: f.Name, Call: poller.RemoveProjectCall(f.Layout, f.Upstream.ID, repo.ProjectID)},
			{Farm: f.Name, Call: poller.AddProjectCall(f.Layout, f.Upstream.ID, repo.ProjectID)},
		},
		Typed:   key,
		Warning: "Heavy: every repository of project " + key + " is deleted from this farm's nodes and cloned again; mirror users of the project are served by the primary meanwhile."}, nil
}

// PlanAddProject adds a project to a farm.
func PlanAddProject(f *model.Farm, projectID, projectKey string) (Plan, error) {
	if err := requireLayout(f); err != nil {
		return Plan{}, err
	}
	key := model.Sanitize(projectKey)
	return Plan{Kind: KindAddProject, Key: "project/" + f.Name + "/" + projectID, Target: f.Name + "/" + key,
		Title: fmt.Sprintf("Mirror project %s on farm %s", key, f.Name),
		Steps: []Step{{Farm: f.Name, Call: poller.AddProjectCall(f.Layout, f.Upstream.ID, projectID)}},
		Note:  "The farm then clones the project's repositories (INITIALIZING, then AVAILABLE)."}, nil
}

// PlanRemoveProject stops mirroring a project on a farm.
func PlanRemoveProject(f *model.Farm, projectID, projectKey string) (Plan, error) {
	if err := requireLayout(f); err != nil {
		return Plan{}, err
	}
	key := model.Sanitize(projectKey)
	return Plan{Kind: KindRemoveProject, Key: "project/" + f.Name + "/" + projectID, Target: f.Name + "/" + key,
		Title:   fmt.Sprintf("Stop mirroring project %s on farm %s", key, f.Name),
		Steps:   []Step{{Farm: f.Name, Call: poller.RemoveProjectCall(f.Layout, f.Upstream.ID, projectID)}},
		Warning: "The project's repositories are deleted from this farm's nodes; clones from the mirror stop working for them."}, nil
}

// PlanMirrorAll switches a farm to mirror every project, which cannot be
// undone: the operator must type the farm's name.
func PlanMirrorAll(f *model.Farm) (Plan, error) {
	if err := requireLayout(f); err != nil {
		return Plan{}, err
	}
	if f.HasSettings && f.Settings.AllProjects() {
		return Plan{}, fmt.Errorf("farm %s already mirrors all projects", f.Name)
	}
	return Plan{Kind: KindMirrorAll, Key: "mode/" + f.Name, Target: f.Name,
		Title:   "Mirror ALL projects on farm " + f.Name,
		Steps:   []Step{{Farm: f.Name, Call: poller.MirrorAllProjectsCall(f.Layout, f.Upstream.ID)}},
		Typed:   f.Name,
		Warning: "This cannot be undone: a farm that mirrors all projects cannot go back to selected projects without removing and re-adding the mirror. Every repository of the primary will be cloned to every node."}, nil
}

func label(r *model.Repo) string { return model.RepoLabel(r.ProjectKey, r.Slug, r.ID) }

func fmtInterval(d time.Duration) string {
	s := d.Round(time.Second).String()
	for _, suf := range []string{"m0s", "h0m"} {
		if len(s) > len(suf) && s[len(s)-len(suf):] == suf {
			s = s[:len(s)-len(suf)+1]
		}
	}
	return s
}

// requireLayout refuses to plan calls for a farm whose API layout (8.x or
// 9.x paths) is not known yet.
func requireLayout(f *model.Farm) error {
	if f.Layout == model.LayoutUnknown {
		return fmt.Errorf("farm %s: its API layout is not known yet (wait for the next poll)", f.Name)
	}
	return nil
}
