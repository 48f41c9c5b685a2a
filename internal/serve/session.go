package serve

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/ui"
)

// Actor is who a session's actions are audited as.
func (s *Session) Actor() actions.Actor {
	return actions.Actor{User: s.User, Key: s.Identity.Fingerprint, Role: string(s.Identity.Role)}
}

// Operator reports whether the session's key may run actions.
func (s *Session) Operator() bool { return s.Identity.Role == RoleOperator }

// Runner is the action runner of a session: it runs an operator's
// confirmed plans as that operator (the audit names the SSH user and the
// key), and refuses a viewer's, auditing the attempt, whatever the
// console offered.
func Runner(ex *actions.Executor, s *Session) ui.ActionRunner {
	return sessionRunner{ex: ex, who: s.Actor(), operator: s.Operator()}
}

type sessionRunner struct {
	ex       *actions.Executor
	who      actions.Actor
	operator bool
}

func (r sessionRunner) Describe(p actions.Plan) []string { return r.ex.Describe(p) }

// GitLabGet reads what the console shows around an operator's GitLab
// action (a new mirror's public key); a viewer reads nothing.
func (r sessionRunner) GitLabGet(ctx context.Context, instance, path string) ([]byte, error) {
	if !r.operator {
		return nil, errors.New("viewer keys cannot act")
	}
	return r.ex.GitLabGet(ctx, instance, path)
}

func (r sessionRunner) Execute(ctx context.Context, p actions.Plan) actions.Result {
	if !r.operator {
		res := r.ex.Refuse(p.Kind, p.Target, r.who, "viewer keys cannot act")
		res.Plan = p
		return res
	}
	return r.ex.ExecuteAs(ctx, p, r.who)
}

// Refusal is what a session's console calls when read-only mode refused
// an action key (ui.Options.Refused): the attempt goes to the audit log.
func Refusal(ex *actions.Executor, s *Session) func(a ui.Action, target string) string {
	who := s.Actor()
	return func(a ui.Action, target string) string {
		why := "this server is read-only"
		if !s.Operator() {
			why = "viewer keys cannot act"
		}
		if ex == nil {
			return "read-only: " + string(a) + " refused (" + why + ")"
		}
		res := ex.Refuse(actions.Kind(a), target, who, why)
		return res.Message + " (audited)"
	}
}

// RefreshEvery is how often at most the sessions of one server may ask
// for a full refresh: each asks every target for everything, so twenty
// viewers pressing it must not make twenty.
const RefreshEvery = 10 * time.Second

// Refresher is what a shared control asks of the poller.
type Refresher interface {
	Refresh()
	Paused() bool
}

// Control is the ui.Controller the sessions of one server share: a
// refresh goes through at most once per RefreshEvery, and pause is the
// console's to refuse (ui.Options.Served).
func Control(p Refresher) ui.Controller { return &sharedControl{p: p} }

type sharedControl struct {
	p    Refresher
	mu   sync.Mutex
	last time.Time
}

func (c *sharedControl) Refresh() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.last) >= RefreshEvery {
		c.last = now
		c.p.Refresh()
	}
}

func (c *sharedControl) SetPaused(bool) {}

func (c *sharedControl) Paused() bool { return c.p.Paused() }
