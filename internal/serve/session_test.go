package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

type countingSender struct{ sent []poller.Call }

func (c *countingSender) BaseURL() string { return "https://bb" }
func (c *countingSender) Send(_ context.Context, call poller.Call) (poller.Answer, error) {
	c.sent = append(c.sent, call)
	return poller.Answer{Status: 204}, nil
}

func readAudit(t *testing.T, dir string) []actions.AuditEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, actions.AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []actions.AuditEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e actions.AuditEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// A viewer's session runner refuses whatever plan reaches it, sending
// nothing and auditing the attempt; an operator's runs it as that operator.
func TestRunnerEnforcesRoles(t *testing.T) {
	dir := t.TempDir()
	audit, err := actions.OpenAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	prim := &countingSender{}
	ex := &actions.Executor{Primary: prim, Audit: audit, User: "server"}
	plan := actions.PlanApprove(model.MirrorRequest{ID: "7", MirrorName: "apac", MirrorBaseURL: "https://m"})
	viewer := &Session{User: "bob", Identity: Identity{Role: RoleViewer, Fingerprint: "SHA256:bbb"}}
	operator := &Session{User: "alice", Identity: Identity{Role: RoleOperator, Fingerprint: "SHA256:aaa"}}

	res := Runner(ex, viewer).Execute(context.Background(), plan)
	if res.Outcome != actions.OutcomeRefused || len(prim.sent) != 0 {
		t.Fatalf("viewer: %s, %d sent", res.Outcome, len(prim.sent))
	}
	res = Runner(ex, operator).Execute(context.Background(), plan)
	if res.Outcome != actions.OutcomeDone || len(prim.sent) != 1 || prim.sent[0].Path != "/rest/mirroring/latest/requests/7/accept" {
		t.Fatalf("operator: %s, %+v", res.Outcome, prim.sent)
	}
	au := readAudit(t, dir)
	if len(au) != 2 {
		t.Fatalf("audit: %+v", au)
	}
	if a := au[0]; a.User != "bob" || a.Key != "SHA256:bbb" || a.Role != "viewer" || a.Outcome != actions.OutcomeRefused || a.Action != actions.KindApprove {
		t.Errorf("viewer's line: %+v", a)
	}
	if a := au[1]; a.User != "alice" || a.Key != "SHA256:aaa" || a.Role != "operator" || a.Outcome != actions.OutcomeDone {
		t.Errorf("operator's line: %+v", a)
	}
	// The console's report of a refused key is audited the same way.
	if msg := Refusal(ex, viewer)("sync", "eu/PLAT/api"); msg != "Refused: viewer keys cannot act. Nothing was sent. (audited)" {
		t.Errorf("refusal message %q", msg)
	}
	if a := readAudit(t, dir)[2]; a.User != "bob" || a.Action != "sync" || a.Target != "eu/PLAT/api" || a.Outcome != actions.OutcomeRefused {
		t.Errorf("refused key's line: %+v", a)
	}
}

// A viewer's session reads nothing from GitLab (a new mirror's public
// key is an operator's); an operator's read reaches the instance.
func TestRunnerGitLabReadsForOperatorsOnly(t *testing.T) {
	gl := &countingSender{}
	ex := &actions.Executor{GitLab: func(string) (actions.Sender, bool) { return gl, true }}
	viewer := &Session{User: "bob", Identity: Identity{Role: RoleViewer}}
	operator := &Session{User: "alice", Identity: Identity{Role: RoleOperator}}
	const path = "projects/a%2Fb/remote_mirrors/3/public_key"
	if _, err := Runner(ex, viewer).(sessionRunner).GitLabGet(context.Background(), "gl", path); err == nil || len(gl.sent) != 0 {
		t.Fatalf("viewer: err %v, %d sent", err, len(gl.sent))
	}
	if _, err := Runner(ex, operator).(sessionRunner).GitLabGet(context.Background(), "gl", path); err != nil ||
		len(gl.sent) != 1 || gl.sent[0].Method != "GET" || gl.sent[0].Path != path {
		t.Fatalf("operator: err %v, sent %+v", err, gl.sent)
	}
}

type fakeRefresher struct{ n int }

func (f *fakeRefresher) Refresh()     { f.n++ }
func (f *fakeRefresher) Paused() bool { return false }

// Sessions share one paced refresh: twenty presses make one full read.
func TestControlPacesRefresh(t *testing.T) {
	p := &fakeRefresher{}
	c := Control(p)
	for range 20 {
		c.Refresh()
	}
	c.SetPaused(true)
	if p.n != 1 || c.Paused() {
		t.Fatalf("%d refreshes, paused %v", p.n, c.Paused())
	}
}
