package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/ui"
)

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// estate is a shared state of one farm whose queue depth the test sets,
// judged with a queue threshold of 500.
type estate struct {
	sh  *ui.Shared
	now time.Time
	mu  sync.Mutex
}

func newEstate() *estate {
	e := &estate{now: t0}
	st := model.NewState(model.Spec{Farms: []model.FarmSpec{{Name: "eu", URL: "https://eu"}}})
	e.sh = ui.NewShared(st, e.clock)
	e.sh.SetAlertThresholds(model.Thresholds{MaxQueue: 500})
	e.queue(10)
	return e
}

func (e *estate) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *estate) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *estate) queue(n int) {
	e.sh.Apply([]model.Reading{{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPQueueCount, At: e.clock(), Data: n}})
}

// receiver records the bodies posted to it.
type receiver struct {
	mu     sync.Mutex
	bodies []string
	status int
	hang   bool
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{status: 200}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		status, hang := r.status, r.hang
		r.mu.Unlock()
		if hang {
			<-req.Context().Done()
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

func (r *receiver) waitFor(t *testing.T, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); len(r.got()) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d messages, want %d: %q", len(r.got()), n, r.got())
		}
	}
	return r.got()
}

// run runs the notifier on a shared state until the test ends, once it
// listens to the state's changes.
func run(t *testing.T, n *Notifier, sh *ui.Shared) {
	t.Helper()
	subs := sh.Subscribers()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Run(ctx, sh) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(5 * time.Second); sh.Subscribers() == subs; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the notifier does not listen")
		}
	}
}

// A raised alert is sent once as firing, its clearing once as resolved,
// as JSON.
func TestRaisedAndResolvedOnceEach(t *testing.T) {
	e, r := newEstate(), newReceiver(t)
	n := New([]Target{{Name: "team", URL: r.srv.URL, Format: FormatJSON, MinSeverity: model.SeverityWarning, RepeatEvery: time.Hour, SendResolved: true}}, Options{Now: e.clock})
	run(t, n, e.sh)
	e.advance(time.Minute)
	e.queue(700)
	r.waitFor(t, 1)
	e.queue(800) // still firing: nothing more
	e.advance(5 * time.Minute)
	e.queue(20)
	got := r.waitFor(t, 2)
	time.Sleep(100 * time.Millisecond) // nothing else comes
	if got = r.got(); len(got) != 2 {
		t.Fatalf("messages %q", got)
	}
	var fire, res Message
	if err := json.Unmarshal([]byte(got[0]), &fire); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got[1]), &res); err != nil {
		t.Fatal(err)
	}
	since := t0.Add(time.Minute)
	if fire.Status != "firing" || fire.Kind != "queue-depth" || fire.Severity != "warning" || fire.Target != "eu" || fire.Farm != "eu" ||
		fire.Message != "farm eu queue depth 700 > 500" || !fire.Since.Equal(since) || fire.ClearedAt != nil || fire.Source != "mirrortop" {
		t.Errorf("firing: %+v", fire)
	}
	// The message is the alert's last text the notifier saw (700 or 800).
	if res.Status != "resolved" || !strings.HasPrefix(res.Message, "farm eu queue depth ") || !res.Since.Equal(since) ||
		res.ClearedAt == nil || !res.ClearedAt.Equal(since.Add(5*time.Minute)) {
		t.Errorf("resolved: %+v", res)
	}
	if n.Sent() != 2 || n.Dropped() != 0 {
		t.Errorf("sent %d, dropped %d", n.Sent(), n.Dropped())
	}
}

// The Slack format is valid JSON with a text; min_severity critical
// leaves a warning out; send_resolved false leaves the clearing out;
// repeat_every resends a firing alert.
func TestFormatsAndFilters(t *testing.T) {
	e := newEstate()
	slack, crit, rep := newReceiver(t), newReceiver(t), newReceiver(t)
	n := New([]Target{
		{Name: "chat", URL: slack.srv.URL, Format: FormatSlack, MinSeverity: model.SeverityWarning, RepeatEvery: time.Hour, SendResolved: true},
		{Name: "pager", URL: crit.srv.URL, Format: FormatJSON, MinSeverity: model.SeverityCritical, RepeatEvery: time.Hour, SendResolved: true},
		{Name: "nag", URL: rep.srv.URL, Format: FormatJSON, MinSeverity: model.SeverityWarning, RepeatEvery: 40 * time.Millisecond},
	}, Options{Now: e.clock})
	run(t, n, e.sh)
	e.queue(700)
	got := slack.waitFor(t, 1)
	var body map[string]any
	if err := json.Unmarshal([]byte(got[0]), &body); err != nil {
		t.Fatalf("slack body %q: %v", got[0], err)
	}
	if len(body) != 1 || body["text"] != "[FIRING] WARNING: farm eu queue depth 700 > 500 (queue-depth since 2026-12-02 12:00 UTC)" {
		t.Errorf("slack body %q", got[0])
	}
	// The clock of the repeats is the estate's: move it on.
	for range 3 {
		time.Sleep(60 * time.Millisecond)
		e.advance(time.Second)
	}
	rep.waitFor(t, 2)
	e.queue(10)
	slack.waitFor(t, 2)
	if got := slack.got(); !strings.HasPrefix(got[1], `{"text":"[RESOLVED] farm eu queue depth 700 \u003e 500 (queue-depth, cleared after`) {
		t.Errorf("slack resolved %q", got[1])
	}
	time.Sleep(100 * time.Millisecond)
	if len(crit.got()) != 0 {
		t.Errorf("the critical-only webhook got a warning: %q", crit.got())
	}
	for _, b := range rep.got() {
		if strings.Contains(b, `"resolved"`) {
			t.Errorf("send_resolved false sent %s", b)
		}
	}
}

// A receiver that hangs costs the state nothing: applying readings never
// waits, what overflows the queue is dropped and counted; a 500 is tried
// again, a 400 is not.
func TestHangingReceiverCostsNothing(t *testing.T) {
	e := newEstate()
	r := newReceiver(t)
	r.hang = true
	n := New([]Target{{Name: "slow", URL: r.srv.URL, Format: FormatJSON, MinSeverity: model.SeverityWarning, SendResolved: true}},
		Options{Client: &http.Client{Timeout: time.Minute}})
	run(t, n, e.sh)
	start := time.Now()
	for i := range 2 * QueueSize {
		e.advance(time.Second)
		e.queue(10 + 690*(i%2)) // raised, cleared, raised…
		time.Sleep(200 * time.Microsecond)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("applying %d readings took %s with a hanging receiver", 2*QueueSize, d)
	}
	for deadline := time.Now().Add(5 * time.Second); n.Dropped() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("nothing dropped while the receiver hangs")
		}
	}

	e2 := newEstate()
	failing := newReceiver(t)
	failing.status = 500
	bad := newReceiver(t)
	bad.status = 400
	n2 := New([]Target{
		{Name: "five", URL: failing.srv.URL, Format: FormatJSON, MinSeverity: model.SeverityWarning},
		{Name: "four", URL: bad.srv.URL, Format: FormatJSON, MinSeverity: model.SeverityWarning},
	}, Options{Backoff: time.Millisecond})
	run(t, n2, e2.sh)
	e2.queue(700)
	failing.waitFor(t, 3)
	bad.waitFor(t, 1)
	time.Sleep(100 * time.Millisecond)
	if len(failing.got()) != 3 || len(bad.got()) != 1 || n2.Sent() != 0 {
		t.Errorf("500: %d tries, 400: %d tries, sent %d", len(failing.got()), len(bad.got()), n2.Sent())
	}
}
