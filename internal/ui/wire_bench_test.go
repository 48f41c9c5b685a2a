package ui

import (
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/mirrortop/mirrortop/internal/model"
)

// countingWriter counts the bytes a program writes to the terminal.
type countingWriter struct {
	mu sync.Mutex
	n  int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.n += len(p)
	c.mu.Unlock()
	return len(p), nil
}

func (c *countingWriter) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = 0
	return n
}

// settle waits until the program has written nothing for a few frames.
func (c *countingWriter) settle() int {
	total := 0
	quiet := 0
	for quiet < 4 {
		time.Sleep(50 * time.Millisecond)
		if n := c.take(); n > 0 {
			total += n
			quiet = 0
		} else {
			quiet++
		}
	}
	return total
}

// BenchmarkWireSteadyRefresh measures the bytes sent to a 120x40 terminal
// for one steady refresh (a poll round in which only counters and ages
// change), through Bubble Tea's renderer, and reports the ratio to what a
// full-screen redraw of the same content costs (what a `watch` loop sends).
func BenchmarkWireSteadyRefresh(b *testing.B) {
	var out countingWriter
	var clock atomic.Int64 // the console's "now", moved by the benchmark
	clock.Store(t0.UnixNano())
	m, _ := newTestModel(b, 120, 40, func(o *Options) { o.Now = func() time.Time { return time.Unix(0, clock.Load()).UTC() } })
	depth := 4
	p := tea.NewProgram(m, tea.WithOutput(&out), tea.WithInput(nil), tea.WithWindowSize(120, 40),
		tea.WithColorProfile(colorprofile.ANSI256), tea.WithEnvironment([]string{"TERM=xterm-256color"}), tea.WithFPS(20))
	go func() { _, _ = p.Run() }()
	defer p.Kill()
	out.settle()
	full := len(m.View().Content) + len("\x1b[H\x1b[2J")
	var sent int
	now := t0
	b.ResetTimer()
	for b.Loop() {
		depth++
		now = now.Add(10 * time.Second)
		at := now
		clock.Store(at.UnixNano())
		p.Send(readingsMsg{
			{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPQueueCount, At: at, Data: depth},
			{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPProgress, At: at, Data: model.Progress{SyncedRepos: 9, TotalRepos: 9}},
			{Target: model.TargetID{Farm: "eu", Node: "eu-1"}, Endpoint: model.EPStatus, At: at, Data: model.ServerStatus{State: "SYNCHRONIZED", MemberCount: 3}},
		})
		sent = out.settle()
	}
	b.StopTimer()
	b.ReportMetric(float64(sent), "bytes/refresh")
	b.ReportMetric(float64(full), "bytes/full-redraw")
	b.ReportMetric(float64(sent)/float64(full), "ratio")
}

// BenchmarkIdleCPU runs the console with nothing changing for two seconds
// per iteration and reports the CPU it used, in percent of one core (the
// renderer's frame ticker at the default 20 FPS and the one-second clock).
func BenchmarkIdleCPU(b *testing.B) {
	m, _ := newTestModel(b, 120, 40, nil)
	p := tea.NewProgram(m, tea.WithOutput(io.Discard), tea.WithInput(nil), tea.WithWindowSize(120, 40), tea.WithFPS(20))
	go func() { _, _ = p.Run() }()
	defer p.Kill()
	time.Sleep(300 * time.Millisecond)
	var used, wall time.Duration
	for b.Loop() {
		before, start := cpuTime(), time.Now()
		time.Sleep(2 * time.Second)
		used += cpuTime() - before
		wall += time.Since(start)
	}
	b.ReportMetric(100*float64(used)/float64(wall), "%core")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
