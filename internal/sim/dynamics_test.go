package sim

import (
	"errors"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func TestPushEnqueuesAndConverges(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	eu, us := farmInfo(t, s, "eu"), farmInfo(t, s, "us")

	// Repos 4, 10, 16 and 22 belong to OPS, mirrored by eu only.
	ops := []int{4, 10, 16, 22}
	before, _ := s.PrimaryHashes(4)
	for _, id := range ops {
		s.Push(id)
	}
	after, _ := s.PrimaryHashes(4)
	if before == after || !isHex(after, 64) {
		t.Fatalf("push did not change the content hash: %s -> %s", before, after)
	}
	var repo struct {
		Properties map[string]string `json:"properties"`
	}
	c.getJSON(s.PrimaryURL()+api+"repos/4", &repo)
	if repo.Properties["contentHash"] != after {
		t.Fatalf("primary serves %s, want %s", repo.Properties["contentHash"], after)
	}
	if got := s.QueueDepth("eu"); got != 2 { // 2 in progress, 2 waiting
		t.Fatalf("eu queue depth %d", got)
	}
	if got := s.QueueDepth("us"); got != 0 {
		t.Fatalf("us queue depth %d, but us does not mirror OPS", got)
	}
	var q queueT
	c.getJSON(eu.URL+api+"supportInfo/refChangesQueue", &q)
	if len(q.Values) != 2 || q.Values[0].ExternalRepoID != "16" || q.Values[1].ExternalRepoID != "22" {
		t.Fatalf("eu queue %+v", q)
	}
	// A second push to a waiting repo does not duplicate its item.
	s.Push(16)
	if got := s.QueueDepth("eu"); got != 2 {
		t.Fatalf("eu queue depth after a repeated push: %d", got)
	}

	// Repo 1 (PLAT) goes to both farms.
	s.Push(1)
	if ch, _, _ := s.NodeHashes("us", "us-1", 1); ch == mustPrimary(s, 1) {
		t.Fatal("us-1 already in sync before any time passed")
	}

	s.Advance(time.Minute)
	if s.QueueDepth("eu") != 0 || s.QueueDepth("us") != 0 {
		t.Fatalf("queues did not drain: eu %d us %d", s.QueueDepth("eu"), s.QueueDepth("us"))
	}
	for _, id := range append(ops, 1) {
		ch, mh := s.PrimaryHashes(id)
		for _, n := range eu.Nodes {
			nc, nm, ok := s.NodeHashes("eu", n.Name, id)
			if !ok || nc != ch || nm != mh {
				t.Fatalf("%s repo %d not converged", n.Name, id)
			}
		}
	}
	for _, n := range us.Nodes {
		if nc, _, ok := s.NodeHashes("us", n.Name, 1); !ok || nc != mustPrimary(s, 1) {
			t.Fatalf("%s repo 1 not converged", n.Name)
		}
		if _, _, ok := s.NodeHashes("us", n.Name, 4); ok {
			t.Fatalf("%s holds repo 4 of an unmirrored project", n.Name)
		}
	}
	// Over HTTP: the node serves the new hash and a fresh lastSyncDate.
	st, ok := statusOf(t, c, eu.Nodes[2].URL, "4")
	if !ok || st.Hashes.Content != after || st.FailedSyncCount != 0 {
		t.Fatalf("eu-3 repo 4 = %+v", st)
	}
	last, _ := time.Parse(isoMillis, st.LastSyncDate)
	if !last.After(testStart) {
		t.Fatalf("lastSyncDate %s not after start", st.LastSyncDate)
	}

	// Rename changes only the metadata hash and is synced too.
	ch0, mh0 := s.PrimaryHashes(2)
	s.Rename(2)
	ch1, mh1 := s.PrimaryHashes(2)
	if ch0 != ch1 || mh0 == mh1 {
		t.Fatal("rename must change only the metadata hash")
	}
	s.Advance(time.Minute)
	if _, nm, _ := s.NodeHashes("us", "us-2", 2); nm != mh1 {
		t.Fatal("rename not synced to us-2")
	}
}

func mustPrimary(s *Sim, id int) string {
	ch, _ := s.PrimaryHashes(id)
	return ch
}

func TestFailuresReachMaxAttemptsThenDrop(t *testing.T) {
	s := startSim(t, Options{
		PushEvery: -1, FailRate: 1, MaxAttempts: 3, SyncTime: time.Second, SyncInterval: time.Hour,
		Farms: []FarmSpec{{Name: "eu", Layout: Layout9, Nodes: 2, AllProjects: true, Workers: 1}},
	})
	c := newClient(t)
	eu := farmInfo(t, s, "eu")
	s.Push(1)
	s.Push(2)

	attempts := map[int]bool{}
	for i := 0; i < 300 && (s.QueueDepth("eu") > 0 || i == 0 || locked(t, c, eu.URL)); i++ {
		var q queueT
		c.getJSON(eu.URL+api+"supportInfo/refChangesQueue", &q)
		for _, v := range q.Values {
			attempts[v.Attempt] = true
		}
		s.Advance(200 * time.Millisecond)
	}
	if !attempts[2] || !attempts[3] || attempts[4] {
		t.Fatalf("attempts seen in the queue: %v", attempts)
	}
	if s.QueueDepth("eu") != 0 || locked(t, c, eu.URL) {
		t.Fatal("items were not dropped after MaxAttempts")
	}
	for _, n := range eu.Nodes {
		var mr map[string]any
		c.getJSON(n.URL+api+"mirrorRepos/1", &mr)
		if mr["status"] != "ERROR_AVAILABLE" {
			t.Fatalf("%s repo 1 status %v", n.Name, mr["status"])
		}
		for _, id := range []string{"1", "2"} {
			st, _ := statusOf(t, c, n.URL, id)
			if st.FailedSyncCount != 3 {
				t.Fatalf("%s repo %s failedSyncCount %d, want 3", n.Name, id, st.FailedSyncCount)
			}
		}
	}
	// Dropped items stay dropped until the scheduled full sync.
	s.Advance(30 * time.Minute)
	if st, _ := statusOf(t, c, eu.Nodes[0].URL, "1"); st.FailedSyncCount != 3 {
		t.Fatalf("failedSyncCount moved without a full sync: %d", st.FailedSyncCount)
	}
	s.Advance(31 * time.Minute)
	if st, _ := statusOf(t, c, eu.Nodes[0].URL, "1"); st.FailedSyncCount <= 3 {
		t.Fatalf("full sync did not retry: failedSyncCount %d", st.FailedSyncCount)
	}
}

func locked(t *testing.T, c *client, url string) bool {
	var l []map[string]any
	c.getJSON(url+api+"supportInfo/repo-lock-owners", &l)
	return len(l) > 0
}

func TestNodeDownMissesSyncsAndCatchesUp(t *testing.T) {
	s := startSim(t, quiet(Options{}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")
	n2 := eu.Nodes[1]

	if err := s.SetNodeDown("eu", "eu-2", true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.do(http.MethodGet, n2.URL+"/status"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("down node answered or failed oddly: %v", err)
	}
	if !farmInfo(t, s, "eu").Nodes[1].Down {
		t.Fatal("FarmInfo does not report the node down")
	}
	r := c.get(eu.URL + "/status")
	if f := rawFields(t, r.body); string(f["memberCount"]) != `"2"` {
		t.Fatalf("memberCount with a node down: %s", r.body)
	}
	var nodes []map[string]any
	c.getJSON(eu.URL+api+"farmNodes", &nodes)
	if len(nodes) != 2 {
		t.Fatalf("farmNodes lists %d nodes", len(nodes))
	}

	s.Push(5)
	s.Advance(time.Minute)
	want := mustPrimary(s, 5)
	if ch, _, _ := s.NodeHashes("eu", "eu-1", 5); ch != want {
		t.Fatal("eu-1 did not sync")
	}
	if ch, _, _ := s.NodeHashes("eu", "eu-2", 5); ch == want {
		t.Fatal("a down node received a sync")
	}
	if s.SetNodeDown("eu", "nope", true) == nil {
		t.Fatal("unknown node accepted")
	}

	if err := s.SetNodeDown("eu", "eu-2", false); err != nil {
		t.Fatal(err)
	}
	if got := farmInfo(t, s, "eu").Nodes[1].URL; got != n2.URL {
		t.Fatalf("node came back on %s, was %s", got, n2.URL)
	}
	var st map[string]any
	c.getJSON(n2.URL+"/status", &st)
	if st["memberCount"] != "3" {
		t.Fatalf("memberCount after recovery: %v", st["memberCount"])
	}
	s.Advance(30 * time.Second)
	if ch, _, _ := s.NodeHashes("eu", "eu-2", 5); ch != want {
		t.Fatal("eu-2 did not catch up after coming back")
	}

	// With every node down, lastSeenDate freezes at the moment the last
	// one went down.
	s.Advance(time.Minute)
	downAt := s.Now()
	for _, n := range eu.Nodes {
		if err := s.SetNodeDown("eu", n.Name, true); err != nil {
			t.Fatal(err)
		}
	}
	s.Advance(5 * time.Minute)
	var ms pageOf[map[string]any]
	c.getJSON(s.PrimaryURL()+api+"mirrorServers", &ms)
	if int64(ms.Values[0]["lastSeenDate"].(float64)) != downAt.UnixMilli() {
		t.Fatalf("lastSeenDate %v, want %d", ms.Values[0]["lastSeenDate"], downAt.UnixMilli())
	}
	if int64(ms.Values[1]["lastSeenDate"].(float64)) != s.Now().UnixMilli() {
		t.Fatal("lastSeenDate of a live farm is not now")
	}
}

func TestInitialSyncProgress(t *testing.T) {
	s := startSim(t, quiet(Options{
		Repos: 40, SyncTime: 200 * time.Millisecond,
		Farms: []FarmSpec{{Name: "ap", Layout: Layout9, Nodes: 2, AllProjects: true, Workers: 2, InitialSync: true}},
	}))
	c := newClient(t)
	ap := farmInfo(t, s, "ap")
	n1 := ap.Nodes[0].URL

	var pr progressT
	c.getJSON(n1+api+"progress", &pr)
	if !pr.Discovering || pr.TotalRepos != 0 || pr.SyncedRepos != 0 {
		t.Fatalf("progress at start = %+v", pr)
	}
	var st map[string]any
	c.getJSON(n1+"/status", &st)
	if st["state"] != "METADATA_SYNCHRONIZED" {
		t.Fatalf("state at start = %v", st["state"])
	}
	var pg pageOf[syncStatusT]
	c.getJSON(n1+api+"supportInfo/repoSyncStatus", &pg)
	if pg.Size != 0 || !pg.IsLastPage {
		t.Fatalf("an empty node lists %d repos", pg.Size)
	}
	var mr map[string]any
	c.getJSON(n1+api+"mirrorRepos/1", &mr)
	if mr["status"] != "INITIALIZING" || mr["available"] != false {
		t.Fatalf("mirrorRepos/1 before sync = %v", mr)
	}

	s.Advance(10 * time.Second)
	c.getJSON(n1+api+"progress", &pr)
	if pr.Discovering || pr.TotalRepos != 40 || pr.SyncedRepos != 0 {
		t.Fatalf("progress after discovery = %+v", pr)
	}
	var q queueT
	c.getJSON(n1+api+"supportInfo/refChangesQueue", &q)
	if len(q.Values) != 38 || q.Values[0].Type != "SNAPSHOT" {
		t.Fatalf("queue after discovery: %d items", len(q.Values))
	}
	var locks []map[string]string
	c.getJSON(n1+api+"supportInfo/repo-lock-owners", &locks)
	if len(locks) != 2 || locks[0]["threadName"] != "initial-sync-thread-pool:thread-1" {
		t.Fatalf("lock owners during initial sync = %v", locks)
	}

	s.Advance(2 * time.Second)
	c.getJSON(n1+api+"progress", &pr)
	if pr.SyncedRepos == 0 || pr.SyncedRepos >= 40 {
		t.Fatalf("progress midway = %+v", pr)
	}
	c.getJSON(n1+"/status", &st)
	if st["state"] != "METADATA_SYNCHRONIZED" || st["syncedRepos"].(float64) != float64(pr.SyncedRepos) {
		t.Fatalf("status midway = %v", st)
	}

	s.Advance(5 * time.Minute)
	c.getJSON(n1+api+"progress", &pr)
	if pr.Discovering || pr.SyncedRepos != 40 || pr.TotalRepos != 40 {
		t.Fatalf("progress at the end = %+v", pr)
	}
	c.getJSON(ap.Nodes[1].URL+"/status", &st)
	if st["state"] != "SYNCHRONIZED" {
		t.Fatalf("state at the end = %v", st["state"])
	}
	c.getJSON(n1+api+"supportInfo/repoSyncStatus?limit=100", &pg)
	if pg.Size != 40 {
		t.Fatalf("node lists %d repos after the initial sync", pg.Size)
	}
}

func TestStuckRepos(t *testing.T) {
	s := startSim(t, quiet(Options{StuckRepos: 2}))
	c := newClient(t)
	eu := farmInfo(t, s, "eu")
	s.Advance(2 * time.Minute)

	var delayed []struct {
		ProjectKey     string `json:"projectKey"`
		RepositoryID   string `json:"repositoryId"`
		RepositorySlug string `json:"repositorySlug"`
	}
	c.getJSON(eu.URL+api+"mirrorRepos/delayed-sync?delayThreshold=60", &delayed)
	if len(delayed) != 2 {
		t.Fatalf("delayed-sync = %+v", delayed)
	}
	for _, d := range delayed {
		id, _ := strconv.Atoi(d.RepositoryID)
		want := mustPrimary(s, id)
		for _, n := range eu.Nodes {
			ch, _, _ := s.NodeHashes("eu", n.Name, id)
			if (ch == want) != (n.Name != "eu-3") {
				t.Fatalf("repo %d on %s: in sync = %v", id, n.Name, ch == want)
			}
		}
		st, _ := statusOf(t, c, eu.Nodes[2].URL, d.RepositoryID)
		if st.FailedSyncCount == 0 || st.RepoSlug != d.RepositorySlug || d.ProjectKey == "" {
			t.Fatalf("stuck repo %s on eu-3: %+v", d.RepositoryID, st)
		}
		var mr map[string]any
		c.getJSON(eu.Nodes[2].URL+api+"mirrorRepos/"+d.RepositoryID, &mr)
		if mr["status"] != "ERROR_AVAILABLE" {
			t.Fatalf("stuck repo status %v", mr["status"])
		}
	}
	// A threshold longer than the mismatch lists nothing; bad values are 400.
	c.getJSON(eu.URL+api+"mirrorRepos/delayed-sync?delayThreshold=10m", &delayed)
	if len(delayed) != 0 {
		t.Fatalf("delayed-sync with 10m = %+v", delayed)
	}
	c.expectStatus(http.MethodGet, eu.URL+api+"mirrorRepos/delayed-sync?delayThreshold=soon", http.StatusBadRequest)
	c.getJSON(eu.URL+api+"mirrorRepos/delayed-sync?delayThreshold=1s&limit=1", &delayed)
	if len(delayed) != 1 {
		t.Fatalf("delayed-sync limit=1 = %+v", delayed)
	}
}

func TestRandomPushesAreDeterministic(t *testing.T) {
	run := func() []string {
		s := startSim(t, Options{Seed: 7, PushEvery: time.Second, FailRate: 0.2, StuckRepos: 1})
		s.Advance(4 * time.Minute)
		var out []string
		for _, f := range s.Farms() {
			out = append(out, strconv.Itoa(s.QueueDepth(f.Name)))
			for _, n := range f.Nodes {
				for id := 1; id <= 60; id++ {
					ch, mh, ok := s.NodeHashes(f.Name, n.Name, id)
					out = append(out, ch+mh+strconv.FormatBool(ok))
				}
			}
		}
		for id := 1; id <= 60; id++ {
			ch, mh := s.PrimaryHashes(id)
			out = append(out, ch+mh)
		}
		return out
	}
	a, b := run(), run()
	if len(a) != len(b) {
		t.Fatal("different shapes")
	}
	changed := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("runs differ at %d", i)
		}
	}
	s := startSim(t, Options{Seed: 7, PushEvery: -1})
	for id := 1; id <= 60; id++ {
		ch, mh := s.PrimaryHashes(id)
		if a[len(a)-60+id-1] != ch+mh {
			changed++
		}
	}
	if changed < 10 {
		t.Fatalf("only %d repos changed over 4 minutes of pushes", changed)
	}
}

func TestRealTimeClock(t *testing.T) {
	s, err := Start(Options{Start: testStart, PushEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !s.Now().After(testStart) {
		if time.Now().After(deadline) {
			t.Fatal("the real-time clock does not move")
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Advance(time.Hour)
	if s.Now().Sub(testStart) < time.Hour {
		t.Fatal("Advance did not move the real-time clock")
	}
}
