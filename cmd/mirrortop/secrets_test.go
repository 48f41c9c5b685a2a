package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// The canaries are the test credentials; no output channel may show them.
const (
	pwCanary    = "PW-leak-canary-1"
	tokenCanary = "GLPAT-leak-canary-2"
)

func checkNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, c := range []string{pwCanary, tokenCanary} {
		if strings.Contains(text, c) {
			t.Errorf("%s shows a credential (%s)", where, c)
		}
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	s, err := sim.Start(sim.Options{Repos: 20, Manual: true, Seed: 9, PushEvery: -1, StuckRepos: 1,
		User: "admin", Password: pwCanary, GitLab: &sim.GitLabOptions{Token: tokenCanary}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	cfgPath := filepath.Join(dir, "sim.toml")
	if err := s.WriteConfig(cfgPath); err != nil {
		t.Fatal(err)
	}
	// Snapshots, in both formats.
	for _, format := range []string{"json", "table"} {
		_, out, stderr := runCmd(t, "snapshot", "--config", cfgPath, "--format", format)
		checkNoSecret(t, "snapshot "+format, out+stderr)
	}
	// Wrong credentials: the errors quote no credential either.
	bad := filepath.Join(dir, "bad.toml")
	b, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(bad, []byte(strings.ReplaceAll(string(b), pwCanary, pwCanary+"-wrong")), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out, stderr := runCmd(t, "snapshot", "--config", bad, "--format", "json")
	if !strings.Contains(out, "401") {
		t.Errorf("wrong password: no 401 in %s", out)
	}
	checkNoSecret(t, "snapshot with a wrong password", out+stderr)
	// Credentials inside a URL given on the command line.
	t.Setenv("BITBUCKET_USER", "")
	u := strings.Replace(s.PrimaryURL(), "http://", "http://admin:"+pwCanary+"@", 1)
	_, out, stderr = runCmd(t, "snapshot", "--format", "json", "--primary", u)
	checkNoSecret(t, "snapshot with credentials in --primary", out+stderr)
	_, out, stderr = runCmd(t, "snapshot", "--primary", "ftp://admin:"+pwCanary+"@x")
	checkNoSecret(t, "a bad --primary URL", out+stderr)
	// A password that holds "/" (or "?", "#") ends the URL's authority early.
	_, out, stderr = runCmd(t, "snapshot", "--primary", "https://admin:"+pwCanary+"/x@bb")
	checkNoSecret(t, "a --primary password with a slash", out+stderr)
	// A config readable by others draws a warning naming the file only.
	loose := filepath.Join(dir, "loose.toml")
	if err := os.WriteFile(loose, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, stderr = runCmd(t, "snapshot", "--config", loose, "--format", "json")
	if !strings.Contains(stderr, "readable by others") {
		t.Errorf("no warning for a world-readable config with secrets: %q", stderr)
	}
	checkNoSecret(t, "the warning", out+stderr)

	// The console: screen, log file and audit log, through actions and failures.
	logFile := filepath.Join(dir, "mirrortop.log")
	h := newHarness(t, sim.Options{Repos: 20, StuckRepos: 1, User: "admin", Password: pwCanary, GitLab: &sim.GitLabOptions{Token: tokenCanary}}, func(c *config.Config) {
		c.UI.LogFile = logFile
	})
	h.s.SetFault("primary", "/rest/mirroring/latest/requests/", sim.Fault{Status: 500, Body: `{"errors":[{"message":"` + pwCanary + ` echoed by a bad server"}]}`})
	h.keys("4")
	h.waitText("apac") // the pending request, read by its own task
	h.keys("a", "y")
	h.waitText("Failed: HTTP 500", "*** echoed by a bad server")
	checkNoSecret(t, "the status line", h.screen())
	h.s.SetFault("gitlab", "/api/v4/projects/platform/auth-service/remote_mirrors/305/sync", sim.Fault{Status: 500, Body: `{"message":"token ` + tokenCanary + ` rejected"}`})
	h.keys("6")
	h.waitText("platform/auth-service", "STUCK")
	h.keys("g", "s", "y") // the first row: the stuck platform/auth-service push mirror 305
	h.waitText("Failed: HTTP 500 Internal Server Error: token *** rejected")
	h.keys("2", "enter")
	h.waitText("Mirror status and clone URLs")
	checkNoSecret(t, "the screen", h.screen())
	b, _ = os.ReadFile(filepath.Join(h.cfg.StateDir, "audit.log"))
	checkNoSecret(t, "the audit log", string(b))
	time.Sleep(100 * time.Millisecond)
	lb, _ := os.ReadFile(logFile)
	checkNoSecret(t, "the log file", string(lb))
}
