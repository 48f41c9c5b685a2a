package model

import (
	"strings"
	"testing"
	"time"
)

// GitLab's limits on "Update now": a pull mirror that succeeded before
// waits 5 min after its last update ended; a push mirror 5 min (1 with
// only_protected_branches) after its last update started.
func TestNextUpdateAllowed(t *testing.T) {
	pull := GitLabMirror{Direction: Pull, LastUpdateStartedAt: t0.Add(-time.Minute), LastUpdateAt: t0, LastSuccessfulUpdateAt: t0.Add(-time.Hour)}
	if got := NextUpdateAllowed(&pull); !got.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("pull: %v", got)
	}
	pull.LastSuccessfulUpdateAt = time.Time{} // never succeeded: at once
	if got := NextUpdateAllowed(&pull); !got.IsZero() {
		t.Errorf("pull never succeeded: %v", got)
	}
	push := GitLabMirror{Direction: Push, LastUpdateStartedAt: t0, LastUpdateAt: t0.Add(time.Hour)}
	if got := NextUpdateAllowed(&push); !got.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("push: %v", got)
	}
	push.OnlyProtected = true
	if got := NextUpdateAllowed(&push); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("push, protected only: %v", got)
	}
	if got := NextUpdateAllowed(&GitLabMirror{Direction: Push}); !got.IsZero() {
		t.Errorf("push never started: %v", got)
	}
	if s := UpdateAllowedText(&push, t0.Add(20*time.Second)); !strings.HasSuffix(s, "(in 40s)") {
		t.Errorf("text %q", s)
	}
	if s := UpdateAllowedText(&push, t0.Add(time.Hour)); s != "now" {
		t.Errorf("text %q", s)
	}
}

// A requested update followed through the readings: started, then
// finished or failed (with the sanitized error); one GitLab only
// scheduled says when; nothing seen in time is said so, never success.
func TestFollowUpdate(t *testing.T) {
	tgt := TargetID{GitLab: "gl", Project: "platform/api"}
	start := func(m GitLabMirror) (*State, func(time.Time, GitLabMirror) *UpdateFollow) {
		s := glState()
		read := func(at time.Time, m GitLabMirror) *UpdateFollow {
			s.Apply(Reading{Target: tgt, Endpoint: EPGitLabMirrors, At: at, Data: GitLabProject{Project: "platform/api", Push: []GitLabMirror{m}}})
			return s.GitLabInstance("gl").Mirrors[0].Update
		}
		read(t0, m)
		return s, read
	}
	old := t0.Add(-time.Hour)
	base := pushMirror("finished", old, old.Add(5*time.Second), old.Add(5*time.Second), "")
	s, read := start(base)
	key := s.GitLabInstance("gl").Mirrors[0].Key()
	s.FollowUpdate(key, t0)
	if u := s.GitLabInstance("gl").Mirrors[0].Update; u.Phase != UpdateRequested {
		t.Fatalf("requested: %+v", u)
	}
	if u := read(t0.Add(10*time.Second), pushMirror("started", t0.Add(time.Second), base.LastUpdateAt, base.LastSuccessfulUpdateAt, "")); u.Text != "started" || u.Done {
		t.Fatalf("started: %+v", u)
	}
	u := read(t0.Add(20*time.Second), pushMirror("finished", t0.Add(time.Second), t0.Add(8*time.Second), t0.Add(8*time.Second), ""))
	if u.Text != "finished" || !u.Done || len(u.Log) != 3 {
		t.Fatalf("finished: %+v", u)
	}

	// Failed, with the error's first line, sanitized.
	s, read = start(base)
	s.FollowUpdate(key, t0)
	u = read(t0.Add(20*time.Second), pushMirror("failed", t0.Add(time.Second), t0.Add(8*time.Second), base.LastSuccessfulUpdateAt, "remote: denied\x1b[31m\nmore"))
	if u.Phase != UpdateFailed || u.Text != "failed: remote: denied …" || !u.Done {
		t.Fatalf("failed: %+v", u)
	}

	// Nothing happens: after the allowed time and the follow window,
	// "no update seen within 10 min".
	s, read = start(base)
	s.FollowUpdate(key, t0)
	if u = read(t0.Add(5*time.Minute), base); u.Phase != UpdateRequested {
		t.Fatalf("waiting: %+v", u)
	}
	if u = read(t0.Add(11*time.Minute), base); u.Text != "no update seen within 10 min" || !u.Done {
		t.Fatalf("unseen: %+v", u)
	}

	// GitLab's clock says the update is not allowed yet: scheduled, with
	// the time it should run.
	recent := pushMirror("finished", t0.Add(-time.Minute), t0.Add(-50*time.Second), t0.Add(-50*time.Second), "")
	s, read = start(recent)
	s.FollowUpdate(key, t0)
	if u = s.GitLabInstance("gl").Mirrors[0].Update; u.Phase != UpdateScheduled || u.Text != "scheduled (next at "+t0.Add(4*time.Minute).Local().Format("15:04")+")" {
		t.Fatalf("scheduled: %+v", u)
	}
	if u = read(t0.Add(4*time.Minute+14*time.Minute), recent); u.Text != "no update seen within 14 min" {
		t.Fatalf("scheduled, unseen: %+v", u)
	}
}

// A pull mirror GitLab stops reporting as mirrored (mirror false) is
// kept, disabled; a project never mirrored gets none.
func TestPullOffKeepsDisabledMirror(t *testing.T) {
	s := glState()
	tgt := TargetID{GitLab: "gl", Project: "data/etl"}
	pull := GitLabMirror{Direction: Pull, ID: 4101, Enabled: true, Status: "finished"}
	s.Apply(Reading{Target: tgt, Endpoint: EPGitLabMirrors, At: t0, Data: GitLabProject{Project: "data/etl", Pull: &pull}})
	s.Apply(Reading{Target: tgt, Endpoint: EPGitLabMirrors, At: t0.Add(time.Minute), Data: GitLabProject{Project: "data/etl", PullOff: true}})
	g := s.GitLabInstance("gl")
	if len(g.Mirrors) != 1 || g.Mirrors[0].Enabled || g.Mirrors[0].Health(t0) != HealthDisabled {
		t.Fatalf("mirrors %+v", g.Mirrors)
	}
	s.Apply(Reading{Target: TargetID{GitLab: "gl", Project: "data/lake"}, Endpoint: EPGitLabMirrors, At: t0, Data: GitLabProject{Project: "data/lake", PullOff: true}})
	if len(g.Mirrors) != 1 {
		t.Fatalf("a mirror out of nothing: %+v", g.Mirrors)
	}
	// Version and settings readings.
	s.Apply(Reading{Target: TargetID{GitLab: "gl"}, Endpoint: EPGitLabSettings, At: t0, Data: GitLabSettingsDenied{}})
	if !g.SettingsDenied || g.MirrorSettings != nil {
		t.Fatalf("denied: %+v", g)
	}
	s.Apply(Reading{Target: TargetID{GitLab: "gl"}, Endpoint: EPGitLabSettings, At: t0, Data: GitLabMirrorSettings{MaxCapacity: 30}})
	if g.SettingsDenied || g.MirrorSettings.MaxCapacity != 30 {
		t.Fatalf("settings: %+v", g)
	}
	v, ok := ParseGitLabVersion("16.11.2-ee")
	if !ok || v.AtLeast(17, 5) || !v.AtLeast(16, 11) || v.Raw != "16.11.2-ee" {
		t.Fatalf("version %+v", v)
	}
	if _, ok := ParseGitLabVersion("x"); ok {
		t.Fatal("x parsed")
	}
}
