package replay

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/recording"
	"github.com/mirrortop/mirrortop/internal/serve"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// benchScale compresses the recorded hour: the poll intervals are divided
// by it and the simulator's clock runs this much faster, so an hour of
// polling (30 slow rounds, 360 fast ones) takes three minutes.
const benchScale = 20

var (
	hourOnce sync.Once
	hourFile string
	hourErr  error
	hourDir  string
)

// hourRecording records an hour of a 100 000-repository estate of three
// farms of three nodes, with pushes arriving (the simulator's default
// busy load: one every 5 s, a failing sync now and then), through the
// serve hub as `mirrortop record` does, at the default poll intervals on a
// clock compressed by benchScale. It is made once per process.
func hourRecording(b *testing.B) string {
	hourOnce.Do(func() {
		hourDir, hourErr = os.MkdirTemp("", "mirrortop-bench")
		if hourErr != nil {
			return
		}
		hourFile = filepath.Join(hourDir, "hour.mtrec")
		hourErr = recordHour(b, hourFile)
	})
	if hourErr != nil {
		b.Fatal(hourErr)
	}
	return hourFile
}

func recordHour(b *testing.B, path string) error {
	s, err := sim.Start(sim.Options{Repos: 100_000, Manual: true, Seed: 1, User: "admin", Password: "bench",
		Farms: []sim.FarmSpec{
			{Name: "eu", Layout: sim.Layout9, Nodes: 3, AllProjects: true},
			{Name: "us", Layout: sim.Layout9, Nodes: 3, AllProjects: true},
			{Name: "ap", Layout: sim.Layout8, Nodes: 3, AllProjects: true},
		}})
	if err != nil {
		return err
	}
	defer s.Close()
	cfg, err := config.Parse("bench", []byte(s.ConfigTOML()))
	if err != nil {
		return err
	}
	def := config.Default()
	cfg.Poll.Fast, cfg.Poll.Slow, cfg.Poll.FullEvery = def.Poll.Fast/benchScale, def.Poll.Slow/benchScale, def.Poll.FullEvery/benchScale
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour/benchScale)
	defer cancel()
	p, err := poller.New(ctx, cfg, poller.Options{})
	if err != nil {
		return err
	}
	w, err := recording.Create(path, recording.Header{MirrortopVersion: "bench", Start: time.Now(), Spec: p.Spec(),
		Thresholds: cfg.Alerts.Thresholds(), Fast: cfg.Poll.Fast, Slow: cfg.Poll.Slow}, recording.Options{})
	if err != nil {
		return err
	}
	hub := serve.NewHub(p, serve.HubOptions{Thresholds: cfg.Alerts.Thresholds()})
	hub.Shared().SetRecorder(w)
	go func() { // the simulator's clock, benchScale times real time
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.Advance(benchScale * 100 * time.Millisecond)
			}
		}
	}()
	hub.Run(ctx)
	if err := w.Close(); err != nil {
		return err
	}
	b.Logf("recorded %d rounds, %d batches dropped", w.Rounds(), w.Dropped())
	return nil
}

// BenchmarkRecordHour100k reports the size of an hour's recording of a
// 100 000-repository estate under the busy load (target: at most 50 MB),
// and how many times the big lists were read whole in it.
func BenchmarkRecordHour100k(b *testing.B) {
	path := hourRecording(b)
	for b.Loop() {
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	rec, err := recording.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	lists, dec := 0, recording.NewDecoder()
	for _, f := range rec.Frames {
		d, err := dec.Decode(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range d.Readings {
			switch r.Data.(type) {
			case []model.Repo, []*model.RepoSyncStatus:
				lists++
			}
		}
	}
	mb := float64(fi.Size()) / 1e6
	b.ReportMetric(mb, "MB/hour")
	b.ReportMetric(float64(rec.Rounds()), "rounds")
	b.ReportMetric(float64(lists), "full-lists-read")
	b.Logf("one hour: %.1f MB, %d rounds, %d repository lists read whole (100 000 entries each)", mb, rec.Rounds(), lists)
	if mb > 50 {
		b.Errorf("an hour takes %.1f MB, over 50 MB", mb)
	}
}

// BenchmarkSeek100k seeks back and forth in the hour's recording, after
// it is indexed once (reported as index-s); each seek must take at most a
// second.
func BenchmarkSeek100k(b *testing.B) {
	path := hourRecording(b)
	rec, err := recording.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	e := New(rec)
	// Recorded time runs benchScale times faster here: checkpoints as
	// far apart, in polling, as an hour's at the default spacing.
	e.CheckpointEvery = CheckpointEvery / benchScale
	e.Index()
	index := time.Since(start)
	span := rec.End().Sub(rec.Start())
	points := []float64{0.9, 0.1, 0.55, 0.98, 0.02, 0.7, 0.3, 1}
	var worst time.Duration
	i := 0
	for b.Loop() {
		t := rec.Start().Add(time.Duration(points[i%len(points)] * float64(span)))
		i++
		s := time.Now()
		e.Seek(t)
		worst = max(worst, time.Since(s))
	}
	b.ReportMetric(index.Seconds(), "index-s")
	b.ReportMetric(worst.Seconds(), "worst-seek-s")
	if worst > time.Second {
		b.Errorf("a seek took %s, over a second", worst)
	}
}
