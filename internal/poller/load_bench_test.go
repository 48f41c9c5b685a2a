package poller_test

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// BenchmarkLoad100k measures the requests a running console sends to each
// server of a 100 000-repository estate (3 farms of 3 nodes) per minute at
// the default intervals, per endpoint, by running the real scheduler against
// the simulator on a compressed clock: every interval divided by 100 (the
// scheduler's 100 ms floor is then the fast interval), and 10 000
// repositories read 100 to a page, which makes the same 100 pages per list
// as 100 000 repositories at the default page size. After two simulated
// minutes of warm-up, forty simulated minutes are counted, twice:
//   - idle: nothing is pushed, so the heavy lists are fetched only every
//     full_every;
//   - busy: a push leaves every farm's queue non-empty, so they are fetched
//     every slow interval, as without change detection.
//
// The vendor warns against polling the primary hard; the target is at most
// 60 requests a minute to it. The per-endpoint table is in the log (-v).
func BenchmarkLoad100k(b *testing.B) {
	for _, busy := range []bool{false, true} {
		name := "idle"
		if busy {
			name = "busy"
		}
		b.Run(name, func(b *testing.B) {
			var perMin map[string]map[string]float64
			for b.Loop() {
				perMin = measureLoad(b, busy)
			}
			total := func(target string) float64 {
				sum := 0.0
				for _, v := range perMin[target] {
					sum += v
				}
				return sum
			}
			maxNode, maxFarm := 0.0, 0.0
			for t := range perMin {
				switch {
				case strings.Contains(t, "/"):
					maxNode = max(maxNode, total(t))
				case t != "primary":
					maxFarm = max(maxFarm, total(t))
				}
			}
			b.ReportMetric(total("primary"), "primary-req/min")
			b.ReportMetric(maxNode, "max-node-req/min")
			b.ReportMetric(maxFarm, "max-farm-lb-req/min")
			var sb strings.Builder
			for _, t := range slices.Sorted(maps.Keys(perMin)) {
				fmt.Fprintf(&sb, "\n%-8s %6.1f/min:", t, total(t))
				for _, ep := range slices.Sorted(maps.Keys(perMin[t])) {
					fmt.Fprintf(&sb, "  %s %.1f", ep, perMin[t][ep])
				}
			}
			b.Logf("%s, requests per minute at the default intervals:%s", name, sb.String())
		})
	}
}

const loadScale = 100 // the compressed clock runs this many times faster

func measureLoad(b *testing.B, busy bool) map[string]map[string]float64 {
	opts := hashCycleEstate()
	opts.Repos, opts.MaxPageSize = 10_000, 100
	s, err := sim.Start(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	cfg, err := config.Parse("bench", []byte(s.ConfigTOML()))
	if err != nil {
		b.Fatal(err)
	}
	def := config.Default()
	cfg.Poll.Fast, cfg.Poll.Slow, cfg.Poll.FullEvery = def.Poll.Fast/loadScale, def.Poll.Slow/loadScale, def.Poll.FullEvery/loadScale
	cfg.Poll.PageSize = 100
	if busy {
		s.Push(1) // manual clock: the queues keep the item
	}
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		b.Fatal(err)
	}
	const warmup, minutes = 2, 40
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan model.Reading, 256)
	done := make(chan struct{})
	go func() {
		p.Run(ctx, out)
		close(done)
	}()
	go func() {
		for {
			select {
			case <-out:
			case <-done:
				return
			}
		}
	}()
	time.Sleep(warmup * time.Minute / loadScale)
	before := s.RequestCounts()
	time.Sleep(minutes * time.Minute / loadScale)
	after := s.RequestCounts()
	cancel()
	<-done
	perMin := map[string]map[string]float64{}
	for target, paths := range after {
		m := map[string]float64{}
		for path, n := range paths {
			m[endpointOf(path)] += float64(n-before[target][path]) / minutes
		}
		perMin[target] = m
	}
	return perMin
}

var upstreamPrefix = regexp.MustCompile(`^upstreamServers/[^/]+/`)

// endpointOf names a request path's endpoint: the mirroring resource
// (8.x paths folded onto 9.x names), status or application-properties.
func endpointOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/rest/mirroring/latest/")
	switch {
	case !ok && strings.HasSuffix(path, "application-properties"):
		return "version"
	case !ok:
		return strings.TrimPrefix(path, "/")
	}
	rest = upstreamPrefix.ReplaceAllString(rest, "")
	switch rest {
	case "settings":
		rest = "syncSettings"
	}
	return rest
}
