package poller

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/mirrortop/mirrortop/internal/model"
)

// FetchCount is how many fetches of one endpoint of one target ended one
// way. A fetch reads an endpoint whole (every page of a list); a heavy
// list found unchanged, and so not fetched, is not one.
type FetchCount struct {
	Target   string
	Endpoint string
	// Status is the HTTP status of a fetch the server answered ("200",
	// "404", "500", …), "error" when it did not answer (refused, timed
	// out, cut off, not JSON), "unsupported" for an endpoint the server
	// does not have.
	Status string
	N      int64
}

// fetchKey identifies a FetchCount.
type fetchKey struct{ target, endpoint, status string }

// fetchCounts counts fetches; safe for concurrent use.
type fetchCounts struct{ m sync.Map } // fetchKey -> *atomic.Int64

// note counts one fetch that ended with err.
func (c *fetchCounts) note(t model.TargetID, ep model.Endpoint, err error) {
	status := "200"
	var he *HTTPError
	switch {
	case errors.Is(err, ErrUnsupported):
		status = "unsupported"
	case errors.As(err, &he):
		status = strconv.Itoa(he.Status)
	case err != nil:
		status = "error"
	}
	k := fetchKey{t.String(), string(ep), status}
	v, ok := c.m.Load(k)
	if !ok {
		v, _ = c.m.LoadOrStore(k, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

// Fetches lists how many fetches of each endpoint of each target ended
// each way, since the poller started, by target, endpoint and status.
func (p *Poller) Fetches() []FetchCount {
	var out []FetchCount
	p.fetches.m.Range(func(k, v any) bool {
		fk := k.(fetchKey)
		out = append(out, FetchCount{Target: fk.target, Endpoint: fk.endpoint, Status: fk.status, N: v.(*atomic.Int64).Load()})
		return true
	})
	slices.SortFunc(out, func(a, b FetchCount) int {
		return cmp.Or(cmp.Compare(a.Target, b.Target), cmp.Compare(a.Endpoint, b.Endpoint), cmp.Compare(a.Status, b.Status))
	})
	return out
}
