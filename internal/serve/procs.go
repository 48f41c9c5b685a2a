package serve

import (
	"os"
	"runtime"
	"sync"
)

// ProcsPerCPU is how many Go processors a server runs per CPU it may use.
const ProcsPerCPU = 4

var procs struct {
	sync.Mutex
	users int // servers running oversubscribed
	prev  int // the setting before the first of them
}

// Oversubscribe gives the Go scheduler ProcsPerCPU processors per CPU
// (unless GOMAXPROCS is set in the environment, which is obeyed) and
// returns the function that restores the previous setting once every
// server that asked for it is done.
//
// With one processor per CPU, a session's goroutine woken by a key press
// waits in Go's run queue behind background work (decoding 100 000-entry
// lists, computing mismatches, building rows), which Go preempts only
// every 10 ms, and it does so at each hop of the key's path (SSH read,
// event loop, renderer, SSH write). With more processors than CPUs the
// kernel shares the CPUs among them instead, and it runs a thread that
// was sleeping — an interactive one — soon after it wakes. With 20
// sessions on 2 CPUs while a 100 000-repository round decodes,
// key-to-frame p99 was 48–188 ms with 2 processors and 27–68 ms with 8
// (BenchmarkKeyLatency20Sessions).
func Oversubscribe() (restore func()) {
	if os.Getenv("GOMAXPROCS") != "" {
		return func() {}
	}
	procs.Lock()
	defer procs.Unlock()
	if procs.users == 0 {
		procs.prev = runtime.GOMAXPROCS(0)
		runtime.GOMAXPROCS(procs.prev * ProcsPerCPU)
	}
	procs.users++
	var once sync.Once
	return func() {
		once.Do(func() {
			procs.Lock()
			defer procs.Unlock()
			if procs.users--; procs.users == 0 {
				runtime.GOMAXPROCS(procs.prev)
			}
		})
	}
}
