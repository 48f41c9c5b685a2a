package actions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// Outcome is how an action ended.
type Outcome string

// The outcomes.
const (
	// OutcomeDone: every call was answered 2xx.
	OutcomeDone Outcome = "done"
	// OutcomeAccepted: a sync request was answered 2xx; whether it synced
	// is for the next polls to show.
	OutcomeAccepted Outcome = "accepted"
	// OutcomeNotTriggered: a sync that the server cannot trigger; nothing
	// happened.
	OutcomeNotTriggered Outcome = "not-triggered"
	// OutcomeAcknowledged: an alert was muted locally.
	OutcomeAcknowledged Outcome = "acknowledged"
	// OutcomeFailed: a call failed or was refused.
	OutcomeFailed Outcome = "failed"
	// OutcomeRefused: mirrortop refused the action (a viewer's key);
	// nothing was sent.
	OutcomeRefused Outcome = "refused"
	// OutcomeAlreadyRunning: the same action (same plan key) was under way,
	// started by someone else; it runs once, and nothing more was sent.
	OutcomeAlreadyRunning Outcome = "already-running"
)

// Actor is who asks for an action, as the audit log names them.
type Actor struct {
	// User is the local user, or the SSH user of a served session.
	User string
	// Key is the fingerprint of the SSH key of a served session ("" for
	// a local console).
	Key string
	// Role is the key's role ("" for a local console).
	Role string
}

func (a Actor) String() string {
	if a.Key == "" {
		return a.User
	}
	return a.User + " (" + a.Key + ")"
}

// Sender sends calls to one server.
type Sender interface {
	Send(ctx context.Context, c poller.Call) (poller.Answer, error)
	BaseURL() string
}

// StepResult is what one call of a plan got.
type StepResult struct {
	Request string
	Status  int
	Err     string
	// Body is the start of a successful answer's body, for the console
	// (a created mirror's id); it is never audited.
	Body []byte
}

// Result is how an executed plan ended.
type Result struct {
	Plan    Plan
	At      time.Time
	Outcome Outcome
	Message string
	Steps   []StepResult
	// Paused is set when GitLab answered that the mirror is on pause.
	Paused bool
	// By is who asked for it, as the audit log names them.
	By Actor
}

// Executor runs confirmed plans against the servers and audits them.
type Executor struct {
	Primary Sender
	Farm    func(name string) (Sender, bool)
	GitLab  func(name string) (Sender, bool)
	Audit   *AuditLog
	Acks    *AckStore
	User    string
	Now     func() time.Time
	// Timeout bounds a whole action (default 30s).
	Timeout time.Duration

	mu      sync.Mutex
	running map[string]runningAction // by plan key
}

// runningAction is an action under way: who started it, and when.
type runningAction struct {
	by Actor
	at time.Time
}

// RequestText shows a call as the confirmation and the audit log show it:
// method and full URL (never with credentials).
func RequestText(base string, c poller.Call) string {
	s := c.Method + " " + base + c.Path
	if b := c.BodyText(); b != "" {
		s += " " + b
	}
	return s
}

// Describe lists a plan's calls as they will be sent.
func (e *Executor) Describe(p Plan) []string {
	var out []string
	for _, st := range p.Steps {
		base := "<" + st.Farm + st.GitLab + ">"
		if s, ok := e.sender(st); ok {
			base = s.BaseURL()
		}
		out = append(out, RequestText(base, st.Call))
	}
	return out
}

func (e *Executor) sender(st Step) (Sender, bool) {
	switch {
	case st.GitLab != "":
		if e.GitLab == nil {
			return nil, false
		}
		return e.GitLab(st.GitLab)
	case st.Farm == PrimaryTarget:
		return e.Primary, e.Primary != nil
	case e.Farm == nil:
		return nil, false
	}
	return e.Farm(st.Farm)
}

func (e *Executor) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Execute runs a confirmed plan as the executor's User (see ExecuteAs).
func (e *Executor) Execute(ctx context.Context, p Plan) Result {
	return e.ExecuteAs(ctx, p, Actor{User: e.User})
}

// Refuse records in the audit log that who asked for an action they may
// not run, and returns the refusal; nothing is sent.
func (e *Executor) Refuse(kind Kind, target string, who Actor, why string) Result {
	res := Result{Plan: Plan{Kind: kind, Target: target}, At: e.now(), Outcome: OutcomeRefused,
		Message: "Refused: " + why + ". Nothing was sent."}
	e.audit(&res, who, "", 0)
	return res
}

// ExecuteAs runs a confirmed plan for who: its calls in order, stopping at
// the first failure, one audit line per call (or one for an action
// without calls), each naming who. While a plan runs, another of the same
// key (the same action on the same thing, asked by another session) is
// not run again: it ends at once as OutcomeAlreadyRunning.
func (e *Executor) ExecuteAs(ctx context.Context, p Plan, who Actor) Result {
	if p.Key != "" {
		e.mu.Lock()
		if r, ok := e.running[p.Key]; ok {
			e.mu.Unlock()
			res := Result{Plan: p, At: e.now(), Outcome: OutcomeAlreadyRunning,
				Message: fmt.Sprintf("%s: already under way, started by %s at %s; it runs once, and its result shows in Events. Nothing more was sent.",
					p.Title, r.by, r.at.Local().Format("15:04:05"))}
			e.audit(&res, who, "", 0)
			return res
		}
		if e.running == nil {
			e.running = map[string]runningAction{}
		}
		e.running[p.Key] = runningAction{by: who, at: e.now()}
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			delete(e.running, p.Key)
			e.mu.Unlock()
		}()
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res := Result{Plan: p, At: e.now(), By: who}
	switch {
	case p.Ack != nil && len(p.Steps) == 0:
		if err := e.Acks.Add(*p.Ack); err != nil {
			res.Outcome, res.Message = OutcomeFailed, "could not record the acknowledgement: "+err.Error()
		} else {
			res.Outcome = OutcomeAcknowledged
			res.Message = ackText(p.Ack)
		}
		e.audit(&res, who, "", 0)
		return res
	case len(p.Steps) == 0:
		res.Outcome = OutcomeNotTriggered
		res.Message = "Nothing was sent: " + p.Note + " " + nextSync(p, res.At)
		e.audit(&res, who, "", 0)
		return res
	}
	for i, st := range p.Steps {
		s, ok := e.sender(st)
		if !ok {
			res.Outcome, res.Message = OutcomeFailed, "no client for "+st.Farm+st.GitLab
			e.audit(&res, who, "", 0)
			return res
		}
		req := p.scrub(RequestText(s.BaseURL(), st.Call)) // a backstop: Shown should never hold a secret
		ans, err := s.Send(ctx, st.Call)
		sr := StepResult{Request: req, Status: ans.Status, Body: ans.Body}
		if err != nil {
			sr.Err = p.scrub(model.Sanitize(err.Error()))
		}
		res.Steps = append(res.Steps, sr)
		if err != nil {
			res.Paused = IsPaused(err)
			res.Outcome, res.Message = e.failure(p, i, ans.Status, err, res.At)
			e.audit(&res, who, req, ans.Status)
			return res
		}
		res.Outcome, res.Message = success(p, ans.Status)
		e.audit(&res, who, req, ans.Status)
	}
	if p.Ack != nil { // a strategy that also mutes the alert, once its calls went through
		ack := Result{Plan: Plan{Kind: KindAcknowledge, Target: p.Target}, At: res.At, Outcome: OutcomeAcknowledged,
			Message: ackText(p.Ack)}
		if err := e.Acks.Add(*p.Ack); err != nil {
			ack.Outcome, ack.Message = OutcomeFailed, "could not record the acknowledgement: "+err.Error()
			res.Message += " (the acknowledgement could not be recorded: " + err.Error() + ")"
		} else {
			res.Message += " Alert muted until " + p.Ack.Until.Local().Format("Jan 2 15:04") + "."
		}
		e.audit(&ack, who, "", 0)
	}
	return res
}

func (e *Executor) audit(res *Result, who Actor, req string, status int) {
	res.Message = res.Plan.scrub(res.Message)
	if e.Audit == nil {
		return
	}
	err := e.Audit.Write(AuditEntry{Time: e.now().UTC(), User: who.User, Key: who.Key, Role: who.Role, Action: res.Plan.Kind, Target: res.Plan.Target,
		Request: req, Status: status, Outcome: res.Outcome, Message: res.Message})
	if err != nil {
		res.Message += " (the audit log could not be written: " + err.Error() + ")"
	}
}

// ackText is the message of a recorded acknowledgement.
func ackText(a *Ack) string {
	return fmt.Sprintf("Acknowledged %s until %s: %s", a.Repo, a.Until.Local().Format("Jan 2 15:04"), a.Reason)
}

func success(p Plan, status int) (Outcome, string) {
	switch p.Kind {
	case KindSync:
		return OutcomeAccepted, fmt.Sprintf("The mirror accepted the sync request (HTTP %d). The panes show what the next polls observe, not an assumed success.", status)
	case KindGitLabSync:
		return OutcomeAccepted, fmt.Sprintf("GitLab accepted the update request (HTTP %d): the pane shows the status GitLab reports next, not an assumed success.", status)
	case KindGitLabOurs, KindGitLabTheirs:
		return OutcomeAccepted, fmt.Sprintf("%s: GitLab accepted (HTTP %d); the pane shows whether the next update succeeds.", p.Title, status)
	case KindApprove, KindAddProject:
		return OutcomeDone, p.Title + ": done. " + p.Note
	case KindReseed:
		return OutcomeDone, p.Title + ": done. The project's repositories show INITIALIZING until cloned again."
	}
	return OutcomeDone, p.Title + ": done."
}

func (e *Executor) failure(p Plan, step, status int, err error, at time.Time) (Outcome, string) {
	var he *poller.HTTPError
	isHTTP := errors.As(err, &he)
	if p.Kind == KindSync && isHTTP && (status == http.StatusGone || status == http.StatusNotFound || status == http.StatusMethodNotAllowed) {
		why := fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))
		if he.Message != "" {
			why += " (" + model.Sanitize(he.Message) + ")"
		}
		return OutcomeNotTriggered, "Nothing was triggered: the mirror answered " + why + ". " + nextSync(p, at)
	}
	if IsPaused(err) {
		return OutcomeFailed, "Paused: GitLab stopped updating this pull mirror after repeated failures, and its API cannot resume it. Use \"Update now\" in the project's Settings > Repository > Mirroring repositories, or an administrator's Rails console. Nothing changed. (" + p.Title + ")"
	}
	if isHTTP && step < len(p.Steps) && p.Steps[step].GitLab != "" {
		if msg, ok := gitlabRefusal(p, he); ok {
			return OutcomeFailed, msg
		}
	}
	var msg string
	if isHTTP {
		msg = fmt.Sprintf("Failed: HTTP %d %s", he.Status, http.StatusText(he.Status))
		if he.Message != "" {
			msg += ": " + model.Sanitize(he.Message)
		}
		msg += ". Nothing changed. (" + p.Title + ")"
	} else {
		var re *poller.RequestError
		why := model.Sanitize(err.Error())
		if errors.As(err, &re) {
			why = re.Reason
		}
		msg = "Failed: " + why + ": the request may or may not have reached the server; the next poll shows the real state. (" + p.Title + ")"
	}
	if p.Kind == KindReseed && step == 1 {
		msg = fmt.Sprintf("Re-seed incomplete: %s was removed from the farm, but adding it back failed (%s). The farm no longer mirrors it: add it back from the farm's detail (+).", p.Target, model.Sanitize(err.Error()))
	}
	return OutcomeFailed, msg
}

// IsPaused reports whether GitLab refused an update because the pull
// mirror is on pause (403 "Mirroring for the project is on pause").
func IsPaused(err error) bool {
	var he *poller.HTTPError
	return errors.As(err, &he) && he.Status == http.StatusForbidden && strings.Contains(strings.ToLower(he.Message), "on pause")
}

func nextSync(p Plan, at time.Time) string {
	if p.SyncInterval <= 0 {
		return ""
	}
	return fmt.Sprintf("The mirror's scheduled full sync (every %s) should pick it up by %s.", fmtInterval(p.SyncInterval), at.Add(p.SyncInterval).Local().Format("15:04:05"))
}
