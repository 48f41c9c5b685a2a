package ui

import (
	"fmt"
	"log/slog"
	"runtime/debug"

	tea "charm.land/bubbletea/v2"
)

// Guard wraps a program's model so that a panic in Update, View or any
// command they return is written to the log, with its stack, before it
// propagates: Bubble Tea then restores the terminal as it stops.
func Guard(m tea.Model, log *slog.Logger) tea.Model {
	return guard{m: m, log: log}
}

type guard struct {
	m   tea.Model
	log *slog.Logger
}

func (g guard) logPanic() {
	if r := recover(); r != nil {
		g.log.Error("panic", "value", fmt.Sprint(r), "stack", string(debug.Stack()))
		panic(r)
	}
}

func (g guard) Init() tea.Cmd {
	defer g.logPanic()
	return g.wrap(g.m.Init())
}

func (g guard) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer g.logPanic()
	m, cmd := g.m.Update(msg)
	return guard{m: m, log: g.log}, g.wrap(cmd)
}

func (g guard) View() tea.View {
	defer g.logPanic()
	return g.m.View()
}

// wrap guards a command, and the commands of a batch it returns.
func (g guard) wrap(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		defer g.logPanic()
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			out := make(tea.BatchMsg, len(b))
			for i, c := range b {
				out[i] = g.wrap(c)
			}
			return out
		}
		return msg
	}
}
