// Package notify sends the alerts of `mirrortop serve` to webhooks — one
// notifier for the whole team, never one per viewer. It looks at the
// alerts in force after the shared state changes (changes close together
// are looked at once, so an alert raised and cleared within milliseconds
// is not sent), and posts each raised alert (again every RepeatEvery while
// it fires) and, if asked, its clearing. Delivery runs on its own goroutines with bounded queues: a
// receiver that hangs or fails never holds up polling or the console;
// what does not fit is dropped, counted and logged.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// The formats of a Target.
const (
	// FormatJSON posts a Message as JSON.
	FormatJSON = "json"
	// FormatSlack posts {"text": "…"}, the incoming-webhook body of Slack
	// that Mattermost and others accept too.
	FormatSlack = "slack"
)

// QueueSize bounds each target's queue of messages waiting to be sent.
const QueueSize = 256

// Target is one webhook.
type Target struct {
	// Name names it in logs; the URL, a secret, never appears there.
	Name string
	URL  string
	// Format is FormatJSON or FormatSlack.
	Format string
	// MinSeverity is the least severity sent.
	MinSeverity model.Severity
	// RepeatEvery resends a still-firing alert this often (0: never).
	RepeatEvery time.Duration
	// SendResolved sends an alert's clearing too.
	SendResolved bool
}

// Message is what is sent of one alert (the JSON format's body).
type Message struct {
	// Status is "firing" or "resolved".
	Status    string     `json:"status"`
	Kind      string     `json:"kind"`
	Severity  string     `json:"severity"`
	Target    string     `json:"target"`
	Farm      string     `json:"farm,omitempty"`
	Message   string     `json:"message"`
	Since     time.Time  `json:"since"`
	ClearedAt *time.Time `json:"clearedAt,omitempty"`
	Source    string     `json:"source"`
}

// Source is where the alerts come from (a ui.Shared).
type Source interface {
	Subscribe() (<-chan struct{}, func())
	ActiveAlerts() []model.ActiveAlert
}

// Options tune a Notifier.
type Options struct {
	// Client sends the requests (default: one with a 10 s timeout).
	Client *http.Client
	// Log receives deliveries that fail and messages dropped.
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Tries is how many times a message is tried (default 3); Backoff the
	// wait after the first failure, doubled after each (default 2 s).
	Tries   int
	Backoff time.Duration
}

// Notifier sends alerts to its targets.
type Notifier struct {
	opts    Options
	senders []*sender
	dropped atomic.Int64
	sent    atomic.Int64
}

// sender is one target's queue and what was sent to it.
type sender struct {
	t     Target
	queue chan Message
	last  map[string]time.Time // alert key: when last sent as firing
	since map[string]model.ActiveAlert
}

// New prepares a notifier for targets.
func New(targets []Target, o Options) *Notifier {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tries <= 0 {
		o.Tries = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	n := &Notifier{opts: o}
	for _, t := range targets {
		n.senders = append(n.senders, &sender{t: t, queue: make(chan Message, QueueSize),
			last: map[string]time.Time{}, since: map[string]model.ActiveAlert{}})
	}
	return n
}

// Dropped counts the messages dropped because a target's queue was full.
func (n *Notifier) Dropped() int64 { return n.dropped.Load() }

// Sent counts the messages delivered (answered 2xx).
func (n *Notifier) Sent() int64 { return n.sent.Load() }

// Run sends alerts from src until ctx ends.
func (n *Notifier) Run(ctx context.Context, src Source) {
	if len(n.senders) == 0 {
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, s := range n.senders {
		wg.Go(func() { n.deliver(ctx, s) })
	}
	changes, cancel := src.Subscribe()
	defer cancel()
	// Repeats fall due with time alone: look again now and then.
	every := 30 * time.Second
	for _, s := range n.senders {
		if r := s.t.RepeatEvery; r > 0 {
			every = min(every, max(r/4, 10*time.Millisecond))
		}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	n.look(src.ActiveAlerts())
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
		case <-tick.C:
		}
		n.look(src.ActiveAlerts())
	}
}

// look queues what the alerts in force call for at each target.
func (n *Notifier) look(active []model.ActiveAlert) {
	now := n.opts.Now()
	for _, s := range n.senders {
		cur := map[string]model.ActiveAlert{}
		for _, a := range active {
			if a.Severity == model.SeverityCritical || s.t.MinSeverity != model.SeverityCritical {
				cur[a.Key] = a
			}
		}
		for k, a := range cur {
			last, sent := s.last[k]
			if !sent || (s.t.RepeatEvery > 0 && now.Sub(last) >= s.t.RepeatEvery) {
				s.last[k] = now
				n.enqueue(s, messageOf(a, "firing", nil))
			}
			s.since[k] = a
		}
		for k, a := range s.since {
			if _, ok := cur[k]; ok {
				continue
			}
			delete(s.since, k)
			delete(s.last, k)
			if s.t.SendResolved {
				at := now
				n.enqueue(s, messageOf(a, "resolved", &at))
			}
		}
	}
}

func messageOf(a model.ActiveAlert, status string, cleared *time.Time) Message {
	return Message{Status: status, Kind: string(a.Kind), Severity: string(a.Severity), Target: model.Sanitize(a.Target),
		Farm: a.Farm, Message: model.Sanitize(a.Text), Since: a.Since.UTC(), ClearedAt: cleared, Source: "mirrortop"}
}

// enqueue queues a message, never waiting: a full queue drops it.
func (n *Notifier) enqueue(s *sender, m Message) {
	select {
	case s.queue <- m:
	default:
		n.dropped.Add(1)
		n.opts.Log.Warn("notification dropped: the webhook's queue is full", "notify", s.t.Name, "alert", m.Message, "status", m.Status)
	}
}

// deliver sends a target's messages in order until ctx ends.
func (n *Notifier) deliver(ctx context.Context, s *sender) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-s.queue:
			if err := n.send(ctx, s.t, m); err != nil && ctx.Err() == nil {
				n.opts.Log.Warn("notification not delivered", "notify", s.t.Name, "alert", m.Message, "status", m.Status, "error", err.Error())
			}
		}
	}
}

// send posts one message, trying again with backoff after a failure that
// may pass (no answer, 429, 5xx).
func (n *Notifier) send(ctx context.Context, t Target, m Message) error {
	body, err := Body(t.Format, m)
	if err != nil {
		return err
	}
	wait := n.opts.Backoff
	var last error
	for try := 1; try <= n.opts.Tries; try++ {
		again, err := n.post(ctx, t.URL, body)
		if err == nil {
			n.sent.Add(1)
			return nil
		}
		last = err
		if !again || try == n.opts.Tries {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
	return fmt.Errorf("%w (%d tries)", last, n.opts.Tries)
}

// post sends a body once; again says whether trying again may help. Its
// errors never carry the URL.
func (n *Notifier) post(ctx context.Context, target string, body []byte) (again bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("bad webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mirrortop")
	resp, err := n.opts.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return true, fmt.Errorf("no answer: %s", model.Sanitize(err.Error()))
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return false, fmt.Errorf("HTTP %d", resp.StatusCode)
}

// Body is what is posted of a message in a format.
func Body(format string, m Message) ([]byte, error) {
	if format != FormatSlack {
		return json.Marshal(m)
	}
	var text string
	if m.Status == "resolved" {
		lasted := ""
		if m.ClearedAt != nil {
			lasted = " after " + model.ShortDuration(m.ClearedAt.Sub(m.Since))
		}
		text = fmt.Sprintf("[RESOLVED] %s (%s, cleared%s)", m.Message, m.Kind, lasted)
	} else {
		text = fmt.Sprintf("[FIRING] %s: %s (%s since %s)", upper(m.Severity), m.Message, m.Kind, m.Since.Format("2006-01-02 15:04 UTC"))
	}
	return json.Marshal(struct {
		Text string `json:"text"`
	}{text})
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
