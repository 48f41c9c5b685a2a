package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/doctor"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// configWith writes the simulator's config with one string replaced (a
// token the servers do not know, say).
func configWith(t *testing.T, s *sim.Sim, old, repl string) string {
	t.Helper()
	txt := s.ConfigTOML()
	if !strings.Contains(txt, old) {
		t.Fatalf("config lacks %q", old)
	}
	path := filepath.Join(t.TempDir(), "doctor.toml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(txt, old, repl)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// doctorJSON runs `doctor --format json` and decodes its report.
func doctorJSON(t *testing.T, args ...string) (int, doctor.Report) {
	t.Helper()
	code, out, stderr := runCmd(t, append([]string{"doctor", "--format", "json"}, args...)...)
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d, not JSON: %v\n%s\nstderr: %s", code, err, out, stderr)
	}
	return code, rep
}

// find returns the checks of one kind, by target.
func find(rep doctor.Report, check string) map[string]doctor.Check {
	out := map[string]doctor.Check{}
	for _, c := range rep.Checks {
		if c.Check == check {
			out[c.Target] = c
		}
	}
	return out
}

func TestDoctorWrongTokenSaidOncePerTarget(t *testing.T) {
	s, _ := startSim(t, sim.Options{Repos: 20, PushEvery: -1, Token: "right-token-1234"})
	path := configWith(t, s, "right-token-1234", "wrong-token-9876")
	code, rep := doctorJSON(t, "--config", path)
	if code != doctor.ExitFail {
		t.Errorf("exit %d, want %d", code, doctor.ExitFail)
	}
	auth := find(rep, doctor.CheckAuth)
	if len(auth) != 3 {
		t.Fatalf("authentication lines %v, want one per target (primary, eu, us)", auth)
	}
	for _, target := range []string{"primary", "eu", "us"} {
		c := auth[target]
		if c.Status != doctor.Fail || !strings.HasPrefix(c.Message, "authentication failed (HTTP 401): the credentials are wrong or expired (") {
			t.Errorf("%s: %+v", target, c)
		}
	}
	if n := strings.Count(mustJSON(t, rep), "credentials are wrong or expired"); n != 3 {
		t.Errorf("said %d times, want 3", n)
	}
	// /status needs no credentials: the servers are reachable.
	for target, c := range find(rep, doctor.CheckReach) {
		if c.Status != doctor.OK {
			t.Errorf("reachable %s: %+v", target, c)
		}
	}
	if strings.Contains(mustJSON(t, rep), "wrong-token-9876") {
		t.Error("the token is in the report")
	}

	// The snapshot table groups the primary's 401s into one line.
	_, out, _ := runCmd(t, "snapshot", "--config", path)
	lines := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "HTTP 401") {
			lines++
		}
	}
	if lines != 3 { // the primary, eu with its nodes, us with its nodes
		t.Errorf("%d lines with HTTP 401, want one per target (3):\n%s", lines, out)
	}
	if !strings.Contains(out, "\nus, us-1, us-2: authentication failed (HTTP 401): the credentials are wrong or expired") {
		t.Errorf("no grouped line for us and its nodes:\n%s", out)
	}
	if !strings.Contains(out, "primary: authentication failed (HTTP 401): the credentials are wrong or expired (4 endpoints)") {
		t.Errorf("no grouped line for the primary:\n%s", out)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDoctorNonAdminToken(t *testing.T) {
	s, _ := startSim(t, sim.Options{Repos: 20, PushEvery: -1, Token: "admin-token-1234", UserToken: "plain-user-5678"})
	path := configWith(t, s, "admin-token-1234", "plain-user-5678")
	code, rep := doctorJSON(t, "--config", path)
	if code != doctor.ExitFail {
		t.Errorf("exit %d", code)
	}
	auth := find(rep, doctor.CheckAuth)
	for _, target := range []string{"primary", "eu", "us"} {
		c := auth[target]
		if c.Status != doctor.Fail || !strings.HasPrefix(c.Message, "permission denied (HTTP 403): the mirroring resources need an ADMIN or SYS_ADMIN user (") ||
			c.Fix != "use the credentials of a user with ADMIN (or SYS_ADMIN) permission on the primary" {
			t.Errorf("%s: %+v", target, c)
		}
	}
	// application-properties answers a non-admin: the versions are read.
	if c := find(rep, doctor.CheckVersion)["primary"]; c.Status != doctor.OK || c.Message != "Bitbucket 9.6.2" {
		t.Errorf("version: %+v", c)
	}
	if c := find(rep, doctor.CheckSSH)["primary"]; c.Status != doctor.OK || c.Message != "SSH access for Git is on (port 7999)" {
		t.Errorf("ssh: %+v", c)
	}
}

func TestDoctorCertificates(t *testing.T) {
	for _, tc := range []struct {
		mode   string
		status doctor.Status
		prefix string
	}{
		{sim.TLSExpired, doctor.Fail, "certificate expired "},
		{sim.TLSWrongName, doctor.Fail, "certificate does not match the host name: "},
		{sim.TLSUnknownCA, doctor.Fail, "certificate signed by an unknown authority"},
		{sim.TLSValid, doctor.OK, "certificate valid, expires in 29 days ("},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			s, path := startSim(t, sim.Options{Repos: 10, PushEvery: -1, TLS: tc.mode})
			if tc.mode == sim.TLSUnknownCA {
				// Trust nothing extra: the sim's CA is unknown to this machine.
				path = configWith(t, s, "ca_file = ", "# ca_file = ")
			}
			code, rep := doctorJSON(t, "--config", path)
			https := find(rep, doctor.CheckHTTPS)
			if len(https) != 8 {
				t.Errorf("%d https lines, want 8 (primary, 2 farms, 5 nodes)", len(https))
			}
			for target, c := range https {
				if c.Status != tc.status || !strings.HasPrefix(c.Message, tc.prefix) {
					t.Errorf("%s: %+v", target, c)
				}
			}
			want := doctor.ExitFail
			if tc.mode == sim.TLSValid {
				want = doctor.ExitWarn // the 8.x farm's version differs from the primary's
			}
			if code != want {
				t.Errorf("exit %d, want %d", code, want)
			}
		})
	}
}

func TestDoctorSSHOff(t *testing.T) {
	_, path := startSim(t, sim.Options{Repos: 10, PushEvery: -1, NoSSH: true})
	_, rep := doctorJSON(t, "--config", path)
	c := find(rep, doctor.CheckSSH)["primary"]
	if c.Status != doctor.Fail || c.Message != "SSH access for Git is off on the primary: mirrors sync over SSH" {
		t.Errorf("%+v", c)
	}
}

func TestDoctorGitLab(t *testing.T) {
	s, path := startSim(t, sim.Options{Repos: 10, PushEvery: -1,
		GitLab: &sim.GitLabOptions{Token: "glpat-right-1234", TokenScopes: []string{"read_api", "read_repository"}, NoPremium: true}})
	_, rep := doctorJSON(t, "--config", path)
	if c := find(rep, doctor.CheckToken)["gitlab gitlab"]; c.Status != doctor.OK || !strings.HasPrefix(c.Message, "the token is valid, expires ") {
		t.Errorf("token: %+v", c)
	}
	if c := find(rep, doctor.CheckScope)["gitlab gitlab"]; c.Status != doctor.Warn ||
		c.Message != "scopes read_api, read_repository: read_api watches, but syncing or resolving a mirror needs api" {
		t.Errorf("scope: %+v", c)
	}
	if c := find(rep, doctor.CheckPull)["gitlab gitlab"]; c.Status != doctor.Warn || !strings.Contains(c.Message, "pull mirrors need GitLab Premium or Ultimate") {
		t.Errorf("pull: %+v", c)
	}

	bad := configWith(t, s, "glpat-right-1234", "glpat-wrong-9876")
	code, rep := doctorJSON(t, "--config", bad)
	if code != doctor.ExitFail {
		t.Errorf("exit %d", code)
	}
	if c := find(rep, doctor.CheckToken)["gitlab gitlab"]; c.Status != doctor.Fail || c.Message != "the token is refused (HTTP 401): wrong, revoked or expired" {
		t.Errorf("bad token: %+v", c)
	}
}

func TestDoctorJSONShapeTableAndExitCodes(t *testing.T) {
	s, path := startSim(t, sim.Options{Repos: 10, PushEvery: -1})
	code, out, _ := runCmd(t, "doctor", "--config", path, "--format", "json")
	var raw map[string][]map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, c := range raw["checks"] {
		for _, k := range []string{"target", "check", "status", "message"} {
			if _, ok := c[k].(string); !ok {
				t.Errorf("check lacks %s: %v", k, c)
			}
		}
	}
	if code != doctor.ExitWarn { // plain HTTP on loopback, and an 8.x farm
		t.Errorf("exit %d, want %d", code, doctor.ExitWarn)
	}
	code, out, _ = runCmd(t, "doctor", "--config", path)
	if code != doctor.ExitWarn || !strings.Contains(out, "STATUS   TARGET   CHECK            FINDING\n") ||
		!strings.Contains(out, "WARN     us/us-1  version          Bitbucket 8.19.9 while the primary runs 9.6.2\n") ||
		!strings.Contains(out, "→ upgrade the primary and its mirrors to the same major version\n") {
		t.Errorf("exit %d, table:\n%s", code, out)
	}
	// Nothing answers: exit 3.
	s.Close()
	code, out, _ = runCmd(t, "doctor", "--config", path)
	if code != doctor.ExitUnchecked {
		t.Errorf("exit %d with every server gone, want %d:\n%s", code, doctor.ExitUnchecked, out)
	}
	if code, _, _ := runCmd(t, "doctor", "--format", "yaml", "--config", path); code != exitUsage {
		t.Errorf("bad format: exit %d", code)
	}
}

// The checks on what the poll found: a node's clock off the primary's, a
// farm polled through its load balancer only (members not polled) and the
// out-of-sync diagnostics on one farm, off on another.
func TestDoctorClockMembersDiagnostics(t *testing.T) {
	s, _ := startSim(t, sim.Options{Repos: 10, PushEvery: -1, FailRate: -1, Token: "tok",
		Farms: []sim.FarmSpec{
			{Name: "syd", Nodes: 3, AllProjects: true, Diagnostics: true},
			{Name: "fra", Nodes: 2, AllProjects: true},
		}})
	if err := s.SetClockSkew("syd/syd-2", 45*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BITBUCKET_TOKEN", "tok")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	syd, fra := s.Farms()[0], s.Farms()[1]
	// syd by its nodes (their clocks can be compared), fra by its load
	// balancer alone.
	cfg := "[primary]\nurl = \"" + s.PrimaryURL() + "\"\n[primary.auth]\ntype = \"bearer\"\ntoken_env = \"BITBUCKET_TOKEN\"\n" +
		"[[farm]]\nname = \"syd\"\nurl = \"" + syd.URL + "\"\n"
	for _, n := range syd.Nodes {
		cfg += "[[farm.node]]\nname = \"" + n.Name + "\"\nurl = \"" + n.URL + "\"\n"
	}
	cfg += "[[farm]]\nname = \"fra\"\nurl = \"" + fra.URL + "\"\n"
	path := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, rep := doctorJSON(t, "--config", path)
	if code != doctor.ExitFail {
		t.Errorf("exit %d, want %d (a clock past 30s)", code, doctor.ExitFail)
	}
	clock := find(rep, doctor.CheckClock)
	if c := clock["syd/syd-2"]; c.Status != doctor.Fail || !strings.HasPrefix(c.Message, "clock 45s ahead of the primary's: past 30s a mirror cannot authenticate") || c.Fix == "" {
		t.Errorf("syd-2 clock: %+v", c)
	}
	for _, target := range []string{"syd/syd-1", "syd/syd-3", "fra"} {
		if c := clock[target]; c.Status != doctor.OK || c.Message != "clock agrees with the primary's" {
			t.Errorf("%s clock: %+v", target, c)
		}
	}
	members := find(rep, doctor.CheckMembers)
	if c := members["syd"]; c.Status != doctor.OK || c.Message != "all 3 members polled at their own URL" {
		t.Errorf("syd members: %+v", c)
	}
	if c := members["fra"]; c.Status != doctor.Warn || !strings.HasPrefix(c.Message, "1 of 2 members polled; not polled: fra-") || !strings.Contains(c.Fix, "node_url") {
		t.Errorf("fra members: %+v", c)
	}
	diag := find(rep, doctor.CheckDiag)
	if c := diag["syd"]; c.Status != doctor.OK || !strings.HasPrefix(c.Message, "on:") {
		t.Errorf("syd diagnostics: %+v", c)
	}
	if c := diag["fra"]; c.Status != doctor.OK || !strings.HasPrefix(c.Message, "diagnostics off on this farm") {
		t.Errorf("fra diagnostics: %+v", c)
	}
}

// The doctor table fits its width: a long finding and its fix wrap under
// the FINDING column, nothing cut short.
func TestDoctorTableWraps(t *testing.T) {
	msg := "http://127.0.0.1:1/node/eu-1 is plain HTTP: Smart Mirroring requires HTTPS with a valid certificate on the primary and every mirror"
	fix := "serve Bitbucket over HTTPS (a CA-signed certificate) and use the https:// URL of every node"
	rep := doctor.Report{Checks: []doctor.Check{{Target: "eu/eu-1", Check: doctor.CheckHTTPS, Status: doctor.Warn, Message: msg, Fix: fix}}}
	var b strings.Builder
	writeDoctorTable(&b, rep, false, 80)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	var found, fixed []string
	for i, l := range lines {
		if w := len([]rune(l)); w > 80 {
			t.Errorf("line %d is %d wide: %q", i, w, l)
		}
		if i == 0 || l == "" || strings.HasPrefix(l, "0 OK") {
			continue
		}
		part := strings.TrimSpace(l[strings.Index(l, "  ")+2:])
		if i == 1 {
			part = l[len("WARN     eu/eu-1  https  "):]
		}
		part = strings.TrimSpace(part)
		if strings.HasPrefix(part, "→ ") || len(fixed) > 0 {
			fixed = append(fixed, strings.TrimPrefix(part, "→ "))
		} else {
			found = append(found, part)
		}
	}
	if got := strings.Join(found, " "); got != msg {
		t.Errorf("finding\n%q\nwant\n%q\n%s", got, msg, b.String())
	}
	if got := strings.Join(fixed, " "); got != fix {
		t.Errorf("fix\n%q\nwant\n%q\n%s", got, fix, b.String())
	}
}
