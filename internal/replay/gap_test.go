package replay

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/recording"
	"github.com/mirrortop/mirrortop/internal/ui"
)

// slowDisk is a writer that stops taking bytes while held, as a disk that
// does not keep up.
type slowDisk struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	held    atomic.Bool
	blocked atomic.Bool
	release chan struct{}
}

func (d *slowDisk) Write(p []byte) (int, error) {
	if d.held.Load() {
		d.blocked.Store(true)
		<-d.release
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.Write(p)
}

// gapped records rounds one minute apart (queue 4700+i in round i), the
// disk stalling after round 4 so that the writer drops 12 batches: the
// recording has before+queued rounds, a gap of 12, then after rounds.
func gapped(t *testing.T) (b []byte, gapRound int) {
	t.Helper()
	d := &slowDisk{release: make(chan struct{})}
	spec := model.Spec{Farms: []model.FarmSpec{{Name: "eu", URL: "https://eu.example"}}}
	w, err := recording.NewWriter(d, recording.Header{MirrortopVersion: "test", Start: t0, Spec: spec}, recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	round := func() {
		at := t0.Add(time.Duration(i) * time.Minute)
		w.Applied(at, []model.Reading{{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPQueueCount, At: at, Data: 4700 + i}})
		i++
	}
	for range 5 {
		round()
	}
	for w.Rounds() < 5 {
		time.Sleep(time.Millisecond)
	}
	d.held.Store(true)
	round() // the writer takes it and stalls on the disk
	for !d.blocked.Load() {
		time.Sleep(time.Millisecond)
	}
	for range recording.QueueSize + 12 { // the queue fills, then 12 are dropped
		round()
	}
	if n := w.Dropped(); n != 12 {
		t.Fatalf("%d batches dropped, want 12", n)
	}
	kept := i - 12
	close(d.release)
	for w.Rounds() < int64(kept) { // the disk caught up
		time.Sleep(time.Millisecond)
	}
	for range 5 {
		round()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return d.buf.Bytes(), kept
}

// TestGapShownInReplay: a replay says nothing of a gap before it, and
// once it passes it says (status and header) how many batches are missing.
func TestGapShownInReplay(t *testing.T) {
	b, kept := gapped(t)
	rec, err := recording.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Rounds() != kept+5 {
		t.Fatalf("%d rounds recorded, want %d", rec.Rounds(), kept+5)
	}
	e := New(rec)
	e.Index()
	pl := NewPlayer(e)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	updates, unsub := e.Shared().Subscribe()
	defer unsub()
	m := ui.New(ui.Options{Shared: e.Shared(), Updates: updates, Control: pl, Replay: pl, Now: pl.Now, ReadOnly: true, Mono: true})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 30})
	go pl.Run(ctx)
	press(m, "space")
	const said = "recording missing 12 batches here (the disk did not keep up): what follows may differ from live"
	seek := func(r int) {
		command(m, "at "+t0.Add(time.Duration(r)*time.Minute).Format(time.RFC3339))
	}
	seek(kept - 1) // the last round before the gap
	if s := screen(m); strings.Contains(s, said) || strings.Contains(s, "MISSING") {
		t.Fatalf("the replay speaks of a gap before it:\n%s", s)
	}
	press(m, ">") // the first round after it
	if s := screen(m); !strings.Contains(s, said) || !strings.Contains(header(m), "12 MISSING") {
		t.Fatalf("the replay past the gap does not say so:\n%s", s)
	}
	if s := screen(m); !strings.Contains(s, strconv.Itoa(4700+kept+12)) {
		t.Fatalf("the round after the gap is not shown (queue %d):\n%s", 4700+kept+12, s)
	}
}
