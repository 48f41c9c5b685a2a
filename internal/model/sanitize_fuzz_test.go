package model

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// unsafeForTerminal returns a description of the first character of s that
// Sanitize must never let through, or "" when there is none.
func unsafeForTerminal(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return fmt.Sprintf("control byte %#02x", c)
		}
	}
	for _, r := range s {
		switch {
		case r >= 0x80 && r <= 0x9f:
			return fmt.Sprintf("C1 control %U", r)
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return fmt.Sprintf("bidi control %U", r)
		}
	}
	return ""
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		"",
		"plain-repo",
		"PROJ/repo-name_1.2 (main)",
		"café ünïcode 日本 🙂",
		"red\x1b[31mtext\x1b[0m",
		"title\x1b]0;pwned\x07after",
		"title2\x1b]2;pwned\x1b\\after",
		"link\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\",
		"clip\x1b]52;c;aGVsbG8=\x07",
		"bell\x07back\bcr\rnl\n",
		"bidi\u202eevil\u2066x\u2069\u200e\u200f\u061c",
		"c1\u009b31mcsi",
		"c1 osc\u009d0;t\u009cafter",
		"c1 dcs\u0090q\u009c sos\u0098x\u009c pm\u009ex\u009c apc\u009fx\u009c",
		"raw c1 bytes \x9b31m \x9d0;x\x07",
		"bad\xffutf8\xc0\xaf\xed\xa0\x80",
		"tab\tsep",
		"dcs\x1bPq#0;2;0;0;0\x1b\\end",
		"cursor\x1b[2J\x1b[Hhome",
		"unterminated\x1b]0;title",
		"esc-at-end\x1b",
		"esc-in-csi\x1b[31\x1b[0mx",
		"charset\x1b(B\x1b)0\x1b#8x",
		"csi then utf8\x1b[é",
		"esc then utf8\x1bé",
		"zero\u200bwidth\ufeffbom\u00adshy",
		"nul\x00del\x7f",
		"\u2028line\u2029para",
		"\x1b\x1b\x1b[[[",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Sanitize(in)
		if !utf8.ValidString(out) {
			t.Fatalf("Sanitize(%q) = %q: not valid UTF-8", in, out)
		}
		if bad := unsafeForTerminal(out); bad != "" {
			t.Fatalf("Sanitize(%q) = %q: contains %s", in, out, bad)
		}
		if strings.ContainsRune(out, 0x1b) {
			t.Fatalf("Sanitize(%q) = %q: contains ESC", in, out)
		}
		if again := Sanitize(out); again != out {
			t.Fatalf("Sanitize not idempotent: Sanitize(%q) = %q, Sanitize of that = %q", in, out, again)
		}
		if isPrintableASCII(in) && out != in {
			t.Fatalf("Sanitize changed printable ASCII %q to %q", in, out)
		}
	})
}
