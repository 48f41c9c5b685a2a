package poller_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/sim"
)

func alertsWithKey(as []model.Alert, prefix string) []string {
	var out []string
	for _, a := range as {
		if strings.HasPrefix(a.Key, prefix) {
			out = append(out, a.Text)
		}
	}
	return out
}

// A node whose Date header runs 45 s ahead shows a 45 s skew against the
// primary, the others none, and draws the max_clock_skew alert.
func TestPollClockSkew(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 12, PushEvery: -1, FailRate: -1})
	if err := s.SetClockSkew("eu/eu-2", 45*time.Second); err != nil {
		t.Fatal(err)
	}
	cfg := simConfig(t, s)
	st := newState(t, cfg)
	pollOnce(t, cfg, st)
	if !st.Primary.HasClockOffset {
		t.Fatal("no clock offset of the primary")
	}
	got := map[string]time.Duration{}
	for _, f := range st.Farms {
		for _, n := range f.Nodes {
			d, ok := st.ClockSkew(n)
			if !ok {
				t.Fatalf("no clock skew of %s/%s", f.Name, n.Name)
			}
			got[f.Name+"/"+n.Name] = d
		}
	}
	want := map[string]time.Duration{"eu/eu-1": 0, "eu/eu-2": 45 * time.Second, "eu/eu-3": 0, "us/us-1": 0, "us/us-2": 0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s skew %v, want %v", k, got[k], v)
		}
	}
	alerts := alertsWithKey(st.Alerts(model.Thresholds{MaxClockSkew: 30 * time.Second}, s.Now()), "clock/")
	wantAlert := "node eu/eu-2 clock 45s ahead of the primary: a mirror more than 30s off cannot authenticate to the primary " +
		"(Atlassian KB: Bitbucket Smart Mirrors are out of sync or will only synchronize with a delay)"
	if !slices.Equal(alerts, []string{wantAlert}) {
		t.Fatalf("clock alerts %q", alerts)
	}

	// The primary's own skew drops out: skew it too, and eu-2 is even.
	if err := s.SetClockSkew("primary", 45*time.Second); err != nil {
		t.Fatal(err)
	}
	pollOnce(t, cfg, st)
	if d, _ := st.ClockSkew(st.Farm("eu").Node("eu-2")); d != 0 {
		t.Errorf("eu-2 against a primary as far ahead: %v", d)
	}
	if d, _ := st.ClockSkew(st.Farm("us").Node("us-1")); d != -45*time.Second {
		t.Errorf("us-1 against a primary 45 s ahead: %v", d)
	}
}

// A farm whose nodes are all down stops being seen by the primary: once
// its lastSeenDate is older than mirror_last_seen, an alert says so.
func TestPollMirrorLastSeen(t *testing.T) {
	s := startSim(t, sim.Options{Repos: 12, PushEvery: -1, FailRate: -1})
	downAt := s.Now()
	for _, n := range []string{"us-1", "us-2"} {
		if err := s.SetNodeDown("us", n, true); err != nil {
			t.Fatal(err)
		}
	}
	s.Advance(25 * time.Minute)
	cfg := simConfig(t, s)
	st := newState(t, cfg)
	pollOnce(t, cfg, st)
	if got := st.LastSeenByPrimary(st.Farm("us")); !got.Equal(downAt) {
		t.Fatalf("us last seen %v, want %v", got, downAt)
	}
	if got := st.LastSeenByPrimary(st.Farm("eu")); !got.Equal(s.Now()) {
		t.Fatalf("eu last seen %v, want now %v", got, s.Now())
	}
	alerts := alertsWithKey(st.Alerts(model.Thresholds{MirrorLastSeen: 10 * time.Minute}, s.Now()), "lastseen/")
	if !slices.Equal(alerts, []string{"the primary last saw mirror us 25m ago"}) {
		t.Fatalf("last seen alerts %q", alerts)
	}
	if alerts := alertsWithKey(st.Alerts(model.Thresholds{MirrorLastSeen: 30 * time.Minute}, s.Now()), "lastseen/"); len(alerts) != 0 {
		t.Fatalf("alerts within 30m: %q", alerts)
	}
}
