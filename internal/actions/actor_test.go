package actions

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// blockingSender holds every call until released, counting them.
type blockingSender struct {
	mu      sync.Mutex
	sent    []poller.Call
	arrived chan struct{}
	release chan struct{}
}

func (b *blockingSender) BaseURL() string { return "https://bb" }
func (b *blockingSender) Send(_ context.Context, c poller.Call) (poller.Answer, error) {
	b.mu.Lock()
	b.sent = append(b.sent, c)
	b.mu.Unlock()
	b.arrived <- struct{}{}
	<-b.release
	return poller.Answer{Status: 204}, nil
}

// TestSameActionAtOnceRunsOnce: two operators approving the same request
// at the same moment send one request; the second is told who started it,
// and both attempts are audited with their key.
func TestSameActionAtOnceRunsOnce(t *testing.T) {
	prim := &blockingSender{arrived: make(chan struct{}, 2), release: make(chan struct{})}
	e, dir := executor(t, nil, nil)
	e.Primary = prim
	p := PlanApprove(model.MirrorRequest{ID: "7", MirrorName: "apac", MirrorBaseURL: "https://mirror-apac.example.com"})
	alice := Actor{User: "alice", Key: "SHA256:aaa", Role: "operator"}
	bob := Actor{User: "bob", Key: "SHA256:bbb", Role: "operator"}
	first := make(chan Result)
	go func() { first <- e.ExecuteAs(context.Background(), p, alice) }()
	<-prim.arrived // alice's request is on the wire
	second := e.ExecuteAs(context.Background(), p, bob)
	close(prim.release)
	res := <-first
	if res.Outcome != OutcomeDone {
		t.Fatalf("first: %s %s", res.Outcome, res.Message)
	}
	if second.Outcome != OutcomeAlreadyRunning || len(prim.sent) != 1 {
		t.Fatalf("second: %s %q; %d requests sent", second.Outcome, second.Message, len(prim.sent))
	}
	lines := auditLines(t, dir)
	if len(lines) != 2 {
		t.Fatalf("%d audit lines", len(lines))
	}
	got := map[string]AuditEntry{}
	for _, l := range lines {
		got[l.User] = l
	}
	if a := got["alice"]; a.Key != "SHA256:aaa" || a.Role != "operator" || a.Outcome != OutcomeDone || a.Request != "POST https://bb/rest/mirroring/latest/requests/7/accept" {
		t.Errorf("alice's line: %+v", a)
	}
	if b := got["bob"]; b.Key != "SHA256:bbb" || b.Outcome != OutcomeAlreadyRunning || b.Request != "" {
		t.Errorf("bob's line: %+v", b)
	}
	// Once done, the same action may run again.
	prim.release = make(chan struct{})
	close(prim.release)
	if r := e.ExecuteAs(context.Background(), p, bob); r.Outcome != OutcomeDone || len(prim.sent) != 2 {
		t.Errorf("after the first ended: %s, %d sent", r.Outcome, len(prim.sent))
	}
}

// TestRefuseIsAudited: a refusal sends nothing and names who in the audit.
func TestRefuseIsAudited(t *testing.T) {
	e, dir := executor(t, nil, nil)
	res := e.Refuse(KindApprove, "req/7", Actor{User: "carol", Key: "SHA256:ccc", Role: "viewer"}, "viewer keys may not act")
	if res.Outcome != OutcomeRefused {
		t.Fatal(res.Outcome)
	}
	l := auditLines(t, dir)
	if len(l) != 1 || l[0].User != "carol" || l[0].Key != "SHA256:ccc" || l[0].Role != "viewer" || l[0].Outcome != OutcomeRefused || l[0].Action != KindApprove || l[0].Target != "req/7" {
		t.Fatalf("audit: %+v", l)
	}
}

// e on a GitLab mirror: a push mirror is paused through the remote mirrors
// API, a pull mirror resumed through the pull mirror API; one GitLab
// paused itself is resumed with a warning of what GitLab requires.
func TestPlanGitLabToggle(t *testing.T) {
	push := &model.GitLabMirror{Instance: "gl", Project: "platform/api", Direction: model.Push, ID: 7, Enabled: true}
	p := PlanGitLabToggle(push, model.HealthOK, model.GitLabVersion{})
	if p.Kind != KindGitLabPause || len(p.Steps) != 1 || p.Warning != "" ||
		RequestText("https://gl/api/v4/", p.Steps[0].Call) != `PUT https://gl/api/v4/projects/platform%2Fapi/remote_mirrors/7 {"enabled":false}` {
		t.Errorf("pause push: %+v %q", p, RequestText("https://gl", p.Steps[0].Call))
	}
	pull := &model.GitLabMirror{Instance: "gl", Project: "platform/api", Direction: model.Pull, Enabled: false}
	p = PlanGitLabToggle(pull, model.HealthPaused, model.GitLabVersion{Raw: "18.4.1-ee", Major: 18, Minor: 4})
	if p.Kind != KindGitLabResume || RequestText("https://gl/api/v4/", p.Steps[0].Call) != `PUT https://gl/api/v4/projects/platform%2Fapi/mirror/pull {"enabled":true}` ||
		!strings.Contains(p.Warning, "Update now") {
		t.Errorf("resume pull: %+v %q", p, RequestText("https://gl", p.Steps[0].Call))
	}
	// Before 17.5 the pull mirror API cannot change enabled: the project's
	// mirror attribute, and the plan says which version decided it.
	pull.Enabled = true
	p = PlanGitLabToggle(pull, model.HealthOK, model.GitLabVersion{Raw: "16.11.2-ee", Major: 16, Minor: 11})
	if p.Kind != KindGitLabPause || RequestText("https://gl/api/v4/", p.Steps[0].Call) != `PUT https://gl/api/v4/projects/platform%2Fapi {"mirror":false}` ||
		!strings.Contains(p.Note, "GitLab 16.11.2-ee is older than 17.5") {
		t.Errorf("pause pull on 16.11: %+v", p)
	}
	p = PlanGitLabToggle(pull, model.HealthOK, model.GitLabVersion{})
	if RequestText("https://gl/api/v4/", p.Steps[0].Call) != `PUT https://gl/api/v4/projects/platform%2Fapi/mirror/pull {"enabled":false}` ||
		!strings.Contains(p.Note, "version is not known") {
		t.Errorf("pause pull, version unknown: %+v", p)
	}
}
