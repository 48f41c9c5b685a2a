package sim

import (
	"bytes"
	"cmp"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	contentTypeGL = "application/json"
	glAPIPrefix   = "/api/v4/"

	glMsgNotFound       = "404 Not Found"
	glMsgNotMirrored    = "The project is not mirrored"
	glMsgCannotPushSync = "Cannot proceed with the push mirroring. Please verify your mirror configuration."
)

// glTime is a GitLab timestamp: ISO 8601 with milliseconds in UTC, or null
// for zero. It holds Unix nanoseconds.
type glTime int64

// MarshalJSON encodes the time, or null when it is zero.
func (t glTime) MarshalJSON() ([]byte, error) {
	if t == 0 {
		return []byte("null"), nil
	}
	return []byte(`"` + time.Unix(0, int64(t)).UTC().Format(isoMillis) + `"`), nil
}

func glNullable(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

type glMessage struct {
	Message string `json:"message" sim:"display"`
}

type glError struct {
	Error string `json:"error" sim:"display"`
}

type glHostKey struct {
	FingerprintSHA256 string `json:"fingerprint_sha256"`
}

type glRemoteMirrorJSON struct {
	ID                     int          `json:"id"`
	Enabled                bool         `json:"enabled"`
	URL                    string       `json:"url"`
	AuthMethod             string       `json:"auth_method"`
	UpdateStatus           string       `json:"update_status"`
	LastUpdateAt           glTime       `json:"last_update_at"`
	LastUpdateStartedAt    glTime       `json:"last_update_started_at"`
	LastSuccessfulUpdateAt glTime       `json:"last_successful_update_at"`
	LastError              *string      `json:"last_error" sim:"display"`
	OnlyProtectedBranches  bool         `json:"only_protected_branches"`
	KeepDivergentRefs      bool         `json:"keep_divergent_refs"`
	HostKeys               *[]glHostKey `json:"host_keys,omitempty"`
	MirrorBranchRegex      *string      `json:"mirror_branch_regex"`
}

// glPullStatusJSON is the pull mirror's field set before 17.5.
type glPullStatusJSON struct {
	ID                     int     `json:"id"`
	LastError              *string `json:"last_error" sim:"display"`
	LastSuccessfulUpdateAt glTime  `json:"last_successful_update_at"`
	LastUpdateAt           glTime  `json:"last_update_at"`
	LastUpdateStartedAt    glTime  `json:"last_update_started_at"`
	UpdateStatus           string  `json:"update_status"`
	URL                    string  `json:"url"`
}

// glPullMirrorJSON is the pull mirror's field set from 17.5 on.
type glPullMirrorJSON struct {
	glPullStatusJSON
	Enabled                          bool    `json:"enabled"`
	MirrorTriggerBuilds              bool    `json:"mirror_trigger_builds"`
	OnlyMirrorProtectedBranches      *bool   `json:"only_mirror_protected_branches"`
	MirrorOverwritesDivergedBranches bool    `json:"mirror_overwrites_diverged_branches"`
	MirrorBranchRegex                *string `json:"mirror_branch_regex"`
}

// hostileCopy makes the embedded fields hostile; the others hold no display
// strings.
func (m glPullMirrorJSON) hostileCopy(h *hostilizer) any {
	m.glPullStatusJSON = hostileCopyOf(h, m.glPullStatusJSON)
	return m
}

type glNamespaceJSON struct {
	ID        int     `json:"id"`
	Name      string  `json:"name" sim:"display"`
	Path      string  `json:"path"`
	Kind      string  `json:"kind"`
	FullPath  string  `json:"full_path"`
	ParentID  *int    `json:"parent_id"`
	AvatarURL *string `json:"avatar_url"`
	WebURL    string  `json:"web_url"`
}

type glProjectJSON struct {
	ID                int             `json:"id"`
	Description       string          `json:"description"`
	Name              string          `json:"name" sim:"display"`
	NameWithNamespace string          `json:"name_with_namespace" sim:"display"`
	Path              string          `json:"path" sim:"display"`
	PathWithNamespace string          `json:"path_with_namespace" sim:"display"`
	CreatedAt         glTime          `json:"created_at"`
	DefaultBranch     string          `json:"default_branch"`
	SSHURLToRepo      string          `json:"ssh_url_to_repo"`
	HTTPURLToRepo     string          `json:"http_url_to_repo"`
	WebURL            string          `json:"web_url"`
	Visibility        string          `json:"visibility"`
	Archived          bool            `json:"archived"`
	EmptyRepo         bool            `json:"empty_repo"`
	LastActivityAt    glTime          `json:"last_activity_at"`
	Namespace         glNamespaceJSON `json:"namespace"`
	ImportStatus      string          `json:"import_status"`
	ImportError       *string         `json:"import_error" sim:"display"`
	Mirror            bool            `json:"mirror"`
}

// glMirroredProjectJSON is a pull-mirrored project: the mirror settings
// appear only when mirror is true.
type glMirroredProjectJSON struct {
	glProjectJSON
	MirrorUserID                     int    `json:"mirror_user_id"`
	MirrorTriggerBuilds              bool   `json:"mirror_trigger_builds"`
	OnlyMirrorProtectedBranches      *bool  `json:"only_mirror_protected_branches"`
	MirrorOverwritesDivergedBranches bool   `json:"mirror_overwrites_diverged_branches"`
	ImportURL                        string `json:"import_url"`
}

// hostileCopy makes the embedded fields hostile; the others hold no display
// strings.
func (p glMirroredProjectJSON) hostileCopy(h *hostilizer) any {
	p.glProjectJSON = hostileCopyOf(h, p.glProjectJSON)
	return p
}

type glGroupJSON struct {
	ID          int    `json:"id"`
	WebURL      string `json:"web_url"`
	Name        string `json:"name" sim:"display"`
	Path        string `json:"path"`
	Description string `json:"description"`
	Visibility  string `json:"visibility"`
	FullName    string `json:"full_name" sim:"display"`
	FullPath    string `json:"full_path"`
	CreatedAt   glTime `json:"created_at"`
	ParentID    *int   `json:"parent_id"`
}

type glVersionJSON struct {
	Version    string `json:"version"`
	Revision   string `json:"revision"`
	Enterprise bool   `json:"enterprise"`
}

// writeGL sends v as GitLab JSON; in hostile mode its display strings are
// made hostile.
func writeGL(w http.ResponseWriter, status int, v any) {
	b, err := encodeJSON(v, isHostile(w))
	if err != nil {
		status = http.StatusInternalServerError
		var buf bytes.Buffer
		_ = json.NewEncoder(&buf).Encode(glMessage{"500 Internal Server Error"})
		b = buf.Bytes()
	}
	w.Header().Set("Content-Type", contentTypeGL)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func glFail(status int, msg string) reply { return reply{status, glMessage{msg}} }

func glFaultBody(msg string) any { return glMessage{msg} }

func glNotFound(w http.ResponseWriter) { writeGL(w, http.StatusNotFound, glMessage{glMsgNotFound}) }

// glSend writes a reply; one without a body is sent as a bare status.
func glSend(w http.ResponseWriter, rp reply) {
	if rp.body == nil {
		w.WriteHeader(rp.status)
		return
	}
	writeGL(w, rp.status, rp.body)
}

func (s *Sim) glRead(w http.ResponseWriter, fn func() reply) {
	s.mu.RLock()
	rp := fn()
	s.mu.RUnlock()
	glSend(w, rp)
}

func (s *Sim) glWrite(w http.ResponseWriter, fn func() reply) {
	s.mu.Lock()
	rp := fn()
	s.mu.Unlock()
	glSend(w, rp)
}

// glToken returns the token a request presents, if any.
func glToken(r *http.Request) string {
	if t := r.Header.Get("Private-Token"); t != "" {
		return t
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	q := r.URL.Query()
	if t := q.Get("private_token"); t != "" {
		return t
	}
	return q.Get("access_token")
}

// glGuard rate-limits and authenticates an API request, before request
// accounting and faults. Each token has its own bucket (without
// authentication configured, every request counts as authenticated and
// the token it presents, if any, picks the bucket); requests with a bad
// token share a bucket per client address. It answers 429 or 401 itself
// and returns false.
func (s *Sim) glGuard(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	g := s.gl
	tok := glToken(r)
	valid := g.opts.Token == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(g.opts.Token)) == 1 ||
		g.opts.ReporterToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(g.opts.ReporterToken)) == 1
	key, name := "token:"+tok, "throttle_authenticated_api"
	if !valid {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		key, name = "ip:"+host, "throttle_unauthenticated_api"
	}
	if limit := g.opts.RateLimit; limit > 0 {
		s.mu.RLock()
		now := s.now
		s.mu.RUnlock()
		win := now - now%int64(time.Minute)
		g.rateMu.Lock()
		b := g.buckets[key]
		if b == nil || b.window != win {
			b = &glBucket{window: win}
			g.buckets[key] = b
		}
		b.count++
		observed := b.count
		g.rateMu.Unlock()
		reset := win + int64(time.Minute)
		h := w.Header()
		h.Set("RateLimit-Name", name)
		h.Set("RateLimit-Limit", strconv.Itoa(limit))
		h.Set("RateLimit-Observed", strconv.Itoa(observed))
		h.Set("RateLimit-Remaining", strconv.Itoa(max(0, limit-observed)))
		h.Set("RateLimit-Reset", strconv.FormatInt(reset/int64(time.Second), 10))
		if observed > limit {
			secs := max(1, (reset-now+int64(time.Second)-1)/int64(time.Second))
			h.Set("Retry-After", strconv.FormatInt(secs, 10))
			h.Set("RateLimit-ResetTime", time.Unix(0, reset).UTC().Format(http.TimeFormat))
			h.Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte("Retry later\n"))
			return false
		}
	}
	if !valid {
		writeGL(w, http.StatusUnauthorized, glMessage{"401 Unauthorized"})
		return false
	}
	return true
}

// serveGitLab routes a GitLab API request. Project and group ids are
// numbers or URL-encoded full paths, so the path is split before it is
// decoded.
func (s *Sim) serveGitLab(w http.ResponseWriter, r *http.Request) {
	esc := r.URL.EscapedPath()
	if !strings.HasPrefix(esc, glAPIPrefix) {
		glNotFound(w)
		return
	}
	raw := strings.Split(strings.TrimSuffix(esc[len(glAPIPrefix):], "/"), "/")
	segs := make([]string, len(raw))
	for i, p := range raw {
		u, err := url.PathUnescape(p)
		if err != nil || u == "" {
			glNotFound(w)
			return
		}
		segs[i] = u
	}
	h := s.glRoute(segs, r.Method)
	if h == nil {
		glNotFound(w)
		return
	}
	if !s.glPermitted(w, r, segs) {
		return
	}
	h(w, r)
}

// glRoute returns the handler of an endpoint, or nil when the path and
// method name none (GitLab's catch-all answers 404 then).
func (s *Sim) glRoute(segs []string, method string) http.HandlerFunc {
	g := s.gl
	get, put, post := method == http.MethodGet, method == http.MethodPut, method == http.MethodPost
	del := method == http.MethodDelete
	n := len(segs)
	switch {
	case n == 1 && segs[0] == "version" && get:
		return s.glVersion
	case n == 2 && segs[0] == "personal_access_tokens" && segs[1] == "self" && get:
		return s.glTokenSelf
	case n == 2 && segs[0] == "application" && segs[1] == "settings" && get:
		return s.glAppSettings
	case n == 1 && segs[0] == "projects" && get:
		return func(w http.ResponseWriter, r *http.Request) { s.glProjects(w, r, nil) }
	case n == 2 && segs[0] == "groups" && get:
		ref := segs[1]
		return func(w http.ResponseWriter, r *http.Request) { s.glGroup(w, ref) }
	case n == 3 && segs[0] == "groups" && segs[2] == "projects" && get:
		ref := segs[1]
		return func(w http.ResponseWriter, r *http.Request) {
			s.mu.RLock()
			gr := g.groupByRef(ref)
			s.mu.RUnlock()
			if gr == nil {
				writeGL(w, http.StatusNotFound, glMessage{"404 Group Not Found"})
				return
			}
			s.glProjects(w, r, gr)
		}
	case n < 2 || segs[0] != "projects":
		return nil
	}
	ref := segs[1]
	switch {
	case n == 2 && get:
		return func(w http.ResponseWriter, r *http.Request) {
			s.glOnProject(w, ref, false, func(p *glProject) reply { return ok(s.glProjectOf(p)) })
		}
	case n == 2 && put:
		return func(w http.ResponseWriter, r *http.Request) { s.glPutProject(w, r, ref) }
	case n == 3 && segs[2] == "remote_mirrors" && get:
		return func(w http.ResponseWriter, r *http.Request) { s.glRemoteMirrors(w, r, ref) }
	case n == 3 && segs[2] == "remote_mirrors" && post:
		return func(w http.ResponseWriter, r *http.Request) { s.glAddRemoteMirror(w, r, ref) }
	case n == 5 && segs[2] == "remote_mirrors" && segs[4] == "public_key" && get && g.atLeast(17, 9):
		mid := segs[3]
		return func(w http.ResponseWriter, r *http.Request) { s.glPublicKey(w, ref, mid) }
	case n == 4 && segs[2] == "remote_mirrors" && get && g.atLeast(14, 10):
		mid := segs[3]
		return func(w http.ResponseWriter, r *http.Request) {
			s.glOnPushMirror(w, ref, mid, false, func(m *glMirror) reply { return ok(s.glRemoteMirrorOf(m)) })
		}
	case n == 4 && segs[2] == "remote_mirrors" && put:
		mid := segs[3]
		return func(w http.ResponseWriter, r *http.Request) { s.glPutRemoteMirror(w, r, ref, mid) }
	case n == 4 && segs[2] == "remote_mirrors" && del && g.atLeast(14, 10):
		// Delete a push mirror (GitLab 14.10 and later): 204, or 404 for
		// a mirror the project does not have.
		mid := segs[3]
		return func(w http.ResponseWriter, r *http.Request) {
			s.glOnProject(w, ref, true, func(p *glProject) reply {
				if id, err := strconv.Atoi(mid); err == nil {
					for i, m := range p.push {
						if m.id == id {
							p.push = append(p.push[:i:i], p.push[i+1:]...)
							return noContent
						}
					}
				}
				return glFail(http.StatusNotFound, "404 Not found")
			})
		}
	case n == 5 && segs[2] == "remote_mirrors" && segs[4] == "sync" && post && g.atLeast(16, 11):
		mid := segs[3]
		return func(w http.ResponseWriter, r *http.Request) {
			s.glOnPushMirror(w, ref, mid, true, func(m *glMirror) reply {
				if !m.enabled {
					return glFail(http.StatusBadRequest, glMsgCannotPushSync)
				}
				s.glSyncPush(m)
				return noContent
			})
		}
	case n == 4 && segs[2] == "mirror" && segs[3] == "pull" && !g.opts.NoPremium:
		switch {
		case get && g.atLeast(15, 6):
			return func(w http.ResponseWriter, r *http.Request) {
				s.glOnProject(w, ref, false, func(p *glProject) reply {
					if p.pull == nil || !p.pull.enabled {
						return glFail(http.StatusBadRequest, glMsgNotMirrored)
					}
					return ok(s.glPullMirrorOf(p.pull))
				})
			}
		case put && g.atLeast(17, 5):
			return func(w http.ResponseWriter, r *http.Request) { s.glPutPullMirror(w, r, ref) }
		case post:
			return func(w http.ResponseWriter, r *http.Request) {
				s.glOnProject(w, ref, true, func(p *glProject) reply {
					if p.pull == nil || !p.pull.enabled {
						return glFail(http.StatusBadRequest, glMsgNotMirrored)
					}
					return s.glTriggerPull(p.pull)
				})
			}
		}
	}
	return nil
}

// glOnProject answers with fn's reply for a project, or 404; write takes
// the write lock.
func (s *Sim) glOnProject(w http.ResponseWriter, ref string, write bool, fn func(p *glProject) reply) {
	run := func() reply {
		p := s.gl.projectByRef(ref)
		if p == nil {
			return glFail(http.StatusNotFound, "404 Project Not Found")
		}
		return fn(p)
	}
	if write {
		s.glWrite(w, run)
	} else {
		s.glRead(w, run)
	}
}

// glOnPushMirror answers with fn's reply for a project's push mirror, or
// 404.
func (s *Sim) glOnPushMirror(w http.ResponseWriter, ref, mid string, write bool, fn func(m *glMirror) reply) {
	s.glOnProject(w, ref, write, func(p *glProject) reply {
		if id, err := strconv.Atoi(mid); err == nil {
			for _, m := range p.push {
				if m.id == id {
					return fn(m)
				}
			}
		}
		return glFail(http.StatusNotFound, "404 Not found")
	})
}

// glTokenJSON is a personal access token as GitLab describes it.
type glTokenJSON struct {
	ID         int      `json:"id"`
	Name       string   `json:"name"`
	Revoked    bool     `json:"revoked"`
	CreatedAt  string   `json:"created_at"`
	Scopes     []string `json:"scopes"`
	UserID     int      `json:"user_id"`
	LastUsedAt *string  `json:"last_used_at"`
	Active     bool     `json:"active"`
	ExpiresAt  *string  `json:"expires_at"`
}

// glTokenSelf serves GET /personal_access_tokens/self: the token the
// request presents, with GitLabOptions.TokenScopes, expiring a year after
// the simulator's start.
func (s *Sim) glTokenSelf(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	now := time.Unix(0, s.now).UTC()
	s.mu.RUnlock()
	created := now.Add(-30 * 24 * time.Hour).Format(time.RFC3339)
	used := now.Format(time.RFC3339)
	expires := now.AddDate(1, 0, 0).Format(time.DateOnly)
	writeGL(w, http.StatusOK, glTokenJSON{ID: 1, Name: "mirrortop", CreatedAt: created, Scopes: s.gl.opts.TokenScopes,
		UserID: 1, LastUsedAt: &used, Active: true, ExpiresAt: &expires})
}

func (s *Sim) glVersion(w http.ResponseWriter, r *http.Request) {
	v := s.gl.opts.Version
	if !strings.Contains(v, "-") && !s.gl.opts.NoPremium {
		v += "-ee"
	}
	d := s.digest("gitlab-revision", v)
	writeGL(w, http.StatusOK, glVersionJSON{Version: v, Revision: hex.EncodeToString(d[:6])[:11], Enterprise: true})
}

func (s *Sim) glNamespaceOf(gr *glGroup, base string) glNamespaceJSON {
	ns := glNamespaceJSON{
		ID: gr.id, Name: gr.name, Path: gr.path[strings.LastIndex(gr.path, "/")+1:], Kind: "group",
		FullPath: gr.path, WebURL: base + "/groups/" + gr.path,
	}
	if gr.parent != nil {
		id := gr.parent.id
		ns.ParentID = &id
	}
	return ns
}

func glFullName(gr *glGroup) string {
	if gr.parent == nil {
		return gr.name
	}
	return glFullName(gr.parent) + " / " + gr.name
}

// glProjectOf builds a project's JSON. Called with s.mu held.
func (s *Sim) glProjectOf(p *glProject) any {
	base := s.GitLabURL()
	host := base
	if u, err := url.Parse(base); err == nil {
		host = u.Hostname()
	}
	full := p.fullPath()
	out := glProjectJSON{
		ID: p.id, Description: p.name + " service", Name: p.name,
		NameWithNamespace: glFullName(p.group) + " / " + p.name,
		Path:              p.path, PathWithNamespace: full, CreatedAt: glTime(p.created), DefaultBranch: "main",
		SSHURLToRepo: "git@" + host + ":" + full + ".git", HTTPURLToRepo: base + "/" + full + ".git",
		WebURL: base + "/" + full, Visibility: "private", LastActivityAt: glTime(p.activity),
		Namespace: s.glNamespaceOf(p.group, base), ImportStatus: glStatusNone,
	}
	m := p.pull
	if m == nil {
		return out
	}
	out.ImportStatus, out.ImportError = m.status, glNullable(m.lastError)
	if !m.enabled {
		return out
	}
	out.Mirror = true
	return glMirroredProjectJSON{
		glProjectJSON: out, MirrorUserID: glMirrorUserID, MirrorTriggerBuilds: m.triggerBuilds,
		OnlyMirrorProtectedBranches: m.onlyProtPull, MirrorOverwritesDivergedBranches: m.overwrite,
		ImportURL: glMaskURL(m.url),
	}
}

func (s *Sim) glRemoteMirrorOf(m *glMirror) glRemoteMirrorJSON {
	out := glRemoteMirrorJSON{
		ID: m.id, Enabled: m.enabled, URL: glMaskURL(m.url), AuthMethod: m.authMethod, UpdateStatus: m.status,
		LastUpdateAt: glTime(m.lastUpdate), LastUpdateStartedAt: glTime(m.lastStarted),
		LastSuccessfulUpdateAt: glTime(m.lastSuccess), LastError: glNullable(m.lastError),
		OnlyProtectedBranches: m.onlyProtected, KeepDivergentRefs: m.keepDivergent,
		MirrorBranchRegex: glNullable(m.branchRegex),
	}
	if s.gl.atLeast(18, 4) {
		keys := make([]glHostKey, 0, len(m.hostKeys))
		for _, k := range m.hostKeys {
			keys = append(keys, glHostKey{FingerprintSHA256: k})
		}
		out.HostKeys = &keys
	}
	return out
}

func (s *Sim) glPullMirrorOf(m *glMirror) any {
	st := glPullStatusJSON{
		ID: m.id, LastError: glNullable(m.lastError), LastSuccessfulUpdateAt: glTime(m.lastSuccess),
		LastUpdateAt: glTime(m.lastUpdate), LastUpdateStartedAt: glTime(m.lastStarted),
		UpdateStatus: m.status, URL: glMaskURL(m.url),
	}
	if !s.gl.atLeast(17, 5) {
		return st
	}
	return glPullMirrorJSON{
		glPullStatusJSON: st, Enabled: m.enabled, MirrorTriggerBuilds: m.triggerBuilds,
		OnlyMirrorProtectedBranches: m.onlyProtPull, MirrorOverwritesDivergedBranches: m.overwrite,
		MirrorBranchRegex: glNullable(m.branchRegex),
	}
}

func (s *Sim) glGroup(w http.ResponseWriter, ref string) {
	base := s.GitLabURL()
	s.glRead(w, func() reply {
		gr := s.gl.groupByRef(ref)
		if gr == nil {
			return glFail(http.StatusNotFound, "404 Group Not Found")
		}
		ns := s.glNamespaceOf(gr, base)
		return ok(glGroupJSON{
			ID: gr.id, WebURL: ns.WebURL, Name: gr.name, Path: ns.Path, Description: "",
			Visibility: "private", FullName: glFullName(gr), FullPath: gr.path,
			CreatedAt: glTime(gr.created), ParentID: ns.ParentID,
		})
	})
}

// glPageParams reads page and per_page: page defaults to 1, per_page to
// 20 and is capped at MaxPerPage; values below 1 take the default.
func (s *Sim) glPageParams(r *http.Request) (page, perPage int, bad string) {
	q := r.URL.Query()
	page, perPage = 1, glDefaultPerPage
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, "page is invalid"
		}
		if n >= 1 {
			page = n
		}
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, "per_page is invalid"
		}
		if n >= 1 {
			perPage = n
		}
	}
	return page, min(perPage, s.gl.opts.MaxPerPage), ""
}

// glPaginate sets the pagination headers of a page over total items and
// returns its index range [lo, hi).
func (s *Sim) glPaginate(w http.ResponseWriter, r *http.Request, page, perPage, total int) (lo, hi int) {
	pages := max(1, (total+perPage-1)/perPage)
	lo = min((page-1)*perPage, total)
	hi = min(lo+perPage, total)
	next, prev := "", ""
	if page < pages {
		next = strconv.Itoa(page + 1)
	}
	if page > 1 && page <= pages {
		prev = strconv.Itoa(page - 1)
	}
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(perPage))
	h.Set("X-Next-Page", next)
	h.Set("X-Prev-Page", prev)
	h.Set("X-Total", strconv.Itoa(total))
	h.Set("X-Total-Pages", strconv.Itoa(pages))
	base := s.GitLabURL() + r.URL.EscapedPath()
	q := r.URL.Query()
	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(perPage))
		return "<" + base + "?" + q.Encode() + `>; rel="` + rel + `"`
	}
	var links []string
	if prev != "" {
		links = append(links, link(page-1, "prev"))
	}
	if next != "" {
		links = append(links, link(page+1, "next"))
	}
	links = append(links, link(1, "first"), link(pages, "last"))
	h.Set("Link", strings.Join(links, ", "))
	return lo, hi
}

// glProjects serves GET /projects (gr == nil) and GET
// /groups/:id/projects, with include_subgroups, order_by and sort.
func (s *Sim) glProjects(w http.ResponseWriter, r *http.Request, gr *glGroup) {
	page, perPage, bad := s.glPageParams(r)
	q := r.URL.Query()
	subgroups := false
	if bad == "" && q.Has("include_subgroups") {
		v, good := parseGLBool(q.Get("include_subgroups"))
		if !good {
			bad = "include_subgroups is invalid"
		}
		subgroups = v
	}
	orderBy, sortDir := q.Get("order_by"), q.Get("sort")
	if orderBy == "" {
		orderBy = "created_at"
	}
	if sortDir == "" {
		sortDir = "desc"
	}
	if bad == "" && !slices.Contains([]string{"id", "name", "path", "created_at", "updated_at", "last_activity_at"}, orderBy) {
		bad = "order_by does not have a valid value"
	}
	if bad == "" && sortDir != "asc" && sortDir != "desc" {
		bad = "sort does not have a valid value"
	}
	if bad != "" {
		writeGL(w, http.StatusBadRequest, glError{bad})
		return
	}
	s.glRead(w, func() reply {
		var ps []*glProject
		for _, p := range s.gl.projects {
			if gr == nil || p.group.within(gr, subgroups) {
				ps = append(ps, p)
			}
		}
		slices.SortStableFunc(ps, func(a, b *glProject) int {
			c := 0
			switch orderBy {
			case "id":
			case "name":
				c = strings.Compare(a.name, b.name)
			case "path":
				c = strings.Compare(a.path, b.path)
			case "created_at":
				c = cmp.Compare(a.created, b.created)
			default:
				c = cmp.Compare(a.activity, b.activity)
			}
			if c == 0 {
				c = a.id - b.id
			}
			if sortDir == "desc" {
				c = -c
			}
			return c
		})
		lo, hi := s.glPaginate(w, r, page, perPage, len(ps))
		vals := make([]any, 0, hi-lo)
		for _, p := range ps[lo:hi] {
			vals = append(vals, s.glProjectOf(p))
		}
		return ok(vals)
	})
}

func (s *Sim) glRemoteMirrors(w http.ResponseWriter, r *http.Request, ref string) {
	page, perPage, bad := s.glPageParams(r)
	if bad != "" {
		writeGL(w, http.StatusBadRequest, glError{bad})
		return
	}
	s.glOnProject(w, ref, false, func(p *glProject) reply {
		lo, hi := s.glPaginate(w, r, page, perPage, len(p.push))
		vals := make([]glRemoteMirrorJSON, 0, hi-lo)
		for _, m := range p.push[lo:hi] {
			vals = append(vals, s.glRemoteMirrorOf(m))
		}
		return ok(vals)
	})
}

// glArgs holds the parameters of a write request, from the query and a
// form or JSON body; a nil value is a JSON null.
type glArgs map[string]*string

func readGLArgs(r *http.Request) (glArgs, error) {
	args := glArgs{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			x := v[len(v)-1]
			args[k] = &x
		}
	}
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return args, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "application/json" || strings.HasSuffix(ct, "+json"):
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, errors.New("the request body is not a JSON object")
		}
		for k, v := range m {
			var x string
			switch t := v.(type) {
			case nil:
				args[k] = nil
				continue
			case string:
				x = t
			case bool:
				x = strconv.FormatBool(t)
			case json.Number:
				x = t.String()
			default:
				raw, _ := json.Marshal(t)
				x = string(raw)
			}
			args[k] = &x
		}
	case ct == "" || ct == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, errors.New("the request body is not a valid form")
		}
		for k, v := range vals {
			if len(v) > 0 {
				x := v[len(v)-1]
				args[k] = &x
			}
		}
	default:
		return nil, errors.New("the content type " + strconv.Quote(ct) + " is not supported")
	}
	return args, nil
}

func parseGLBool(v string) (val, good bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "t", "1", "yes", "y", "on":
		return true, true
	case "false", "f", "0", "no", "n", "off":
		return false, true
	}
	return false, false
}

// boolArg reads a boolean parameter; an invalid value is added to bad.
func (a glArgs) boolArg(name string, bad *[]string) (val, present bool) {
	p, has := a[name]
	if !has || p == nil {
		return false, false
	}
	v, good := parseGLBool(*p)
	if !good {
		*bad = append(*bad, name+" is invalid")
		return false, false
	}
	return v, true
}

// strArg reads a string parameter; null reads as "".
func (a glArgs) strArg(name string) (val string, present bool) {
	p, has := a[name]
	if !has {
		return "", false
	}
	if p == nil {
		return "", true
	}
	return *p, true
}

// glPutRemoteMirror serves PUT /projects/:id/remote_mirrors/:mirror_id.
// Changing anything on a stuck mirror resets its status (finished, null
// timestamps and error).
func (s *Sim) glPutRemoteMirror(w http.ResponseWriter, r *http.Request, ref, mid string) {
	args, err := readGLArgs(r)
	if err != nil {
		writeGL(w, http.StatusBadRequest, glError{err.Error()})
		return
	}
	var bad []string
	enabled, hasEnabled := args.boolArg("enabled", &bad)
	keep, hasKeep := args.boolArg("keep_divergent_refs", &bad)
	only, hasOnly := args.boolArg("only_protected_branches", &bad)
	regex, hasRegex := args.strArg("mirror_branch_regex")
	auth, hasAuth := args.strArg("auth_method")
	if hasAuth && auth != "password" && auth != "ssh_public_key" {
		bad = append(bad, "auth_method does not have a valid value")
	}
	if hasOnly && hasRegex {
		bad = append(bad, "only_protected_branches, mirror_branch_regex are mutually exclusive")
	}
	if len(bad) > 0 {
		writeGL(w, http.StatusBadRequest, glError{strings.Join(bad, ", ")})
		return
	}
	s.glOnPushMirror(w, ref, mid, true, func(m *glMirror) reply {
		changed := false
		set := func(dst *bool, v, has bool) {
			if has && *dst != v {
				*dst, changed = v, true
			}
		}
		set(&m.enabled, enabled, hasEnabled)
		set(&m.keepDivergent, keep, hasKeep)
		set(&m.onlyProtected, only, hasOnly)
		if hasRegex && regex != m.branchRegex {
			m.branchRegex, changed = regex, true
			if regex != "" {
				m.onlyProtected = false
			}
		}
		if hasAuth && auth != m.authMethod {
			m.authMethod, changed = auth, true
		}
		if changed && m.scenario == glStuck && m.status == glStatusStarted {
			s.glResetPush(m)
		}
		return ok(s.glRemoteMirrorOf(m))
	})
}

// glPutPullMirror serves PUT /projects/:id/mirror/pull (17.5 and later).
func (s *Sim) glPutPullMirror(w http.ResponseWriter, r *http.Request, ref string) {
	args, err := readGLArgs(r)
	if err != nil {
		writeGL(w, http.StatusBadRequest, glError{err.Error()})
		return
	}
	names := []string{"enabled", "url", "auth_user", "auth_password", "mirror_trigger_builds",
		"only_mirror_protected_branches", "mirror_overwrites_diverged_branches", "mirror_branch_regex"}
	given := false
	for _, n := range names {
		if _, has := args[n]; has {
			given = true
		}
	}
	var bad []string
	if !given {
		bad = append(bad, strings.Join(names, ", ")+" are missing, at least one parameter must be provided")
	}
	enabled, hasEnabled := args.boolArg("enabled", &bad)
	opts := args.pullOptions(&bad)
	newURL, hasURL := args.strArg("url")
	if hasURL {
		if msg := glBlockedURL(newURL); msg != "" {
			writeGL(w, http.StatusBadRequest, glFieldErrors{map[string][]string{"import_url": {msg}}})
			return
		}
	}
	user, _ := args.strArg("auth_user")
	password, hasPassword := args.strArg("auth_password")
	if len(bad) > 0 {
		writeGL(w, http.StatusBadRequest, glError{strings.Join(bad, ", ")})
		return
	}
	s.glOnProject(w, ref, true, func(p *glProject) reply {
		m := p.pull
		if m == nil {
			if !hasURL {
				return glFail(http.StatusBadRequest, glMsgNotMirrored)
			}
			// Configuring a project that had no pull mirror.
			m = s.glNewPullMirror(p)
			if !hasEnabled {
				hasEnabled, enabled = true, true
			}
		}
		opts.apply(m)
		if hasURL || hasPassword || user != "" {
			base := glPlainURL(m.url)
			if hasURL {
				base = newURL
			}
			if !hasPassword && !hasURL {
				// A new user with the stored password.
				if u, err := url.Parse(m.url); err == nil && u.User != nil {
					password, _ = u.User.Password()
				}
			}
			m.url = glCredURL(base, user, password)
		}
		if hasEnabled && enabled != m.enabled {
			m.enabled = enabled
			switch {
			case !enabled && m.status != glStatusStarted:
				m.next, m.ev = 0, 0
			case enabled && !m.paused && m.status != glStatusStarted:
				s.glPlanPull(m, s.now)
			}
		}
		return ok(s.glPullMirrorOf(m))
	})
}
