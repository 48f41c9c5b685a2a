package poller_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

func gitlabSim(t *testing.T, gl sim.GitLabOptions) (*sim.Sim, *config.Config) {
	t.Helper()
	if gl.Token == "" {
		gl.Token = "glpat-test-token"
	}
	s := startSim(t, sim.Options{Repos: 5, PushEvery: -1, GitLab: &gl})
	cfg, err := config.Parse("sim.toml", []byte(s.ConfigTOML()))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Primary = config.Target{} // GitLab only
	cfg.Farms = nil
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg.Poll.Timeout = 3 * time.Second
	return s, cfg
}

func mirrorOf(st *model.State, project string, d model.Direction) *model.GitLabMirrorState {
	for _, g := range st.GitLab {
		for _, m := range g.Mirrors {
			if m.Project == project && m.Direction == d {
				return m
			}
		}
	}
	return nil
}

func TestGitLabWatch(t *testing.T) {
	for _, version := range []string{"18.4.1", "17.2.0"} {
		t.Run(version, func(t *testing.T) {
			s, cfg := gitlabSim(t, sim.GitLabOptions{Version: version, MaxPerPage: 3})
			st := newState(t, cfg)
			rs := pollOnce(t, cfg, st)
			if errs := errorsOf(rs); len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			// The first round lists each group once, though the project
			// task and the sweep both need the list.
			listings := 0
			for _, r := range s.Requests() {
				q, _ := url.ParseQuery(r.RawQuery)
				if r.Target == "gitlab" && r.Path == "/api/v4/groups/platform/projects" && (q.Get("page") == "" || q.Get("page") == "1") {
					listings++
				}
			}
			if listings != 1 {
				t.Errorf("group platform listed %d times in the first round, want 1", listings)
			}
			g := st.GitLab[0]
			if len(g.Projects) < 10 {
				t.Fatalf("projects from the groups (subgroups included) over capped pages: %v", g.Projects)
			}
			now := s.Now()
			cases := []struct {
				project string
				dir     model.Direction
				health  string
			}{
				{"platform/api-gateway", model.Push, model.HealthOK},
				{"platform/web-frontend", model.Push, model.HealthDiverged},
				{"platform/auth-service", model.Push, model.HealthStuck},
				{"platform/tools/helm-charts", model.Pull, model.HealthDiverged},
				{"data/data-lake", model.Pull, model.HealthNever},
			}
			for _, c := range cases {
				m := mirrorOf(st, c.project, c.dir)
				if m == nil {
					t.Errorf("%s %s mirror not read", c.project, c.dir)
					continue
				}
				if h := m.Health(now); h != c.health {
					t.Errorf("%s %s: %s, want %s (status %q, error %q)", c.project, c.dir, h, c.health, m.Status, m.LastError)
				}
			}
			web := mirrorOf(st, "platform/web-frontend", model.Push)
			if refs := model.ParseDivergedRefs(web.LastError); len(refs) != 2 || !web.KeepDivergentRefs || !strings.Contains(web.URL, "*****") {
				t.Errorf("diverged push mirror %+v", web.GitLabMirror)
			}
			// Before 17.5 a pull mirror has no "enabled" field: it is on.
			if m := mirrorOf(st, "data/data-lake", model.Pull); m == nil || !m.Enabled || !m.LastUpdateAt.IsZero() {
				t.Errorf("pull mirror with null timestamps %+v", m)
			}
			if m := mirrorOf(st, "data/analytics", model.Push); m != nil {
				t.Error("a project without mirrors has none")
			}
		})
	}
}

func TestGitLabRateLimit(t *testing.T) {
	s, cfg := gitlabSim(t, sim.GitLabOptions{})
	s.SetFault("gitlab", "/api/v4/groups/", sim.Fault{Status: 429, RetryAfter: 7 * time.Second, Times: 1})
	rs := pollOnce(t, cfg, nil)
	var got *poller.HTTPError
	for _, r := range rs {
		if r.Err != nil && errors.As(r.Err, &got) {
			break
		}
	}
	if got == nil || got.Status != http.StatusTooManyRequests || got.RetryAfter != 7*time.Second {
		t.Fatalf("429 with Retry-After: %v", got)
	}
	// The real rate limiter: its headers reach the client.
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.RunOnce(context.Background())
	c, _ := p.GitLab("gitlab")
	if limit, remaining, reset := c.RateLimit(); limit != 600 || remaining <= 0 || remaining >= 600 || reset.IsZero() {
		t.Errorf("rate limit %d/%d reset %v", remaining, limit, reset)
	}
}

func TestGitLabSendAndPause(t *testing.T) {
	s, cfg := gitlabSim(t, sim.GitLabOptions{})
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := p.GitLab("gitlab")
	ctx := context.Background()
	ans, err := c.Send(ctx, poller.SyncPushCall("platform/api-gateway", 301))
	if err != nil || ans.Status != http.StatusNoContent {
		t.Errorf("push sync: %d %v", ans.Status, err)
	}
	_, err = c.Send(ctx, poller.SyncPullCall("platform/tools/infra-terraform"))
	var he *poller.HTTPError
	if !errors.As(err, &he) || he.Status != http.StatusForbidden || !strings.Contains(he.Message, "on pause") {
		t.Errorf("paused pull mirror: %v", err)
	}
	_, err = c.Send(ctx, poller.SyncPushCall("platform/api-gateway", 302))
	if !errors.As(err, &he) || he.Status != http.StatusBadRequest || !strings.Contains(he.Message, "Cannot proceed with the push mirroring") {
		t.Errorf("disabled push mirror: %v", err)
	}
	if _, err := c.Send(ctx, poller.EditPushCall("platform/web-frontend", 304, map[string]any{"keep_divergent_refs": false})); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, poller.SyncPushCall("platform/web-frontend", 304)); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	if m, _ := s.GitLabMirror("platform/web-frontend", "push"); m.UpdateStatus != "finished" || m.LastError != "" {
		t.Errorf("after keep_divergent_refs off and a sync: %+v", m)
	}
	bad := *cfg
	bad.GitLab = append([]config.GitLab(nil), cfg.GitLab...)
	bad.GitLab[0].Token = config.Secret{Inline: "wrong"}
	rs := pollOnce(t, &bad, nil)
	errs := strings.Join(errorsOf(rs), "\n")
	if !strings.Contains(errs, "HTTP 401") || strings.Contains(errs, "wrong") {
		t.Errorf("bad token errors:\n%s", errs)
	}
}
