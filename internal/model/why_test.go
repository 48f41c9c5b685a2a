package model

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// whyFarm is a farm of three nodes, eu-1..eu-3, each listing repository 1
// (hash "aaa"/"mmm") and 2; eu-3 lacks repository 3, which the others list.
func whyFarm() *Farm {
	f := &Farm{Name: "eu", ClusterNodes: []ClusterNode{
		{ID: "uuid-1", Name: "eu-1"}, {ID: "uuid-2", Name: "eu-2"}, {ID: "uuid-3", Name: "eu-3"}}}
	for i, name := range []string{"eu-1", "eu-2", "eu-3"} {
		n := &Node{Name: name, HasSync: true, Endpoints: Health{}}
		n.Sync = []*RepoSyncStatus{synced("1", "aaa", "mmm", t0.Add(-time.Hour), 0), synced("2", "bbb", zero40, t0.Add(-time.Hour), 0)}
		if i < 2 {
			n.Sync = append(n.Sync, synced("3", "ccc", "mmm", t0, 0))
		}
		f.Nodes = append(f.Nodes, n)
	}
	return f
}

func TestVerdictCauses(t *testing.T) {
	now := t0
	content := Mismatch{RepoID: "1", Kind: KindContent, Kinds: []MismatchKind{KindContent}, Nodes: []string{"eu-2"}}
	cases := []struct {
		name  string
		setup func(f *Farm, m *Mismatch)
		cause Cause
		line  string
	}{
		{"nothing", func(f *Farm, m *Mismatch) {}, CauseNone,
			"no cause found: not queued, not locked, no failures — the next full sync should pick it up"},
		{"queued", func(f *Farm, m *Mismatch) {
			f.Queue = []QueueItem{{ExternalRepoID: "9"}, {ExternalRepoID: "1", Type: "incremental", Attempt: 2, CreatedAt: now.Add(-3*time.Minute - 10*time.Second)}}
		}, CauseQueued, "waiting in the queue (INCREMENTAL, attempt 2, 3m)"},
		{"failing", func(f *Farm, m *Mismatch) {
			m.FailedSyncCount, m.LastSyncDate = 4, now.Add(-2*time.Hour-5*time.Minute)
		}, CauseFailing, "sync failing (4 failures, last success 2h ago)"},
		{"failing never synced", func(f *Farm, m *Mismatch) { m.FailedSyncCount = 1 }, CauseFailing, "sync failing (1 failure, never synced)"},
		{"failing on the nodes that report it", func(f *Farm, m *Mismatch) {
			m.FailedSyncCount, m.LastSyncDate = 2, now.Add(-5*time.Minute)
			for _, i := range []int{0, 2} {
				f.Nodes[i].Sync = []*RepoSyncStatus{{ExternalRepoID: "1", FailedSyncCount: int32(i + 1)}}
			}
		}, CauseFailing, "sync failing on eu-1, eu-3 (2 failures, last success 5m ago)"},
		{"lock stuck", func(f *Farm, m *Mismatch) {
			f.Locks = []LockOwner{{ExternalRepoID: "1", NodeID: "uuid-2", ThreadName: "farm-refchange-poller:thread-2", AcquiredAt: now.Add(-25 * time.Minute)}}
		}, CauseLockStuck, "lock held 25m by farm-refchange-poller:thread-2 on node eu-2 — likely stuck"},
		{"lock fresh", func(f *Farm, m *Mismatch) {
			f.Locks = []LockOwner{{ExternalRepoID: "1", NodeID: "uuid-9abcdef0-1", ThreadName: "t\x1b[31m1", AcquiredAt: now.Add(-2 * time.Minute)}}
		}, CauseSyncing, "being synced: lock held 2m by t1 on node uuid-9ab…"},
		{"missing on one node", func(f *Farm, m *Mismatch) {
			*m = Mismatch{RepoID: "3", Kind: KindMissing, Kinds: []MismatchKind{KindMissing}, Nodes: []string{"eu-3"}}
		}, CauseMissingSome, "missing on node eu-3 only"},
		{"initial sync", func(f *Farm, m *Mismatch) {
			f.HasProgress, f.Progress = true, Progress{SyncedRepos: 10, TotalRepos: 40}
		}, CauseInitialSync, "initial sync under way (10 of 40 repositories)"},
		{"delayed", func(f *Farm, m *Mismatch) { f.Delayed = []DelayedRepo{{RepositoryID: "1"}} }, CauseDelayed, "in delayed sync"},
		{"out-of-sync diagnostics", func(f *Farm, m *Mismatch) {
			f.Diagnostics = DiagnosticsOn
			f.Nodes[1].OutOfSync = map[string]bool{"1": true}
			f.Nodes[2].OutOfSync = map[string]bool{"1": true}
		}, CauseDelayed, "in delayed sync (out of sync on node eu-2, eu-3 by the farm's own diagnostics)"},
		{"hashes unknown", func(f *Farm, m *Mismatch) {
			*m = Mismatch{RepoID: "2", Kind: KindContent, Kinds: []MismatchKind{KindContent}, Nodes: []string{"eu-1"}}
		}, CauseHashesUnknown, "hashes unknown (all zeros: Bitbucket computes them after the next change — harmless)"},
	}
	for _, c := range cases {
		f, m := whyFarm(), content
		c.setup(f, &m)
		v := Explain(f, &m, 10*time.Minute, now)
		if v.Cause != c.cause || v.Line != c.line {
			t.Errorf("%s: got %s %q, want %s %q", c.name, v.Cause, v.Line, c.cause, c.line)
		}
	}
}

func TestVerdictPrecedenceAndEvidence(t *testing.T) {
	now := t0
	f := whyFarm()
	f.Diagnostics = DiagnosticsOff
	f.Delayed = []DelayedRepo{{RepositoryID: "1"}}
	f.Queue = []QueueItem{{ExternalRepoID: "1", Type: "SNAPSHOT", Attempt: 1, CreatedAt: now.Add(-time.Minute)}}
	f.Locks = []LockOwner{{ExternalRepoID: "1", NodeID: "uuid-2", ThreadName: "farm-refchange-poller:thread-2", AcquiredAt: now.Add(-25 * time.Minute)}}
	m := Mismatch{RepoID: "1", Kind: KindContent, Nodes: []string{"eu-2"}, FailedSyncCount: 3, LastSyncDate: now.Add(-time.Hour)}
	v := Explain(f, &m, 10*time.Minute, now)
	want := Verdict{Cause: CauseLockStuck, Line: "lock held 25m by farm-refchange-poller:thread-2 on node eu-2 — likely stuck",
		Evidence: []string{"sync failing (3 failures, last success 1h ago)", "waiting in the queue (SNAPSHOT, attempt 1, 1m)",
			"in delayed sync", DiagnosticsOffText},
		Lock: &LockInfo{Thread: "farm-refchange-poller:thread-2", Node: "eu-2", Held: 25 * time.Minute, Stuck: true}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("got %#v\nwant %#v", v, want)
	}
	// Under max_lock the lock is a sync under way and ranks below failures and the queue.
	v = Explain(f, &m, time.Hour, now)
	if v.Cause != CauseFailing || v.Evidence[0] != "waiting in the queue (SNAPSHOT, attempt 1, 1m)" ||
		v.Evidence[1] != "being synced: lock held 25m by farm-refchange-poller:thread-2 on node eu-2" || v.Lock.Stuck {
		t.Errorf("under max_lock: %#v", v)
	}
	// max_lock 0 never calls a lock stuck.
	if v := Explain(f, &m, 0, now); v.Lock.Stuck || v.Cause != CauseFailing {
		t.Errorf("max_lock 0: %#v", v)
	}
}

func TestOutOfSyncReadings(t *testing.T) {
	s := NewState(Spec{Farms: []FarmSpec{{Name: "eu", Nodes: []NodeSpec{{Name: "eu-1"}, {Name: "eu-2"}}}}})
	f := s.Farm("eu")
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: EPOutOfSync, At: t0, Unsupported: true})
	if f.Diagnostics != DiagnosticsUnsupported {
		t.Fatalf("unsupported: %q", f.Diagnostics)
	}
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: EPOutOfSync, At: t0, Data: DiagnosticsOff})
	if f.Diagnostics != DiagnosticsOff || len(f.Nodes[0].Endpoints.Errors()) != 0 {
		t.Fatalf("off: %q %v", f.Diagnostics, f.Nodes[0].Endpoints.Errors())
	}
	s.Apply(Reading{Target: TargetID{Farm: "eu", Node: "eu-2"}, Endpoint: EPOutOfSync, At: t0, Data: NewOutOfSyncRepos([]string{"7", "12"})})
	if f.Diagnostics != DiagnosticsOn || !reflect.DeepEqual(f.Nodes[1].OutOfSync, map[string]bool{"7": true, "12": true}) {
		t.Fatalf("on: %q %v", f.Diagnostics, f.Nodes[1].OutOfSync)
	}
}

func TestLockAlert(t *testing.T) {
	s := NewState(Spec{Farms: []FarmSpec{{Name: "eu", URL: "u"}}})
	f := s.Farm("eu")
	f.ClusterNodes = []ClusterNode{{ID: "uuid-2", Name: "eu-2"}}
	f.Locks = []LockOwner{
		{ExternalRepoID: "5", NodeID: "uuid-2", ThreadName: "farm-refchange-poller:thread-2\x07", AcquiredAt: t0.Add(-25 * time.Minute)},
		{ExternalRepoID: "6", NodeID: "uuid-2", ThreadName: "x", AcquiredAt: t0.Add(-5 * time.Minute)},
	}
	var got []string
	for _, a := range s.Alerts(Thresholds{MaxLock: 10 * time.Minute}, t0) {
		got = append(got, a.Key+" "+a.Text)
	}
	want := []string{"lock/eu/5 farm eu: lock on repository 5 held 25m > 10m by farm-refchange-poller:thread-2 on node eu-2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
	for _, a := range s.Alerts(Thresholds{}, t0) {
		if strings.HasPrefix(a.Key, "lock/") {
			t.Errorf("max_lock 0 alerted: %v", a)
		}
	}
}
