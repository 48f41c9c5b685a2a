package main

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// BenchmarkSnapshot100k takes complete snapshots of a simulator with 100 000
// repositories (a 9.x farm of 3 nodes, an 8.x farm of 2) over loopback. It
// reports the peak Go heap in use during the run (simulator included, as it
// runs in the same process).
func BenchmarkSnapshot100k(b *testing.B) {
	s, err := sim.Start(sim.Options{Repos: 100_000, Manual: true, Seed: 1, PushEvery: -1, User: "admin", Password: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cfg, err := config.Parse("bench", []byte(s.ConfigTOML()))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Poll.Timeout = time.Minute
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	})
	b.ResetTimer()
	for b.Loop() {
		snap, unreadable, err := takeSnapshot(context.Background(), cfg)
		if err != nil || len(unreadable) > 0 || snap.Primary.Repos != 100_000 {
			b.Fatalf("snapshot: %v, unreadable %v, %d repos", err, unreadable, snap.Primary.Repos)
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
