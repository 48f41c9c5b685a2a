package poller_test

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// BenchmarkHashCycle100k is one full hash cycle of a 100 000-repository
// estate with 3 farms of 3 nodes: every page of the primary's repositories
// and of each node's repoSyncStatus fetched over loopback, decoded, and
// diffed into the state. The simulator runs in a child process; the peak
// heap and peak RSS reported are the client's (RSS is the whole test
// process's, so run this benchmark alone).
func BenchmarkHashCycle100k(b *testing.B) {
	toml, simPID := startSimProcess(b)
	defer debug.SetGCPercent(debug.SetGCPercent(poller.GCPercent)) // as the binary runs
	cfg, err := config.Parse("bench", []byte(toml))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Poll.Timeout = time.Minute
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(10 * time.Millisecond)
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
	// The state lives across cycles, as in the console; the first cycle
	// (nothing to reuse yet) is reported apart as cold-ms.
	st := model.NewState(p.Spec())
	var cold time.Duration
	simCPU := processCPU(simPID)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		rs := p.RunOnce(context.Background())
		for _, r := range rs {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
		st.ApplyBatch(rs)
		if len(st.Primary.Repos) != 100_000 || len(st.Farm("ap").Nodes[2].Sync) != 100_000 {
			b.Fatalf("incomplete cycle")
		}
		if cold == 0 {
			cold = time.Since(start)
		}
	}
	b.StopTimer()
	simCPU = processCPU(simPID) - simCPU
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(maxRSS())/1e6, "peak-RSS-MB")
	b.ReportMetric(float64(cold.Milliseconds()), "cold-ms")
	b.ReportMetric(float64(simCPU.Milliseconds())/float64(b.N), "sim-cpu-ms/op")
}
