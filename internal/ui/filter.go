package ui

import (
	"strings"
	"unicode/utf8"
)

// cellSep separates the cells of a row's haystack: a fuzzy term matches
// within one cell, never across two. (Cells are sanitized, so it never
// occurs in them.)
const cellSep = '\x1f'

// rowFilter is a compiled filter: space-separated terms that must all
// match. A plain term matches a cell that holds its characters in order
// (a subsequence: "inv" finds "inventory", "plgw" finds "plat/gateway");
// a term starting with ! keeps only the rows that do not contain the rest
// of it as it is (inverted matches are exact, as in fzf, so that "!eu"
// does not hide every row with an e before a u). Matching ignores case.
type rowFilter struct {
	fuzzy []string
	not   []string
}

// parseFilter compiles the filter text f (already lower-cased).
func parseFilter(f string) rowFilter {
	var rf rowFilter
	for _, term := range strings.Fields(f) {
		if rest, ok := strings.CutPrefix(term, "!"); ok {
			if rest != "" {
				rf.not = append(rf.not, rest)
			}
			continue
		}
		rf.fuzzy = append(rf.fuzzy, term)
	}
	return rf
}

// empty reports whether the filter keeps every row.
func (rf *rowFilter) empty() bool { return len(rf.fuzzy) == 0 && len(rf.not) == 0 }

// match reports whether a row's lower-cased haystack passes the filter.
func (rf *rowFilter) match(hay string) bool {
	for _, n := range rf.not {
		if strings.Contains(hay, n) {
			return false
		}
	}
	for _, t := range rf.fuzzy {
		if !subsequence(hay, t) {
			return false
		}
	}
	return true
}

// subsequence reports whether the runes of term occur in order within one
// cell of hay (cells separated by cellSep).
func subsequence(hay, term string) bool {
	if term == "" {
		return true
	}
	if strings.Contains(hay, term) { // the common case, and fast
		return true
	}
	want, wl := utf8.DecodeRuneInString(term)
	j := 0
	for _, r := range hay {
		switch {
		case r == cellSep:
			j = 0
		case r == want:
			j += wl
			if j == len(term) {
				return true
			}
		default:
			continue
		}
		want, wl = utf8.DecodeRuneInString(term[j:])
	}
	return false
}
