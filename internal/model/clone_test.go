package model

import (
	"reflect"
	"testing"
	"time"
)

// TestCloneKnowsEveryField fails when a field is added to a type Clone
// copies: Clone must then share or copy it (see Clone).
func TestCloneKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		t reflect.Type
		n int
	}{
		{reflect.TypeFor[State](), 4}, {reflect.TypeFor[Primary](), 14}, {reflect.TypeFor[Farm](), 36},
		{reflect.TypeFor[Node](), 18}, {reflect.TypeFor[GitLabInstance](), 9}, {reflect.TypeFor[GitLabMirrorState](), 8},
		{reflect.TypeFor[GitLabHistory](), 3}, {reflect.TypeFor[MirrorHistory](), 5}, {reflect.TypeFor[UpdateFollow](), 8},
	} {
		if got := c.t.NumField(); got != c.n {
			t.Errorf("%v has %d fields, Clone knows %d: update Clone and this count", c.t, got, c.n)
		}
	}
}

// TestCloneIsIndependent applies readings to a clone and checks that the
// original does not change, and the other way round.
func TestCloneIsIndependent(t *testing.T) {
	at := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	s := NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{{Name: "eu", URL: "https://eu"}}})
	s.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPQueueCount, At: at, Data: 3})
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu"}, Endpoint: EPStatus, At: at, Data: ServerStatus{State: "SYNCHRONIZED"}})
	c, _ := s.Clone(nil)
	c.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPQueueCount, At: at.Add(time.Second), Data: 9})
	c.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu"}, Endpoint: EPStatus, At: at.Add(time.Second), Err: errTest})
	f := s.Farm("eu")
	if f.QueueDepth != 3 || f.QueueHistory.Len() != 1 || !f.Nodes[0].Up() {
		t.Fatalf("the original changed: depth %d, history %d, up %v", f.QueueDepth, f.QueueHistory.Len(), f.Nodes[0].Up())
	}
	if cf := c.Farm("eu"); cf.QueueDepth != 9 || cf.QueueHistory.Len() != 2 || cf.Nodes[0].Up() {
		t.Fatalf("the clone did not change: depth %d, history %d", cf.QueueDepth, cf.QueueHistory.Len())
	}
}

type testErr string

func (e testErr) Error() string { return string(e) }

const errTest = testErr("down")

// TestCommitToALaterCopy: a computation prepared on a state is committed
// to a copy made while it ran (a shared state changes only copies of
// itself): the copy shows its mismatches, the original stays as it was,
// and the farm's lag cache and node counts made before are kept.
func TestCommitToALaterCopy(t *testing.T) {
	s := testState()
	n1 := TargetID{Farm: "eu", Node: "eu-1"}
	s.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeAllProjects}})
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPRepos, At: t0, Data: []Repo{repo("1", "1", "A", "a", "new", "m"), repo("2", "1", "A", "b", "c", "m")}})
	jobs := s.ApplyDeferred([]Reading{{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "old", "m", t0, 0), synced("2", "c", "m", t0, 0)}}})
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	counts := s.Farm("eu").Nodes[0].RepoStatusCounts()
	c, _ := s.Clone(nil)
	jobs[0].Run()
	if !c.Commit(jobs[0]) {
		t.Fatal("the computation was not committed to the copy")
	}
	if got := c.Farm("eu").Mismatches; len(got) != 1 || got[0].RepoID != "1" {
		t.Fatalf("the copy's mismatches: %+v", got)
	}
	if got := s.Farm("eu").Mismatches; len(got) != 0 {
		t.Fatalf("the original changed: %d mismatches", len(got))
	}
	if next := c.ApplyDeferred(nil); len(next) != 0 {
		t.Fatalf("the copy still waits for a computation: %d due", len(next))
	}
	if got := c.Farm("eu").Nodes[0].counts.Load(); got == nil || !reflect.DeepEqual(*got, counts) {
		t.Errorf("the node's counts were not kept by the copy: %v", got)
	}
	c.Farm("eu").LagStats(t0)
	if d, _ := c.Clone(nil); d.Farm("eu").lagStats.Load() != c.Farm("eu").lagStats.Load() {
		t.Error("the lag cache was not kept by the copy")
	}
}

// TestCloneKeepsJobsOfAnEarlierCopy: a computation prepared on a state
// and not yet committed is carried by a clone of a later copy of it (a
// shared state changes only copies of itself, so a replay's checkpoint
// clones a copy made after its pending computations were prepared).
func TestCloneKeepsJobsOfAnEarlierCopy(t *testing.T) {
	s := testState()
	n1 := TargetID{Farm: "eu", Node: "eu-1"}
	s.Apply(Reading{Target: TargetID{Farm: "eu"}, Endpoint: EPSyncSettings, At: t0, Data: SyncSettings{Mode: ModeAllProjects}})
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPRepos, At: t0, Data: []Repo{repo("1", "1", "A", "a", "new", "m"), repo("2", "1", "A", "b", "c", "m")}})
	jobs := s.ApplyDeferred([]Reading{{Target: n1, Endpoint: EPRepoSyncStatus, At: t0, Data: []*RepoSyncStatus{synced("1", "old", "m", t0, 0), synced("2", "c", "m", t0, 0)}}})
	if len(jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs))
	}
	later, _ := s.Clone(nil)
	c, cj := later.Clone(jobs)
	if len(cj) != 1 {
		t.Fatalf("the clone carries %d of the 1 computation pending", len(cj))
	}
	cj[0].Run()
	if !c.Commit(cj[0]) {
		t.Fatal("the carried computation was not committed to the clone")
	}
	if got := c.Farm("eu").Mismatches; len(got) != 1 || got[0].RepoID != "1" {
		t.Fatalf("the clone's mismatches: %+v", got)
	}
	if got := later.Farm("eu").Mismatches; len(got) != 0 {
		t.Fatalf("the copy cloned changed: %d mismatches", len(got))
	}
}
