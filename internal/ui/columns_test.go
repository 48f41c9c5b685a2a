package ui

import (
	"slices"
	"strconv"
	"testing"
)

// sized is a row's source in the column tests.
type sized struct {
	name string
	size int
}

// sizedCols own their cells and keys: SIZE shows "NB" text but sorts by
// number; NAME sorts by its length.
var sizedCols = colList[sized]{
	{Column: column{Title: "NAME", Width: 10, Sort: 'N'},
		Cell: func(v sized) cell { return cell{text: v.name, tone: toneAccent} },
		Key:  func(v sized) sortKey { return numKey(float64(len(v.name))) }},
	{Column: column{Title: "SIZE", Width: 6, Right: true, Sort: 'Z'},
		Cell: func(v sized) cell { return cell{text: strconv.Itoa(v.size) + "B"} },
		Key:  func(v sized) sortKey { return numKey(float64(v.size)) }},
}

func TestRowOfTakesEachColumnsCellAndKey(t *testing.T) {
	r := rowOf(widgetSubject{"w"}, sizedCols, sized{"web", 120})
	if r.id != "widget/w" || len(r.cells) != 2 || r.cells[0] != (cell{text: "web", tone: toneAccent}) || r.cells[1] != (cell{text: "120B"}) {
		t.Fatalf("row %+v", r)
	}
	if want := []sortKey{numKey(3), numKey(120)}; !slices.Equal(r.keys, want) {
		t.Errorf("keys %+v, want %+v", r.keys, want)
	}
}

func TestTableSortsByTheColumnsKey(t *testing.T) {
	tb := newTable(sizedCols.Specs())
	var rows []row
	for _, v := range []sized{{"inventory", 9}, {"web", 100}, {"ab", 20}} {
		rows = append(rows, rowOf(widgetSubject{v.name}, sizedCols, v))
	}
	tb.setRows(rows)
	order := func() []string {
		var out []string
		for _, i := range tb.view {
			out = append(out, tb.rows[i].cells[0].text)
		}
		return out
	}
	tb.sortBy('Z') // numerically: as text, "100B" would come first
	if got, want := order(), []string{"inventory", "ab", "web"}; !slices.Equal(got, want) {
		t.Errorf("by size %q, want %q", got, want)
	}
	tb.sortBy('N') // by the name's length, its key, not its text
	if got, want := order(), []string{"ab", "web", "inventory"}; !slices.Equal(got, want) {
		t.Errorf("by name %q, want %q", got, want)
	}
}

// columnsOf checks a pane's column list: every column makes a cell, every
// sortable one a key, and the pane's columns are the list's layout.
func columnsOf[T any](t *testing.T, p paneKind, cs colList[T]) {
	t.Helper()
	if got := p.columns(); !slices.Equal(got, cs.Specs()) {
		t.Errorf("%s: columns %+v are not its list's", p.info().name, got)
	}
	for _, c := range cs {
		if c.Cell == nil || (c.Sort != 0 && c.Key == nil) {
			t.Errorf("%s: column %s lacks its cell or its sort key", p.info().name, c.Title)
		}
	}
}

func TestEveryPaneColumnOwnsItsCellAndKey(t *testing.T) {
	columnsOf(t, farmsPane{}, farmCols)
	columnsOf(t, mismatchesPane{}, mismatchCols)
	columnsOf(t, queuePane{}, queueCols)
	columnsOf(t, requestsPane{}, requestCols)
	columnsOf(t, nodesPane{}, nodeCols)
	columnsOf(t, gitlabPane{}, gitlabCols)
	columnsOf(t, eventsPane{}, eventCols)
}
