package ui

import (
	"context"
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/doctor"
)

// CheckProber makes the probes of the setup checks that the polled state
// does not hold (TLS handshakes, the primary's SSH settings, the GitLab
// token); doctor.Prober is one.
type CheckProber interface {
	Probe(ctx context.Context, urls []string, gitlabProjects map[string]string) doctor.Probes
}

// checksKey is the detail key of the checks view.
const checksKey = "checks"

// checksMsg carries the probes made for the checks view.
type checksMsg struct{ probes doctor.Probes }

// openChecks opens the checks view: the checks of `mirrortop doctor`,
// computed from the console's state at once and again, with the probes,
// when those come back. The probes run in the background, on the URLs the
// state lists when the view opens.
func (m *Model) openChecks() tea.Cmd {
	d := m.newDetail(checksSubject{})
	m.detail, m.mode = d, modeDetail
	m.checkProbes, m.probing = nil, false
	var cmd tea.Cmd
	if pr := m.opt.Checks; pr != nil {
		m.probing = true
		urls, projects := doctor.Targets(m.state), doctor.GitLabProjects(m.state)
		cmd = func() tea.Msg {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			return checksMsg{probes: pr.Probe(ctx, urls, projects)}
		}
	}
	d.rebuild(m)
	return cmd
}

// checksDetail lists the checks, one line each, with what to do under a
// problem, and sets the lines' tones.
func (m *Model) checksDetail(d *detail) []string {
	in := doctor.Input{State: m.state, Settings: m.opt.CheckSettings, Now: m.now}
	if m.checkProbes != nil {
		in.Probes = *m.checkProbes
	}
	rep := doctor.Checks(in)
	n := rep.Counts()
	head := fmt.Sprintf("%d OK, %d WARN, %d FAIL, %d UNKNOWN", n[doctor.OK], n[doctor.Warn], n[doctor.Fail], n[doctor.Unknown])
	switch {
	case m.probing:
		head += " · probing TLS, SSH and tokens…"
	case m.checkProbes == nil:
		head += " · from the polled state only"
	}
	lines := []string{head, ""}
	d.tones = []tone{toneMuted, toneNormal}
	tw := 8
	for _, c := range rep.Checks {
		tw = max(tw, min(len(c.Target), 20))
	}
	// Problems first, the worst at the top: at 3 a.m. the FAIL lines
	// must not hide below a screenful of OK ones.
	checks := slices.Clone(rep.Checks)
	slices.SortStableFunc(checks, func(a, b doctor.Check) int { return b.Status.Severity() - a.Status.Severity() })
	for _, c := range checks {
		lines = append(lines, fmt.Sprintf("%-7s  %-*s  %-15s  %s", c.Status, tw, c.Target, c.Check, c.Message))
		d.tones = append(d.tones, checkTone(c.Status))
		if c.Fix != "" && c.Status != doctor.OK {
			lines = append(lines, fmt.Sprintf("%*s→ %s", 7+2+tw+2+15+2, "", c.Fix))
			d.tones = append(d.tones, toneMuted)
		}
	}
	return lines
}

func checkTone(s doctor.Status) tone {
	switch s {
	case doctor.OK:
		return toneOK
	case doctor.Warn:
		return toneWarn
	case doctor.Fail:
		return toneBad
	}
	return toneMuted
}
