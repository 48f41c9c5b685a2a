// Package table lays out the console's tables: each column says its header,
// its preferred width and how it gives way when the screen is narrow (its
// width priority; fit, flex and extra columns), and Layout picks the columns
// shown and their widths. It holds no rows: the console's table keeps those,
// made lazily, so that 100 000 rows cost only the ones drawn.
package table

import (
	"cmp"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Column is one column: its header, its sort letter and its place in the
// layout.
type Column struct {
	Title string
	// Width is its preferred width; a Flex column grows into spare space
	// (up to Max when set).
	Width int
	Flex  bool
	Max   int
	// Prio is its width priority: 0 is always shown; when the screen is
	// narrow, the highest Prio goes first.
	Prio int
	// Fit, when set, grows the column from spare width to its widest cell,
	// up to Fit; a Late one only after the flex column has grown.
	Fit  int
	Late bool
	// Extra is shown only when the fit and flex columns also get their
	// full width.
	Extra bool
	// Right aligns it right (numbers).
	Right bool
	// Sort is the Shift+letter that sorts by it, 0 for none.
	Sort rune
}

// gap is the space between two columns.
const gap = 1

// Layout picks the columns that fit in avail screen columns, dropping the
// highest Prio first, and their widths: the fit columns grow to their
// widest cell, then the flex column, then the late fit columns, and the
// flex (else the last) column takes what is left. widest, when not nil,
// is per column the widest cell (read for fit and flex columns only).
// shown lists the indexes of the columns shown, widths their widths.
func Layout(cols []Column, widest []int, avail int) (shown, widths []int) {
	shown = make([]int, 0, len(cols))
	for i := range cols {
		shown = append(shown, i)
	}
	total := func() int {
		w := 0
		for _, i := range shown {
			w += cols[i].Width + gap
		}
		return w - gap
	}
	for total() > avail {
		drop, worst := -1, 0
		for k, i := range shown {
			if cols[i].Prio > worst {
				drop, worst = k, cols[i].Prio
			}
		}
		if drop < 0 {
			break
		}
		shown = slices.Delete(shown, drop, drop+1)
	}
	// Extra columns give way to what the others would grow to: a state
	// cut short is worse than a missing percentile.
	for widest != nil {
		want, drop, worst := total(), -1, -1
		for k, i := range shown {
			c := cols[i]
			if c.Fit > 0 || c.Flex {
				w := widest[i]
				if c.Flex && c.Max > 0 {
					w = min(w, c.Max)
				}
				want += max(0, w-c.Width)
			}
			if c.Extra && c.Prio > worst {
				drop, worst = k, c.Prio
			}
		}
		if want <= avail || drop < 0 {
			break
		}
		shown = slices.Delete(shown, drop, drop+1)
	}
	widths = make([]int, len(shown))
	flex := -1
	for k, i := range shown {
		widths[k] = cols[i].Width
		if cols[i].Flex && flex < 0 {
			flex = k
		}
	}
	spare := avail - total()
	growFit := func(late bool) {
		for k, i := range shown {
			if c := cols[i]; c.Fit > 0 && c.Late == late && widest != nil && spare > 0 {
				if grow := min(spare, widest[i]-widths[k]); grow > 0 {
					widths[k] += grow
					spare -= grow
				}
			}
		}
	}
	growFit(false)
	if flex >= 0 && widest != nil && spare > 0 {
		c := cols[shown[flex]]
		grow := min(spare, widest[shown[flex]]-widths[flex])
		if c.Max > 0 {
			grow = min(grow, c.Max-widths[flex])
		}
		if grow > 0 {
			widths[flex] += grow
			spare -= grow
		}
	}
	growFit(true)
	if flex < 0 && len(widths) > 0 {
		flex = len(widths) - 1
	}
	if flex >= 0 {
		grow := spare
		if c := cols[shown[flex]]; c.Flex && c.Max > 0 && spare > 0 {
			grow = min(spare, c.Max-widths[flex])
		}
		widths[flex] = max(1, widths[flex]+grow)
	}
	// Columns that cannot be dropped still have to fit: narrow the widest.
	sum := len(widths) - 1
	for _, w := range widths {
		sum += w
	}
	for sum > avail && len(widths) > 0 {
		widest := 0
		for k := range widths {
			if widths[k] > widths[widest] {
				widest = k
			}
		}
		if widths[widest] <= 1 {
			break
		}
		widths[widest]--
		sum--
	}
	return shown, widths
}

// Header is the header line of the columns shown: each title fitted to its
// width, the sorted one (sorted >= 0) marked ↑ or ↓ (desc).
func Header(cols []Column, shown, widths []int, sorted int, desc bool) string {
	var b strings.Builder
	for k, i := range shown {
		if k > 0 {
			b.WriteByte(' ')
		}
		title := cols[i].Title
		if sorted == i {
			if desc {
				title += "↓"
			} else {
				title += "↑"
			}
		}
		b.WriteString(Fit(title, widths[k], cols[i].Right))
	}
	return b.String()
}

// Fit truncates (with …) or pads s to exactly w screen columns.
func Fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if right {
		return strings.Repeat(" ", w-sw) + s
	}
	return s + strings.Repeat(" ", w-sw)
}

// Key orders a column's cells: numerically when both keys have a number,
// else by text, ignoring ASCII case.
type Key struct {
	Num    float64
	HasNum bool
	Str    string
}

// Num is a numeric key.
func Num(v float64) Key { return Key{Num: v, HasNum: true} }

// Str is a text key.
func Str(s string) Key { return Key{Str: s} }

// Compare orders two keys (see Key).
func Compare(a, b Key) int {
	if a.HasNum && b.HasNum {
		return cmp.Compare(a.Num, b.Num)
	}
	return compareFold(a.Str, b.Str)
}

// compareFold orders strings ignoring ASCII case, without allocating.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	return cmp.Compare(len(a), len(b))
}

// Col is a column of rows made from a T (a row's source: a farm, a node, a
// mismatch…) whose cells are Cs: its layout, and the cell and the sort key
// it makes from a row's source. A table's columns are one list of Cols, so
// that a new column is one entry in it.
type Col[T, C any] struct {
	Column
	// Cell makes the column's cell of a row.
	Cell func(T) C
	// Key makes the row's sort key by this column; nil sorts it by
	// nothing (a column without a Sort letter needs none).
	Key func(T) Key
}

// Cols is a table's columns over rows made from a T.
type Cols[T, C any] []Col[T, C]

// Specs is the columns' layout, in order.
func (cs Cols[T, C]) Specs() []Column {
	out := make([]Column, len(cs))
	for i := range cs {
		out[i] = cs[i].Column
	}
	return out
}

// Fill makes a row's cells and sort keys from its source v, each by its
// own column.
func (cs Cols[T, C]) Fill(v T) ([]C, []Key) {
	cells, keys := make([]C, len(cs)), make([]Key, len(cs))
	for i := range cs {
		cells[i] = cs[i].Cell(v)
		if cs[i].Key != nil {
			keys[i] = cs[i].Key(v)
		}
	}
	return cells, keys
}

// Sort orders view (indexes of rows) stably by column col of each row's
// keys, as keys returns them, descending when desc.
func Sort(view []int, keys func(row int) []Key, col int, desc bool) {
	slices.SortStableFunc(view, func(a, b int) int {
		ka, kb := keys(a), keys(b)
		var r int
		if col < len(ka) && col < len(kb) {
			r = Compare(ka[col], kb[col])
		}
		if desc {
			r = -r
		}
		return r
	})
}
