package sim

import (
	"bufio"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	excNoSuchRepo    = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"
	excNoSuchProject = "com.atlassian.bitbucket.project.NoSuchProjectException"
	excNoSuchMirror  = "com.atlassian.bitbucket.mirroring.upstream.NoSuchMirrorServerException"
	excNoSuchRequest = "com.atlassian.bitbucket.mirroring.upstream.NoSuchMirroringRequestException"
)

type mirrorServerJSON struct {
	ID      string `json:"id"`
	Name    string `json:"name" sim:"display"`
	BaseURL string `json:"baseUrl"`
	Enabled bool   `json:"enabled"`
	// LastSeenDate is epoch milliseconds, not the date-time string of the
	// OpenAPI document (9.4, RestMirrorServer): a deliberate deviation,
	// after the payload in Atlassian's own Jenkins plugin test fixture
	// ("lastSeenDate": 1453879734348), so that clients take both.
	LastSeenDate int64  `json:"lastSeenDate"`
	MirrorType   string `json:"mirrorType"`
	// ProductType is not in the 9.4 schema: a deliberate deviation, after
	// the RestMirrorServer example of the 8.16 REST docs ("Bitbucket").
	ProductType    string `json:"productType"`
	ProductVersion string `json:"productVersion"`
}

type mirroringRequestJSON struct {
	ID             int    `json:"id"`
	State          string `json:"state"`
	MirrorID       string `json:"mirrorId"`
	MirrorName     string `json:"mirrorName" sim:"display"`
	MirrorBaseURL  string `json:"mirrorBaseUrl"`
	MirrorType     string `json:"mirrorType"`
	ProductVersion string `json:"productVersion"`
	// ProductType and AddonDescriptorURI are not in the 9.4 schema
	// (RestMirroringRequest): a deliberate deviation, after the 8.x REST
	// docs, whose RestMirroringRequest has both.
	ProductType        string `json:"productType"`
	AddonDescriptorURI string `json:"addonDescriptorUri"`
}

type projectLinks struct {
	Self []link `json:"self"`
}

type projectJSON struct {
	Key         string       `json:"key" sim:"display"`
	ID          int          `json:"id"`
	Name        string       `json:"name" sim:"display"`
	Description string       `json:"description"`
	Public      bool         `json:"public"`
	Type        string       `json:"type"`
	Links       projectLinks `json:"links"`
}

type repoLinks struct {
	Clone []link `json:"clone"`
	Self  []link `json:"self"`
}

type repoProperties struct {
	ContentHash     string `json:"contentHash"`
	MetadataHash    string `json:"metadataHash"`
	DefaultBranchID string `json:"defaultBranchId,omitempty"`
}

type repoJSON struct {
	Slug          string         `json:"slug" sim:"display"`
	ID            int            `json:"id"`
	Name          string         `json:"name" sim:"display"`
	HierarchyID   string         `json:"hierarchyId"`
	ScmID         string         `json:"scmId"`
	State         string         `json:"state"`
	StatusMessage string         `json:"statusMessage"`
	Forkable      bool           `json:"forkable"`
	Project       projectJSON    `json:"project"`
	Public        bool           `json:"public"`
	Archived      bool           `json:"archived"`
	Links         repoLinks      `json:"links"`
	Properties    repoProperties `json:"properties"`
}

func (s *Sim) servePrimary(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/status":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"state": "RUNNING"})
		return
	case isAppProperties(p):
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		writeJSON(w, http.StatusOK, appProps("9.6.2"))
		return
	case s.git != nil && strings.HasPrefix(p, "/scm/"):
		s.serveGit(w, r, s.git.cgi, func(int) bool { return true })
		return
	case p == "/rest/ssh/latest/settings" || p == "/rest/ssh/1.0/settings":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		writeJSON(w, http.StatusOK, s.sshSettings())
		return
	}
	segs, isMirroring := mirroringPath(r.URL.EscapedPath())
	if !isMirroring {
		notFound(w, r)
		return
	}
	if h, matched := s.primaryWriteRoute(segs, r.Method); matched {
		if h == nil {
			methodNotAllowed(w, r)
			return
		}
		h(w, r)
		return
	}
	h := s.primaryRoute(segs)
	if h == nil {
		notFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	h(w, r)
}

// sshSettingsJSON is RestSshSettings, the primary's SSH settings.
type sshSettingsJSON struct {
	Enabled           bool   `json:"enabled"`
	Port              int    `json:"port,omitempty"`
	BaseURL           string `json:"baseUrl,omitempty"`
	AccessKeysEnabled bool   `json:"accessKeysEnabled"`
}

// sshSettings answers GET /rest/ssh/latest/settings: SSH on port 7999
// unless Options.NoSSH (the simulator serves no SSH itself).
func (s *Sim) sshSettings() sshSettingsJSON {
	if s.opts.NoSSH {
		return sshSettingsJSON{}
	}
	host := "127.0.0.1"
	if u, err := url.Parse(s.PrimaryURL()); err == nil {
		host = u.Hostname()
	}
	return sshSettingsJSON{Enabled: true, Port: 7999, BaseURL: "ssh://git@" + host + ":7999", AccessKeysEnabled: true}
}

func (s *Sim) primaryRoute(segs []string) http.HandlerFunc {
	switch len(segs) {
	case 1:
		switch segs[0] {
		case "mirrorServers":
			return s.handleMirrorServers
		case "requests":
			return s.handleRequests
		case "repos":
			return func(w http.ResponseWriter, r *http.Request) { s.handleRepos(w, r, nil) }
		case "repo-hashes":
			return func(w http.ResponseWriter, r *http.Request) { s.handlePrimaryHashes(w, true, true) }
		}
	case 2:
		arg := segs[1]
		switch segs[0] {
		case "mirrorServers":
			return func(w http.ResponseWriter, r *http.Request) { s.handleMirrorServer(w, arg) }
		case "requests":
			return func(w http.ResponseWriter, r *http.Request) { s.handleRequest(w, arg) }
		case "repos":
			return func(w http.ResponseWriter, r *http.Request) { s.handleRepo(w, r, arg) }
		case "projects":
			return func(w http.ResponseWriter, r *http.Request) { s.handleProject(w, arg) }
		case "repo-hashes":
			switch arg {
			case "content":
				return func(w http.ResponseWriter, r *http.Request) { s.handlePrimaryHashes(w, true, false) }
			case "metadata":
				return func(w http.ResponseWriter, r *http.Request) { s.handlePrimaryHashes(w, false, true) }
			}
		}
	case 3:
		if segs[0] == "projects" && segs[2] == "repos" {
			arg := segs[1]
			return func(w http.ResponseWriter, r *http.Request) {
				s.mu.RLock()
				p := s.projectByID(arg)
				s.mu.RUnlock()
				if p == nil {
					writeError(w, http.StatusNotFound, "Project "+arg+" does not exist.", excNoSuchProject)
					return
				}
				s.handleRepos(w, r, p)
			}
		}
	}
	return nil
}

func (s *Sim) mirrorServerOf(f *farm) mirrorServerJSON {
	seen := s.now
	if f.upNodes() == 0 {
		seen = f.lastSeen
	}
	return mirrorServerJSON{
		ID: f.mirrorID, Name: f.name, BaseURL: f.lb.url(), Enabled: true,
		LastSeenDate: seen / 1e6, MirrorType: "FARM", ProductType: "Bitbucket", ProductVersion: f.spec.Version,
	}
}

func (s *Sim) handleMirrorServers(w http.ResponseWriter, r *http.Request) {
	start, limit, good := s.pageParams(w, r)
	if !good {
		return
	}
	s.answer(w, func() reply {
		lo, hi, last := window(len(s.farms), start, limit)
		vals := make([]mirrorServerJSON, 0, hi-lo)
		for _, f := range s.farms[lo:hi] {
			vals = append(vals, s.mirrorServerOf(f))
		}
		return ok(makePage(start, limit, vals, last))
	})
}

func (s *Sim) handleMirrorServer(w http.ResponseWriter, id string) {
	s.answer(w, func() reply {
		for _, f := range s.farms {
			if f.mirrorID == id {
				return ok(s.mirrorServerOf(f))
			}
		}
		return fail(http.StatusNotFound, "No mirror server with id "+id+" exists.", excNoSuchMirror)
	})
}

func (s *Sim) requestOf(m *mirroringRequest) mirroringRequestJSON {
	base := m.baseURL
	if m.farm != nil {
		base = m.farm.lb.url()
	}
	out := mirroringRequestJSON{
		ID: m.id, State: m.state, MirrorID: m.mirror, MirrorName: m.name, MirrorBaseURL: base,
		MirrorType: "FARM", ProductVersion: m.version, ProductType: "Bitbucket",
		AddonDescriptorURI: base + "/rest/mirroring/latest/upstreamServers/" + m.mirror + "/addon/descriptor",
	}
	if m.farm != nil {
		out.AddonDescriptorURI = base + "/rest/mirroring/latest/upstreamServers/" + m.farm.upstreamID + "/addon/descriptor"
	}
	return out
}

func (s *Sim) handleRequests(w http.ResponseWriter, r *http.Request) {
	start, limit, good := s.pageParams(w, r)
	if !good {
		return
	}
	state := r.URL.Query().Get("state")
	s.answer(w, func() reply {
		var all []mirroringRequestJSON
		for i := range s.requests {
			m := &s.requests[i]
			if state == "" || strings.EqualFold(state, m.state) {
				all = append(all, s.requestOf(m))
			}
		}
		lo, hi, last := window(len(all), start, limit)
		return ok(makePage(start, limit, all[lo:hi:hi], last))
	})
}

func (s *Sim) handleRequest(w http.ResponseWriter, arg string) {
	s.answer(w, func() reply {
		id, err := strconv.Atoi(arg)
		if err == nil {
			for i := range s.requests {
				if s.requests[i].id == id {
					return ok(s.requestOf(&s.requests[i]))
				}
			}
		}
		return fail(http.StatusConflict, "No mirroring request with id "+arg+" exists.", excNoSuchRequest)
	})
}

func (s *Sim) projectByID(arg string) *project {
	id, err := strconv.Atoi(arg)
	if err != nil || id < 1 || id > len(s.projects) {
		return nil
	}
	return s.projects[id-1]
}

func (s *Sim) projectOf(p *project, base string) projectJSON {
	return projectJSON{
		Key: p.key, ID: p.id, Name: p.name, Description: p.name + " team repositories",
		Public: false, Type: "NORMAL",
		Links: projectLinks{Self: []link{{Href: base + "/projects/" + p.key}}},
	}
}

func (s *Sim) repoOf(id int, base string, withBranch bool) repoJSON {
	rp := &s.repos[id]
	p := s.projects[rp.project]
	out := repoJSON{
		Slug: rp.slug, ID: id, Name: repoName(rp.slug), HierarchyID: hierarchyID(id),
		ScmID: "git", State: "AVAILABLE", StatusMessage: "Available", Forkable: true,
		Project: s.projectOf(p, base),
		Links: repoLinks{
			Clone: []link{{Href: base + "/scm/" + strings.ToLower(p.key) + "/" + rp.slug + ".git", Name: "http"}},
			Self:  []link{{Href: base + "/projects/" + p.key + "/repos/" + rp.slug + "/browse"}},
		},
		Properties: repoProperties{
			ContentHash:  s.versionHashCached('c', id, s.pContent[id]),
			MetadataHash: s.versionHashCached('m', id, s.pMeta[id]),
		},
	}
	if withBranch {
		out.Properties.DefaultBranchID = "refs/heads/main"
	}
	return out
}

// handleRepos serves GET repos (p == nil) and GET projects/{id}/repos.
func (s *Sim) handleRepos(w http.ResponseWriter, r *http.Request, p *project) {
	start, limit, good := s.pageParams(w, r)
	if !good {
		return
	}
	withBranch := strings.EqualFold(r.URL.Query().Get("includeDefaultBranch"), "true")
	base := s.PrimaryURL()
	s.answer(w, func() reply {
		var (
			lo, hi int
			last   bool
			vals   []repoJSON
		)
		if p == nil {
			lo, hi, last = window(len(s.repos)-1, start, limit)
			vals = make([]repoJSON, 0, hi-lo)
			for i := lo; i < hi; i++ {
				vals = append(vals, s.repoOf(i+1, base, withBranch))
			}
		} else {
			lo, hi, last = window(len(p.repos), start, limit)
			vals = make([]repoJSON, 0, hi-lo)
			for _, id := range p.repos[lo:hi] {
				vals = append(vals, s.repoOf(int(id), base, withBranch))
			}
		}
		pg := makePage(start, limit, vals, last)
		pg.Values = repoList(vals)
		return ok(pg)
	})
}

func (s *Sim) handleRepo(w http.ResponseWriter, r *http.Request, arg string) {
	withBranch := strings.EqualFold(r.URL.Query().Get("includeDefaultBranch"), "true")
	base := s.PrimaryURL()
	s.answer(w, func() reply {
		id, err := strconv.Atoi(arg)
		if err != nil || !s.validRepo(id) {
			return fail(http.StatusNotFound, "Repository "+arg+" does not exist.", excNoSuchRepo)
		}
		return ok(s.repoOf(id, base, withBranch))
	})
}

func (s *Sim) handleProject(w http.ResponseWriter, arg string) {
	base := s.PrimaryURL()
	s.answer(w, func() reply {
		p := s.projectByID(arg)
		if p == nil {
			return fail(http.StatusNotFound, "Project "+arg+" does not exist.", excNoSuchProject)
		}
		return ok(s.projectOf(p, base))
	})
}

// hashProject is one project of a repo-hashes stream.
type hashProject struct {
	id    int
	key   string
	repos []int32
}

// handlePrimaryHashes streams the primary's repo-hashes document.
func (s *Sim) handlePrimaryHashes(w http.ResponseWriter, content, metadata bool) {
	s.mu.RLock()
	cv := slices.Clone(s.pContent)
	mv := slices.Clone(s.pMeta)
	projects := make([]hashProject, len(s.projects))
	for i, p := range s.projects {
		projects[i] = hashProject{id: p.id, key: p.key, repos: p.repos}
	}
	s.mu.RUnlock()
	s.streamHashes(w, projects, cv, mv, content, metadata)
}

// streamHashes writes {"projects":[{"id":1,"key":"PLAT","public":false,
// "repos":[{"id":1,"slug":"api","contentHash":"…","metadataHash":"…"}]}]}
// one repository at a time through a small buffer. In hostile mode the
// project keys and slugs are hostile.
func (s *Sim) streamHashes(w http.ResponseWriter, projects []hashProject, cv, mv []uint32, content, metadata bool) {
	str := appendJSONString
	if isHostile(w) {
		str = func(dst []byte, v string) []byte { return appendRawJSONString(dst, hostileText(v)) }
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	buf := make([]byte, 0, 256)
	_, _ = bw.WriteString(`{"projects":[`)
	for pi, p := range projects {
		buf = buf[:0]
		if pi > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"id":`...)
		buf = strconv.AppendInt(buf, int64(p.id), 10)
		buf = append(buf, `,"key":`...)
		buf = str(buf, p.key)
		buf = append(buf, `,"public":false,"repos":[`...)
		if _, err := bw.Write(buf); err != nil {
			return
		}
		for ri, id32 := range p.repos {
			id := int(id32)
			buf = buf[:0]
			if ri > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"id":`...)
			buf = strconv.AppendInt(buf, int64(id), 10)
			buf = append(buf, `,"slug":`...)
			buf = str(buf, s.repos[id].slug)
			if content {
				buf = append(buf, `,"contentHash":"`...)
				buf = append(buf, s.versionHashCached('c', id, cv[id])...)
				buf = append(buf, '"')
			}
			if metadata {
				buf = append(buf, `,"metadataHash":"`...)
				buf = append(buf, s.versionHashCached('m', id, mv[id])...)
				buf = append(buf, '"')
			}
			buf = append(buf, '}')
			if _, err := bw.Write(buf); err != nil {
				return
			}
		}
		if _, err := bw.WriteString("]}"); err != nil {
			return
		}
	}
	_, _ = bw.WriteString("]}\n")
	_ = bw.Flush()
}
