package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GitLab's limits on a manual update ("Update now").
const (
	// PullMirrorInterval is the pull mirror interval (GitLab's default
	// pull_mirror_interval_seconds): a pull mirror's update requested
	// less than this after its last update ended does not run then, it
	// is moved to last update + interval.
	PullMirrorInterval = 5 * time.Minute
	// PushBackoffProtected and PushBackoff delay a push mirror's update
	// requested less than this after the last one started (with
	// only_protected_branches, and without).
	PushBackoffProtected = time.Minute
	PushBackoff          = 5 * time.Minute
	// UpdateFollowFor is how long after the time GitLab should start a
	// requested update mirrortop waits to see it before saying none was
	// seen.
	UpdateFollowFor = 10 * time.Minute
)

// NextUpdateAllowed is when GitLab next runs a requested update of the
// mirror at once; zero when it would now. A pull mirror that succeeded
// before waits PullMirrorInterval after its last update ended
// (StartPullMirroringService); a push mirror waits its back-off after its
// last update started: 1 minute with only_protected_branches, else 5
// (RemoteMirror#sync).
func NextUpdateAllowed(m *GitLabMirror) time.Time {
	if m.Direction == Pull {
		if m.LastSuccessfulUpdateAt.IsZero() || m.LastUpdateAt.IsZero() {
			return time.Time{}
		}
		return m.LastUpdateAt.Add(PullMirrorInterval)
	}
	if m.LastUpdateStartedAt.IsZero() {
		return time.Time{}
	}
	d := PushBackoff
	if m.OnlyProtected {
		d = PushBackoffProtected
	}
	return m.LastUpdateStartedAt.Add(d)
}

// UpdateAllowedText says when a mirror's manual update is allowed, for the
// detail: "now", or "15:04:05 (in 3m)".
func UpdateAllowedText(m *GitLabMirror, now time.Time) string {
	at := NextUpdateAllowed(m)
	if !at.After(now) {
		return "now"
	}
	return at.Local().Format("15:04:05") + " (in " + shortDur(at.Sub(now)) + ")"
}

func shortDur(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int((d+time.Second-1)/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + "m"
	}
	return d.Round(time.Minute).String()
}

// Phases of a requested update as the readings show it.
const (
	UpdateRequested = "requested"
	UpdateScheduled = "scheduled"
	UpdateStarted   = "started"
	UpdateFinished  = "finished"
	UpdateFailed    = "failed"
	UpdateUnseen    = "unseen"
)

// UpdateFollow is a manual update mirrortop asked GitLab for, followed
// through the mirror's next readings: GitLab answers such a request with
// success whether or not it starts anything, so only the readings tell.
type UpdateFollow struct {
	RequestedAt time.Time
	// Phase is the latest phase seen; Text says it for people ("started",
	// "failed: …", "scheduled (next at 15:04)"); Done when it ended
	// (finished, failed, or nothing seen in time).
	Phase string
	Text  string
	Done  bool
	// Log lists each phase seen, at the reading that showed it.
	Log []string
	// The mirror's readings when the update was asked for.
	baseStarted, baseUpdated time.Time
	due                      time.Time
}

// FollowUpdate starts following a manual update requested at at for the
// mirror with key (GitLab accepted the request).
func (s *State) FollowUpdate(key string, at time.Time) {
	for _, g := range s.GitLab {
		if m := g.Mirror(key); m != nil {
			due := later(NextUpdateAllowed(&m.GitLabMirror), at)
			m.Update = &UpdateFollow{RequestedAt: at, Phase: UpdateRequested, Text: "requested",
				baseStarted: m.LastUpdateStartedAt, baseUpdated: m.LastUpdateAt, due: due}
			m.Update.Log = append(m.Update.Log, at.Local().Format("15:04:05")+" requested")
			m.follow(at)
		}
	}
}

// follow moves the followed update on from the mirror's current reading.
func (s *GitLabMirrorState) follow(at time.Time) {
	u := s.Update
	if u == nil || u.Done {
		return
	}
	phase, text := u.Phase, u.Text
	status := strings.ToLower(s.Status)
	switch {
	case s.LastUpdateAt.After(u.baseUpdated) && status != "started" && status != "to_retry":
		ok := !s.LastSuccessfulUpdateAt.IsZero() && !s.LastSuccessfulUpdateAt.Before(s.LastUpdateAt)
		if ok {
			phase, text = UpdateFinished, "finished"
		} else {
			phase, text = UpdateFailed, "failed: "+Sanitize(firstLineOf(s.LastError))
		}
		u.Done = true
	case status == "started" && s.LastUpdateStartedAt.After(u.baseStarted):
		phase, text = UpdateStarted, "started"
	case status == "to_retry" && s.LastUpdateStartedAt.After(u.baseStarted):
		phase, text = UpdateFailed, "failed: "+Sanitize(firstLineOf(s.LastError))+" (GitLab retries it)"
		u.Done = true
	case phase == UpdateStarted:
		// still running
	case at.After(u.due.Add(UpdateFollowFor)):
		phase, text = UpdateUnseen, fmt.Sprintf("no update seen within %d min", int((u.due.Sub(u.RequestedAt)+UpdateFollowFor)/time.Minute))
		u.Done = true
	case status == "scheduled" || u.due.After(u.RequestedAt.Add(time.Second)) || NextUpdateAllowed(&s.GitLabMirror).After(at):
		next := later(u.due, NextUpdateAllowed(&s.GitLabMirror))
		phase, text = UpdateScheduled, "scheduled (next at "+next.Local().Format("15:04")+")"
	}
	if text != u.Text {
		u.Phase, u.Text = phase, text
		u.Log = append(u.Log, at.Local().Format("15:04:05")+" "+text)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func firstLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " …"
	}
	if s == "" {
		return "no error text"
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// GitLabVersion is a GitLab instance's version as /version reports it.
type GitLabVersion struct {
	// Raw is the version string, sanitized ("16.11.2-ee").
	Raw          string
	Major, Minor int
}

// ParseGitLabVersion reads "major.minor[.patch][-suffix]"; ok is false for
// anything else.
func ParseGitLabVersion(v string) (GitLabVersion, bool) {
	out := GitLabVersion{Raw: Sanitize(strings.TrimSpace(v))}
	core := out.Raw
	if i := strings.IndexAny(core, "-+ "); i >= 0 {
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) < 2 {
		return out, false
	}
	var err1, err2 error
	out.Major, err1 = strconv.Atoi(parts[0])
	out.Minor, err2 = strconv.Atoi(parts[1])
	return out, err1 == nil && err2 == nil && out.Major >= 0 && out.Minor >= 0
}

// AtLeast reports whether the version is major.minor or later.
func (v GitLabVersion) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

// GitLabMirrorSettings are an instance's mirror settings (GET
// /application/settings, administrators only): they bound how many
// mirrors update at once.
type GitLabMirrorSettings struct {
	// MaxDelay is the longest a mirror update waits past its schedule,
	// in minutes (mirror_max_delay).
	MaxDelay int
	// MaxCapacity is how many mirrors update at once (mirror_max_capacity).
	MaxCapacity int
	// CapacityThreshold is how many free slots make the scheduler start
	// more updates (mirror_capacity_threshold).
	CapacityThreshold int
}

// GitLabSettingsDenied is the reading of an instance's settings when the
// token is not an administrator's (GitLab answers 403).
type GitLabSettingsDenied struct{}
