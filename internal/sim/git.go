package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	gitName  = "Mirrortop Simulator"
	gitEmail = "sim@mirrortop.invalid"
	// gitBranchEvery makes every n-th commit to a repository also create a
	// new branch.
	gitBranchEvery = 4
	// gitCmdTimeout bounds every git command.
	gitCmdTimeout = 2 * time.Minute
	// maxGitBody bounds the request body buffered for http-backend.
	maxGitBody = 64 << 20
)

type gitTaskKind uint8

const (
	gitCommit gitTaskKind = iota // commit in the work clone, push to the primary
	gitSync                      // clone or fetch a node copy from the primary
	gitRemove                    // delete a node copy
)

// gitTask is one piece of git work, run in order by the store's worker.
type gitTask struct {
	kind   gitTaskKind
	repo   int
	dir    string // node copy (gitSync, gitRemove)
	seq    int    // commit number of the repository (gitCommit)
	branch string // extra branch the commit creates, or "" (gitCommit)
	at     int64  // commit time in Unix seconds (gitCommit)
}

// gitStore holds the real git repositories of a simulator: one bare
// repository per git-backed primary repository, a private work clone of
// each to make commits in, and the bare copies of every node. Git commands
// run outside the simulator lock: at start-up in parallel, afterwards one
// at a time, in order, on a worker goroutine.
type gitStore struct {
	bin     string
	root    string
	env     []string     // environment of every git command
	cgiEnv  []string     // environment of http-backend, before its project root
	primary []string     // bare repository per repo id; index 0 unused
	work    []string     // work clone per repo id
	rel     []string     // "{key}/{slug}.git" per repo id
	pushes  []int        // commits made per repo id; guarded by Sim.mu
	cgi     http.Handler // http-backend of the primary's repositories
	ctx     context.Context
	cancel  context.CancelFunc

	mu     sync.Mutex
	cond   sync.Cond
	tasks  []gitTask
	busy   bool
	closed bool
	err    error // first failed task

	serve sync.RWMutex // held for reading while http-backend runs
	gone  bool         // the directory is being removed; guarded by serve
}

// setupGit creates the git repositories: the primary's, seeded with a few
// commits, branches and a tag, their work clones, and a mirror clone for
// every node that holds the repository. Called from Start before the
// servers listen.
func (s *Sim) setupGit() (*gitStore, error) {
	bin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("sim: Options.GitRepos needs the git command: %w", err)
	}
	root, err := os.MkdirTemp("", "mirrortop-sim-git-")
	if err != nil {
		return nil, fmt.Errorf("sim: git repositories: %w", err)
	}
	g := &gitStore{bin: bin, root: root}
	g.cond.L = &g.mu
	g.ctx, g.cancel = context.WithCancel(context.Background())
	home := filepath.Join(root, "home")
	g.cgiEnv = []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_HTTP_EXPORT_ALL=1"}
	g.env = gitEnviron(home)

	fail := func(err error) (*gitStore, error) {
		g.cancel()
		_ = os.RemoveAll(root)
		return nil, err
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "primary"), 0o755); err != nil {
		return fail(err)
	}
	g.cgi = g.handler(filepath.Join(root, "primary"))
	n := s.opts.GitRepos
	g.primary = make([]string, n+1)
	g.work = make([]string, n+1)
	g.rel = make([]string, n+1)
	g.pushes = make([]int, n+1)
	var jobs []func() error
	for id := 1; id <= n; id++ {
		rp := &s.repos[id]
		g.rel[id] = strings.ToLower(s.projects[rp.project].key) + "/" + rp.slug + ".git"
		g.primary[id] = filepath.Join(root, "primary", filepath.FromSlash(g.rel[id]))
		g.work[id] = filepath.Join(root, "work", strconv.Itoa(id))
		stream := s.seedStream(id)
		jobs = append(jobs, func() error { return g.createPrimary(id, stream) })
	}
	if err := runParallel(jobs); err != nil {
		return fail(err)
	}

	jobs = jobs[:0]
	for _, f := range s.farms {
		for _, nd := range f.nodes {
			if err := g.attach(nd); err != nil {
				return fail(err)
			}
			for id := 1; id <= n; id++ {
				if nd.repos[id].present {
					dir := filepath.Join(nd.gitRoot, filepath.FromSlash(g.rel[id]))
					jobs = append(jobs, func() error { return g.run(gitTask{kind: gitSync, repo: id, dir: dir}) })
				}
			}
		}
	}
	if err := runParallel(jobs); err != nil {
		return fail(err)
	}

	s.wg.Add(1)
	go g.loop(&s.wg)
	return g, nil
}

// gitEnviron returns the process environment without any GIT_ variable,
// with a private home so that no user or system configuration applies.
func gitEnviron(home string) []string {
	var env []string
	for _, e := range os.Environ() {
		k, _, _ := strings.Cut(e, "=")
		switch {
		case strings.HasPrefix(k, "GIT_"), k == "HOME", k == "XDG_CONFIG_HOME", k == "LC_ALL", k == "LANGUAGE":
			continue
		}
		env = append(env, e)
	}
	return append(env, "HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
}

// runParallel runs jobs on a few goroutines and returns the first error.
func runParallel(jobs []func() error) error {
	sem := make(chan struct{}, max(4, min(16, 2*runtime.NumCPU())))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for _, job := range jobs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := job(); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// attach gives a node its git directory and its http-backend handler.
func (g *gitStore) attach(nd *node) error {
	nd.gitRoot = filepath.Join(g.root, "farms", "f"+strconv.Itoa(nd.farm.idx), "n"+strconv.Itoa(nd.idx))
	if err := os.MkdirAll(nd.gitRoot, 0o755); err != nil {
		return fmt.Errorf("sim: git repositories: %w", err)
	}
	nd.gitCGI = g.handler(nd.gitRoot)
	return nil
}

// handler serves the repositories under root with git http-backend.
func (g *gitStore) handler(root string) http.Handler {
	env := append(append([]string(nil), g.cgiEnv...), "GIT_PROJECT_ROOT="+root)
	return &cgi.Handler{
		Path:   g.bin,
		Args:   []string{"http-backend"},
		Root:   "/scm",
		Dir:    root,
		Env:    env,
		Stderr: io.Discard,
		Logger: log.New(io.Discard, "", 0),
	}
}

// seedStream is the git fast-import stream of a new primary repository:
// two commits on main, a release/1.0 branch with its own commit, and an
// annotated tag v1.0 on it. Dates derive from the simulated start, so the
// object ids depend only on the options.
func (s *Sim) seedStream(id int) []byte {
	rp := &s.repos[id]
	p := s.projects[rp.project]
	t0 := s.startNs/int64(time.Second) - 30*24*3600
	var b bytes.Buffer
	data := func(v string) { fmt.Fprintf(&b, "data %d\n%s\n", len(v), v) }
	who := func(role string, at int64) { fmt.Fprintf(&b, "%s %s <%s> %d +0000\n", role, gitName, gitEmail, at) }
	commit := func(ref string, mark int, at int64, msg string, from int, path, content string) {
		fmt.Fprintf(&b, "commit %s\nmark :%d\n", ref, mark)
		who("author", at)
		who("committer", at)
		data(msg)
		if from != 0 {
			fmt.Fprintf(&b, "from :%d\n", from)
		}
		fmt.Fprintf(&b, "M 100644 inline %s\n", path)
		data(content)
	}
	commit("refs/heads/main", 1, t0, "Initial commit", 0, "README.md",
		"# "+repoName(rp.slug)+"\n\nRepository "+p.key+"/"+rp.slug+" of the "+p.name+" project.\n")
	commit("refs/heads/main", 2, t0+24*3600, "Add a changelog", 1, "CHANGELOG.md", "# Changelog\n\n- Initial import\n")
	commit("refs/heads/release/1.0", 3, t0+2*24*3600, "Prepare release 1.0", 1, "VERSION", "1.0.0\n")
	b.WriteString("tag v1.0\nfrom :3\n")
	who("tagger", t0+2*24*3600+3600)
	data("Release 1.0")
	return b.Bytes()
}

// createPrimary creates the primary's bare repository from a fast-import
// stream and its private work clone.
func (g *gitStore) createPrimary(id int, stream []byte) error {
	dir := g.primary[id]
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if _, err := g.output(g.root, nil, nil, "init", "-q", "--bare", dir); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644); err != nil {
		return err
	}
	if _, err := g.output(dir, nil, bytes.NewReader(stream), "fast-import", "--quiet"); err != nil {
		return err
	}
	_, err := g.output(g.root, nil, nil, "clone", "-q", dir, g.work[id])
	return err
}

// output runs one git command and returns its standard output.
func (g *gitStore) output(dir string, env []string, stdin io.Reader, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(g.ctx, gitCmdTimeout)
	defer cancel()
	full := append([]string{"-c", "gc.auto=0", "-c", "maintenance.auto=false"}, args...)
	cmd := exec.CommandContext(ctx, g.bin, full...)
	cmd.Dir = dir
	cmd.Env = append(g.env[:len(g.env):len(g.env)], env...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		return nil, fmt.Errorf("sim: git %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	return out, nil
}

// run performs one task.
func (g *gitStore) run(t gitTask) error {
	switch t.kind {
	case gitCommit:
		work := g.work[t.repo]
		f, err := os.OpenFile(filepath.Join(work, "CHANGELOG.md"), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		when := time.Unix(t.at, 0).UTC()
		_, err = fmt.Fprintf(f, "- Change %d (%s)\n", t.seq, when.Format(time.RFC3339))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		date := "@" + strconv.FormatInt(t.at, 10) + " +0000"
		env := []string{
			"GIT_AUTHOR_NAME=" + gitName, "GIT_AUTHOR_EMAIL=" + gitEmail, "GIT_AUTHOR_DATE=" + date,
			"GIT_COMMITTER_NAME=" + gitName, "GIT_COMMITTER_EMAIL=" + gitEmail, "GIT_COMMITTER_DATE=" + date,
		}
		if _, err := g.output(work, env, nil, "commit", "-q", "-a", "-m", "Change "+strconv.Itoa(t.seq)); err != nil {
			return err
		}
		args := []string{"push", "-q", "origin", "HEAD:refs/heads/main"}
		if t.branch != "" {
			args = append(args, "HEAD:refs/heads/"+t.branch)
		}
		_, err = g.output(work, nil, nil, args...)
		return err
	case gitSync:
		if _, err := os.Stat(t.dir); err != nil {
			_, err = g.output(g.root, nil, nil, "clone", "-q", "--mirror", g.primary[t.repo], t.dir)
			return err
		}
		_, err := g.output(t.dir, nil, nil, "fetch", "-q", "--prune", g.primary[t.repo], "+refs/*:refs/*")
		return err
	case gitRemove:
		return os.RemoveAll(t.dir)
	}
	return nil
}

// loop is the worker: it runs the queued tasks one at a time, in order.
func (g *gitStore) loop(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		g.mu.Lock()
		for len(g.tasks) == 0 && !g.closed {
			g.cond.Wait()
		}
		if g.closed {
			g.mu.Unlock()
			return
		}
		t := g.tasks[0]
		g.tasks = g.tasks[1:]
		if len(g.tasks) == 0 {
			g.tasks = nil
		}
		g.busy = true
		g.mu.Unlock()

		err := g.run(t)

		g.mu.Lock()
		g.busy = false
		if err != nil && g.err == nil {
			g.err = err
		}
		g.cond.Broadcast()
		g.mu.Unlock()
	}
}

// enqueue queues a task for the worker. It may be called with Sim.mu held.
func (g *gitStore) enqueue(t gitTask) {
	g.mu.Lock()
	if !g.closed {
		g.tasks = append(g.tasks, t)
		g.cond.Broadcast()
	}
	g.mu.Unlock()
}

// wait returns once every queued task is done (or the store is closed).
func (g *gitStore) wait() {
	g.mu.Lock()
	for (len(g.tasks) > 0 || g.busy) && !g.closed {
		g.cond.Wait()
	}
	g.mu.Unlock()
}

// failure returns the first error of a queued task, if any.
func (g *gitStore) failure() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// close stops the worker and kills any running git command.
func (g *gitStore) close() {
	g.mu.Lock()
	g.closed = true
	g.cond.Broadcast()
	g.mu.Unlock()
	g.cancel()
}

// remove deletes every repository once the running http-backend
// processes are done.
func (g *gitStore) remove() {
	g.serve.Lock()
	g.gone = true
	g.serve.Unlock()
	_ = os.RemoveAll(g.root)
}

// settle waits, with a manual clock, for the git work started so far.
func (s *Sim) settle() {
	if s.git != nil && s.opts.Manual {
		s.git.wait()
	}
}

// gitCommitFor queues a real commit on a git-backed repository after a
// push. Called with s.mu held.
func (s *Sim) gitCommitFor(id int) {
	g := s.git
	if g == nil || id >= len(g.primary) {
		return
	}
	g.pushes[id]++
	k := g.pushes[id]
	t := gitTask{kind: gitCommit, repo: id, seq: k, at: s.now / int64(time.Second)}
	if k%gitBranchEvery == 0 {
		t.branch = "feature/change-" + strconv.Itoa(k)
	}
	g.enqueue(t)
}

// gitNodeTask queues a sync or a removal of a node's copy of a git-backed
// repository. Called with s.mu held.
func (s *Sim) gitNodeTask(kind gitTaskKind, n *node, id int) {
	g := s.git
	if g == nil || id >= len(g.primary) || n.gitRoot == "" {
		return
	}
	g.enqueue(gitTask{kind: kind, repo: id, dir: filepath.Join(n.gitRoot, filepath.FromSlash(g.rel[id]))})
}

// isReceivePack reports whether a request is part of a push.
func isReceivePack(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
}

// serveGit serves /scm/{key}/{slug}.git/... with git http-backend from h.
// has reports, with s.mu held for reading, whether this server holds the
// repository.
func (s *Sim) serveGit(w http.ResponseWriter, r *http.Request, h http.Handler, has func(id int) bool) {
	g := s.git
	if g == nil || h == nil {
		notFound(w, r)
		return
	}
	if isReceivePack(r) {
		writeError(w, http.StatusForbidden, "Pushing over HTTP is not supported by this server.", "")
		return
	}
	key, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/scm/"), "/")
	repoPart, _, _ := strings.Cut(rest, "/")
	slug, isGit := strings.CutSuffix(repoPart, ".git")
	id := 0
	if isGit && !slices.Contains(strings.Split(rest, "/"), "..") {
		s.mu.RLock()
		if p := s.projectByKey(key); p != nil {
			id = s.repoBySlug(p, slug)
		}
		if id != 0 && (id >= len(g.primary) || !has(id)) {
			id = 0
		}
		s.mu.RUnlock()
	}
	if id == 0 {
		writeError(w, http.StatusNotFound, "Repository "+key+"/"+slug+" does not exist.", excNoSuchRepo)
		return
	}
	// CGI cannot take a chunked body: buffer it.
	r2 := r.Clone(r.Context())
	r2.Header.Del("Authorization")
	if r.Body != nil && r.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxGitBody+1))
		if err != nil {
			writeError(w, http.StatusBadRequest, "Cannot read the request body: "+err.Error(), "")
			return
		}
		if len(body) > maxGitBody {
			writeError(w, http.StatusRequestEntityTooLarge, "Request body too large", "")
			return
		}
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		r2.TransferEncoding = nil
	}
	g.serve.RLock()
	defer g.serve.RUnlock()
	if g.gone {
		writeError(w, http.StatusServiceUnavailable, "The server is shutting down.", "")
		return
	}
	h.ServeHTTP(w, r2)
}

// GitURL returns the primary's clone URL of a git-backed repository, or
// false when repoID is not one.
func (s *Sim) GitURL(repoID int) (string, bool) {
	if s.git == nil || repoID < 1 || repoID >= len(s.git.rel) {
		return "", false
	}
	return s.PrimaryURL() + "/scm/" + s.git.rel[repoID], true
}

// GitRefs returns the refs (name to object id) of a git-backed
// repository: the primary's when farm is "", else the copy on that node of
// that farm. It fails when the repository is not git-backed or the node
// holds no copy of it.
func (s *Sim) GitRefs(farm, node string, repoID int) (map[string]string, error) {
	g := s.git
	if g == nil {
		return nil, errors.New("sim: no git-backed repositories (Options.GitRepos is 0)")
	}
	if repoID < 1 || repoID >= len(g.primary) {
		return nil, fmt.Errorf("sim: repository %d is not git-backed", repoID)
	}
	dir, where := g.primary[repoID], "primary"
	if farm != "" {
		s.mu.RLock()
		root := ""
		if _, n := s.nodeByName(farm, node); n != nil {
			root = n.gitRoot
		}
		s.mu.RUnlock()
		if root == "" {
			return nil, fmt.Errorf("sim: no node %q in farm %q", node, farm)
		}
		dir, where = filepath.Join(root, filepath.FromSlash(g.rel[repoID])), farm+"/"+node
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("sim: %s holds no copy of repository %d", where, repoID)
	}
	out, err := g.output(dir, nil, nil, "for-each-ref", "--format=%(objectname) %(refname)")
	if err != nil {
		return nil, err
	}
	refs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if oid, name, ok := strings.Cut(line, " "); ok {
			refs[name] = oid
		}
	}
	return refs, nil
}
