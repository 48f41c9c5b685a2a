package themes

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// allColors returns every colour of c by its key.
func allColors(c Colors) map[string]string {
	m := map[string]string{}
	for _, k := range colorKeys {
		m[k.key] = *k.field(&c)
	}
	return m
}

// writeTheme writes a theme file into dir.
func writeTheme(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name+".toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuiltin(t *testing.T) {
	if got, want := Builtin(), []string{"dark", "high-contrast", "light"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Builtin() = %q, want %q", got, want)
	}
}

func TestBuiltinThemesComplete(t *testing.T) {
	for _, name := range Builtin() {
		t.Run(name, func(t *testing.T) {
			data, err := builtin.ReadFile(name + ".toml")
			if err != nil {
				t.Fatal(err)
			}
			th, err := Parse(name+".toml", data)
			if err != nil {
				t.Fatal(err)
			}
			if th.Name != name {
				t.Errorf("name %q in %s.toml", th.Name, name)
			}
			if th.Description == "" {
				t.Error("no description")
			}
			for key, c := range allColors(th.Colors) {
				if !ValidColor(c) {
					t.Errorf("colors.%s = %q is missing or invalid", key, c)
				}
			}
			loaded, err := Load(name, "")
			if err != nil {
				t.Fatal(err)
			}
			if loaded != th {
				t.Errorf("Load = %+v, want %+v", loaded, th)
			}
			if th.Colors.SelectedFG == th.Colors.SelectedBG || th.Colors.HeaderFG == th.Colors.HeaderBG ||
				th.Colors.AlertFG == th.Colors.AlertBG {
				t.Errorf("a foreground equals its background: %+v", th.Colors)
			}
		})
	}
}

func TestBuiltinPalettes(t *testing.T) {
	// dark and light use the 16 palette colours so they follow the terminal's
	// palette; high-contrast keeps to bright ones.
	for _, name := range []string{"dark", "light", "high-contrast"} {
		th, err := Load(name, "")
		if err != nil {
			t.Fatal(err)
		}
		for key, c := range allColors(th.Colors) {
			if len(c) > 2 || c[0] == '#' || (len(c) == 2 && c > "15") {
				t.Errorf("%s: colors.%s = %q is not an ANSI-16 index", name, key, c)
			}
		}
	}
	hc, _ := Load("high-contrast", "")
	if hc.Colors.Text != "15" || hc.Colors.SelectedFG != "0" || hc.Colors.SelectedBG != "11" ||
		hc.Colors.OK != "10" || hc.Colors.Warn != "11" || hc.Colors.Bad != "9" {
		t.Errorf("high-contrast colours %+v", hc.Colors)
	}
}

func TestValidColor(t *testing.T) {
	for _, s := range []string{"0", "7", "15", "99", "100", "255", "#fff", "#FFF", "#1e90ff", "#1E90FF", "#000000", "default"} {
		if !ValidColor(s) {
			t.Errorf("ValidColor(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "256", "1000", "-1", "+1", "01", "007", " 7", "7 ", "1.5", "#", "#ff", "#ffff", "#fffff", "#fffffff",
		"#ggg", "#12345g", "fff", "1e90ff", "Default", "none", "red", "0x1f"} {
		if ValidColor(s) {
			t.Errorf("ValidColor(%q) = true, want false", s)
		}
	}
}

func TestParse(t *testing.T) {
	th, err := Parse("/themes/ocean.toml", []byte(`# comment
description = "blue"
[colors]
text = "default"
accent = "#1e90ff"
bad = "#f00"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Theme{Name: "ocean", Description: "blue", Colors: Colors{Text: "default", Accent: "#1e90ff", Bad: "#f00"}}
	if th != want {
		t.Errorf("Parse = %+v, want %+v", th, want)
	}
	th, err = Parse("x.toml", []byte("name = \"Ocean\"\ncolors = { ok = \"2\" }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if th.Name != "Ocean" || th.Colors != (Colors{OK: "2"}) {
		t.Errorf("Parse = %+v", th)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string
	}{
		{
			name: "bad index",
			text: "name = \"x\"\n[colors]\ntext = \"7\"\nmuted = \"256\"\n",
			want: `mine.toml:4: colors.muted: "256" is not a colour (want an ANSI index "0".."255", "#rrggbb", "#rgb" or "default")`,
		},
		{
			name: "bad hex",
			text: "[colors]\n\naccent = \"#12345\"\n",
			want: `mine.toml:3: colors.accent: "#12345" is not a colour`,
		},
		{
			name: "colour name",
			text: "[colors]\nbad = \"red\"\n",
			want: `mine.toml:2: colors.bad: "red" is not a colour`,
		},
		{
			name: "colour as integer",
			text: "[colors]\nok = 2\n",
			want: `mine.toml:2: colors.ok: want a colour string such as "4" or "#1e90ff", got an integer`,
		},
		{
			name: "mistyped colour key",
			text: "[colors]\ntext = \"7\"\ntxt = \"7\"\n",
			want: "mine.toml:3: colors.txt: unknown key (did you mean \"text\"?)",
		},
		{
			name: "unknown colour key",
			text: "[colors]\ntext = \"7\"\nsparkle = \"7\"\n",
			want: "mine.toml:3: colors.sparkle: unknown key (want one of text, muted, accent, ok, warn, bad, selected_fg, selected_bg, header_fg, header_bg, alert_fg, alert_bg)",
		},
		{
			name: "unknown key in an inline table",
			text: "name = \"x\"\ncolors = { txet = \"7\" }\n",
			want: "mine.toml:2: colors.txet: unknown key (did you mean \"text\"?)",
		},
		{
			name: "unknown top-level key",
			text: "name = \"x\"\nauthor = \"me\"\n",
			want: "mine.toml:2: author: unknown key (want name, description or [colors])",
		},
		{
			name: "unknown table",
			text: "[colours]\ntext = \"7\"\n",
			want: "mine.toml:1: colours: unknown key (did you mean \"colors\"?)",
		},
		{
			name: "colors not a table",
			text: "colors = \"dark\"\n",
			want: "mine.toml:1: colors: want a table ([colors]), got a string",
		},
		{
			name: "name not a string",
			text: "name = 1\n",
			want: "mine.toml:1: name: want a string, got an integer",
		},
		{
			name: "first error in file order",
			text: "[colors]\ntext = \"x\"\nmuted = \"y\"\nbad = \"z\"\n",
			want: `mine.toml:2: colors.text: "x" is not a colour`,
		},
		{
			name: "dotted keys",
			text: "name = \"x\"\ncolors.warn = \"yellow\"\n",
			want: `mine.toml:2: colors.warn: "yellow" is not a colour`,
		},
		{
			name: "multi-line description is skipped",
			text: "description = \"\"\"\n[colors]\nwarn = \"fine\"\n\"\"\"\n[colors]\nwarn = \"yellow\"\n",
			want: `mine.toml:6: colors.warn: "yellow" is not a colour`,
		},
		{
			name: "syntax error",
			text: "[colors]\ntext = 7 7\n",
			want: "mine.toml:2: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("mine.toml", []byte(tt.text))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v\nwant %s...", err, tt.want)
			}
		})
	}
}

func TestLoadUserDir(t *testing.T) {
	dir := t.TempDir()
	dark, err := Load("dark", "")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("user theme overrides built-in", func(t *testing.T) {
		writeTheme(t, dir, "dark", `name = "my dark"
description = "mine"
[colors]
text = "#eeeeee"
muted = "#888"
accent = "12"
ok = "10"
warn = "11"
bad = "9"
selected_fg = "default"
selected_bg = "236"
header_fg = "0"
header_bg = "12"
alert_fg = "15"
alert_bg = "9"
`)
		got, err := Load("dark", dir)
		if err != nil {
			t.Fatal(err)
		}
		want := Theme{Name: "dark", Description: "mine", Colors: Colors{
			Text: "#eeeeee", Muted: "#888", Accent: "12", OK: "10", Warn: "11", Bad: "9",
			SelectedFG: "default", SelectedBG: "236", HeaderFG: "0", HeaderBG: "12", AlertFG: "15", AlertBG: "9",
		}}
		if got != want {
			t.Errorf("Load = %+v, want %+v", got, want)
		}
	})

	t.Run("partial user theme filled from dark", func(t *testing.T) {
		writeTheme(t, dir, "solarized", "[colors]\naccent = \"#268bd2\"\nbad = \"#dc322f\"\n")
		got, err := Load("solarized", dir)
		if err != nil {
			t.Fatal(err)
		}
		want := dark
		want.Name, want.Description = "solarized", ""
		want.Colors.Accent, want.Colors.Bad = "#268bd2", "#dc322f"
		if got != want {
			t.Errorf("Load = %+v, want %+v", got, want)
		}
	})

	t.Run("empty user theme is dark", func(t *testing.T) {
		writeTheme(t, dir, "blank", "")
		got, err := Load("blank", dir)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "blank" || got.Colors != dark.Colors {
			t.Errorf("Load = %+v", got)
		}
	})

	t.Run("built-in when the user dir lacks it", func(t *testing.T) {
		got, err := Load("light", dir)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := Load("light", ""); got != want {
			t.Errorf("Load = %+v, want %+v", got, want)
		}
	})

	t.Run("missing user dir", func(t *testing.T) {
		got, err := Load("high-contrast", filepath.Join(dir, "nope"))
		if err != nil || got.Name != "high-contrast" {
			t.Errorf("Load = %+v, %v", got, err)
		}
	})

	t.Run("bad user theme names its file", func(t *testing.T) {
		p := writeTheme(t, dir, "broken", "[colors]\ntext = \"7\"\nwarn = \"orange\"\n")
		_, err := Load("broken", dir)
		if err == nil || err.Error() != p+`:3: colors.warn: "orange" is not a colour (want an ANSI index "0".."255", "#rrggbb", "#rgb" or "default")` {
			t.Errorf("error %v", err)
		}
	})

	t.Run("unreadable user theme", func(t *testing.T) {
		if err := os.Mkdir(filepath.Join(dir, "folder.toml"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := Load("folder", dir)
		if err == nil || !strings.HasPrefix(err.Error(), `theme "folder": `) {
			t.Errorf("error %v", err)
		}
	})

	t.Run("unknown theme lists built-in and user themes", func(t *testing.T) {
		_, err := Load("nord", dir)
		want := `unknown theme "nord" (available: blank, broken, dark, high-contrast, light, solarized; user themes are read from ` + dir + ")"
		if err == nil || err.Error() != want {
			t.Errorf("error %v\nwant  %s", err, want)
		}
	})
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, theme, want string
	}{
		{"unknown", "solarized", `unknown theme "solarized" (available: dark, high-contrast, light)`},
		{"file name", "dark.toml", `unknown theme "dark.toml" (available: dark, high-contrast, light)`},
		{"case", "Dark", `unknown theme "Dark"`},
		{"empty", "", "no theme name given"},
		{"path", "../dark", `theme "../dark": want a theme name, not a path`},
		{"backslash", `..\dark`, "want a theme name, not a path"},
		{"dot-dot", "..", "want a theme name, not a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.theme, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// Errors about the name match ErrBadName; errors inside a theme file do not.
func TestErrBadName(t *testing.T) {
	for _, name := range []string{"", "../x", "neon"} {
		if _, err := Load(name, ""); !errors.Is(err, ErrBadName) {
			t.Errorf("Load(%q): %v does not match ErrBadName", name, err)
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mine.toml"), []byte("[colors]\ntxt = \"7\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load("mine", dir); err == nil || errors.Is(err, ErrBadName) {
		t.Errorf("an error inside a theme file: %v", err)
	}
}
