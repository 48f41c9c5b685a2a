package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MinClockSkew is the smallest clock skew reported. A server's clock is
// read from the Date header of its answers, which has a resolution of one
// second, and a skew is the difference of two such readings (a node's and
// the primary's) each also off by up to half a round trip: a difference
// under two seconds is within that error and reported as none.
const MinClockSkew = 2 * time.Second

// ClockSkew is how far the node's clock is ahead of the primary's (behind
// when negative), from the Date headers of their latest answers, so that
// mirrortop's own clock drops out. ok is false until both have answered;
// a skew under MinClockSkew either way is 0.
func (s *State) ClockSkew(n *Node) (skew time.Duration, ok bool) {
	if n == nil || !n.HasClockOffset || !s.Primary.HasClockOffset {
		return 0, false
	}
	d := n.ClockOffset - s.Primary.ClockOffset
	if d > -MinClockSkew && d < MinClockSkew {
		return 0, true
	}
	return d.Round(time.Second), true
}

// noteClock records the clock offset seen on a target.
func (s *State) noteClock(t TargetID, offset time.Duration) {
	switch {
	case t.GitLab != "":
	case t.IsPrimary():
		s.Primary.ClockOffset, s.Primary.HasClockOffset = offset, true
	case t.Node != "":
		if f := s.Farm(t.Farm); f != nil {
			if n := f.Node(t.Node); n != nil {
				n.ClockOffset, n.HasClockOffset = offset, true
			}
		}
	}
}

// VersionSkew says how a mirror's version differs from the primary's.
type VersionSkew int

// Version skews, from none to the most serious.
const (
	// VersionSame: the same major.minor, or either version unknown.
	VersionSame VersionSkew = iota
	// VersionMinor: the same major version, another minor one.
	VersionMinor
	// VersionMajor: another major version.
	VersionMajor
)

// majorMinor reads the leading major and minor numbers of a version such
// as "9.4.2" or "8.19.1-rc1"; ok is false when there is no major number.
func majorMinor(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(strings.TrimSpace(v), ".", 3)
	num := func(s string) (int, bool) {
		end := 0
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		n, err := strconv.Atoi(s[:end])
		return n, err == nil
	}
	major, ok = num(parts[0])
	if !ok {
		return 0, 0, false
	}
	if len(parts) > 1 {
		minor, _ = num(parts[1])
	}
	return major, minor, true
}

// CompareVersions compares a mirror's version with the primary's by
// major.minor; a version that cannot be read compares as the same.
func CompareVersions(primary, mirror string) VersionSkew {
	pm, pn, ok1 := majorMinor(primary)
	mm, mn, ok2 := majorMinor(mirror)
	switch {
	case !ok1 || !ok2:
		return VersionSame
	case pm != mm:
		return VersionMajor
	case pn != mn:
		return VersionMinor
	}
	return VersionSame
}

// NodeVersionSkew compares the node's version with the primary's.
func (s *State) NodeVersionSkew(n *Node) VersionSkew {
	return CompareVersions(s.Primary.Version, n.Version)
}

// MirrorServerOf finds the farm among the primary's mirror servers: by
// name, else by base URL (the farm's or one of its nodes').
func (s *State) MirrorServerOf(f *Farm) (MirrorServer, bool) {
	norm := func(u string) string { return strings.ToLower(strings.TrimRight(u, "/")) }
	for _, ms := range s.Primary.MirrorServers {
		if ms.Name == f.Name {
			return ms, true
		}
	}
	for _, ms := range s.Primary.MirrorServers {
		u := norm(ms.BaseURL)
		if u == "" {
			continue
		}
		if u == norm(f.URL) {
			return ms, true
		}
		for _, n := range f.Nodes {
			if u == norm(n.URL) {
				return ms, true
			}
		}
	}
	return MirrorServer{}, false
}

// LastSeenByPrimary is when the primary last saw the farm (its mirror
// server's lastSeenDate), zero when unknown.
func (s *State) LastSeenByPrimary(f *Farm) time.Time {
	if ms, ok := s.MirrorServerOf(f); ok {
		return ms.LastSeen
	}
	return time.Time{}
}

// roughAge prints an age for an alert: 45s, 25m, 3h, 2d.
func roughAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// skewAlerts lists nodes whose clock is off the primary's by more than
// t.MaxClockSkew and enabled mirrors the primary has not seen for longer
// than t.MirrorLastSeen. A version skew is no alert: mirrors on an older
// major version than the primary's are a supported setup (the two API
// layouts coexist), so it is shown, not raised.
func (s *State) skewAlerts(t Thresholds, now time.Time) []Alert {
	var out []Alert
	for _, f := range s.Farms {
		for _, n := range f.Nodes {
			d, ok := s.ClockSkew(n)
			if !ok || t.MaxClockSkew <= 0 || (d <= t.MaxClockSkew && d >= -t.MaxClockSkew) {
				continue
			}
			who := f.Name + "/" + n.Name
			dir, abs := "ahead of", d
			if d < 0 {
				dir, abs = "behind", -d
			}
			out = append(out, Alert{Key: "clock/" + who, Kind: AlertClockSkew, Target: who, Severity: SeverityWarning, Farm: f.Name,
				Text: fmt.Sprintf("node %s clock %s %s the primary: a mirror more than %s off cannot authenticate to the primary "+
					"(Atlassian KB: Bitbucket Smart Mirrors are out of sync or will only synchronize with a delay)",
					who, abs.Round(time.Second), dir, t.MaxClockSkew)})
		}
	}
	if t.MirrorLastSeen <= 0 {
		return out
	}
	for _, ms := range s.Primary.MirrorServers {
		if !ms.Enabled || ms.LastSeen.IsZero() {
			continue
		}
		if age := now.Sub(ms.LastSeen); age > t.MirrorLastSeen {
			name := Sanitize(ms.Name)
			if name == "" {
				name = Sanitize(ms.BaseURL)
			}
			farm := ""
			for _, f := range s.Farms {
				if m, ok := s.MirrorServerOf(f); ok && m.ID == ms.ID && m.Name == ms.Name {
					farm = f.Name
					break
				}
			}
			out = append(out, Alert{Key: "lastseen/" + ms.ID + "/" + name, Kind: AlertLastSeen, Target: name, Severity: SeverityWarning, Farm: farm,
				Text: fmt.Sprintf("the primary last saw mirror %s %s ago", name, roughAge(age))})
		}
	}
	return out
}
