//go:build !linux

package poller_test

import "time"

// maxRSS is not measured on this system.
func maxRSS() int64 { return 0 }

// processCPU is not measured on this system.
func processCPU(int) time.Duration { return 0 }
