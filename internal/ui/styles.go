package ui

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/mirrortop/mirrortop/themes"
)

// tone grades a cell or row for colouring.
type tone uint8

const (
	toneNormal tone = iota
	toneMuted
	toneOK
	toneWarn
	toneBad
	toneAccent
)

// glyph is a state's symbol, drawn before the state so that it reads
// without colour (colour-blind users, NO_COLOR).
type glyph uint8

const (
	glyphNone glyph = iota
	glyphOK
	glyphWarn
	glyphBad
	glyphUnknown
	glyphSyncing
	glyphCount
)

// unicodeGlyphs and asciiGlyphs are the symbols of each glyph; ASCII is
// for terminals without Unicode.
var (
	unicodeGlyphs = [glyphCount]string{"", "✓", "!", "✗", "?", "…"}
	asciiGlyphs   = [glyphCount]string{"", "+", "!", "x", "?", "~"}
)

// stateGlyph is the glyph of a state shown with tone t: a state still
// syncing gets its own, the others follow the tone.
func stateGlyph(state string, t tone) glyph {
	switch t {
	case toneOK:
		return glyphOK
	case toneBad:
		return glyphBad
	case toneMuted:
		return glyphUnknown
	case toneWarn:
		if u := strings.ToUpper(state); strings.Contains(u, "SYNCING") || u == "METADATA_SYNCHRONIZED" {
			return glyphSyncing
		}
		return glyphWarn
	}
	return glyphNone
}

// styles are computed once from the theme (or for monochrome) and reused
// for every frame.
type styles struct {
	tones    [6]lipgloss.Style
	bold     lipgloss.Style
	selected lipgloss.Style
	header   lipgloss.Style
	tabOn    lipgloss.Style
	tabOff   lipgloss.Style
	title    lipgloss.Style
	colHead  lipgloss.Style
	alertRow lipgloss.Style
	badge    lipgloss.Style
	// cursor marks the character under a text field's cursor.
	cursor lipgloss.Style
	banner lipgloss.Style
	glyphs [glyphCount]string
}

func themeColor(s string) color.Color {
	if s == "" || s == "default" {
		return lipgloss.NoColor{}
	}
	return lipgloss.Color(s)
}

// newStyles builds the styles. In monochrome the console uses bold, faint
// and reverse video only, so the selection and alerts stay visible.
// (Underline is avoided: Lip Gloss draws it one character at a time, which
// multiplies the bytes sent to the terminal.)
func newStyles(t themes.Theme, mono, ascii bool) styles {
	var s styles
	s.glyphs = unicodeGlyphs
	if ascii {
		s.glyphs = asciiGlyphs
	}
	base := lipgloss.NewStyle()
	s.cursor = base.Reverse(true)
	if mono {
		s.tones = [6]lipgloss.Style{base, base.Faint(true), base, base.Bold(true), base.Bold(true), base}
		s.bold = base.Bold(true)
		s.selected = base.Reverse(true)
		s.header = base.Reverse(true)
		s.tabOn = base.Reverse(true).Bold(true)
		s.tabOff = base
		s.title = base.Bold(true)
		s.colHead = base.Bold(true)
		s.alertRow = base.Bold(true)
		s.badge = base.Reverse(true).Bold(true)
		return s
	}
	c := t.Colors
	fg := func(col string) lipgloss.Style { return base.Foreground(themeColor(col)) }
	s.tones = [6]lipgloss.Style{fg(c.Text), fg(c.Muted), fg(c.OK), fg(c.Warn), fg(c.Bad).Bold(true), fg(c.Accent)}
	s.bold = fg(c.Text).Bold(true)
	s.selected = base.Foreground(themeColor(c.SelectedFG)).Background(themeColor(c.SelectedBG))
	s.header = base.Foreground(themeColor(c.HeaderFG)).Background(themeColor(c.HeaderBG))
	s.tabOn = base.Foreground(themeColor(c.SelectedFG)).Background(themeColor(c.SelectedBG)).Bold(true)
	s.tabOff = fg(c.Muted)
	s.title = fg(c.Accent).Bold(true)
	s.colHead = fg(c.Muted).Bold(true)
	s.alertRow = fg(c.Bad)
	s.badge = base.Foreground(themeColor(c.AlertFG)).Background(themeColor(c.AlertBG)).Bold(true)
	return s
}

func (s *styles) tone(t tone) lipgloss.Style { return s.tones[t] }

// setBanner makes the banner's style: bold, in col (a theme colour name,
// an ANSI index or #rrggbb; "" is the theme's warn colour), on the
// header's background; in monochrome, bold reverse video.
func (s *styles) setBanner(t themes.Theme, mono bool, col string) {
	if mono {
		s.banner = lipgloss.NewStyle().Reverse(true).Bold(true)
		return
	}
	c := t.Colors
	if col == "" {
		col = "warn"
	}
	if v, ok := c.Named(col); ok {
		col = v
	}
	s.banner = lipgloss.NewStyle().Foreground(themeColor(col)).Background(themeColor(c.HeaderBG)).Bold(true)
}
