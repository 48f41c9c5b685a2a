package actions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

var histT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func historyWith(t *testing.T) (*model.State, string) {
	t.Helper()
	s := model.NewState(model.Spec{GitLab: []model.GitLabSpec{{Name: "gl"}}})
	s.Apply(model.Reading{Target: model.TargetID{GitLab: "gl", Project: "a/b"}, Endpoint: model.EPGitLabMirrors, At: histT0,
		Data: model.GitLabProject{Project: "a/b", Push: []model.GitLabMirror{{Direction: model.Push, ID: 3, Status: "failed",
			LastError: "Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main"}}}})
	key := "gl/a/b/push/3"
	e, ok := HistoryEntryOf(Result{Plan: Plan{Kind: KindGitLabOurs, Mirror: key}, At: histT0.Add(time.Minute), Outcome: OutcomeAccepted,
		Message: "accepted (HTTP 204)", By: Actor{User: "ana", Key: "SHA256:abc", Role: "operator"}})
	if !ok {
		t.Fatal("a GitLab action's result has no history entry")
	}
	s.RecordResolution(key, e)
	return s, key
}

func TestHistoryFileWrittenAndRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s, key := historyWith(t)
	b, err := s.GitLabHistory.MarshalHistory()
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveHistory(dir, b); err != nil {
		t.Fatal(err)
	}
	if err := SaveHistory(dir, b); err != nil { // over the old one
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, HistoryFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("history file %v %v", fi, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("leftovers in the state folder: %v", ents)
	}
	h, notice, err := LoadHistory(dir, true, histT0)
	if err != nil || notice != "" {
		t.Fatal(notice, err)
	}
	got := h.Entries(key)
	if len(got) != 2 || got[0].By != "ana (SHA256:abc)" || got[0].Action != string(KindGitLabOurs) || got[0].Result != "accepted" ||
		!got[1].Open() || got[1].Refs[0] != "refs/heads/main" {
		t.Fatalf("read back %+v", got)
	}
	// No folder, no file: an empty history.
	if h, notice, err := LoadHistory(filepath.Join(dir, "none"), true, histT0); err != nil || notice != "" || h.Len() != 0 {
		t.Errorf("missing file: %v %q %v", h, notice, err)
	}
}

// A damaged or newer file is set aside with a notice, never an error, and
// the history kept from then on does not overwrite it.
func TestHistoryFileUnusableSetAside(t *testing.T) {
	for _, body := range []string{`{"format":1,"mirrors":[{"instance":`, `{"format":9,"mirrors":[]}`} {
		dir := t.TempDir()
		path := filepath.Join(dir, HistoryFile)
		os.WriteFile(path, []byte(body), 0o600)
		// snapshot reads without moving anything.
		if h, notice, err := LoadHistory(dir, false, histT0); err != nil || h.Len() != 0 || !strings.Contains(notice, "not read") {
			t.Fatalf("%s: %q %v", body, notice, err)
		}
		h, notice, err := LoadHistory(dir, true, histT0)
		if err != nil || h == nil || h.Len() != 0 || !strings.Contains(notice, "set aside as "+HistoryFile+".bad-20260301T120000Z, not read") {
			t.Fatalf("%s: %q %v", body, notice, err)
		}
		if b, err := os.ReadFile(path + ".bad-20260301T120000Z"); err != nil || string(b) != body {
			t.Errorf("set-aside file %q %v", b, err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Error("the unusable file is still in place")
		}
	}
}

func TestHistoryEntryOfSkipsWhatAppliedNothing(t *testing.T) {
	for _, res := range []Result{
		{Plan: Plan{Kind: KindGitLabSync, Mirror: "gl/a/push/1"}, Outcome: OutcomeRefused},
		{Plan: Plan{Kind: KindGitLabSync, Mirror: "gl/a/push/1"}, Outcome: OutcomeAlreadyRunning},
		{Plan: Plan{Kind: KindSync}, Outcome: OutcomeAccepted},
	} {
		if _, ok := HistoryEntryOf(res); ok {
			t.Errorf("%+v has an entry", res)
		}
	}
	if e, ok := HistoryEntryOf(Result{Plan: Plan{Kind: KindGitLabDelete, Mirror: "gl/a/push/1"}, Outcome: OutcomeFailed}); !ok || e.Result != "failed" {
		t.Errorf("a failed delete: %+v %v", e, ok)
	}
}
