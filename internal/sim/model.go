package sim

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// zeroHash is the "empty" hash Bitbucket shows for repositories whose
// content or metadata has not changed since the upstream was upgraded to a
// farm-capable version.
const zeroHash = "0000000000000000000000000000000000000000"

var projectCatalog = []struct{ key, name string }{
	{"PLAT", "Platform"},
	{"WEB", "Web"},
	{"DATA", "Data"},
	{"OPS", "Operations"},
	{"MOB", "Mobile"},
	{"SEC", "Security"},
}

var repoWords = []string{
	"api-gateway", "billing", "auth-service", "web-frontend", "payments",
	"search", "notifications", "inventory", "analytics", "user-profile",
	"checkout", "catalog", "reporting", "scheduler", "mailer",
	"config-server", "infra-terraform", "helm-charts", "ci-pipelines", "docs",
	"mobile-app", "ios-client", "android-client", "data-lake", "etl-jobs",
	"ml-models", "feature-flags", "audit-log", "rate-limiter", "cache-proxy",
	"event-bus", "ledger", "invoicing", "shipping", "tax-engine",
	"identity", "sso-bridge", "vault-policies", "monitoring", "alerting",
}

// nodeFactors slow down later nodes of a farm so they visibly lag.
var nodeFactors = []float64{1.0, 1.3, 1.7, 2.0, 2.4}

type project struct {
	id    int
	key   string
	name  string
	repos []int32 // repo ids, ascending
}

type repo struct {
	project int32 // index into Sim.projects
	slug    string
}

// nodeRepo is one repository's copy on one mirror node. Versions are kept
// as small integers; hashes are derived when served.
type nodeRepo struct {
	content     uint32
	meta        uint32
	failed      uint32 // failedSyncCount
	present     bool
	initSync    int64 // Unix ms, 0 = never
	lastSync    int64 // Unix ms, 0 = never
	differSince int64 // Unix ms since the copy differs from the primary, 0 = in sync
}

type node struct {
	s            *Sim
	farm         *farm
	idx          int
	name         string
	id           string
	factor       float64
	srv          *server
	down         bool
	left         bool         // not a member of the farm's cluster (see SetMember)
	repos        []nodeRepo   // indexed by repo id
	presentCount int          // mirrored repositories present on this node
	gitRoot      string       // directory of the node's git copies, if any
	gitCGI       http.Handler // http-backend of the node's git copies, if any
}

type qitem struct {
	repo    int32
	typ     string // INCREMENTAL or SNAPSHOT
	attempt int
	created int64 // Unix ms
}

type worker struct {
	idx     int
	item    *qitem // nil when free
	pending int    // node syncs still running
	failed  bool
	lockAt  int64 // Unix ms
	reqID   string
	nodeID  string
	thread  string
}

type farm struct {
	s              *Sim
	idx            int
	spec           FarmSpec
	name           string
	mirrorID       string // id on the primary (mirrorServers)
	upstreamID     string // id of the primary as seen by the farm
	nodes          []*node
	lb             *server
	mirrorsProject []bool // per project index
	mirroredCount  int
	projectIDs     []string
	allProjects    bool // mode ALL_PROJECTS

	queue    list.List       // of *qitem, oldest first
	waiting  []*list.Element // per repo id
	busy     []bool          // per repo id: a worker is syncing it
	stuck    map[int32]*stuckLock
	workers  []*worker
	started  bool // false until an InitialSync farm has discovered its repositories
	complete bool // initial sync done
	lastSeen int64
	rr       atomic.Uint64
}

type mirroringRequest struct {
	id      int
	state   string
	farm    *farm // nil for requests of farms that are not simulated
	mirror  string
	name    string
	baseURL string
	version string
}

func (f *farm) mirrors(s *Sim, id int) bool { return f.mirrorsProject[s.repos[id].project] }

// upNodes counts the cluster's members: nodes that are up and have not
// left. memberCount and /farmNodes agree with it.
func (f *farm) upNodes() int {
	c := 0
	for _, n := range f.nodes {
		if !n.down && !n.left {
			c++
		}
	}
	return c
}

func (s *Sim) build() {
	o := &s.opts
	for i := 0; i < o.Projects; i++ {
		p := &project{id: i + 1}
		if i < len(projectCatalog) {
			p.key, p.name = projectCatalog[i].key, projectCatalog[i].name
		} else {
			p.key, p.name = "P"+strconv.Itoa(i+1), "Project "+strconv.Itoa(i+1)
		}
		s.projects = append(s.projects, p)
	}

	n := o.Repos
	s.repos = make([]repo, n+1)
	s.pContent = make([]uint32, n+1)
	s.pMeta = make([]uint32, n+1)
	s.hashes[0] = make([]atomic.Pointer[cachedHash], n+1)
	s.hashes[1] = make([]atomic.Pointer[cachedHash], n+1)
	for id := 1; id <= n; id++ {
		pi := (id - 1) % o.Projects
		k := (id - 1) / o.Projects // index of the repo within its project
		w := (k + pi*7) % len(repoWords)
		slug := repoWords[w]
		if r := k / len(repoWords); r > 0 {
			slug += "-" + strconv.Itoa(r+1)
		}
		s.repos[id] = repo{project: int32(pi), slug: slug}
		p := s.projects[pi]
		p.repos = append(p.repos, int32(id))
		s.pContent[id] = 1 + uint32(s.rng.IntN(40))
		s.pMeta[id] = 1 + uint32(s.rng.IntN(5))
	}
	// About 2% of the repositories never changed since the upgrade: both
	// their hashes are the all-zero "empty" hash, on every side.
	zeros := max(1, n/50)
	for picked := 0; picked < zeros; {
		id := 1 + s.rng.IntN(n)
		if s.pContent[id] == 0 {
			continue
		}
		s.pContent[id], s.pMeta[id] = 0, 0
		picked++
	}

	s.farmByName = map[string]*farm{}
	for fi, spec := range o.Farms {
		f := s.newFarm(fi, spec, serverID(s.digest("mirror", spec.Name)))
		s.farms = append(s.farms, f)
		s.farmByName[f.name] = f
	}

	// Mirroring requests: one ACCEPTED per farm and one PENDING from a
	// mirror that has not been approved yet.
	for _, f := range s.farms {
		s.requests = append(s.requests, mirroringRequest{
			id: len(s.requests) + 1, state: "ACCEPTED", farm: f, mirror: f.mirrorID,
			name: f.name, version: f.spec.Version,
		})
	}
	s.requests = append(s.requests, mirroringRequest{
		id: len(s.requests) + 1, state: "PENDING", mirror: uuidOf(s.digest("request", "apac")),
		name: "apac", baseURL: "https://mirror-apac.example.com", version: "9.6.2",
	})
	s.nextReq = len(s.requests) + 1

	// Stuck repositories: mirrored by the first farm, never the zero-hash
	// ones, chosen by the seed; git-backed repositories are picked first.
	s.stuck = make([]bool, n+1)
	if len(s.farms) > 0 && o.StuckRepos > 0 {
		f := s.farms[0]
		s.stuckNode = f.nodes[len(f.nodes)-1]
		var gitCands, cands []int
		for id := 1; id <= n; id++ {
			if !f.mirrors(s, id) || s.pContent[id] == 0 {
				continue
			}
			if id <= o.GitRepos {
				gitCands = append(gitCands, id)
			} else {
				cands = append(cands, id)
			}
		}
		left := s.pickStuck(gitCands, o.StuckRepos)
		s.pickStuck(cands, left)
	}
}

// pickStuck marks up to k random candidates as stuck and returns how many
// are still to be picked.
func (s *Sim) pickStuck(cands []int, k int) int {
	picked := min(k, len(cands))
	for i := 0; i < picked; i++ {
		j := i + s.rng.IntN(len(cands)-i)
		cands[i], cands[j] = cands[j], cands[i]
		s.stuck[cands[i]] = true
	}
	return k - picked
}

// newFarm builds a farm and its nodes. A farm that does not start with an
// initial sync gets every mirrored repository on every node, with
// seed-chosen sync dates. Called at build time or with s.mu held.
func (s *Sim) newFarm(fi int, spec FarmSpec, mirrorID string) *farm {
	o := &s.opts
	n := len(s.repos) - 1
	startMs := s.startNs / int64(time.Millisecond)
	f := &farm{
		s:           s,
		idx:         fi,
		spec:        spec,
		name:        spec.Name,
		mirrorID:    mirrorID,
		upstreamID:  uuidOf(s.digest("upstream", spec.Name)),
		allProjects: spec.AllProjects,
		waiting:     make([]*list.Element, n+1),
		busy:        make([]bool, n+1),
		started:     !spec.InitialSync,
		complete:    !spec.InitialSync,
	}
	f.mirrorsProject = make([]bool, len(s.projects))
	for pi, p := range s.projects {
		sel := spec.AllProjects
		for _, k := range spec.ProjectKeys {
			if strings.EqualFold(k, p.key) {
				sel = true
			}
		}
		f.mirrorsProject[pi] = sel
		if sel {
			f.mirroredCount += len(p.repos)
		}
	}
	f.rebuildProjectIDs(s)
	for wi := 0; wi < spec.Workers; wi++ {
		f.workers = append(f.workers, &worker{idx: wi})
	}
	for ni := 0; ni < spec.Nodes; ni++ {
		nd := &node{
			s:      s,
			farm:   f,
			idx:    ni,
			name:   spec.Name + "-" + strconv.Itoa(ni+1),
			factor: nodeFactor(ni),
			repos:  make([]nodeRepo, n+1),
		}
		nd.id = uuidOf(s.digest("node", nd.name))
		if !spec.InitialSync {
			for id := 1; id <= n; id++ {
				if !f.mirrorsProject[s.repos[id].project] {
					continue
				}
				nr := &nd.repos[id]
				nr.content, nr.meta, nr.present = s.pContent[id], s.pMeta[id], true
				nr.initSync = startMs - int64(time.Hour/time.Millisecond)*int64(24+s.rng.IntN(24*400)) - int64(s.rng.IntN(3600000))
				nr.lastSync = startMs - int64(s.rng.IntN(max(1, int(o.SyncInterval/time.Millisecond))))
			}
			nd.presentCount = f.mirroredCount
		}
		f.nodes = append(f.nodes, nd)
	}
	return f
}

// rebuildProjectIDs derives the selected project ids, in project order,
// from mirrorsProject; a farm mirroring all projects lists none.
func (f *farm) rebuildProjectIDs(s *Sim) {
	f.projectIDs = f.projectIDs[:0]
	if f.allProjects {
		return
	}
	for pi, p := range s.projects {
		if f.mirrorsProject[pi] {
			f.projectIDs = append(f.projectIDs, strconv.Itoa(p.id))
		}
	}
}

func nodeFactor(i int) float64 {
	if i < len(nodeFactors) {
		return nodeFactors[i]
	}
	return nodeFactors[len(nodeFactors)-1] + 0.4*float64(i-len(nodeFactors)+1)
}

// digest derives stable bytes from the seed and some labels.
func (s *Sim) digest(parts ...string) [32]byte {
	h := sha256.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], s.opts.Seed)
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func uuidOf(d [32]byte) string {
	d[6] = d[6]&0x0f | 0x40
	d[8] = d[8]&0x3f | 0x80
	x := hex.EncodeToString(d[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// serverID formats an id in the style of mirror server ids,
// e.g. "B0F5-CS21-45C2-CCK3".
func serverID(d [32]byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	for i := 0; i < 16; i++ {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[int(d[i])%len(alphabet)])
	}
	return b.String()
}

func versionHash(kind byte, id int, ver uint32) string {
	if ver == 0 {
		return zeroHash
	}
	var b [9]byte
	b[0] = kind
	binary.BigEndian.PutUint32(b[1:], uint32(id))
	binary.BigEndian.PutUint32(b[5:], ver)
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:])
}

// cachedHash is a version's hex digest, kept because every page of every
// node would otherwise hash every repository again.
type cachedHash struct {
	ver uint32
	hex string
}

// versionHashCached is versionHash through the simulator's cache.
func (s *Sim) versionHashCached(kind byte, id int, ver uint32) string {
	k := 0
	if kind == 'm' {
		k = 1
	}
	if id < 0 || id >= len(s.hashes[k]) {
		return versionHash(kind, id, ver)
	}
	slot := &s.hashes[k][id]
	if c := slot.Load(); c != nil && c.ver == ver {
		return c.hex
	}
	h := versionHash(kind, id, ver)
	slot.Store(&cachedHash{ver: ver, hex: h})
	return h
}

func contentHash(id int, ver uint32) string  { return versionHash('c', id, ver) }
func metadataHash(id int, ver uint32) string { return versionHash('m', id, ver) }

func hierarchyID(id int) string {
	var b [5]byte
	b[0] = 'h'
	binary.BigEndian.PutUint32(b[1:], uint32(id))
	sum := sha256.Sum256(b[:])
	return hex.EncodeToString(sum[:10])
}

// repoName turns a slug such as "api-gateway-2" into "Api Gateway 2".
func repoName(slug string) string {
	parts := strings.Split(slug, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}

// buildNumber turns "9.6.2" into "9006002".
func buildNumber(version string) string {
	parts := strings.SplitN(version, ".", 3)
	n := 0
	for i := 0; i < 3; i++ {
		n *= 1000
		if i < len(parts) {
			v, _ := strconv.Atoi(parts[i])
			n += v
		}
	}
	return strconv.Itoa(n)
}

// projectByKey finds a project by key (any case), also in its hostile form
// (see Options.Hostile).
func (s *Sim) projectByKey(key string) *project {
	for _, p := range s.projects {
		if strings.EqualFold(p.key, key) {
			return p
		}
	}
	for _, p := range s.projects {
		if matchesHostile(key, p.key) {
			return p
		}
	}
	return nil
}

// repoBySlug finds a repository of a project by slug, also in its hostile
// form, and returns its id or 0.
func (s *Sim) repoBySlug(p *project, slug string) int {
	for _, id := range p.repos {
		if s.repos[id].slug == slug {
			return int(id)
		}
	}
	for _, id := range p.repos {
		if matchesHostile(slug, s.repos[id].slug) {
			return int(id)
		}
	}
	return 0
}
