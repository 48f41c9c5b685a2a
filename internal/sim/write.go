package sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const (
	modeAll      = "ALL_PROJECTS"
	modeSelected = "SELECTED_PROJECTS"

	statePending  = "PENDING"
	stateAccepted = "ACCEPTED"
	stateRejected = "REJECTED"

	// maxWriteBody bounds the JSON body of a write request.
	maxWriteBody = 1 << 20

	// Farms created by accepting a mirroring request.
	acceptedNodes   = 2
	acceptedWorkers = 2
	defaultVersion  = "9.6.2"

	excRequestState = "com.atlassian.bitbucket.mirroring.upstream.InvalidMirroringRequestStateException"

	msgIrreversible = "Cannot switch from ALL_PROJECTS to SELECTED_PROJECTS; remove and re-add the mirror"
)

// mutate builds a reply under the write lock, waits for the git work it
// started when the clock is manual, and writes the reply. A reply without
// a body is sent as a bare status (204).
func (s *Sim) mutate(w http.ResponseWriter, fn func() reply) {
	s.mu.Lock()
	rp := fn()
	s.mu.Unlock()
	s.settle()
	if rp.body == nil {
		w.WriteHeader(rp.status)
		return
	}
	writeJSON(w, rp.status, rp.body)
}

var noContent = reply{status: http.StatusNoContent}

// primaryWriteRoute returns the handler of a primary write endpoint.
// matched is false when segs name no write endpoint for any method; a nil
// handler with matched true means the method is not allowed.
func (s *Sim) primaryWriteRoute(segs []string, method string) (h http.HandlerFunc, matched bool) {
	switch {
	case len(segs) == 3 && segs[0] == "requests" && (segs[2] == "accept" || segs[2] == "reject"):
		if method != http.MethodPost {
			return nil, true
		}
		arg, accept := segs[1], segs[2] == "accept"
		return func(w http.ResponseWriter, r *http.Request) {
			s.mutate(w, func() reply {
				if accept {
					return s.acceptRequest(arg)
				}
				return s.rejectRequest(arg)
			})
		}, true
	case len(segs) == 2 && segs[0] == "requests" && method == http.MethodDelete:
		arg := segs[1]
		return func(w http.ResponseWriter, r *http.Request) {
			s.mutate(w, func() reply { return s.deleteRequest(arg) })
		}, true
	}
	return nil, false
}

// requestIndex returns the index of a mirroring request, or -1.
func (s *Sim) requestIndex(arg string) int {
	id, err := strconv.Atoi(arg)
	if err != nil {
		return -1
	}
	for i := range s.requests {
		if s.requests[i].id == id {
			return i
		}
	}
	return -1
}

func noSuchRequest(arg string) reply {
	return fail(http.StatusConflict, "No mirroring request with id "+arg+" exists.", excNoSuchRequest)
}

// pendingRequest returns a pending request, or the 409 reply to send.
func (s *Sim) pendingRequest(arg string) (*mirroringRequest, *reply) {
	i := s.requestIndex(arg)
	if i < 0 {
		rp := noSuchRequest(arg)
		return nil, &rp
	}
	m := &s.requests[i]
	if m.state != statePending {
		rp := fail(http.StatusConflict, "Mirroring request "+arg+" is not pending", excRequestState)
		return nil, &rp
	}
	return m, nil
}

// acceptRequest approves a pending request: a new 9.x farm named after the
// mirror starts listening and performs its initial sync of every project.
// Called with s.mu held.
func (s *Sim) acceptRequest(arg string) reply {
	m, bad := s.pendingRequest(arg)
	if bad != nil {
		return *bad
	}
	version := m.version
	if version == "" {
		version = defaultVersion
	}
	spec := FarmSpec{
		Name: s.freeFarmName(m.name), Layout: Layout9, Nodes: acceptedNodes, Version: version,
		AllProjects: true, Workers: acceptedWorkers, InitialSync: true,
	}
	f := s.newFarm(len(s.farms), spec, m.mirror)
	if err := s.startFarm(f); err != nil {
		return fail(http.StatusInternalServerError, "Cannot start mirror farm "+f.name+": "+err.Error(), "")
	}
	s.farms = append(s.farms, f)
	s.farmByName[f.name] = f
	m.state, m.farm = stateAccepted, f
	s.schedule(s.now+int64(discoveryTime), evDiscover, f, nil, nil)
	return ok(s.mirrorServerOf(f))
}

// startFarm makes the servers of a new farm listen. Called with s.mu held.
func (s *Sim) startFarm(f *farm) error {
	var started []*server
	undo := func(err error) error {
		for _, sv := range started {
			sv.stop()
		}
		return err
	}
	for _, n := range f.nodes {
		if s.git != nil {
			if err := s.git.attach(n); err != nil {
				return undo(err)
			}
		}
		n.srv = s.newServer(f.name+"/"+n.name, n)
		if err := n.srv.listen(); err != nil {
			return undo(err)
		}
		started = append(started, n.srv)
	}
	f.lb = s.newServer(f.name, f)
	if err := f.lb.listen(); err != nil {
		return undo(err)
	}
	return nil
}

// freeFarmName turns a mirror name into an unused farm name: characters
// not allowed in farm names become '-', and a taken name gets a numeric
// suffix.
func (s *Sim) freeFarmName(name string) string {
	base := strings.Map(func(r rune) rune {
		if r <= ' ' || r == '/' || r == '"' || r == 0x7f {
			return '-'
		}
		return r
	}, name)
	if base == "" {
		base = "mirror"
	}
	cand := base
	for k := 2; s.farmByName[cand] != nil || cand == "primary" || (s.gl != nil && cand == glTarget); k++ {
		cand = base + "-" + strconv.Itoa(k)
	}
	return cand
}

// rejectRequest rejects a pending request. Called with s.mu held.
func (s *Sim) rejectRequest(arg string) reply {
	m, bad := s.pendingRequest(arg)
	if bad != nil {
		return *bad
	}
	m.state = stateRejected
	return ok(mirrorServerJSON{
		ID: m.mirror, Name: m.name, BaseURL: m.baseURL, Enabled: false, LastSeenDate: s.nowMs(),
		MirrorType: "FARM", ProductType: "Bitbucket", ProductVersion: m.version,
	})
}

// deleteRequest forgets a request in any state; a farm it created stays.
// Called with s.mu held.
func (s *Sim) deleteRequest(arg string) reply {
	i := s.requestIndex(arg)
	if i < 0 {
		return noSuchRequest(arg)
	}
	s.requests = append(s.requests[:i], s.requests[i+1:]...)
	return noContent
}

// AddRequest adds a PENDING mirroring request from a mirror named name at
// baseURL (default "https://mirror-{name}.example.com") and returns its
// id. Accepting it creates a farm named after the mirror.
func (s *Sim) AddRequest(name, baseURL string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if baseURL == "" {
		baseURL = "https://mirror-" + name + ".example.com"
	}
	id := s.nextReq
	s.nextReq++
	s.requests = append(s.requests, mirroringRequest{
		id: id, state: statePending, mirror: uuidOf(s.digest("request", name, strconv.Itoa(id))),
		name: name, baseURL: baseURL, version: defaultVersion,
	})
	return id
}

// RequestState returns the state of a mirroring request (PENDING, ACCEPTED
// or REJECTED), or "" when no request has that id.
func (s *Sim) RequestState(id int) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if i := s.requestIndex(strconv.Itoa(id)); i >= 0 {
		return s.requests[i].state
	}
	return ""
}

// ProjectID returns the primary's numeric id of a project key (any case),
// as a string, or "" for an unknown key.
func (s *Sim) ProjectID(key string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p := s.projectByKey(key); p != nil {
		return strconv.Itoa(p.id)
	}
	return ""
}

// FarmProjects returns a farm's project selection: allProjects in mode
// ALL_PROJECTS, otherwise the selected project ids in project order. An
// unknown farm gives false and nil.
func (s *Sim) FarmProjects(farm string) (allProjects bool, projectIDs []string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := s.farmByName[farm]
	if f == nil {
		return false, nil
	}
	if f.allProjects {
		return true, nil
	}
	return false, append([]string{}, f.projectIDs...)
}

// writeRoute returns the handler of a mirror write endpoint (project
// selection). matched is false when segs name no write endpoint for any
// method, so that reads go on to the read routes; a nil handler with
// matched true means the method is not allowed.
func (n *node) writeRoute(segs []string, method string) (h http.HandlerFunc, matched bool) {
	f := n.farm
	var rest []string
	bulkRemove := false
	if f.spec.Layout == Layout9 {
		if segs[0] != "syncSettings" {
			return nil, false
		}
		rest = segs[1:]
	} else {
		if len(segs) < 3 || segs[0] != "upstreamServers" || segs[1] != f.upstreamID || segs[2] != "settings" {
			return nil, false
		}
		rest = segs[3:]
		bulkRemove = true // 8.x only
	}
	if method == http.MethodGet && len(rest) <= 1 {
		return nil, false
	}
	switch {
	case len(rest) == 0:
		if method == http.MethodPut {
			return n.handlePutSettings, true
		}
	case len(rest) == 1 && rest[0] == "mode":
		if method == http.MethodPut {
			return n.handlePutMode, true
		}
	case len(rest) == 1 && rest[0] == "projects":
		switch {
		case method == http.MethodPost:
			return func(w http.ResponseWriter, r *http.Request) { n.handleProjects(w, r, true) }, true
		case method == http.MethodDelete && bulkRemove:
			return func(w http.ResponseWriter, r *http.Request) { n.handleProjects(w, r, false) }, true
		}
	case len(rest) == 2 && rest[0] == "projects":
		pid := rest[1]
		switch method {
		case http.MethodPost:
			return func(w http.ResponseWriter, r *http.Request) { n.changeProjects(w, []string{pid}, true) }, true
		case http.MethodDelete:
			return func(w http.ResponseWriter, r *http.Request) { n.changeProjects(w, []string{pid}, false) }, true
		}
	default:
		return nil, false
	}
	return nil, true
}

// readBody reads a write request's body, up to maxWriteBody bytes.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxWriteBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxWriteBody {
		return nil, errors.New("the request body is too large")
	}
	return b, nil
}

// parseProjectIDs reads a JSON array of project ids. Like the server's
// JSON binding, it takes integers as well as strings.
func parseProjectIDs(raw []json.RawMessage) ([]string, error) {
	ids := make([]string, 0, len(raw))
	for _, v := range raw {
		var str string
		if err := json.Unmarshal(v, &str); err == nil {
			ids = append(ids, str)
			continue
		}
		var num int64
		if err := json.Unmarshal(v, &num); err != nil {
			return nil, errors.New("a project id must be a string, got " + string(v))
		}
		ids = append(ids, strconv.FormatInt(num, 10))
	}
	return ids, nil
}

func badBody(w http.ResponseWriter, what string, err error) {
	writeError(w, http.StatusBadRequest, "Invalid request body: expected "+what+": "+err.Error(), "")
}

// handleProjects serves the bulk add (POST) and, on 8.x, the bulk remove
// (DELETE) of projects, with a JSON array of project ids as the body.
func (n *node) handleProjects(w http.ResponseWriter, r *http.Request, add bool) {
	b, err := readBody(r)
	if err != nil {
		badBody(w, "a JSON array of project ids", err)
		return
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || raw == nil {
		if err == nil {
			err = errors.New("null")
		}
		badBody(w, "a JSON array of project ids", err)
		return
	}
	ids, err := parseProjectIDs(raw)
	if err != nil {
		badBody(w, "a JSON array of project ids", err)
		return
	}
	n.changeProjects(w, ids, add)
}

// resolveProjects maps project ids to projects; on an unknown id it
// returns the 404 reply to send. Called with s.mu held.
func (s *Sim) resolveProjects(ids []string) ([]*project, *reply) {
	ps := make([]*project, 0, len(ids))
	for _, id := range ids {
		p := s.projectByID(id)
		if p == nil {
			rp := fail(http.StatusNotFound, "Project "+id+" does not exist.", excNoSuchProject)
			return nil, &rp
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// changeProjects adds projects to (200 with the selected project ids) or
// removes them from (204) the farm's selection. Nothing changes when an id
// is unknown.
func (n *node) changeProjects(w http.ResponseWriter, ids []string, add bool) {
	s, f := n.s, n.farm
	s.mutate(w, func() reply {
		ps, bad := s.resolveProjects(ids)
		if bad != nil {
			return *bad
		}
		if add {
			s.mirrorProjects(f, ps)
			return ok(f.settings().ProjectIDs)
		}
		if f.allProjects {
			return fail(http.StatusBadRequest, "Cannot remove projects from a mirror that mirrors all projects", "")
		}
		s.unmirrorProjects(f, ps)
		return noContent
	})
}

// parseMode reads a mirror mode given as a JSON string.
func parseMode(b []byte) (string, error) {
	var mode string
	if err := json.Unmarshal(b, &mode); err != nil {
		return "", errors.New("expected a JSON string, " + strconv.Quote(modeAll) + " or " + strconv.Quote(modeSelected))
	}
	if mode != modeAll && mode != modeSelected {
		return "", errors.New("unknown mirror mode " + strconv.Quote(mode))
	}
	return mode, nil
}

func (n *node) handlePutMode(w http.ResponseWriter, r *http.Request) {
	s, f := n.s, n.farm
	b, err := readBody(r)
	if err != nil {
		badBody(w, "a mirror mode", err)
		return
	}
	mode, err := parseMode(b)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid mirror mode: "+err.Error(), "")
		return
	}
	s.mutate(w, func() reply {
		if rp := s.setMode(f, mode); rp != nil {
			return *rp
		}
		return ok(mode)
	})
}

// setMode switches a farm's mode; on a refused switch it returns the reply
// to send. Called with s.mu held.
func (s *Sim) setMode(f *farm, mode string) *reply {
	switch {
	case mode == modeAll && !f.allProjects:
		f.allProjects = true
		s.mirrorProjects(f, s.projects)
	case mode == modeSelected && f.allProjects:
		rp := fail(http.StatusBadRequest, msgIrreversible, "")
		return &rp
	}
	return nil
}

func (n *node) handlePutSettings(w http.ResponseWriter, r *http.Request) {
	s, f := n.s, n.farm
	b, err := readBody(r)
	if err != nil {
		badBody(w, "mirror settings", err)
		return
	}
	var in struct {
		Mode       json.RawMessage   `json:"mode"`
		ProjectIDs []json.RawMessage `json:"projectIds"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		badBody(w, `{"mode":…,"projectIds":[…]}`, err)
		return
	}
	if in.Mode == nil {
		badBody(w, `{"mode":…,"projectIds":[…]}`, errors.New("mode is missing"))
		return
	}
	mode, err := parseMode(in.Mode)
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid mirror mode: "+err.Error(), "")
		return
	}
	ids, err := parseProjectIDs(in.ProjectIDs)
	if err != nil {
		badBody(w, "a JSON array of project ids", err)
		return
	}
	s.mutate(w, func() reply {
		ps, bad := s.resolveProjects(ids)
		if bad != nil {
			return *bad
		}
		if rp := s.setMode(f, mode); rp != nil {
			return *rp
		}
		if mode == modeSelected {
			keep := make([]bool, len(s.projects))
			for _, p := range ps {
				keep[p.id-1] = true
			}
			var drop []*project
			for pi, p := range s.projects {
				if f.mirrorsProject[pi] && !keep[pi] {
					drop = append(drop, p)
				}
			}
			s.unmirrorProjects(f, drop)
			s.mirrorProjects(f, ps)
		}
		return ok(f.settings())
	})
}

// mirrorProjects starts mirroring projects on a farm: once the farm has
// discovered its repositories, each new repository gets a SNAPSHOT item.
// Already mirrored projects are left alone. Called with s.mu held.
func (s *Sim) mirrorProjects(f *farm, ps []*project) {
	now := s.nowMs()
	for _, p := range ps {
		pi := p.id - 1
		if f.mirrorsProject[pi] {
			continue
		}
		f.mirrorsProject[pi] = true
		f.mirroredCount += len(p.repos)
		if !f.started {
			continue // the discovery will enqueue them
		}
		for _, id32 := range p.repos {
			id := int(id32)
			for _, n := range f.nodes {
				if nr := &n.repos[id]; nr.differSince == 0 && s.differs(n, id) {
					nr.differSince = now
				}
			}
			f.enqueue(id, typeSnapshot, 1, now)
		}
	}
	f.rebuildProjectIDs(s)
	s.dispatch(f)
}

// unmirrorProjects stops mirroring projects on a farm: their repositories
// leave every node, and their waiting queue items are dropped (a sync in
// progress is abandoned when it ends). Called with s.mu held.
func (s *Sim) unmirrorProjects(f *farm, ps []*project) {
	for _, p := range ps {
		pi := p.id - 1
		if !f.mirrorsProject[pi] {
			continue
		}
		f.mirrorsProject[pi] = false
		f.mirroredCount -= len(p.repos)
		for _, id32 := range p.repos {
			id := int(id32)
			if e := f.waiting[id]; e != nil {
				f.queue.Remove(e)
				f.waiting[id] = nil
			}
			for _, n := range f.nodes {
				nr := &n.repos[id]
				if nr.present {
					n.presentCount--
				}
				*nr = nodeRepo{}
				s.gitNodeTask(gitRemove, n, id)
			}
		}
	}
	f.rebuildProjectIDs(s)
	s.checkComplete(f)
}
