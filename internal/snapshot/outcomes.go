package snapshot

import (
	"cmp"
	"maps"
	"slices"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Outcomes keeps the last reading of each target and endpoint, without
// its data (the big lists live in the state only), for a snapshot's
// errors and unsupported endpoints.
type Outcomes map[OutcomeKey]model.Reading

// OutcomeKey names a target's endpoint.
type OutcomeKey struct {
	Target   model.TargetID
	Endpoint model.Endpoint
}

// Note keeps r as its target's and endpoint's last outcome (discoveries
// are not outcomes).
func (o Outcomes) Note(r model.Reading) {
	if r.Endpoint == model.EPDiscovered {
		return
	}
	r.Data = nil
	o[OutcomeKey{r.Target, r.Endpoint}] = r
}

// List lists the outcomes by target and endpoint, so that a document
// lists them in the same order each time.
func (o Outcomes) List() []model.Reading {
	rs := slices.Collect(maps.Values(o))
	slices.SortFunc(rs, func(a, b model.Reading) int {
		return cmp.Or(cmp.Compare(a.Target.String(), b.Target.String()), cmp.Compare(a.Endpoint, b.Endpoint))
	})
	return rs
}
