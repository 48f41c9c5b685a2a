package metrics_test

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/metrics"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// BenchmarkScrape100k measures one scrape of /metrics at 100 000
// repositories, 3 farms of 3 nodes, every repository stuck on one node of
// the first farm (100 000 mismatches): ms per scrape while the mismatches
// stand (warm-ms), the first scrape after they changed (cold-ms: the
// mismatches walked once), the exposition's bytes and its series.
func BenchmarkScrape100k(b *testing.B) {
	hub, base := startHub(b, sim.Options{Repos: 100_000, StuckRepos: 100_000, Manual: true, Seed: 1, PushEvery: -1,
		User: "admin", Password: "bench", GitLab: &sim.GitLabOptions{Token: "gl-token"},
		Farms: []sim.FarmSpec{
			{Name: "eu", Layout: sim.Layout9, Nodes: 3, AllProjects: true},
			{Name: "us", Layout: sim.Layout9, Nodes: 3, AllProjects: true},
			{Name: "ap", Layout: sim.Layout8, Nodes: 3, AllProjects: true},
		}}, nil)
	series := countSeries(b, base)
	mismatches := 0
	hub.Shared().Read(func(st *model.State) {
		for _, f := range st.Farms {
			mismatches += len(f.Mismatches)
		}
	})

	// Cold: a new collector has no cache, as after the mismatches changed.
	mc := metrics.New(hub.Shared(), metrics.Options{Version: "bench", Now: fixedNow})
	h := metrics.Handler(metrics.NewRegistry(mc))
	start := time.Now()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	cold := time.Since(start)

	var size int
	var warm time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		n, _ := io.Copy(io.Discard, rec.Body)
		warm += time.Since(start)
		size = int(n)
	}
	b.ReportMetric(float64(warm.Microseconds())/1e3/float64(b.N), "warm-ms/op")
	b.ReportMetric(float64(cold.Microseconds())/1e3, "cold-ms")
	b.ReportMetric(float64(size), "bytes")
	b.ReportMetric(float64(series), "series")
	b.ReportMetric(float64(mismatches), "mismatches")
}
