package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// gitlabWrites lists the requests to the simulated GitLab that could
// change something.
func (h *harness) gitlabWrites() []sim.Request {
	var out []sim.Request
	for _, r := range h.writes() {
		if r.Target == "gitlab" {
			out = append(out, r)
		}
	}
	return out
}

// bodyOf decodes a request's JSON body.
func bodyOf(t *testing.T, r sim.Request) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("%s %s: body %q: %v", r.Method, r.Path, r.Body, err)
	}
	return m
}

// noSecret fails when a secret shows on the screen (text or bytes), in the
// audit log or in the log.
func (h *harness) noSecret(secret string) {
	h.t.Helper()
	raw, _ := h.probe.raw.Load().(string)
	audit, _ := os.ReadFile(filepath.Join(h.cfg.StateDir, actions.AuditFile))
	for what, s := range map[string]string{"screen": h.screen(), "frame": raw, "audit log": string(audit), "log": h.log.String()} {
		if strings.Contains(s, secret) {
			h.t.Fatalf("the secret is in the %s:\n%s", what, s)
		}
	}
}

// fillPullForm turns the open add form to a pull mirror and types its
// URL, user and password.
func (h *harness) fillPullForm(url, user, password string) {
	h.t.Helper()
	h.key(tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}) // direction
	h.keys(" ")
	h.waitText("‹ pull ›")
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // url
	h.keys(url)
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // user
	h.keys(user)
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // password
	h.keys(password)
}

// c adds a password push mirror: the form masks the password, the
// confirmation shows the URL without credentials, and GitLab receives
// exactly one POST whose url carries them, escaped; the screen, the
// audit log and the log never hold the password.
func TestE2EGitLabAddPushMirror(t *testing.T) {
	h := gitlabHarness(t, nil)
	const secret = "Sup3r/S3cret@x"
	h.selectRow("platform/billing", "push mirror")
	h.keys("c")
	h.waitText("Add a GitLab mirror", "Project", "platform/billing", "URL", "disabled unless enabled=true is sent")
	h.keys("https://github.com/acme/billing-copy.git")
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // authentication
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // user
	h.keys("bot")
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // password
	h.keys(secret)
	h.waitText(strings.Repeat("•", len(secret)))
	h.noSecret(secret)
	before := len(h.gitlabWrites())
	h.keys("enter")
	h.waitText("Add a push mirror to platform/billing", "POST ", `/remote_mirrors`, `{"auth_method":"password","enabled":true,"keep_divergent_refs":false,"only_protected_branches":false,"url":"https://github.com/`,
		"Remote: https://github.com/acme/billing-copy.git.",
		"password: set (hidden)", "[N] no")
	h.noSecret(secret)
	if len(h.gitlabWrites()) != before {
		t.Fatal("something was sent before the confirmation")
	}
	h.keys("y")
	h.waitText("Add a push mirror to platform/billing: done")
	w := h.gitlabWrites()[before:]
	if len(w) != 1 || w[0].Method != http.MethodPost || w[0].Path != "/api/v4/projects/platform/billing/remote_mirrors" || w[0].Status != http.StatusCreated {
		t.Fatalf("requests %+v", w)
	}
	b := bodyOf(t, w[0])
	if b["url"] != "https://bot:Sup3r%2FS3cret%40x@github.com/acme/billing-copy.git" || b["enabled"] != true || b["auth_method"] != "password" ||
		b["only_protected_branches"] != false || b["keep_divergent_refs"] != false || len(b) != 5 {
		t.Errorf("body %v", b)
	}
	a := h.audit()
	if len(a) != 1 || a[0].Action != actions.KindGitLabAddPush || a[0].Status != http.StatusCreated ||
		!strings.HasSuffix(a[0].Request, `"url":"https://github.com/acme/billing-copy.git"}`) {
		t.Errorf("audit %+v", a)
	}
	h.keys("ctrl+r")
	h.waitText("platform/billing               push ! NEVER SYNCED")
	h.noSecret(secret)
	h.noSecret("Sup3r%2FS3cret")
}

// c with SSH authentication: after the POST the console reads the new
// mirror's public key and shows it to install on the remote.
func TestE2EGitLabAddSSHMirrorShowsKey(t *testing.T) {
	h := gitlabHarness(t, nil)
	h.selectRow("platform/billing", "push mirror")
	h.keys("c")
	h.waitText("Add a GitLab mirror")
	h.keys("ssh://git@backup.example.com/billing.git")
	h.key(tea.KeyPressMsg{Code: tea.KeyTab})
	h.keys(" ") // ssh_public_key
	h.waitText("ssh_public_key", "GitLab makes a key pair")
	h.keys("enter")
	h.waitText(`"auth_method":"ssh_public_key"`, "public key is shown next")
	h.keys("y")
	h.waitText("SSH public key of the new", "deploy key with write access", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")
	if got := h.s.Requests(); !strings.HasSuffix(lastGet(got, "/public_key"), "/public_key") {
		t.Errorf("no public key read")
	}
	h.keys("x")
	if strings.Contains(h.screen(), "SSH public key of the new") {
		t.Error("the key dialog stays open")
	}
}

// lastGet is the path of the last GET whose path ends with suffix.
func lastGet(rs []sim.Request, suffix string) string {
	out := ""
	for _, r := range rs {
		if r.Method == http.MethodGet && strings.HasSuffix(r.Path, suffix) {
			out = r.Path
		}
	}
	return out
}

// c on a project without a pull mirror, direction pull: one PUT
// …/mirror/pull with the URL, the user and the password (masked on
// screen, hidden in the confirmation and the audit).
func TestE2EGitLabConfigurePullMirror(t *testing.T) {
	h := gitlabHarness(t, nil)
	const secret = "pull-T0ken-9"
	h.selectRow("platform/billing", "push mirror")
	h.keys("c")
	h.waitText("Add a GitLab mirror", "GitLab 18.4.1-ee")
	h.fillPullForm("https://upstream.example.com/acme/billing.git", "puller", secret)
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // enabled
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // only protected
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // overwrite
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // trigger
	h.keys(" ")
	h.noSecret(secret)
	before := len(h.gitlabWrites())
	h.keys("enter")
	h.waitText("Configure a pull mirror on platform/billing", "PUT ", `/mirror/pull`, `(hidden)","auth_user":"puller","enabled":true,"mirror_overwrites_diverged_branches":false,"mirror_trigger_builds":true`, "user puller, password: set (hidden)", "Upstream: https://upstream.example.com/acme/billing.git.",
		"GitLab 18.4.1-ee: the pull mirror API")
	h.noSecret(secret)
	h.keys("y")
	h.waitText("Configure a pull mirror on platform/billing: done")
	w := h.gitlabWrites()[before:]
	if len(w) != 1 || w[0].Method != http.MethodPut || w[0].Path != "/api/v4/projects/platform/billing/mirror/pull" || w[0].Status != http.StatusOK {
		t.Fatalf("requests %+v", w)
	}
	b := bodyOf(t, w[0])
	if b["url"] != "https://upstream.example.com/acme/billing.git" || b["auth_user"] != "puller" || b["auth_password"] != secret ||
		b["enabled"] != true || b["mirror_trigger_builds"] != true || b["mirror_overwrites_diverged_branches"] != false ||
		b["only_mirror_protected_branches"] != false || len(b) != 7 {
		t.Errorf("body %v", b)
	}
	if m, ok := h.s.GitLabMirror("platform/billing", "pull"); !ok || !m.Enabled {
		t.Errorf("no pull mirror in GitLab: %+v", m)
	}
	if a := h.audit(); len(a) != 1 || a[0].Action != actions.KindGitLabConfigurePull || a[0].Status != http.StatusOK {
		t.Errorf("audit %+v", a)
	}
	h.noSecret(secret)
}

// m changes a mirror's settings: the form is filled from the readings,
// the confirmation lists each change, and the PUT carries only the
// changed fields.
func TestE2EGitLabEditMirror(t *testing.T) {
	h := gitlabHarness(t, nil)
	h.selectRow("platform/billing", "push mirror")
	m, _ := h.s.GitLabMirror("platform/billing", "push")
	h.keys("m")
	h.waitText("Change the settings of the platform/billing push mirror", "[x]", "GitLab changes neither")
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // only protected (on)
	h.keys(" ")
	h.key(tea.KeyPressMsg{Code: tea.KeyTab}) // keep divergent refs
	h.keys(" ")
	h.keys("enter")
	h.waitText("only_protected_branches: true → false", "keep_divergent_refs: false → true")
	before := len(h.gitlabWrites())
	h.keys("y")
	h.waitText("Change the settings of the platform/billing push mirror: done")
	w := h.gitlabWrites()[before:]
	if len(w) != 1 || w[0].Method != http.MethodPut || !strings.HasSuffix(w[0].Path, "/remote_mirrors/"+itoa(m.ID)) {
		t.Fatalf("requests %+v", w)
	}
	if b := bodyOf(t, w[0]); len(b) != 2 || b["only_protected_branches"] != false || b["keep_divergent_refs"] != true {
		t.Errorf("body %v", b)
	}
	if a := h.audit(); len(a) != 1 || a[0].Action != actions.KindGitLabEdit {
		t.Errorf("audit %+v", a)
	}
	// Nothing changed: nothing to confirm, nothing sent.
	h.keys("m", "enter")
	h.waitText("nothing changed")
	h.keys("esc")
}

// A 400 from GitLab is shown as a clear message; the form's own checks
// catch what GitLab would refuse before anything is sent.
func TestE2EGitLabAddMirrorRefused(t *testing.T) {
	h := gitlabHarness(t, nil)
	h.selectRow("platform/billing", "push mirror")
	h.keys("c")
	h.waitText("Add a GitLab mirror")
	h.keys("ftp://example.com/x.git", "enter")
	h.waitText("the URL must start with https://")
	// GitLab's own refusal: a URL its URL blocker does not allow.
	h.s.SetFault("gitlab", "/api/v4/projects/platform/billing/remote_mirrors", sim.Fault{Status: 400, Body: `{"message":{"url":["is blocked: Requests to the local network are not allowed"]}}`, ContentType: "application/json"})
	h.keys("esc", "c")
	h.keys("https://10.0.0.1/x.git", "enter", "y")
	h.waitText("GitLab refused the request as invalid (HTTP 400", "Requests to the local network are not allowed")
}

// Read-only: c, m, d and e are refused, and nothing is sent.
func TestE2EGitLabManageReadOnly(t *testing.T) {
	h := gitlabHarness(t, func(c *config.Config) { c.ReadOnly = true })
	h.selectRow("platform/billing", "push mirror")
	h.keys("c")
	h.waitText("read-only: add_mirror is not available")
	h.keys("m")
	h.waitText("read-only: edit_mirror is not available")
	h.keys("y", "enter", "y")
	h.keys("d")
	h.waitText("read-only: delete_mirror is not available")
	h.keys("platform/billing", "enter", "y")
	h.keys("e")
	h.waitText("read-only: toggle_mirror is not available")
	h.keys("y")
	if w := h.gitlabWrites(); len(w) != 0 {
		t.Errorf("read-only sent %+v", w)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Before GitLab 17.5 a pull mirror is configured through the project's
// attributes: exactly one PUT /projects/:id with mirror, import_url (the
// credentials inside, escaped) and the mirror_* fields; the plan says
// which version decided, and the secret shows nowhere.
func TestE2EGitLabConfigurePullMirrorOldVersion(t *testing.T) {
	h := gitlabHarnessWith(t, sim.GitLabOptions{Version: "16.11.2"}, nil)
	const secret = "old/T0ken@9"
	h.selectRow("platform/billing", "push mirror")
	h.keys("c")
	h.waitText("Add a GitLab mirror", "GitLab 16.11.2-ee")
	h.fillPullForm("https://upstream.example.com/acme/billing.git", "puller", secret)
	before := len(h.gitlabWrites())
	h.keys("enter")
	h.waitText("Configure a pull mirror on platform/billing", "PUT ", "/projects/platform%2Fbilling ", "GitLab 16.11.2-ee")
	h.noSecret(secret)
	h.keys("y")
	h.waitText("Configure a pull mirror on platform/billing: done")
	w := h.gitlabWrites()[before:]
	if len(w) != 1 || w[0].Method != http.MethodPut || w[0].Path != "/api/v4/projects/platform/billing" || w[0].Status != http.StatusOK {
		t.Fatalf("requests %+v", w)
	}
	b := bodyOf(t, w[0])
	if b["mirror"] != true || b["import_url"] != "https://puller:old%2FT0ken%409@upstream.example.com/acme/billing.git" {
		t.Errorf("body %v", b)
	}
	for k := range b {
		if k != "mirror" && k != "import_url" && !strings.HasPrefix(k, "mirror_") && k != "only_mirror_protected_branches" {
			t.Errorf("field %s sent to PUT /projects/:id: %v", k, b)
		}
	}
	if m, ok := h.s.GitLabMirror("platform/billing", "pull"); !ok || !m.Enabled {
		t.Errorf("no pull mirror in GitLab: %+v", m)
	}
	if a := h.audit(); len(a) != 1 || a[0].Action != actions.KindGitLabConfigurePull || a[0].Status != http.StatusOK || strings.Contains(a[0].Request, "T0ken") {
		t.Errorf("audit %+v", a)
	}
	h.noSecret("T0ken") // neither raw nor escaped
}
