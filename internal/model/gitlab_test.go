package model

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"
)

func TestParseDivergedRefs(t *testing.T) {
	cases := map[string][]string{
		"Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main\nrefs/heads/develop":                      {"refs/heads/main", "refs/heads/develop"},
		"Error synchronizing LFS files:\n\nboom\n\nSome refs have diverged and have not been updated on the remote:\n\nrefs/tags/v1\n": {"refs/tags/v1"},
		"The default branch (main) has diverged from its upstream counterpart and could not be updated automatically.":                 {"refs/heads/main"},
		"remote: GitLab: You are not allowed to push code to protected branches on this project.":                                      nil,
		"": nil,
	}
	for in, want := range cases {
		if got := ParseDivergedRefs(in); !reflect.DeepEqual(got, want) {
			t.Errorf("ParseDivergedRefs(%q) = %v, want %v", in, got, want)
		}
	}
}

func glState() *State {
	return NewState(Spec{GitLab: []GitLabSpec{{Name: "gl", URL: "https://gitlab.example.com"}}})
}

func pushMirror(status string, started, updated, success time.Time, lastErr string) GitLabMirror {
	return GitLabMirror{Direction: Push, ID: 7, Enabled: true, Status: status, LastUpdateStartedAt: started,
		LastUpdateAt: updated, LastSuccessfulUpdateAt: success, LastError: lastErr}
}

func TestGitLabHealthAndHistory(t *testing.T) {
	s := glState()
	tgt := TargetID{GitLab: "gl", Project: "platform/api"}
	read := func(at time.Time, m GitLabMirror) {
		s.Apply(Reading{Target: tgt, Endpoint: EPGitLabMirrors, At: at, Data: GitLabProject{Project: "platform/api", Push: []GitLabMirror{m}}})
	}
	// Three updates: success (10s), failure, success (20s).
	read(t0, pushMirror("finished", t0.Add(-10*time.Second), t0, t0, ""))
	read(t0.Add(time.Minute), pushMirror("failed", t0.Add(50*time.Second), t0.Add(time.Minute), t0, "boom"))
	read(t0.Add(90*time.Second), pushMirror("failed", t0.Add(50*time.Second), t0.Add(time.Minute), t0, "boom")) // same attempt again
	read(t0.Add(2*time.Minute), pushMirror("finished", t0.Add(100*time.Second), t0.Add(2*time.Minute), t0.Add(2*time.Minute), ""))
	g := s.GitLabInstance("gl")
	if len(g.Mirrors) != 1 {
		t.Fatalf("mirrors %+v", g.Mirrors)
	}
	m := g.Mirrors[0]
	now := t0.Add(3 * time.Minute)
	if rate, n, ok := m.SuccessRate(now, time.Hour); !ok || n != 3 || rate < 0.66 || rate > 0.67 {
		t.Errorf("success rate %v over %d", rate, n)
	}
	if d, ok := m.AverageDuration(); !ok || d != 15*time.Second {
		t.Errorf("average duration %v", d)
	}
	if d, ok := m.SinceSuccess(now); !ok || d != time.Minute {
		t.Errorf("since success %v", d)
	}
	if m.Health(now) != HealthOK || m.Project != "platform/api" || m.Instance != "gl" {
		t.Errorf("health %s %+v", m.Health(now), m.GitLabMirror)
	}
	cases := []struct {
		m    GitLabMirror
		want string
	}{
		{pushMirror("started", now.Add(-2*time.Hour), now.Add(-3*time.Hour), now.Add(-3*time.Hour), ""), HealthStuck},
		{pushMirror("started", now.Add(-2*time.Hour), time.Time{}, time.Time{}, ""), HealthSyncing}, // a first sync gets 3 hours
		{pushMirror("started", now.Add(-4*time.Hour), time.Time{}, time.Time{}, ""), HealthStuck},
		{pushMirror("failed", now, now, now.Add(-time.Hour), "Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main"), HealthDiverged},
		{pushMirror("failed", now, now, now.Add(-time.Hour), "boom"), HealthFailing},
		{pushMirror("to_retry", now, now, now.Add(-time.Hour), "boom"), HealthRetrying},
		{pushMirror("finished", time.Time{}, time.Time{}, time.Time{}, ""), HealthNever},
		{pushMirror("none", time.Time{}, time.Time{}, time.Time{}, ""), HealthNever},
		{pushMirror("brand_new_status", now, now, now, ""), HealthUnknown},
	}
	for _, c := range cases {
		st := &GitLabMirrorState{}
		st.observe(c.m, now)
		if got := st.Health(now); got != c.want {
			t.Errorf("%s/%v: %s, want %s", c.m.Status, c.m.LastUpdateStartedAt, got, c.want)
		}
	}
	off := &GitLabMirrorState{}
	off.observe(GitLabMirror{Status: "failed"}, now)
	if off.Health(now) != HealthDisabled {
		t.Error("a disabled mirror is DISABLED")
	}
	// Paused is known only from a refused sync; a later success clears it.
	s.MarkPaused(m.Key(), now)
	if m.Health(now) != HealthPaused {
		t.Error("paused")
	}
	read(now.Add(time.Hour), pushMirror("finished", now.Add(time.Hour-time.Second), now.Add(time.Hour), now.Add(time.Hour), ""))
	if m.Paused {
		t.Error("a success clears paused")
	}
}

func TestGitLabProjectReadings(t *testing.T) {
	s := glState()
	g := s.GitLabInstance("gl")
	pull := GitLabMirror{Direction: Pull, ID: 3, Enabled: true, Status: "failed", LastError: "The default branch (main) has diverged from its upstream counterpart and could not be updated automatically."}
	s.Apply(Reading{Target: TargetID{GitLab: "gl", Project: "a/b"}, Endpoint: EPGitLabMirrors, At: t0,
		Data: GitLabProject{Project: "a/b", Push: []GitLabMirror{pushMirror("finished", t0, t0, t0, "")}, Pull: &pull}})
	s.Apply(Reading{Target: TargetID{GitLab: "gl", Project: "c/d"}, Endpoint: EPGitLabMirrors, At: t0,
		Data: GitLabProject{Project: "c/d", Push: []GitLabMirror{pushMirror("started", t0.Add(-2*time.Hour), t0.Add(-3*time.Hour), t0.Add(-3*time.Hour), "")}}})
	if len(g.Mirrors) != 3 {
		t.Fatalf("%d mirrors", len(g.Mirrors))
	}
	worst := s.GitLabWorstFirst(t0)
	if worst[0].Project != "c/d" || worst[1].Direction != Pull || worst[2].Health(t0) != HealthOK {
		t.Errorf("worst first: %s %s %s", worst[0].Key(), worst[1].Key(), worst[2].Key())
	}
	alerts := s.Alerts(Thresholds{}, t0)
	if len(alerts) != 2 {
		t.Errorf("alerts %+v", alerts)
	}
	// A project read again without its pull mirror loses it; an error keeps the data.
	s.Apply(Reading{Target: TargetID{GitLab: "gl", Project: "a/b"}, Endpoint: EPGitLabMirrors, At: t0, Data: GitLabProject{Project: "a/b"}})
	if len(g.Mirrors) != 1 {
		t.Errorf("mirrors after removal %d", len(g.Mirrors))
	}
	s.Apply(Reading{Target: TargetID{GitLab: "gl", Project: "c/d"}, Endpoint: EPGitLabMirrors, At: t0, Err: errors.New("HTTP 500")})
	if len(g.Mirrors) != 1 || g.ProjectErrors["c/d"] != "HTTP 500" {
		t.Errorf("error keeps data: %d mirrors, errors %v", len(g.Mirrors), g.ProjectErrors)
	}
	// The project list drops mirrors of projects no longer watched.
	s.Apply(Reading{Target: TargetID{GitLab: "gl"}, Endpoint: EPGitLabProjects, At: t0, Data: []string{"a/b"}})
	if len(g.Mirrors) != 0 || len(g.Projects) != 1 {
		t.Errorf("after the project list: %d mirrors", len(g.Mirrors))
	}
	if (TargetID{GitLab: "gl", Project: "a/b"}).String() != "gitlab gl:a/b" || (TargetID{GitLab: "gl"}).IsPrimary() {
		t.Error("target naming")
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://*****:*****@github.com/x/y.git":     "https://*****:*****@github.com/x/y.git",
		"https://user:glpat-secret@github.com/x.git": "https://*****:*****@github.com/x.git",
		"ssh://git@github.com/x.git":                 "ssh://git@github.com/x.git",
		"https://github.com/x.git":                   "https://github.com/x.git",
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// GitLabWorstFirst orders as comparing health, time since success and key
// at every step would.
func TestGitLabWorstFirstOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	s := glState()
	g := s.GitLabInstance("gl")
	statuses := []string{"finished", "failed", "to_retry", "started", "none", "odd"}
	for i := range 300 {
		m := &GitLabMirrorState{GitLabMirror: GitLabMirror{Instance: "gl", Project: fmt.Sprintf("p/%d", i%40), Direction: Push, ID: int64(i),
			Enabled: rng.IntN(8) > 0, Status: statuses[rng.IntN(len(statuses))]}}
		if rng.IntN(3) > 0 {
			m.LastSuccessfulUpdateAt = t0.Add(-time.Duration(rng.IntN(5)) * time.Hour)
		}
		g.Mirrors = append(g.Mirrors, m)
	}
	want := slices.Clone(g.Mirrors)
	sort.SliceStable(want, func(i, j int) bool {
		hi, hj := HealthRank(want[i].Health(t0)), HealthRank(want[j].Health(t0))
		if hi != hj {
			return hi > hj
		}
		si, oki := want[i].SinceSuccess(t0)
		sj, okj := want[j].SinceSuccess(t0)
		if oki != okj {
			return !oki
		}
		if si != sj {
			return si > sj
		}
		return want[i].Key() < want[j].Key()
	})
	got := s.GitLabWorstFirst(t0)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("position %d: %s, want %s", i, got[i].Key(), want[i].Key())
		}
	}
}

// Readings of many projects, in any order, keep the mirrors ordered by
// project, direction and id, and keep each mirror's state (its history)
// from one reading to the next.
func TestGitLabProjectsStayOrdered(t *testing.T) {
	s := glState()
	g := s.GitLabInstance("gl")
	rng := rand.New(rand.NewPCG(7, 8))
	read := func(project string, ids ...int64) {
		var push []GitLabMirror
		for _, id := range ids {
			m := pushMirror("finished", t0, t0, t0, "")
			m.ID = id
			push = append(push, m)
		}
		s.Apply(Reading{Target: TargetID{GitLab: "gl", Project: project}, Endpoint: EPGitLabMirrors, At: t0, Data: GitLabProject{Project: project, Push: push}})
	}
	for _, i := range rng.Perm(60) {
		read(fmt.Sprintf("grp/p%02d", i), int64(i*10+2), int64(i*10+1))
	}
	key := (&GitLabMirror{Instance: "gl", Project: "grp/p07", Direction: Push, ID: 71}).Key()
	first := g.Mirror(key)
	if first == nil {
		t.Fatal("mirror grp/p07 #71 not found")
	}
	for _, i := range rng.Perm(60) {
		read(fmt.Sprintf("grp/p%02d", i), int64(i*10+1), int64(i*10+2), int64(i*10+3)) // one more mirror each
	}
	read("grp/p30") // a project that lost its mirrors
	if len(g.Mirrors) != 59*3 {
		t.Fatalf("%d mirrors, want %d", len(g.Mirrors), 59*3)
	}
	if !slices.IsSortedFunc(g.Mirrors, compareMirrorOrder) {
		t.Error("mirrors out of order")
	}
	if again := g.Mirror(first.Key()); again != first {
		t.Error("a mirror read again lost its state")
	}
}

// BenchmarkGitLabRound5k applies one reading for each of 5 000 projects
// with a push mirror each: what a GitLab sweep costs the state.
func BenchmarkGitLabRound5k(b *testing.B) {
	s := glState()
	readings := make([]Reading, 5000)
	for i := range readings {
		m := pushMirror("finished", t0, t0, t0, "")
		m.ID = int64(i)
		p := fmt.Sprintf("grp/p%05d", i)
		readings[i] = Reading{Target: TargetID{GitLab: "gl", Project: p}, Endpoint: EPGitLabMirrors, At: t0, Data: GitLabProject{Project: p, Push: []GitLabMirror{m}}}
	}
	s.ApplyBatch(readings)
	for b.Loop() {
		s.ApplyBatch(readings)
	}
}

func TestDivergedRefsLeaveOutImpossibleNames(t *testing.T) {
	in := "Some refs have diverged and have not been updated on the remote:\nrefs/heads/ok\nrefs/heads/\x1b]0;owned\x07\nrefs/heads/a b\nrefs/heads/x~1\n"
	if got := ParseDivergedRefs(in); !reflect.DeepEqual(got, []string{"refs/heads/ok"}) {
		t.Errorf("got %q", got)
	}
	if got := ParseDivergedRefs("The default branch (ma\x1b[2Jin) has diverged"); got != nil {
		t.Errorf("pull message with an escape: %q", got)
	}
}

// A mirror whose observed updates succeed less often than min_success_rate
// is an alert, once enough of them ended; at 2 of 3 (67 %) it is over a
// 60 % threshold and under a 90 % one.
func TestSuccessRateAlert(t *testing.T) {
	s := glState()
	tgt := TargetID{GitLab: "gl", Project: "platform/api"}
	read := func(at time.Time, m GitLabMirror) {
		s.Apply(Reading{Target: tgt, Endpoint: EPGitLabMirrors, At: at, Data: GitLabProject{Project: "platform/api", Push: []GitLabMirror{m}}})
	}
	rateAlerts := func(min float64, now time.Time) []Alert {
		var out []Alert
		for _, a := range s.Alerts(Thresholds{MinSuccessRate: min}, now) {
			if a.Kind == AlertSuccessRate {
				out = append(out, a)
			}
		}
		return out
	}
	read(t0, pushMirror("finished", t0.Add(-10*time.Second), t0, t0, ""))
	read(t0.Add(time.Minute), pushMirror("failed", t0.Add(50*time.Second), t0.Add(time.Minute), t0, "boom"))
	now := t0.Add(90 * time.Second)
	if a := rateAlerts(0.9, now); len(a) != 0 {
		t.Fatalf("judged after 2 updates: %+v", a)
	}
	read(t0.Add(2*time.Minute), pushMirror("finished", t0.Add(100*time.Second), t0.Add(2*time.Minute), t0.Add(2*time.Minute), ""))
	now = t0.Add(3 * time.Minute)
	a := rateAlerts(0.9, now)
	if len(a) != 1 || a[0].Severity != SeverityWarning || a[0].Text != "gl push mirror of platform/api: 67 % of its 3 updates in 24 h succeeded (< 90 %)" {
		t.Fatalf("alerts %+v", a)
	}
	if a := rateAlerts(0.6, now); len(a) != 0 {
		t.Errorf("over the threshold: %+v", a)
	}
	if a := rateAlerts(0, now); len(a) != 0 {
		t.Errorf("0 turns it off: %+v", a)
	}
	if a := rateAlerts(0.9, now.Add(25*time.Hour)); len(a) != 0 {
		t.Errorf("updates older than 24 h still judged: %+v", a)
	}
}
