package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("the git command is not available")
	}
}

// gitClient runs the real git client against the simulator, isolated from
// any user configuration, sending auth (when not empty) as the
// Authorization header.
func gitClient(t *testing.T, auth string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	full := []string{"-c", "credential.helper="}
	if auth != "" {
		full = append(full, "-c", "http.extraHeader=Authorization: "+auth)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append(full, args...)...)
	cmd.Env = gitEnviron(home)
	cmd.Dir = home
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return out.String(), &gitError{err: err, stderr: stderr.String()}
	}
	return out.String(), nil
}

type gitError struct {
	err    error
	stderr string
}

func (e *gitError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }

// lsRemote lists the refs a server advertises for a repository URL.
func lsRemote(t *testing.T, auth, url string) map[string]string {
	t.Helper()
	out, err := gitClient(t, auth, "ls-remote", url)
	if err != nil {
		t.Fatalf("git ls-remote %s: %v", url, err)
	}
	refs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		oid, name, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("ls-remote line %q", line)
		}
		refs[name] = oid
	}
	return refs
}

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// withoutPeeled drops HEAD and the peeled "^{}" entries that ls-remote
// adds to the refs.
func withoutPeeled(refs map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range refs {
		if k != "HEAD" && !strings.HasSuffix(k, "^{}") {
			out[k] = v
		}
	}
	return out
}

// scmPath is the /scm/ path of a repository.
func scmPath(s *Sim, id int) string {
	rp := &s.repos[id]
	return "/scm/" + strings.ToLower(s.projects[rp.project].key) + "/" + rp.slug + ".git"
}

func gitRefs(t *testing.T, s *Sim, farm, node string, id int) map[string]string {
	t.Helper()
	refs, err := s.GitRefs(farm, node, id)
	if err != nil {
		t.Fatalf("GitRefs(%q, %q, %d): %v", farm, node, id, err)
	}
	return refs
}

func checkGitHealthy(t *testing.T, s *Sim) {
	t.Helper()
	if err := s.git.failure(); err != nil {
		t.Fatalf("git work failed: %v", err)
	}
}

// readPktLines reads a pkt-line stream up to its first flush packet.
func readPktLines(t *testing.T, r *bufio.Reader) []string {
	t.Helper()
	var lines []string
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			t.Fatalf("pkt-line header: %v", err)
		}
		b, err := hex.DecodeString(string(hdr[:]))
		if err != nil {
			t.Fatalf("pkt-line header %q", hdr)
		}
		n := int(b[0])<<8 | int(b[1])
		if n == 0 {
			return lines
		}
		if n < 4 {
			t.Fatalf("pkt-line length %d", n)
		}
		data := make([]byte, n-4)
		if _, err := io.ReadFull(r, data); err != nil {
			t.Fatalf("pkt-line data: %v", err)
		}
		lines = append(lines, strings.TrimSuffix(string(data), "\n"))
	}
}

func TestGitSmartHTTP(t *testing.T) {
	needGit(t)
	t0 := time.Now()
	s := startSim(t, quiet(Options{GitRepos: 3, User: "admin", Password: "pw"}))
	t.Logf("Start with 3 git-backed repositories: %v", time.Since(t0))
	auth := basicAuth("admin", "pw")
	c := newClient(t).withBasic("admin", "pw")

	var repo struct {
		Links struct {
			Clone []link `json:"clone"`
		} `json:"links"`
	}
	c.getJSON(s.PrimaryURL()+api+"repos/1", &repo)
	url := repo.Links.Clone[0].Href
	if url != s.PrimaryURL()+"/scm/plat/api-gateway.git" {
		t.Fatalf("clone URL %s", url)
	}

	// The primary advertises main, the release branch and the tag.
	primary := gitRefs(t, s, "", "", 1)
	for _, ref := range []string{"refs/heads/main", "refs/heads/release/1.0", "refs/tags/v1.0"} {
		if !isHex(primary[ref], 40) {
			t.Fatalf("primary refs %v lack %s", primary, ref)
		}
	}
	if len(primary) != 3 {
		t.Fatalf("primary refs %v", primary)
	}
	refs := lsRemote(t, auth, url)
	if !maps.Equal(withoutPeeled(refs), primary) || refs["refs/tags/v1.0^{}"] != primary["refs/heads/release/1.0"] || refs["HEAD"] != primary["refs/heads/main"] {
		t.Fatalf("ls-remote %v, GitRefs %v", refs, primary)
	}
	// Protocol v0 too, and the advertisement read by hand.
	out, err := gitClient(t, auth, "-c", "protocol.version=0", "ls-remote", "--heads", url)
	if err != nil || !strings.Contains(out, primary["refs/heads/release/1.0"]+"\trefs/heads/release/1.0") {
		t.Fatalf("ls-remote v0: %v\n%s", err, out)
	}
	r, err := c.do(http.MethodGet, url+"/info/refs?service=git-upload-pack")
	if err != nil || r.status != http.StatusOK || r.header.Get("Content-Type") != "application/x-git-upload-pack-advertisement" {
		t.Fatalf("info/refs: %v %d %q", err, r.status, r.header.Get("Content-Type"))
	}
	br := bufio.NewReader(bytes.NewReader(r.body))
	if first := readPktLines(t, br); len(first) != 1 || first[0] != "# service=git-upload-pack" {
		t.Fatalf("info/refs service line %q", first)
	}
	adv := map[string]string{}
	for i, line := range readPktLines(t, br) {
		if i == 0 {
			line, _, _ = strings.Cut(line, "\x00") // capabilities
		}
		oid, name, _ := strings.Cut(line, " ")
		adv[name] = oid
	}
	if !maps.Equal(adv, refs) {
		t.Fatalf("advertisement %v, ls-remote %v", adv, refs)
	}

	// Every node that mirrors the repository serves its own copy; so does
	// the load balancer.
	eu, us := farmInfo(t, s, "eu"), farmInfo(t, s, "us")
	for _, u := range []string{eu.Nodes[0].URL, eu.Nodes[2].URL, eu.URL, us.Nodes[1].URL} {
		if got := lsRemote(t, auth, u+"/scm/plat/api-gateway.git"); !maps.Equal(got, refs) {
			t.Fatalf("%s advertises %v, primary %v", u, got, refs)
		}
	}
	for _, n := range eu.Nodes {
		if got := gitRefs(t, s, "eu", n.Name, 3); !maps.Equal(got, gitRefs(t, s, "", "", 3)) {
			t.Fatalf("%s copy of repo 3: %v", n.Name, got)
		}
	}
	// A real clone through a node.
	dst := filepath.Join(t.TempDir(), "clone")
	if _, err := gitClient(t, auth, "clone", "-q", "-b", "release/1.0", eu.Nodes[1].URL+scmPath(s, 3), dst); err != nil {
		t.Fatalf("clone: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "VERSION")); err != nil || string(b) != "1.0.0\n" {
		t.Fatalf("cloned VERSION %q %v", b, err)
	}

	// Authentication, unknown repositories, pushes.
	anon := newClient(t)
	anon.expectStatus(http.MethodGet, url+"/info/refs?service=git-upload-pack", http.StatusUnauthorized)
	if _, err := gitClient(t, "", "ls-remote", url); err == nil {
		t.Fatal("ls-remote without credentials worked")
	}
	if _, err := gitClient(t, basicAuth("admin", "nope"), "ls-remote", eu.URL+"/scm/plat/api-gateway.git"); err == nil {
		t.Fatal("ls-remote with a wrong password worked")
	}
	c.expectStatus(http.MethodGet, s.PrimaryURL()+scmPath(s, 4)+"/info/refs?service=git-upload-pack", http.StatusNotFound) // not git-backed
	c.expectStatus(http.MethodGet, s.PrimaryURL()+"/scm/nope/x.git/info/refs", http.StatusNotFound)
	c.expectStatus(http.MethodGet, s.PrimaryURL()+"/scm/plat/api-gateway/info/refs", http.StatusNotFound)
	c.expectStatus(http.MethodGet, url+"/../../web/inventory.git/info/refs", http.StatusNotFound)
	c.expectStatus(http.MethodGet, url+"/info/refs?service=git-receive-pack", http.StatusForbidden)
	c.expectStatus(http.MethodPost, url+"/git-receive-pack", http.StatusForbidden)
	c.expectStatus(http.MethodGet, eu.URL+"/scm/plat/api-gateway.git/info/refs?service=git-receive-pack", http.StatusForbidden)
	work := filepath.Join(t.TempDir(), "work")
	if _, err := gitClient(t, auth, "clone", "-q", url, work); err != nil {
		t.Fatal(err)
	}
	if out, err := gitClient(t, auth, "-C", work, "push", "origin", "HEAD:refs/heads/evil"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("push over HTTP: %v %s", err, out)
	}

	// Faults and the request log apply to /scm/.
	s.SetFault("eu/eu-1", "/scm/", Fault{Status: http.StatusServiceUnavailable, Times: 1})
	if _, err := gitClient(t, auth, "ls-remote", eu.Nodes[0].URL+"/scm/plat/api-gateway.git"); err == nil {
		t.Fatal("a faulted ls-remote worked")
	}
	lsRemote(t, auth, eu.Nodes[0].URL+"/scm/plat/api-gateway.git")
	if s.RequestCount("primary", "/scm/plat/api-gateway.git/") < 4 || s.RequestCount("eu/eu-1", "/scm/") < 2 {
		t.Fatalf("RequestCount: primary %d, eu-1 %d", s.RequestCount("primary", "/scm/"), s.RequestCount("eu/eu-1", "/scm/"))
	}
	var n503, n401 int
	for _, rq := range s.Requests() {
		if strings.HasPrefix(rq.Path, "/scm/") {
			switch {
			case rq.Target == "eu/eu-1" && rq.Status == http.StatusServiceUnavailable:
				n503++
			case rq.Status == http.StatusUnauthorized:
				n401++
			}
		}
	}
	if n503 != 1 || n401 < 3 {
		t.Fatalf("request log: %d x 503, %d x 401 on /scm/", n503, n401)
	}
	checkGitHealthy(t, s)
}

func TestGitPushAndSync(t *testing.T) {
	needGit(t)
	s := startSim(t, quiet(Options{GitRepos: 3}))
	before := gitRefs(t, s, "", "", 2)

	s.Push(2)
	after := gitRefs(t, s, "", "", 2)
	if after["refs/heads/main"] == before["refs/heads/main"] || after["refs/heads/release/1.0"] != before["refs/heads/release/1.0"] {
		t.Fatalf("push: %v -> %v", before, after)
	}
	for _, n := range []struct{ farm, node string }{{"eu", "eu-1"}, {"eu", "eu-3"}, {"us", "us-2"}} {
		if got := gitRefs(t, s, n.farm, n.node, 2); !maps.Equal(got, before) {
			t.Fatalf("%s/%s moved before any sync: %v", n.farm, n.node, got)
		}
	}
	s.Advance(time.Minute)
	for _, f := range s.Farms() {
		for _, n := range f.Nodes {
			if got := gitRefs(t, s, f.Name, n.Name, 2); !maps.Equal(got, after) {
				t.Fatalf("%s/%s did not catch up: %v, primary %v", f.Name, n.Name, got, after)
			}
		}
	}
	url := farmInfo(t, s, "us").Nodes[0].URL + scmPath(s, 2)
	if got := withoutPeeled(lsRemote(t, "", url)); got["refs/heads/main"] != after["refs/heads/main"] {
		t.Fatalf("us-1 advertises %v", got)
	}

	// Every fourth commit also creates a branch; a rename makes none.
	for i := 0; i < 3; i++ {
		s.Push(2)
	}
	s.Rename(2)
	primary := gitRefs(t, s, "", "", 2)
	if len(primary) != 4 || primary["refs/heads/feature/change-4"] != primary["refs/heads/main"] {
		t.Fatalf("refs after four pushes %v", primary)
	}
	s.Advance(time.Minute)
	if got := gitRefs(t, s, "eu", "eu-2", 2); !maps.Equal(got, primary) {
		t.Fatalf("eu-2 after four pushes %v", got)
	}

	// The object ids depend only on the options and the pushes.
	s2 := startSim(t, quiet(Options{GitRepos: 3}))
	s2.Push(2)
	s2.Advance(time.Minute)
	for i := 0; i < 3; i++ {
		s2.Push(2)
	}
	if got := gitRefs(t, s2, "", "", 2); !maps.Equal(got, primary) {
		t.Fatalf("a second run differs: %v vs %v", got, primary)
	}

	// Errors.
	if _, err := s.GitRefs("", "", 4); err == nil {
		t.Fatal("GitRefs of a repository that is not git-backed")
	}
	if _, err := s.GitRefs("eu", "eu-9", 1); err == nil {
		t.Fatal("GitRefs of an unknown node")
	}
	plain := startSim(t, quiet(Options{Repos: 10}))
	if _, err := plain.GitRefs("", "", 1); err == nil {
		t.Fatal("GitRefs without git repositories")
	}
	c := newClient(t)
	c.expectStatus(http.MethodGet, plain.PrimaryURL()+"/scm/plat/api-gateway.git/info/refs", http.StatusNotFound)
	checkGitHealthy(t, s)
}

func TestGitStuckRepo(t *testing.T) {
	needGit(t)
	s := startSim(t, quiet(Options{GitRepos: 3, StuckRepos: 2}))
	var stuck []int
	for id, v := range s.stuck {
		if v {
			stuck = append(stuck, id)
		}
	}
	if len(stuck) != 2 || stuck[0] > 3 || stuck[1] > 3 {
		t.Fatalf("stuck repositories %v, want git-backed ones", stuck)
	}
	s.Advance(2 * time.Minute)
	for _, id := range stuck {
		primary := gitRefs(t, s, "", "", id)
		old := gitRefs(t, s, "eu", "eu-3", id)
		if old["refs/heads/main"] == primary["refs/heads/main"] || old["refs/tags/v1.0"] != primary["refs/tags/v1.0"] {
			t.Fatalf("stuck repo %d: eu-3 %v, primary %v", id, old, primary)
		}
		if got := gitRefs(t, s, "eu", "eu-1", id); !maps.Equal(got, primary) {
			t.Fatalf("repo %d on eu-1 %v, primary %v", id, got, primary)
		}
		// The ref-level difference is visible over HTTP too.
		got := lsRemote(t, "", farmInfo(t, s, "eu").Nodes[2].URL+scmPath(s, id))
		if got["refs/heads/main"] != old["refs/heads/main"] {
			t.Fatalf("eu-3 advertises %v", got)
		}
	}
	checkGitHealthy(t, s)
}

func TestGitProjectsAndAcceptedFarm(t *testing.T) {
	needGit(t)
	s := startSim(t, quiet(Options{GitRepos: 3, Repos: 24, SyncTime: 200 * time.Millisecond}))
	c := newClient(t)
	us := farmInfo(t, s, "us")
	set := us.URL + api + "upstreamServers/" + us.UpstreamID + "/settings/projects/1"
	url := us.Nodes[0].URL + "/scm/plat/api-gateway.git"

	// Removing PLAT from us removes the node copies of repo 1.
	c.expectSend(http.MethodDelete, set, "", http.StatusNoContent, nil)
	for _, n := range us.Nodes {
		if _, err := s.GitRefs("us", n.Name, 1); err == nil {
			t.Fatalf("%s still holds a copy of repo 1", n.Name)
		}
	}
	c.expectStatus(http.MethodGet, url+"/info/refs?service=git-upload-pack", http.StatusNotFound)
	// Adding it back clones it again once synced.
	c.expectSend(http.MethodPost, set, "", http.StatusOK, nil)
	c.expectStatus(http.MethodGet, url+"/info/refs?service=git-upload-pack", http.StatusNotFound)
	s.Advance(time.Minute)
	primary := gitRefs(t, s, "", "", 1)
	if got := gitRefs(t, s, "us", "us-2", 1); !maps.Equal(got, primary) {
		t.Fatalf("us-2 after re-adding PLAT: %v", got)
	}
	lsRemote(t, "", url)

	// An accepted farm gets copies as its initial sync goes.
	id := s.AddRequest("apac", "")
	c.expectSend(http.MethodPost, s.PrimaryURL()+api+"requests/"+strconv.Itoa(id)+"/accept", "", http.StatusOK, nil)
	if _, err := s.GitRefs("apac", "apac-1", 1); err == nil {
		t.Fatal("the new farm holds a copy before its initial sync")
	}
	s.Push(1)
	s.Advance(5 * time.Minute)
	primary = gitRefs(t, s, "", "", 1)
	ap := farmInfo(t, s, "apac")
	for _, n := range ap.Nodes {
		for rid := 1; rid <= 3; rid++ {
			if got := gitRefs(t, s, "apac", n.Name, rid); !maps.Equal(got, gitRefs(t, s, "", "", rid)) {
				t.Fatalf("%s repo %d: %v", n.Name, rid, got)
			}
		}
	}
	if got := withoutPeeled(lsRemote(t, "", ap.URL+"/scm/plat/api-gateway.git")); !maps.Equal(got, primary) {
		t.Fatalf("apac LB advertises %v", got)
	}
	checkGitHealthy(t, s)
}

func TestGitRealTimeClock(t *testing.T) {
	needGit(t)
	s, err := Start(Options{GitRepos: 1, Repos: 6, PushEvery: -1, FailRate: -1, SyncTime: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.git.root
	before := gitRefs(t, s, "", "", 1)["refs/heads/main"]
	s.Push(1)
	deadline := time.Now().Add(20 * time.Second)
	for {
		primary := gitRefs(t, s, "", "", 1)["refs/heads/main"]
		got, err := s.GitRefs("eu", "eu-3", 1)
		if err == nil && primary != before && got["refs/heads/main"] == primary {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("eu-3 did not catch up in real time: %v %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Close left %s behind: %v", dir, err)
	}
}

func TestGitMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(Options{Manual: true, GitRepos: 1})
	if err == nil || !strings.Contains(err.Error(), "git") {
		t.Fatalf("Start without git: %v", err)
	}
}
