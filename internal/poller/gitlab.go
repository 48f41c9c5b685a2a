package poller

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gitlab "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/mirrortop/mirrortop/internal/model"
)

// GitLabClient reads and drives the push and pull mirrors of one GitLab
// instance through the official Go client. It adds what mirrortop needs
// around it: bounded bodies, per-host concurrency, slowing down as the rate
// limit runs low, and errors as *HTTPError (with Retry-After) for the
// scheduler's backoff. The client's own retries and limiter are off: the
// scheduler does both.
type GitLabClient struct {
	secrets []string
	name    string
	base    string // https://host (no credentials), the API is base + /api/v4
	gl      *gitlab.Client
	gate    *rateGate
}

// GitLabOptions configure a GitLabClient.
type GitLabOptions struct {
	Name      string
	BaseURL   string
	Token     string
	Timeout   time.Duration
	MaxBody   int64
	UserAgent string
	// Transport carries the requests (TLS and per-host limits); nil uses
	// a default one.
	Transport http.RoundTripper
}

type noLimit struct{}

func (noLimit) Wait(context.Context) error { return nil }

// NewGitLabClient returns a client for one GitLab instance.
func NewGitLabClient(o GitLabOptions) (*GitLabClient, error) {
	u, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gitlab %s: URL %q: not an absolute http(s) URL", o.Name, RedactURL(o.BaseURL))
	}
	u.User = nil
	tr := o.Transport
	if tr == nil {
		t, err := NewTransport(TLSOptions{})
		if err != nil {
			return nil, err
		}
		tr = t
	}
	if o.MaxBody <= 0 {
		o.MaxBody = defaultMaxBody
	}
	gate := &rateGate{next: bodyLimit{next: tr, max: o.MaxBody}}
	hc := &http.Client{Transport: gate, Timeout: o.Timeout}
	gl, err := gitlab.NewClient(o.Token,
		gitlab.WithBaseURL(u.String()+"/api/v4"),
		gitlab.WithHTTPClient(hc),
		gitlab.WithoutRetries(),
		gitlab.WithCustomLimiter(noLimit{}),
		gitlab.WithUserAgent(cmp.Or(o.UserAgent, "mirrortop")),
	)
	if err != nil {
		return nil, fmt.Errorf("gitlab %s: %w", o.Name, err)
	}
	return &GitLabClient{name: o.Name, base: u.String(), gl: gl, gate: gate, secrets: secretsOf(o.Token)}, nil
}

// BaseURL is the API's base URL as shown in confirmations and the audit log.
func (c *GitLabClient) BaseURL() string { return c.base + "/api/v4/" }

// RateLimit is the latest rate-limit state the server reported.
func (c *GitLabClient) RateLimit() (limit, remaining int, reset time.Time) { return c.gate.state() }

// glErr turns a client-go error into *HTTPError (status, server message,
// Retry-After) or *RequestError.
func glErr(method, path string, resp *gitlab.Response, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gitlab.ErrNotFound) {
		return &HTTPError{Method: method, Path: path, Status: http.StatusNotFound, Message: "404 Not Found"}
	}
	var er *gitlab.ErrorResponse
	if errors.As(err, &er) {
		he := &HTTPError{Method: method, Path: path, Status: er.StatusCode, Message: gitlabMessage(er.Body)}
		if er.Response != nil {
			he.RetryAfter = parseRetryAfter(er.Response.Header.Get("Retry-After"), time.Now())
		}
		return he
	}
	if resp != nil && resp.Response != nil && (resp.StatusCode < 200 || resp.StatusCode > 299) {
		return &HTTPError{Method: method, Path: path, Status: resp.StatusCode}
	}
	if errors.Is(err, errBodyTooLarge) {
		return &RequestError{Method: method, Path: path, Reason: err.Error(), Err: err}
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) {
		ct := "application/json"
		if resp != nil && resp.Response != nil {
			ct = resp.Header.Get("Content-Type")
		}
		return &RequestError{Method: method, Path: path, Reason: badBody(ct, err), Decode: true, Err: err}
	}
	return &RequestError{Method: method, Path: path, Reason: describe(err), Err: err}
}

// gitlabMessage extracts GitLab's {"message": …} or {"error": …}, or the
// start of a plain-text body.
func gitlabMessage(body []byte) string {
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		for _, k := range []string{"message", "error"} {
			switch v := obj[k].(type) {
			case string:
				return oneLine(v)
			case map[string]any:
				return oneLine(fieldErrors(v))
			case []any:
				b, _ := json.Marshal(v)
				return oneLine(string(b))
			}
		}
	}
	if s := strings.TrimSpace(string(body)); s != "" && !strings.HasPrefix(s, "<") {
		return oneLine(s)
	}
	return ""
}

// fieldErrors reads GitLab's validation errors ({"field": ["message", …]})
// as "field message; field message", fields in order.
func fieldErrors(v map[string]any) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		switch msgs := v[k].(type) {
		case []any:
			for _, x := range msgs {
				parts = append(parts, fmt.Sprintf("%s %v", k, x))
			}
		default:
			parts = append(parts, fmt.Sprintf("%s %v", k, msgs))
		}
	}
	return strings.Join(parts, "; ")
}

// projectPath is how a project path goes into an API path.
func projectPath(p string) string { return "projects/" + url.PathEscape(p) }

// ProjectInfo is a project found while listing what to watch.
type ProjectInfo struct {
	Path string
	// PullMirror is known for projects found in a group listing (the
	// "mirror" field); for configured projects it is unknown and asked.
	PullKnown  bool
	PullMirror bool
}

// GroupProjects lists a group's projects (and its subgroups' when asked),
// every page to the end; totals are never trusted (GitLab drops them past
// 10 000 records).
func (c *GitLabClient) GroupProjects(ctx context.Context, group string, subgroups bool) ([]ProjectInfo, error) {
	var out []ProjectInfo
	opt := &gitlab.ListGroupProjectsOptions{ListOptions: gitlab.ListOptions{PerPage: 100, Page: 1}, IncludeSubGroups: gitlab.Ptr(subgroups)}
	path := "groups/" + url.PathEscape(group) + "/projects"
	for range maxGitLabPages {
		ps, resp, err := c.gl.Groups.ListGroupProjects(group, opt, gitlab.WithContext(ctx))
		if err != nil {
			return nil, c.redactErr(glErr(http.MethodGet, path, resp, err))
		}
		for _, p := range ps {
			out = append(out, ProjectInfo{Path: p.PathWithNamespace, PullKnown: true, PullMirror: p.Mirror})
		}
		if resp == nil || resp.NextPage == 0 || resp.NextPage <= opt.Page {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
	// A list this long is a server that never says "last page"; half of
	// a group would pass for the whole of it.
	return nil, &RequestError{Method: http.MethodGet, Path: path, Reason: fmt.Sprintf("more than %d pages", maxGitLabPages)}
}

// maxGitLabPages bounds the GitLab lists read page by page (a group's
// projects, a project's push mirrors): a million entries at 100 a page.
var maxGitLabPages = 10_000

// wireGitLabMirror decodes a push or pull mirror leniently: client-go's
// typed structs cannot tell an absent "enabled" (pull mirrors before 17.5)
// from false, and one odd timestamp would fail the whole list.
type wireGitLabMirror struct {
	ID                     flexInt    `json:"id"`
	URL                    flexString `json:"url"`
	Enabled                *flexBool  `json:"enabled"`
	UpdateStatus           flexString `json:"update_status"`
	LastUpdateAt           flexTime   `json:"last_update_at"`
	LastUpdateStartedAt    flexTime   `json:"last_update_started_at"`
	LastSuccessfulUpdateAt flexTime   `json:"last_successful_update_at"`
	LastError              flexString `json:"last_error"`
	AuthMethod             flexString `json:"auth_method"`
	OnlyProtectedBranches  flexBool   `json:"only_protected_branches"`
	KeepDivergentRefs      flexBool   `json:"keep_divergent_refs"`
	MirrorBranchRegex      flexString `json:"mirror_branch_regex"`
	OnlyMirrorProtected    flexBool   `json:"only_mirror_protected_branches"`
	OverwritesDiverged     flexBool   `json:"mirror_overwrites_diverged_branches"`
	TriggerBuilds          flexBool   `json:"mirror_trigger_builds"`
}

func (w wireGitLabMirror) model(d model.Direction) model.GitLabMirror {
	m := model.GitLabMirror{Direction: d, ID: int64(w.ID), URL: model.MaskURL(model.Sanitize(string(w.URL))),
		Enabled: w.Enabled == nil || bool(*w.Enabled), Status: strings.ToLower(strings.TrimSpace(model.Sanitize(string(w.UpdateStatus)))),
		LastUpdateAt: w.LastUpdateAt.Time(), LastUpdateStartedAt: w.LastUpdateStartedAt.Time(), LastSuccessfulUpdateAt: w.LastSuccessfulUpdateAt.Time(),
		LastError: string(w.LastError), BranchRegex: string(w.MirrorBranchRegex), AuthMethod: string(w.AuthMethod)}
	if d == model.Push {
		m.OnlyProtected, m.KeepDivergentRefs = bool(w.OnlyProtectedBranches), bool(w.KeepDivergentRefs)
	} else {
		m.OnlyProtected, m.OverwriteDiverged, m.TriggerBuilds = bool(w.OnlyMirrorProtected), bool(w.OverwritesDiverged), bool(w.TriggerBuilds)
	}
	return m
}

// get GETs an API path (relative to /api/v4/) into v through the client.
func (c *GitLabClient) get(ctx context.Context, path string, query url.Values, v any) (*gitlab.Response, error) {
	u := *c.gl.BaseURL()
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return nil, &RequestError{Method: http.MethodGet, Path: path, Reason: "bad path", Err: err}
	}
	u.RawPath, u.Path = u.Path+path, u.Path+unescaped
	u.RawQuery = query.Encode()
	req, err := c.gl.NewRequestToURL(http.MethodGet, &u, nil, []gitlab.RequestOptionFunc{gitlab.WithContext(ctx)})
	if err != nil {
		return nil, &RequestError{Method: http.MethodGet, Path: path, Reason: "cannot build request", Err: err}
	}
	resp, err := c.gl.Do(req, v)
	return resp, c.redactErr(glErr(http.MethodGet, path, resp, err))
}

// redactErr blanks the token out of a server's message.
func (c *GitLabClient) redactErr(err error) error {
	if he, ok := err.(*HTTPError); ok {
		he.Message = redact(he.Message, c.secrets)
	}
	return err
}

// ProjectMirrors reads a project's push mirrors (all pages) and, when it may
// have one, its pull mirror ("The project is not mirrored" means none).
func (c *GitLabClient) ProjectMirrors(ctx context.Context, p ProjectInfo) (model.GitLabProject, error) {
	res := model.GitLabProject{Project: p.Path}
	path := projectPath(p.Path) + "/remote_mirrors"
	page, done := int64(1), false
	for range maxGitLabPages {
		var ws []wireGitLabMirror
		resp, err := c.get(ctx, path, url.Values{"per_page": {"100"}, "page": {strconv.FormatInt(page, 10)}}, &ws)
		if err != nil {
			return res, err
		}
		for _, w := range ws {
			res.Push = append(res.Push, w.model(model.Push))
		}
		if resp == nil || resp.NextPage == 0 || resp.NextPage <= page {
			done = true
			break
		}
		page = resp.NextPage
	}
	if !done {
		return res, &RequestError{Method: http.MethodGet, Path: path, Reason: fmt.Sprintf("more than %d pages", maxGitLabPages)}
	}
	if p.PullKnown && !p.PullMirror {
		res.PullOff = true
		return res, nil
	}
	var w wireGitLabMirror
	_, err := c.get(ctx, projectPath(p.Path)+"/mirror/pull", nil, &w)
	var he *HTTPError
	if errors.As(err, &he) && (he.Status == http.StatusBadRequest || he.Status == http.StatusNotFound) {
		res.PullOff = he.Status == http.StatusBadRequest
		return res, nil // not a pull mirror, or a GitLab without the resource
	}
	if err != nil {
		return res, err
	}
	m := w.model(model.Pull)
	res.Pull = &m
	return res, nil
}

// Send executes a write call on the API (paths relative to /api/v4/),
// through the client's request building and authentication.
func (c *GitLabClient) Send(ctx context.Context, call Call) (Answer, error) {
	req, err := c.gl.NewRequest(call.Method, call.Path, call.Body, []gitlab.RequestOptionFunc{gitlab.WithContext(ctx)})
	if err != nil {
		return Answer{}, &RequestError{Method: call.Method, Path: call.Path, Reason: "cannot build request", Err: err}
	}
	var body bytes.Buffer
	resp, err := c.gl.Do(req, &body)
	ans := Answer{}
	if err == nil {
		ans.Body = body.Bytes()[:min(body.Len(), 64<<10)]
	}
	if resp != nil && resp.Response != nil {
		ans.Status = resp.StatusCode
	}
	if err != nil {
		he := c.redactErr(glErr(call.Method, call.Path, resp, err))
		if h, ok := he.(*HTTPError); ok {
			ans.Status = h.Status
		}
		return ans, he
	}
	return ans, nil
}

// GitLab write calls (paths relative to /api/v4/).

// SyncPushCall forces a push mirror's update (POST …/remote_mirrors/:id/sync).
func SyncPushCall(project string, id int64) Call {
	return Call{Method: http.MethodPost, Path: projectPath(project) + "/remote_mirrors/" + strconv.FormatInt(id, 10) + "/sync"}
}

// SyncPullCall starts a pull mirror's update (POST …/mirror/pull).
func SyncPullCall(project string) Call {
	return Call{Method: http.MethodPost, Path: projectPath(project) + "/mirror/pull"}
}

// DeletePushCall deletes a push mirror (DELETE …/remote_mirrors/:id,
// GitLab 14.10 and later).
func DeletePushCall(project string, id int64) Call {
	return Call{Method: http.MethodDelete, Path: projectPath(project) + "/remote_mirrors/" + strconv.FormatInt(id, 10)}
}

// AddPushCall creates a push mirror (POST …/remote_mirrors, 201). settings
// holds url (with any credentials), enabled, auth_method and the mirror's
// options; shown is the same without credentials, for people.
func AddPushCall(project string, settings, shown map[string]any) Call {
	return Call{Method: http.MethodPost, Path: projectPath(project) + "/remote_mirrors", Body: settings, Shown: shownOf(shown)}
}

// PushPublicKeyPath is the path of a push mirror's SSH public key (GET,
// GitLab 17.9 and later; 404 unless the mirror authenticates by SSH key).
func PushPublicKeyPath(project string, id int64) string {
	return projectPath(project) + "/remote_mirrors/" + strconv.FormatInt(id, 10) + "/public_key"
}

// EditProjectCall changes a project's attributes (PUT /projects/:id): the
// way to configure, pause or resume a pull mirror before GitLab 17.5
// (mirror, import_url and the mirror_* fields). shown, when not nil, is
// settings without credentials.
func EditProjectCall(project string, settings, shown map[string]any) Call {
	return Call{Method: http.MethodPut, Path: projectPath(project), Body: settings, Shown: shownOf(shown)}
}

// EditPushCall changes a push mirror's settings (PUT …/remote_mirrors/:id).
func EditPushCall(project string, id int64, settings map[string]any) Call {
	return Call{Method: http.MethodPut, Path: projectPath(project) + "/remote_mirrors/" + strconv.FormatInt(id, 10), Body: settings}
}

// EditPullCall changes a pull mirror's settings (PUT …/mirror/pull).
func EditPullCall(project string, settings map[string]any) Call {
	return Call{Method: http.MethodPut, Path: projectPath(project) + "/mirror/pull", Body: settings}
}

// ConfigurePullCall configures a project's pull mirror (PUT …/mirror/pull,
// GitLab 17.5 and later), also one the project did not have: settings may
// hold url, auth_user and auth_password; shown is settings without the
// password, for people.
func ConfigurePullCall(project string, settings, shown map[string]any) Call {
	return Call{Method: http.MethodPut, Path: projectPath(project) + "/mirror/pull", Body: settings, Shown: shownOf(shown)}
}

// rateGate watches GitLab's RateLimit-* headers and, as the remaining quota
// falls under a tenth of the limit, spreads the requests left evenly until
// the window resets, so that the console slows down instead of hitting 429.
type rateGate struct {
	next http.RoundTripper

	mu        sync.Mutex
	limit     int
	remaining int
	reset     time.Time
}

// maxGateWait caps one wait of the gate.
const maxGateWait = 30 * time.Second

func (g *rateGate) state() (int, int, time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit, g.remaining, g.reset
}

func (g *rateGate) wait(now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.limit <= 0 || g.remaining*10 >= g.limit || !g.reset.After(now) {
		return 0
	}
	d := g.reset.Sub(now) / time.Duration(g.remaining+1)
	return min(d, maxGateWait)
}

func (g *rateGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if d := g.wait(time.Now()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		}
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	h := resp.Header
	if l, err := strconv.Atoi(h.Get("RateLimit-Limit")); err == nil {
		r, rerr := strconv.Atoi(h.Get("RateLimit-Remaining"))
		reset, serr := strconv.ParseInt(h.Get("RateLimit-Reset"), 10, 64)
		g.mu.Lock()
		g.limit = l
		if rerr == nil {
			g.remaining = r
		}
		if serr == nil {
			g.reset = time.Unix(reset, 0)
		}
		g.mu.Unlock()
	}
	return resp, nil
}

// bodyLimit fails reads of a response body past max bytes.
type bodyLimit struct {
	next http.RoundTripper
	max  int64
}

func (b bodyLimit) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{limitReader: newLimitReader(resp.Body, b.max), Closer: resp.Body}
	return resp, nil
}

// cappedBody is a response body read through a limitReader.
type cappedBody struct {
	limitReader
	io.Closer
}

// shownOf is a call's Shown for a body shown without credentials: none
// (the body itself is shown) when there is no such body.
func shownOf(shown map[string]any) any {
	if shown == nil {
		return nil
	}
	return shown
}
