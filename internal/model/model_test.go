package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func repo(id, project, key, slug, content, meta string) Repo {
	return Repo{ID: id, ProjectID: project, ProjectKey: key, Slug: slug, Hashes: Hashes{Content: content, Metadata: meta}}
}

func synced(id, content, meta string, last time.Time, failed int) *RepoSyncStatus {
	return &RepoSyncStatus{ExternalRepoID: id, Hashes: Hashes{Content: content, Metadata: meta},
		InitialSyncDate: MillisOf(t0.Add(-24 * time.Hour)), LastSyncDate: MillisOf(last), FailedSyncCount: int32(failed)}
}

const zero40 = "0000000000000000000000000000000000000000"

func TestHashUnknown(t *testing.T) {
	for h, want := range map[string]bool{"": true, zero40: true, "0": true, "00a0": false, "abc": false} {
		if HashUnknown(h) != want {
			t.Errorf("HashUnknown(%q) != %v", h, want)
		}
	}
	if CompareHash("ABC", "abc") != HashEqual || CompareHash("abc", "abd") != HashDiffer ||
		CompareHash(zero40, "abc") != HashUnknownState || CompareHash("abc", "") != HashUnknownState {
		t.Error("CompareHash")
	}
}

func TestDiffKinds(t *testing.T) {
	primary := []Repo{
		repo("1", "10", "PLAT", "api", "c1", "m1"),         // in sync everywhere
		repo("2", "10", "PLAT", "web", "c2new", "m2"),      // content differs on n2
		repo("3", "10", "PLAT", "docs", "c3", "m3new"),     // metadata differs on n1
		repo("4", "20", "DATA", "etl", "c4", "m4"),         // missing on n2
		repo("5", "20", "DATA", "old", zero40, zero40),     // unknown hashes on primary
		repo("6", "20", "DATA", "half", "c6", "m6"),        // unknown on node
		repo("7", "30", "OPS", "other", "c7new", "m7new"),  // both kinds on n1
		repo("8", "99", "SKIP", "unmirrored", "x", "y"),    // not in selected projects
		repo("9", "10", "PLAT", "gone-both", "c9", "m9"),   // missing on all nodes
		repo("10", "10", "PLAT", "upper", "ABCDEF", "m10"), // case differences are not drift
	}
	n1 := NodeSync{Name: "n1", Statuses: []*RepoSyncStatus{
		synced("1", "c1", "m1", t0, 0),
		synced("2", "c2new", "m2", t0, 0),
		synced("3", "c3", "m3old", t0.Add(-time.Hour), 2),
		synced("4", "c4", "m4", t0, 0),
		synced("5", "c5", "m5", t0, 0),
		synced("6", zero40, "m6", t0, 0),
		synced("7", "c7old", "m7old", t0.Add(-2*time.Hour), 1),
		synced("10", "abcdef", "m10", t0, 0),
	}}
	n2 := NodeSync{Name: "n2", Statuses: []*RepoSyncStatus{
		synced("1", "c1", "m1", t0, 0),
		synced("2", "c2old", "m2", t0.Add(-30*time.Minute), 4),
		synced("3", "c3", "m3new", t0, 0),
		synced("5", "c5", "m5", t0, 0),
		synced("6", "c6", "m6", t0, 0),
		synced("7", "c7new", "m7new", t0, 0),
		synced("10", "abcdef", "m10", t0, 0),
	}}
	settings := &SyncSettings{Mode: "selected_projects", ProjectIDs: []string{"10", "20", "30"}}
	res := Diff(primary, settings, []NodeSync{n1, n2}, false)
	type row struct {
		ID, Kind, Nodes, Primary, Mirror string
		Failed                           int
		Last                             time.Time
	}
	var got []row
	for _, m := range res.Mismatches {
		nodes := ""
		for i, n := range m.Nodes {
			if i > 0 {
				nodes += ","
			}
			nodes += n
		}
		got = append(got, row{m.RepoID, string(m.Kind), nodes, m.PrimaryHash, m.MirrorHash, m.FailedSyncCount, m.LastSyncDate})
	}
	want := []row{
		{"2", "content", "n2", "c2new", "c2old", 4, t0.Add(-30 * time.Minute)},
		{"3", "metadata", "n1", "m3new", "m3old", 2, t0.Add(-time.Hour)},
		{"4", "missing", "n2", "c4", "", 0, time.Time{}},
		{"7", "content", "n1", "c7new", "c7old", 1, t0.Add(-2 * time.Hour)},
		{"9", "missing", "n1,n2", "c9", "", 0, time.Time{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("mismatches:\n got %+v\nwant %+v", got, want)
	}
	if k := res.Mismatches[3].Kinds; !reflect.DeepEqual(k, []MismatchKind{KindContent, KindMetadata}) {
		t.Errorf("repo 7 kinds = %v", k)
	}
	if res.Mismatches[4].Status != RepoMissing || res.Mismatches[0].Status != RepoErrorAvailable {
		t.Errorf("statuses %q %q", res.Mismatches[4].Status, res.Mismatches[0].Status)
	}
	if res.Unknown != 2 {
		t.Errorf("unknown %d, want 2 (repos 5 and 6)", res.Unknown)
	}
	if res.Compared != 9 {
		t.Errorf("compared %d, want 9 (repo 8 is not mirrored)", res.Compared)
	}
	wantStatus := map[string]int{RepoAvailable: 4, RepoErrorAvailable: 3, RepoMissing: 2}
	if !reflect.DeepEqual(res.RepoStatus, wantStatus) {
		t.Errorf("repo status = %v, want %v", res.RepoStatus, wantStatus)
	}
}

func TestDiffSettingsModes(t *testing.T) {
	primary := []Repo{repo("1", "10", "A", "a", "c", "m"), repo("2", "20", "B", "b", "c", "m")}
	node := []NodeSync{{Name: "n", Statuses: []*RepoSyncStatus{synced("1", "c", "m", t0, 0)}}}
	// All projects: repo 2 is missing.
	res := Diff(primary, &SyncSettings{Mode: ModeAllProjects}, node, false)
	if len(res.Mismatches) != 1 || res.Mismatches[0].RepoID != "2" || res.Mismatches[0].Kind != KindMissing {
		t.Errorf("all projects: %+v", res.Mismatches)
	}
	// Settings unknown: nothing is called missing on a guess.
	res = Diff(primary, nil, node, false)
	if len(res.Mismatches) != 0 || res.Compared != 1 {
		t.Errorf("unknown settings: %+v compared=%d", res.Mismatches, res.Compared)
	}
	// During an initial sync a repository not there yet is initializing.
	res = Diff(primary, &SyncSettings{Mode: ModeAllProjects}, node, true)
	if len(res.Mismatches) != 0 || res.RepoStatus[RepoInitializing] != 1 {
		t.Errorf("initial sync: %+v %v", res.Mismatches, res.RepoStatus)
	}
	// Selected projects, but the primary's list came from repo-hashes and
	// carries no project ids: what a node lists is compared, nothing else.
	stale := []*RepoSyncStatus{synced("1", "old", "m", t0, 0)}
	hashOnly := []Repo{{ID: "1", Hashes: Hashes{Content: "c", Metadata: "m"}}, {ID: "2", Hashes: Hashes{Content: "c", Metadata: "m"}}}
	res = Diff(hashOnly, &SyncSettings{Mode: ModeSelectedProjects, ProjectIDs: []string{"10"}}, []NodeSync{{Name: "n", Statuses: stale}}, false)
	if len(res.Mismatches) != 1 || res.Mismatches[0].RepoID != "1" || res.Mismatches[0].Kind != KindContent || res.Compared != 1 {
		t.Errorf("selected projects without project ids: %+v compared=%d", res.Mismatches, res.Compared)
	}
	// No node data at all: nothing compared.
	if res := Diff(primary, &SyncSettings{Mode: ModeAllProjects}, nil, false); res.Compared != 0 || len(res.Mismatches) != 0 {
		t.Errorf("no nodes: %+v", res)
	}
}

func TestLag(t *testing.T) {
	m := Mismatch{FirstSeen: t0, LastSyncDate: t0.Add(-time.Hour)}
	if m.Lag(t0.Add(90*time.Second)) != 90*time.Second || m.SyncLag(t0) != time.Hour {
		t.Errorf("lag %v synclag %v", m.Lag(t0.Add(90*time.Second)), m.SyncLag(t0))
	}
	if (Mismatch{}).SyncLag(t0) != 0 || m.Lag(t0.Add(-time.Second)) != 0 {
		t.Error("unknown or future times must give 0 lag")
	}
	// A queued change is earlier evidence than mirrortop's first sight.
	m.QueuedAt = t0.Add(-time.Minute)
	if m.Lag(t0) != time.Minute || !m.Since().Equal(m.QueuedAt) {
		t.Errorf("queued lag %v", m.Lag(t0))
	}
	m.QueuedAt = t0.Add(time.Minute)
	if !m.Since().Equal(t0) {
		t.Error("a later queue time must not move Since forward")
	}
}

func testState() *State {
	return NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{
		{Name: "eu", URL: "https://eu", Nodes: []NodeSpec{{Name: "eu-1"}, {Name: "eu-2"}}},
		{Name: "solo", URL: "https://solo"},
	}})
}

func TestStateFirstSeenAndResolution(t *testing.T) {
	s := testState()
	eu := TargetID{Farm: "eu"}
	n1, n2 := TargetID{Farm: "eu", Node: "eu-1"}, TargetID{Farm: "eu", Node: "eu-2"}
	s.Apply(Reading{Target: eu, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeAllProjects}})
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPRepos, At: t0, Data: []Repo{repo("1", "1", "A", "a", "new", "m"), repo("2", "1", "A", "b", "c", "m")}})
	s.Apply(Reading{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "old", "m", t0.Add(-time.Minute), 0), synced("2", "c", "m", t0, 0)}})
	s.Apply(Reading{Target: n2, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "new", "m", t0, 0)}})
	f := s.Farm("eu")
	if len(f.Mismatches) != 2 {
		t.Fatalf("mismatches %+v", f.Mismatches)
	}
	// Later readings keep the first-seen time of a mismatch that persists.
	t1 := t0.Add(5 * time.Minute)
	s.Apply(Reading{Target: n1, Endpoint: EPRepoSyncStatus, At: t1, Data: []*RepoSyncStatus{synced("1", "old", "m", t0.Add(-time.Minute), 1), synced("2", "c", "m", t0, 0)}})
	// Repo 1 (a failed sync) sorts before repo 2 at equal first-seen.
	if len(f.Mismatches) != 2 || f.Mismatches[0].RepoID != "1" {
		t.Fatalf("order %+v", f.Mismatches)
	}
	m := f.Mismatches[0]
	if m.RepoID != "1" || !m.FirstSeen.Equal(t0) || m.Lag(t1) != 5*time.Minute || m.FailedSyncCount != 1 {
		t.Errorf("persisting mismatch %+v", m)
	}
	if f.WorstLag(t1) != 5*time.Minute {
		t.Errorf("worst lag %v", f.WorstLag(t1))
	}
	// The farm's queue shows the change to repo 1 waiting since before t0.
	// The stamped list is a new one: the list readers hold is untouched.
	held, heldCopy := f.Mismatches, slices.Clone(f.Mismatches)
	s.Apply(Reading{Target: eu, Endpoint: EPQueue, At: t1, Data: []QueueItem{{ExternalRepoID: "1", CreatedAt: t0.Add(-10 * time.Minute)}}})
	if f.Mismatches[0].RepoID != "1" || f.WorstLag(t1) != 15*time.Minute {
		t.Errorf("queue evidence: first %s worst lag %v", f.Mismatches[0].RepoID, f.WorstLag(t1))
	}
	if !reflect.DeepEqual(held, heldCopy) {
		t.Error("stamping queue times wrote to a list of mismatches already handed out")
	}
	// The same queue again (or a queue item for an in-sync repository)
	// leaves the mismatches, and their generation, alone.
	gen := f.MismatchGen
	s.Apply(Reading{Target: eu, Endpoint: EPQueue, At: t1.Add(10 * time.Second), Data: []QueueItem{{ExternalRepoID: "1", CreatedAt: t0.Add(-10 * time.Minute)}, {ExternalRepoID: "9", CreatedAt: t1}}})
	if f.MismatchGen != gen {
		t.Errorf("an unchanged queue bumped the mismatch generation %d -> %d", gen, f.MismatchGen)
	}
	// Resolved once the node catches up; a new occurrence starts afresh.
	s.Apply(Reading{Target: n1, Endpoint: EPRepoSyncStatus, At: t1, Data: []*RepoSyncStatus{synced("1", "new", "m", t1, 0), synced("2", "c", "m", t0, 0)}})
	s.Apply(Reading{Target: n2, Endpoint: EPRepoSyncStatus, At: t1, Data: []*RepoSyncStatus{synced("1", "new", "m", t1, 0), synced("2", "c", "m", t1, 0)}})
	if len(f.Mismatches) != 0 {
		t.Fatalf("expected resolution, got %+v", f.Mismatches)
	}
	t2 := t1.Add(time.Minute)
	s.Apply(Reading{Target: n2, Endpoint: EPRepoSyncStatus, At: t2, Data: []*RepoSyncStatus{synced("1", "new", "m", t1, 0)}})
	if len(f.Mismatches) != 1 || !f.Mismatches[0].FirstSeen.Equal(t2) {
		t.Errorf("recurrence %+v", f.Mismatches)
	}
}

func TestNodeDownAndFarmHealth(t *testing.T) {
	s := testState()
	n1, n2 := TargetID{Farm: "eu", Node: "eu-1"}, TargetID{Farm: "eu", Node: "eu-2"}
	f := s.Farm("eu")
	if h := f.Health(); h.State != FarmUnknown || h.NodesTotal != 2 {
		t.Errorf("before readings: %+v", h)
	}
	ok := ServerStatus{State: "SYNCHRONIZED", MemberCount: 2, HasProgress: true}
	s.Apply(Reading{Target: n1, Endpoint: EPStatus, At: t0, Data: ok})
	s.Apply(Reading{Target: n2, Endpoint: EPStatus, At: t0, Data: ok})
	if h := f.Health(); h.State != "SYNCHRONIZED" || h.NodesUp != 2 {
		t.Errorf("healthy: %+v", h)
	}
	down := errors.New("GET /status: connection refused")
	s.Apply(Reading{Target: n2, Endpoint: EPStatus, At: t0.Add(time.Minute), Err: down})
	s.Apply(Reading{Target: n2, Endpoint: EPStatus, At: t0.Add(2 * time.Minute), Err: down})
	node := f.Node("eu-2")
	if node.State() != NodeDown || !node.DownSince.Equal(t0.Add(time.Minute)) || node.Error() != down.Error() {
		t.Errorf("down node: state %s since %v err %q", node.State(), node.DownSince, node.Error())
	}
	if !node.LastGood().Equal(t0) || node.Status.State != "SYNCHRONIZED" {
		t.Error("a failure must keep the last good data")
	}
	if h := f.Health(); h.State != FarmDegraded || h.NodesUp != 1 {
		t.Errorf("degraded: %+v", h)
	}
	s.Apply(Reading{Target: n1, Endpoint: EPStatus, At: t0.Add(2 * time.Minute), Err: down})
	if h := f.Health(); h.State != FarmDown {
		t.Errorf("all down: %+v", h)
	}
	s.Apply(Reading{Target: n1, Endpoint: EPStatus, At: t0.Add(3 * time.Minute), Data: ok})
	s.Apply(Reading{Target: n2, Endpoint: EPStatus, At: t0.Add(3 * time.Minute), Data: ServerStatus{State: "METADATA_SYNCHRONIZED"}})
	if h := f.Health(); h.State != "METADATA_SYNCHRONIZED" {
		t.Errorf("least advanced state wins: %+v", h)
	}
	if !f.Node("eu-2").DownSince.IsZero() {
		t.Error("DownSince must clear on recovery")
	}
	s.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPProgress, At: t0, Data: Progress{Discovering: true}})
	if h := f.Health(); h.State != FarmSyncing || !h.InitialSync {
		t.Errorf("initial sync: %+v", h)
	}
	s.Apply(Reading{Target: n2, Endpoint: EPStatus, At: t0.Add(4 * time.Minute), Data: ServerStatus{State: "SOMETHING_NEW"}})
	s.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPProgress, At: t0, Data: Progress{SyncedRepos: 5, TotalRepos: 5}})
	if h := f.Health(); h.State != "SOMETHING_NEW" {
		t.Errorf("an unknown state must show as itself: %+v", h)
	}
	// A farm without configured nodes is polled through its own URL as one node.
	if solo := s.Farm("solo"); len(solo.Nodes) != 1 || solo.Nodes[0].URL != "https://solo" {
		t.Errorf("solo farm nodes %+v", solo.Nodes)
	}
}

func TestQueueHistoryAndUnsupported(t *testing.T) {
	s := testState()
	eu := TargetID{Farm: "eu"}
	for i := range HistoryCapacity + 10 {
		s.Apply(Reading{Target: eu, Endpoint: EPQueueCount, At: t0.Add(time.Duration(i) * time.Second), Data: i})
	}
	f := s.Farm("eu")
	if f.QueueDepth != HistoryCapacity+9 || f.QueueHistory.Len() != HistoryCapacity {
		t.Errorf("depth %d history %d", f.QueueDepth, f.QueueHistory.Len())
	}
	if first := f.QueueHistory.Samples()[0]; first.Value != 10 {
		t.Errorf("oldest kept sample %+v", first)
	}
	s.Apply(Reading{Target: eu, Endpoint: EPLockOwners, At: t0, Unsupported: true})
	if e := f.Endpoints[EPLockOwners]; !e.Unsupported || e.Failing() {
		t.Errorf("unsupported endpoint %+v", e)
	}
	s.Apply(Reading{Target: eu, Endpoint: EPQueueCount, At: t0.Add(time.Hour), Err: errors.New("boom")})
	if errs := f.Endpoints.Errors(); len(errs) != 1 || errs[EPQueueCount] == nil || f.QueueDepth != HistoryCapacity+9 {
		t.Errorf("failing endpoint must be listed and keep data: %v", errs)
	}
	// Readings for unknown targets are ignored.
	s.Apply(Reading{Target: TargetID{Farm: "nope"}, Endpoint: EPQueueCount, At: t0, Data: 3})
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "nope"}, Endpoint: EPStatus, At: t0, Data: ServerStatus{}})
}

func TestSortWorstFirst(t *testing.T) {
	ms := []Mismatch{
		{RepoID: "5", FirstSeen: t0, LastSyncDate: t0, FailedSyncCount: 3},
		{RepoID: "3", FirstSeen: t0, LastSyncDate: t0},
		{RepoID: "2", FirstSeen: t0, LastSyncDate: t0.Add(-time.Hour)},
		{RepoID: "10", FirstSeen: t0.Add(-time.Minute), LastSyncDate: t0},
		{RepoID: "1", FirstSeen: t0, Kind: KindMissing},
		{RepoID: "4", FirstSeen: t0, LastSyncDate: t0, Kind: KindContent},
	}
	SortWorstFirst(ms)
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.RepoID)
	}
	if want := []string{"10", "5", "1", "2", "4", "3"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("order %v, want %v", ids, want)
	}
}

// TestSortWorstFirstMatchesStableSort checks the position sort against a
// plain stable sort of the values, on many ties (the same repository in
// several farms keeps the farms' order).
func TestSortWorstFirstMatchesStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []MismatchKind{KindMissing, KindContent, KindMetadata}
	ms := make([]Mismatch, 5000)
	for i := range ms {
		ms[i] = Mismatch{Farm: fmt.Sprint("f", i%3), RepoID: fmt.Sprint(rng.IntN(300)),
			FirstSeen: t0.Add(time.Duration(rng.IntN(4)) * time.Minute), FailedSyncCount: rng.IntN(2),
			Kind: kinds[rng.IntN(3)], Status: strconv.Itoa(i)}
		if rng.IntN(2) == 0 {
			ms[i].QueuedAt = t0.Add(-time.Duration(rng.IntN(3)) * time.Minute)
		}
		if rng.IntN(3) > 0 {
			ms[i].LastSyncDate = t0.Add(-time.Duration(rng.IntN(3)) * time.Hour)
		}
	}
	want := slices.Clone(ms)
	slices.SortStableFunc(want, func(a, b Mismatch) int {
		if c := a.Since().Compare(b.Since()); c != 0 {
			return c
		}
		if c := b.FailedSyncCount - a.FailedSyncCount; c != 0 {
			return c
		}
		if c := compareOldestFirst(a.LastSyncDate, b.LastSyncDate); c != 0 {
			return c
		}
		if c := kindRank(b.Kind) - kindRank(a.Kind); c != 0 {
			return c
		}
		if c := len(a.RepoID) - len(b.RepoID); c != 0 {
			return c
		}
		return strings.Compare(a.RepoID, b.RepoID)
	})
	SortWorstFirst(ms)
	for i := range ms {
		if ms[i].Status != want[i].Status {
			t.Fatalf("position %d: input %s (%s/%s), want input %s (%s/%s)", i, ms[i].Status, ms[i].Farm, ms[i].RepoID, want[i].Status, want[i].Farm, want[i].RepoID)
		}
	}
}

// TestMergeWorstFirstMatchesStableSort merges farms' sorted lists and
// checks the order against a stable sort of the lists one after another
// (ties, the same repository in several farms, keep the farms' order).
func TestMergeWorstFirstMatchesStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	kinds := []MismatchKind{KindMissing, KindContent, KindMetadata}
	var lists [][]Mismatch
	var all []*Mismatch
	for f, n := range []int{2000, 0, 1, 3000, 700} {
		ms := make([]Mismatch, n)
		for i := range ms {
			ms[i] = Mismatch{Farm: fmt.Sprint("f", f), RepoID: fmt.Sprint(rng.IntN(200)),
				FirstSeen: t0.Add(time.Duration(rng.IntN(4)) * time.Minute), FailedSyncCount: rng.IntN(2),
				Kind: kinds[rng.IntN(3)], Status: fmt.Sprint(f, "/", i)}
		}
		SortWorstFirst(ms)
		lists = append(lists, ms)
		for i := range ms {
			all = append(all, &ms[i])
		}
	}
	slices.SortStableFunc(all, CompareWorst)
	got := MergeWorstFirst(lists)
	if len(got) != len(all) {
		t.Fatalf("%d merged, want %d", len(got), len(all))
	}
	for i := range got {
		if got[i] != all[i] {
			t.Fatalf("position %d: %s, want %s", i, got[i].Status, all[i].Status)
		}
	}
	if got := MergeWorstFirst(nil); len(got) != 0 {
		t.Fatalf("nothing merged gave %d", len(got))
	}
}

func TestRepoSyncStatusStatus(t *testing.T) {
	cases := map[string]RepoSyncStatus{
		RepoAvailable:         {InitialSyncDate: MillisOf(t0), LastSyncDate: MillisOf(t0)},
		RepoErrorAvailable:    {InitialSyncDate: MillisOf(t0), FailedSyncCount: 1},
		RepoErrorInitializing: {FailedSyncCount: 2},
		RepoInitializing:      {},
	}
	for want, s := range cases {
		if got := s.Status(); got != want {
			t.Errorf("%+v: %s, want %s", s, got, want)
		}
	}
}

func TestSyncRate(t *testing.T) {
	s := testState()
	eu := TargetID{Farm: "eu"}
	f := s.Farm("eu")
	if _, _, ok := f.SyncRate(); ok {
		t.Error("no progress yet: no rate")
	}
	for i, synced := range []int{100, 130, 160, 190} {
		s.Apply(Reading{Target: eu, Endpoint: EPProgress, At: t0.Add(time.Duration(i) * 10 * time.Second), Data: Progress{SyncedRepos: synced, TotalRepos: 1000}})
	}
	rate, eta, ok := f.SyncRate()
	if !ok || rate != 3 || eta != 270*time.Second {
		t.Errorf("rate %v eta %v ok %v, want 3/s and 4m30s", rate, eta, ok)
	}
	s.Apply(Reading{Target: eu, Endpoint: EPProgress, At: t0.Add(time.Minute), Data: Progress{SyncedRepos: 1000, TotalRepos: 1000}})
	if _, _, ok := f.SyncRate(); ok {
		t.Error("a finished sync has no rate")
	}
}

func TestAlerts(t *testing.T) {
	s := testState()
	eu := TargetID{Farm: "eu"}
	s.Apply(Reading{Target: eu, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeAllProjects}})
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPRepos, At: t0, Data: []Repo{repo("1", "1", "A", "a", "new", "m"), repo("2", "1", "A", "b", "new", "m")}})
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: EPRepoSyncStatus, At: t0,
		Data: []*RepoSyncStatus{synced("1", "old", "m", t0, 0), synced("2", "old", "m", t0, 2)}})
	s.Apply(Reading{Target: eu, Endpoint: EPQueueCount, At: t0, Data: 700})
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu-2"}, Endpoint: EPStatus, At: t0, Err: errors.New("refused")})
	s.Apply(Reading{Target: eu, Endpoint: EPQueue, At: t0, Data: []QueueItem{{ExternalRepoID: "1", CreatedAt: t0.Add(-20 * time.Minute)}}})
	got := map[string]string{}
	for _, a := range s.Alerts(Thresholds{MaxLag: 10 * time.Minute, MaxQueue: 500, MaxMismatches: 1}, t0) {
		got[a.Key] = fmt.Sprintf("%s %s %s", a.Kind, a.Severity, a.Target)
	}
	want := map[string]string{"down/eu/eu-2": "node-down critical eu/eu-2", "queue/eu": "queue-depth warning eu",
		"mismatches/eu": "mismatches warning eu"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
	if n := len(s.Alerts(Thresholds{}, t0)); n != 1 {
		t.Errorf("zero thresholds disable all but node-down alerts: %d", n)
	}
	f := s.Farm("eu")
	if lag := f.Lagging(10*time.Minute, t0); len(lag) != 1 || lag[0].RepoID != "1" {
		t.Errorf("lagging %+v, want repository 1 (queued 20 minutes ago)", lag)
	}
	if f.Mismatches[0].Status != RepoAvailable || f.Mismatches[1].Status != RepoErrorAvailable {
		t.Errorf("mismatch statuses %q %q", f.Mismatches[0].Status, f.Mismatches[1].Status)
	}
}

func TestInitialSyncIsNotMissing(t *testing.T) {
	s := testState()
	eu := TargetID{Farm: "eu"}
	s.Apply(Reading{Target: eu, Endpoint: EPProgress, At: t0, Data: Progress{SyncedRepos: 1, TotalRepos: 2}})
	s.Apply(Reading{Target: eu, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeAllProjects}})
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPRepos, At: t0, Data: []Repo{repo("1", "1", "A", "a", "c", "m"), repo("2", "1", "A", "b", "c", "m")}})
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "c", "m", t0, 0)}})
	f := s.Farm("eu")
	if len(f.Mismatches) != 0 || f.RepoStatus[RepoInitializing] != 1 {
		t.Fatalf("during initial sync: %+v %v", f.Mismatches, f.RepoStatus)
	}
	// The sync says it is done but the node still lacks repo 2: now it is missing.
	s.Apply(Reading{Target: eu, Endpoint: EPProgress, At: t0.Add(time.Minute), Data: Progress{SyncedRepos: 2, TotalRepos: 2}})
	if len(f.Mismatches) != 1 || f.Mismatches[0].Kind != KindMissing {
		t.Errorf("after initial sync: %+v", f.Mismatches)
	}
}

func TestCertAlerts(t *testing.T) {
	s := testState()
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPStatus, At: t0, Data: ServerStatus{State: "RUNNING"}, CertExpiry: t0.Add(90 * 24 * time.Hour)})
	s.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPProgress, At: t0, Data: Progress{}, CertExpiry: t0.Add(5 * 24 * time.Hour)})
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: EPStatus, At: t0, Data: ServerStatus{}, CertExpiry: t0.Add(-time.Hour)})
	if !s.Farm("eu").Node("eu-1").CertExpiry.Equal(t0.Add(-time.Hour)) {
		t.Fatal("node cert not recorded")
	}
	got := map[string]string{}
	for _, a := range s.Alerts(Thresholds{CertDays: 14}, t0) {
		got[a.Key] = a.Text
	}
	if got["cert/eu"] != "TLS certificate of eu expires in 5 days" || got["cert/eu/eu-1"] != "TLS certificate of eu/eu-1 has expired" || got["cert/primary"] != "" {
		t.Errorf("cert alerts %v", got)
	}
	if n := len(s.Alerts(Thresholds{}, t0)); n != 0 {
		t.Errorf("cert_days 0 disables: %d alerts", n)
	}
}

// BenchmarkDiff100k is the model's part of a hash cycle: one farm of three
// nodes against 100 000 primary repositories, 1 % of them mismatched.
func BenchmarkDiff100k(b *testing.B) {
	const n = 100_000
	primary := make([]Repo, n)
	for i := range primary {
		id := strconv.Itoa(i + 1)
		primary[i] = repo(id, "1", "P", "r"+id, "c"+id, "m"+id)
	}
	nodes := make([]NodeSync, 3)
	for k := range nodes {
		st := make([]*RepoSyncStatus, n)
		for i := range st {
			c := primary[i].Hashes.Content
			if i%100 == k {
				c = "old"
			}
			st[i] = synced(primary[i].ID, c, primary[i].Hashes.Metadata, t0, 0)
		}
		nodes[k] = NodeSync{Name: "n" + strconv.Itoa(k), Statuses: st, index: indexSync(st)} // as State keeps them
	}
	settings := &SyncSettings{Mode: ModeAllProjects}
	b.ReportAllocs()
	for b.Loop() {
		if res := Diff(primary, settings, nodes, false); len(res.Mismatches) != 3000 {
			b.Fatalf("%d mismatches", len(res.Mismatches))
		}
	}
}

// Nodes listing the same repositories in the same order share one index;
// a node whose list differs gets its own, and the diff stays right.
func TestNodesShareIndex(t *testing.T) {
	s := testState()
	eu := TargetID{Farm: "eu"}
	n1, n2 := TargetID{Farm: "eu", Node: "eu-1"}, TargetID{Farm: "eu", Node: "eu-2"}
	s.Apply(Reading{Target: eu, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeAllProjects}})
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPRepos, At: t0, Data: []Repo{repo("1", "1", "A", "a", "c1", "m"), repo("2", "1", "A", "b", "c2", "m")}})
	s.Apply(Reading{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "c1", "m", t0, 0), synced("2", "c2", "m", t0, 0)}})
	s.Apply(Reading{Target: n2, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "old", "m", t0, 0), synced("2", "c2", "m", t0, 0)}})
	f := s.Farm("eu")
	same := func() bool {
		return reflect.ValueOf(f.Nodes[0].index).UnsafePointer() == reflect.ValueOf(f.Nodes[1].index).UnsafePointer()
	}
	if !same() {
		t.Error("nodes with the same repositories do not share an index")
	}
	if len(f.Mismatches) != 1 || f.Mismatches[0].RepoID != "1" {
		t.Fatalf("mismatches %+v", f.Mismatches)
	}
	// eu-2 now lists the repositories the other way round.
	s.Apply(Reading{Target: n2, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("2", "old", "m", t0, 0), synced("1", "c1", "m", t0, 0)}})
	if same() {
		t.Error("a node listing another order shares an index")
	}
	if len(f.Mismatches) != 1 || f.Mismatches[0].RepoID != "2" || f.Mismatches[0].Nodes[0] != "eu-2" {
		t.Fatalf("mismatches after reorder %+v", f.Mismatches)
	}
}

func TestMillisAndInt32(t *testing.T) {
	if MillisOf(time.Time{}) != 0 || !Millis(0).Time().IsZero() || !Millis(0).IsZero() {
		t.Error("the zero time must map to 0 and back")
	}
	at := time.Date(2026, 11, 22, 3, 4, 5, 678_900_000, time.FixedZone("X", 3600))
	if got := MillisOf(at).Time(); !got.Equal(at.Truncate(time.Millisecond)) || got.Location() != time.UTC {
		t.Errorf("round trip %v -> %v", at, got)
	}
	for in, want := range map[int]int32{0: 0, -5: -5, 1 << 40: math.MaxInt32, -(1 << 40): math.MinInt32} {
		if got := Int32(in); got != want {
			t.Errorf("Int32(%d) = %d, want %d", in, got, want)
		}
	}
	// A node of a 100 000-repository farm keeps 100 000 of these.
	if size := unsafe.Sizeof(RepoSyncStatus{}); size > 80 {
		t.Errorf("RepoSyncStatus takes %d bytes, want at most 80", size)
	}
}

// Lagging, a binary search over the sorted mismatches, finds exactly the
// mismatches a scan would.
func TestLaggingMatchesScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ms := make([]Mismatch, 500)
	for i := range ms {
		ms[i] = Mismatch{RepoID: strconv.Itoa(i), FirstSeen: t0.Add(-time.Duration(rng.IntN(120)) * time.Minute)}
		if rng.IntN(3) == 0 {
			ms[i].QueuedAt = t0.Add(-time.Duration(rng.IntN(180)) * time.Minute)
		}
	}
	SortWorstFirst(ms)
	f := &Farm{Mismatches: ms}
	for _, maxLag := range []time.Duration{0, time.Minute, 10 * time.Minute, time.Hour, 5 * time.Hour} {
		for _, now := range []time.Time{t0, t0.Add(30 * time.Minute), t0.Add(-3 * time.Hour)} {
			var want []string
			for i := range ms {
				if maxLag > 0 && ms[i].Lag(now) > maxLag {
					want = append(want, ms[i].RepoID)
				}
			}
			var got []string
			for _, m := range f.Lagging(maxLag, now) {
				got = append(got, m.RepoID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("lag %v at %v: got %d, want %d", maxLag, now, len(got), len(want))
			}
		}
	}
}

// Mismatches of one kind on one node share their Kinds and Nodes slices;
// growing another mismatch's lists never writes into them.
func TestSharedSingleSlicesStayIntact(t *testing.T) {
	primary := []Repo{repo("1", "1", "A", "a", "c1", "m1"), repo("2", "1", "A", "b", "c2", "m2"), repo("3", "1", "A", "c", "c3", "m3")}
	n1 := NodeSync{Name: "n1", Statuses: []*RepoSyncStatus{synced("1", "x", "m1", t0, 0), synced("2", "x", "y", t0, 0), synced("3", "c3", "m3", t0, 0)}}
	n2 := NodeSync{Name: "n2", Statuses: []*RepoSyncStatus{synced("1", "c1", "m1", t0, 0), synced("2", "c2", "z", t0, 0)}}
	res := Diff(primary, &SyncSettings{Mode: ModeAllProjects}, []NodeSync{n1, n2}, false)
	got := map[string]string{}
	for _, m := range res.Mismatches {
		got[m.RepoID] = fmt.Sprint(m.Kinds, m.Nodes)
	}
	want := map[string]string{"1": "[content] [n1]", "2": "[content metadata] [n1 n2]", "3": "[missing] [n2]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mismatches %v, want %v", got, want)
	}
	if !slices.Equal(one[KindContent], []MismatchKind{KindContent}) || !slices.Equal(one[KindMetadata], []MismatchKind{KindMetadata}) {
		t.Errorf("shared kind slices were written: %v %v", one[KindContent], one[KindMetadata])
	}
}

// A deferred recompute runs on another goroutine while readings keep
// arriving; a stale one is dropped, and queue times that moved while it ran
// are stamped by the (also deferred) restamp that follows it.
func TestDeferredRecompute(t *testing.T) {
	s := testState()
	eu := TargetID{Farm: "eu"}
	n1 := TargetID{Farm: "eu", Node: "eu-1"}
	s.Apply(Reading{Target: eu, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeAllProjects}})
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPRepos, At: t0, Data: []Repo{repo("1", "1", "A", "a", "new", "m"), repo("2", "1", "A", "b", "c", "m")}})
	f := s.Farm("eu")
	jobs := s.ApplyDeferred([]Reading{{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "old", "m", t0, 0), synced("2", "c", "m", t0, 0)}}})
	if len(jobs) != 1 || jobs[0].Farm() != "eu" || len(f.Mismatches) != 0 {
		t.Fatalf("jobs %d, mismatches before commit %d", len(jobs), len(f.Mismatches))
	}
	done := make(chan struct{})
	go func() { jobs[0].Run(); close(done) }()
	// Meanwhile, in the state's goroutine: a queue reading, and nodes'
	// readings that change nothing the job read.
	queued := t0.Add(-time.Hour)
	s.ApplyDeferred([]Reading{{Target: eu, Endpoint: EPQueue, At: t0, Data: []QueueItem{{ExternalRepoID: "1", CreatedAt: queued}}}})
	<-done
	if !s.Commit(jobs[0]) {
		t.Fatal("a current job was not committed")
	}
	held := f.Mismatches
	restamp := s.ApplyDeferred(nil)
	if len(restamp) != 1 || !restamp[0].restampOnly {
		t.Fatalf("no restamp after the queue moved: %d jobs", len(restamp))
	}
	restamp[0].Run()
	if !s.Commit(restamp[0]) {
		t.Fatal("the restamp was not committed")
	}
	if len(f.Mismatches) != 1 || !f.Mismatches[0].QueuedAt.Equal(queued) {
		t.Fatalf("after the restamp %+v", f.Mismatches)
	}
	if !held[0].QueuedAt.IsZero() {
		t.Error("the restamp wrote to the list it was given")
	}
	gen := f.MismatchGen
	// One recompute per farm at a time: a reading that arrives while one is
	// out leaves the farm dirty; the one out still lands (it is newer than
	// what is shown), and the next call prepares the next one.
	old := s.ApplyDeferred([]Reading{{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "new", "m", t0, 0), synced("2", "x", "m", t0, 0)}}})
	if len(old) != 1 {
		t.Fatalf("%d jobs", len(old))
	}
	if more := s.ApplyDeferred([]Reading{{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "new", "m", t0, 0), synced("2", "c", "m", t0, 0)}}}); len(more) != 0 {
		t.Fatalf("a second recompute went out for a farm that has one out: %d", len(more))
	}
	old[0].Run()
	if !s.Commit(old[0]) || len(f.Mismatches) != 1 || f.Mismatches[0].RepoID != "2" || f.MismatchGen == gen {
		t.Fatalf("the job out: %+v, gen %d (was %d)", f.Mismatches, f.MismatchGen, gen)
	}
	newer := s.ApplyDeferred(nil)
	if len(newer) != 1 {
		t.Fatalf("the farm left dirty got %d jobs after the commit", len(newer))
	}
	newer[0].Run()
	if !s.Commit(newer[0]) || len(f.Mismatches) != 0 {
		t.Errorf("the newer job: %d mismatches", len(f.Mismatches))
	}
	if again := s.ApplyDeferred(nil); len(again) != 0 {
		t.Errorf("a clean farm got %d jobs", len(again))
	}
	if s.Commit(&Recompute{f: f}) {
		t.Error("a job that did not run was committed")
	}
}

// Readings that change nothing a diff reads (the same settings, a node
// list of last round's entries) do not ask for a recompute.
func TestUnchangedReadingsAskNoRecompute(t *testing.T) {
	s := testState()
	eu := TargetID{Farm: "eu"}
	n1 := TargetID{Farm: "eu", Node: "eu-1"}
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPRepos, At: t0, Data: []Repo{repo("1", "1", "A", "a", "c", "m")}})
	list := []*RepoSyncStatus{synced("1", "c", "m", t0, 0)}
	settings := SyncSettings{Mode: ModeSelectedProjects, ProjectIDs: []string{"1"}}
	s.Apply(Reading{Target: eu, Endpoint: EPSyncSettings, At: t0, Data: settings})
	s.Apply(Reading{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: list})
	if jobs := s.ApplyDeferred([]Reading{
		{Target: eu, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeSelectedProjects, ProjectIDs: []string{"1"}}},
		{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: slices.Clone(list)},
	}); len(jobs) != 0 {
		t.Errorf("unchanged readings asked for %d recomputes", len(jobs))
	}
	if jobs := s.ApplyDeferred([]Reading{{Target: eu, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeAllProjects}}}); len(jobs) != 1 {
		t.Errorf("changed settings asked for %d recomputes", len(jobs))
	}
}

func TestNodeSyncOf(t *testing.T) {
	s := testState()
	n1 := TargetID{Farm: "eu", Node: "eu-1"}
	s.Apply(Reading{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("7", "c", "m", t0, 0), synced("9", "c", "m", t0, 3)}})
	n := s.Farm("eu").Node("eu-1")
	if st := n.SyncOf("9"); st == nil || st.FailedSyncCount != 3 {
		t.Errorf("SyncOf(9) = %+v", st)
	}
	if st := n.SyncOf("8"); st != nil {
		t.Errorf("SyncOf(8) = %+v, want nil", st)
	}
	byHand := &Node{Sync: []*RepoSyncStatus{synced("5", "c", "m", t0, 0)}}
	if byHand.SyncOf("5") == nil || byHand.SyncOf("6") != nil {
		t.Error("a node without an index is searched")
	}
}

func TestGrades(t *testing.T) {
	for s, want := range map[string]Grade{
		"SYNCHRONIZED": GradeOK, "running": GradeOK, RepoAvailable: GradeOK,
		NodeDown: GradeBad, "ERROR": GradeBad, RepoErrorAvailable: GradeBad, RepoErrorInitializing: GradeBad,
		NodeUnknown: GradeMuted, "SYNCHRONIZING": GradeWarn, RepoInitializing: GradeWarn, "SOMETHING_NEW": GradeWarn,
	} {
		if got := StateGrade(s); got != want {
			t.Errorf("StateGrade(%q) = %d, want %d", s, got, want)
		}
	}
	for h, want := range map[string]Grade{
		HealthOK: GradeOK, HealthSyncing: GradeWarn, HealthRetrying: GradeWarn, HealthNever: GradeWarn,
		HealthDisabled: GradeMuted, HealthUnknown: GradeMuted, HealthFailing: GradeBad, HealthStuck: GradeBad,
		HealthDiverged: GradeBad, HealthPaused: GradeBad,
	} {
		if got := HealthGrade(h); got != want {
			t.Errorf("HealthGrade(%q) = %d, want %d", h, got, want)
		}
	}
}

// The status counts follow each new reading of the node.
func TestRepoStatusCountsFollowReadings(t *testing.T) {
	s := testState()
	n1 := TargetID{Farm: "eu", Node: "eu-1"}
	s.Apply(Reading{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "c", "m", t0, 0), synced("2", "c", "m", t0, 3)}})
	n := s.Farm("eu").Node("eu-1")
	if c := n.RepoStatusCounts(); c[RepoAvailable] != 1 || c[RepoErrorAvailable] != 1 {
		t.Fatalf("counts %v", c)
	}
	s.Apply(Reading{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "c", "m", t0, 0), synced("2", "c", "m", t0, 0)}})
	if c := n.RepoStatusCounts(); c[RepoAvailable] != 2 || c[RepoErrorAvailable] != 0 {
		t.Errorf("counts after a new reading %v", c)
	}
}

// The same repository list read again confirms the list and recomputes
// nothing; a changed one is taken and recomputed.
func TestSameRepoListRecomputesNothing(t *testing.T) {
	s := testState()
	eu := TargetID{Farm: "eu"}
	s.Apply(Reading{Target: eu, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeAllProjects}})
	repos := []Repo{repo("1", "1", "A", "a", "new", "m")}
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPRepos, At: t0, Data: repos})
	t1 := t0.Add(time.Minute)
	if jobs := s.ApplyDeferred([]Reading{{Target: PrimaryTarget, Endpoint: EPRepos, At: t1, Data: slices.Clone(repos)}}); len(jobs) != 0 {
		t.Fatalf("the same list made %d computations", len(jobs))
	}
	if p := s.Primary; !p.ReposAt.Equal(t0) || !p.ReposCheckedAt.Equal(t1) {
		t.Errorf("reposAt %v, checked %v", p.ReposAt, p.ReposCheckedAt)
	}
	changed := []Repo{repo("1", "1", "A", "a", "newer", "m")}
	if jobs := s.ApplyDeferred([]Reading{{Target: PrimaryTarget, Endpoint: EPRepos, At: t1, Data: changed}}); len(jobs) != len(s.Farms) {
		t.Fatalf("a changed list made %d computations", len(jobs))
	}
	if !s.Primary.ReposAt.Equal(t1) || s.Primary.Repos[0].Hashes.Content != "newer" {
		t.Errorf("the changed list was not taken: %+v", s.Primary)
	}
}
