//go:build !race

package metrics_test

// raceDetector is true when the tests run under the race detector, which
// makes a 100 000-repository round too slow for a test.
const raceDetector = false
