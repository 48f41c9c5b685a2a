package tomlkeys

import (
	"testing"

	"github.com/BurntSushi/toml"
)

func TestTypeName(t *testing.T) {
	var root map[string]any
	const doc = "s = \"x\"\ni = 1\nf = 1.5\nb = true\nt = {}\na = [1]\nat = [{}]\nd = 2026-11-22T03:20:00Z\n"
	if _, err := toml.Decode(doc, &root); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"s": "a string", "i": "an integer", "f": "a float", "b": "a boolean",
		"t": "a table", "a": "an array", "at": "an array", "d": "a date/time"}
	for k, w := range want {
		if got := TypeName(root[k]); got != w {
			t.Errorf("TypeName(%s) = %q, want %q", k, got, w)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"fast", "slow", "timeout", "page_size", "colors"}
	for in, want := range map[string]string{
		"fsat":     "fast",    // transposition
		"FAST":     "fast",    // case
		"timout":   "timeout", // deletion
		"colours":  "colors",  // insertion
		"pagesize": "page_size",
		"sparkle":  "",
		"":         "",
	} {
		if got := Suggest(in, known); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnknownKey(t *testing.T) {
	known := []string{"fast", "slow"}
	for _, c := range []struct{ k, want, msg string }{
		{"fsat", "", `unknown key (did you mean "fast"?)`},
		{"sparkle", "want fast or slow", "unknown key (want fast or slow)"},
		{"sparkle", "", "unknown key"},
	} {
		if got := UnknownKey(c.k, known, c.want); got != c.msg {
			t.Errorf("UnknownKey(%q, %q) = %q, want %q", c.k, c.want, got, c.msg)
		}
	}
}
