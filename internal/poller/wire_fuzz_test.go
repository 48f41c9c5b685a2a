package poller

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

func FuzzStatusPayload(f *testing.F) {
	addFixtureSeeds(f, "bitbucket", "primary-status.json", "mirror-status.json")
	for _, s := range []string{
		`{"state":"RUNNING"}`,
		`{"state" : "synchronized ", "memberCount": "3", "discovering": "true", "syncedRepos": "12", "totalRepos": 40}`,
		`{"state":"STARTING","discovering":null}`,
		`{"state":null,"memberCount":null,"syncedRepos":null,"totalRepos":null}`,
		`{"state":{"nested":true},"memberCount":[1],"totalRepos":1e30}`,
		`{"state":"\u001b[31mRED","memberCount":-4}`,
		`{"state":"ok"}{"state":"second"}`,
		`[]`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var w wireStatus
		if err := json.Unmarshal(data, &w); err != nil {
			return
		}
		s := w.model()
		if want := strings.ToUpper(strings.TrimSpace(string(w.State))); s.State != want {
			t.Errorf("state %q, want %q", s.State, want)
		}
		if s.MemberCount != int(w.MemberCount) {
			t.Errorf("memberCount %d, want %d", s.MemberCount, int(w.MemberCount))
		}
		hasProgress := w.Discovering != nil || w.SyncedRepos != nil || w.TotalRepos != nil
		if s.HasProgress != hasProgress {
			t.Errorf("HasProgress %v for %s", s.HasProgress, data)
		}
		if !hasProgress && s.Progress != (model.Progress{}) {
			t.Errorf("progress %+v without progress fields in %s", s.Progress, data)
		}
		if hasProgress && (s.Progress.SyncedRepos != derefInt(w.SyncedRepos) || s.Progress.TotalRepos != derefInt(w.TotalRepos)) {
			t.Errorf("progress %+v from %s", s.Progress, data)
		}
		_ = s.Progress.InitialSync()
	})
}

// checkRepo checks one repository's model against its wire form.
func checkRepo(t *testing.T, w wireRepo) {
	t.Helper()
	m := w.model()
	want, httpHref := "", ""
	for _, l := range w.Links.Clone {
		if l.Href == "" {
			continue
		}
		if want == "" {
			want = string(l.Href)
		}
		if strings.EqualFold(string(l.Name), "http") || strings.EqualFold(string(l.Name), "https") {
			httpHref = string(l.Href)
		}
	}
	if httpHref != "" {
		want = httpHref
	}
	if m.CloneURL != want {
		t.Errorf("clone URL %q, want %q (links %+v)", m.CloneURL, want, w.Links.Clone)
	}
	if m.State != strings.ToUpper(strings.TrimSpace(string(w.State))) {
		t.Errorf("state %q from %q", m.State, w.State)
	}
	if m.ID != string(w.ID) || m.Slug != string(w.Slug) || m.ProjectKey != string(w.Project.Key) ||
		m.Hashes.Content != string(w.Properties.ContentHash) || m.Hashes.Metadata != string(w.Properties.MetadataHash) {
		t.Errorf("repo %+v from %+v", m, w)
	}
}

func FuzzRepoPage(f *testing.F) {
	addFixtureSeeds(f, "bitbucket", "repos-page1.json", "repos-page2.json", "repos-single.json")
	for _, s := range []string{
		`{"size":1,"limit":25,"isLastPage":true,"start":0,"values":[{"id":1,"slug":"a","name":"A","state":"available","project":{"id":2,"key":"P"},"properties":{"contentHash":"c","metadataHash":"m"},"links":{"clone":[{"name":"ssh","href":"ssh://git@h/p/a.git"},{"name":"HTTP","href":"https://h/scm/p/a.git"}]}}]}`,
		`{"id":42,"slug":"lonely","state":"AVAILABLE","project":{"id":9,"key":"SOLO"}}`,
		`{"values":null,"id":"7","links":{"clone":[{"name":"ssh","href":""},{"name":"other","href":"x"},{"name":"https","href":""}]}}`,
		`{"isLastPage":"false","nextPageStart":"25","values":[{}, null, {"id":null}]}`,
		`{"values":{"id":1}}`,
		`{"values":[{"links":{"clone":{"name":"http"}}}]}`,
		`{"values":[{"properties":{"contentHash":123,"metadataHash":true}}]}`,
		`{"values":[{"slug":"a\u001b]0;x\u0007"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p repoPage
		if err := json.Unmarshal(data, &p); err != nil {
			return
		}
		for _, w := range p.Values {
			checkRepo(t, w)
		}
		checkRepo(t, p.wireRepo)
	})
}

func FuzzSyncStatusPage(f *testing.F) {
	addFixtureSeeds(f, "bitbucket", "repo-sync-status.json", "repo-sync-status-doc.json")
	for _, s := range []string{
		`{"size":1,"isLastPage":true,"values":[{"externalRepoId":"1","upstreamId":"u","localRepoId":1001,"localProjectId":"11","failedSyncCount":0,"initialSyncDate":"2026-11-20T08:00:00.000Z","lastSyncDate":1763625600000,"repoSlug":"r","hashes":{"content":"c","metadata":"m"}}]}`,
		`{"values":[{"failedSyncCount":"3","initialSyncDate":null,"lastSyncDate":"<string>","hashes":null}]}`,
		`{"values":[{"failedSyncCount":-1,"initialSyncDate":"0","lastSyncDate":"-1"}]}`,
		`{"values":[{"initialSyncDate":9223372036854775807,"lastSyncDate":"99999999999"}]}`,
		`{"nextPageStart":null,"isLastPage":null,"values":[]}`,
		`{"values":[null,{},[]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p page[wireSyncStatus]
		if err := json.Unmarshal(data, &p); err != nil {
			return
		}
		for _, w := range p.Values {
			m := w.model()
			st := m.Status()
			switch {
			case m.FailedSyncCount > 0 && st != model.RepoErrorInitializing && st != model.RepoErrorAvailable:
				t.Errorf("failing repo %+v has status %s", m, st)
			case m.FailedSyncCount <= 0 && st != model.RepoInitializing && st != model.RepoAvailable:
				t.Errorf("repo %+v has status %s", m, st)
			}
			for _, tm := range []time.Time{m.InitialSyncDate.Time(), m.LastSyncDate.Time()} {
				if !tm.IsZero() && tm.Location() != time.UTC {
					t.Errorf("time %v not in UTC", tm)
				}
			}
			if m.ExternalRepoID != string(w.ExternalRepoID) ||
				m.Hashes.Content != string(w.Hashes.Content) || m.Hashes.Metadata != string(w.Hashes.Metadata) {
				t.Errorf("sync status %+v from %+v", m, w)
			}
		}
	})
}

func FuzzRepoHashes(f *testing.F) {
	addFixtureSeeds(f, "bitbucket", "repo-hashes.json")
	for _, s := range []string{
		`[{"id":1,"contentHash":"c1"}]`,
		`{"id":1,"contentHash":"c1"}` + "\n" + `{"id":2,"contentHash":"c2"}`,
		`{"projects":[{"id":1,"public":false}]}`,
		`{"values":[{"repositoryId":"9","hashes":{"content":"c","metadata":"m"}}],"isLastPage":true}`,
		`{"repos":[{"id":"","contentHash":"orphan"}],"repositories":[{"id":null,"repositoryId":"3","metadata":"m3"}]}`,
		`{"id":"4","contentHash":"","metadataHash":"","hashes":null}`,
		`[[1,2],{"id":5}]`,
		`[] [] {"id":6,"content":"c6"} 7 "x" null`,
		`{"projects":null,"values":{}}`,
		`{"id":1,"contentHash":"c1"}{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out := model.RepoHashSet{}
		_ = decodeRepoHashes(bytes.NewReader(data), out)
		for id, h := range out {
			if id == "" {
				t.Errorf("empty repository id in %v from %q", out, data)
			}
			if h.Content == "" && h.Metadata == "" {
				t.Errorf("repository %q has no hashes, from %q", id, data)
			}
		}
	})
}
