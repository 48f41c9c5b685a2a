package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/sim"
	"github.com/mirrortop/mirrortop/internal/snapshot"
)

// startServe runs `mirrortop serve args...` until the test ends and
// returns the base URL of its HTTP side; stop ends it and returns its exit
// code.
func startServe(t *testing.T, args ...string) (base string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), &out, &errb) }()
	code, stopped := 0, false
	stop = func() int {
		if !stopped {
			cancel()
			select {
			case code = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("serve did not stop within 10 s of its context ending")
			}
			stopped = true
		}
		return code
	}
	t.Cleanup(func() { stop() })
	re := regexp.MustCompile(`HTTP on (http://\S+) `)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1], stop
		}
		select {
		case code = <-done:
			stopped = true
			t.Fatalf("serve exited %d: %s", code, errb.String())
		default:
		}
	}
	t.Fatalf("serve never listened: %s%s", out.String(), errb.String())
	return "", nil
}

func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if code, _ := httpGet(t, base+"/readyz"); code == http.StatusOK {
			return
		}
	}
	t.Fatal("never ready")
}

// snapshotSummary is what two snapshots of the same servers share whatever
// the moment: the farms, the repository count and each farm's mismatches.
func snapshotSummary(s Snapshot) map[string]any {
	out := map[string]any{"repos": s.Primary.Repos}
	for _, f := range s.Farms {
		ids := []string{}
		for _, m := range f.Mismatches {
			ids = append(ids, m.RepoID)
		}
		out["farm "+f.Name] = ids
	}
	return out
}

// serve with [serve] http_listen publishes what a snapshot of the same
// servers shows, and stops cleanly when its context ends.
func TestServeHTTPFromConfig(t *testing.T) {
	s, path := startSim(t, sim.Options{Repos: 40, PushEvery: -1, FailRate: -1, StuckRepos: 2, User: "admin", Password: "pw-do-not-print"})
	s.Advance(time.Minute) // the stuck repos' first push syncs everywhere but on eu-3
	// One round only: nothing is polled again within the test.
	appendConfig(t, path, "\n[poll]\nfast = \"1h\"\nslow = \"1h\"\n\n[serve]\nhttp_listen = \"127.0.0.1:0\"\n")
	base, stop := startServe(t, "--config", path)
	if code, body := httpGet(t, base+"/healthz"); code != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	waitReady(t, base)
	code, body := httpGet(t, base+"/snapshot")
	if code != http.StatusOK {
		t.Fatalf("snapshot: %d %s", code, body)
	}
	var got Snapshot
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("not a snapshot: %v\n%.300s", err, body)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := takeSnapshot(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := snapshotSummary(got), snapshotSummary(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("served %v\nsnapshot %v", g, w)
	}
	if len(got.Farms) != 2 || got.Primary.Repos != 40 || len(got.Farms[0].Mismatches)+len(got.Farms[1].Mismatches) == 0 {
		t.Fatalf("a thin snapshot: %v", snapshotSummary(got))
	}

	// 50 GETs of the snapshot reach no server.
	before := s.RequestCounts()
	for range 50 {
		if code, _ := httpGet(t, base+"/snapshot"); code != http.StatusOK {
			t.Fatalf("snapshot again: %d", code)
		}
	}
	if after := s.RequestCounts(); !reflect.DeepEqual(before, after) {
		t.Fatalf("50 GETs of /snapshot reached the servers:\nbefore %v\nafter  %v", before, after)
	}

	if code := stop(); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after stop")
	}
}

// serve --demo serves the built-in simulator on --http.
func TestServeDemo(t *testing.T) {
	base, stop := startServe(t, "--demo", "--http", "127.0.0.1:0")
	waitReady(t, base)
	code, body := httpGet(t, base+"/snapshot")
	var got Snapshot
	if err := json.Unmarshal(body, &got); code != http.StatusOK || err != nil || len(got.Farms) < 2 || got.Primary.Repos == 0 {
		t.Fatalf("snapshot: %d %v %v", code, err, snapshotSummary(got))
	}
	if code := stop(); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
}

// --ssh without the keys it lets in is refused before anything listens.
func TestServeSSHNeedsKeys(t *testing.T) {
	code, out, stderr := runCmd(t, "serve", "--demo", "--ssh", "127.0.0.1:0", "--host-key", filepath.Join(t.TempDir(), "hk"))
	if code != exitUsage || out != "" || !strings.Contains(stderr, "SSH needs the keys it lets in: pass --authorized-keys FILE") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

func TestServeNeedsAListener(t *testing.T) {
	code, _, stderr := runCmd(t, "serve", "--primary", "http://127.0.0.1:1")
	if code != exitUsage || stderr != "mirrortop serve: nothing to serve: pass --ssh ADDR and/or --http ADDR (or set [serve] ssh_listen, http_listen)\n" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// serve's /snapshot carries the GitLab mirrors' conflict history from the
// shared state: the demo's diverged push mirror has an open divergence
// naming its refs.
func TestServeSnapshotHistory(t *testing.T) {
	base, _ := startServe(t, "--demo", "--http", "127.0.0.1:0")
	waitReady(t, base)
	var found *snapshot.SnapGitLabMirror
	for deadline := time.Now().Add(20 * time.Second); found == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		_, body := httpGet(t, base+"/snapshot")
		var got Snapshot
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		for _, g := range got.GitLab {
			for i, m := range g.Mirrors {
				if m.Direction == "push" && len(m.DivergedRefs) > 0 && len(m.History) > 0 {
					found = &g.Mirrors[i]
				}
			}
		}
	}
	if found == nil {
		t.Fatal("no diverged push mirror with a history in /snapshot")
	}
	e := found.History[0]
	if e.Kind != "divergence" || e.FirstSeen == nil || e.ClearedAt != nil || !reflect.DeepEqual(e.Refs, found.DivergedRefs) {
		t.Fatalf("%s: history %+v, diverged refs %v", found.Project, found.History, found.DivergedRefs)
	}
}
