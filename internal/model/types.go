package model

import (
	"math"
	"strings"
	"time"
)

// Layout is the REST path layout a mirror farm speaks.
type Layout string

// The two mirror-side layouts: 9.x (/upstreamServer, /progress, ...) and
// 8.x and older (/upstreamServers/{id}/...).
const (
	LayoutUnknown Layout = ""
	Layout9       Layout = "9.x"
	Layout8       Layout = "8.x"
)

// Hashes are a repository's content and metadata digests as Bitbucket reports them.
type Hashes struct {
	Content  string
	Metadata string
}

// ServerStatus is the body of GET /status on the primary or a mirror node.
// Mirror nodes add member count and sync progress.
type ServerStatus struct {
	State       string
	MemberCount int
	HasProgress bool
	Progress    Progress
}

// Progress is a mirror's sync progress (RestSyncProgress).
type Progress struct {
	Discovering bool
	SyncedRepos int
	TotalRepos  int
}

// InitialSync reports whether the progress describes an initial sync still
// under way: totals still being discovered, or fewer repos synced than known.
func (p Progress) InitialSync() bool {
	return p.Discovering || (p.TotalRepos > 0 && p.SyncedRepos < p.TotalRepos)
}

// AppProperties is the version information of a Bitbucket instance.
type AppProperties struct {
	Version     string
	BuildNumber string
	DisplayName string
}

// MirrorServer is a mirror (or farm) registered on the primary.
type MirrorServer struct {
	ID             string
	Name           string
	BaseURL        string
	Enabled        bool
	LastSeen       time.Time
	MirrorType     string
	ProductVersion string
}

// MirrorRequest is a mirroring request on the primary (RestMirroringRequest).
type MirrorRequest struct {
	ID             string
	State          string
	MirrorID       string
	MirrorName     string
	MirrorBaseURL  string
	MirrorType     string
	ProductVersion string
}

// Repo is a repository as the primary reports it, with its hashes.
type Repo struct {
	ID         string
	ProjectID  string
	ProjectKey string
	Slug       string
	Name       string
	State      string
	Hashes     Hashes
	// CloneURL is the repository's HTTP clone URL on the primary, when
	// the primary lists one.
	CloneURL string
}

// RepoSyncStatus is one repository's sync status on one mirror node
// (RestMirrorRepositorySynchronizationStatus). A farm of 100 000
// repositories keeps 100 000 of these per node, so only what mirrortop uses
// is kept, compactly: 80 bytes where the whole payload in time.Time and int
// fields took 168. The payload's upstreamId (the same on every entry of a
// node: the farm's upstream server reading says it once), repoSlug (the
// primary's is shown) and localProjectId are read but not kept.
type RepoSyncStatus struct {
	ExternalRepoID  string
	Hashes          Hashes
	InitialSyncDate Millis
	LastSyncDate    Millis
	// LocalRepoID is the repository's id on the mirror (its folder there).
	LocalRepoID     int32
	FailedSyncCount int32
}

// Millis is a point in time in Unix milliseconds, 0 when unknown: the
// precision of the mirroring API's dates in a third of a time.Time.
type Millis int64

// MillisOf converts a time, the zero time to 0.
func MillisOf(t time.Time) Millis {
	if t.IsZero() {
		return 0
	}
	return Millis(t.UnixMilli())
}

// Time converts back to a UTC time, 0 to the zero time.
func (m Millis) Time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(m)).UTC()
}

// IsZero reports whether the time is unknown.
func (m Millis) IsZero() bool { return m == 0 }

// Int32 converts a count or id read from a server, saturating at the
// int32 range (the server's own type) rather than wrapping.
func Int32(n int) int32 {
	return int32(max(min(n, math.MaxInt32), math.MinInt32))
}

// Status derives the mirror repository status (the RestMirroredRepository
// enum) from a sync status entry: no initial sync yet is INITIALIZING, failing
// syncs are ERROR_INITIALIZING or ERROR_AVAILABLE, otherwise AVAILABLE.
func (s RepoSyncStatus) Status() string {
	switch {
	case s.FailedSyncCount > 0 && s.InitialSyncDate.IsZero():
		return RepoErrorInitializing
	case s.FailedSyncCount > 0:
		return RepoErrorAvailable
	case s.InitialSyncDate.IsZero() && s.LastSyncDate.IsZero():
		return RepoInitializing
	default:
		return RepoAvailable
	}
}

// Mirror repository statuses as Bitbucket names them, plus MISSING for a
// repository the farm should mirror but a node does not list.
const (
	RepoAvailable         = "AVAILABLE"
	RepoInitializing      = "INITIALIZING"
	RepoErrorInitializing = "ERROR_INITIALIZING"
	RepoErrorAvailable    = "ERROR_AVAILABLE"
	RepoNotMirrored       = "NOT_MIRRORED"
	RepoMissing           = "MISSING"
)

// UpstreamServer is the primary as a mirror farm sees it, with the layout
// the farm was found to speak.
type UpstreamServer struct {
	ID      string
	BaseURL string
	State   string
	Layout  Layout
}

// ClusterNode is a member of a mirror farm as /farmNodes reports it. Its
// address is the cluster address, not an HTTP base URL.
type ClusterNode struct {
	ID           string
	Name         string
	Address      string
	Port         int
	BuildVersion string
	Local        bool
}

// Mirror modes of a farm's sync settings.
const (
	ModeAllProjects      = "ALL_PROJECTS"
	ModeSelectedProjects = "SELECTED_PROJECTS"
)

// SyncSettings is which projects a farm mirrors (RestUpstreamSettings).
type SyncSettings struct {
	Mode       string
	ProjectIDs []string
}

// AllProjects reports whether the farm mirrors every project.
func (s SyncSettings) AllProjects() bool { return strings.EqualFold(s.Mode, ModeAllProjects) }

// QueueItem is one waiting entry of a farm's ref-changes queue.
type QueueItem struct {
	ExternalRepoID string
	Type           string
	Attempt        int
	CreatedAt      time.Time
}

// LockOwner is a repository sync lock held by a farm node.
type LockOwner struct {
	ExternalRepoID string
	NodeID         string
	RequestID      string
	ThreadName     string
	AcquiredAt     time.Time
}

// DelayedRepo is a repository a farm reports as not synced within tolerance.
type DelayedRepo struct {
	RepositoryID string
	ProjectKey   string
	Slug         string
}

// RepoHashSet is the hash of every repository keyed by repository id, as
// served by the repo-hashes endpoint.
type RepoHashSet map[string]Hashes

// NamedLink is a clone or push URL with its protocol name ("http", "ssh").
type NamedLink struct {
	Name string
	Href string
}

// MirroredRepo is one repository as a mirror node serves it
// (RestMirroredRepository): its status and clone URLs.
type MirroredRepo struct {
	RepositoryID string
	MirrorName   string
	Available    bool
	LastUpdated  time.Time
	Status       string
	CloneURLs    []NamedLink
	PushURLs     []NamedLink
}
