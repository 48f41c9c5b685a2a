package ui

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

type panicky struct{ where string }

func (p panicky) Init() tea.Cmd { return nil }
func (p panicky) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if p.where == "update" {
		panic("boom in update")
	}
	return p, tea.Batch(func() tea.Msg { panic("boom in a command") })
}
func (p panicky) View() tea.View { return tea.NewView("") }

func TestGuardLogsPanics(t *testing.T) {
	for _, c := range []struct{ where, want string }{{"update", "boom in update"}, {"cmd", "boom in a command"}} {
		var buf bytes.Buffer
		g := Guard(panicky{where: c.where}, slog.New(slog.NewTextHandler(&buf, nil)))
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("%s: the panic must propagate (Bubble Tea restores the terminal), got %v", c.where, r)
				}
			}()
			_, cmd := g.Update(nil)
			for _, m := range runBatch(cmd) {
				_ = m
			}
		}()
		if !strings.Contains(buf.String(), c.want) || !strings.Contains(buf.String(), "stack=") {
			t.Errorf("%s: log %q", c.where, buf.String())
		}
	}
}
