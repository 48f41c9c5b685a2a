package serve

import (
	"runtime"
	"testing"
)

// A server runs ProcsPerCPU processors per CPU while it runs, however
// many overlap, and the setting is restored when the last one ends; a
// GOMAXPROCS in the environment is obeyed.
func TestOversubscribe(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	base := runtime.GOMAXPROCS(0)
	a := Oversubscribe()
	if got := runtime.GOMAXPROCS(0); got != base*ProcsPerCPU {
		t.Fatalf("GOMAXPROCS %d, want %d", got, base*ProcsPerCPU)
	}
	b := Oversubscribe()
	a()
	a() // twice is once
	if got := runtime.GOMAXPROCS(0); got != base*ProcsPerCPU {
		t.Fatalf("restored while a server still runs: %d", got)
	}
	b()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("GOMAXPROCS %d after the last server, want %d", got, base)
	}
	t.Setenv("GOMAXPROCS", "3")
	Oversubscribe()()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("GOMAXPROCS in the environment not obeyed: %d", got)
	}
}
