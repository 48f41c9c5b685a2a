package table

import (
	"slices"
	"strconv"
	"strings"
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

// item is a row's source in the column tests.
type item struct {
	name string
	size int
}

// itemCols are columns that own their cells and keys: the name's cell is
// upper-cased but it sorts by the name's length; SIZE's cell is text and
// it sorts by number.
var itemCols = Cols[item, string]{
	{Column: Column{Title: "NAME", Width: 8, Sort: 'N'},
		Cell: func(v item) string { return strings.ToUpper(v.name) },
		Key:  func(v item) Key { return Num(float64(len(v.name))) }},
	{Column: Column{Title: "SIZE", Width: 5, Right: true, Sort: 'S'},
		Cell: func(v item) string { return strconv.Itoa(v.size) + "B" },
		Key:  func(v item) Key { return Num(float64(v.size)) }},
	{Column: Column{Title: "NOTE", Width: 4},
		Cell: func(item) string { return "-" }},
}

func TestColsOwnCellsAndKeys(t *testing.T) {
	if got := itemCols.Specs(); len(got) != 3 || got[0].Title != "NAME" || got[1].Sort != 'S' || !got[1].Right || got[2].Width != 4 {
		t.Fatalf("specs %+v", got)
	}
	cells, keys := itemCols.Fill(item{"web", 120})
	if want := []string{"WEB", "120B", "-"}; !slices.Equal(cells, want) {
		t.Errorf("cells %q, want %q", cells, want)
	}
	if want := []Key{Num(3), Num(120), {}}; !slices.Equal(keys, want) {
		t.Errorf("keys %+v, want %+v", keys, want)
	}
}

func TestSortUsesTheColumnsKey(t *testing.T) {
	items := []item{{"inventory", 9}, {"web", 100}, {"ab", 20}, {"core", 3}}
	keys := make([][]Key, len(items))
	for i, v := range items {
		_, keys[i] = itemCols.Fill(v)
	}
	order := func(col int, desc bool) []string {
		view := []int{0, 1, 2, 3}
		Sort(view, func(i int) []Key { return keys[i] }, col, desc)
		out := make([]string, len(view))
		for k, i := range view {
			out[k] = items[i].name
		}
		return out
	}
	// By NAME: its key is the length, not the (upper-cased) text.
	if got, want := order(0, false), []string{"ab", "web", "core", "inventory"}; !slices.Equal(got, want) {
		t.Errorf("by name %q, want %q", got, want)
	}
	// By SIZE: numerically (as text "100B" would come before "20B").
	if got, want := order(1, true), []string{"web", "ab", "inventory", "core"}; !slices.Equal(got, want) {
		t.Errorf("by size, descending %q, want %q", got, want)
	}
	// NOTE has no key: the order rows were given in stays.
	if got, want := order(2, false), []string{"inventory", "web", "ab", "core"}; !slices.Equal(got, want) {
		t.Errorf("by note %q, want %q", got, want)
	}
}

func TestCompare(t *testing.T) {
	for _, c := range []struct {
		a, b Key
		want int
	}{
		{Num(2), Num(10), -1},
		{Str("B"), Str("a"), 1},
		{Str("Web"), Str("web"), 0},
		{Str("web"), Str("webs"), -1},
		{Num(2), Str("10"), -1}, // a number against text: by text (none)
	} {
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%+v, %+v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
