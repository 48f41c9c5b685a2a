package main

import (
	"runtime/debug"
	"testing"

	"github.com/mirrortop/mirrortop/internal/poller"
)

func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != poller.GCPercent {
		t.Errorf("without GOGC the target is %d, want %d", got, poller.GCPercent)
	}
	tuneGC(func(k string) string {
		if k == "GOGC" {
			return "200"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: the target was changed to %d", got)
	}
}
