package serve

import (
	"context"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// BenchmarkPublish100k measures one published view (the snapshot built
// from the shared state and encoded) at 100 000 repositories, every one
// of them stuck on one node for 100 000 mismatches: the cost the hub pays
// at most once a second.
func BenchmarkPublish100k(b *testing.B) {
	s, err := sim.Start(sim.Options{Repos: 100_000, StuckRepos: 100_000, Manual: true, Seed: 1, PushEvery: -1, User: "admin", Password: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.Advance(time.Minute) // every repository's first push syncs everywhere but on one node
	cfg, err := config.Parse("bench", []byte(s.ConfigTOML()))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Poll.Timeout = time.Minute
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/bench"})
	if err != nil {
		b.Fatal(err)
	}
	h := NewHub(p, HubOptions{Thresholds: cfg.Alerts.Thresholds()})
	jobs := h.apply(p.RunOnce(context.Background()))
	for len(jobs) > 0 {
		for _, j := range jobs {
			j.Run()
		}
		_, jobs = h.shared.Commit(jobs)
	}
	mismatches := 0
	h.shared.Read(func(st *model.State) {
		for _, f := range st.Farms {
			mismatches += len(f.Mismatches)
		}
	})
	// A publish whole: the document built on the hub's goroutine (hub-ms,
	// what holds up applying readings) and encoded off it, awaited here.
	var hub time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, ok := h.publish(); !ok {
			b.Fatal("an encoding still in flight")
		}
		hub += time.Since(start)
		for h.encoding.Load() {
			time.Sleep(time.Millisecond)
		}
	}
	b.ReportMetric(float64(hub.Milliseconds())/float64(b.N), "hub-ms/op")
	b.ReportMetric(float64(len(h.View().JSON))/(1<<20), "doc-MiB")
	b.ReportMetric(float64(mismatches), "mismatches")
}
