package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// TestCheckpointKeepsFollowedUpdates: a replay that seeks back to a
// checkpoint taken while a followed "Update now" had started, and plays
// on, reports its end again — what a checkpoint restores includes the
// phases already reported.
func TestCheckpointKeepsFollowedUpdates(t *testing.T) {
	sh := NewShared(fixtureState(), func() time.Time { return t0 })
	key := "gitlab/data/new/pull/23"
	read := func(m model.GitLabMirror) {
		sh.Apply([]model.Reading{{Target: model.TargetID{GitLab: "gitlab", Project: "data/new"}, Endpoint: model.EPGitLabMirrors,
			At: m.LastUpdateStartedAt.Add(30 * time.Second), Data: model.GitLabProject{Project: "data/new", Pull: &m}}})
	}
	finished := func() (n int) {
		for _, e := range sh.eventList() {
			if strings.Contains(e.target, "data/new") && e.text == "update now: finished" {
				n++
			}
		}
		return n
	}
	sh.FollowUpdate(key, t0)
	read(model.GitLabMirror{Direction: model.Pull, ID: 23, Enabled: true, Status: "started", LastUpdateStartedAt: t0.Add(time.Second)})
	cp := sh.Checkpoint(nil)
	done := model.GitLabMirror{Direction: model.Pull, ID: 23, Enabled: true, Status: "finished", LastUpdateStartedAt: t0.Add(time.Second),
		LastUpdateAt: t0.Add(8 * time.Second), LastSuccessfulUpdateAt: t0.Add(8 * time.Second)}
	read(done)
	if n := finished(); n != 1 {
		t.Fatalf("%d finished events, want 1", n)
	}
	sh.Restore(cp)
	if n := finished(); n != 0 {
		t.Fatalf("%d finished events after going back, want 0", n)
	}
	read(done)
	if n := finished(); n != 1 {
		t.Fatalf("%d finished events after playing on again, want 1", n)
	}
}
