package model

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

const divergedMain = "Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main"

// readPush applies one reading of project platform/api with push mirror 7.
func readPush(s *State, at time.Time, lastErr string, more ...GitLabMirror) {
	status := "finished"
	if lastErr != "" {
		status = "failed"
	}
	push := append([]GitLabMirror{pushMirror(status, at, at, at, lastErr)}, more...)
	s.Apply(Reading{Target: TargetID{GitLab: "gl", Project: "platform/api"}, Endpoint: EPGitLabMirrors, At: at,
		Data: GitLabProject{Project: "platform/api", Push: push}})
}

const key7 = "gl/platform/api/push/7"

func TestHistoryDivergenceOpensGrowsAndCloses(t *testing.T) {
	s := glState()
	readPush(s, t0, "")
	if s.GitLabHistory.Len() != 0 {
		t.Fatalf("a healthy mirror has a history: %v", s.GitLabHistory.Entries(key7))
	}
	readPush(s, t0.Add(time.Minute), divergedMain)
	readPush(s, t0.Add(2*time.Minute), divergedMain+"\nrefs/heads/develop")
	readPush(s, t0.Add(3*time.Minute), divergedMain) // still open: the same entry
	h := s.GitLabHistory.Entries(key7)
	if len(h) != 1 || !h[0].Open() || !h[0].FirstSeen.Equal(t0.Add(time.Minute)) ||
		!reflect.DeepEqual(h[0].Refs, []string{"refs/heads/main", "refs/heads/develop"}) {
		t.Fatalf("open divergence %+v", h)
	}
	readPush(s, t0.Add(4*time.Minute), "")
	h = s.GitLabHistory.Entries(key7)
	if len(h) != 1 || h[0].Open() || !h[0].ClearedAt.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("cleared divergence %+v", h)
	}
	// A new divergence is a new entry, newest first.
	readPush(s, t0.Add(5*time.Minute), divergedMain)
	h = s.GitLabHistory.Entries(key7)
	if len(h) != 2 || !h[0].Open() || h[1].Open() {
		t.Fatalf("second divergence %+v", h)
	}
	// Errors other than divergence are not conflicts.
	c := s.GitLabHistory.Changes()
	s.Apply(Reading{Target: TargetID{GitLab: "gl", Project: "platform/api"}, Endpoint: EPGitLabMirrors, At: t0.Add(6 * time.Minute), Err: errors.New("HTTP 500")})
	if s.GitLabHistory.Changes() != c || !s.GitLabHistory.Entries(key7)[0].Open() {
		t.Error("a failed reading changed the history")
	}
}

func TestHistoryMirrorGoneClosesItsDivergence(t *testing.T) {
	s := glState()
	readPush(s, t0, divergedMain)
	s.Apply(Reading{Target: TargetID{GitLab: "gl", Project: "platform/api"}, Endpoint: EPGitLabMirrors, At: t0.Add(time.Minute),
		Data: GitLabProject{Project: "platform/api"}})
	if h := s.GitLabHistory.Entries(key7); len(h) != 1 || !h[0].ClearedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("history of a deleted mirror %+v", h)
	}
}

func TestHistoryResolutionRecorded(t *testing.T) {
	s := glState()
	readPush(s, t0, divergedMain)
	s.RecordResolution(key7, HistoryEntry{At: t0.Add(time.Minute), Action: "gitlab-resolve-ours", By: "ana", Result: "accepted", Message: strings.Repeat("x", 1000)})
	h := s.GitLabHistory.Entries(key7)
	if len(h) != 2 || h[0].Kind != HistoryResolution || h[0].By != "ana" || h[0].Action != "gitlab-resolve-ours" || len(h[0].Message) > maxHistoryText+len("…") {
		t.Fatalf("resolution %+v", h)
	}
	// A mirror no longer read (deleted) still gets its resolution.
	s.RecordResolution("gl/a/b/c/push/9", HistoryEntry{At: t0, Action: "gitlab-delete", Result: "done"})
	if h := s.GitLabHistory.Entries("gl/a/b/c/push/9"); len(h) != 1 {
		t.Fatalf("resolution of an unread mirror %+v", h)
	}
	if m, ok := MirrorFromKey("gl/a/b/c/push/9"); !ok || m.Project != "a/b/c" || m.Direction != Push || m.ID != 9 {
		t.Errorf("MirrorFromKey %+v %v", m, ok)
	}
}

func TestHistoryBounded(t *testing.T) {
	s := glState()
	readPush(s, t0, divergedMain) // stays open throughout
	for i := range MaxHistoryEntries + 20 {
		s.RecordResolution(key7, HistoryEntry{At: t0.Add(time.Duration(i+1) * time.Second), Action: "gitlab-sync", Result: fmt.Sprint(i)})
	}
	h := s.GitLabHistory.Entries(key7)
	if len(h) != MaxHistoryEntries {
		t.Fatalf("%d entries", len(h))
	}
	if last := h[len(h)-1]; !last.Open() {
		t.Errorf("the open divergence was dropped; oldest is %+v", last)
	}
	if h[0].Result != fmt.Sprint(MaxHistoryEntries+19) || h[len(h)-2].Result != "21" {
		t.Errorf("kept %s … %s", h[0].Result, h[len(h)-2].Result)
	}
}

// The history survives a round trip through its file: a divergence open
// at exit continues (no duplicate) and one cleared while mirrortop was
// not running closes at the first reading.
func TestHistoryFileRoundTrip(t *testing.T) {
	s := glState()
	readPush(s, t0, divergedMain, GitLabMirror{Direction: Push, ID: 8, Enabled: true, Status: "failed", LastError: divergedMain})
	s.RecordResolution(key7, HistoryEntry{At: t0.Add(time.Second), Action: "gitlab-resolve-theirs", By: "ana", Result: "accepted"})
	b, err := s.GitLabHistory.MarshalHistory()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := UnmarshalHistory(b)
	if err != nil {
		t.Fatal(err)
	}
	s2 := glState()
	s2.GitLabHistory.Merge(loaded)
	if !reflect.DeepEqual(s2.GitLabHistory.Entries(key7), s.GitLabHistory.Entries(key7)) {
		t.Fatalf("loaded %+v\nwant %+v", s2.GitLabHistory.Entries(key7), s.GitLabHistory.Entries(key7))
	}
	// Mirror 7 is still diverged, mirror 8 cleared while we were down.
	at := t0.Add(time.Hour)
	readPush(s2, at, divergedMain, GitLabMirror{Direction: Push, ID: 8, Enabled: true, Status: "finished", LastSuccessfulUpdateAt: at})
	h7, h8 := s2.GitLabHistory.Entries(key7), s2.GitLabHistory.Entries("gl/platform/api/push/8")
	if len(h7) != 2 || !h7[1].Open() || !h7[1].FirstSeen.Equal(t0) {
		t.Errorf("continued divergence %+v", h7)
	}
	if len(h8) != 1 || !h8[0].ClearedAt.Equal(at) {
		t.Errorf("divergence cleared while down %+v", h8)
	}
}

func TestHistoryFileRefused(t *testing.T) {
	for _, in := range []string{"", "{", "[]", `{"format":0}`, `{"format":1,"mirrors":{}}`} {
		if _, err := UnmarshalHistory([]byte(in)); err == nil {
			t.Errorf("%q read", in)
		}
	}
	if _, err := UnmarshalHistory([]byte(`{"format":2,"mirrors":[]}`)); !errors.Is(err, ErrHistoryNewer) {
		t.Errorf("newer format: %v", err)
	}
}

// Merging what was loaded under what was seen since the start keeps both,
// in time order, with one divergence where both had it open.
func TestHistoryMergeKeepsNew(t *testing.T) {
	old := glState()
	readPush(old, t0, divergedMain)
	b, _ := old.GitLabHistory.MarshalHistory()
	loaded, _ := UnmarshalHistory(b)
	s := glState()
	readPush(s, t0.Add(time.Hour), divergedMain+"\nrefs/heads/x")
	s.RecordResolution(key7, HistoryEntry{At: t0.Add(2 * time.Hour), Action: "gitlab-sync", Result: "accepted"})
	s.GitLabHistory.Merge(loaded)
	h := s.GitLabHistory.Entries(key7)
	if len(h) != 2 || h[0].Kind != HistoryResolution || !h[1].FirstSeen.Equal(t0) || len(h[1].Refs) != 2 || !h[1].Open() {
		t.Fatalf("merged %+v", h)
	}
	readPush(s, t0.Add(3*time.Hour), "")
	if h := s.GitLabHistory.Entries(key7); h[1].Open() {
		t.Errorf("merged divergence not closed %+v", h)
	}
}

// A clone's history (a replay's checkpoint) is its own: a divergence
// growing and clearing in the clone leaves the original's open, with its
// refs, and a followed update's phases stay apart too.
func TestHistoryCloneIsIndependent(t *testing.T) {
	s := glState()
	readPush(s, t0, divergedMain)
	s.FollowUpdate(key7, t0)
	logged := len(s.GitLab[0].Mirror(key7).Update.Log)
	c, _ := s.Clone(nil)
	readPush(c, t0.Add(time.Minute), divergedMain+"\nrefs/heads/develop")
	readPush(c, t0.Add(2*time.Minute), "")
	if h := s.GitLabHistory.Entries(key7); len(h) != 1 || !h[0].Open() || !reflect.DeepEqual(h[0].Refs, []string{"refs/heads/main"}) {
		t.Fatalf("the original's history changed: %+v", h)
	}
	if h := c.GitLabHistory.Entries(key7); len(h) != 1 || h[0].Open() || len(h[0].Refs) != 2 {
		t.Fatalf("the clone's history: %+v", h)
	}
	om, cm := s.GitLab[0].Mirror(key7), c.GitLab[0].Mirror(key7)
	if om.Update == nil || cm.Update == nil || om.Update.Done || !cm.Update.Done || len(om.Update.Log) != logged {
		t.Fatalf("followed update: original %+v, clone %+v", om.Update, cm.Update)
	}
}
