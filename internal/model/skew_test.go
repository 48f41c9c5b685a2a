package model

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func alertTexts(as []Alert, prefix string) []string {
	var out []string
	for _, a := range as {
		if strings.HasPrefix(a.Key, prefix) {
			out = append(out, a.Text)
		}
	}
	return out
}

func TestClockSkewFromReadings(t *testing.T) {
	s := NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{{Name: "eu", URL: "https://eu",
		Nodes: []NodeSpec{{Name: "eu-1", URL: "https://eu-1"}, {Name: "eu-2", URL: "https://eu-2"}, {Name: "eu-3", URL: "https://eu-3"}}}}})
	f := s.Farms[0]
	if _, ok := s.ClockSkew(f.Nodes[0]); ok {
		t.Fatal("a skew before any Date header")
	}
	st := ServerStatus{State: "SYNCHRONIZED"}
	// mirrortop's own clock is 100 s off everyone: it drops out.
	s.ApplyBatch([]Reading{
		{Target: PrimaryTarget, Endpoint: EPStatus, At: t0, Data: st, ClockOffset: 100 * time.Second, HasClockOffset: true},
		{Target: TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: EPStatus, At: t0, Data: st, ClockOffset: 101500 * time.Millisecond, HasClockOffset: true},
		{Target: TargetID{Farm: "eu", Node: "eu-2"}, Endpoint: EPStatus, At: t0, Data: st, ClockOffset: 145200 * time.Millisecond, HasClockOffset: true},
		{Target: TargetID{Farm: "eu", Node: "eu-3"}, Endpoint: EPStatus, At: t0, Data: st, ClockOffset: 60 * time.Second, HasClockOffset: true},
	})
	for i, want := range []time.Duration{0, 45 * time.Second, -40 * time.Second} {
		if d, ok := s.ClockSkew(f.Nodes[i]); !ok || d != want {
			t.Errorf("node %d skew %v %v, want %v", i, d, ok, want)
		}
	}
	th := Thresholds{MaxClockSkew: 30 * time.Second}
	got := alertTexts(s.Alerts(th, t0), "clock/")
	want := []string{
		"node eu/eu-2 clock 45s ahead of the primary: a mirror more than 30s off cannot authenticate to the primary (Atlassian KB: Bitbucket Smart Mirrors are out of sync or will only synchronize with a delay)",
		"node eu/eu-3 clock 40s behind the primary: a mirror more than 30s off cannot authenticate to the primary (Atlassian KB: Bitbucket Smart Mirrors are out of sync or will only synchronize with a delay)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("clock alerts:\n%q\nwant\n%q", got, want)
	}
	if got := alertTexts(s.Alerts(Thresholds{MaxClockSkew: 45 * time.Second}, t0), "clock/"); len(got) != 0 {
		t.Fatalf("skews within 45s alerted: %q", got)
	}
	if got := alertTexts(s.Alerts(Thresholds{}, t0), "clock/"); len(got) != 0 {
		t.Fatalf("a zero max_clock_skew alerted: %q", got)
	}
}

func TestVersionSkew(t *testing.T) {
	for _, c := range []struct {
		p, m string
		want VersionSkew
	}{
		{"9.4.2", "9.4.0", VersionSame}, {"9.4.2", "9.3.7", VersionMinor}, {"9.4.2", "8.19.1", VersionMajor},
		{"9.4", "9.4-rc1", VersionSame}, {"", "9.4.0", VersionSame}, {"9.4.0", "x", VersionSame}, {"10.0.0", "9.4.0", VersionMajor},
	} {
		if got := CompareVersions(c.p, c.m); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %v, want %v", c.p, c.m, got, c.want)
		}
	}
	s := NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{{Name: "eu", URL: "https://eu",
		Nodes: []NodeSpec{{Name: "eu-1", URL: "https://eu-1"}, {Name: "eu-2", URL: "https://eu-2"}}}}})
	s.ApplyBatch([]Reading{
		{Target: PrimaryTarget, Endpoint: EPVersion, At: t0, Data: AppProperties{Version: "9.4.2"}},
		{Target: TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: EPVersion, At: t0, Data: AppProperties{Version: "9.3.0"}},
		{Target: TargetID{Farm: "eu", Node: "eu-2"}, Endpoint: EPVersion, At: t0, Data: AppProperties{Version: "8.19.1"}},
	})
	want := []VersionSkew{VersionMinor, VersionMajor}
	for i, n := range s.Farms[0].Nodes {
		if got := s.NodeVersionSkew(n); got != want[i] {
			t.Errorf("%s version skew %v, want %v", n.Name, got, want[i])
		}
	}
	// Shown, not raised: an older mirror is a supported setup.
	if as := s.Alerts(Thresholds{MaxClockSkew: time.Second, MirrorLastSeen: time.Second}, t0); len(as) != 0 {
		t.Fatalf("alerts %v", as)
	}
}

func TestMirrorLastSeen(t *testing.T) {
	s := NewState(Spec{PrimaryURL: "https://p", Farms: []FarmSpec{
		{Name: "eu", URL: "https://mirror-eu.example.com"},
		{Name: "us", Nodes: []NodeSpec{{Name: "us-1", URL: "https://us-1.example.com:7990"}}},
	}})
	s.Apply(Reading{Target: PrimaryTarget, Endpoint: EPMirrorServers, At: t0, Data: []MirrorServer{
		{ID: "A", Name: "Europe", BaseURL: "https://MIRROR-EU.example.com/", Enabled: true, LastSeen: t0.Add(-25 * time.Minute)},
		{ID: "B", Name: "us", BaseURL: "https://lb-us.example.com", Enabled: true, LastSeen: t0.Add(-time.Minute)},
		{ID: "C", Name: "old", BaseURL: "https://old.example.com", Enabled: false, LastSeen: t0.Add(-48 * time.Hour)},
		{ID: "D", Name: "apac", BaseURL: "https://apac.example.com", Enabled: true, LastSeen: t0.Add(-3 * time.Hour)},
	}})
	if got := s.LastSeenByPrimary(s.Farm("eu")); !got.Equal(t0.Add(-25 * time.Minute)) {
		t.Errorf("eu matched by URL: last seen %v", got)
	}
	if got := s.LastSeenByPrimary(s.Farm("us")); !got.Equal(t0.Add(-time.Minute)) {
		t.Errorf("us matched by name: last seen %v", got)
	}
	as := s.Alerts(Thresholds{MirrorLastSeen: 10 * time.Minute}, t0)
	got := alertTexts(as, "lastseen/")
	want := []string{"the primary last saw mirror Europe 25m ago", "the primary last saw mirror apac 3h ago"}
	if !slices.Equal(got, want) {
		t.Fatalf("last seen alerts %q", got)
	}
	for _, a := range as {
		if a.Text == want[0] && a.Farm != "eu" {
			t.Errorf("alert of Europe names farm %q", a.Farm)
		}
	}
	if got := alertTexts(s.Alerts(Thresholds{}, t0), "lastseen/"); len(got) != 0 {
		t.Fatalf("a zero mirror_last_seen alerted: %q", got)
	}
}

func TestLagStatsNearestRank(t *testing.T) {
	f := &Farm{}
	if got := f.LagStats(t0); got != (LagStats{}) {
		t.Fatalf("no mismatches: %+v", got)
	}
	// Lags 1..20 minutes (and one unknown, lag 0): 21 values.
	for i := 20; i >= 1; i-- {
		f.Mismatches = append(f.Mismatches, Mismatch{RepoID: strconv.Itoa(i), FirstSeen: t0.Add(-time.Duration(i) * time.Minute)})
	}
	f.Mismatches = append(f.Mismatches, Mismatch{RepoID: "unknown"})
	SortWorstFirst(f.Mismatches)
	f.MismatchGen++
	// Ascending: 0, 1m, …, 20m. P50 rank ceil(10.5)=11 → 10m; P95 rank
	// ceil(19.95)=20 → 19m; max 20m.
	want := LagStats{P50: 10 * time.Minute, P95: 19 * time.Minute, Max: 20 * time.Minute, N: 21}
	if got := f.LagStats(t0); got != want {
		t.Fatalf("LagStats = %+v, want %+v", got, want)
	}
	// Lags move with the clock without a new generation.
	later := LagStats{P50: 15 * time.Minute, P95: 24 * time.Minute, Max: 25 * time.Minute, N: 21}
	if got := f.LagStats(t0.Add(5 * time.Minute)); got != later {
		t.Fatalf("LagStats 5m later = %+v, want %+v", got, later)
	}
	// An unsorted list gives the same answer.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(f.Mismatches), func(i, j int) { f.Mismatches[i], f.Mismatches[j] = f.Mismatches[j], f.Mismatches[i] })
	f.MismatchGen++
	if got := f.LagStats(t0); got != want {
		t.Fatalf("LagStats unsorted = %+v, want %+v", got, want)
	}
}

func TestLagStatsMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 7, 100, 1001} {
		f := &Farm{}
		for i := range n {
			m := Mismatch{RepoID: strconv.Itoa(i), FirstSeen: t0.Add(-time.Duration(rng.IntN(3600)) * time.Second)}
			if rng.IntN(10) == 0 {
				m.FirstSeen = t0.Add(time.Minute) // in the future: lag 0
			}
			f.Mismatches = append(f.Mismatches, m)
		}
		SortWorstFirst(f.Mismatches)
		f.MismatchGen++
		lags := make([]time.Duration, n)
		for i, m := range f.Mismatches {
			lags[i] = m.Lag(t0)
		}
		slices.Sort(lags)
		pick := func(p int) time.Duration { return lags[(p*n+99)/100-1] }
		want := LagStats{P50: pick(50), P95: pick(95), Max: lags[n-1], N: n}
		if got := f.LagStats(t0); got != want {
			t.Errorf("n=%d: %+v, want %+v", n, got, want)
		}
	}
}

func BenchmarkLagStats100k(b *testing.B) {
	f := &Farm{}
	for i := range 100_000 {
		f.Mismatches = append(f.Mismatches, Mismatch{RepoID: strconv.Itoa(i), FirstSeen: t0.Add(-time.Duration(i) * time.Second)})
	}
	SortWorstFirst(f.Mismatches)
	b.Run("per-frame", func(b *testing.B) {
		f.LagStats(t0)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			f.LagStats(t0.Add(time.Duration(i) * time.Millisecond))
		}
	})
	b.Run("new-generation", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f.MismatchGen++
			f.LagStats(t0)
		}
	})
}
