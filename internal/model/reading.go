package model

import "time"

// Endpoint names a kind of reading. The names follow the REST resources they
// come from.
type Endpoint string

// The endpoints mirrortop reads.
const (
	EPStatus         Endpoint = "status"
	EPVersion        Endpoint = "application-properties"
	EPMirrorServers  Endpoint = "mirrorServers"
	EPRequests       Endpoint = "requests"
	EPRepos          Endpoint = "repos"
	EPRepoHashes     Endpoint = "repo-hashes"
	EPUpstream       Endpoint = "upstreamServer"
	EPProgress       Endpoint = "progress"
	EPFarmNodes      Endpoint = "farmNodes"
	EPSyncSettings   Endpoint = "syncSettings"
	EPRepoSyncStatus Endpoint = "repoSyncStatus"
	EPQueue          Endpoint = "refChangesQueue"
	EPQueueCount     Endpoint = "refChangesQueue/count"
	EPLockOwners     Endpoint = "repo-lock-owners"
	EPDelayedSync    Endpoint = "delayed-sync"
	// EPOutOfSync is a node's 9.x out-of-sync diagnostics
	// (supportInfo/out-of-sync-repos/content): Data is OutOfSyncRepos, or
	// DiagnosticsOff when the farm has the feature off.
	EPOutOfSync Endpoint = "out-of-sync-repos"
	// EPDiscovered announces a farm found in the primary's mirrorServers
	// (Data is its FarmSpec).
	EPDiscovered Endpoint = "discovered"
	// EPMembers gives a farm's discovered nodes, those of its /farmNodes
	// members polled through its node URL template (Data is Membership).
	EPMembers Endpoint = "members"
	// EPNodeURL reports members whose node URL could not be made (an
	// error naming them) or that every member's could (no data).
	EPNodeURL Endpoint = "node_url"

	// GitLab: the watched project list (Data []string) and one project's
	// mirrors (Data GitLabProject).
	EPGitLabProjects Endpoint = "gitlab-projects"
	EPGitLabMirrors  Endpoint = "gitlab-mirrors"
	// EPGitLabVersion is a GitLab instance's /version, EPGitLabSettings its
	// mirror settings (/application/settings), both read rarely.
	EPGitLabVersion  Endpoint = "gitlab-version"
	EPGitLabSettings Endpoint = "gitlab-settings"
)

// TargetID names what a reading was taken from: the primary (both fields
// empty), a farm as a whole (Node empty), or one node of a farm.
type TargetID struct {
	Farm string
	Node string
	// GitLab names a GitLab instance (Farm and Node are then empty);
	// Project, when set, one of its projects.
	GitLab  string
	Project string
}

// PrimaryTarget is the TargetID of the primary.
var PrimaryTarget = TargetID{}

// IsPrimary reports whether the target is the Bitbucket primary.
func (t TargetID) IsPrimary() bool { return t.Farm == "" && t.GitLab == "" }

// String names the target for people: "primary", "eu", "eu/eu-1".
func (t TargetID) String() string {
	switch {
	case t.GitLab != "" && t.Project != "":
		return "gitlab " + t.GitLab + ":" + t.Project
	case t.GitLab != "":
		return "gitlab " + t.GitLab
	case t.Farm == "":
		return "primary"
	case t.Node == "":
		return t.Farm
	default:
		return t.Farm + "/" + t.Node
	}
}

// Unchanged is the data of a reading of a heavy list (the primary's
// repositories, a node's sync statuses) whose fetch was skipped because the
// cheap signals (queue, progress, status) showed no change since it was
// last fetched, at Since. The state keeps the list and notes the check.
type Unchanged struct {
	Since time.Time
}

// Reading is the outcome of one fetch of one endpoint from one target.
// Exactly one of Err, Unsupported or Data describes the outcome.
//
// Data holds, by endpoint: ServerStatus, AppProperties, []MirrorServer,
// FarmSpec (a discovered farm), Membership (a farm's discovered nodes),
// []MirrorRequest (pending ones), []Repo, RepoHashSet, UpstreamServer,
// Progress, []ClusterNode, SyncSettings, []*RepoSyncStatus (entries
// unchanged since the previous reading are shared with it), []QueueItem, int
// (queue count), []LockOwner, []DelayedRepo, OutOfSyncRepos or Diagnostics;
// Unchanged for a heavy list
// whose fetch was skipped.
type Reading struct {
	Target      TargetID
	Endpoint    Endpoint
	At          time.Time
	Took        time.Duration
	Err         error
	Unsupported bool
	Data        any
	// CertExpiry, when set, is when the target's TLS certificate expires.
	CertExpiry time.Time
	// ClockOffset, when HasClockOffset, is the target's clock minus
	// mirrortop's, from the Date header of its latest answer.
	ClockOffset    time.Duration
	HasClockOffset bool
}
