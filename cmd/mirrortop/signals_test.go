package main

import (
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// stuckModel blocks its event loop on the first message after start,
// closing entered as it does.
type stuckModel struct{ entered, block chan struct{} }

func (m stuckModel) Init() tea.Cmd { return func() tea.Msg { return "stick" } }

func (m stuckModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if msg == "stick" {
		close(m.entered)
		<-m.block
	}
	return m, nil
}

func (m stuckModel) View() tea.View { return tea.NewView("") }

func raise(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// TestQuitSignals checks the console's SIGINT/SIGTERM handling: a signal
// during start-up cancels the context, and a second signal kills a program
// whose event loop is stuck (restoring the terminal) and then exits.
func TestQuitSignals(t *testing.T) {
	t.Run("start-up", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, stop := handleQuitSignals(cancel, func() { t.Error("exit called during start-up") })
		defer stop()
		raise(t)
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("a signal during start-up did not cancel the context")
		}
	})
	t.Run("stuck", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		exited := make(chan struct{})
		progs, stop := handleQuitSignals(cancel, func() { close(exited) })
		defer stop()
		entered, block := make(chan struct{}), make(chan struct{})
		prog := tea.NewProgram(stuckModel{entered: entered, block: block}, tea.WithContext(ctx), tea.WithInput(nil),
			tea.WithOutput(io.Discard), tea.WithoutSignalHandler())
		progs <- prog
		res := make(chan error, 1)
		go func() { _, err := prog.Run(); res <- err }()
		select {
		case <-entered: // the loop is now stuck in Update
		case <-time.After(10 * time.Second):
			t.Fatal("the program never handled its first message")
		}
		raise(t) // quit: cannot get through
		select {
		case err := <-res:
			t.Fatalf("a stuck program ended on the first signal: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		raise(t) // kill, and exit as the loop stays stuck
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Fatal("a second signal did not exit a stuck program")
		}
		close(block)
		select {
		case err := <-res:
			if !errors.Is(err, tea.ErrProgramKilled) {
				t.Errorf("second signal: Run returned %v, want ErrProgramKilled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the killed program did not end once unstuck")
		}
	})
}
