package replay

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/recording"
	"github.com/mirrortop/mirrortop/internal/ui"
)

// t0 is the start of the synthetic recordings, 03:00 local.
var t0 = time.Date(2026, 3, 4, 3, 0, 0, 0, time.Local)

// synthetic records rounds one minute apart: in round i the farm's queue
// holds 4700+i items.
func synthetic(t *testing.T, rounds int) []byte {
	t.Helper()
	var b bytes.Buffer
	spec := model.Spec{PrimaryURL: "https://admin:hunter2@bitbucket.example", Farms: []model.FarmSpec{{Name: "eu", URL: "https://eu.example",
		Nodes: []model.NodeSpec{{Name: "eu-1", URL: "https://eu-1.example"}}}}}
	w, err := recording.NewWriter(&b, recording.Header{MirrortopVersion: "test", Start: t0, Spec: spec}, recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rounds {
		at := t0.Add(time.Duration(i) * time.Minute)
		w.Applied(at, []model.Reading{
			{Target: model.PrimaryTarget, Endpoint: model.EPStatus, At: at, Data: model.ServerStatus{State: "RUNNING"}},
			{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPQueueCount, At: at, Data: 4700 + i},
			{Target: model.TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: model.EPStatus, At: at, Data: model.ServerStatus{State: "SYNCHRONIZED"}},
		})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func key(k string) tea.KeyPressMsg {
	switch k {
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// console opens the replay console on a synthetic recording, its player
// running.
func console(t *testing.T, rounds int) (*ui.Model, *Player) {
	t.Helper()
	rec, err := recording.Parse(synthetic(t, rounds))
	if err != nil {
		t.Fatal(err)
	}
	e := New(rec)
	e.Index()
	pl := NewPlayer(e)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	updates, unsub := e.Shared().Subscribe()
	t.Cleanup(unsub)
	m := ui.New(ui.Options{Shared: e.Shared(), Updates: updates, Control: pl, Replay: pl, Now: pl.Now, ReadOnly: true, Mono: true})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	go pl.Run(ctx)
	return m, pl
}

// press sends keys to the model, running what they start (a step, a
// seek) and handing its message back, as the program would.
func press(m *ui.Model, keys ...string) {
	for _, k := range keys {
		_, cmd := m.Update(key(k))
		run(m, cmd)
	}
}

func run(m *ui.Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			run(m, c)
		}
		return
	}
	if msg != nil && reflect.TypeOf(msg).String() == "ui.replayMsg" {
		m.Update(msg)
	}
}

func screen(m *ui.Model) string { return ansi.Strip(m.View().Content) }

func header(m *ui.Model) string { return strings.SplitN(screen(m), "\n", 2)[0] }

func command(m *ui.Model, c string) {
	press(m, ":")
	for _, r := range c {
		press(m, string(r))
	}
	press(m, "enter")
}

// TestReplayKeys drives the replay console: pause, speed, step and seek
// show in the header (the REPLAY badge and the recorded time) and in the
// Farms pane (the queue of that round).
func TestReplayKeys(t *testing.T) {
	m, pl := console(t, 30)
	if h := header(m); !strings.Contains(h, "REPLAY ×1") || !strings.Contains(h, "2026-03-04 03:00:") {
		t.Fatalf("header at the start: %q", h)
	}
	press(m, "space")
	if h := header(m); !strings.Contains(h, "REPLAY PAUSED") {
		t.Fatalf("header after space: %q", h)
	}
	press(m, ">", ">", ">")
	if h := header(m); !strings.Contains(h, "2026-03-04 03:02:00") {
		t.Fatalf("header after three steps: %q", h)
	}
	if s := screen(m); !strings.Contains(s, "4702") {
		t.Fatalf("the Farms pane at round 3 does not show its queue (4702):\n%s", s)
	}
	press(m, "<")
	if s := screen(m); !strings.Contains(s, "4701") || !strings.Contains(header(m), "03:01:00") {
		t.Fatalf("a step back does not show round 2:\n%s", s)
	}
	command(m, "at 03:17")
	if s := screen(m); !strings.Contains(header(m), "2026-03-04 03:17:00") || !strings.Contains(s, "4717") {
		t.Fatalf(":at 03:17 does not show 03:17 and its queue (4717):\n%s", s)
	}
	command(m, "at -10m") // the last round is at 03:29
	if s := screen(m); !strings.Contains(header(m), "03:19:00") || !strings.Contains(s, "4719") {
		t.Fatalf(":at -10m does not show 03:19:\n%s", s)
	}
	command(m, "at 2026-03-04T03:05:30"+zone())
	if s := screen(m); !strings.Contains(header(m), "03:05:30") || !strings.Contains(s, "4705") {
		t.Fatalf(":at with an RFC 3339 time does not show 03:05:30:\n%s", s)
	}
	command(m, "at yesterday")
	if s := screen(m); !strings.Contains(s, "not a time") {
		t.Fatalf("a bad :at is not refused:\n%s", s)
	}
	// Speed: ×60 moves a minute of recorded time a second.
	for range len(Speeds) {
		press(m, "]")
	}
	press(m, "space")
	if h := header(m); !strings.Contains(h, "REPLAY ×60") {
		t.Fatalf("header at full speed: %q", h)
	}
	before := pl.Now()
	time.Sleep(500 * time.Millisecond)
	moved := pl.Now().Sub(before)
	if moved < 20*time.Second || moved > 45*time.Second {
		t.Fatalf("at ×60, half a second moved the replay by %s", moved)
	}
	press(m, "[")
	if h := header(m); !strings.Contains(h, "REPLAY ×30") {
		t.Fatalf("header after [: %q", h)
	}
	// Actions are absent: the read-only badge is shown.
	if h := header(m); !strings.Contains(h, "RO") {
		t.Fatalf("no RO badge: %q", h)
	}
}

func zone() string { return t0.Format("Z07:00") }

// TestReplayHelpFooterCompletion: in a replay, ? lists the replay's keys
// and :at's forms, the footer names the replay's keys in place of the
// actions (within 80 columns), and Tab completes :at; the live console
// has none of them.
func TestReplayHelpFooterCompletion(t *testing.T) {
	m, _ := console(t, 5)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 40})
	press(m, "space") // paused: the screen stays put
	s := screen(m)
	lines := strings.Split(s, "\n")
	footer := lines[len(lines)-1]
	for _, want := range []string{"? help", "space pause", "[/] speed", "</> step", ":at seek"} {
		if !strings.Contains(footer, want) {
			t.Errorf("the replay's footer lacks %q: %q", want, footer)
		}
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("a line of %d columns on an 80-column screen: %q", w, l)
		}
	}
	press(m, "3") // the Queue pane's footer: its actions are gone too
	if f := lastLine(screen(m)); !strings.Contains(f, "[/] speed") || strings.Contains(f, "sync") {
		t.Errorf("the Queue pane's footer in a replay: %q", f)
	}
	press(m, "1", "enter") // a detail: the replay keys, not its actions
	if f := lastLine(screen(m)); !strings.Contains(f, "space pause") || !strings.Contains(f, "esc back") {
		t.Errorf("a detail's footer in a replay: %q", f)
	}
	press(m, "esc", "?")
	help := screen(m)
	for _, want := range []string{"Replay", "space/p        pause / play", "[ / ]          slower / faster", "(×1 to ×60)",
		"< / >          round back / forward", ":at 03:12      a time of day", ":at 03:12:05   ... with seconds",
		":at -10m       before the end", ":at +5m        after the start", ":at RFC3339    2026-03-04T03:12:00Z", ":at :help"} {
		if !strings.Contains(help, want) {
			t.Errorf("the replay's help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "pause / resume polling") {
		t.Errorf("the replay's help offers to pause polling:\n%s", help)
	}
	press(m, "esc", ":", "a")
	m.Update(tea.KeyPressMsg{Code: tea.KeyTab})
	if f := lastLine(screen(m)); !strings.HasPrefix(f, " :at ") || !strings.Contains(f, "start") || !strings.Contains(f, "-10m") {
		t.Errorf(":a and Tab in a replay: %q", f)
	}

	// The live console: none of it.
	live := ui.New(ui.Options{State: model.NewState(model.Spec{}), ReadOnly: true, Mono: true})
	live.Update(tea.WindowSizeMsg{Width: 80, Height: 40})
	if f := lastLine(screen(live)); strings.Contains(f, "speed") || strings.Contains(f, ":at") {
		t.Errorf("the live console's footer names replay keys: %q", f)
	}
	press(live, "?")
	if h := screen(live); strings.Contains(h, "Replay") || strings.Contains(h, ":at") || !strings.Contains(h, "pause / resume polling") {
		t.Errorf("the live console's help:\n%s", h)
	}
	press(live, "esc", ":", "a")
	live.Update(tea.KeyPressMsg{Code: tea.KeyTab})
	if f := lastLine(screen(live)); strings.Contains(f, ":at") {
		t.Errorf(":a and Tab in the live console: %q", f)
	}
}

func lastLine(s string) string {
	lines := strings.Split(s, "\n")
	return lines[len(lines)-1]
}
