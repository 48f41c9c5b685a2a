package ui_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
	"github.com/mirrortop/mirrortop/internal/ui"
	"github.com/mirrortop/mirrortop/themes"
)

// TestConsoleAgainstSimulator runs the whole program: the poller reads the
// simulator over loopback HTTP, the console shows live data, a person
// filters the mismatches, opens one, sees each node's clone URL, and quits.
func TestConsoleAgainstSimulator(t *testing.T) {
	s, err := sim.Start(sim.Options{Repos: 40, Manual: true, Seed: 3, PushEvery: -1, FailRate: -1, StuckRepos: 2, User: "admin", Password: "e2e-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Advance(time.Minute) // the stuck repositories stay mismatched on eu-3 only
	cfg, err := config.Parse("sim.toml", []byte(s.ConfigTOML()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Poll.Fast, cfg.Poll.Slow = 200*time.Millisecond, 500*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := poller.New(ctx, cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	readings := make(chan model.Reading, 256)
	go p.Run(ctx, readings)
	th, err := themes.Load("dark", "")
	if err != nil {
		t.Fatal(err)
	}
	m := ui.New(ui.Options{State: model.NewState(p.Spec()), Readings: readings, Control: p, Detail: p, Theme: th,
		Fast: cfg.Poll.Fast, Slow: cfg.Poll.Slow})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40), teatest.WithProgramOptions(
		tea.WithEnvironment([]string{"TERM=xterm-256color"}), tea.WithColorProfile(colorprofile.Ascii)))
	waitFor := func(cond func(string) bool) {
		t.Helper()
		var seen []byte
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			seen = append(seen, b...)
			return cond(string(seen))
		}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(50*time.Millisecond))
	}
	waitFor(func(s string) bool {
		return strings.Contains(s, "SYNCHRONIZED") && strings.Contains(s, "3/3") && strings.Contains(s, "2/2")
	})
	tm.Send(key("2"))
	waitFor(func(s string) bool { return strings.Contains(s, "eu-3") && strings.Contains(s, "content") })
	tm.Type("/eu-3")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitFor(func(s string) bool { return strings.Contains(s, `filter "eu-3": 2 of 2`) })
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitFor(func(s string) bool {
		return strings.Contains(s, "Mirror status and clone URLs") && strings.Contains(s, "ERROR_AVAILABLE") && strings.Count(s, "/scm/") >= 3
	})
	tm.Send(key("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	final := tm.FinalModel(t)
	if final == nil {
		t.Fatal("no final model")
	}
	out := readAll(tm)
	if bytes.Contains(out, []byte("e2e-secret")) {
		t.Error("the password reached the screen")
	}
}

func key(k string) tea.KeyPressMsg { return tea.KeyPressMsg{Code: []rune(k)[0], Text: k} }

func readAll(tm *teatest.TestModel) []byte {
	var b bytes.Buffer
	_, _ = b.ReadFrom(tm.Output())
	return b.Bytes()
}
