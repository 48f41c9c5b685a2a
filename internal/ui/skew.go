package ui

import (
	"fmt"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// skewText says how far a node's clock is off the primary's; long adds
// what a skew over the threshold means.
func (m *Model) skewText(n *model.Node, long bool) string {
	d, ok := m.state.ClockSkew(n)
	switch {
	case !ok:
		return "unknown (no Date header from it and the primary yet)"
	case d == 0:
		return "in step with the primary (within 2s)"
	}
	dir, abs := "ahead of", d
	if d < 0 {
		dir, abs = "behind", -d
	}
	s := FormatDuration(abs) + " " + dir + " the primary"
	if th := m.opt.Thresholds.MaxClockSkew; th > 0 && abs > th {
		s += ", over " + FormatDuration(th)
		if long {
			s += ": the mirror cannot authenticate to the primary"
		}
	}
	return s
}

// skewCell is a node's clock skew for a table: +45s, -2m05s, 0s, or -.
func (m *Model) skewCell(n *model.Node) cell {
	d, ok := m.state.ClockSkew(n)
	switch {
	case !ok:
		return cell{text: "-", tone: toneMuted}
	case d == 0:
		return cell{text: "0s", tone: toneMuted}
	}
	sign, abs := "+", d
	if d < 0 {
		sign, abs = "-", -d
	}
	tone := toneWarn
	if th := m.opt.Thresholds.MaxClockSkew; th > 0 && abs > th {
		tone = toneBad
	}
	return cell{text: sign + FormatDuration(abs), tone: tone}
}

// versionText is a node's version, with the primary's when their
// major.minor differ.
func (m *Model) versionText(n *model.Node) string {
	v := orDash(model.Sanitize(n.Version))
	switch m.state.NodeVersionSkew(n) {
	case model.VersionMajor:
		return v + " (the primary runs " + model.Sanitize(m.state.Primary.Version) + ": another major version)"
	case model.VersionMinor:
		return v + " (the primary runs " + model.Sanitize(m.state.Primary.Version) + ")"
	}
	return v
}

// lagText is a farm's lag distribution.
func lagText(ls model.LagStats) string {
	if ls.N == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %s, p95 %s, max %s over %d mismatches", FormatDuration(ls.P50), FormatDuration(ls.P95), FormatDuration(ls.Max), ls.N)
}

// lastSeenText says when the primary last saw the farm.
func (m *Model) lastSeenText(f *model.Farm) string {
	if m.state.Primary.Endpoints[model.EPMirrorServers] == nil {
		return "unknown: the primary's mirror servers not read yet"
	}
	ms, ok := m.state.MirrorServerOf(f)
	switch {
	case !ok:
		return "not among the primary's mirror servers"
	case ms.LastSeen.IsZero():
		return "unknown: no lastSeenDate from the primary"
	}
	s := "by the primary " + ago(m.now, ms.LastSeen) + " (" + ms.LastSeen.Local().Format("2006-01-02 15:04:05") + ")"
	if th := m.opt.Thresholds.MirrorLastSeen; th > 0 && m.now.Sub(ms.LastSeen) > th {
		s += ", over " + FormatDuration(th)
	}
	return s
}

// skewKey sorts nodes by how far their clock is off, unknown first.
func skewKey(s *model.State, n *model.Node) float64 {
	d, ok := s.ClockSkew(n)
	if !ok {
		return -1
	}
	return float64(max(d, -d))
}

// lagCell is one figure of a farm's lag distribution; it moves with the
// clock without a rebuild (a lag is now minus a fixed time).
func (m *Model) lagCell(d time.Duration) cell {
	if d <= 0 {
		return cell{text: "-", tone: toneMuted}
	}
	c := cell{since: m.now.Add(-d), tone: toneWarn}
	if th := m.opt.Thresholds.MaxLag; th > 0 {
		c.badAt = c.since.Add(th)
	}
	return c
}
