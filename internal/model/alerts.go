package model

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Thresholds say when a condition becomes an alert; zero disables one.
type Thresholds struct {
	// MaxLag: a mismatch out of sync for longer. Alerts leaves these out
	// (there can be one per repository, 100 000 of them): Farm.Lagging
	// finds them.
	MaxLag        time.Duration
	MaxQueue      int
	MaxMismatches int
	// CertDays: a TLS certificate expiring within this many days.
	CertDays int
	// MaxLock: a repository sync lock held for longer (a stuck sync).
	MaxLock time.Duration
	// MaxClockSkew: a node whose clock is further than this off the
	// primary's.
	MaxClockSkew time.Duration
	// MirrorLastSeen: a mirror the primary has not seen for longer.
	MirrorLastSeen time.Duration
	// MinSuccessRate: a GitLab mirror whose updates ended in the last
	// SuccessWindow succeeded less often than this share (0 to 1), once
	// at least MinSuccessUpdates of them ended.
	MinSuccessRate float64
}

// SuccessWindow is how far back a GitLab mirror's success rate looks, and
// MinSuccessUpdates how many updates it needs before it is judged.
const (
	SuccessWindow     = 24 * time.Hour
	MinSuccessUpdates = 3
)

// Alert is one condition over a threshold.
type Alert struct {
	// Key identifies the condition across refreshes (for "new alert").
	Key string
	// Kind names the condition (AlertNodeDown, AlertQueue, …); Target is
	// what it is about ("primary", a farm, "farm/node", a GitLab mirror's
	// key); Severity is how bad.
	Kind     AlertKind
	Target   string
	Severity Severity
	Farm     string
	// GitLab is the mirror key of a GitLab mirror's alert.
	GitLab string
	Text   string
}

// ActiveAlert is an alert in force, and since when.
type ActiveAlert struct {
	Alert
	Since time.Time
}

// AlertKind names a condition that raises an alert.
type AlertKind string

// The alert kinds.
const (
	AlertCertExpired  AlertKind = "cert-expired"
	AlertCertExpiring AlertKind = "cert-expiring"
	AlertNodeDown     AlertKind = "node-down"
	AlertNodeLeft     AlertKind = "node-left"
	AlertQueue        AlertKind = "queue-depth"
	AlertStuckLock    AlertKind = "stuck-lock"
	AlertMismatches   AlertKind = "mismatches"
	AlertClockSkew    AlertKind = "clock-skew"
	AlertLastSeen     AlertKind = "mirror-last-seen"
	AlertGitLab       AlertKind = "gitlab-mirror"
	AlertSuccessRate  AlertKind = "gitlab-success-rate"
)

// Severity is how bad an alert is.
type Severity string

// The severities, least bad first.
const (
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Lagging returns the farm's mismatches out of sync for longer than maxLag
// at now (none when maxLag is zero). Mismatches are kept oldest first, so
// these are a prefix of them, found by binary search and not copied: a
// once-a-second check stays cheap at 100 000 mismatches.
func (f *Farm) Lagging(maxLag time.Duration, now time.Time) []Mismatch {
	if maxLag <= 0 {
		return nil
	}
	k := sort.Search(len(f.Mismatches), func(i int) bool { return f.Mismatches[i].Lag(now) <= maxLag })
	return f.Mismatches[:k]
}

// Alerts lists the conditions over their thresholds at now: TLS
// certificates expiring within CertDays, queues deeper than MaxQueue,
// farms with more than MaxMismatches mismatches, sync locks held longer
// than MaxLock, nodes that are down, discovered nodes that left their farm
// within DepartureAlertFor, node clocks off the primary's by
// more than MaxClockSkew, mirrors the primary has not seen for longer
// than MirrorLastSeen, and GitLab mirrors that are paused, stuck,
// diverged or failing.
func (s *State) Alerts(t Thresholds, now time.Time) []Alert {
	var out []Alert
	cert := func(who string, at time.Time) {
		if t.CertDays <= 0 || at.IsZero() {
			return
		}
		left := at.Sub(now)
		switch {
		case left <= 0:
			out = append(out, Alert{Key: "cert/" + who, Kind: AlertCertExpired, Target: who, Severity: SeverityCritical,
				Text: "TLS certificate of " + who + " has expired"})
		case left < time.Duration(t.CertDays)*24*time.Hour:
			out = append(out, Alert{Key: "cert/" + who, Kind: AlertCertExpiring, Target: who, Severity: SeverityWarning,
				Text: fmt.Sprintf("TLS certificate of %s expires in %d days", who, int(left.Hours()/24))})
		}
	}
	cert("primary", s.Primary.CertExpiry)
	for _, f := range s.Farms {
		cert(f.Name, f.CertExpiry)
		for _, n := range f.Nodes {
			if n.URL != f.URL {
				cert(f.Name+"/"+n.Name, n.CertExpiry)
			}
		}
	}
	for _, f := range s.Farms {
		for _, n := range f.Nodes {
			if n.State() == NodeDown {
				out = append(out, Alert{Key: "down/" + f.Name + "/" + n.Name, Kind: AlertNodeDown, Target: f.Name + "/" + n.Name,
					Severity: SeverityCritical, Farm: f.Name,
					Text: fmt.Sprintf("node %s/%s is down", f.Name, n.Name)})
			}
		}
		for _, d := range f.Departed {
			if now.Sub(d.At) < DepartureAlertFor {
				out = append(out, Alert{Key: "left/" + f.Name + "/" + d.Name, Kind: AlertNodeLeft, Target: f.Name + "/" + d.Name,
					Severity: SeverityWarning, Farm: f.Name,
					Text: fmt.Sprintf("node %s/%s left the farm %s ago (no longer in /farmNodes)", f.Name, d.Name, ShortDuration(now.Sub(d.At)))})
			}
		}
		if t.MaxQueue > 0 && f.HasQueueDepth && f.QueueDepth > t.MaxQueue {
			out = append(out, Alert{Key: "queue/" + f.Name, Kind: AlertQueue, Target: f.Name, Severity: SeverityWarning, Farm: f.Name,
				Text: fmt.Sprintf("farm %s queue depth %d > %d", f.Name, f.QueueDepth, t.MaxQueue)})
		}
		if t.MaxLock > 0 {
			for _, l := range f.Locks {
				if l.AcquiredAt.IsZero() || now.Sub(l.AcquiredAt) <= t.MaxLock {
					continue
				}
				text := fmt.Sprintf("farm %s: lock on repository %s held %s > %s", f.Name, Sanitize(l.ExternalRepoID),
					ShortDuration(now.Sub(l.AcquiredAt)), ShortDuration(t.MaxLock))
				if th := Sanitize(l.ThreadName); th != "" {
					text += " by " + th
				}
				if n := f.NodeName(l.NodeID); n != "" {
					text += " on node " + n
				}
				out = append(out, Alert{Key: "lock/" + f.Name + "/" + l.ExternalRepoID, Kind: AlertStuckLock, Target: f.Name,
					Severity: SeverityWarning, Farm: f.Name, Text: text})
			}
		}
		if t.MaxMismatches > 0 && len(f.Mismatches) > t.MaxMismatches {
			out = append(out, Alert{Key: "mismatches/" + f.Name, Kind: AlertMismatches, Target: f.Name, Severity: SeverityWarning, Farm: f.Name,
				Text: fmt.Sprintf("farm %s has %d mismatches > %d", f.Name, len(f.Mismatches), t.MaxMismatches)})
		}
	}
	out = append(out, s.skewAlerts(t, now)...)
	for _, g := range s.GitLab {
		for _, m := range g.Mirrors {
			if rate, n, ok := m.SuccessRate(now, SuccessWindow); t.MinSuccessRate > 0 && ok && n >= MinSuccessUpdates && rate < t.MinSuccessRate {
				out = append(out, Alert{Key: "gitlab-rate/" + m.Key(), Kind: AlertSuccessRate, Target: m.Key(), Severity: SeverityWarning, GitLab: m.Key(),
					Text: fmt.Sprintf("%s %s mirror of %s: %.0f %% of its %d updates in 24 h succeeded (< %.0f %%)", g.Name, m.Direction, m.Project,
						rate*100, n, t.MinSuccessRate*100)})
			}
			switch h := m.Health(now); h {
			case HealthPaused, HealthStuck, HealthDiverged, HealthFailing:
				out = append(out, Alert{Key: "gitlab/" + m.Key(), Kind: AlertGitLab, Target: m.Key(), Severity: SeverityWarning, GitLab: m.Key(),
					Text: fmt.Sprintf("%s %s mirror of %s is %s", g.Name, m.Direction, m.Project, strings.ToLower(h))})
			}
		}
	}
	return out
}
