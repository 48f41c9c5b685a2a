package table

import (
	"slices"
	"testing"
)

// cols are a pane's columns as the console declares them: a fit state, a
// flex name, numbers that give way when narrow, and an extra percentile.
var cols = []Column{
	{Title: "NAME", Width: 8, Sort: 'N'},
	{Title: "STATE", Width: 10, Fit: 30, Late: true},
	{Title: "WHAT", Width: 12, Flex: true, Max: 30},
	{Title: "QUEUE", Width: 6, Prio: 2, Right: true},
	{Title: "CERT", Width: 5, Prio: 5},
	{Title: "P95", Width: 6, Prio: 6, Extra: true},
}

func TestLayout(t *testing.T) {
	for _, c := range []struct {
		name   string
		widest []int
		avail  int
		shown  []int
		widths []int
	}{
		// All fit: the flex column takes what is left, up to its Max, and
		// the last column the rest.
		{"wide", nil, 80, []int{0, 1, 2, 3, 4, 5}, []int{8, 10, 30, 6, 5, 6}},
		// Narrow: the highest Prio goes first (P95), then CERT, then QUEUE;
		// the flex column takes the spare.
		{"narrow", nil, 46, []int{0, 1, 2, 3, 4}, []int{8, 10, 13, 6, 5}},
		{"narrower", nil, 38, []int{0, 1, 2}, []int{8, 10, 18}},
		// Prio 0 columns are never dropped: the flex column shrinks, then
		// the widest narrows.
		{"too narrow", nil, 20, []int{0, 1, 2}, []int{8, 9, 1}},
		// Widest cells known: the extra column gives way to the fit and flex
		// columns' growth; the flex column grows to its widest cell first,
		// then the late fit column takes what is left.
		{"fit", []int{0, 24, 20, 0, 0, 0}, 64, []int{0, 1, 2, 3, 4}, []int{8, 21, 20, 6, 5}},
		// With room for all: the fit column reaches its widest cell and the
		// flex column takes the rest.
		{"fit room", []int{0, 24, 20, 0, 0, 0}, 80, []int{0, 1, 2, 3, 4, 5}, []int{8, 24, 26, 6, 5, 6}},
	} {
		shown, widths := Layout(cols, c.widest, c.avail)
		if !slices.Equal(shown, c.shown) || !slices.Equal(widths, c.widths) {
			t.Errorf("%s: Layout(%d) = %v %v, want %v %v", c.name, c.avail, shown, widths, c.shown, c.widths)
		}
		used := len(widths) - 1
		for _, w := range widths {
			used += w
		}
		if used > c.avail {
			t.Errorf("%s: %d columns used of %d", c.name, used, c.avail)
		}
	}
}

func TestHeaderAndFit(t *testing.T) {
	shown, widths := []int{0, 3}, []int{6, 7}
	if got := Header(cols, shown, widths, 3, true); got != "NAME    QUEUE↓" {
		t.Errorf("header %q", got)
	}
	if got := Header(cols, shown, widths, 0, false); got != "NAME↑    QUEUE" {
		t.Errorf("header %q", got)
	}
	for _, c := range []struct {
		s     string
		w     int
		right bool
		want  string
	}{
		{"abc", 5, false, "abc  "},
		{"abc", 5, true, "  abc"},
		{"abcdef", 4, false, "abc…"},
		{"日本語", 5, false, "日本…"},
		{"x", 0, false, ""},
	} {
		if got := Fit(c.s, c.w, c.right); got != c.want {
			t.Errorf("Fit(%q, %d, %v) = %q, want %q", c.s, c.w, c.right, got, c.want)
		}
	}
}
