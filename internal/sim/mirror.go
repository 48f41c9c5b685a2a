package sim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	maxQueueDump       = 100
	maxDelayedSync     = 100
	statusSynced       = "SYNCHRONIZED"
	statusMetadataOnly = "METADATA_SYNCHRONIZED"
)

const goneBody = `{"errors":[{"message":"This operation is no longer supported","context":null,"exceptionName":null}]}`

type nodeStatusJSON struct {
	State       string `json:"state"`
	MemberCount string `json:"memberCount"`
	Discovering bool   `json:"discovering"`
	SyncedRepos int    `json:"syncedRepos"`
	TotalRepos  int    `json:"totalRepos"`
}

type progressJSON struct {
	Discovering bool `json:"discovering"`
	SyncedRepos int  `json:"syncedRepos"`
	TotalRepos  int  `json:"totalRepos"`
}

type hashesJSON struct {
	Content  string `json:"content"`
	Metadata string `json:"metadata"`
}

type syncStatusJSON struct {
	ExternalRepoID  string     `json:"externalRepoId"`
	UpstreamID      string     `json:"upstreamId"`
	LocalRepoID     int        `json:"localRepoId"`
	LocalProjectID  int        `json:"localProjectId"`
	FailedSyncCount int        `json:"failedSyncCount"`
	InitialSyncDate string     `json:"initialSyncDate"`
	LastSyncDate    string     `json:"lastSyncDate"`
	Hashes          hashesJSON `json:"hashes"`
	// RepoSlug is not in the OpenAPI document's schema (9.4,
	// RestMirrorRepositorySynchronizationStatus): a deliberate deviation,
	// after the repoSyncStatus example of Atlassian's v806 REST docs,
	// which shows it.
	RepoSlug string `json:"repoSlug" sim:"display"`
}

type queueItemJSON struct {
	ExternalRepoID string `json:"externalRepoId"`
	// Type is INCREMENTAL or SNAPSHOT in capitals: the OpenAPI document
	// (9.4, RestFarmSynchronizationRequest) gives the enum in lower case
	// but its own example, "INCREMENTAL", in capitals, as Java enums
	// serialize. A deliberate deviation from the enum.
	Type      string `json:"type"`
	Attempt   int    `json:"attempt"`
	CreatedAt string `json:"createdAt"`
}

type queueJSON struct {
	Values []queueItemJSON `json:"values"`
}

type lockOwnerJSON struct {
	ExternalRepositoryID string `json:"externalRepositoryId"`
	NodeID               string `json:"nodeId"`
	RequestID            string `json:"requestId"`
	ThreadName           string `json:"threadName"`
	LockAcquireTime      string `json:"lockAcquireTime"`
}

type upstream9JSON struct {
	ID      string `json:"id"`
	BaseURL string `json:"baseUrl"`
	State   string `json:"state"`
}

type upstream8JSON struct {
	ID         string `json:"id"`
	State      string `json:"state"`
	Type       string `json:"type"`
	BaseURL    string `json:"baseUrl"`
	APIBaseURL string `json:"apiBaseUrl"`
}

type addressJSON struct {
	Address string `json:"address"`
	Port    int    `json:"port"`
}

type clusterNodeJSON struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	Address      addressJSON `json:"address"`
	BuildVersion string      `json:"buildVersion"`
	Local        bool        `json:"local"`
}

type mirroredRepoLinks struct {
	Clone []link `json:"clone"`
}

type mirroredRepoJSON struct {
	RepositoryID string `json:"repositoryId"`
	MirrorName   string `json:"mirrorName" sim:"display"`
	Available    bool   `json:"available"`
	LastUpdated  string `json:"lastUpdated"`
	Status       string `json:"status"`
	CloneURLs    []link `json:"cloneUrls"`
	PushURLs     []link `json:"pushUrls"`
	// Links is not in the OpenAPI document's schema (9.4,
	// RestMirroredRepository): a deliberate deviation. Atlassian's own
	// Jenkins integration (atlassian-bitbucket-server-integration-plugin,
	// BitbucketMirroredRepository) declares links a required property of
	// this answer and reads links.clone, so real servers send it.
	Links mirroredRepoLinks `json:"links"`
}

type delayedJSON struct {
	ProjectKey     string `json:"projectKey" sim:"display"`
	RepositoryID   string `json:"repositoryId"`
	RepositorySlug string `json:"repositorySlug" sim:"display"`
}

type settingsJSON struct {
	Mode       string   `json:"mode"`
	ProjectIDs []string `json:"projectIds"`
}

// ServeHTTP serves a mirror node's endpoints.
func (n *node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s, f := n.s, n.farm
	p := r.URL.Path
	switch {
	case p == "/status":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		s.answer(w, func() reply {
			disc, synced, total := s.progress(f)
			state := statusSynced
			if !f.complete {
				state = statusMetadataOnly
			}
			return ok(nodeStatusJSON{
				State: state, MemberCount: strconv.Itoa(f.upNodes()),
				Discovering: disc, SyncedRepos: synced, TotalRepos: total,
			})
		})
		return
	case isAppProperties(p):
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		writeJSON(w, http.StatusOK, appProps(f.spec.Version))
		return
	case s.git != nil && strings.HasPrefix(p, "/scm/"):
		s.serveGit(w, r, n.gitCGI, func(id int) bool { return n.repos[id].present })
		return
	}
	segs, isMirroring := mirroringPath(r.URL.EscapedPath())
	if !isMirroring {
		notFound(w, r)
		return
	}
	if f.spec.Layout == Layout8 && r.Method == http.MethodPost && isSyncTrigger(segs, f.upstreamID) {
		writeRaw(w, http.StatusGone, goneBody)
		return
	}
	if h, matched := n.writeRoute(segs, r.Method); matched {
		if h == nil {
			methodNotAllowed(w, r)
			return
		}
		h(w, r)
		return
	}
	h := n.route(segs)
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

// isSyncTrigger matches the removed 8.x synchronization triggers:
// upstreamServers/{id}/synchronization and
// upstreamServers/{id}/repos/{repoId}/synchronization.
func isSyncTrigger(segs []string, upstreamID string) bool {
	if len(segs) < 3 || segs[0] != "upstreamServers" || segs[1] != upstreamID || segs[len(segs)-1] != "synchronization" {
		return false
	}
	return len(segs) == 3 || (len(segs) == 5 && segs[2] == "repos")
}

func (n *node) route(segs []string) http.HandlerFunc {
	s, f := n.s, n.farm
	// Support endpoints and repo-hashes, shared by both layouts.
	switch {
	case len(segs) == 2 && segs[0] == "supportInfo" && segs[1] == "repoSyncStatus":
		return n.handleRepoSyncStatus
	case len(segs) == 2 && segs[0] == "supportInfo" && segs[1] == "refChangesQueue":
		return n.handleQueue
	case len(segs) == 3 && segs[0] == "supportInfo" && segs[1] == "refChangesQueue" && segs[2] == "count":
		return func(w http.ResponseWriter, r *http.Request) {
			s.answer(w, func() reply { return ok(f.queue.Len()) })
		}
	case len(segs) == 6 && segs[0] == "supportInfo" && segs[1] == "projects" && segs[3] == "repos" && segs[5] == "repoSyncStatus":
		key, slug := segs[2], segs[4]
		return func(w http.ResponseWriter, r *http.Request) { n.handleOneSyncStatus(w, key, slug) }
	case segs[0] == "repo-hashes" && len(segs) <= 2:
		content, metadata := true, true
		if len(segs) == 2 {
			switch segs[1] {
			case "content":
				metadata = false
			case "metadata":
				content = false
			default:
				return nil
			}
		}
		return func(w http.ResponseWriter, r *http.Request) { n.handleHashes(w, content, metadata) }
	}
	if f.spec.Layout == Layout9 {
		return n.route9(segs)
	}
	return n.route8(segs)
}

func (n *node) route9(segs []string) http.HandlerFunc {
	switch len(segs) {
	case 1:
		switch segs[0] {
		case "upstreamServer":
			return n.handleUpstream
		case "progress":
			return n.handleProgress
		case "farmNodes":
			return n.handleFarmNodes
		case "syncSettings":
			return n.handleSettings
		}
	case 2:
		switch {
		case segs[0] == "supportInfo" && segs[1] == "repo-lock-owners":
			return n.handleLockOwners
		case segs[0] == "mirrorRepos" && segs[1] == "delayed-sync":
			return n.handleDelayedSync
		case segs[0] == "mirrorRepos":
			id := segs[1]
			return func(w http.ResponseWriter, r *http.Request) { n.handleMirroredRepo(w, id) }
		case segs[0] == "syncSettings" && segs[1] == "mode":
			return n.handleSettingsMode
		case segs[0] == "syncSettings" && segs[1] == "projects":
			return n.handleSettingsProjects
		}
	case 3:
		if segs[0] == "supportInfo" && segs[1] == "out-of-sync-repos" && segs[2] == "content" {
			return n.handleOutOfSync
		}
	case 6:
		if segs[0] == "supportInfo" && segs[1] == "projects" && segs[3] == "repos" && segs[5] == "repo-lock-owner" {
			key, slug := segs[2], segs[4]
			return func(w http.ResponseWriter, r *http.Request) { n.handleOneLockOwner(w, key, slug) }
		}
	}
	return nil
}

func (n *node) route8(segs []string) http.HandlerFunc {
	if segs[0] != "upstreamServers" {
		return nil
	}
	if len(segs) == 1 {
		return n.handleUpstreams
	}
	if segs[1] != n.farm.upstreamID {
		return nil
	}
	rest := segs[2:]
	switch len(rest) {
	case 0:
		return n.handleUpstream
	case 1:
		switch rest[0] {
		case "progress":
			return n.handleProgress
		case "farmNodes":
			return n.handleFarmNodes
		case "settings":
			return n.handleSettings
		}
	case 2:
		switch {
		case rest[0] == "repos":
			id := rest[1]
			return func(w http.ResponseWriter, r *http.Request) { n.handleMirroredRepo(w, id) }
		case rest[0] == "settings" && rest[1] == "mode":
			return n.handleSettingsMode
		case rest[0] == "settings" && rest[1] == "projects":
			return n.handleSettingsProjects
		}
	}
	return nil
}

func (n *node) syncStatus(id int) syncStatusJSON {
	s := n.s
	nr := &n.repos[id]
	rp := &s.repos[id]
	return syncStatusJSON{
		ExternalRepoID:  strconv.Itoa(id),
		UpstreamID:      n.farm.upstreamID,
		LocalRepoID:     id + 1000,
		LocalProjectID:  int(rp.project) + 101,
		FailedSyncCount: int(nr.failed),
		InitialSyncDate: formatMs(nr.initSync),
		LastSyncDate:    formatMs(nr.lastSync),
		Hashes:          hashesJSON{Content: s.versionHashCached('c', id, nr.content), Metadata: s.versionHashCached('m', id, nr.meta)},
		RepoSlug:        rp.slug,
	}
}

func (n *node) handleRepoSyncStatus(w http.ResponseWriter, r *http.Request) {
	s := n.s
	start, limit, good := s.pageParams(w, r)
	if !good {
		return
	}
	s.answer(w, func() reply {
		vals := make([]syncStatusJSON, 0, min(limit, 64))
		seen, last, first := 0, true, 1
		if n.presentCount == len(s.repos)-1 {
			// Every repository is present: the page starts at id start+1.
			seen, first = start, start+1
		}
		for id := first; id < len(s.repos); id++ {
			if !n.repos[id].present {
				continue
			}
			if seen >= start {
				if len(vals) == limit {
					last = false
					break
				}
				vals = append(vals, n.syncStatus(id))
			}
			seen++
		}
		pg := makePage(start, limit, vals, last)
		pg.Values = syncStatusList(vals)
		return ok(pg)
	})
}

func (n *node) handleOneSyncStatus(w http.ResponseWriter, key, slug string) {
	s := n.s
	s.answer(w, func() reply {
		if p := s.projectByKey(key); p != nil {
			if id := s.repoBySlug(p, slug); id != 0 && n.repos[id].present {
				return ok(n.syncStatus(id))
			}
		}
		return fail(http.StatusNotFound, "Repository "+key+"/"+slug+" does not exist on this mirror.", excNoSuchRepo)
	})
}

func (n *node) handleQueue(w http.ResponseWriter, r *http.Request) {
	s, f := n.s, n.farm
	s.answer(w, func() reply {
		vals := make([]queueItemJSON, 0, min(f.queue.Len(), maxQueueDump))
		for e := f.queue.Front(); e != nil && len(vals) < maxQueueDump; e = e.Next() {
			it := e.Value.(*qitem)
			vals = append(vals, queueItemJSON{
				ExternalRepoID: strconv.Itoa(int(it.repo)), Type: it.typ,
				Attempt: it.attempt, CreatedAt: formatMs(it.created),
			})
		}
		return ok(queueJSON{Values: vals})
	})
}

func (n *node) lockOwner(w *worker) lockOwnerJSON {
	return lockOwnerJSON{
		ExternalRepositoryID: strconv.Itoa(int(w.item.repo)), NodeID: w.nodeID, RequestID: w.reqID,
		ThreadName: w.thread, LockAcquireTime: formatMs(w.lockAt),
	}
}

func (n *node) handleLockOwners(w http.ResponseWriter, r *http.Request) {
	s := n.s
	s.answer(w, func() reply { return ok(n.lockOwners()) })
}

// handleOneLockOwner answers the lock owner of one repository, or an empty
// body when nobody holds its lock.
func (n *node) handleOneLockOwner(w http.ResponseWriter, key, slug string) {
	s := n.s
	s.mu.RLock()
	id := 0
	if p := s.projectByKey(key); p != nil {
		id = s.repoBySlug(p, slug)
	}
	var owner *lockOwnerJSON
	if id != 0 {
		for _, o := range n.lockOwners() {
			if o.ExternalRepositoryID == strconv.Itoa(id) {
				owner = &o
			}
		}
	}
	s.mu.RUnlock()
	switch {
	case id == 0:
		writeError(w, http.StatusNotFound, "Repository "+key+"/"+slug+" does not exist.", excNoSuchRepo)
	case owner == nil:
		w.Header().Set("Content-Type", contentTypeJSON)
		w.WriteHeader(http.StatusOK)
	default:
		writeJSON(w, http.StatusOK, owner)
	}
}

func (n *node) handleUpstream(w http.ResponseWriter, r *http.Request) {
	base := n.s.PrimaryURL()
	if n.farm.spec.Layout == Layout8 {
		writeJSON(w, http.StatusOK, upstream8JSON{ID: n.farm.upstreamID, State: "INSTALLED", Type: "server", BaseURL: base, APIBaseURL: base})
		return
	}
	writeJSON(w, http.StatusOK, upstream9JSON{ID: n.farm.upstreamID, BaseURL: base, State: "INSTALLED"})
}

func (n *node) handleUpstreams(w http.ResponseWriter, r *http.Request) {
	start, limit, good := n.s.pageParams(w, r)
	if !good {
		return
	}
	base := n.s.PrimaryURL()
	all := []upstream8JSON{{ID: n.farm.upstreamID, State: "INSTALLED", Type: "server", BaseURL: base, APIBaseURL: base}}
	lo, hi, last := window(len(all), start, limit)
	writeJSON(w, http.StatusOK, makePage(start, limit, all[lo:hi], last))
}

func (n *node) handleProgress(w http.ResponseWriter, r *http.Request) {
	s := n.s
	s.answer(w, func() reply {
		disc, synced, total := s.progress(n.farm)
		return ok(progressJSON{Discovering: disc, SyncedRepos: synced, TotalRepos: total})
	})
}

func (n *node) handleFarmNodes(w http.ResponseWriter, r *http.Request) {
	s, f := n.s, n.farm
	s.answer(w, func() reply {
		vals := []clusterNodeJSON{}
		for _, m := range f.nodes {
			if m.down || m.left {
				continue
			}
			vals = append(vals, clusterNodeJSON{
				ID: m.id, Name: m.name, Address: addressJSON{Address: "127.0.0.1", Port: 5701 + m.idx},
				BuildVersion: f.spec.Version, Local: m == n,
			})
		}
		return ok(vals)
	})
}

// repoStatus derives a repository's mirror status on this node.
func (n *node) repoStatus(id int) string {
	nr := &n.repos[id]
	switch {
	case !n.farm.mirrors(n.s, id):
		return "NOT_MIRRORED"
	case !nr.present && nr.failed > 0:
		return "ERROR_INITIALIZING"
	case !nr.present:
		return "INITIALIZING"
	case nr.failed > 0:
		return "ERROR_AVAILABLE"
	}
	return "AVAILABLE"
}

func (n *node) handleMirroredRepo(w http.ResponseWriter, arg string) {
	s, f := n.s, n.farm
	lb, primary := f.lb.url(), s.PrimaryURL()
	s.answer(w, func() reply {
		id, err := strconv.Atoi(arg)
		if err != nil || !s.validRepo(id) {
			return fail(http.StatusNotFound, "Repository "+arg+" does not exist.", excNoSuchRepo)
		}
		rp := &s.repos[id]
		path := "/scm/" + strings.ToLower(s.projects[rp.project].key) + "/" + rp.slug + ".git"
		nr := &n.repos[id]
		updated := s.now / int64(time.Millisecond)
		if nr.lastSync != 0 {
			updated = nr.lastSync
		}
		clone := []link{{Name: "http", Href: lb + path}}
		return ok(mirroredRepoJSON{
			RepositoryID: arg, MirrorName: f.name, Available: nr.present, LastUpdated: formatMs(updated),
			Status: n.repoStatus(id), CloneURLs: clone, PushURLs: []link{{Name: "http", Href: primary + path}},
			Links: mirroredRepoLinks{Clone: clone},
		})
	})
}

// parseThreshold accepts a Go duration ("5m") or a number of seconds.
func parseThreshold(v string) (time.Duration, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(n) * time.Second, n >= 0
	}
	d, err := time.ParseDuration(v)
	return d, err == nil && d >= 0
}

func (n *node) handleDelayedSync(w http.ResponseWriter, r *http.Request) {
	s, f := n.s, n.farm
	q := r.URL.Query()
	threshold := s.opts.SyncInterval
	if v := q.Get("delayThreshold"); v != "" {
		d, good := parseThreshold(v)
		if !good {
			writeError(w, http.StatusBadRequest, "Invalid value for delayThreshold: "+strconv.Quote(v), "")
			return
		}
		threshold = d
	}
	limit := maxDelayedSync
	if v := q.Get("limit"); v != "" {
		l, err := strconv.Atoi(v)
		if err != nil || l < 1 {
			writeError(w, http.StatusBadRequest, "Invalid value for limit: "+strconv.Quote(v), "")
			return
		}
		limit = min(l, maxDelayedSync)
	}
	s.answer(w, func() reply {
		vals := []delayedJSON{}
		cutoff := s.nowMs() - threshold.Milliseconds()
		for id := 1; id < len(s.repos) && len(vals) < limit; id++ {
			if !f.mirrors(s, id) {
				continue
			}
			for _, m := range f.nodes {
				if ds := m.repos[id].differSince; !m.down && ds != 0 && ds < cutoff {
					rp := &s.repos[id]
					vals = append(vals, delayedJSON{ProjectKey: s.projects[rp.project].key, RepositoryID: strconv.Itoa(id), RepositorySlug: rp.slug})
					break
				}
			}
		}
		return ok(vals)
	})
}

// settings returns the farm's mode and selected projects. Called with s.mu
// held.
func (f *farm) settings() settingsJSON {
	if f.allProjects {
		return settingsJSON{Mode: modeAll, ProjectIDs: []string{}}
	}
	return settingsJSON{Mode: modeSelected, ProjectIDs: append([]string{}, f.projectIDs...)}
}

func (n *node) handleSettings(w http.ResponseWriter, r *http.Request) {
	n.s.answer(w, func() reply { return ok(n.farm.settings()) })
}

func (n *node) handleSettingsMode(w http.ResponseWriter, r *http.Request) {
	n.s.answer(w, func() reply { return ok(n.farm.settings().Mode) })
}

func (n *node) handleSettingsProjects(w http.ResponseWriter, r *http.Request) {
	n.s.answer(w, func() reply { return ok(n.farm.settings().ProjectIDs) })
}

// handleHashes streams the node's repo-hashes: the repositories present on
// this node, keyed by their upstream ids, with the node's hashes.
func (n *node) handleHashes(w http.ResponseWriter, content, metadata bool) {
	s, f := n.s, n.farm
	s.mu.RLock()
	cv := make([]uint32, len(s.repos))
	mv := make([]uint32, len(s.repos))
	var projects []hashProject
	for pi, p := range s.projects {
		if !f.mirrorsProject[pi] {
			continue
		}
		hp := hashProject{id: p.id, key: p.key}
		for _, id := range p.repos {
			if nr := &n.repos[id]; nr.present {
				hp.repos = append(hp.repos, id)
				cv[id], mv[id] = nr.content, nr.meta
			}
		}
		projects = append(projects, hp)
	}
	s.mu.RUnlock()
	s.streamHashes(w, projects, cv, mv, content, metadata)
}

// diagnosticsTolerance plays plugin.mirroring.repository.diagnostics.sync.tolerance:
// how long a repository may differ on a node before the node's diagnostics
// report it out of sync.
const diagnosticsTolerance = time.Minute

// handleOutOfSync answers supportInfo/out-of-sync-repos/content (9.x): the
// upstream ids of the mirrored repositories that have differed on this
// node for longer than diagnosticsTolerance, or 409 when the farm's
// diagnostics are off. Atlassian's OpenAPI document (9.4,
// getOutOfSyncRepositories) gives the 200 body only as {"type": "string"},
// so the ids come as one JSON string, separated by commas: the one reading
// of that schema that is valid JSON of the declared type.
func (n *node) handleOutOfSync(w http.ResponseWriter, r *http.Request) {
	s, f := n.s, n.farm
	if !f.spec.Diagnostics {
		writeError(w, http.StatusConflict, "Out-of-sync repository diagnostics are not enabled: set plugin.mirroring.repository.diagnostics.sync.enabled=true.", "")
		return
	}
	s.answer(w, func() reply {
		cutoff := s.nowMs() - diagnosticsTolerance.Milliseconds()
		var b strings.Builder
		for id := 1; id < len(n.repos); id++ {
			if ds := n.repos[id].differSince; ds != 0 && ds <= cutoff && f.mirrors(s, id) {
				if b.Len() > 0 {
					b.WriteByte(',')
				}
				b.WriteString(strconv.Itoa(id))
			}
		}
		return ok(b.String())
	})
}
