package check

import (
	"bytes"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/snapshot"
)

func intp(n int) *int { return &n }

// snap is two farms, eu with a node down, us with a deep queue, and a
// GitLab alert of no farm.
func snap() snapshot.Snapshot {
	return snapshot.Snapshot{
		Primary: snapshot.SnapPrimary{State: "RUNNING", Repos: 10},
		Farms: []snapshot.SnapFarm{
			{Name: "eu", State: "DEGRADED", NodesUp: 2, NodesTotal: 3, QueueDepth: intp(4), WorstLagS: 61.4,
				Mismatches: make([]snapshot.SnapMismatch, 2)},
			{Name: "us", State: "SYNCHRONIZED", NodesUp: 2, NodesTotal: 2, QueueDepth: intp(900)},
		},
		Alerts: []snapshot.SnapAlert{
			{Kind: "queue-depth", Severity: "warning", Target: "us", Farm: "us", Message: "farm us queue depth 900 > 500"},
			{Kind: "node-down", Severity: "critical", Target: "eu/eu-2", Farm: "eu", Message: "node eu/eu-2 is down"},
			{Kind: "gitlab-mirror", Severity: "warning", Target: "gl/1/push/2", Message: "gl push mirror of a|b is failing"},
		},
	}
}

// The whole output, as a plugin prints it: status line with performance
// data, then the alerts worst first and a line per farm.
func TestJudgeAndWrite(t *testing.T) {
	r := Judge(snap(), Options{Thresholds: model.Thresholds{MaxQueue: 500, MaxMismatches: 50, MaxLag: 10 * time.Minute}})
	if r.Status != Critical {
		t.Fatalf("status %s", r.Status)
	}
	var b bytes.Buffer
	r.Write(&b)
	want := "MIRRORTOP CRITICAL - 2 farm(s), 4/5 nodes up: node eu/eu-2 is down (and 2 more alerts) | " +
		"'eu_nodes_up'=2;;;0;3 'eu_queue'=4;500;;0 'eu_mismatches'=2;50;;0 'eu_worst_lag'=61s;600;;0 " +
		"'us_nodes_up'=2;;;0;2 'us_queue'=900;500;;0 'us_mismatches'=0;50;;0 'us_worst_lag'=0s;600;;0\n" +
		"CRITICAL: node eu/eu-2 is down\n" +
		"WARNING: farm us queue depth 900 > 500\n" +
		"WARNING: gl push mirror of a/b is failing\n" +
		"farm eu: DEGRADED, 2/3 nodes up, 2 mismatches, worst lag 1m\n" +
		"farm us: SYNCHRONIZED, 2/2 nodes up, 0 mismatches, worst lag 0s\n"
	if b.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", b.String(), want)
	}
}

// --farm narrows: us alone is WARNING (its queue); the GitLab alert,
// of no farm, is left out; a farm not in the snapshot is UNKNOWN.
func TestJudgeNarrowed(t *testing.T) {
	r := Judge(snap(), Options{Farms: []string{"us"}})
	if r.Status != Warning || r.Summary != "1 farm(s), 2/2 nodes up: farm us queue depth 900 > 500" || len(r.Long) != 2 {
		t.Errorf("us: %s %q %q", r.Status, r.Summary, r.Long)
	}
	s := snap()
	s.Alerts = s.Alerts[:1]
	if r := Judge(s, Options{Farms: []string{"eu"}}); r.Status != OK || r.Summary != "1 farm(s), 2/3 nodes up, no alert" {
		t.Errorf("eu without alerts: %s %q", r.Status, r.Summary)
	}
	if r := Judge(snap(), Options{Farms: []string{"apac"}}); r.Status != Unknown {
		t.Errorf("unknown farm: %s %q", r.Status, r.Summary)
	}
}

// What cannot be judged is UNKNOWN, never OK.
func TestJudgeUnreadablePrimary(t *testing.T) {
	s := snap()
	s.Alerts = nil
	s.Errors = []snapshot.SnapError{{Target: "primary", Endpoint: "status", Message: "connection refused"}}
	if r := Judge(s, Options{}); r.Status != Unknown || r.Summary != "cannot read the primary (status): connection refused" {
		t.Errorf("%s %q", r.Status, r.Summary)
	}
	s.Errors = nil
	s.Primary.State = model.NodeDown
	if r := Judge(s, Options{}); r.Status != Unknown {
		t.Errorf("primary down: %s", r.Status)
	}
}
