package ui

import (
	tea "charm.land/bubbletea/v2"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// BenchmarkKeyWhilePolling measures how soon a keypress shows on screen
// (Update plus the frame it causes) at 100 000 mismatch rows, in two cases:
//
//   - decoding: a full hash cycle of a 100 000-repository estate (3 farms
//     of 3 nodes, simulator in the same process) is fetched and decoded in
//     the background while keys arrive every 5 ms; key-p50/p99/max-ms are
//     their latencies.
//   - landing: a key queued right behind a poll round that changed every
//     mismatch waits for that round to be applied in the event loop;
//     land-ms is that wait, the key's own cost comes on top.
func BenchmarkKeyWhilePolling(b *testing.B) {
	b.Run("decoding", func(b *testing.B) {
		farms := []sim.FarmSpec{
			{Name: "eu", Layout: sim.Layout9, Nodes: 3, AllProjects: true},
			{Name: "us", Layout: sim.Layout9, Nodes: 3, AllProjects: true},
			{Name: "ap", Layout: sim.Layout8, Nodes: 3, AllProjects: true},
		}
		s, err := sim.Start(sim.Options{Repos: 100_000, Farms: farms, Manual: true, Seed: 1, PushEvery: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		cfg, err := config.Parse("bench", []byte(s.ConfigTOML()))
		if err != nil {
			b.Fatal(err)
		}
		cfg.Poll.Timeout = time.Minute
		p, err := poller.New(context.Background(), cfg, poller.Options{})
		if err != nil {
			b.Fatal(err)
		}
		m := benchModel(b, 100_000)
		keys := []any{keyMsg("down"), keyMsg("up")}
		var lat []time.Duration
		for b.Loop() {
			var wg sync.WaitGroup
			done := make(chan struct{})
			wg.Go(func() {
				defer close(done)
				for _, r := range p.RunOnce(context.Background()) {
					if r.Err != nil {
						b.Error(r.Err)
					}
				}
			})
			tk := time.NewTicker(5 * time.Millisecond)
		keysLoop:
			for i := 0; ; i++ {
				select {
				case <-done:
					break keysLoop
				case <-tk.C:
				}
				start := time.Now()
				m.Update(keys[i%2])
				_ = m.View()
				lat = append(lat, time.Since(start))
			}
			tk.Stop()
			wg.Wait()
		}
		if len(lat) == 0 {
			b.Fatal("no key sampled during the cycle")
		}
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(lat[len(lat)/2]), "key-p50-ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), "key-p99-ms")
		b.ReportMetric(ms(lat[len(lat)-1]), "key-max-ms")
	})
	b.Run("landing", func(b *testing.B) {
		const n = 100_000
		m := benchModel(b, n)
		down := keyMsg("down")
		var land, keyed, commit time.Duration
		rounds := 0
		for ; b.Loop(); rounds++ {
			b.StopTimer()
			statuses := make([]*model.RepoSyncStatus, n)
			for j := range n {
				id := fmt.Sprint(j + 1)
				statuses[j] = &model.RepoSyncStatus{ExternalRepoID: id, Hashes: model.Hashes{Content: fmt.Sprintf("r%d-%d", rounds, j), Metadata: "m"},
					InitialSyncDate: model.MillisOf(t0.Add(-time.Hour)), LastSyncDate: model.MillisOf(t0.Add(-time.Duration(j) * time.Second))}
			}
			round := readingsMsg{{Target: model.TargetID{Farm: "eu", Node: "eu"}, Endpoint: model.EPRepoSyncStatus, At: t0, Data: statuses}}
			b.StartTimer()
			start := time.Now()
			_, cmd := m.Update(round)
			land += time.Since(start)
			// The runtime runs the command off the event loop; a key
			// pressed meanwhile is handled at once.
			result := make(chan tea.Msg, 1)
			go func() { result <- recomputed(cmd) }()
			m.Update(down)
			_ = m.View()
			keyed += time.Since(start)
			msg := <-result
			start = time.Now()
			m.Update(msg)
			_ = m.View()
			commit += time.Since(start)
		}
		if got := len(m.panes[paneMismatches].table.rows); got != n {
			b.Fatalf("%d mismatch rows, want %d", got, n)
		}
		per := func(d time.Duration) float64 { return float64(d) / float64(rounds) / float64(time.Millisecond) }
		b.ReportMetric(per(land), "land-ms")
		b.ReportMetric(per(keyed), "key-behind-round-ms")
		b.ReportMetric(per(commit), "commit-ms")
	})
}

// recomputed runs a command (or batch) and returns the recomputedMsg it
// yields.
func recomputed(cmd tea.Cmd) tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case recomputedMsg:
		return msg
	case tea.BatchMsg:
		for _, c := range msg {
			if r := recomputed(c); r != nil {
				return r
			}
		}
	}
	return nil
}
