package poller_test

import (
	"context"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// RoundComplete turns true only once every task's first readings have been
// received, farms and nodes found on the way included.
func TestRoundCompleteAfterEveryTaskReported(t *testing.T) {
	s := startSim(t, sim.Options{})
	cfg := simConfig(t, s)
	type key struct {
		target string
		ep     model.Endpoint
	}
	want := map[key]bool{}
	for _, r := range pollOnce(t, cfg, nil) {
		want[key{r.Target.String(), r.Endpoint}] = true
	}
	p, err := poller.New(context.Background(), cfg, poller.Options{UserAgent: "mirrortop/test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan model.Reading) // unbuffered: a sent reading is received
	go p.Run(ctx, ch)
	time.Sleep(50 * time.Millisecond)
	if p.RoundComplete() {
		t.Fatal("complete before any reading was received")
	}
	got := map[key]bool{}
	deadline := time.After(5 * time.Second) // well before the next status poll
	for !p.RoundComplete() {
		select {
		case r := <-ch:
			got[key{r.Target.String(), r.Endpoint}] = true
		case <-time.After(20 * time.Millisecond):
			// the last task marks itself just after its send
		case <-deadline:
			t.Fatalf("no complete round; received %d of %d", len(got), len(want))
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("complete without %s %s", k.target, k.ep)
		}
	}
	if len(want) < 10 {
		t.Fatalf("only %d readings in a round", len(want))
	}
}
