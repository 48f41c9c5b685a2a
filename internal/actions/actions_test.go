package actions

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

type fakeSender struct {
	base    string
	answers []poller.Answer
	errs    []error
	sent    []poller.Call
}

func (f *fakeSender) BaseURL() string { return f.base }
func (f *fakeSender) Send(_ context.Context, c poller.Call) (poller.Answer, error) {
	i := len(f.sent)
	f.sent = append(f.sent, c)
	return f.answers[i], f.errs[i]
}

func farm(layout model.Layout) *model.Farm {
	return &model.Farm{Name: "eu", Layout: layout, Upstream: model.UpstreamServer{ID: "u1"}, HasSettings: true,
		Settings: model.SyncSettings{Mode: model.ModeSelectedProjects, ProjectIDs: []string{"3"}}}
}

var repo = &model.Repo{ID: "12", ProjectID: "3", ProjectKey: "PLAT", Slug: "api"}

func executor(t *testing.T, prim, fm *fakeSender) (*Executor, string) {
	dir := t.TempDir()
	audit, err := OpenAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	acks, err := LoadAcks(dir, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	return &Executor{Primary: prim, Farm: func(n string) (Sender, bool) { return fm, n == "eu" }, Audit: audit, Acks: acks,
		User: "alice", Now: func() time.Time { return t0 }}, dir
}

func auditLines(t *testing.T, dir string) []AuditEntry {
	b, err := os.ReadFile(filepath.Join(dir, AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []AuditEntry
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e AuditEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}

func TestSyncPlansAreHonest(t *testing.T) {
	p9, err := PlanSync(farm(model.Layout9), repo, 3*time.Minute)
	if err != nil || len(p9.Steps) != 0 || !strings.Contains(p9.Note, "no REST call") {
		t.Fatalf("9.x sync plan %+v %v", p9, err)
	}
	e, dir := executor(t, nil, nil)
	res := e.Execute(context.Background(), p9)
	if res.Outcome != OutcomeNotTriggered || !strings.Contains(res.Message, "Nothing was sent") || !strings.Contains(res.Message, "by 12:03:00") {
		t.Errorf("9.x sync result %+v", res)
	}
	p8, _ := PlanSync(farm(model.Layout8), repo, 3*time.Minute)
	if len(p8.Steps) != 1 || p8.Steps[0].Call.Path != "/rest/mirroring/latest/upstreamServers/u1/repos/12/synchronization" {
		t.Fatalf("8.x sync plan %+v", p8)
	}
	gone := &poller.HTTPError{Method: "POST", Path: p8.Steps[0].Call.Path, Status: 410, Message: "This operation is no longer supported"}
	fm := &fakeSender{base: "https://mirror-eu", answers: []poller.Answer{{Status: 410}}, errs: []error{gone}}
	e, dir = executor(t, nil, fm)
	res = e.Execute(context.Background(), p8)
	if res.Outcome != OutcomeNotTriggered || !strings.Contains(res.Message, "410 Gone (This operation is no longer supported)") {
		t.Errorf("8.x sync result %+v", res)
	}
	lines := auditLines(t, dir)
	if len(lines) != 1 || lines[0].Status != 410 || lines[0].Outcome != OutcomeNotTriggered || lines[0].User != "alice" ||
		lines[0].Request != "POST https://mirror-eu/rest/mirroring/latest/upstreamServers/u1/repos/12/synchronization" {
		t.Errorf("audit %+v", lines)
	}
	if _, err := PlanSync(farm(model.LayoutUnknown), repo, time.Minute); err == nil {
		t.Error("unknown layout cannot be planned")
	}
}

func TestApproveAndFailures(t *testing.T) {
	req := model.MirrorRequest{ID: "7", MirrorName: "apac", MirrorBaseURL: "https://mirror-apac.example.com"}
	prim := &fakeSender{base: "https://bb", answers: []poller.Answer{{Status: 200}}, errs: []error{nil}}
	e, dir := executor(t, prim, nil)
	p := PlanApprove(req)
	if got := e.Describe(p); len(got) != 1 || got[0] != "POST https://bb/rest/mirroring/latest/requests/7/accept" {
		t.Errorf("describe %v", got)
	}
	res := e.Execute(context.Background(), p)
	if res.Outcome != OutcomeDone || !strings.Contains(res.Message, "Approve mirror request 7 from apac") {
		t.Errorf("approve %+v", res)
	}
	conflict := &poller.HTTPError{Method: "POST", Path: "/x", Status: 409, Message: "Mirroring request 7 is not pending"}
	prim = &fakeSender{base: "https://bb", answers: []poller.Answer{{Status: 409}}, errs: []error{conflict}}
	e.Primary = prim
	res = e.Execute(context.Background(), PlanReject(req))
	if res.Outcome != OutcomeFailed || !strings.HasPrefix(res.Message, "Failed: HTTP 409 Conflict: Mirroring request 7 is not pending") {
		t.Errorf("409 %+v", res)
	}
	timeout := &poller.RequestError{Method: "POST", Path: "/x", Reason: "timed out", Err: context.DeadlineExceeded}
	e.Primary = &fakeSender{base: "https://bb", answers: []poller.Answer{{}}, errs: []error{timeout}}
	res = e.Execute(context.Background(), PlanApprove(req))
	if res.Outcome != OutcomeFailed || !strings.HasPrefix(res.Message, "Failed: timed out: the request may or may not have reached the server") {
		t.Errorf("timeout %+v", res)
	}
	if n := len(auditLines(t, dir)); n != 3 {
		t.Errorf("%d audit lines, want one per attempt (3)", n)
	}
}

func TestReseedPlanAndPartialFailure(t *testing.T) {
	p, err := PlanReseed(farm(model.Layout9), repo)
	if err != nil || p.Typed != "PLAT" || len(p.Steps) != 2 || p.Steps[0].Call.Method != http.MethodDelete || p.Steps[1].Call.Method != http.MethodPost {
		t.Fatalf("reseed plan %+v %v", p, err)
	}
	boom := &poller.HTTPError{Status: 500, Method: "POST", Path: "/p"}
	fm := &fakeSender{base: "https://m", answers: []poller.Answer{{Status: 204}, {Status: 500}}, errs: []error{nil, boom}}
	e, dir := executor(t, nil, fm)
	res := e.Execute(context.Background(), p)
	if res.Outcome != OutcomeFailed || !strings.Contains(res.Message, "was removed from the farm, but adding it back failed") {
		t.Errorf("partial reseed %+v", res)
	}
	if lines := auditLines(t, dir); len(lines) != 2 || lines[0].Status != 204 || lines[1].Status != 500 {
		t.Errorf("audit %+v", lines)
	}
	all := farm(model.Layout9)
	all.Settings.Mode = model.ModeAllProjects
	if _, err := PlanReseed(all, repo); err == nil {
		t.Error("re-seed on an all-projects farm must be refused")
	}
	if _, err := PlanMirrorAll(all); err == nil {
		t.Error("already all projects")
	}
	m, err := PlanMirrorAll(farm(model.Layout8))
	if err != nil || m.Typed != "eu" || !strings.Contains(m.Warning, "cannot be undone") || m.Steps[0].Call.Path != "/rest/mirroring/latest/upstreamServers/u1/settings/mode" {
		t.Errorf("mirror all %+v %v", m, err)
	}
}

func TestAcknowledgePersists(t *testing.T) {
	e, dir := executor(t, nil, nil)
	p := PlanAcknowledge("eu", repo, "12", 4*time.Hour, "known: disk swap on eu-3", "alice", t0)
	res := e.Execute(context.Background(), p)
	if res.Outcome != OutcomeAcknowledged {
		t.Fatalf("%+v", res)
	}
	again, err := LoadAcks(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := again.Active(AckKey("eu", "12"), t0.Add(time.Hour))
	if !ok || a.Reason != "known: disk swap on eu-3" || a.By != "alice" {
		t.Errorf("reloaded ack %+v %v", a, ok)
	}
	if _, ok := again.Active(AckKey("eu", "12"), t0.Add(5*time.Hour)); ok {
		t.Error("expired ack still active")
	}
	if l := auditLines(t, dir); len(l) != 1 || l[0].Action != KindAcknowledge || l[0].Request != "" {
		t.Errorf("audit %+v", l)
	}
	if err := os.WriteFile(filepath.Join(dir, AcksFile), []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAcks(dir, nil); err == nil || !strings.Contains(err.Error(), AcksFile) {
		t.Errorf("damaged file: %v", err)
	}
}

type fetchFunc func(path string, q url.Values) ([]byte, error)

func (f fetchFunc) Fetch(_ context.Context, path string, q url.Values, _ int64) ([]byte, error) {
	return f(path, q)
}

func pkt(s string) string { return strings.ToLower(strconv4(len(s)+4)) + s }

func strconv4(n int) string {
	const hex = "0123456789abcdef"
	return string([]byte{hex[n>>12&15], hex[n>>8&15], hex[n>>4&15], hex[n&15]})
}

func TestLsRemoteAndDiff(t *testing.T) {
	a := strings.Repeat("a", 40)
	b := strings.Repeat("b", 40)
	c := strings.Repeat("c", 64)
	adv := pkt("# service=git-upload-pack\n") + "0000" +
		pkt(a+" HEAD\x00multi_ack side-band-64k symref=HEAD:refs/heads/main\n") +
		pkt(a+" refs/heads/main\n") + pkt(b+" refs/heads/release/1.0\n") + pkt(c+" refs/tags/v1\n") + pkt(a+" refs/tags/v1^{}\n") + "0000"
	var gotPath string
	var gotQuery url.Values
	f := fetchFunc(func(p string, q url.Values) ([]byte, error) { gotPath, gotQuery = p, q; return []byte(adv), nil })
	refs, err := LsRemote(context.Background(), f, "/scm/plat/api.git")
	if err != nil {
		t.Fatal(err)
	}
	if gotPath != "/scm/plat/api.git/info/refs" || gotQuery.Get("service") != "git-upload-pack" {
		t.Errorf("asked %s?%s", gotPath, gotQuery.Encode())
	}
	if len(refs) != 5 || refs["refs/heads/main"] != a || refs["refs/tags/v1^{}"] != a || refs["HEAD"] != a {
		t.Errorf("refs %v", refs)
	}
	mirror := map[string]string{"HEAD": a, "refs/heads/main": b, "refs/tags/v1": c, "refs/tags/v1^{}": a, "refs/heads/stale": c}
	d := DiffRefs(refs, mirror)
	want := []RefDelta{{Ref: "refs/heads/main", Primary: a, Mirror: b}, {Ref: "refs/heads/release/1.0", Primary: b}, {Ref: "refs/heads/stale", Mirror: c}}
	if len(d) != 3 || d[0] != want[0] || d[1] != want[1] || d[2] != want[2] {
		t.Errorf("diff %+v", d)
	}
	bad := fetchFunc(func(string, url.Values) ([]byte, error) { return []byte("<html>login</html>"), nil })
	if _, err := LsRemote(context.Background(), bad, "/x.git"); err == nil || !strings.Contains(err.Error(), "not git's smart HTTP") {
		t.Errorf("html: %v", err)
	}
	fail := fetchFunc(func(string, url.Values) ([]byte, error) { return nil, errors.New("HTTP 401") })
	if _, err := LsRemote(context.Background(), fail, "/x.git"); err == nil {
		t.Error("fetch error must surface")
	}
	if p := RepoPath("https://bb.example.com/bitbucket/scm/plat/api.git", "PLAT", "api"); p != "/scm/plat/api.git" {
		t.Errorf("repo path %s", p)
	}
	if p := RepoPath("", "PLAT", "api"); p != "/scm/plat/api.git" {
		t.Errorf("default repo path %s", p)
	}
}

func TestManualSteps(t *testing.T) {
	lines := strings.Join(ManualSteps(farm(model.Layout8), repo, "https://bb", "https://mirror-eu", "/scm/plat/api.git", 3*time.Minute), "\n")
	for _, want := range []string{"git ls-remote https://bb/scm/plat/api.git", "every 3m", "upstreamServers/u1/settings/projects/3", "farm vet"} {
		if !strings.Contains(lines, want) {
			t.Errorf("manual steps lack %q:\n%s", want, lines)
		}
	}
	// Server-provided parts never bring escape sequences to the screen.
	hostile := *repo
	hostile.ProjectID, hostile.ID = "3\x1b]0;x\x07", "9\x1b[2J"
	f := farm(model.Layout9)
	f.Upstream.ID = "u\x1b[31m"
	out := strings.Join(ManualSteps(f, &hostile, "https://bb", "https://m", "/scm/p/\x1b[Hr.git", time.Minute), "\n")
	if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0x07) {
		t.Errorf("manual steps carry escapes: %q", out)
	}
}

func TestGitLabPlans(t *testing.T) {
	push := &model.GitLabMirror{Instance: "gl", Project: "platform/api", Direction: model.Push, ID: 7,
		LastError: "Some refs have diverged and have not been updated on the remote:\n\nrefs/heads/main\nrefs/heads/develop"}
	pull := &model.GitLabMirror{Instance: "gl", Project: "data/etl", Direction: model.Pull, ID: 3,
		LastError: "The default branch (main) has diverged from its upstream counterpart and could not be updated automatically."}
	sync := PlanGitLabSync(push)
	if sync.Steps[0].GitLab != "gl" || sync.Steps[0].Call.Path != "projects/platform%2Fapi/remote_mirrors/7/sync" {
		t.Errorf("push sync %+v", sync.Steps)
	}
	if p := PlanGitLabSync(pull); p.Steps[0].Call.Path != "projects/data%2Fetl/mirror/pull" || p.Steps[0].Call.Method != http.MethodPost {
		t.Errorf("pull sync %+v", p.Steps)
	}
	ours, _ := PlanGitLabResolve(push, StrategyOurs, time.Hour, "", "alice", t0)
	if ours.Typed != "platform/api" || len(ours.Steps) != 2 || ours.Steps[0].Call.BodyText() != `{"keep_divergent_refs":false}` ||
		!strings.Contains(ours.Warning, "refs/heads/main, refs/heads/develop") {
		t.Errorf("push ours %+v", ours)
	}
	theirs, _ := PlanGitLabResolve(push, StrategyTheirs, time.Hour, "remote has hotfixes", "alice", t0)
	if theirs.Typed != "" || theirs.Ack == nil || theirs.Steps[0].Call.BodyText() != `{"keep_divergent_refs":true}` {
		t.Errorf("push theirs %+v", theirs)
	}
	pt, _ := PlanGitLabResolve(pull, StrategyTheirs, time.Hour, "", "alice", t0)
	if pt.Typed != "data/etl" || pt.Steps[0].Call.BodyText() != `{"mirror_overwrites_diverged_branches":true}` || pt.Steps[1].Call.Path != "projects/data%2Fetl/mirror/pull" {
		t.Errorf("pull theirs %+v", pt)
	}
	po, _ := PlanGitLabResolve(pull, StrategyOurs, time.Hour, "keep our hotfix", "alice", t0)
	if len(po.Steps) != 0 || po.Ack == nil {
		t.Errorf("pull ours %+v", po)
	}
	ab, _ := PlanGitLabResolve(push, StrategyAbort, 0, "", "", t0)
	if ab.Steps[0].Call.Method != http.MethodPut || ab.Steps[0].Call.BodyText() != `{"enabled":false}` {
		t.Errorf("abort %+v", ab)
	}
	steps := strings.Join(GitLabManualSteps(push, "https://gitlab.example.com/platform/api.git"), "\n")
	if !strings.Contains(steps, "git log --oneline refs/heads/develop..refs/remote/develop") {
		t.Errorf("manual steps:\n%s", steps)
	}
	// Executing "theirs" sends its call, then mutes the alert.
	gl := &fakeSender{base: "https://gl/api/v4/", answers: []poller.Answer{{Status: 200}}, errs: []error{nil}}
	e, dir := executor(t, nil, nil)
	e.GitLab = func(string) (Sender, bool) { return gl, true }
	res := e.Execute(context.Background(), theirs)
	if res.Outcome != OutcomeAccepted || !strings.Contains(res.Message, "Alert muted") {
		t.Errorf("theirs result %+v", res)
	}
	if _, ok := e.Acks.Active(GitLabAckKey(push.Key()), t0); !ok {
		t.Error("no acknowledgement recorded")
	}
	if l := auditLines(t, dir); len(l) != 2 || l[0].Request != `PUT https://gl/api/v4/projects/platform%2Fapi/remote_mirrors/7 {"keep_divergent_refs":true}` ||
		l[1].Action != KindAcknowledge || !strings.Contains(l[1].Message, "remote has hotfixes") {
		t.Errorf("audit %+v", l)
	}
	paused := &poller.HTTPError{Status: 403, Message: "Mirroring for the project is on pause"}
	gl = &fakeSender{base: "https://gl/api/v4/", answers: []poller.Answer{{Status: 403}}, errs: []error{paused}}
	res = e.Execute(context.Background(), PlanGitLabSync(pull))
	if !res.Paused || !strings.HasPrefix(res.Message, "Paused:") || res.Plan.Mirror != pull.Key() {
		t.Errorf("paused result %+v", res)
	}
}

// Expired acknowledgements leave memory when the store is next saved, as
// they leave the file.
func TestExpiredAcksArePruned(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	s, err := LoadAcks(t.TempDir(), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Ack{Key: AckKey("eu", "1"), Farm: "eu", RepoID: "1", Until: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if err := s.Add(Ack{Key: AckKey("eu", "2"), Farm: "eu", RepoID: "2", Until: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if len(s.acks) != 1 {
		t.Errorf("%d acknowledgements kept in memory, want 1", len(s.acks))
	}
}
