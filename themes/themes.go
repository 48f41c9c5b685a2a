// Package themes holds mirrortop's colour themes: the built-in ones, which
// are embedded in the binary, and user themes read from a folder.
//
// A theme is a TOML file:
//
//	name = "dark"
//	description = "Dark terminals; ANSI colours so it follows your palette"
//	[colors]
//	text = "7"
//	muted = "8"
//	...
//
// A colour is an ANSI index "0".."255", "#rrggbb", "#rgb" or "default",
// the terminal's own colour.
package themes

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/mirrortop/mirrortop/internal/tomlkeys"
)

//go:embed *.toml
var builtin embed.FS

// fallback is the built-in theme that completes partial user themes.
const fallback = "dark"

// Colors are a theme's colours.
type Colors struct {
	// Text is normal text.
	Text string
	// Muted is secondary text, ages and borders.
	Muted string
	// Accent is titles, the active tab and keys in help.
	Accent string
	// OK marks healthy state.
	OK string
	// Warn marks state worth a look.
	Warn string
	// Bad marks failures.
	Bad string
	// SelectedFG is the foreground of the selected row.
	SelectedFG string
	// SelectedBG is the background of the selected row.
	SelectedBG string
	// HeaderFG is the foreground of the header bar.
	HeaderFG string
	// HeaderBG is the background of the header bar.
	HeaderBG string
	// AlertFG is the foreground of the alert badge.
	AlertFG string
	// AlertBG is the background of the alert badge.
	AlertBG string
}

// Theme is a named set of colours.
type Theme struct {
	// Name identifies the theme.
	Name string
	// Description says what the theme is for.
	Description string
	// Colors are the theme's colours.
	Colors Colors
}

// colorKeys are the keys of the [colors] table, in file order.
var colorKeys = []struct {
	key   string
	field func(*Colors) *string
}{
	{"text", func(c *Colors) *string { return &c.Text }},
	{"muted", func(c *Colors) *string { return &c.Muted }},
	{"accent", func(c *Colors) *string { return &c.Accent }},
	{"ok", func(c *Colors) *string { return &c.OK }},
	{"warn", func(c *Colors) *string { return &c.Warn }},
	{"bad", func(c *Colors) *string { return &c.Bad }},
	{"selected_fg", func(c *Colors) *string { return &c.SelectedFG }},
	{"selected_bg", func(c *Colors) *string { return &c.SelectedBG }},
	{"header_fg", func(c *Colors) *string { return &c.HeaderFG }},
	{"header_bg", func(c *Colors) *string { return &c.HeaderBG }},
	{"alert_fg", func(c *Colors) *string { return &c.AlertFG }},
	{"alert_bg", func(c *Colors) *string { return &c.AlertBG }},
}

// Builtin returns the sorted names of the built-in themes.
func Builtin() []string {
	entries, err := builtin.ReadDir(".")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".toml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Load returns the theme called name: userDir/<name>.toml when userDir is
// not "" and holds that file, else the built-in theme of that name. Colours
// a user theme leaves out are taken from the built-in "dark" theme. The
// returned theme's Name is name. An unknown name is an error listing the
// themes available.
func Load(name, userDir string) (Theme, error) {
	if strings.TrimSpace(name) == "" {
		return Theme{}, nameError("no theme name given")
	}
	if name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return Theme{}, nameError(fmt.Sprintf("theme %q: want a theme name, not a path", name))
	}
	file, data, err := readUser(name, userDir)
	if err != nil {
		return Theme{}, err
	}
	if data == nil {
		file = name + ".toml"
		if data, err = builtin.ReadFile(file); err != nil {
			return Theme{}, unknown(name, userDir)
		}
	}
	t, err := Parse(file, data)
	if err != nil {
		return Theme{}, err
	}
	d := darkColors()
	for _, k := range colorKeys {
		if p := k.field(&t.Colors); *p == "" {
			*p = *k.field(&d)
		}
	}
	t.Name = name
	return t, nil
}

// readUser returns the path and contents of userDir/<name>.toml, or nil
// contents when userDir is "" or has no such file.
func readUser(name, userDir string) (string, []byte, error) {
	if userDir == "" {
		return "", nil, nil
	}
	file := filepath.Join(userDir, name+".toml")
	data, err := os.ReadFile(file)
	switch {
	case err == nil:
		if data == nil {
			data = []byte{}
		}
		return file, data, nil
	case errors.Is(err, fs.ErrNotExist):
		return "", nil, nil
	default:
		return "", nil, fmt.Errorf("theme %q: %w", name, err)
	}
}

// unknown is the error for a theme found nowhere; it lists the built-in
// themes and those in userDir.
func unknown(name, userDir string) error {
	names := Builtin()
	if userDir != "" {
		if entries, err := os.ReadDir(userDir); err == nil {
			for _, e := range entries {
				if n, ok := strings.CutSuffix(e.Name(), ".toml"); ok && n != "" && !e.IsDir() && !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
		slices.Sort(names)
		return nameError(fmt.Sprintf("unknown theme %q (available: %s; user themes are read from %s)",
			name, strings.Join(names, ", "), userDir))
	}
	return nameError(fmt.Sprintf("unknown theme %q (available: %s)", name, strings.Join(names, ", ")))
}

// ErrBadName is matched (errors.Is) by Load's errors about the name itself:
// none given, a path, or a theme found nowhere. Errors inside a theme file
// name the file and line instead.
var ErrBadName = errors.New("bad theme name")

type nameError string

func (e nameError) Error() string        { return string(e) }
func (e nameError) Is(target error) bool { return target == ErrBadName }

// darkColors returns the colours of the built-in fallback theme.
var darkColors = sync.OnceValue(func() Colors {
	data, err := builtin.ReadFile(fallback + ".toml")
	if err != nil {
		panic("themes: built-in " + fallback + " theme missing: " + err.Error())
	}
	t, err := Parse(fallback+".toml", data)
	if err != nil {
		panic("themes: built-in " + fallback + " theme broken: " + err.Error())
	}
	return t.Colors
})

// Parse decodes the theme file text data; file names it in errors. Every
// colour given is checked, unknown keys are errors, and colours left out
// stay "". Name is the file's name key, else the stem of file.
func Parse(file string, data []byte) (Theme, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var root map[string]any
	if _, err := toml.Decode(string(data), &root); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Theme{}, fmt.Errorf("%s:%d: %s", file, pe.Position.Line, pe.Message)
		}
		return Theme{}, fmt.Errorf("%s: %w", file, err)
	}
	p := &parser{file: file, lines: tomlkeys.Index(string(data))}
	var t Theme
	for _, k := range slices.Sorted(maps.Keys(root)) {
		v := root[k]
		switch k {
		case "name":
			p.str(k, v, &t.Name)
		case "description":
			p.str(k, v, &t.Description)
		case "colors":
			m, ok := v.(map[string]any)
			if !ok {
				p.fail(k, "want a table ([colors]), got %s", tomlkeys.TypeName(v))
				continue
			}
			p.colors(m, &t.Colors)
		default:
			p.fail(k, "%s", tomlkeys.UnknownKey(k, []string{"name", "description", "colors"}, "want name, description or [colors]"))
		}
	}
	if p.err != nil {
		return Theme{}, p.err
	}
	if strings.TrimSpace(t.Name) == "" {
		t.Name = strings.TrimSuffix(path.Base(filepath.ToSlash(file)), ".toml")
	}
	return t, nil
}

// parser keeps the first error, in file order, of a theme file.
type parser struct {
	file    string
	lines   tomlkeys.Lines
	err     error
	errLine int
}

// fail records an error at key unless an earlier one is already known.
func (p *parser) fail(key, format string, args ...any) {
	line := p.lines.Line(key)
	if p.err != nil && (line == 0 || (p.errLine > 0 && p.errLine <= line)) {
		return
	}
	loc := p.file
	if line > 0 {
		loc = fmt.Sprintf("%s:%d", p.file, line)
	}
	p.err = fmt.Errorf("%s: %s: %s", loc, key, fmt.Sprintf(format, args...))
	p.errLine = line
}

// str decodes a string value.
func (p *parser) str(key string, v any, dst *string) {
	s, ok := v.(string)
	if !ok {
		p.fail(key, "want a string, got %s", tomlkeys.TypeName(v))
		return
	}
	*dst = s
}

// colors decodes and checks the [colors] table.
func (p *parser) colors(m map[string]any, dst *Colors) {
	names := make([]string, len(colorKeys))
	for i, k := range colorKeys {
		names[i] = k.key
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		key := "colors." + k
		i := slices.Index(names, k)
		if i < 0 {
			p.fail(key, "%s", tomlkeys.UnknownKey(k, names, "want one of "+strings.Join(names, ", ")))
			continue
		}
		s, ok := m[k].(string)
		switch {
		case !ok:
			p.fail(key, `want a colour string such as "4" or "#1e90ff", got %s`, tomlkeys.TypeName(m[k]))
		case !ValidColor(s):
			p.fail(key, `%q is not a colour (want an ANSI index "0".."255", "#rrggbb", "#rgb" or "default")`, s)
		default:
			*colorKeys[i].field(dst) = s
		}
	}
}

// ColorNames are the colours of a theme that other settings (the console's
// banner) may name instead of giving a colour.
var ColorNames = []string{"text", "muted", "accent", "ok", "warn", "bad"}

// Named returns the colour that name (one of ColorNames, any case) has in
// c, and whether name is one.
func (c Colors) Named(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "text":
		return c.Text, true
	case "muted":
		return c.Muted, true
	case "accent":
		return c.Accent, true
	case "ok":
		return c.OK, true
	case "warn":
		return c.Warn, true
	case "bad":
		return c.Bad, true
	}
	return "", false
}

// ValidColor reports whether s is a colour a theme may use: an ANSI index
// "0".."255" without leading zeros, "#rrggbb", "#rgb" or "default".
func ValidColor(s string) bool {
	if s == "default" {
		return true
	}
	if hex, ok := strings.CutPrefix(s, "#"); ok {
		if len(hex) != 3 && len(hex) != 6 {
			return false
		}
		for _, c := range []byte(hex) {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
		return true
	}
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= 255
}
