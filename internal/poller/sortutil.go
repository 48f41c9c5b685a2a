package poller

import (
	"cmp"
	"slices"

	"github.com/mirrortop/mirrortop/internal/model"
)

// sortReposByID orders repositories by id, numerically when ids are numbers.
func sortReposByID(rs []model.Repo) {
	slices.SortFunc(rs, func(a, b model.Repo) int {
		if c := cmp.Compare(len(a.ID), len(b.ID)); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
