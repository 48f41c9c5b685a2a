package sim

import (
	"net/http"
	"strings"
)

// Roles of a token's user in the simulated GitLab, lowest first.
const (
	GitLabReporter   = "reporter"
	GitLabMaintainer = "maintainer"
	GitLabAdmin      = "admin"
)

// SetGitLabRole changes the role of the user of a token (GitLabReporter,
// GitLabMaintainer or GitLabAdmin), as when an administrator changes a
// member's role: from the next request on, the token is answered as that
// role. It does nothing without a GitLab.
func (s *Sim) SetGitLabRole(token, role string) {
	if s.gl == nil {
		return
	}
	s.gl.rateMu.Lock()
	defer s.gl.rateMu.Unlock()
	if s.gl.roles == nil {
		s.gl.roles = map[string]string{}
	}
	s.gl.roles[token] = role
}

// glRoleOf is the role of the user of the token a request presents (the
// guard has already refused invalid tokens). Without authentication
// configured every request is an administrator's.
func (s *Sim) glRoleOf(r *http.Request) string {
	g := s.gl
	tok := glToken(r)
	g.rateMu.Lock()
	role, ok := g.roles[tok]
	g.rateMu.Unlock()
	switch {
	case ok:
		return role
	case g.opts.ReporterToken != "" && tok == g.opts.ReporterToken:
		return GitLabReporter
	case g.opts.NoAdmin && g.opts.Token != "":
		return GitLabMaintainer
	}
	return GitLabAdmin
}

func glRank(role string) int {
	switch role {
	case GitLabAdmin:
		return 3
	case GitLabMaintainer:
		return 2
	}
	return 1
}

// glPermitted answers a request its role may not make, as GitLab does, and
// returns false; segs is the API path after /api/v4/. Instance settings
// need an administrator (403). Below Maintainer, the remote mirrors API
// answers 401 (its before block calls unauthorized!), the pull mirror API
// and PUT /projects/:id 403 (authorize_admin_project); a project that does
// not exist is 404 first, as GitLab finds the project before it checks.
func (s *Sim) glPermitted(w http.ResponseWriter, r *http.Request, segs []string) bool {
	role := s.glRoleOf(r)
	if len(segs) >= 1 && segs[0] == "application" {
		if role != GitLabAdmin {
			writeGL(w, http.StatusForbidden, glMessage{"403 Forbidden"})
			return false
		}
		return true
	}
	if glRank(role) >= glRank(GitLabMaintainer) || len(segs) < 2 || segs[0] != "projects" {
		return true
	}
	remote := len(segs) >= 3 && segs[2] == "remote_mirrors"
	pull := len(segs) == 4 && segs[2] == "mirror" && segs[3] == "pull"
	project := len(segs) == 2 && r.Method == http.MethodPut
	if !remote && !pull && !project {
		return true
	}
	s.mu.RLock()
	p := s.gl.projectByRef(segs[1])
	s.mu.RUnlock()
	switch {
	case p == nil:
		return true // the handler answers 404
	case remote:
		writeGL(w, http.StatusUnauthorized, glMessage{"401 Unauthorized"})
	default:
		writeGL(w, http.StatusForbidden, glMessage{"403 Forbidden"})
	}
	return false
}

// Instance mirror settings the simulated GitLab reports (GitLab's
// defaults): the longest a mirror waits past its schedule, in minutes, how
// many mirrors update at once, and how few free slots make the scheduler
// enqueue more.
const (
	glMirrorMaxDelay          = 300
	glMirrorMaxCapacity       = 100
	glMirrorCapacityThreshold = 50
)

// glSettingsJSON is a realistic subset of GET /application/settings.
type glSettingsJSON struct {
	ID                            int      `json:"id"`
	DefaultProjectsLimit          int      `json:"default_projects_limit"`
	SignupEnabled                 bool     `json:"signup_enabled"`
	PasswordAuthenticationEnabled bool     `json:"password_authentication_enabled_for_web"`
	DefaultBranchName             *string  `json:"default_branch_name"`
	MaxAttachmentSize             int      `json:"max_attachment_size"`
	RepositoryStorages            []string `json:"repository_storages"`
	MirrorAvailable               bool     `json:"mirror_available"`
	MirrorMaxDelay                int      `json:"mirror_max_delay"`
	MirrorMaxCapacity             int      `json:"mirror_max_capacity"`
	MirrorCapacityThreshold       int      `json:"mirror_capacity_threshold"`
	ImportSources                 []string `json:"import_sources"`
	SilentMode                    bool     `json:"silent_mode_enabled"`
}

// glAppSettings serves GET /application/settings (administrators only,
// checked by glPermitted).
func (s *Sim) glAppSettings(w http.ResponseWriter, r *http.Request) {
	writeGL(w, http.StatusOK, glSettingsJSON{
		ID: 1, DefaultProjectsLimit: 100000, PasswordAuthenticationEnabled: true, MaxAttachmentSize: 100,
		RepositoryStorages: []string{"default"}, MirrorAvailable: true,
		MirrorMaxDelay: glMirrorMaxDelay, MirrorMaxCapacity: glMirrorMaxCapacity, MirrorCapacityThreshold: glMirrorCapacityThreshold,
		ImportSources: []string{"github", "bitbucket", "bitbucket_server", "git", "gitlab_project", "gitea", "manifest"},
	})
}

// glSchemes are the URL schemes GitLab takes for a mirror.
var glSchemes = []string{"http", "https", "ssh", "git"}

// glBlockedURL returns GitLab's validation message for a mirror URL it
// would refuse ("" when it takes it): a scheme it does not allow, or no
// host.
func glBlockedURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	scheme = strings.ToLower(scheme)
	allowed := false
	for _, s := range glSchemes {
		allowed = allowed || scheme == s
	}
	if !ok || !allowed {
		return "is blocked: Only allowed schemes are " + strings.Join(glSchemes, ", ")
	}
	host := rest
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:]
	}
	if host == "" {
		return "is blocked: URI is invalid"
	}
	return ""
}

// glFieldErrors is GitLab's answer to a record that failed validation:
// {"message":{"field":["message", …]}}.
type glFieldErrors struct {
	Message map[string][]string `json:"message"`
}
