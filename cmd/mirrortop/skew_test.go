package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// The snapshot JSON carries each node's clock skew against the primary and
// version skew, and each farm's lag distribution and last-seen time.
func TestSnapshotSkewAndLag(t *testing.T) {
	s, path := startSim(t, sim.Options{Repos: 40, PushEvery: -1, FailRate: -1, StuckRepos: 2, User: "admin", Password: "pw"})
	s.Advance(time.Minute) // the stuck repos stay mismatched on eu-3
	if err := s.SetClockSkew("eu/eu-2", 45*time.Second); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, "snapshot", "--config", path, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	var snap Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	skews := map[string]float64{}
	versionSkew := map[string]bool{}
	for _, f := range snap.Farms {
		for _, n := range f.Nodes {
			if n.ClockSkewS == nil {
				t.Fatalf("node %s/%s has no clockSkewSeconds", f.Name, n.Name)
			}
			skews[f.Name+"/"+n.Name] = *n.ClockSkewS
			versionSkew[f.Name+"/"+n.Name] = n.VersionSkew
		}
	}
	want := map[string]float64{"eu/eu-1": 0, "eu/eu-2": 45, "eu/eu-3": 0, "us/us-1": 0, "us/us-2": 0}
	for k, v := range want {
		if skews[k] != v {
			t.Errorf("%s clockSkewSeconds %v, want %v", k, skews[k], v)
		}
	}
	// The primary runs 9.6.2, us 8.19.9.
	if !versionSkew["us/us-1"] || !versionSkew["us/us-2"] || versionSkew["eu/eu-1"] {
		t.Errorf("versionSkew %v", versionSkew)
	}
	for _, f := range snap.Farms {
		if f.LastSeenByPrimary == nil || !f.LastSeenByPrimary.Equal(s.Now().Truncate(time.Millisecond)) {
			t.Errorf("farm %s lastSeenByPrimary %v, want %v", f.Name, f.LastSeenByPrimary, s.Now())
		}
	}
	eu := snap.Farms[0]
	if len(eu.Mismatches) != 2 {
		t.Fatalf("eu mismatches %d", len(eu.Mismatches))
	}
	// Nearest rank of two lags: p50 is the smaller, p95 and max the larger.
	lags := []float64{eu.Mismatches[0].LagS, eu.Mismatches[1].LagS}
	lo, hi := min(lags[0], lags[1]), max(lags[0], lags[1])
	if eu.Lag.P50 < lo-1 || eu.Lag.P50 > lo+1 || eu.Lag.P95 < hi-1 || eu.Lag.P95 > hi+1 || eu.Lag.Max != eu.Lag.P95 || eu.Lag.Max != eu.WorstLagS {
		t.Errorf("eu lag %+v, mismatch lags %v, worst %v", eu.Lag, lags, eu.WorstLagS)
	}
	// The keys as they are spelled.
	f0 := raw["farms"].([]any)[0].(map[string]any)
	lag := f0["lag"].(map[string]any)
	for _, k := range []string{"p50", "p95", "max"} {
		if _, ok := lag[k]; !ok {
			t.Errorf("lag.%s missing", k)
		}
	}
	if _, err := time.Parse(time.RFC3339, f0["lastSeenByPrimary"].(string)); err != nil {
		t.Errorf("lastSeenByPrimary %v: %v", f0["lastSeenByPrimary"], err)
	}
	n1 := f0["nodes"].([]any)[1].(map[string]any)
	if n1["clockSkewSeconds"] != 45.0 {
		t.Errorf("eu-2 node JSON %v", n1)
	}
	if _, ok := f0["nodes"].([]any)[0].(map[string]any)["versionSkew"]; ok {
		t.Error("versionSkew present where the versions agree")
	}
	if !strings.Contains(out, `"clockSkewSeconds": 0`) {
		t.Error("an even clock is not 0")
	}
}

func TestSnapshotLagFigures(t *testing.T) {
	st := model.NewState(model.Spec{PrimaryURL: "https://p", Farms: []model.FarmSpec{{Name: "eu", URL: "https://eu"}}})
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	f := st.Farms[0]
	for _, m := range []int{30, 20, 10} {
		f.Mismatches = append(f.Mismatches, model.Mismatch{RepoID: strconv.Itoa(m), FirstSeen: now.Add(-time.Duration(m) * time.Minute)})
	}
	f.MismatchGen++
	b, err := json.Marshal(buildSnapshot(st, nil, now, model.Thresholds{}).Farms[0].Lag)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"p50":1200,"p95":1800,"max":1800}` {
		t.Fatalf("lag %s", b)
	}
}
