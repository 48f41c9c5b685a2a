package model

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Direction says which way a GitLab mirror copies.
type Direction string

// Push mirrors copy this project to a remote; pull mirrors copy a remote
// (the upstream) into this project.
const (
	Push Direction = "push"
	Pull Direction = "pull"
)

// GitLabMirror is one push or pull mirror of a GitLab project, as the API
// reports it. Timestamps are zero when GitLab sent null.
type GitLabMirror struct {
	Instance  string
	Project   string
	Direction Direction
	ID        int64
	// URL has any credentials masked.
	URL                    string
	Enabled                bool
	Status                 string
	LastUpdateAt           time.Time
	LastUpdateStartedAt    time.Time
	LastSuccessfulUpdateAt time.Time
	LastError              string
	OnlyProtected          bool
	BranchRegex            string
	// KeepDivergentRefs (push): diverged refs on the remote are skipped and
	// the update fails, instead of being overwritten.
	KeepDivergentRefs bool
	// OverwriteDiverged (pull): diverged local branches are overwritten by
	// the upstream's.
	OverwriteDiverged bool
	TriggerBuilds     bool
	AuthMethod        string
}

// Key identifies a mirror across readings.
func (m *GitLabMirror) Key() string {
	return m.Instance + "/" + m.Project + "/" + string(m.Direction) + "/" + strconv.FormatInt(m.ID, 10)
}

// MaskURL hides the credentials in a mirror URL as GitLab does
// ("https://*****:*****@host/…"), keeping the user name git of SSH URLs.
func MaskURL(s string) string {
	out, stripped := stripUserInfo(s)
	if !stripped {
		return out
	}
	if i := strings.Index(out, "://"); i >= 0 {
		return out[:i+3] + "*****:*****@" + out[i+3:]
	}
	return out
}

// StripUserInfo removes a URL's user info (masked or not), keeping the
// user name git of SSH URLs; a URL that does not parse but has an "@" is
// hidden whole.
func StripUserInfo(s string) string {
	out, _ := stripUserInfo(s)
	return out
}

// stripUserInfo is StripUserInfo, also reporting whether user info was
// removed from a URL that parsed.
func stripUserInfo(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil {
		if strings.Contains(s, "@") {
			return "(URL hidden: it may hold credentials)", false
		}
		return s, false
	}
	if u.User == nil {
		return s, false
	}
	if _, hasPw := u.User.Password(); u.User.Username() == "git" && !hasPw {
		return s, false
	}
	u.User = nil
	return u.String(), true
}

// divergedPrefix starts GitLab's push-mirror error for skipped refs.
const divergedPrefix = "Some refs have diverged and have not been updated on the remote:"

// ParseDivergedRefs lists the refs a mirror's last error reports as
// diverged: the push-mirror list ("Some refs have diverged …" followed by
// one ref per line; GitLab sends at most the first 100) or the pull
// mirror's default branch message. Names git could not have (control
// characters, spaces and the like) are left out, so the list is safe to
// show and to put in a command.
func ParseDivergedRefs(lastError string) []string {
	var out []string
	if i := strings.Index(lastError, divergedPrefix); i >= 0 {
		for _, line := range strings.Split(lastError[i+len(divergedPrefix):], "\n") {
			line = strings.TrimSpace(line)
			if strings.HasPrefix(line, "refs/") && plausibleRef(line) {
				out = append(out, line)
			}
		}
		return out
	}
	const pullPrefix = "The default branch ("
	if i := strings.Index(lastError, pullPrefix); i >= 0 && strings.Contains(lastError, "has diverged") {
		rest := lastError[i+len(pullPrefix):]
		if j := strings.Index(rest, ")"); j > 0 && plausibleRef(rest[:j]) {
			return []string{"refs/heads/" + rest[:j]}
		}
	}
	return nil
}

// plausibleRef reports whether s could be a git ref name: valid UTF-8
// without control characters, spaces or the characters git forbids.
func plausibleRef(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("~^:?*[\\", r) || r == unicode.ReplacementChar
	})
}

// GitLab's own stuck thresholds for a mirror left in "started".
const (
	StuckAfter      = time.Hour
	StuckFirstAfter = 3 * time.Hour
)

// Mirror health labels, worst first in HealthRank.
const (
	HealthPaused   = "PAUSED"
	HealthStuck    = "STUCK"
	HealthDiverged = "DIVERGED"
	HealthFailing  = "FAILING"
	HealthRetrying = "RETRYING"
	HealthNever    = "NEVER SYNCED"
	HealthSyncing  = "SYNCING"
	HealthDisabled = "DISABLED"
	HealthOK       = "OK"
	HealthUnknown  = "UNKNOWN"
)

// HealthRank orders health labels from worst (highest) to best.
func HealthRank(h string) int {
	switch h {
	case HealthPaused:
		return 9
	case HealthStuck:
		return 8
	case HealthDiverged:
		return 7
	case HealthFailing:
		return 6
	case HealthRetrying:
		return 5
	case HealthNever:
		return 4
	case HealthUnknown:
		return 3
	case HealthSyncing:
		return 2
	case HealthDisabled:
		return 1
	}
	return 0
}

// attempt is one finished update observed, keyed by when it ended.
type attempt struct {
	at       time.Time
	ok       bool
	duration time.Duration
}

// GitLabMirrorState is a mirror with what mirrortop observed of it over time.
type GitLabMirrorState struct {
	GitLabMirror
	// FirstSeen is when mirrortop first read this mirror; LastRead when it
	// last did.
	FirstSeen time.Time
	LastRead  time.Time
	// Paused is set when GitLab refused an update because the mirror is on
	// pause (only a sync attempt reveals it); a later success clears it.
	Paused   bool
	PausedAt time.Time
	// Update is the manual update last requested through mirrortop, as
	// the readings since show it (nil: none).
	Update   *UpdateFollow
	attempts []attempt
	key      string
}

// maxAttempts bounds the observed history of one mirror.
const maxAttempts = 200

// observe records a reading of the mirror: a new finished update (a new
// last_update_at) is an attempt, successful when it is also the last
// successful update.
func (s *GitLabMirrorState) observe(m GitLabMirror, at time.Time) {
	if s.FirstSeen.IsZero() {
		s.FirstSeen = at
	}
	s.LastRead = at
	if !m.LastUpdateAt.IsZero() && (len(s.attempts) == 0 || !s.attempts[len(s.attempts)-1].at.Equal(m.LastUpdateAt)) {
		a := attempt{at: m.LastUpdateAt, ok: !m.LastSuccessfulUpdateAt.IsZero() && !m.LastSuccessfulUpdateAt.Before(m.LastUpdateAt)}
		if !m.LastUpdateStartedAt.IsZero() && !m.LastUpdateStartedAt.After(m.LastUpdateAt) {
			a.duration = m.LastUpdateAt.Sub(m.LastUpdateStartedAt)
		}
		s.attempts = append(s.attempts, a)
		if len(s.attempts) > maxAttempts {
			s.attempts = s.attempts[len(s.attempts)-maxAttempts:]
		}
		if a.ok {
			s.Paused = false
		}
	}
	s.GitLabMirror = m
	s.follow(at)
}

// SuccessRate is the share of observed updates that succeeded among those
// that ended within window before now; ok is false when none did.
func (s *GitLabMirrorState) SuccessRate(now time.Time, window time.Duration) (rate float64, n int, ok bool) {
	good := 0
	for _, a := range s.attempts {
		if now.Sub(a.at) <= window {
			n++
			if a.ok {
				good++
			}
		}
	}
	if n == 0 {
		return 0, 0, false
	}
	return float64(good) / float64(n), n, true
}

// AverageDuration is the mean duration of the observed successful updates.
func (s *GitLabMirrorState) AverageDuration() (time.Duration, bool) {
	var sum time.Duration
	n := 0
	for _, a := range s.attempts {
		if a.ok && a.duration > 0 {
			sum += a.duration
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / time.Duration(n), true
}

// SinceSuccess is how long ago the last successful update was; ok is false
// when it never succeeded.
func (s *GitLabMirrorState) SinceSuccess(now time.Time) (time.Duration, bool) {
	if s.LastSuccessfulUpdateAt.IsZero() {
		return 0, false
	}
	return now.Sub(s.LastSuccessfulUpdateAt), true
}

// Stuck reports whether the mirror has been in "started" longer than
// GitLab's own thresholds: 1 hour, or 3 hours for a first sync.
func (s *GitLabMirrorState) Stuck(now time.Time) bool {
	if !strings.EqualFold(s.Status, "started") || s.LastUpdateStartedAt.IsZero() {
		return false
	}
	limit := StuckAfter
	if s.LastUpdateAt.IsZero() {
		limit = StuckFirstAfter
	}
	return now.Sub(s.LastUpdateStartedAt) > limit
}

// Health labels the mirror's condition at now.
func (s *GitLabMirrorState) Health(now time.Time) string {
	status := strings.ToLower(s.Status)
	switch {
	case s.Paused:
		return HealthPaused
	case !s.Enabled:
		return HealthDisabled
	case s.Stuck(now):
		return HealthStuck
	case status == "failed" && len(ParseDivergedRefs(s.LastError)) > 0:
		return HealthDiverged
	case status == "failed":
		return HealthFailing
	case status == "to_retry":
		return HealthRetrying
	case status == "started" || status == "scheduled":
		return HealthSyncing
	case status == "finished" && s.LastSuccessfulUpdateAt.IsZero():
		return HealthNever
	case status == "none" || status == "":
		return HealthNever
	case status == "finished":
		return HealthOK
	}
	return HealthUnknown
}

// GitLabInstance is what is known of one GitLab server's mirrors.
type GitLabInstance struct {
	Name string
	URL  string
	// Projects are the project paths watched (configured and found in groups).
	Projects  []string
	Mirrors   []*GitLabMirrorState
	Endpoints Health
	// ProjectErrors holds the latest error per project (reading a project's
	// mirrors failed); cleared by the next success.
	ProjectErrors map[string]string
	// Version is the instance's version (zero Raw: not read yet, or
	// unreadable).
	Version GitLabVersion
	// MirrorSettings are the instance's mirror settings (nil: not read);
	// SettingsDenied is set when the token may not read them (not an
	// administrator's).
	MirrorSettings *GitLabMirrorSettings
	SettingsDenied bool
}

// GitLabProject is the reading of one project's mirrors: its push mirrors,
// and its pull mirror when it has one.
type GitLabProject struct {
	Project string
	Push    []GitLabMirror
	Pull    *GitLabMirror
	// PullOff: GitLab says the project is not (or no longer) a pull
	// mirror. A pull mirror read before is kept, disabled: that is what
	// pausing it (mirror false) looks like.
	PullOff bool
}

// GitLabSpec names a GitLab instance to track.
type GitLabSpec struct {
	Name string
	URL  string
}

// GitLabInstance returns the named instance, or nil.
func (s *State) GitLabInstance(name string) *GitLabInstance {
	for _, g := range s.GitLab {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Mirror returns the mirror with a key, or nil.
func (g *GitLabInstance) Mirror(key string) *GitLabMirrorState {
	for _, m := range g.Mirrors {
		if m.Key() == key {
			return m
		}
	}
	return nil
}

func (s *State) applyGitLab(r Reading) {
	g := s.GitLabInstance(r.Target.GitLab)
	if g == nil {
		return
	}
	g.Endpoints.record(r)
	if r.Target.Project != "" {
		if r.Err != nil {
			g.ProjectErrors[r.Target.Project] = r.Err.Error()
		} else {
			delete(g.ProjectErrors, r.Target.Project)
		}
	}
	if r.Err != nil || r.Unsupported {
		return
	}
	switch d := r.Data.(type) {
	case []string:
		g.Projects = d
		keep := map[string]bool{}
		for _, p := range d {
			keep[p] = true
		}
		g.Mirrors = filterMirrors(g.Mirrors, func(m *GitLabMirrorState) bool { return keep[m.Project] })
	case GitLabProject:
		g.applyProject(d, r.At)
		s.observeHistory(g, d.Project, r.At)
	case GitLabVersion:
		g.Version = d
	case GitLabMirrorSettings:
		g.MirrorSettings, g.SettingsDenied = &d, false
	case GitLabSettingsDenied:
		g.MirrorSettings, g.SettingsDenied = nil, true
	}
}

// observeHistory folds a project's fresh reading into the conflict
// history: its mirrors' divergences, and those of mirrors now gone.
func (s *State) observeHistory(g *GitLabInstance, project string, at time.Time) {
	if s.GitLabHistory == nil {
		s.GitLabHistory = NewGitLabHistory()
	}
	lo, _ := slices.BinarySearchFunc(g.Mirrors, project, func(m *GitLabMirrorState, p string) int {
		return strings.Compare(m.Project, p)
	})
	h := s.GitLabHistory
	// Most readings change nothing: no error to parse, no divergence open.
	hasOpen := len(h.open[projectKey(g.Name, project)]) > 0
	var present map[string]bool
	if hasOpen {
		present = map[string]bool{}
	}
	for i := lo; i < len(g.Mirrors) && g.Mirrors[i].Project == project; i++ {
		m := g.Mirrors[i]
		if hasOpen {
			present[m.Key()] = true
		} else if m.LastError == "" {
			continue
		}
		h.Observe(&m.GitLabMirror, at)
	}
	if hasOpen {
		h.ProjectRead(g.Name, project, present, at)
	}
}

// RecordResolution adds a resolution to the history of the mirror with a
// key (the mirror as last read, or as its key names it).
func (s *State) RecordResolution(key string, e HistoryEntry) {
	if s.GitLabHistory == nil {
		s.GitLabHistory = NewGitLabHistory()
	}
	for _, g := range s.GitLab {
		if m := g.Mirror(key); m != nil {
			s.GitLabHistory.Resolve(&m.GitLabMirror, e)
			return
		}
	}
	if m, ok := MirrorFromKey(key); ok {
		s.GitLabHistory.Resolve(&m, e)
	}
}

// applyProject replaces a project's mirrors with the reading's, keeping the
// history of those that remain. Mirrors stay ordered by project, direction
// and id, so a project's are one run found by binary search: a reading costs
// the size of its project, not of the instance, however many projects there
// are.
func (g *GitLabInstance) applyProject(p GitLabProject, at time.Time) {
	fresh := append([]GitLabMirror(nil), p.Push...)
	if p.Pull != nil {
		fresh = append(fresh, *p.Pull)
	} else if p.PullOff {
		if old := g.pullOf(p.Project); old != nil {
			off := old.GitLabMirror
			off.Enabled = false
			fresh = append(fresh, off)
		}
	}
	lo, _ := slices.BinarySearchFunc(g.Mirrors, p.Project, func(m *GitLabMirrorState, project string) int {
		return strings.Compare(m.Project, project)
	})
	hi := lo
	for hi < len(g.Mirrors) && g.Mirrors[hi].Project == p.Project {
		hi++
	}
	old := g.Mirrors[lo:hi]
	states := make([]*GitLabMirrorState, 0, len(fresh))
	for i := range fresh {
		m := &fresh[i]
		m.Instance, m.Project = g.Name, p.Project
		var st *GitLabMirrorState
		for _, o := range old {
			if o.Direction == m.Direction && o.ID == m.ID {
				st = o
				break
			}
		}
		if st == nil {
			st = &GitLabMirrorState{}
		}
		st.observe(*m, at)
		if st.key == "" {
			st.key = st.GitLabMirror.Key() // its fields never change
		}
		states = append(states, st)
	}
	slices.SortStableFunc(states, compareMirrorOrder)
	if len(states) == len(old) {
		copy(old, states)
		return
	}
	g.Mirrors = slices.Concat(g.Mirrors[:lo], states, g.Mirrors[hi:])
}

// pullOf is the pull mirror known for a project, or nil.
func (g *GitLabInstance) pullOf(project string) *GitLabMirrorState {
	for _, m := range g.Mirrors {
		if m.Project == project && m.Direction == Pull {
			return m
		}
	}
	return nil
}

// compareMirrorOrder orders mirrors by project, direction and id.
func compareMirrorOrder(a, b *GitLabMirrorState) int {
	return cmp.Or(strings.Compare(a.Project, b.Project), strings.Compare(string(a.Direction), string(b.Direction)), cmp.Compare(a.ID, b.ID))
}

// Key identifies the mirror across readings (kept from its first reading).
func (s *GitLabMirrorState) Key() string {
	if s.key != "" {
		return s.key
	}
	return s.GitLabMirror.Key()
}

func filterMirrors(ms []*GitLabMirrorState, keep func(*GitLabMirrorState) bool) []*GitLabMirrorState {
	out := ms[:0]
	for _, m := range ms {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// MarkPaused records that GitLab refused to update a mirror because it is
// on pause.
func (s *State) MarkPaused(key string, at time.Time) {
	for _, g := range s.GitLab {
		if m := g.Mirror(key); m != nil {
			m.Paused, m.PausedAt = true, at
		}
	}
}

// GitLabWorstFirst lists every GitLab mirror, worst health first, then
// longest without a success.
func (s *State) GitLabWorstFirst(now time.Time) []*GitLabMirrorState {
	// Each mirror's rank, age and key are worked out once, not at every
	// comparison (health parses the last error; the key is built).
	type entry struct {
		m     *GitLabMirrorState
		rank  int
		since time.Duration
		ok    bool
		key   string
	}
	var es []entry
	for _, g := range s.GitLab {
		for _, m := range g.Mirrors {
			since, ok := m.SinceSuccess(now)
			es = append(es, entry{m: m, rank: HealthRank(m.Health(now)), since: since, ok: ok, key: m.Key()})
		}
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		switch {
		case a.rank != b.rank:
			return cmp.Compare(b.rank, a.rank)
		case a.ok != b.ok:
			if !a.ok {
				return -1
			}
			return 1
		case a.since != b.since:
			return cmp.Compare(b.since, a.since)
		}
		return strings.Compare(a.key, b.key)
	})
	out := make([]*GitLabMirrorState, len(es))
	for i := range es {
		out[i] = es[i].m
	}
	return out
}
