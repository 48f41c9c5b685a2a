//go:build !linux

package poller_test

// maxRSS is not measured on this system.
func maxRSS() int64 { return 0 }
