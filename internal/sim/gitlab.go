package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GitLabOptions configures the simulated GitLab instance (see
// Options.GitLab). The zero value is usable: every zero field takes its
// documented default.
//
// The first ten projects each play a fixed scenario, by path:
//
//   - platform/api-gateway: a healthy push mirror (id 301) that updates after
//     every push to the project and every sync request, plus a second,
//     disabled push mirror (id 302, SSH).
//   - platform/billing: a failing push mirror: the remote rejects the push
//     to a protected branch, so each update goes to_retry and is retried
//     (one minute apart) until the fourth attempt ends failed.
//   - platform/web-frontend: a push mirror with keep_divergent_refs whose
//     remote has diverged: every update ends failed with the list of
//     diverged refs, until keep_divergent_refs is set to false; the next
//     update then force-pushes and the mirror stays healthy.
//   - platform/auth-service: a stuck push mirror, started two hours before
//     the simulation starts and never finishing, until a PUT changes it
//     (GitLab then resets it: finished, with null timestamps and error).
//   - platform/tools/ci-pipelines: a healthy pull mirror, updated every 30
//     minutes and on request.
//   - platform/tools/helm-charts: a pull mirror whose default branch has
//     diverged: every update fails until mirror_overwrites_diverged_branches
//     is set; the next update then succeeds and the mirror stays healthy.
//   - platform/tools/infra-terraform: a pull mirror that is already paused
//     (hard failed after 14 failed updates): no scheduled updates, and a
//     trigger answers 403.
//   - data/etl-jobs: a failing pull mirror (authentication fails) with 12
//     consecutive failures: its next update is due 3 minutes after start,
//     fails, and the one after that (5 hours later) pauses it.
//   - data/data-lake: a pull mirror that never updated (update_status
//     "none", null timestamps, only_mirror_protected_branches null); its
//     first update is due 30 minutes after start.
//   - data/analytics: no mirror at all.
//
// Further projects have no mirror and are spread over the three groups.
// Failed pull updates count towards the 14 that pause a mirror, so the
// diverged one pauses too if left alone for about two days.
type GitLabOptions struct {
	// Projects is the number of projects (default 10), under the groups
	// "platform", "platform/tools" (a subgroup of platform) and "data".
	Projects int
	// Token, when set, is required on every /api/ path, as a PRIVATE-TOKEN
	// header, an "Authorization: Bearer" header or a private_token query
	// parameter. Empty means no authentication.
	Token string
	// Version is the GitLab version (default "18.4.1"; /version reports it
	// with an "-ee" suffix). Below 17.5 the pull mirror answers only its
	// old field set and PUT /mirror/pull is 404; below 18.4 push mirrors
	// have no host_keys; the push mirror sync endpoint is 404 below 16.11,
	// GET of one push mirror below 14.10, GET /mirror/pull below 15.6.
	Version string
	// RateLimit is the number of requests per minute per token (default
	// 600 when zero; negative means unlimited, with no rate-limit headers).
	// Windows are fixed minutes of the simulated clock.
	RateLimit int
	// MaxPerPage is the cap on the per_page query parameter (default 100).
	MaxPerPage int
	// TokenScopes are the scopes GET /personal_access_tokens/self reports
	// for Token (default ["api"]).
	TokenScopes []string
	// ReporterToken, when set, is a second valid token, of a user who is
	// only a Reporter of every project: the remote mirrors API answers it
	// 401, the pull mirror API and PUT /projects/:id 403, as GitLab does
	// for a role below Maintainer.
	ReporterToken string
	// NoAdmin makes Token's user a Maintainer of every project but not an
	// administrator: GET /application/settings answers 403. By default
	// Token is an administrator's.
	NoAdmin bool
	// NoPremium plays a GitLab without Premium: the pull-mirror resources
	// (/projects/:id/mirror/pull) answer 404, and /version has no "-ee".
	NoPremium bool
}

// GitLabMirrorState is a snapshot of one simulated GitLab mirror, for
// tests. A zero time stands for a JSON null.
type GitLabMirrorState struct {
	// ID is the mirror id (for a pull mirror, the id of its import state,
	// not the project id).
	ID int
	// Enabled is the mirror's enabled flag (for a pull mirror, the
	// project's mirror flag).
	Enabled bool
	// UpdateStatus is none, started, finished, failed or to_retry.
	UpdateStatus string
	// LastUpdateAt is when the last update ended.
	LastUpdateAt time.Time
	// LastUpdateStartedAt is when the last update started.
	LastUpdateStartedAt time.Time
	// LastSuccessfulUpdateAt is when the last update succeeded.
	LastSuccessfulUpdateAt time.Time
	// LastError is the error of the last update, "" for none.
	LastError string
	// KeepDivergentRefs is the push mirror's keep_divergent_refs.
	KeepDivergentRefs bool
	// OverwritesDivergedBranches is the pull mirror's
	// mirror_overwrites_diverged_branches.
	OverwritesDivergedBranches bool
	// Tries is, for a push mirror, GitLab's retry counter of the current
	// or last update: 0 on its first attempt, up to 3 on its last.
	Tries int
	// Failures is, for a pull mirror, the number of consecutive failed
	// updates.
	Failures int
	// Paused reports a hard-failed pull mirror.
	Paused bool
	// NextRun is, for a pull mirror, when its next update is due (zero
	// when none is scheduled).
	NextRun time.Time
}

const (
	glTarget = "gitlab"

	glDefaultProjects   = 10
	glDefaultVersion    = "18.4.1"
	glDefaultRateLimit  = 600
	glDefaultMaxPerPage = 100
	glDefaultPerPage    = 20

	// glPushEvery is the mean interval between random pushes to each
	// project that has push mirrors.
	glPushEvery = 4 * time.Minute
	// glMaxPushTries is GitLab's MAX_TRIES of a push mirror update.
	glMaxPushTries = 3
	// Retry delays of a push mirror update (PROTECTED_BACKOFF_DELAY and
	// UNPROTECTED_BACKOFF_DELAY).
	glProtectedBackoff   = time.Minute
	glUnprotectedBackoff = 5 * time.Minute
	// glPullInterval is the wait after a successful pull update.
	glPullInterval = 30 * time.Minute
	// glPullMaxDelay caps the back-off after failed pull updates.
	glPullMaxDelay = 5 * time.Hour
	// glTriggerInterval is the pull mirror interval: a trigger less than
	// this after the last update does not run at once.
	glTriggerInterval = 5 * time.Minute
	// glMaxPullFailures consecutive failures hard-fail a pull mirror.
	glMaxPullFailures = 14
	// glMirrorUserID is the id of the user pull mirrors run as.
	glMirrorUserID = 42

	glStatusNone     = "none"
	glStatusStarted  = "started"
	glStatusFinished = "finished"
	glStatusFailed   = "failed"
	glStatusToRetry  = "to_retry"

	glErrProtected    = "remote: GitLab: You are not allowed to push code to protected branches on this project."
	glErrPullDiverged = "The default branch (main) has diverged from its upstream counterpart and could not be updated automatically."
)

// glDivergedRefs are the refs a diverged push mirror reports.
var glDivergedRefs = []string{"refs/heads/main", "refs/heads/develop"}

func glErrDiverged() string {
	return "Some refs have diverged and have not been updated on the remote:\n\n" + strings.Join(glDivergedRefs, "\n")
}

// glErrAuth is the fetch error of a pull mirror whose credentials are
// refused; url carries no credentials.
func glErrAuth(url string) string {
	return "13:fetch remote: \"fatal: Authentication failed for '" + url + "/'\"\n: exit status 128."
}

type glScenario uint8

const (
	glHealthy glScenario = iota
	glFailing
	glDiverged
	glStuck
)

type glGroup struct {
	id      int
	name    string
	path    string // full path
	parent  *glGroup
	created int64 // Unix ns
}

// within reports whether g is h or, with subgroups, one of h's subgroups.
func (g *glGroup) within(h *glGroup, subgroups bool) bool {
	for c := g; c != nil; c = c.parent {
		if c == h {
			return true
		}
		if !subgroups {
			return false
		}
	}
	return false
}

type glProject struct {
	id       int
	name     string
	path     string // last path segment
	group    *glGroup
	created  int64 // Unix ns
	activity int64 // Unix ns of the last activity
	push     []*glMirror
	pull     *glMirror
}

func (p *glProject) fullPath() string { return p.group.path + "/" + p.path }

// glMirror is a push mirror (remote mirror) or a pull mirror (a project's
// import state). Times are Unix ns, 0 standing for null.
type glMirror struct {
	pull     bool
	id       int
	proj     *glProject
	url      string // with credentials; masked when served
	enabled  bool
	scenario glScenario

	status      string
	lastUpdate  int64
	lastStarted int64
	lastSuccess int64
	lastError   string
	branchRegex string // "" = null

	// push mirrors
	authMethod    string
	onlyProtected bool
	keepDivergent bool
	hostKeys      []string // SHA256 fingerprints
	tries         int
	delayed       int64 // a sync delayed by the back-off starts then, 0 = none

	// pull mirrors
	triggerBuilds bool
	onlyProtPull  *bool // only_mirror_protected_branches, nil = null
	overwrite     bool
	failures      int
	paused        bool
	next          int64 // next scheduled update, 0 = none

	ev uint64 // seq of the mirror's pending event, 0 = none
}

// gitLab is the state of the simulated GitLab instance; everything but the
// rate-limit buckets is guarded by Sim.mu.
type gitLab struct {
	opts     GitLabOptions
	version  [3]int
	rng      *rand.Rand
	groups   []*glGroup
	projects []*glProject
	srv      *server
	// lastPushID is the id of the last push mirror made, so that a
	// deleted mirror's id is not given again.
	lastPushID int

	rateMu  sync.Mutex
	buckets map[string]*glBucket
	// roles overrides the role of a token (see Sim.SetGitLabRole); guarded
	// by rateMu.
	roles map[string]string
}

type glBucket struct {
	window int64 // start of the window, Unix ns
	count  int
}

// normalizeGitLab fills in the defaults of a copy of the options.
func normalizeGitLab(in *GitLabOptions) (*GitLabOptions, error) {
	g := *in
	if g.Projects <= 0 {
		g.Projects = glDefaultProjects
	}
	if g.Version == "" {
		g.Version = glDefaultVersion
	}
	if _, ok := parseGLVersion(g.Version); !ok {
		return nil, errors.New("sim: gitlab: invalid version " + strconv.Quote(g.Version))
	}
	if g.RateLimit == 0 {
		g.RateLimit = glDefaultRateLimit
	}
	if g.MaxPerPage <= 0 {
		g.MaxPerPage = glDefaultMaxPerPage
	}
	if g.TokenScopes == nil {
		g.TokenScopes = []string{"api"}
	}
	return &g, nil
}

// parseGLVersion reads "major.minor[.patch]", ignoring a suffix such as
// "-ee".
func parseGLVersion(v string) ([3]int, bool) {
	var out [3]int
	core := v
	if i := strings.IndexAny(v, "-+ "); i >= 0 {
		core = v[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// atLeast reports whether the simulated version is major.minor or later.
func (g *gitLab) atLeast(major, minor int) bool {
	if g.version[0] != major {
		return g.version[0] > major
	}
	return g.version[1] >= minor
}

// glCatalog lists the scenario projects in order: group index and path.
var glCatalog = []struct {
	group int
	path  string
}{
	{0, "api-gateway"},
	{0, "billing"},
	{0, "web-frontend"},
	{0, "auth-service"},
	{1, "ci-pipelines"},
	{1, "helm-charts"},
	{1, "infra-terraform"},
	{2, "etl-jobs"},
	{2, "data-lake"},
	{2, "analytics"},
}

// newGitLab builds the GitLab instance's groups, projects and mirrors in
// their start state. It draws only from its own random source, so the
// Bitbucket side runs the same with or without it.
func (s *Sim) newGitLab(o *GitLabOptions) *gitLab {
	v, _ := parseGLVersion(o.Version)
	seed := s.opts.Seed
	g := &gitLab{
		opts:    *o,
		version: v,
		rng:     rand.New(rand.NewPCG(seed^0x6a09e667f3bcc908, seed+0xbb67ae8584caa73b)),
		buckets: map[string]*glBucket{},
	}
	start := s.startNs
	day := int64(24 * time.Hour)
	platform := &glGroup{id: 11, name: "Platform", path: "platform", created: start - 900*day}
	tools := &glGroup{id: 12, name: "Tools", path: "platform/tools", parent: platform, created: start - 700*day}
	data := &glGroup{id: 13, name: "Data", path: "data", created: start - 650*day}
	g.groups = []*glGroup{platform, tools, data}

	for i := 0; i < o.Projects; i++ {
		p := &glProject{id: 101 + i}
		if i < len(glCatalog) {
			p.group, p.path = g.groups[glCatalog[i].group], glCatalog[i].path
		} else {
			p.group, p.path = g.groups[i%len(g.groups)], "service-"+strconv.Itoa(i+1)
		}
		p.name = repoName(p.path)
		ms := int64(time.Millisecond)
		p.created = start - 400*day + int64(i)*int64(7*time.Hour) + g.rng.Int64N(int64(time.Hour)/ms)*ms
		p.activity = start - int64(time.Hour) - g.rng.Int64N(3*day/ms)*ms
		g.projects = append(g.projects, p)
	}
	nextPush, nextPull := 301, 4101
	push := func(p *glProject, sc glScenario, url string) *glMirror {
		m := &glMirror{id: nextPush, proj: p, url: url, enabled: true, scenario: sc, authMethod: "password", status: glStatusFinished}
		nextPush++
		p.push = append(p.push, m)
		return m
	}
	pull := func(p *glProject, sc glScenario, url string) *glMirror {
		f := false
		m := &glMirror{pull: true, id: nextPull, proj: p, url: url, enabled: true, scenario: sc, onlyProtPull: &f, status: glStatusFinished}
		nextPull++
		p.pull = m
		return m
	}
	// ago returns a time before the start, with up to a second of jitter
	// in whole milliseconds.
	ago := func(d time.Duration) int64 {
		return start - int64(d) - g.rng.Int64N(1000)*int64(time.Millisecond)
	}
	for i, p := range g.projects {
		switch i {
		case 0: // healthy push mirror, plus a disabled one
			m := push(p, glHealthy, "https://mirror-bot:glpat-Xq3vT9kLm2@github.com/example/api-gateway.git")
			m.lastStarted = ago(6*time.Minute + 12*time.Second)
			m.lastUpdate = ago(6*time.Minute + 5*time.Second)
			m.lastSuccess = m.lastUpdate
			d := push(p, glHealthy, "ssh://git@backup.example.com/platform/api-gateway.git")
			d.enabled, d.authMethod = false, "ssh_public_key"
			d.hostKeys = []string{glFingerprint(s, "backup.example.com")}
			d.lastStarted = ago(9*24*time.Hour + 3*time.Hour)
			d.lastUpdate = d.lastStarted + int64(6*time.Second)
			d.lastSuccess = d.lastUpdate
		case 1: // failing push mirror
			m := push(p, glFailing, "https://deploy:glpat-Hn8wQ2rZp5@gitlab.partner.example.com/acme/billing.git")
			m.onlyProtected = true
			m.status, m.lastError, m.tries = glStatusFailed, glErrProtected, glMaxPushTries
			m.lastStarted = ago(21 * time.Minute)
			m.lastUpdate = m.lastStarted + int64(3*time.Second)
			m.lastSuccess = ago(3*24*time.Hour + 5*time.Hour)
		case 2: // diverged push mirror keeping divergent refs
			m := push(p, glDiverged, "https://mirror-bot:glpat-Xq3vT9kLm2@github.com/example/web-frontend.git")
			m.keepDivergent = true
			m.status, m.lastError = glStatusFailed, glErrDiverged()
			m.lastStarted = ago(12*time.Minute + 6*time.Second)
			m.lastUpdate = m.lastStarted + int64(5*time.Second)
			m.lastSuccess = ago(2*24*time.Hour + 2*time.Hour)
		case 3: // stuck push mirror
			m := push(p, glStuck, "https://mirror-bot:glpat-Xq3vT9kLm2@bitbucket.example.com/scm/plat/auth-service.git")
			m.status = glStatusStarted
			m.lastStarted = ago(2 * time.Hour)
			m.lastUpdate = ago(2*time.Hour + 27*time.Minute)
			m.lastSuccess = m.lastUpdate
		case 4: // healthy pull mirror
			m := pull(p, glHealthy, "https://mirror-bot:ghp_R7kD2mW9xQ@github.com/example/ci-pipelines.git")
			m.triggerBuilds = true
			m.lastStarted = ago(11*time.Minute + 9*time.Second)
			m.lastUpdate = ago(11 * time.Minute)
			m.lastSuccess = m.lastUpdate
			m.next = m.lastUpdate + int64(glPullInterval)
		case 5: // diverged pull mirror
			m := pull(p, glDiverged, "https://github.com/example/helm-charts.git")
			m.status, m.lastError, m.failures = glStatusFailed, glErrPullDiverged, 2
			m.lastStarted = ago(8*time.Minute + 6*time.Second)
			m.lastUpdate = ago(8 * time.Minute)
			m.lastSuccess = ago(2*24*time.Hour + 7*time.Hour)
			m.next = m.lastUpdate + int64(glPullBackoff(m.failures))
		case 6: // paused pull mirror
			m := pull(p, glFailing, "https://mirror-bot:ghp_R7kD2mW9xQ@github.com/example/infra-terraform.git")
			m.status, m.lastError = glStatusFailed, glErrAuth(glPlainURL(m.url))
			m.failures, m.paused = glMaxPullFailures, true
			m.lastStarted = ago(3*time.Hour + 12*time.Second)
			m.lastUpdate = ago(3 * time.Hour)
			m.lastSuccess = ago(6*24*time.Hour + 4*time.Hour)
		case 7: // failing pull mirror, two failures from its pause
			m := pull(p, glFailing, "https://etl-bot:ghp_Lw4cV8nB1s@github.com/example/etl-jobs.git")
			m.status, m.lastError, m.failures = glStatusFailed, glErrAuth(glPlainURL(m.url)), glMaxPullFailures-2
			m.lastUpdate = start - int64(glPullBackoff(m.failures)) + int64(3*time.Minute)
			m.lastStarted = m.lastUpdate - int64(4*time.Second)
			m.lastSuccess = ago(4*24*time.Hour + 2*time.Hour)
			m.next = m.lastUpdate + int64(glPullBackoff(m.failures))
		case 8: // pull mirror that never updated
			m := pull(p, glHealthy, "https://github.com/example/data-lake.git")
			m.status, m.onlyProtPull = glStatusNone, nil
			m.next = start + int64(glPullInterval)
		}
		// The last activity is the push that started the last push mirror
		// update, or the last pull.
		if len(p.push) > 0 && p.push[0].lastStarted != 0 {
			p.activity = p.push[0].lastStarted - int64(time.Second)
		}
		if p.pull != nil && p.pull.lastSuccess != 0 {
			p.activity = p.pull.lastSuccess
		}
	}
	return g
}

// glPullBackoff is the wait after the given number of consecutive failed
// pull updates.
func glPullBackoff(failures int) time.Duration {
	return min(glPullInterval*time.Duration(max(1, failures)), glPullMaxDelay)
}

// glFingerprint derives a stable SSH host key fingerprint.
func glFingerprint(s *Sim, host string) string {
	d := s.digest("gitlab-host-key", host)
	sum := sha256.Sum256(d[:])
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// glMaskURL hides the credentials of a mirror URL the way GitLab does,
// keeping the user name "git".
func glMaskURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 || strings.ContainsAny(rest[:at], "/?#") {
		return u
	}
	if rest[:at] == "git" {
		return u
	}
	return scheme + "://*****:*****@" + rest[at+1:]
}

// glPlainURL drops the credentials of a mirror URL.
func glPlainURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 || strings.ContainsAny(rest[:at], "/?#") {
		return u
	}
	return scheme + "://" + rest[at+1:]
}

// glProjectByRef finds a project by number or full path (any case), also
// in the hostile form of its path_with_namespace (see Options.Hostile).
// Called with s.mu held.
func (g *gitLab) projectByRef(ref string) *glProject {
	if id, err := strconv.Atoi(ref); err == nil {
		for _, p := range g.projects {
			if p.id == id {
				return p
			}
		}
		return nil
	}
	for _, p := range g.projects {
		if strings.EqualFold(p.fullPath(), ref) {
			return p
		}
	}
	for _, p := range g.projects {
		if matchesHostile(ref, p.fullPath()) {
			return p
		}
	}
	return nil
}

// groupByRef finds a group by number or full path (any case).
func (g *gitLab) groupByRef(ref string) *glGroup {
	if id, err := strconv.Atoi(ref); err == nil {
		for _, gr := range g.groups {
			if gr.id == id {
				return gr
			}
		}
		return nil
	}
	for _, gr := range g.groups {
		if strings.EqualFold(gr.path, ref) {
			return gr
		}
	}
	return nil
}

// GitLabURL returns the base URL of the simulated GitLab instance (without
// /api/v4), or "" when Options.GitLab is nil.
func (s *Sim) GitLabURL() string {
	if s.gl == nil {
		return ""
	}
	return s.gl.srv.url()
}

// GitLabProjects returns the full paths of the simulated GitLab projects in
// id order, or nil when Options.GitLab is nil.
func (s *Sim) GitLabProjects() []string {
	if s.gl == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.gl.projects))
	for i, p := range s.gl.projects {
		out[i] = p.fullPath()
	}
	return out
}

// GitLabMirror returns the state of a GitLab project's mirror: direction
// "pull" for its pull mirror, "push" for its first push mirror. The
// project is a full path or a numeric id. ok is false when there is no
// such project or mirror.
func (s *Sim) GitLabMirror(project string, direction string) (GitLabMirrorState, bool) {
	if s.gl == nil {
		return GitLabMirrorState{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.gl.projectByRef(project)
	if p == nil {
		return GitLabMirrorState{}, false
	}
	var m *glMirror
	switch direction {
	case "pull":
		m = p.pull
	case "push":
		if len(p.push) > 0 {
			m = p.push[0]
		}
	}
	if m == nil {
		return GitLabMirrorState{}, false
	}
	return GitLabMirrorState{
		ID: m.id, Enabled: m.enabled, UpdateStatus: m.status,
		LastUpdateAt: nsTime(m.lastUpdate), LastUpdateStartedAt: nsTime(m.lastStarted),
		LastSuccessfulUpdateAt: nsTime(m.lastSuccess), LastError: m.lastError,
		KeepDivergentRefs: m.keepDivergent, OverwritesDivergedBranches: m.overwrite,
		Tries: m.tries, Failures: m.failures, Paused: m.paused, NextRun: nsTime(m.next),
	}, true
}

// GitLabPush records a push to a GitLab project now (full path or numeric
// id): every enabled push mirror of the project that is not already
// updating starts an update. It reports whether the project exists.
func (s *Sim) GitLabPush(project string) bool {
	if s.gl == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.gl.projectByRef(project)
	if p == nil {
		return false
	}
	s.glProjectPush(p)
	return true
}

func nsTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
