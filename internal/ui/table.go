package ui

import (
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"

	tbl "github.com/mirrortop/mirrortop/internal/ui/table"
)

// column is one table column: its header, sort letter and width
// priority (see table.Column).
type column = tbl.Column

// cell is one rendered value. A cell with since set shows text, the time
// elapsed since then, and suffix, computed when drawn, so that ages move
// without rebuilding rows.
type cell struct {
	text   string
	tone   tone
	since  time.Time
	suffix string
	// badAt, when set, turns the cell to the bad tone from that time on
	// (a lag crossing its alert threshold) without a rebuild.
	badAt time.Time
	// short, when set, is shown instead of text when text does not fit
	// its column (rather than text cut short).
	short string
	// glyph, when set, is drawn before the text: the state by symbol as
	// well as by colour (not part of the text: filters and exports leave
	// it out).
	glyph glyph
}

func (c *cell) toneAt(now time.Time) tone {
	if !c.badAt.IsZero() && !now.Before(c.badAt) {
		return toneBad
	}
	return c.tone
}

func (c *cell) display(now time.Time) string {
	if c.since.IsZero() {
		return c.text
	}
	return c.text + FormatDuration(now.Sub(c.since)) + c.suffix
}

// sortKey orders a cell (see table.Key).
type sortKey = tbl.Key

func numKey(v float64) sortKey { return tbl.Num(v) }
func strKey(s string) sortKey  { return tbl.Str(s) }

// colList is a table's columns over rows made from a T: each column's
// layout, and the cell and the sort key it makes from a row's source.
type colList[T any] = tbl.Cols[T, cell]

// col is one column of a colList.
type col[T any] = tbl.Col[T, cell]

// row is one table row. subj is what it refers to (the detail and the
// actions take it); id is its key, which identifies it across refreshes
// (the selection); hay is its lower-cased text for the filter (cells
// separated by cellSep), made when a filter first needs it.
type row struct {
	id    string
	subj  subject
	cells []cell
	keys  []sortKey
	// src, when the table has a fill function, is what the cells and keys
	// are made from on first use (drawn, sorted or filtered): a pane of
	// 100 000 rows then makes only the ones it shows.
	src   any
	alert bool
	// alertAt, when set, makes the row an alert from that time on.
	alertAt time.Time
	// okUntil is until when the row counts as healthy, for the problems
	// only view (zero: a problem now; okForever: healthy).
	okUntil time.Time
	hay     string
}

// okForever marks a healthy row that no clock turns into a problem.
var okForever = time.Unix(1<<62, 0)

// healthy reports whether problems-only hides the row at now.
func (r *row) healthy(now time.Time) bool { return now.Before(r.okUntil) }

func (r *row) alerting(now time.Time) bool {
	return r.alert || (!r.alertAt.IsZero() && !now.Before(r.alertAt))
}

func newRow(s subject, cells []cell, keys []sortKey) row {
	return row{id: s.key(), subj: s, cells: cells, keys: keys}
}

// rowOf is a row referring to s whose cells and sort keys the columns cs
// make from v, each by its own column.
func rowOf[T any](s subject, cs colList[T], v T) row {
	cells, keys := cs.Fill(v)
	return newRow(s, cells, keys)
}

// haystack is the row's lower-cased text for the filter.
func (r *row) haystack() string {
	if r.hay == "" {
		var b strings.Builder
		for i := range r.cells {
			if i > 0 {
				b.WriteRune(cellSep)
			}
			b.WriteString(r.cells[i].text)
		}
		r.hay = strings.ToLower(b.String())
	}
	return r.hay
}

// table is a virtualised table: all rows are kept, the filtered and sorted
// view is an index slice rebuilt only when rows, filter or sort change, and
// rendering touches only the visible window.
type table struct {
	cols     []column
	rows     []row
	view     []int
	cursor   int
	offset   int
	height   int
	width    int
	filter   string
	match    rowFilter // filter, compiled
	sortCol  int       // -1: the order rows were given in
	sortDesc bool
	selID    string

	shown  []int // visible column indexes
	widths []int // their widths
	fitW   []int // per column with fit: its widest cell

	// fill makes a lazy row's cells and keys from its src.
	fill func(src any) ([]cell, []sortKey)
	// lock, when set, guards the rows' lazily made cells, keys and
	// haystacks: the rows are shared with other sessions' tables (see
	// refreshShared), which fill them from their own event loops.
	lock *sync.Mutex

	// problems hides the healthy rows (see row.okUntil) as of clock();
	// hidden counts them and okUntil is when the first of them turns
	// into a problem (zero: none will).
	problems bool
	clock    func() time.Time
	hidden   int
	okUntil  time.Time
}

// at returns row i with its cells and keys made. Once made they never
// change, so what at returns may be read without the lock.
func (t *table) at(i int) *row {
	r := &t.rows[i]
	if t.lock != nil {
		t.lock.Lock()
		defer t.lock.Unlock()
	}
	if r.cells == nil && r.src != nil && t.fill != nil {
		r.cells, r.keys = t.fill(r.src)
	}
	return r
}

// haystack is row i's lower-cased text for the filter.
func (t *table) haystack(i int) string {
	r := t.at(i)
	if t.lock != nil {
		t.lock.Lock()
		defer t.lock.Unlock()
	}
	return r.haystack()
}

func newTable(cols []column) *table {
	t := &table{cols: cols, sortCol: -1}
	return t
}

// setRows replaces the rows, keeping the selection on the same id.
func (t *table) setRows(rows []row) { t.setSharedRows(rows, nil) }

// setSharedRows replaces the rows with rows other tables share, whose lazy
// parts lock guards (nil: the rows are the table's own).
func (t *table) setSharedRows(rows []row, lock *sync.Mutex) {
	t.rows, t.lock = rows, lock
	t.measureFit()
	t.rebuild()
}

// measureFit notes the widest cell of each fit column, and lays the table
// out again when that changed (only tables with a fit column, whose rows
// are few, pay for it).
func (t *table) measureFit() {
	changed, any := false, false
	for c := range t.cols {
		any = any || t.cols[c].Fit > 0
	}
	if !any {
		return
	}
	if t.fitW == nil {
		t.fitW = make([]int, len(t.cols))
	}
	for c := range t.cols {
		// The flex column is measured too: it grows to its widest cell
		// before the fit columns take the rest.
		if t.cols[c].Fit == 0 && !t.cols[c].Flex {
			continue
		}
		w := 0
		for i := range t.rows {
			r := &t.rows[i]
			if t.lock != nil {
				r = t.at(i)
			}
			if c < len(r.cells) {
				cw := ansi.StringWidth(r.cells[c].text)
				if r.cells[c].glyph != glyphNone {
					cw += 2
				}
				w = max(w, cw)
			}
		}
		if t.cols[c].Fit > 0 {
			w = min(w, t.cols[c].Fit)
		}
		changed = changed || w != t.fitW[c]
		t.fitW[c] = w
	}
	if changed && t.width > 0 {
		t.layout()
	}
}

// setFilter sets the filter (see rowFilter).
func (t *table) setFilter(f string) {
	t.filter = strings.ToLower(f)
	t.match = parseFilter(t.filter)
	t.rebuild()
}

// setProblems turns the problems-only view on or off.
func (t *table) setProblems(on bool) {
	t.problems = on
	t.rebuild()
}

// problemsDue reports whether a hidden row has turned into a problem since
// the view was built, so that the view needs rebuilding.
func (t *table) problemsDue(now time.Time) bool {
	return t.problems && !t.okUntil.IsZero() && !now.Before(t.okUntil)
}

// sortBy sorts by the column whose sort letter is r; again on the same
// column flips the direction. It reports whether a column matched.
func (t *table) sortBy(r rune) bool {
	for i, c := range t.cols {
		if c.Sort == r {
			if t.sortCol == i {
				t.sortDesc = !t.sortDesc
			} else {
				t.sortCol, t.sortDesc = i, false
			}
			t.rebuild()
			return true
		}
	}
	return false
}

func (t *table) rebuild() {
	t.view = t.view[:0]
	t.hidden, t.okUntil = 0, time.Time{}
	var now time.Time
	if t.problems && t.clock != nil {
		now = t.clock()
	}
	for i := range t.rows {
		if t.problems {
			if r := &t.rows[i]; r.healthy(now) {
				t.hidden++
				if r.okUntil != okForever && (t.okUntil.IsZero() || r.okUntil.Before(t.okUntil)) {
					t.okUntil = r.okUntil
				}
				continue
			}
		}
		if t.match.empty() || t.match.match(t.haystack(i)) {
			t.view = append(t.view, i)
		}
	}
	if t.sortCol >= 0 {
		for _, i := range t.view {
			t.at(i)
		}
		tbl.Sort(t.view, func(i int) []sortKey { return t.rows[i].keys }, t.sortCol, t.sortDesc)
	}
	t.cursor = 0
	if t.selID != "" {
		for i, ri := range t.view {
			if t.rows[ri].id == t.selID {
				t.cursor = i
				break
			}
		}
	}
	t.clamp()
}

func (t *table) clamp() {
	n := len(t.view)
	t.cursor = max(0, min(t.cursor, n-1))
	if n > 0 {
		t.selID = t.rows[t.view[t.cursor]].id
	}
	h := max(t.height, 1)
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+h {
		t.offset = t.cursor - h + 1
	}
	t.offset = max(0, min(t.offset, max(0, n-h)))
}

// move moves the cursor by d rows.
func (t *table) move(d int) {
	t.cursor += d
	t.clamp()
}

func (t *table) top()    { t.cursor = 0; t.clamp() }
func (t *table) bottom() { t.cursor = len(t.view) - 1; t.clamp() }

// selected returns the selected row, if any.
func (t *table) selected() (row, bool) {
	if len(t.view) == 0 {
		return row{}, false
	}
	return *t.at(t.view[t.cursor]), true
}

// resize sets the size: width in columns, height in body rows.
func (t *table) resize(width, height int) {
	t.width, t.height = width, max(height, 1)
	t.layout()
	t.clamp()
}

// layout picks the columns that fit, dropping the highest prio first, and
// gives spare width to the flex column (see table.Layout).
func (t *table) layout() {
	t.shown, t.widths = tbl.Layout(t.cols, t.fitW, t.width-2) // marker column and a space
}

// render draws the header and the visible rows, each line exactly t.width
// columns wide.
func (t *table) render(st *styles, b *strings.Builder, now time.Time) {
	// Header.
	hdr := "  " + tbl.Header(t.cols, t.shown, t.widths, t.sortCol, t.sortDesc)
	b.WriteString(st.colHead.Render(fit(hdr, t.width, false)))
	b.WriteByte('\n')
	end := min(t.offset+t.height, len(t.view))
	for vi := t.offset; vi < end; vi++ {
		r := t.at(t.view[vi])
		sel := vi == t.cursor
		t.renderRow(st, b, r, sel, now)
		b.WriteByte('\n')
	}
	for vi := end; vi < t.offset+t.height; vi++ {
		b.WriteString(strings.Repeat(" ", t.width))
		b.WriteByte('\n')
	}
}

func (t *table) renderRow(st *styles, b *strings.Builder, r *row, sel bool, now time.Time) {
	mark := "  "
	alert := r.alerting(now)
	if alert {
		mark = "! "
	}
	if sel {
		var lb strings.Builder
		lb.WriteString(mark)
		for k, i := range t.shown {
			if k > 0 {
				lb.WriteByte(' ')
			}
			lb.WriteString(cellFit(st, r, i, now, t.widths[k], t.cols[i].Right))
		}
		b.WriteString(st.selected.Render(fit(lb.String(), t.width, false)))
		return
	}
	if alert {
		b.WriteString(st.alertRow.Render(mark))
	} else {
		b.WriteString(mark)
	}
	used := 2
	for k, i := range t.shown {
		if k > 0 {
			b.WriteByte(' ')
			used++
		}
		tn := toneNormal
		if i < len(r.cells) {
			tn = r.cells[i].toneAt(now)
		}
		txt := cellFit(st, r, i, now, t.widths[k], t.cols[i].Right)
		if tn == toneNormal || strings.TrimSpace(txt) == "" {
			b.WriteString(txt) // nothing to colour: send plain spaces
		} else {
			b.WriteString(st.tone(tn).Render(txt))
		}
		used += t.widths[k]
	}
	if used < t.width {
		b.WriteString(strings.Repeat(" ", t.width-used))
	}
}

func cellText(r *row, i int, now time.Time) string {
	if i < len(r.cells) {
		return r.cells[i].display(now)
	}
	return ""
}

// cellFit is a cell's text fitted to w columns, after its glyph: its
// short form when the whole does not fit and it has one.
func cellFit(st *styles, r *row, i int, now time.Time, w int, right bool) string {
	s := cellText(r, i, now)
	g := ""
	if i < len(r.cells) && r.cells[i].glyph != glyphNone {
		g = st.glyphs[r.cells[i].glyph] + " "
	}
	if i < len(r.cells) && r.cells[i].short != "" && ansi.StringWidth(g+s) > w {
		s = r.cells[i].short
	}
	return fit(g+s, w, right)
}

// fit truncates or pads s to exactly w columns.
func fit(s string, w int, right bool) string { return tbl.Fit(s, w, right) }
