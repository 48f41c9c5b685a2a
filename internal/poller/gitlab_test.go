package poller

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// gitlabFixtures serves testdata/fixtures/gitlab files: the payloads of
// GitLab's documentation, in both pull-mirror field sets.
func gitlabFixtures(t *testing.T, pull string, pullStatus int) *httptest.Server {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", "gitlab", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("RateLimit-Limit", "600")
		w.Header().Set("RateLimit-Remaining", "420")
		w.Header().Set("RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
		switch r.URL.EscapedPath() {
		case "/api/v4/projects/group%2Fproj/remote_mirrors":
			_, _ = w.Write(read("remote-mirrors.json"))
		case "/api/v4/projects/group%2Fproj/mirror/pull":
			w.WriteHeader(pullStatus)
			_, _ = w.Write(read(pull))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"404 Not Found"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGitLabDecodesDocumentedPayloads(t *testing.T) {
	for _, c := range []struct {
		file       string
		status     int
		enabled    bool
		overwrite  bool
		wantPull   bool
		pullStatus string
	}{
		{"pull-mirror-17.5.json", 200, true, false, true, "finished"},
		{"pull-mirror-15.6.json", 200, true, false, true, "failed"}, // no "enabled" before 17.5: on
		{"not-mirrored.json", 400, false, false, false, ""},
	} {
		srv := gitlabFixtures(t, c.file, c.status)
		gc, err := NewGitLabClient(GitLabOptions{Name: "gl", BaseURL: srv.URL, Token: "t"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := gc.ProjectMirrors(context.Background(), ProjectInfo{Path: "group/proj"})
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if len(res.Push) != 4 {
			t.Fatalf("%s: %d push mirrors", c.file, len(res.Push))
		}
		p := res.Push
		if p[0].ID != 101486 || !p[0].OnlyProtected || !p[0].KeepDivergentRefs || p[0].Status != "finished" || p[0].LastError != "" ||
			!p[0].LastSuccessfulUpdateAt.Equal(time.Date(2020, 1, 6, 17, 32, 2, 823e6, time.UTC)) || p[0].AuthMethod != "ssh_public_key" {
			t.Errorf("push[0] %+v", p[0])
		}
		if refs := model.ParseDivergedRefs(p[1].LastError); len(refs) != 2 || p[1].Status != "failed" {
			t.Errorf("push[1] %+v", p[1])
		}
		if p[2].Status != "to_retry" || !p[2].LastSuccessfulUpdateAt.IsZero() || p[2].BranchRegex != "^release/" {
			t.Errorf("push[2] %+v", p[2])
		}
		if p[3].Enabled || !p[3].LastUpdateAt.IsZero() || p[3].Status != "none" || p[3].URL != "https://*****:*****@example.com/new.git" {
			t.Errorf("push[3] %+v", p[3])
		}
		if (res.Pull != nil) != c.wantPull {
			t.Fatalf("%s: pull %+v", c.file, res.Pull)
		}
		if res.Pull != nil && (res.Pull.Enabled != c.enabled || res.Pull.Status != c.pullStatus || res.Pull.OnlyProtected || res.Pull.OverwriteDiverged != c.overwrite) {
			t.Errorf("%s: pull %+v", c.file, res.Pull)
		}
		if l, rem, reset := gc.RateLimit(); l != 600 || rem != 420 || reset.IsZero() {
			t.Errorf("rate limit %d %d %v", l, rem, reset)
		}
	}
}

func TestRateGateSlowsDown(t *testing.T) {
	g := &rateGate{limit: 600, remaining: 300, reset: time.Now().Add(time.Minute)}
	now := time.Now()
	if d := g.wait(now); d != 0 {
		t.Errorf("half the quota left: wait %v", d)
	}
	g.remaining = 29 // under a tenth: spread 30 requests over the minute left
	if d := g.wait(now); d < time.Second || d > 2*time.Second {
		t.Errorf("low quota: wait %v, want about 2s", d)
	}
	g.remaining, g.reset = 0, now.Add(10*time.Minute)
	if d := g.wait(now); d != maxGateWait {
		t.Errorf("exhausted: wait %v, want the cap", d)
	}
	g.reset = now.Add(-time.Second)
	if d := g.wait(now); d != 0 {
		t.Errorf("after the reset: wait %v", d)
	}
}

// A server whose project list never ends is an error naming the path,
// not a silently cut list; a list that ends is read to its last page.
func TestGroupProjectsPaging(t *testing.T) {
	old := maxGitLabPages
	maxGitLabPages = 5
	t.Cleanup(func() { maxGitLabPages = old })
	var endless atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page < 1 {
			page = 1
		}
		w.Header().Set("Content-Type", "application/json")
		if endless.Load() || page < 5 {
			w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
		}
		_, _ = w.Write([]byte(`[{"id":` + strconv.Itoa(page) + `,"path_with_namespace":"g/p` + strconv.Itoa(page) + `","mirror":true}]`))
	}))
	t.Cleanup(srv.Close)
	c, err := NewGitLabClient(GitLabOptions{Name: "gitlab", BaseURL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := c.GroupProjects(context.Background(), "g", true)
	if err != nil || len(ps) != 5 || ps[4].Path != "g/p5" || !ps[4].PullMirror {
		t.Fatalf("5 pages: %+v, %v", ps, err)
	}
	endless.Store(true)
	ps, err = c.GroupProjects(context.Background(), "g", true)
	if err == nil || ps != nil || !strings.Contains(err.Error(), "groups/g/projects") || !strings.Contains(err.Error(), "more than 5 pages") {
		t.Fatalf("endless: %d projects, %v", len(ps), err)
	}
}

// A GitLab answer past max_body_mb is an error saying so, read no further.
func TestGitLabBodyCap(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"id":1,"url":"https://x/`))
		chunk := []byte(strings.Repeat("a", 64<<10))
		for range 64 { // 4 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`"}]`))
	}))
	t.Cleanup(srv.Close)
	c, err := NewGitLabClient(GitLabOptions{Name: "gl", BaseURL: srv.URL, Token: "t", MaxBody: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ProjectMirrors(context.Background(), ProjectInfo{Path: "g/p", PullKnown: true})
	if err == nil || !strings.Contains(err.Error(), "larger than 1 MiB") || !strings.Contains(err.Error(), "remote_mirrors") {
		t.Fatalf("error %v", err)
	}
}

// A push-mirror list that never ends is an error too, not a cut list.
func TestProjectMirrorsPaging(t *testing.T) {
	old := maxGitLabPages
	maxGitLabPages = 3
	t.Cleanup(func() { maxGitLabPages = old })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
		_, _ = w.Write([]byte(`[{"id":` + strconv.Itoa(page) + `,"url":"https://x/r.git","update_status":"finished"}]`))
	}))
	t.Cleanup(srv.Close)
	c, err := NewGitLabClient(GitLabOptions{Name: "gl", BaseURL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ProjectMirrors(context.Background(), ProjectInfo{Path: "g/p", PullKnown: true})
	if err == nil || !strings.Contains(err.Error(), "remote_mirrors") || !strings.Contains(err.Error(), "more than 3 pages") {
		t.Fatalf("endless push mirrors: %v", err)
	}
}
