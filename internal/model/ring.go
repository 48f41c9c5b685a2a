package model

import "time"

// Sample is one value at one time.
type Sample struct {
	At    time.Time
	Value int
}

// Ring is a fixed-capacity history of samples; the oldest is dropped when full.
type Ring struct {
	buf   []Sample
	start int
	n     int
}

// NewRing returns a ring holding at most capacity samples (at least 1).
func NewRing(capacity int) *Ring {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring{buf: make([]Sample, capacity)}
}

// Add appends a sample, dropping the oldest when full.
func (r *Ring) Add(s Sample) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = s
		r.n++
		return
	}
	r.buf[r.start] = s
	r.start = (r.start + 1) % len(r.buf)
}

// Len is the number of samples held.
func (r *Ring) Len() int { return r.n }

// Samples returns the samples oldest first, in a new slice.
func (r *Ring) Samples() []Sample {
	out := make([]Sample, r.n)
	for i := range r.n {
		out[i] = r.buf[(r.start+i)%len(r.buf)]
	}
	return out
}
