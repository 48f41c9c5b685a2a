package ui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/model"
)

// rateWindow is the window of a GitLab mirror's success rate.
const rateWindow = 24 * time.Hour

func healthTone(h string) tone { return gradeTone(model.HealthGrade(h)) }

// gitlabRows lists every GitLab mirror, worst first.
func (m *Model) gitlabRows() []row {
	ms := m.state.GitLabWorstFirst(m.now)
	rows := make([]row, 0, len(ms))
	for _, g := range ms {
		health := g.Health(m.now)
		h := health
		if _, acked := m.opt.Acks.Active(actions.GitLabAckKey(g.Key()), m.now); acked && h != model.HealthOK {
			h += " (ack)"
		}
		v := &gitlabRow{g: g, health: health, h: h}
		v.rate, _, v.hasRate = g.SuccessRate(m.now, rateWindow)
		v.avg, v.hasAvg = g.AverageDuration()
		r := rowOf(gitlabSubject{instance: g.Instance, mirror: g.Key()}, gitlabCols, v)
		r.alert = m.alertKeys["gitlab/"+g.Key()] // acknowledged ones are not alerts
		if health == model.HealthOK && !r.alert {
			r.okUntil = okForever
		}
		rows = append(rows, r)
	}
	return rows
}

// badTone is bad for a non-zero count of problems, else OK.
func badTone(n int) tone {
	if n > 0 {
		return toneBad
	}
	return toneOK
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// gitlabOverviewRows are the GitLab instances' lines in the Farms pane.
func (m *Model) gitlabOverviewRows() []row {
	var rows []row
	for _, g := range m.state.GitLab {
		worst, ok, push, pull, bad := model.HealthOK, 0, 0, 0, 0
		var oldest time.Time
		for _, mm := range g.Mirrors {
			h := mm.Health(m.now)
			if model.HealthRank(h) > model.HealthRank(worst) {
				worst = h
			}
			if h == model.HealthOK {
				ok++
			}
			if mm.Direction == model.Push {
				push++
			} else {
				pull++
			}
			if m.alertKeys["gitlab/"+mm.Key()] {
				bad++
				if t := mm.LastSuccessfulUpdateAt; !t.IsZero() && (oldest.IsZero() || t.Before(oldest)) {
					oldest = t
				}
			}
		}
		state := worst
		if len(g.Mirrors) == 0 {
			state = model.HealthUnknown
			if e := g.Endpoints[model.EPGitLabMirrors]; e != nil && !e.Failing() {
				state = "NO MIRRORS"
			}
		}
		if e := g.Endpoints[model.EPGitLabMirrors]; e.Failing() && len(g.Mirrors) == 0 {
			state = model.NodeDown
		}
		r := rowOf(gitlabInstanceSubject{g.Name}, farmCols, &farmRow{m: m, name: g.Name, queueKey: -1,
			gl: &gitlabSummary{state: state, ok: ok, total: len(g.Mirrors), push: push, pull: pull, bad: bad, oldest: oldest}})
		r.alert = bad > 0
		if state == model.HealthOK && bad == 0 {
			r.okUntil = okForever
		}
		rows = append(rows, r)
	}
	return rows
}

// gitlabMirror resolves a subject to the GitLab mirror it names (nil when
// it names none, or one no longer listed).
func (m *Model) gitlabMirror(subj subject) *model.GitLabMirrorState {
	s, ok := subj.(gitlabSubject)
	if !ok {
		return nil
	}
	g := m.state.GitLabInstance(s.instance)
	if g == nil {
		return nil
	}
	return g.Mirror(s.mirror)
}

// gitlabDetail shows one mirror: settings, status, history-based health,
// the error text (sanitized) and the diverged refs; manual adds the repair
// commands (the resolve dialog's "manual" strategy opens it so).
func (m *Model) gitlabDetail(subj gitlabSubject, d *detail) []string {
	manual := subj.manual
	g := m.gitlabMirror(subj)
	if g == nil {
		return nil
	}
	h := g.Health(m.now)
	out := []string{
		kv("Project", model.Sanitize(g.Project)+" on "+g.Instance),
		kv("Mirror", fmt.Sprintf("%s mirror %d to %s", g.Direction, g.ID, model.Sanitize(g.URL))),
		kv("Health", h),
		kv("Status", orDash(model.Sanitize(g.Status))+fmt.Sprintf(", enabled %v", g.Enabled)),
		kv("Last update", ago(m.now, g.LastUpdateAt)+" (started "+ago(m.now, g.LastUpdateStartedAt)+")"),
		kv("Last success", ago(m.now, g.LastSuccessfulUpdateAt)),
	}
	if rate, n, ok := g.SuccessRate(m.now, rateWindow); ok {
		out = append(out, kv("Success rate", fmt.Sprintf("%.0f%% of %d updates seen in the last %s", rate*100, n, FormatDuration(rateWindow))))
	} else {
		out = append(out, kv("Success rate", "no finished update seen yet"))
	}
	if d, ok := g.AverageDuration(); ok {
		out = append(out, kv("Avg update", FormatDuration(d)))
	}
	switch {
	case h == model.HealthStuck:
		out = append(out, kv("Stuck", "in started for "+FormatDuration(m.now.Sub(g.LastUpdateStartedAt))+" (GitLab's limits: 1h, or 3h for a first sync)"))
	case h == model.HealthPaused:
		out = append(out, kv("Paused", "GitLab stopped updating it after repeated failures ("+ago(m.now, g.PausedAt)+"); only \"Update now\" in the project's mirroring settings or the Rails console resumes it"))
	}
	if g.Enabled && h != model.HealthPaused {
		out = append(out, kv("Update now", "allowed "+model.UpdateAllowedText(&g.GitLabMirror, m.now)+"; GitLab: "+updateRule(&g.GitLabMirror)))
	}
	if u := g.Update; u != nil {
		out = append(out, kv("Last request", u.Text+" (asked "+ago(m.now, u.RequestedAt)+")"))
		for _, l := range u.Log {
			out = append(out, "  "+l)
		}
	}
	settings := []string{}
	if g.OnlyProtected {
		settings = append(settings, "protected branches only")
	}
	if g.BranchRegex != "" {
		settings = append(settings, "branches matching "+model.Sanitize(g.BranchRegex))
	}
	if g.Direction == model.Push {
		settings = append(settings, fmt.Sprintf("keep divergent refs %v", g.KeepDivergentRefs))
	} else {
		settings = append(settings, fmt.Sprintf("overwrite diverged branches %v", g.OverwriteDiverged), fmt.Sprintf("trigger pipelines %v", g.TriggerBuilds))
	}
	out = append(out, kv("Settings", strings.Join(settings, ", ")))
	if a, ok := m.opt.Acks.Active(actions.GitLabAckKey(g.Key()), m.now); ok {
		out = append(out, kv("Acknowledged", "until "+a.Until.Local().Format("Jan 2 15:04")+" by "+model.Sanitize(a.By)+": "+model.Sanitize(a.Reason)))
	}
	if refs := model.ParseDivergedRefs(g.LastError); len(refs) > 0 {
		out = append(out, "", fmt.Sprintf("Diverged refs (%d; GitLab lists at most 100)", len(refs)))
		for _, r := range refs {
			out = append(out, "  "+model.Sanitize(r))
		}
	}
	if g.LastError != "" {
		out = append(out, "", "Last error")
		for _, l := range strings.Split(g.LastError, "\n") {
			if l = strings.TrimSpace(model.Sanitize(l)); l != "" {
				out = append(out, wrapWords(strings.Fields(l), " ", max(22, m.width-4), "  ", "  ")...)
			}
		}
	}
	out = append(out, m.historyLines(g.Key(), max(40, m.width-4))...)
	if manual {
		url := strings.TrimRight(m.gitlabBase(g.Instance), "/") + "/" + g.Project + ".git"
		out = append(out, "", "Reconcile by hand")
		out = m.addSteps(d, out, actions.GitLabManualSteps(&g.GitLabMirror, url))
	}
	return out
}

// updateRule says which of GitLab's limits applies to a mirror's manual
// update.
func updateRule(g *model.GitLabMirror) string {
	switch {
	case g.Direction == model.Pull:
		return "5 min after the last update ended"
	case g.OnlyProtected:
		return "1 min after the last update started"
	}
	return "5 min after the last update started"
}

// updateTooEarly refuses an "Update now" GitLab would not run at once.
func updateTooEarly(g *model.GitLabMirror, at, now time.Time) string {
	return fmt.Sprintf("Not sent: GitLab would not update the %s before %s (in %s; it allows one %s), and would still answer success.",
		actions.MirrorLabel(g), at.Local().Format("15:04:05"), FormatDuration(at.Sub(now).Round(time.Second)), updateRule(g))
}

// gitlabVersion is an instance's version (zero when not known).
func (m *Model) gitlabVersion(name string) model.GitLabVersion {
	if g := m.state.GitLabInstance(name); g != nil {
		return g.Version
	}
	return model.GitLabVersion{}
}

func (m *Model) gitlabBase(name string) string {
	if g := m.state.GitLabInstance(name); g != nil {
		return g.URL
	}
	return ""
}

// gitlabAction runs sync or resolve on a GitLab mirror.
func (m *Model) gitlabAction(a Action, g *model.GitLabMirrorState) tea.Cmd {
	switch a {
	case ActSync:
		if at := model.NextUpdateAllowed(&g.GitLabMirror); at.After(m.now) {
			m.setStatus(toneWarn, "%s", updateTooEarly(&g.GitLabMirror, at, m.now))
			return nil
		}
		m.confirm(actions.PlanGitLabSync(&g.GitLabMirror))
	case ActToggleMirror:
		m.confirm(actions.PlanGitLabToggle(&g.GitLabMirror, g.Health(m.now), m.gitlabVersion(g.Instance)))
	case ActDeleteMirror:
		p, err := actions.PlanGitLabDelete(&g.GitLabMirror)
		if err != nil {
			m.setStatus(toneWarn, "%s", err.Error())
			return nil
		}
		m.confirm(p)
	case ActResolve:
		label := actions.MirrorLabel(&g.GitLabMirror)
		var opts []option
		for _, s := range []actions.ResolveStrategy{actions.StrategyOurs, actions.StrategyTheirs, actions.StrategyManual, actions.StrategyAbort} {
			opts = append(opts, option{label: actions.StrategyText(&g.GitLabMirror, s), value: string(s)})
		}
		var lines []string
		if refs := model.ParseDivergedRefs(g.LastError); len(refs) > 0 {
			lines = append(lines, fmt.Sprintf("Diverged: %s", strings.Join(refs, ", ")), "")
		}
		m.choose("Resolve the "+label, lines, opts, func(m *Model, v string) tea.Cmd {
			s := actions.ResolveStrategy(v)
			switch s {
			case actions.StrategyManual:
				m.detail = m.newDetail(gitlabSubject{instance: g.Instance, mirror: g.Key(), manual: true})
				m.mode = modeDetail
				m.detail.rebuild(m)
				return nil
			case actions.StrategyOurs, actions.StrategyTheirs:
				needsAck := (s == actions.StrategyOurs) == (g.Direction == model.Pull)
				if needsAck {
					m.choose("Mute the alert of the "+label+" for how long?", nil, ackDurations, func(m *Model, d string) tea.Cmd {
						m.ask("Why? (recorded with the acknowledgement and in the audit log)", nil, func(m *Model, reason string) tea.Cmd {
							if reason == "" {
								m.setStatus(toneWarn, "an acknowledgement needs a reason: nothing sent, nothing recorded")
								return nil
							}
							p, _ := actions.PlanGitLabResolve(&g.GitLabMirror, s, parseDur(d), reason, m.opt.User, m.opt.Now())
							if len(p.Steps) == 0 {
								return m.run(p)
							}
							m.confirm(p)
							return nil
						})
						return nil
					})
					return nil
				}
			}
			p, err := actions.PlanGitLabResolve(&g.GitLabMirror, s, 0, "", m.opt.User, m.opt.Now())
			if err != nil {
				m.setStatus(toneWarn, "%v", err)
				return nil
			}
			m.confirm(p)
			return nil
		})
	}
	return nil
}

// gitlabInstanceDetail shows one GitLab instance: its projects and errors.
func (m *Model) gitlabInstanceDetail(name string) []string {
	g := m.state.GitLabInstance(name)
	if g == nil {
		return nil
	}
	out := []string{kv("URL", g.URL), kv("Projects", fmt.Sprintf("%d watched, %d mirrors", len(g.Projects), len(g.Mirrors)))}
	if g.Version.Raw != "" {
		out = append(out, kv("Version", g.Version.Raw))
	}
	out = append(out, mirrorCapacityLines(g)...)
	if len(g.ProjectErrors) > 0 {
		out = append(out, "", "Projects that could not be read")
		for p, e := range g.ProjectErrors {
			out = append(out, "  "+model.Sanitize(p)+": "+model.Sanitize(e))
		}
	}
	return append(out, endpointLines(g.Endpoints, m.now)...)
}

// mirrorCapacityLines are an instance's mirror settings, read-only: the
// knobs that bound how many mirrors update at once.
func mirrorCapacityLines(g *model.GitLabInstance) []string {
	switch {
	case g.MirrorSettings != nil:
		c := g.MirrorSettings
		return []string{
			kv("Mirror capacity", fmt.Sprintf("%d updates at once (mirror_max_capacity)", c.MaxCapacity)),
			kv("", fmt.Sprintf("more start when %d slots are free (mirror_capacity_threshold)", c.CapacityThreshold)),
			kv("", fmt.Sprintf("an update waits at most %d min (mirror_max_delay)", c.MaxDelay)),
		}
	case g.SettingsDenied:
		return []string{kv("Mirror capacity", "instance mirror settings need an admin token")}
	}
	return nil
}
