package model

import (
	"slices"
	"sort"
	"time"
)

// LagStats is the distribution of a farm's mismatch lags at one moment:
// the 50th and 95th percentiles and the largest, over N mismatches.
// Percentiles are nearest-rank: the Pth is the smallest lag that at least
// P % of the lags do not exceed (the ceil(P/100*N)th smallest).
type LagStats struct {
	P50, P95, Max time.Duration
	N             int
}

// lagCache remembers, per Mismatches generation, whether the mismatches
// are in the order Lag needs (Since ascending, as SortWorstFirst leaves
// them), and otherwise their Since times sorted.
type lagCache struct {
	gen    uint64
	n      int
	first  *Mismatch
	valid  bool
	sorted bool
	since  []time.Time // only when !sorted
}

// LagStats gives the distribution of the mismatches' lags at now. Lags
// move with the clock, but their order does not (each is now minus a fixed
// Since): the order is worked out once per Mismatches generation, and each
// call then picks three elements, so it is cheap per frame at 100 000
// mismatches.
func (f *Farm) LagStats(now time.Time) LagStats {
	n := len(f.Mismatches)
	if n == 0 {
		return LagStats{}
	}
	// The cache is swapped whole: readers of a shared state call this
	// at once.
	c := f.lagStats.Load()
	if c == nil || !c.valid || c.gen != f.MismatchGen || c.n != n || c.first != &f.Mismatches[0] {
		c = &lagCache{gen: f.MismatchGen, n: n, first: &f.Mismatches[0], valid: true, sorted: true}
		prev := sinceOf(&f.Mismatches[0])
		for i := 1; i < n; i++ {
			t := sinceOf(&f.Mismatches[i])
			if t.Before(prev) {
				c.sorted = false
				break
			}
			prev = t
		}
		if !c.sorted {
			c.since = make([]time.Time, n)
			for i := range f.Mismatches {
				c.since[i] = sinceOf(&f.Mismatches[i])
			}
			slices.SortFunc(c.since, time.Time.Compare)
		}
		f.lagStats.Store(c)
	}
	since := func(i int) time.Time {
		if c.sorted {
			return sinceOf(&f.Mismatches[i])
		}
		return c.since[i]
	}
	// Since ascending: unknown (zero) times first, whose lag is 0; the rest
	// have lags in descending order.
	zeros := sort.Search(n, func(i int) bool { return !since(i).IsZero() })
	lagOf := func(t time.Time) time.Duration {
		if t.IsZero() || now.Before(t) {
			return 0
		}
		return now.Sub(t)
	}
	// rank r (1-based, ascending lags) is 0 within the zeros, else the
	// element z + (n - r) of the Since-ascending order.
	at := func(r int) time.Duration {
		if r <= zeros {
			return 0
		}
		return lagOf(since(zeros + n - r))
	}
	rank := func(p int) int { return (p*n + 99) / 100 }
	return LagStats{P50: at(rank(50)), P95: at(rank(95)), Max: at(n), N: n}
}

// sinceOf is m.Since() without copying the mismatch.
func sinceOf(m *Mismatch) time.Time {
	if !m.QueuedAt.IsZero() && (m.FirstSeen.IsZero() || m.QueuedAt.Before(m.FirstSeen)) {
		return m.QueuedAt
	}
	return m.FirstSeen
}
