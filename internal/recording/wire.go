package recording

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Data kinds of a recorded reading.
const (
	kNone uint8 = iota
	kStatus
	kApp
	kServers
	kFarmSpec
	kMembers
	kRequests
	kRepos
	kHashSet
	kUpstream
	kProgress
	kCluster
	kSettings
	kSyncs
	kQueue
	kInt
	kLocks
	kDelayed
	kOOS
	kDiag
	kUnchanged
	kStrings
	kGLProject
	kGLVersion
	kGLSettings
	kGLDenied
)

// wireBatch is the payload of a 'B' frame.
type wireBatch struct {
	Readings []wireReading
}

// wireCommit is the payload of a 'C' frame: the farms whose computations
// were committed.
type wireCommit struct {
	Farms []string
}

// wirePaused is the payload of a 'P' frame.
type wirePaused struct {
	Mirror string
	At     int64
}

// wireNote is the payload of an 'N' frame: what an action or the state
// folder told the state beside the readings. What is "follow" (an update
// requested of Mirror at At is followed), "resolution" (Data: the history
// entry of Mirror, JSON) or "history" (Data: the conflict history loaded
// from the state folder, in its file's JSON).
type wireNote struct {
	What   string
	Mirror string
	At     int64
	Data   []byte
}

// wireGap is the payload of a 'G' frame.
type wireGap struct {
	Dropped int
}

// wireReading is one reading as stored.
type wireReading struct {
	Farm, Node, GitLab, Project string
	Endpoint                    string
	At, Took                    int64
	HasErr                      bool
	Err                         string
	ErrStatus                   int
	Unsupported                 bool
	Cert                        int64
	HasClock                    bool
	Clock                       int64
	Kind                        uint8

	Status    *model.ServerStatus
	App       *model.AppProperties
	Servers   []model.MirrorServer
	FarmSpec  *model.FarmSpec
	Members   *model.Membership
	Requests  []model.MirrorRequest
	Upstream  *model.UpstreamServer
	Progress  *model.Progress
	Cluster   []model.ClusterNode
	Settings  *model.SyncSettings
	Int       int
	Delayed   []model.DelayedRepo
	Diag      string
	Since     int64
	Strings   []string
	GLProject *model.GitLabProject
	GLVersion *model.GitLabVersion
	GLMirror  *model.GitLabMirrorSettings

	// Delta lists: Ops copies runs of the previous list and takes the new
	// entries in order (see delta).
	Ops   []int32
	Repos []model.Repo
	// The new entries of a sync list, column by column: SyncFrom is the
	// previous entry each one changes (-1: a new repository, its id next
	// in SyncIDs), SyncMask which fields differ from it (see syncMask),
	// and the fields that do, in order; dates as differences from the
	// date before in the same column.
	SyncFrom    []int32
	SyncMask    []uint8
	SyncIDs     []string
	SyncContent []string
	SyncMeta    []string
	SyncInitial []int64
	SyncLast    []int64
	SyncLocal   []int32
	SyncFailed  []int32
	Queue       []model.QueueItem
	Locks       []model.LockOwner
	Hashes      map[string]model.Hashes
	OOS         []string
	Removed     []string
}

// Error is a recorded error: its message and the HTTP status the server
// answered with (0 without one).
type Error struct {
	Msg    string
	Status int
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// HTTPStatus returns the recorded HTTP status (see model.HTTPStatusError).
func (e *Error) HTTPStatus() int { return e.Status }

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// listKey names the previous list a delta is against.
type listKey struct {
	target model.TargetID
	ep     model.Endpoint
}

// StripURL removes the user info of a URL (and returns what is not a URL
// as it is).
func StripURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

var userInfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://)[^/@\s]*@`)

// scrub removes URL user info and the secrets from a message.
func scrub(msg string, secrets []string) string {
	msg = userInfo.ReplaceAllString(msg, "$1")
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, "[secret]")
		}
	}
	return msg
}

func stripSpec(fs model.FarmSpec) model.FarmSpec {
	fs.URL = StripURL(fs.URL)
	fs.Nodes = stripNodes(fs.Nodes)
	return fs
}

func stripNodes(ns []model.NodeSpec) []model.NodeSpec {
	out := make([]model.NodeSpec, len(ns))
	for i, n := range ns {
		n.URL = StripURL(n.URL)
		out[i] = n
	}
	return out
}

// StripSpec returns the spec with every URL's user info removed.
func StripSpec(s model.Spec) model.Spec {
	out := model.Spec{PrimaryURL: StripURL(s.PrimaryURL)}
	for _, f := range s.Farms {
		out.Farms = append(out.Farms, stripSpec(f))
	}
	for _, g := range s.GitLab {
		g.URL = StripURL(g.URL)
		out.GitLab = append(out.GitLab, g)
	}
	return out
}

// encoder turns readings into wire readings, remembering the last list of
// each target and endpoint for the deltas.
type encoder struct {
	prev    map[listKey]any
	secrets []string
	prim    primaryHashes
}

func newEncoder(secrets []string) *encoder {
	// The longest first: a secret that holds another is scrubbed whole.
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return &encoder{prev: map[listKey]any{}, secrets: secrets}
}

func (e *encoder) reading(r model.Reading) (wireReading, error) {
	w := wireReading{Farm: r.Target.Farm, Node: r.Target.Node, GitLab: r.Target.GitLab, Project: r.Target.Project,
		Endpoint: string(r.Endpoint), At: nanos(r.At), Took: int64(r.Took), Unsupported: r.Unsupported,
		Cert: nanos(r.CertExpiry), HasClock: r.HasClockOffset, Clock: int64(r.ClockOffset)}
	if r.Err != nil {
		w.HasErr, w.Err = true, scrub(r.Err.Error(), e.secrets)
		var he model.HTTPStatusError
		if asStatus(r.Err, &he) {
			w.ErrStatus = he.HTTPStatus()
		}
		return w, nil
	}
	k := listKey{r.Target, r.Endpoint}
	switch d := r.Data.(type) {
	case nil:
	case model.ServerStatus:
		w.Kind, w.Status = kStatus, &d
	case model.AppProperties:
		w.Kind, w.App = kApp, &d
	case []model.MirrorServer:
		w.Kind, w.Servers = kServers, d
	case model.FarmSpec:
		d = stripSpec(d)
		w.Kind, w.FarmSpec = kFarmSpec, &d
	case model.Membership:
		d.Nodes = stripNodes(d.Nodes)
		w.Kind, w.Members = kMembers, &d
	case []model.MirrorRequest:
		w.Kind, w.Requests = kRequests, d
	case model.UpstreamServer:
		w.Kind, w.Upstream = kUpstream, &d
	case model.Progress:
		w.Kind, w.Progress = kProgress, &d
	case []model.ClusterNode:
		w.Kind, w.Cluster = kCluster, d
	case model.SyncSettings:
		w.Kind, w.Settings = kSettings, &d
	case int:
		w.Kind, w.Int = kInt, d
	case []model.DelayedRepo:
		w.Kind, w.Delayed = kDelayed, d
	case model.Diagnostics:
		w.Kind, w.Diag = kDiag, string(d)
	case model.Unchanged:
		w.Kind, w.Since = kUnchanged, nanos(d.Since)
	case []string:
		w.Kind, w.Strings = kStrings, d
	case model.GitLabProject:
		w.Kind, w.GLProject = kGLProject, &d
	case model.GitLabVersion:
		w.Kind, w.GLVersion = kGLVersion, &d
	case model.GitLabMirrorSettings:
		w.Kind, w.GLMirror = kGLSettings, &d
	case model.GitLabSettingsDenied:
		w.Kind = kGLDenied
	case []model.Repo:
		prev, _ := e.prev[k].([]model.Repo)
		w.Kind = kRepos
		w.Ops, w.Repos = delta(prev, d, func(r model.Repo) string { return r.ID }, same, same)
		e.prev[k] = d
	case []*model.RepoSyncStatus:
		prev, _ := e.prev[k].([]*model.RepoSyncStatus)
		w.Kind = kSyncs
		// An entry equal to the previous one is copied, marked as the
		// same pointer or a new one, so that a replay shares what the
		// live state shared (the state compares them by pointer).
		var lits []*model.RepoSyncStatus
		w.Ops, lits = delta(prev, d, func(s *model.RepoSyncStatus) string { return s.ExternalRepoID },
			func(a, b *model.RepoSyncStatus) bool { return *a == *b }, same)
		e.syncColumns(&w, prev, lits)
		e.prev[k] = d
		e.prim.noteSync(k)
	case []model.QueueItem:
		prev, _ := e.prev[k].([]model.QueueItem)
		w.Kind = kQueue
		w.Ops, w.Queue = delta(prev, d, func(q model.QueueItem) string { return q.ExternalRepoID },
			same, same)
		e.prev[k] = d
	case []model.LockOwner:
		prev, _ := e.prev[k].([]model.LockOwner)
		w.Kind = kLocks
		w.Ops, w.Locks = delta(prev, d, func(l model.LockOwner) string { return l.ExternalRepoID },
			same, same)
		e.prev[k] = d
	case model.RepoHashSet:
		prev, _ := e.prev[k].(model.RepoHashSet)
		w.Kind = kHashSet
		w.Hashes = map[string]model.Hashes{}
		for id, h := range d {
			if p, ok := prev[id]; !ok || p != h {
				w.Hashes[id] = h
			}
		}
		for id := range prev {
			if _, ok := d[id]; !ok {
				w.Removed = append(w.Removed, id)
			}
		}
		e.prev[k] = d
	case model.OutOfSyncRepos:
		prev, _ := e.prev[k].(model.OutOfSyncRepos)
		w.Kind = kOOS
		for id, v := range d {
			if v && !prev[id] {
				w.OOS = append(w.OOS, id)
			}
		}
		for id, v := range prev {
			if v && !d[id] {
				w.Removed = append(w.Removed, id)
			}
		}
		e.prev[k] = d
	default:
		return w, fmt.Errorf("recording: %s %s: data of type %T is not recorded", r.Target, r.Endpoint, r.Data)
	}
	return w, nil
}

// delta describes next against prev: ops is a list of runs; n > 0
// followed by from >= 0 copies n entries of prev from that index, n > 0
// followed by -(from+1) copies them as new entries of equal value (see
// undelta's fresh), n < 0 takes the next -n entries of lits. same says
// whether two equal entries are the same one (pointers); eq compares
// values.
func delta[T any](prev, next []T, key func(T) string, eq, same func(a, b T) bool) (ops []int32, lits []T) {
	var idx map[string]int
	guess := 0
	pendingLits := 0
	flush := func() {
		if pendingLits > 0 {
			ops = append(ops, int32(-pendingLits))
			pendingLits = 0
		}
	}
	for i := 0; i < len(next); {
		p := -1
		if guess < len(prev) && eq(prev[guess], next[i]) {
			p = guess
		} else if len(prev) > 0 {
			if idx == nil {
				idx = make(map[string]int, len(prev))
				for j, v := range prev {
					idx[key(v)] = j
				}
			}
			if j, ok := idx[key(next[i])]; ok && eq(prev[j], next[i]) {
				p = j
			}
		}
		if p < 0 {
			lits = append(lits, next[i])
			pendingLits++
			i++
			continue
		}
		ident := same(prev[p], next[i])
		n := 1
		for i+n < len(next) && p+n < len(prev) && eq(prev[p+n], next[i+n]) && same(prev[p+n], next[i+n]) == ident {
			n++
		}
		flush()
		from := int32(p)
		if !ident {
			from = -from - 1
		}
		ops = append(ops, int32(n), from)
		i += n
		guess = p + n
	}
	flush()
	return ops, lits
}

// undelta rebuilds a list from prev and a delta; fresh makes a new entry
// equal to one of prev.
func undelta[T any](prev []T, ops []int32, lits []T, fresh func(T) T) ([]T, error) {
	n := 0
	for i := 0; i < len(ops); i++ {
		if ops[i] > 0 {
			n += int(ops[i])
			i++
		} else {
			n += int(-ops[i])
		}
	}
	out := make([]T, 0, n)
	l := 0
	for i := 0; i < len(ops); i++ {
		c := int(ops[i])
		switch {
		case c > 0:
			if i+1 >= len(ops) {
				return nil, fmt.Errorf("bad delta")
			}
			from, copied := int(ops[i+1]), false
			if from < 0 {
				from, copied = -from-1, true
			}
			i++
			if from+c > len(prev) {
				return nil, fmt.Errorf("bad delta: copy %d from %d of %d", c, from, len(prev))
			}
			if !copied {
				out = append(out, prev[from:from+c]...)
				break
			}
			for _, v := range prev[from : from+c] {
				out = append(out, fresh(v))
			}
		case c < 0:
			if l-c > len(lits) {
				return nil, fmt.Errorf("bad delta: %d new entries of %d", -c, len(lits)-l)
			}
			out = append(out, lits[l:l-c]...)
			l -= c
		}
	}
	return out, nil
}

func same[T comparable](a, b T) bool { return a == b }

func itself[T any](v T) T { return v }

// decoder turns wire readings back into readings, keeping the last list
// of each target and endpoint for the deltas.
type decoder struct {
	prev map[listKey]any
	prim primaryHashes
}

func newDecoder() *decoder { return &decoder{prev: map[listKey]any{}} }

// clone copies the decoder's lists (shared: they are never changed).
func (d *decoder) clone() *decoder {
	c := &decoder{prev: make(map[listKey]any, len(d.prev)), prim: d.prim}
	for k, v := range d.prev {
		c.prev[k] = v
	}
	return c
}

func (d *decoder) reading(w wireReading) (model.Reading, error) {
	r := model.Reading{Target: model.TargetID{Farm: w.Farm, Node: w.Node, GitLab: w.GitLab, Project: w.Project},
		Endpoint: model.Endpoint(w.Endpoint), At: fromNanos(w.At), Took: time.Duration(w.Took), Unsupported: w.Unsupported,
		CertExpiry: fromNanos(w.Cert), HasClockOffset: w.HasClock, ClockOffset: time.Duration(w.Clock)}
	if w.HasErr {
		r.Err = &Error{Msg: w.Err, Status: w.ErrStatus}
		return r, nil
	}
	k := listKey{r.Target, r.Endpoint}
	var err error
	switch w.Kind {
	case kNone:
	case kStatus:
		r.Data = deref(w.Status)
	case kApp:
		r.Data = deref(w.App)
	case kServers:
		r.Data = orEmpty(w.Servers)
	case kFarmSpec:
		r.Data = deref(w.FarmSpec)
	case kMembers:
		r.Data = deref(w.Members)
	case kRequests:
		r.Data = orEmpty(w.Requests)
	case kUpstream:
		r.Data = deref(w.Upstream)
	case kProgress:
		r.Data = deref(w.Progress)
	case kCluster:
		r.Data = orEmpty(w.Cluster)
	case kSettings:
		r.Data = deref(w.Settings)
	case kInt:
		r.Data = w.Int
	case kDelayed:
		r.Data = orEmpty(w.Delayed)
	case kDiag:
		r.Data = model.Diagnostics(w.Diag)
	case kUnchanged:
		r.Data = model.Unchanged{Since: fromNanos(w.Since)}
	case kStrings:
		r.Data = orEmpty(w.Strings)
	case kGLProject:
		r.Data = deref(w.GLProject)
	case kGLVersion:
		r.Data = deref(w.GLVersion)
	case kGLSettings:
		r.Data = deref(w.GLMirror)
	case kGLDenied:
		r.Data = model.GitLabSettingsDenied{}
	case kRepos:
		prev, _ := d.prev[k].([]model.Repo)
		var l []model.Repo
		l, err = undelta(prev, w.Ops, w.Repos, itself)
		r.Data, d.prev[k] = l, l
	case kSyncs:
		prev, _ := d.prev[k].([]*model.RepoSyncStatus)
		var lits []*model.RepoSyncStatus
		var l []*model.RepoSyncStatus
		if lits, err = d.syncEntries(&w, prev); err != nil {
			return r, err
		}
		l, err = undelta(prev, w.Ops, lits, func(s *model.RepoSyncStatus) *model.RepoSyncStatus { c := *s; return &c })
		r.Data, d.prev[k] = l, l
		d.prim.noteSync(k)
	case kQueue:
		prev, _ := d.prev[k].([]model.QueueItem)
		var l []model.QueueItem
		l, err = undelta(prev, w.Ops, w.Queue, itself)
		r.Data, d.prev[k] = l, l
	case kLocks:
		prev, _ := d.prev[k].([]model.LockOwner)
		var l []model.LockOwner
		l, err = undelta(prev, w.Ops, w.Locks, itself)
		r.Data, d.prev[k] = l, l
	case kHashSet:
		prev, _ := d.prev[k].(model.RepoHashSet)
		l := make(model.RepoHashSet, len(prev)+len(w.Hashes))
		for id, h := range prev {
			l[id] = h
		}
		for _, id := range w.Removed {
			delete(l, id)
		}
		for id, h := range w.Hashes {
			l[id] = h
		}
		r.Data, d.prev[k] = l, l
	case kOOS:
		prev, _ := d.prev[k].(model.OutOfSyncRepos)
		l := make(model.OutOfSyncRepos, len(prev)+len(w.OOS))
		for id, v := range prev {
			if v {
				l[id] = true
			}
		}
		for _, id := range w.Removed {
			delete(l, id)
		}
		for _, id := range w.OOS {
			l[id] = true
		}
		r.Data, d.prev[k] = l, l
	default:
		return r, fmt.Errorf("unknown data kind %d", w.Kind)
	}
	return r, err
}

func deref[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}

// orEmpty keeps an empty list empty rather than nil (gob sends neither).
func orEmpty[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

// syncMask bits: which fields of a sync entry differ from the entry it
// changes; a hash may instead be the primary's for the repository.
const (
	smContent uint8 = 1 << iota
	smMeta
	smInitial
	smLast
	smLocal
	smFailed
	smContentPrimary
	smMetaPrimary
)

// primaryHashes is the reference a sync list's hashes are stored
// against, by repository id: the primary's latest repository list, or,
// before the primary's is read, the first node's sync list (a node's
// hashes are mostly the primary's, and the other nodes'). It is made when
// a sync list needs it, from lists that are never changed.
type primaryHashes struct {
	// first is the first sync list's target and endpoint.
	first    listKey
	hasFirst bool
	id       any // the first entry of the list byID was made from
	n        int
	byID     map[string]model.Hashes
}

func (p *primaryHashes) of(prev map[listKey]any) map[string]model.Hashes {
	if l, _ := prev[listKey{model.PrimaryTarget, model.EPRepos}].([]model.Repo); len(l) > 0 {
		if p.byID == nil || p.id != any(&l[0]) || p.n != len(l) {
			p.id, p.n, p.byID = &l[0], len(l), make(map[string]model.Hashes, len(l))
			for _, r := range l {
				p.byID[r.ID] = r.Hashes
			}
		}
		return p.byID
	}
	if l, _ := prev[p.first].([]*model.RepoSyncStatus); p.hasFirst && len(l) > 0 {
		if p.byID == nil || p.id != any(l[0]) || p.n != len(l) {
			p.id, p.n, p.byID = l[0], len(l), make(map[string]model.Hashes, len(l))
			for _, s := range l {
				p.byID[s.ExternalRepoID] = s.Hashes
			}
		}
		return p.byID
	}
	return nil
}

// noteSync makes k the first sync list if there is none yet.
func (p *primaryHashes) noteSync(k listKey) {
	if !p.hasFirst {
		p.first, p.hasFirst = k, true
	}
}

// syncColumns stores a sync list's new entries as changes of the previous
// entries of the same repositories (see wireReading.SyncFrom).
func (e *encoder) syncColumns(w *wireReading, prev, lits []*model.RepoSyncStatus) {
	if len(lits) == 0 {
		return
	}
	idx := make(map[string]int, len(prev))
	for i, s := range prev {
		idx[s.ExternalRepoID] = i
	}
	prim := e.prim.of(e.prev)
	var lastI, lastL int64
	for _, s := range lits {
		from, base := -1, model.RepoSyncStatus{}
		if j, ok := idx[s.ExternalRepoID]; ok {
			from, base = j, *prev[j]
		} else {
			w.SyncIDs = append(w.SyncIDs, s.ExternalRepoID)
		}
		var m uint8
		ph, hasP := prim[s.ExternalRepoID]
		switch {
		case s.Hashes.Content == base.Hashes.Content:
		case hasP && s.Hashes.Content == ph.Content:
			m |= smContentPrimary
		default:
			m |= smContent
			w.SyncContent = append(w.SyncContent, s.Hashes.Content)
		}
		switch {
		case s.Hashes.Metadata == base.Hashes.Metadata:
		case hasP && s.Hashes.Metadata == ph.Metadata:
			m |= smMetaPrimary
		default:
			m |= smMeta
			w.SyncMeta = append(w.SyncMeta, s.Hashes.Metadata)
		}
		if s.InitialSyncDate != base.InitialSyncDate {
			m |= smInitial
			w.SyncInitial = append(w.SyncInitial, int64(s.InitialSyncDate)-lastI)
			lastI = int64(s.InitialSyncDate)
		}
		if s.LastSyncDate != base.LastSyncDate {
			m |= smLast
			w.SyncLast = append(w.SyncLast, int64(s.LastSyncDate)-lastL)
			lastL = int64(s.LastSyncDate)
		}
		if s.LocalRepoID != base.LocalRepoID {
			m |= smLocal
			w.SyncLocal = append(w.SyncLocal, s.LocalRepoID)
		}
		if s.FailedSyncCount != base.FailedSyncCount {
			m |= smFailed
			w.SyncFailed = append(w.SyncFailed, s.FailedSyncCount)
		}
		w.SyncFrom = append(w.SyncFrom, int32(from))
		w.SyncMask = append(w.SyncMask, m)
	}
}

// syncEntries rebuilds a sync list's new entries from their columns.
func (d *decoder) syncEntries(w *wireReading, prev []*model.RepoSyncStatus) ([]*model.RepoSyncStatus, error) {
	if len(w.SyncMask) != len(w.SyncFrom) {
		return nil, fmt.Errorf("bad sync columns")
	}
	var prim map[string]model.Hashes
	out := make([]*model.RepoSyncStatus, len(w.SyncMask))
	var ids, content, meta, initial, last, local, failed int
	var lastI, lastL int64
	bad := false
	take := func(n *int, l int) int {
		i := *n
		if i >= l {
			bad = true
			return -1
		}
		*n++
		return i
	}
	for k, m := range w.SyncMask {
		var s model.RepoSyncStatus
		if from := int(w.SyncFrom[k]); from >= 0 {
			if from >= len(prev) {
				return nil, fmt.Errorf("bad sync entry: %d of %d", from, len(prev))
			}
			s = *prev[from]
		} else if i := take(&ids, len(w.SyncIDs)); i >= 0 {
			s.ExternalRepoID = w.SyncIDs[i]
		}
		if m&(smContentPrimary|smMetaPrimary) != 0 && prim == nil {
			prim = d.prim.of(d.prev)
		}
		switch {
		case m&smContent != 0:
			if i := take(&content, len(w.SyncContent)); i >= 0 {
				s.Hashes.Content = w.SyncContent[i]
			}
		case m&smContentPrimary != 0:
			s.Hashes.Content = prim[s.ExternalRepoID].Content
		}
		switch {
		case m&smMeta != 0:
			if i := take(&meta, len(w.SyncMeta)); i >= 0 {
				s.Hashes.Metadata = w.SyncMeta[i]
			}
		case m&smMetaPrimary != 0:
			s.Hashes.Metadata = prim[s.ExternalRepoID].Metadata
		}
		if m&smInitial != 0 {
			if i := take(&initial, len(w.SyncInitial)); i >= 0 {
				lastI += w.SyncInitial[i]
				s.InitialSyncDate = model.Millis(lastI)
			}
		}
		if m&smLast != 0 {
			if i := take(&last, len(w.SyncLast)); i >= 0 {
				lastL += w.SyncLast[i]
				s.LastSyncDate = model.Millis(lastL)
			}
		}
		if m&smLocal != 0 {
			if i := take(&local, len(w.SyncLocal)); i >= 0 {
				s.LocalRepoID = w.SyncLocal[i]
			}
		}
		if m&smFailed != 0 {
			if i := take(&failed, len(w.SyncFailed)); i >= 0 {
				s.FailedSyncCount = w.SyncFailed[i]
			}
		}
		if bad {
			return nil, fmt.Errorf("bad sync columns")
		}
		out[k] = &s
	}
	return out, nil
}
