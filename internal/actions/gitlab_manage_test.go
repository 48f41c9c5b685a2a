package actions

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

const base = "https://gl/api/v4/"

// Adding a push mirror with a password: the request carries the
// credentials, escaped, inside the URL; what people see (the plan's text,
// the confirmation, the audit) has the URL without them.
func TestPlanGitLabAddPush(t *testing.T) {
	s := MirrorSettings{URL: "https://github.com/acme/x.git", AuthMethod: AuthPassword, User: "bot", Password: "p@ss/w:rd", Enabled: true, KeepDivergent: true}
	p, err := PlanGitLabAddPush("gl", "platform/api", s)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Steps[0].Call
	body := c.Body.(map[string]any)
	if c.Method != http.MethodPost || c.Path != "projects/platform%2Fapi/remote_mirrors" ||
		body["url"] != "https://bot:p%40ss%2Fw%3Ard@github.com/acme/x.git" || body["enabled"] != true || body["auth_method"] != "password" ||
		body["only_protected_branches"] != false || body["keep_divergent_refs"] != true || len(body) != 5 {
		t.Errorf("call %+v", c)
	}
	shown := RequestText(base, c)
	if shown != `POST https://gl/api/v4/projects/platform%2Fapi/remote_mirrors {"auth_method":"password","enabled":true,"keep_divergent_refs":true,"only_protected_branches":false,"url":"https://github.com/acme/x.git"}` {
		t.Errorf("shown %s", shown)
	}
	all := shown + p.Title + p.Note + p.Warning + p.Target
	if strings.Contains(all, "p@ss") || strings.Contains(all, "p%40ss") || !strings.Contains(p.Note, "password: set (hidden)") {
		t.Errorf("plan text %q", all)
	}
	if got := p.scrub("Failed: https://bot:p%40ss%2Fw%3Ard@github.com and p@ss/w:rd"); strings.Contains(got, "ss") || strings.Contains(got, "p@") || strings.Contains(got, "p%40ss") || strings.Contains(got, "w:rd") {
		t.Errorf("scrub %q", got)
	}

	s = MirrorSettings{URL: "ssh://git@backup.example.com/x.git", AuthMethod: AuthSSHKey, BranchRegex: "^release/"}
	p, err = PlanGitLabAddPush("gl", "platform/api", s)
	if err != nil {
		t.Fatal(err)
	}
	if RequestText(base, p.Steps[0].Call) != `POST https://gl/api/v4/projects/platform%2Fapi/remote_mirrors {"auth_method":"ssh_public_key","enabled":false,"keep_divergent_refs":false,"mirror_branch_regex":"^release/","url":"ssh://git@backup.example.com/x.git"}` ||
		!strings.Contains(p.Note, "public key") || !strings.Contains(p.Note, "disabled") {
		t.Errorf("ssh plan %s %q", RequestText(base, p.Steps[0].Call), p.Note)
	}
}

// The form's settings are checked before anything is sent.
func TestMirrorSettingsValidate(t *testing.T) {
	good := MirrorSettings{URL: "https://h.example/x.git", AuthMethod: AuthPassword}
	for _, tc := range []struct {
		edit func(*MirrorSettings)
		want string
	}{
		{func(s *MirrorSettings) { s.URL = "" }, "required"},
		{func(s *MirrorSettings) { s.URL = "ftp://h/x" }, "must start with"},
		{func(s *MirrorSettings) { s.URL = "https:///x" }, "no host"},
		{func(s *MirrorSettings) { s.URL = "https://u:p@h/x" }, "own fields"},
		{func(s *MirrorSettings) { s.AuthMethod = AuthSSHKey }, "ssh:// URL"},
		{func(s *MirrorSettings) { s.AuthMethod = "x" }, "unknown authentication"},
		{func(s *MirrorSettings) { s.BranchRegex, s.OnlyProtected = "^a", true }, "protected branches only"},
		{func(s *MirrorSettings) { s.BranchRegex = "(" }, "does not compile"},
		{func(s *MirrorSettings) { s.Password = "x" }, "needs a user"},
	} {
		s := good
		tc.edit(&s)
		if err := s.Validate(model.Push); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", s, err, tc.want)
		}
	}
	if err := good.Validate(model.Push); err != nil {
		t.Error(err)
	}
}

// A pull mirror: the pull mirror API from 17.5, the project's attributes
// before, refused without Premium; the plan says which version decided.
func TestPlanGitLabConfigurePull(t *testing.T) {
	s := MirrorSettings{URL: "https://up.example/a.git", User: "bot", Password: "tok3n", Enabled: true, TriggerBuilds: true}
	p, err := PlanGitLabConfigurePull("gl", "data/x", "18.4.1-ee", s)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Steps[0].Call
	if c.Method != http.MethodPut || c.Path != "projects/data%2Fx/mirror/pull" || c.Body.(map[string]any)["auth_password"] != "tok3n" ||
		RequestText(base, c) != `PUT https://gl/api/v4/projects/data%2Fx/mirror/pull {"auth_password":"set (hidden)","auth_user":"bot","enabled":true,"mirror_overwrites_diverged_branches":false,"mirror_trigger_builds":true,"only_mirror_protected_branches":false,"url":"https://up.example/a.git"}` ||
		!strings.Contains(p.Note, "18.4.1-ee") {
		t.Errorf("17.5+: %s %q", RequestText(base, c), p.Note)
	}
	p, err = PlanGitLabConfigurePull("gl", "data/x", "17.4.2-ee", s)
	if err != nil {
		t.Fatal(err)
	}
	c = p.Steps[0].Call
	if c.Path != "projects/data%2Fx" || c.Body.(map[string]any)["import_url"] != "https://bot:tok3n@up.example/a.git" ||
		RequestText(base, c) != `PUT https://gl/api/v4/projects/data%2Fx {"import_url":"https://up.example/a.git","mirror":true,"mirror_overwrites_diverged_branches":false,"mirror_trigger_builds":true,"only_mirror_protected_branches":false}` ||
		!strings.Contains(p.Note, "older than 17.5") {
		t.Errorf("before 17.5: %s %q", RequestText(base, c), p.Note)
	}
	if _, err := PlanGitLabConfigurePull("gl", "data/x", "18.4.1", s); err == nil || !strings.Contains(err.Error(), "Premium") {
		t.Errorf("no premium: %v", err)
	}
}

// A change sends only the fields that changed and lists each as
// "field: old → new"; a blank password is not sent.
func TestPlanGitLabEdit(t *testing.T) {
	push := &model.GitLabMirror{Instance: "gl", Project: "p/a", Direction: model.Push, ID: 7, URL: "https://*****:*****@h/x.git",
		AuthMethod: "password", Enabled: true, OnlyProtected: true}
	s := SettingsOf(push)
	if _, _, err := PlanGitLabEdit(push, "", s); err == nil {
		t.Error("no change: no error")
	}
	s.KeepDivergent, s.OnlyProtected, s.BranchRegex = true, false, "^rel"
	p, changes, err := PlanGitLabEdit(push, "", s)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) != 1 || RequestText(base, p.Steps[0].Call) != `PUT https://gl/api/v4/projects/p%2Fa/remote_mirrors/7 {"keep_divergent_refs":true,"mirror_branch_regex":"^rel"}` {
		t.Errorf("push edit %s", RequestText(base, p.Steps[0].Call))
	}
	if len(changes) != 3 || changes[0].String() != "keep_divergent_refs: false → true" || !strings.Contains(p.Note, `mirror_branch_regex: (none) → "^rel"`) {
		t.Errorf("changes %v %q", changes, p.Note)
	}

	pull := &model.GitLabMirror{Instance: "gl", Project: "p/b", Direction: model.Pull, URL: "https://*****:*****@up/b.git", Enabled: true}
	s = SettingsOf(pull)
	if s.URL != "https://up/b.git" {
		t.Fatalf("url %q", s.URL)
	}
	s.Overwrite = true
	p, _, err = PlanGitLabEdit(pull, "18.0.0-ee", s)
	if err != nil || RequestText(base, p.Steps[0].Call) != `PUT https://gl/api/v4/projects/p%2Fb/mirror/pull {"mirror_overwrites_diverged_branches":true}` {
		t.Errorf("pull edit %v %s", err, RequestText(base, p.Steps[0].Call))
	}
	s.User, s.Password = "bot", "n3w"
	p, _, _ = PlanGitLabEdit(pull, "18.0.0-ee", s)
	if b := p.Steps[0].Call.Body.(map[string]any); b["auth_password"] != "n3w" || b["auth_user"] != "bot" || strings.Contains(RequestText(base, p.Steps[0].Call)+p.Note, "n3w") {
		t.Errorf("pull credentials %v %q", b, p.Note)
	}
}

// GitLab takes a branch regex or "protected branches only", never both in
// one request: clearing the regex while turning protected branches only
// on sends two PUTs, the regex cleared first; setting a regex while
// turning it off sends the regex alone (GitLab turns protected branches
// only off with it).
func TestPlanGitLabEditBranchFilter(t *testing.T) {
	push := &model.GitLabMirror{Instance: "gl", Project: "p/a", Direction: model.Push, ID: 7, URL: "https://h/x.git",
		AuthMethod: "password", BranchRegex: "^rel"}
	pull := &model.GitLabMirror{Instance: "gl", Project: "p/b", Direction: model.Pull, URL: "https://up/b.git", BranchRegex: "^rel"}
	for _, tc := range []struct {
		m       *model.GitLabMirror
		version string
		path    string
		only    string
	}{
		{push, "", "projects/p%2Fa/remote_mirrors/7", "only_protected_branches"},
		{pull, "18.0.0-ee", "projects/p%2Fb/mirror/pull", "only_mirror_protected_branches"},
		{pull, "17.4.2-ee", "projects/p%2Fb", "only_mirror_protected_branches"},
	} {
		s := SettingsOf(tc.m)
		s.BranchRegex, s.OnlyProtected = "", true
		p, changes, err := PlanGitLabEdit(tc.m, tc.version, s)
		if err != nil {
			t.Fatal(err)
		}
		want := []map[string]any{{"mirror_branch_regex": ""}, {tc.only: true}}
		if len(p.Steps) != 2 || len(changes) != 2 {
			t.Fatalf("%s: steps %+v changes %v", tc.path, p.Steps, changes)
		}
		for i, st := range p.Steps {
			if st.Call.Method != http.MethodPut || st.Call.Path != tc.path || !reflect.DeepEqual(st.Call.Body, want[i]) {
				t.Errorf("%s: step %d %+v, want body %v", tc.path, i, st.Call, want[i])
			}
		}

		// The reverse: from protected branches only to a regex.
		m := *tc.m
		m.BranchRegex, m.OnlyProtected = "", true
		s = SettingsOf(&m)
		s.BranchRegex, s.OnlyProtected = "^rel", false
		p, changes, err = PlanGitLabEdit(&m, tc.version, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Steps) != 1 || p.Steps[0].Call.Path != tc.path || !reflect.DeepEqual(p.Steps[0].Call.Body, map[string]any{"mirror_branch_regex": "^rel"}) ||
			len(changes) != 2 || !strings.Contains(changes[1].String(), tc.only+": true → false") {
			t.Errorf("%s reverse: steps %+v changes %v", tc.path, p.Steps, changes)
		}
	}
}

// Before GitLab 17.5 a pull mirror's change goes through the project's
// attributes: import_url carries the credentials, escaped, and only the
// changed mirror_* fields go with it; the request people see (and the
// audit) has neither form of the password.
func TestPlanGitLabEditPullOldVersion(t *testing.T) {
	pull := &model.GitLabMirror{Instance: "gl", Project: "p/b", Direction: model.Pull, URL: "https://*****:*****@up/b.git", Enabled: true}
	const secret = "p@ss/w:rd"
	s := SettingsOf(pull)
	s.URL, s.User, s.Password = "https://up2/b.git", "bot", secret
	s.Enabled, s.TriggerBuilds = false, true
	p, _, err := PlanGitLabEdit(pull, "17.4.2-ee", s)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Steps[0].Call
	want := map[string]any{"mirror": false, "mirror_trigger_builds": true, "import_url": "https://bot:p%40ss%2Fw%3Ard@up2/b.git"}
	if len(p.Steps) != 1 || c.Method != http.MethodPut || c.Path != "projects/p%2Fb" || !reflect.DeepEqual(c.Body, want) {
		t.Errorf("call %+v, want body %v", c, want)
	}
	shown := RequestText(base, c)
	if shown != `PUT https://gl/api/v4/projects/p%2Fb {"import_url":"https://up2/b.git","mirror":false,"mirror_trigger_builds":true}` {
		t.Errorf("shown %s", shown)
	}
	for _, form := range []string{"p@ss", "p%40ss", "w:rd", "w%3Ard", "bot:"} {
		if strings.Contains(shown+p.Note+p.Title+p.Target, form) {
			t.Errorf("%q shows in %s %q", form, shown, p.Note)
		}
	}
}

// GitLab stores a pull mirror's password with its URL: a new URL or user
// with a blank password would lose it, so the plan asks for it again, on
// either API; with the URL and user unchanged a blank password stays
// "unchanged", and a mirror without stored credentials changes its URL
// without one.
func TestPlanGitLabEditPullNeedsPassword(t *testing.T) {
	pull := &model.GitLabMirror{Instance: "gl", Project: "p/b", Direction: model.Pull, URL: "https://*****:*****@up/b.git", Enabled: true}
	for _, version := range []string{"17.4.2-ee", "18.0.0-ee", ""} {
		for name, edit := range map[string]func(*MirrorSettings){
			"new URL":  func(s *MirrorSettings) { s.URL = "https://up2/b.git" },
			"new user": func(s *MirrorSettings) { s.User = "bot2" },
			"both":     func(s *MirrorSettings) { s.URL, s.User = "https://up2/b.git", "bot2" },
		} {
			s := SettingsOf(pull)
			edit(&s)
			if p, _, err := PlanGitLabEdit(pull, version, s); err == nil || !strings.Contains(err.Error(), "type the password again: GitLab stores it with the URL") {
				t.Errorf("%s %q: %v %+v", name, version, err, p.Steps)
			}
			s.User, s.Password = "bot2", "n3w"
			if _, _, err := PlanGitLabEdit(pull, version, s); err != nil {
				t.Errorf("%s %q with the password: %v", name, version, err)
			}
		}
		s := SettingsOf(pull)
		s.TriggerBuilds = true
		if _, _, err := PlanGitLabEdit(pull, version, s); err != nil {
			t.Errorf("unchanged URL and user %q: %v", version, err)
		}
		public := *pull
		public.URL = "https://up/b.git"
		s = SettingsOf(&public)
		s.URL = "https://up2/b.git"
		if _, _, err := PlanGitLabEdit(&public, version, s); err != nil {
			t.Errorf("no stored credentials %q: %v", version, err)
		}
	}
}

// The executor never lets a plan's secret out: not in its message, a
// step's error or the audit line, even when the server echoes it.
func TestExecutorScrubsSecrets(t *testing.T) {
	dir := t.TempDir()
	audit, err := OpenAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	snd := &echoSender{}
	e := &Executor{GitLab: func(string) (Sender, bool) { return snd, true }, Audit: audit, User: "op"}
	const secret = "hun@ter/2:x"
	p, _ := PlanGitLabAddPush("gl", "p/a", MirrorSettings{URL: "https://h/x.git", AuthMethod: AuthPassword, User: "u", Password: secret, Enabled: true})
	res := e.Execute(t.Context(), p)
	leaks := func(s string) bool {
		return strings.Contains(s, "hun@ter") || strings.Contains(s, "hun%40ter") || strings.Contains(s, "2:x") || strings.Contains(s, "2%3Ax")
	}
	if res.Outcome != OutcomeFailed || leaks(res.Message) || leaks(res.Steps[0].Err) || !strings.Contains(res.Message, "[hidden]") ||
		!strings.Contains(res.Steps[0].Err, "https://u:[hidden]@h/x.git") {
		t.Errorf("result %+v", res)
	}
	b, _ := readFile(dir)
	if leaks(b) || !strings.Contains(b, `\"url\":\"https://h/x.git\"`) {
		t.Errorf("audit %s", b)
	}
}

// A backstop: should a plan's shown request ever hold its secret, the
// step's request and the audit line have it scrubbed too.
func TestExecutorScrubsRequestText(t *testing.T) {
	dir := t.TempDir()
	audit, err := OpenAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := &Executor{GitLab: func(string) (Sender, bool) { return okSender{}, true }, Audit: audit, User: "op"}
	u := credURL("https://h/x.git", "u", "hun@ter/2:x")
	body := map[string]any{"url": u}
	p := Plan{Kind: KindGitLabAddPush, Key: "k", Target: "gl:p/a push mirror", Title: "Add",
		Steps:   []Step{{GitLab: "gl", Call: poller.AddPushCall("p/a", body, body)}},
		Secrets: secretsOf("hun@ter/2:x")}
	res := e.Execute(t.Context(), p)
	b, _ := readFile(dir)
	if res.Outcome != OutcomeDone || len(res.Steps) != 1 || strings.Contains(res.Steps[0].Request, "hun") || strings.Contains(b, "hun") ||
		!strings.Contains(b, "https://u:[hidden]@h/x.git") {
		t.Errorf("request %q, audit %s", res.Steps[0].Request, b)
	}
}

type okSender struct{}

func (okSender) BaseURL() string { return base }
func (okSender) Send(context.Context, poller.Call) (poller.Answer, error) {
	return poller.Answer{Status: 201, Body: []byte(`{"id":1}`)}, nil
}

type echoSender struct{}

func (echoSender) BaseURL() string { return base }
func (echoSender) Send(_ context.Context, c poller.Call) (poller.Answer, error) {
	u := c.Body.(map[string]any)["url"].(string) // the password URL-escaped
	pu, _ := url.Parse(u)
	password, _ := pu.User.Password() // and raw
	return poller.Answer{Status: 400}, &poller.HTTPError{Method: c.Method, Path: c.Path, Status: 400, Message: "url is blocked: " + u + " (password " + password + ")"}
}

func readFile(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, AuditFile))
	return string(b), err
}
