package replay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mirrortop/mirrortop/internal/ui"
)

// Speeds are the replay speeds, slowest first.
var Speeds = []int{1, 2, 5, 10, 20, 30, 60}

// Player runs an engine in recorded time: a cursor moves at the chosen
// speed and the rounds it passes are applied. It is the console's
// ui.ReplayControl and ui.Controller (p pauses too). The engine is used
// on Run's goroutine only; the other methods ask it there.
type Player struct {
	e    *Engine
	reqs chan func()

	mu     sync.Mutex
	cursor time.Time
	speed  int // index in Speeds
	paused bool
	status ui.ReplayStatus // as of the last change, on Run's goroutine
}

// NewPlayer returns a player at the start of the engine's recording,
// playing at ×1 once Run runs.
func NewPlayer(e *Engine) *Player {
	p := &Player{e: e, reqs: make(chan func()), cursor: e.rec.Start()}
	p.note()
	return p
}

// Run plays until ctx ends.
func (p *Player) Run(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-p.reqs:
			f()
			last = time.Now()
		case now := <-tick.C:
			p.mu.Lock()
			if !p.paused {
				p.cursor = p.cursor.Add(time.Duration(Speeds[p.speed]) * now.Sub(last))
				if end := p.e.rec.End(); p.cursor.After(end) {
					p.cursor = end
				}
			}
			c := p.cursor
			p.mu.Unlock()
			last = now
			if r := p.e.Round(); r < p.e.Rounds() && !p.e.RoundTime(r+1).After(c) {
				p.e.Seek(c)
				p.note()
			}
		}
	}
}

// do runs f on Run's goroutine and waits for it.
func (p *Player) do(f func()) {
	done := make(chan struct{})
	p.reqs <- func() { f(); close(done) }
	<-done
}

// note records the engine's position for Replay (on Run's goroutine).
func (p *Player) note() {
	st := ui.ReplayStatus{Round: p.e.Round(), Rounds: p.e.Rounds(), Gaps: p.e.Gaps()}
	st.End = st.Round == st.Rounds
	if d := p.e.Damage(); d != nil && st.End {
		st.Note = d.Error()
	}
	p.mu.Lock()
	p.status = st
	p.mu.Unlock()
}

// Now is the recorded time shown.
func (p *Player) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cursor
}

// Replay says where the replay is.
func (p *Player) Replay() ui.ReplayStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.status
	st.At, st.Speed, st.Paused = p.cursor, Speeds[p.speed], p.paused
	st.End = st.End && !p.cursor.Before(p.e.rec.End())
	return st
}

// TogglePause pauses or resumes.
func (p *Player) TogglePause() {
	p.mu.Lock()
	p.paused = !p.paused
	p.mu.Unlock()
}

// SetPaused pauses or resumes (ui.Controller).
func (p *Player) SetPaused(paused bool) {
	p.mu.Lock()
	p.paused = paused
	p.mu.Unlock()
}

// Paused reports whether the replay is paused (ui.Controller).
func (p *Player) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused
}

// Refresh does nothing: a recording has nothing new to fetch
// (ui.Controller).
func (p *Player) Refresh() {}

// Faster goes to the next speed, up to ×60.
func (p *Player) Faster() {
	p.mu.Lock()
	p.speed = min(p.speed+1, len(Speeds)-1)
	p.mu.Unlock()
}

// Slower goes to the previous speed, down to ×1.
func (p *Player) Slower() {
	p.mu.Lock()
	p.speed = max(p.speed-1, 0)
	p.mu.Unlock()
}

// Step moves n rounds and pauses.
func (p *Player) Step(n int) string {
	var text string
	p.do(func() {
		r := max(0, min(p.e.Round()+n, p.e.Rounds()))
		p.e.SeekRound(r)
		at := p.e.RoundTime(r)
		p.mu.Lock()
		p.paused, p.cursor = true, at
		p.mu.Unlock()
		p.note()
		text = fmt.Sprintf("round %d of %d, %s", r, p.e.Rounds(), at.Local().Format("15:04:05"))
	})
	return text
}

// Seek goes to a time (see ui.ReplayControl).
func (p *Player) Seek(spec string) (string, error) {
	t, err := p.When(spec)
	if err != nil {
		return "", err
	}
	var text string
	p.do(func() {
		start := time.Now()
		p.e.Seek(t)
		p.mu.Lock()
		p.cursor = t
		p.mu.Unlock()
		p.note()
		text = fmt.Sprintf("at %s: round %d of %d (%s)", t.Local().Format("2006-01-02 15:04:05"), p.e.Round(), p.e.Rounds(),
			time.Since(start).Round(time.Millisecond))
	})
	return text, nil
}

// When reads a time within the recording: "03:12" or "03:12:05" (a time
// of day, local, the first at or after the start), "-10m" (before the
// end), "+5m" (after the start) or an RFC 3339 time; it is kept within
// the recording.
func (p *Player) When(spec string) (time.Time, error) {
	return When(spec, p.e.rec.Start(), p.e.rec.End())
}

// When reads spec as Player.When does, for a recording from start to end.
func When(spec string, start, end time.Time) (time.Time, error) {
	spec = strings.TrimSpace(spec)
	var t time.Time
	switch {
	case spec == "":
		return t, errors.New(`:at wants a time: 03:12, -10m (before the end), +5m (after the start) or 2006-01-02T15:04:05Z`)
	case spec == "end":
		t = end
	case spec == "start":
		t = start
	case spec[0] == '-' || spec[0] == '+':
		d, err := time.ParseDuration(spec)
		if err != nil {
			return t, fmt.Errorf("%q: not a duration like -10m", spec)
		}
		if d < 0 {
			t = end.Add(d)
		} else {
			t = start.Add(d)
		}
	default:
		if rt, err := time.Parse(time.RFC3339, spec); err == nil {
			t = rt
			break
		}
		var tod time.Time
		var err error
		for _, layout := range []string{"15:04:05", "15:04"} {
			if tod, err = time.Parse(layout, spec); err == nil {
				break
			}
		}
		if err != nil {
			return t, fmt.Errorf("%q: not a time (03:12, 03:12:05, -10m, +5m or RFC 3339)", spec)
		}
		s := start.Local()
		t = time.Date(s.Year(), s.Month(), s.Day(), tod.Hour(), tod.Minute(), tod.Second(), 0, time.Local)
		for t.Before(start) && t.Before(end) {
			t = t.AddDate(0, 0, 1)
		}
		if t.After(end) && t.AddDate(0, 0, -1).After(start) {
			t = t.AddDate(0, 0, -1)
		}
	}
	if t.Before(start) {
		t = start
	}
	if t.After(end) {
		t = end
	}
	return t, nil
}
