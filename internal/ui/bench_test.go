package ui

import (
	"fmt"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// benchState is one farm whose single node differs from the primary on
// every one of n repositories.
func benchState(n int) *model.State { return benchStateFarms(n, "eu") }

// benchStateFarms is benchState with one such farm per name.
func benchStateFarms(n int, farms ...string) *model.State {
	spec := model.Spec{PrimaryURL: "https://p"}
	for _, f := range farms {
		spec.Farms = append(spec.Farms, model.FarmSpec{Name: f, URL: "https://" + f})
	}
	s := model.NewState(spec)
	repos := make([]model.Repo, n)
	sync := make([]*model.RepoSyncStatus, n)
	for i := range n {
		id := fmt.Sprint(i + 1)
		repos[i] = model.Repo{ID: id, ProjectID: "1", ProjectKey: "PRJ", Slug: "repo-" + id, Hashes: model.Hashes{Content: "new" + id, Metadata: "m"}}
		sync[i] = &model.RepoSyncStatus{ExternalRepoID: id, Hashes: model.Hashes{Content: "old" + id, Metadata: "m"},
			InitialSyncDate: model.MillisOf(t0.Add(-time.Hour)), LastSyncDate: model.MillisOf(t0.Add(-time.Duration(i) * time.Second))}
	}
	s.Apply(model.Reading{Target: model.PrimaryTarget, Endpoint: model.EPRepos, At: t0, Data: repos})
	for _, f := range farms {
		s.Apply(model.Reading{Target: model.TargetID{Farm: f}, Endpoint: model.EPSyncSettings, At: t0, Data: model.SyncSettings{Mode: model.ModeAllProjects}})
		s.Apply(model.Reading{Target: model.TargetID{Farm: f, Node: f}, Endpoint: model.EPRepoSyncStatus, At: t0, Data: sync})
	}
	return s
}

func benchModel(b *testing.B, n int) *Model {
	m := New(Options{State: benchState(n), Theme: testTheme(b), Now: func() time.Time { return t0 }})
	m.Update(sizeMsg(120, 40))
	press(m, "2")
	if got := len(m.panes[paneMismatches].table.rows); got != n {
		b.Fatalf("%d mismatch rows, want %d", got, n)
	}
	return m
}

// BenchmarkView renders the mismatches pane at 120x40; the time must follow
// the visible rows, not the total.
func BenchmarkView(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			m := benchModel(b, n)
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkKeyAndView is a cursor move plus the frame it causes.
func BenchmarkKeyAndView(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			m := benchModel(b, n)
			down := keyMsg("down")
			b.ReportAllocs()
			for b.Loop() {
				m.Update(down)
				_ = m.View()
			}
		})
	}
}

// BenchmarkRebuildRows is what a poll round that changed the mismatches
// costs in the event loop: rebuilding and sorting every row.
func BenchmarkRebuildRows(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			m := benchModel(b, n)
			b.ReportAllocs()
			for b.Loop() {
				m.panes[paneMismatches].table.setRows(m.mismatchRows())
			}
		})
	}
	// Three farms' 100 000 each: their lists, each sorted, are merged.
	b.Run("farms=3/rows=300000", func(b *testing.B) {
		m := New(Options{State: benchStateFarms(100_000, "eu", "us", "ap"), Theme: testTheme(b), Now: func() time.Time { return t0 }})
		m.Update(sizeMsg(120, 40))
		press(m, "2")
		if got := len(m.panes[paneMismatches].table.rows); got != 300_000 {
			b.Fatalf("%d mismatch rows, want 300000", got)
		}
		b.ReportAllocs()
		for b.Loop() {
			m.panes[paneMismatches].table.setRows(m.mismatchRows())
		}
	})
}

// BenchmarkTick is the once-a-second clock tick of a console whose 100 000
// mismatches are all older than the lag threshold (every one an alert):
// what it costs the event loop, ahead of any key pressed meanwhile.
func BenchmarkTick(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("lagging=%d", n), func(b *testing.B) {
			now := t0.Add(time.Hour)
			m := New(Options{State: benchState(n), Theme: testTheme(b), Now: func() time.Time { return now },
				Thresholds: model.Thresholds{MaxLag: 10 * time.Minute, MaxQueue: 500, CertDays: 14}})
			m.Update(sizeMsg(120, 40))
			m.Update(tickMsg(now))
			if m.lagAlerts != n {
				b.Fatalf("%d lag alerts, want %d", m.lagAlerts, n)
			}
			b.ReportAllocs()
			for b.Loop() {
				now = now.Add(time.Second)
				m.Update(tickMsg(now))
			}
		})
	}
}
