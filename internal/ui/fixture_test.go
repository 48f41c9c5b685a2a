package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/themes"
)

// t0 is the fixed "now" of the screen tests.
var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	time.Local = time.UTC // clock and dates on screen do not depend on the machine
	os.Exit(m.Run())
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// fixtureState builds a state with every situation the screens must show:
// a healthy 9.x farm with mismatches of each kind, an 8.x farm with a node
// down, a farm in initial sync, a queue, a lock, a pending request, unknown
// hashes and a server string full of terminal escapes.
func fixtureState() *model.State {
	s := model.NewState(model.Spec{PrimaryURL: "https://bitbucket.example.com", Farms: []model.FarmSpec{
		{Name: "eu", URL: "https://mirror-eu.example.com", Nodes: []model.NodeSpec{
			{Name: "eu-1", URL: "https://eu-1.example.com"}, {Name: "eu-2", URL: "https://eu-2.example.com"}, {Name: "eu-3", URL: "https://eu-3.example.com"}}},
		{Name: "us", URL: "https://mirror-us.example.com", Nodes: []model.NodeSpec{
			{Name: "us-1", URL: "https://us-1.example.com"}, {Name: "us-2", URL: "https://us-2.example.com"}}},
		{Name: "lab", URL: "https://mirror-lab.example.com"},
	}, GitLab: []model.GitLabSpec{{Name: "gitlab", URL: "https://gitlab.example.com"}}})
	at := t0.Add(-5 * time.Second)
	apply := func(target model.TargetID, ep model.Endpoint, data any) {
		s.Apply(model.Reading{Target: target, Endpoint: ep, At: at, Data: data})
	}
	p := model.PrimaryTarget
	apply(p, model.EPStatus, model.ServerStatus{State: "RUNNING"})
	apply(p, model.EPVersion, model.AppProperties{Version: "9.6.2"})
	apply(p, model.EPRequests, []model.MirrorRequest{{ID: "7", State: "PENDING", MirrorName: "apac", MirrorBaseURL: "https://mirror-apac.example.com", MirrorType: "FARM", ProductVersion: "9.6.2"}})
	var repos []model.Repo
	projects := []struct{ id, key string }{{"1", "PLAT"}, {"2", "WEB"}, {"3", "DATA"}}
	slugs := []string{"api-gateway", "billing", "checkout", "docs", "etl", "frontend", "gateway-\x1b]0;pwned\x07evil\x1b[2J", "helm-charts", "inventory"}
	for i, slug := range slugs {
		pr := projects[i%3]
		id := fmt.Sprint(i + 1)
		repos = append(repos, model.Repo{ID: id, ProjectID: pr.id, ProjectKey: pr.key, Slug: slug, Name: slug,
			Hashes: model.Hashes{Content: hash("c" + id), Metadata: hash("m" + id)}})
	}
	repos[3].Hashes = model.Hashes{Content: "0000000000000000000000000000000000000000", Metadata: "0000000000000000000000000000000000000000"}
	apply(p, model.EPRepos, repos)

	sync := func(skip map[string]bool, alter map[string]model.Hashes, failed map[string]int, filter func(model.Repo) bool) []*model.RepoSyncStatus {
		var out []*model.RepoSyncStatus
		for _, r := range repos {
			if skip[r.ID] || (filter != nil && !filter(r)) {
				continue
			}
			h := r.Hashes
			if a, ok := alter[r.ID]; ok {
				h = a
			}
			out = append(out, &model.RepoSyncStatus{ExternalRepoID: r.ID, Hashes: h, FailedSyncCount: int32(failed[r.ID]),
				InitialSyncDate: model.MillisOf(t0.Add(-72 * time.Hour)), LastSyncDate: model.MillisOf(t0.Add(-time.Duration(len(r.ID)+3) * time.Minute))})
		}
		return out
	}
	eu := model.TargetID{Farm: "eu"}
	apply(eu, model.EPUpstream, model.UpstreamServer{ID: "148728f5", BaseURL: "https://bitbucket.example.com", State: "INSTALLED", Layout: model.Layout9})
	apply(eu, model.EPSyncSettings, model.SyncSettings{Mode: model.ModeAllProjects})
	apply(eu, model.EPProgress, model.Progress{SyncedRepos: 9, TotalRepos: 9})
	apply(eu, model.EPFarmNodes, []model.ClusterNode{{ID: "n1", Name: "eu-1", Address: "10.0.0.1", Port: 5701, BuildVersion: "9.6.2", Local: true}, {ID: "n3", Name: "eu-3", Address: "10.0.0.3", Port: 5701}})
	for i, d := range []int{0, 2, 5, 9, 4} {
		s.Apply(model.Reading{Target: eu, Endpoint: model.EPQueueCount, At: at.Add(time.Duration(i-5) * 10 * time.Second), Data: d})
	}
	apply(eu, model.EPQueue, []model.QueueItem{
		{ExternalRepoID: "2", Type: "INCREMENTAL", Attempt: 2, CreatedAt: t0.Add(-14 * time.Minute)},
		{ExternalRepoID: "5", Type: "SNAPSHOT", Attempt: 1, CreatedAt: t0.Add(-40 * time.Second)},
	})
	apply(eu, model.EPLockOwners, []model.LockOwner{{ExternalRepoID: "3", NodeID: "n3", ThreadName: "farm-refchange-poller:thread-2", AcquiredAt: t0.Add(-8 * time.Second)}})
	for _, n := range []string{"eu-1", "eu-2", "eu-3"} {
		nt := model.TargetID{Farm: "eu", Node: n}
		apply(nt, model.EPStatus, model.ServerStatus{State: "SYNCHRONIZED", MemberCount: 3, HasProgress: true})
		apply(nt, model.EPVersion, model.AppProperties{Version: "9.6.2"})
	}
	s.Apply(model.Reading{Target: model.TargetID{Farm: "eu", Node: "eu-2"}, Endpoint: model.EPStatus, At: at,
		Data: model.ServerStatus{State: "SYNCHRONIZED", MemberCount: 3, HasProgress: true}, CertExpiry: t0.Add(9*24*time.Hour + time.Hour)})
	s.Apply(model.Reading{Target: model.TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: model.EPStatus, At: at,
		Data: model.ServerStatus{State: "SYNCHRONIZED", MemberCount: 3, HasProgress: true}, CertExpiry: t0.Add(200 * 24 * time.Hour)})
	apply(model.TargetID{Farm: "eu", Node: "eu-1"}, model.EPRepoSyncStatus, sync(nil, nil, nil, nil))
	apply(model.TargetID{Farm: "eu", Node: "eu-2"}, model.EPRepoSyncStatus, sync(nil, map[string]model.Hashes{"2": {Content: hash("old2"), Metadata: hash("m2")}}, nil, nil))
	apply(model.TargetID{Farm: "eu", Node: "eu-3"}, model.EPRepoSyncStatus, sync(map[string]bool{"5": true},
		map[string]model.Hashes{"2": {Content: hash("old2"), Metadata: hash("m2")}, "3": {Content: hash("c3"), Metadata: hash("old-meta")}, "7": {Content: hash("old7"), Metadata: hash("m7")}},
		map[string]int{"2": 3, "7": 1}, nil))

	us := model.TargetID{Farm: "us"}
	apply(us, model.EPUpstream, model.UpstreamServer{ID: "f76a35c5", State: "INSTALLED", Layout: model.Layout8})
	apply(us, model.EPSyncSettings, model.SyncSettings{Mode: model.ModeSelectedProjects, ProjectIDs: []string{"1"}})
	apply(us, model.EPProgress, model.Progress{SyncedRepos: 3, TotalRepos: 3})
	apply(us, model.EPQueueCount, 0)
	apply(us, model.EPQueue, []model.QueueItem{})
	apply(us, model.EPLockOwners, nil)
	s.Apply(model.Reading{Target: us, Endpoint: model.EPLockOwners, At: at, Unsupported: true})
	onlyPlat := func(r model.Repo) bool { return r.ProjectKey == "PLAT" }
	apply(model.TargetID{Farm: "us", Node: "us-1"}, model.EPStatus, model.ServerStatus{State: "SYNCHRONIZED", MemberCount: 1})
	apply(model.TargetID{Farm: "us", Node: "us-1"}, model.EPVersion, model.AppProperties{Version: "8.19.9"})
	apply(model.TargetID{Farm: "us", Node: "us-1"}, model.EPRepoSyncStatus, sync(nil, nil, nil, onlyPlat))
	us2 := model.TargetID{Farm: "us", Node: "us-2"}
	s.Apply(model.Reading{Target: us2, Endpoint: model.EPStatus, At: t0.Add(-20 * time.Minute), Data: model.ServerStatus{State: "SYNCHRONIZED"}})
	s.Apply(model.Reading{Target: us2, Endpoint: model.EPRepoSyncStatus, At: t0.Add(-20 * time.Minute), Data: sync(nil, nil, nil, onlyPlat)})
	for _, when := range []time.Duration{-17 * time.Minute, -5 * time.Second} {
		s.Apply(model.Reading{Target: us2, Endpoint: model.EPStatus, At: t0.Add(when), Err: errors.New("GET /status: connection refused")})
	}

	lab := model.TargetID{Farm: "lab"}
	apply(lab, model.EPUpstream, model.UpstreamServer{ID: "aa11", State: "INSTALLED", Layout: model.Layout9})
	apply(lab, model.EPSyncSettings, model.SyncSettings{Mode: model.ModeSelectedProjects, ProjectIDs: []string{"2", "3"}})
	for i, n := range []int{10, 40, 70} {
		s.Apply(model.Reading{Target: lab, Endpoint: model.EPProgress, At: at.Add(time.Duration(i-2) * 30 * time.Second), Data: model.Progress{SyncedRepos: n, TotalRepos: 400}})
	}
	apply(lab, model.EPQueueCount, 330)
	apply(model.TargetID{Farm: "lab", Node: "lab"}, model.EPStatus, model.ServerStatus{State: "METADATA_SYNCHRONIZED", MemberCount: 3, HasProgress: true, Progress: model.Progress{SyncedRepos: 70, TotalRepos: 400}})
	// Only its load balancer is configured: one of its three members is polled.
	apply(lab, model.EPFarmNodes, []model.ClusterNode{{Name: "lab-1", Address: "10.0.3.1", Port: 5701},
		{Name: "lab-2", Address: "10.0.3.2", Port: 5701, Local: true}, {Name: "lab-3", Address: "10.0.3.3", Port: 5701}})
	apply(model.TargetID{Farm: "lab", Node: "lab"}, model.EPRepoSyncStatus, sync(nil, nil, nil, func(r model.Repo) bool { return r.ID == "2" || r.ID == "3" }))

	gl := model.TargetID{GitLab: "gitlab"}
	apply(gl, model.EPGitLabProjects, []string{"platform/api", "platform/web", "data/etl", "data/lake"})
	ok := func(d model.Direction, id int64, ago time.Duration) model.GitLabMirror {
		end := t0.Add(-ago)
		return model.GitLabMirror{Direction: d, ID: id, Enabled: true, Status: "finished", URL: "https://*****:*****@github.com/example/mirror.git",
			LastUpdateStartedAt: end.Add(-12 * time.Second), LastUpdateAt: end, LastSuccessfulUpdateAt: end}
	}
	diverged := ok(model.Push, 12, time.Minute)
	diverged.Status, diverged.KeepDivergentRefs, diverged.LastSuccessfulUpdateAt = "failed", true, t0.Add(-6*time.Hour)
	diverged.LastError = "Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main\nrefs/heads/develop"
	stuck := ok(model.Push, 13, 5*time.Hour)
	stuck.Status, stuck.LastUpdateStartedAt = "started", t0.Add(-2*time.Hour)
	pullDiv := ok(model.Pull, 21, 3*time.Minute)
	pullDiv.Status, pullDiv.LastSuccessfulUpdateAt = "failed", t0.Add(-26*time.Hour)
	pullDiv.LastError = "The default branch (main) has diverged from its upstream counterpart and could not be updated automatically."
	paused := ok(model.Pull, 22, 40*time.Minute)
	paused.Status, paused.LastSuccessfulUpdateAt = "failed", time.Time{}
	paused.LastError = "13:fetch remote: \"fatal: Authentication failed for 'https://github.com/example/upstream.git/'\"\n: exit status 128."
	never := model.GitLabMirror{Direction: model.Pull, ID: 23, Enabled: true, Status: "none"}
	for project, data := range map[string]model.GitLabProject{
		"platform/api": {Push: []model.GitLabMirror{ok(model.Push, 11, 2*time.Minute), diverged}},
		"platform/web": {Push: []model.GitLabMirror{stuck}},
		"data/etl":     {Pull: &pullDiv},
		"data/lake":    {Pull: &paused},
	} {
		data.Project = project
		apply(model.TargetID{GitLab: "gitlab", Project: project}, model.EPGitLabMirrors, data)
	}
	apply(model.TargetID{GitLab: "gitlab", Project: "data/new"}, model.EPGitLabMirrors, model.GitLabProject{Project: "data/new", Pull: &never})
	s.MarkPaused("gitlab/data/lake/pull/22", t0.Add(-10*time.Minute))
	return s
}

func testTheme(t testing.TB) themes.Theme {
	th, err := themes.Load("dark", "")
	if err != nil {
		t.Fatal(err)
	}
	return th
}

type fakeControl struct {
	paused    bool
	refreshes int
}

func (f *fakeControl) Refresh()         { f.refreshes++ }
func (f *fakeControl) SetPaused(p bool) { f.paused = p }
func (f *fakeControl) Paused() bool     { return f.paused }

// newTestModel is the console on the fixture state at t0, sized w×h.
func newTestModel(t testing.TB, w, h int, mod func(*Options)) (*Model, *fakeControl) {
	ctl := &fakeControl{}
	opt := Options{State: fixtureState(), Control: ctl, Theme: testTheme(t), Now: func() time.Time { return t0 },
		Thresholds: model.Thresholds{MaxLag: 10 * time.Minute, MaxQueue: 300, MaxMismatches: 50, CertDays: 14}, Fast: 10 * time.Second, Slow: 2 * time.Minute}
	if mod != nil {
		mod(&opt)
	}
	m := New(opt)
	m.Update(sizeMsg(w, h))
	return m, ctl
}
