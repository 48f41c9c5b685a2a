package ui

import (
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestWrap(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  []string
		want []string
	}{
		{"fits", wrapLine("  short line", 20), []string{"  short line"}},
		{"continuation indented", wrapLine("  alpha beta gamma delta", 14), []string{"  alpha beta", "    gamma", "    delta"}},
		{"long word whole", wrapLine("x supercalifragilistic y", 10), []string{"x", "  supercalifragilistic", "  y"}},
		{"blank", wrapLine(strings.Repeat(" ", 30), 10), []string{""}},
		{"separator kept at the break", wrapWords([]string{"a", "bb", "cc"}, ", ", 7, "", "  "), []string{"a, bb,", "  cc"}},
		{"indent counts", wrapWords([]string{"aaaa", "bbbb"}, " ", 9, "> ", "> "), []string{"> aaaa", "> bbbb"}},
		{"nothing", wrapWords(nil, " ", 10, "", ""), nil},
	} {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
		for _, l := range tt.got {
			if w := ansi.StringWidth(l); w > 14 && !strings.Contains(l, "supercali") {
				t.Errorf("%s: line %q is %d wide", tt.name, l, w)
			}
		}
	}
}
