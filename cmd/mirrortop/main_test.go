package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/sim"
)

func startSim(t *testing.T, opts sim.Options) (*sim.Sim, string) {
	t.Helper()
	opts.Manual = true
	opts.Seed = 11
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	path := filepath.Join(t.TempDir(), "sim.toml")
	if err := s.WriteConfig(path); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// appendConfig adds TOML text (tables) to the end of a config file.
func appendConfig(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSnapshotJSON(t *testing.T) {
	s, path := startSim(t, sim.Options{Repos: 40, PushEvery: -1, FailRate: -1, StuckRepos: 2, User: "admin", Password: "pw-do-not-print"})
	s.Advance(time.Minute) // the stuck repos' first push syncs everywhere but on eu-3
	code, out, stderr := runCmd(t, "snapshot", "--config", path, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var snap map[string]any
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// The keys the snapshot promises.
	prim := snap["primary"].(map[string]any)
	for _, k := range []string{"url", "state", "version"} {
		if prim[k] == nil || prim[k] == "" {
			t.Errorf("primary.%s missing", k)
		}
	}
	farms := snap["farms"].([]any)
	if len(farms) != 2 {
		t.Fatalf("farms: %v", farms)
	}
	layouts := map[string]string{}
	var stuck int
	for _, f := range farms {
		fm := f.(map[string]any)
		for _, k := range []string{"name", "url", "layout", "state", "nodes", "progress", "queueDepth", "repoStatus", "mismatches"} {
			if _, ok := fm[k]; !ok {
				t.Errorf("farm key %s missing", k)
			}
		}
		layouts[fm["name"].(string)] = fm["layout"].(string)
		prog := fm["progress"].(map[string]any)
		for _, k := range []string{"discovering", "syncedRepos", "totalRepos"} {
			if _, ok := prog[k]; !ok {
				t.Errorf("progress.%s missing", k)
			}
		}
		for _, n := range fm["nodes"].([]any) {
			nm := n.(map[string]any)
			if nm["name"] == "" || nm["state"] != "SYNCHRONIZED" {
				t.Errorf("node %v", nm)
			}
		}
		for _, m := range fm["mismatches"].([]any) {
			mm := m.(map[string]any)
			for _, k := range []string{"repoId", "project", "slug", "kind", "nodes", "primaryHash", "mirrorHash", "lastSyncDate", "failedSyncCount"} {
				if _, ok := mm[k]; !ok {
					t.Errorf("mismatch key %s missing", k)
				}
			}
			stuck++
		}
	}
	if layouts["eu"] != "9.x" || layouts["us"] != "8.x" {
		t.Errorf("layouts %v", layouts)
	}
	if stuck != 2 {
		t.Errorf("%d mismatches, want the 2 stuck repos", stuck)
	}
	for _, f := range farms {
		for _, m := range f.(map[string]any)["mismatches"].([]any) {
			mm := m.(map[string]any)
			if nodes := mm["nodes"].([]any); len(nodes) != 1 || nodes[0] != "eu-3" || mm["failedSyncCount"].(float64) < 1 {
				t.Errorf("stuck repo mismatch %v: want on eu-3 with failed syncs", mm)
			}
		}
	}
	reqs := snap["pendingRequests"].([]any)
	if len(reqs) != 1 {
		t.Fatalf("pending requests %v", reqs)
	}
	r := reqs[0].(map[string]any)
	if r["id"] == "" || r["mirrorName"] != "apac" || r["mirrorBaseUrl"] != "https://mirror-apac.example.com" {
		t.Errorf("request %v", r)
	}
	if errs := snap["errors"].([]any); len(errs) != 0 {
		t.Errorf("errors %v", errs)
	}
	if strings.Contains(out+stderr, "pw-do-not-print") {
		t.Error("the password appears in the output")
	}
}

func TestSnapshotTableAndUnreadableTarget(t *testing.T) {
	s, path := startSim(t, sim.Options{Repos: 20, PushEvery: -1})
	if err := s.SetNodeDown("us", "us-2", true); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCmd(t, "snapshot", "--config", path)
	if code != exitFailure || !strings.Contains(stderr, "us/us-2") {
		t.Errorf("exit %d (want 1 for a node that cannot be read), stderr %q", code, stderr)
	}
	if strings.Contains(out, "\x1b") {
		t.Error("colour codes in output that is not a terminal")
	}
	for _, line := range strings.Split(out, "\n") {
		if w := ansi.StringWidth(line); w > tableWidth {
			t.Errorf("line of %d columns: %q", w, line)
		}
	}
	for _, want := range []string{"FARMS", "eu    9.x", "us    8.x", "DEGRADED", "us/us-2", "DOWN", "connection refused", "PENDING MIRROR REQUESTS", "apac"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestSnapshotQuickFlags(t *testing.T) {
	s, _ := startSim(t, sim.Options{Repos: 10, PushEvery: -1, Token: "tok-from-env"})
	t.Setenv("BITBUCKET_TOKEN", "tok-from-env")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	args := []string{"snapshot", "--format", "json", "--primary", s.PrimaryURL()}
	for _, f := range s.Farms() {
		args = append(args, "--farm", f.Name+"="+f.URL)
	}
	code, out, stderr := runCmd(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var snap Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Primary.Repos != 10 || len(snap.Farms) != 2 || snap.Farms[0].Nodes[0].Name != "eu" || len(snap.Errors) != 0 {
		t.Errorf("snapshot via load balancers only: %+v", snap)
	}
	if strings.Contains(out, "tok-from-env") {
		t.Error("token in output")
	}
}

func TestBadConfigExit2(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(path, []byte("[primary]\nurl = \"https://ok.example.com\"\n\n[poll]\nfast = \"soon\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "snapshot", "--config", path)
	if code != exitUsage || !strings.Contains(stderr, "bad.toml:5") || !strings.Contains(stderr, "poll.fast") {
		t.Errorf("exit %d, stderr %q: want 2 and file:line and key", code, stderr)
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	code, _, stderr = runCmd(t, "snapshot")
	if code != exitUsage || !strings.Contains(stderr, "no targets") {
		t.Errorf("no config: exit %d, %q", code, stderr)
	}
	if code, _, _ := runCmd(t, "snapshot", "--format", "xml", "--primary", "https://x.example.com"); code != exitUsage {
		t.Errorf("bad format: exit %d", code)
	}
	if code, _, _ := runCmd(t, "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
}

func TestSnapshotDemo(t *testing.T) {
	code, out, stderr := runCmd(t, "snapshot", "--demo", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var snap Snapshot
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Farms) != 2 || snap.Primary.State != "RUNNING" || len(snap.PendingRequests) != 1 {
		t.Errorf("demo snapshot %+v", snap)
	}
	n := 0
	for _, f := range snap.Farms {
		n += len(f.Mismatches)
	}
	if n == 0 {
		t.Error("the demo shows no mismatch (its stuck repos should)")
	}
}

func TestConsoleRejectsBadKeysAndThemes(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	path := filepath.Join(dir, "keys.toml")
	body := "[primary]\nurl = \"https://ok.example.com\"\n\n[keys]\nrefresh = \"ctrl+r\"\nfrobnicate = \"f\"\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "--config", path)
	if code != exitUsage || !strings.Contains(stderr, "keys.toml:6: keys.frobnicate: unknown action") {
		t.Errorf("unknown key action: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCmd(t, "--primary", "https://ok.example.com", "--theme", "neon")
	if code != exitUsage || !strings.Contains(stderr, "neon") || !strings.Contains(stderr, "dark") {
		t.Errorf("unknown theme: exit %d, %q", code, stderr)
	}
	// A theme the file names is reported at its line.
	body = "[primary]\nurl = \"https://ok.example.com\"\n\n[ui]\ntheme = \"neon\"\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, "--config", path)
	if code != exitUsage || !strings.Contains(stderr, `keys.toml:5: ui.theme: unknown theme "neon"`) {
		t.Errorf("unknown theme in the file: exit %d, %q", code, stderr)
	}
	// A user theme with an error in it is reported at the theme file's line.
	themeDir := filepath.Join(dir, "mirrortop", "themes")
	if err := os.MkdirAll(themeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(themeDir, "mine.toml"), []byte("[colors]\ntxt = \"7\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body = "[primary]\nurl = \"https://ok.example.com\"\n\n[ui]\ntheme = \"mine\"\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, "--config", path)
	if code != exitUsage || !strings.Contains(stderr, "mine.toml:2: colors.txt: unknown key") || strings.Contains(stderr, "keys.toml:") {
		t.Errorf("error inside a user theme: exit %d, %q", code, stderr)
	}
	if code, _, _ := runCmd(t, "--bogus-flag"); code != exitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
}

func TestSnapshotGitLab(t *testing.T) {
	s, _ := startSim(t, sim.Options{Repos: 10, PushEvery: -1, GitLab: &sim.GitLabOptions{Token: "glpat-snap"}})
	t.Setenv("GITLAB_TOKEN", "glpat-snap")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	code, out, stderr := runCmd(t, "snapshot", "--format", "json", "--gitlab", s.GitLabURL(),
		"--gitlab-project", "platform/web-frontend", "--gitlab-project", "platform/tools/helm-charts")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var snap map[string]any
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatal(err)
	}
	gl := snap["gitlab"].([]any)
	if len(gl) != 1 {
		t.Fatalf("gitlab %v", gl)
	}
	inst := gl[0].(map[string]any)
	mirrors := inst["mirrors"].([]any)
	if inst["name"] == "" || inst["url"] != s.GitLabURL() || len(mirrors) != 2 {
		t.Fatalf("instance %v", inst)
	}
	if inst["version"] != "18.4.1-ee" || inst["mirrorSettingsDenied"] != false ||
		!reflect.DeepEqual(inst["mirrorSettings"], map[string]any{"maxDelay": 300.0, "maxCapacity": 100.0, "capacityThreshold": 50.0}) {
		t.Errorf("instance version and mirror settings %v", inst)
	}
	for _, m := range mirrors {
		mm := m.(map[string]any)
		for _, k := range []string{"project", "direction", "id", "url", "enabled", "status", "lastUpdateAt", "lastSuccessfulUpdateAt", "lastError", "divergedRefs", "successRate", "history"} {
			if _, ok := mm[k]; !ok {
				t.Errorf("mirror key %s missing in %v", k, mm)
			}
		}
		if refs := mm["divergedRefs"].([]any); len(refs) == 0 || mm["health"] != "DIVERGED" {
			t.Errorf("diverged mirror %v", mm)
		}
	}
	if strings.Contains(out+stderr, "glpat-snap") {
		t.Error("the token is in the output")
	}
	code, out, _ = runCmd(t, "snapshot", "--gitlab", s.GitLabURL(), "--gitlab-project", "platform/web-frontend")
	if code != exitOK || !strings.Contains(out, "GITLAB") || !strings.Contains(out, "2 diverged: refs/heads/main") {
		t.Errorf("table %d:\n%s", code, out)
	}
}

// --read-only holds for the demo too (the console's and serve's).
func TestDemoReadOnly(t *testing.T) {
	for _, ro := range []bool{false, true} {
		tf := targetFlags{readOnly: ro}
		cfg, stop, code := tf.targetConfig(context.Background(), "", true, false, io.Discard)
		if code != exitOK {
			t.Fatalf("demo: exit %d", code)
		}
		stop()
		if cfg.ReadOnly != ro {
			t.Errorf("--read-only %v: demo config read-only %v", ro, cfg.ReadOnly)
		}
	}
}
