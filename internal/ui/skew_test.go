package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// withSkew adds Date clock offsets and the primary's mirror servers to the
// fixture: eu-2 runs 45 s ahead of the primary, the us farm was last seen
// 25 minutes ago.
func withSkew(o *Options) {
	s := o.State
	at := t0.Add(-5 * time.Second)
	clock := func(target model.TargetID, off time.Duration) {
		s.Apply(model.Reading{Target: target, Endpoint: model.EPStatus, At: at, Data: model.ServerStatus{State: "SYNCHRONIZED"},
			ClockOffset: off, HasClockOffset: true})
	}
	s.Apply(model.Reading{Target: model.PrimaryTarget, Endpoint: model.EPStatus, At: at, Data: model.ServerStatus{State: "RUNNING"},
		ClockOffset: 3 * time.Second, HasClockOffset: true})
	clock(model.TargetID{Farm: "eu", Node: "eu-1"}, 3*time.Second)
	clock(model.TargetID{Farm: "eu", Node: "eu-2"}, 48*time.Second)
	s.Apply(model.Reading{Target: model.PrimaryTarget, Endpoint: model.EPMirrorServers, At: at, Data: []model.MirrorServer{
		{ID: "A", Name: "eu", BaseURL: "https://mirror-eu.example.com", Enabled: true, LastSeen: t0.Add(-30 * time.Second)},
		{ID: "B", Name: "us", BaseURL: "https://mirror-us.example.com", Enabled: true, LastSeen: t0.Add(-25 * time.Minute)},
	}})
	o.Thresholds.MaxClockSkew = 30 * time.Second
	o.Thresholds.MirrorLastSeen = 10 * time.Minute
}

func TestWideFarmsPaneShowsLagPercentiles(t *testing.T) {
	m, _ := newTestModel(t, 160, 40, nil)
	lines := strings.Split(plain(m), "\n")
	if !strings.Contains(lines[3], "LAG P50 P95") {
		t.Fatalf("header at 160 columns: %q", lines[3])
	}
	if s := plain(m); !strings.Contains(s, "SYNCING (nodes: METADATA_SYNCHRONIZED)") {
		t.Errorf("the whole state label at 160 columns:\n%s", s)
	}
	// eu: lags 14m, 8s, 8s, 8s → p50 8s, p95 14m00s (nearest rank).
	if !strings.HasSuffix(strings.TrimRight(lines[4], " "), "8s      14m00s") {
		t.Errorf("eu row at 160 columns: %q", lines[4])
	}
	// At 120 columns the states and the sync rate need the room: the
	// percentiles give way rather than cut them short.
	m, _ = newTestModel(t, 120, 40, nil)
	// A state that does not fit whole shows the judgement alone, not a
	// label cut short (the detail has both).
	if s := plain(m); strings.Contains(s, "P95") || strings.Contains(s, "(nodes:") || !strings.Contains(s, "lab      … SYNCING    ") || !strings.Contains(s, "1.0/s ETA 5m30s") {
		t.Errorf("farms pane at 120 columns:\n%s", s)
	}
	m, _ = newTestModel(t, 80, 24, nil)
	if s := plain(m); strings.Contains(s, "P50") || strings.Contains(s, "P95") {
		t.Errorf("lag percentiles at 80 columns:\n%s", s)
	}
	// The farm detail always has them.
	press(m, "enter")
	if s := plain(m); !strings.Contains(s, "Lag           p50 8s, p95 14m00s, max 14m00s over 4 mismatches") {
		t.Errorf("farm detail:\n%s", s)
	}
}

func TestClockSkewAndLastSeenShown(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, withSkew)
	s := plain(m)
	for _, want := range []string{"10 ALERTS"} {
		if !strings.Contains(s, want) {
			t.Errorf("farms pane lacks %q:\n%s", want, s)
		}
	}
	var texts []string
	for _, a := range m.alerts {
		texts = append(texts, a.Text)
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"node eu/eu-2 clock 45s ahead of the primary: a mirror more than 30s off cannot authenticate to the primary (Atlassian KB: Bitbucket Smart Mirrors are out of sync or will only synchronize with a delay)",
		"the primary last saw mirror us 25m ago",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("alerts lack %q:\n%s", want, all)
		}
	}
	press(m, "5")
	s = plain(m)
	rows := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(strings.TrimPrefix(l, "!")); len(f) > 0 {
			rows[f[0]] = l
		}
	}
	if !strings.Contains(rows["NODE"], " SKEW ") || !strings.Contains(rows["eu/eu-2"], " +45s ") || !strings.Contains(rows["eu/eu-1"], " 0s ") ||
		!strings.Contains(rows["eu/eu-3"], "      - ") {
		t.Errorf("nodes pane:\n%s", s)
	}
	// The node detail, and the farm detail per node.
	press(m, "down", "enter")
	if s = plain(m); !strings.Contains(s, "Clock         45s ahead of the primary, over 30s: the mirror cannot authenticate to the primary") {
		t.Errorf("node detail:\n%s", s)
	}
	press(m, "esc", "1", "enter")
	s = ansiTrimRight(plain(m))
	for _, want := range []string{
		"Last seen     by the primary 30s ago (",
		"  eu-1             10.0.0.1:5701         SYNCHRONIZED           9.6.2    0s      https://eu-1.example.com",
		"  eu-3             10.0.0.3:5701         SYNCHRONIZED           9.6.2    -       https://eu-3.example.com",
		"  eu-2             -                     SYNCHRONIZED           9.6.2    +45s    https://eu-2.example.com\n" +
			"                    clock 45s ahead of the primary, over 30s: the mirror cannot authenticate to the primary",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("farm detail lacks %q:\n%s", want, s)
		}
	}
	press(m, "esc", "down", "enter")
	if s = plain(m); !strings.Contains(s, "Last seen     by the primary 25m00s ago (") || !strings.Contains(s, "), over 10m00s") {
		t.Errorf("us farm detail:\n%s", s)
	}
}

func TestVersionSkewShown(t *testing.T) {
	m, _ := newTestModel(t, 120, 40, func(o *Options) {
		o.State.Apply(model.Reading{Target: model.TargetID{Farm: "us", Node: "us-1"}, Endpoint: model.EPVersion, At: t0, Data: model.AppProperties{Version: "8.19.9"}})
		o.State.Apply(model.Reading{Target: model.TargetID{Farm: "us", Node: "us-2"}, Endpoint: model.EPVersion, At: t0, Data: model.AppProperties{Version: "9.5.1"}})
	})
	press(m, "enter", "esc", "down", "enter")
	s := ansiTrimRight(plain(m))
	for _, want := range []string{
		"  us-1             -                     SYNCHRONIZED           8.19.9   -       https://us-1.example.com\n" +
			"                    version 8.19.9 (the primary runs 9.6.2: another major version)",
		"                   version 9.5.1 (the primary runs 9.6.2)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("farm detail lacks %q:\n%s", want, s)
		}
	}
}
