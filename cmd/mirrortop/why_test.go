package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/sim"
)

// A repository whose sync lock is stuck: the snapshot's JSON says why, in
// one line, with the lock; the farm's diagnostics are on and list it.
func TestSnapshotReasonStuckLock(t *testing.T) {
	s, path := startSim(t, sim.Options{Repos: 30, PushEvery: -1, FailRate: -1})
	if err := s.StickLock("eu", 4, 25*time.Minute); err != nil {
		t.Fatal(err)
	}
	appendConfig(t, path, "\n[alerts]\nmax_lock = \"20m\"\n")
	code, out, stderr := runCmd(t, "snapshot", "--config", path, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var snap Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	eu := snap.Farms[0]
	if eu.Name != "eu" || eu.Diagnostics != "on" || snap.Farms[1].Diagnostics != "unsupported" {
		t.Fatalf("farms %s %q, %s %q", eu.Name, eu.Diagnostics, snap.Farms[1].Name, snap.Farms[1].Diagnostics)
	}
	for _, n := range eu.Nodes {
		if !reflect.DeepEqual(n.OutOfSync, []string{"4"}) {
			t.Errorf("%s outOfSync %q", n.Name, n.OutOfSync)
		}
	}
	if len(eu.Mismatches) != 1 {
		t.Fatalf("mismatches %+v", eu.Mismatches)
	}
	m := eu.Mismatches[0]
	if want := "lock held 25m by farm-refchange-poller:thread-3 on node eu-2 — likely stuck"; m.RepoID != "4" || m.Reason != want {
		t.Errorf("repo %s reason %q, want %q", m.RepoID, m.Reason, want)
	}
	if m.Lock == nil || m.Lock.Thread != "farm-refchange-poller:thread-3" || m.Lock.Node != "eu-2" || m.Lock.HeldS < 1500 || m.Lock.HeldS > 1560 {
		t.Errorf("lock %+v", m.Lock)
	}
	if len(snap.Errors) != 0 {
		t.Errorf("errors %+v", snap.Errors)
	}
	// The table says it too, beneath the mismatches.
	_, out, _ = runCmd(t, "snapshot", "--config", path)
	if !strings.Contains(out, "\nWHY (the verdict on each mismatch above)\nFARM  REPOSITORY") ||
		!strings.Contains(out, "lock held 25m by farm-refchange-poller:thread-3 on node eu-2 — likely stuck\n") {
		t.Errorf("table:\n%s", out)
	}
	// With max_lock above the lock's age, the lock is a sync under way and
	// the queue entry behind it comes first.
	cfg := must(os.ReadFile(path))
	if err := os.WriteFile(path, []byte(strings.Replace(cfg, `max_lock = "20m"`, `max_lock = "1h"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out, _ = runCmd(t, "snapshot", "--config", path, "--format", "json")
	snap = Snapshot{}
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	if r := snap.Farms[0].Mismatches[0].Reason; !strings.HasPrefix(r, "waiting in the queue (INCREMENTAL, attempt 1, ") {
		t.Errorf("reason under max_lock %q", r)
	}
}

func must(b []byte, err error) string {
	if err != nil {
		panic(err)
	}
	return string(b)
}
