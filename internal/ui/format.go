package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// FormatDuration prints a duration compactly for tables: 45s, 12m05s,
// 3h05m, 2d04h; "<1s" under a second and "-" for zero or less.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Second:
		return "<1s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// ago formats how long before now t was; "never" for the zero time.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if d := now.Sub(t); d >= time.Second {
		return FormatDuration(d) + " ago"
	}
	return "now"
}

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the last width samples, scaled to their maximum.
func sparkline(samples []model.Sample, width int) string {
	if width <= 0 || len(samples) == 0 {
		return ""
	}
	if len(samples) > width {
		samples = samples[len(samples)-width:]
	}
	peak := 0
	for _, s := range samples {
		peak = max(peak, s.Value)
	}
	var b strings.Builder
	for _, s := range samples {
		i := 0
		if peak > 0 {
			i = s.Value * (len(sparkRunes) - 1) / peak
		}
		b.WriteRune(sparkRunes[i])
	}
	return b.String()
}

// bar draws a progress bar of width cells for done out of total.
func bar(done, total, width int) string {
	if width <= 0 {
		return ""
	}
	fill := 0
	if total > 0 {
		fill = min(width, done*width/total)
	}
	return strings.Repeat("█", fill) + strings.Repeat("░", width-fill)
}

// shortHash shortens a hash for display; unknown hashes show as "unknown".
func shortHash(h string) string {
	if model.HashUnknown(h) {
		return "unknown"
	}
	return cutRunes(model.Sanitize(h), 12)
}

// cutRunes keeps the first n characters of s.
func cutRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
