package tomlkeys

import (
	"strconv"
	"strings"
)

// TypeName names the TOML type of a decoded value.
func TypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case map[string]any:
		return "a table"
	case []map[string]any, []any:
		return "an array"
	default:
		return "a date/time"
	}
}

// UnknownKey is the message for key k, which is none of known: it names
// the known key k most likely meant, else says what is wanted (want, such
// as "want name or description"; "" for nothing).
func UnknownKey(k string, known []string, want string) string {
	switch near := Suggest(k, known); {
	case near != "":
		return "unknown key (did you mean " + strconv.Quote(near) + "?)"
	case want != "":
		return "unknown key (" + want + ")"
	}
	return "unknown key"
}

// Suggest returns the known key closest to k (compared in lower case)
// when it is a likely typo: at most two edits away; else "".
func Suggest(k string, known []string) string {
	best, bestDist := "", 3
	for _, c := range known {
		if d := editDistance(strings.ToLower(k), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
