package poller

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Auth is how a client authenticates: Bearer when Token is set, else Basic
// when User is set, else anonymously.
type Auth struct {
	User     string
	Password string
	Token    string
}

// TLSOptions configure server certificate verification.
type TLSOptions struct {
	CAFile             string
	InsecureSkipVerify bool
}

// ClientOptions configure a Client.
type ClientOptions struct {
	BaseURL   string
	Auth      Auth
	Timeout   time.Duration
	MaxBody   int64
	PageSize  int
	UserAgent string
	// Transport carries the requests; nil builds one from TLS.
	Transport http.RoundTripper
	TLS       TLSOptions
}

// Client reads the mirroring REST API of one Bitbucket base URL.
type Client struct {
	r        *resty.Client
	base     string
	secrets  []string // credentials to blank out of anything a server says
	maxBody  int64
	pageSize int
	now      func() time.Time

	detectMu   sync.Mutex // one layout detection at a time; guards detected*
	detected   model.UpstreamServer
	detectedAt time.Time
	cert       atomic.Int64                  // NotAfter (Unix) of the server certificate last seen
	clock      atomic.Pointer[time.Duration] // server clock minus ours, from the last Date header
	pool       *strPool                      // strings shared with the poller's other clients; nil copies
	prevRepos  atomic.Pointer[list[model.Repo]]
	prevSync   atomic.Pointer[list[*model.RepoSyncStatus]]
	mu         sync.Mutex
	layout     model.Layout
	upstreamID string
}

const (
	mirroringPrefix = "/rest/mirroring/latest/"
	defaultMaxBody  = 64 << 20
	maxPages        = 100_000
)

// NewTransport builds an HTTP transport verifying certificates against the
// system roots, plus the CA file when one is given.
func NewTransport(opts TLSOptions) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 8
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.InsecureSkipVerify} //nolint:gosec // only when configured explicitly
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificates found", opts.CAFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return tr, nil
}

// NewClient returns a client for opts.BaseURL. User info in the URL is
// removed from it and used as Basic credentials when none are given.
func NewClient(opts ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: not an absolute http(s) URL", RedactURL(opts.BaseURL))
	}
	if u.User != nil {
		if opts.Auth.User == "" && opts.Auth.Token == "" {
			opts.Auth.User = u.User.Username()
			opts.Auth.Password, _ = u.User.Password()
		}
		u.User = nil
	}
	tr := opts.Transport
	if tr == nil {
		t, err := NewTransport(opts.TLS)
		if err != nil {
			return nil, err
		}
		tr = t
	}
	r := resty.New().
		SetTransport(tr).
		SetBaseURL(u.String()).
		SetHeader("Accept", "application/json").
		SetHeader("User-Agent", cmp.Or(opts.UserAgent, "mirrortop")).
		SetDoNotParseResponse(true).
		SetRedirectPolicy(resty.FlexibleRedirectPolicy(5))
	if opts.Timeout > 0 {
		r.SetTimeout(opts.Timeout)
	}
	switch {
	case opts.Auth.Token != "":
		r.SetAuthScheme("Bearer").SetAuthToken(opts.Auth.Token)
	case opts.Auth.User != "":
		r.SetBasicAuth(opts.Auth.User, opts.Auth.Password)
	}
	r.SetLogger(discardLogger{})
	c := &Client{r: r, base: u.String(), maxBody: opts.MaxBody, pageSize: opts.PageSize, now: time.Now,
		secrets: secretsOf(opts.Auth.Password, opts.Auth.Token)}
	if c.maxBody <= 0 {
		c.maxBody = defaultMaxBody
	}
	if c.pageSize <= 0 {
		c.pageSize = 1000
	}
	return c, nil
}

// BaseURL is the client's base URL (without credentials).
func (c *Client) BaseURL() string { return c.base }

// CertExpiry is when the server's TLS certificate last seen expires (zero
// over plain HTTP or before the first answer).
func (c *Client) CertExpiry() time.Time {
	if v := c.cert.Load(); v != 0 {
		return time.Unix(v, 0).UTC()
	}
	return time.Time{}
}

// ClockOffset is the server's clock minus the local one, from the Date
// header of the last answer that had one; ok is false before that. The
// server's time is taken as the middle of the second the header names (it
// has one-second resolution) and set against the local time half-way
// through the round trip, so the offset is good to about half a second plus
// half the round trip.
func (c *Client) ClockOffset() (offset time.Duration, ok bool) {
	if p := c.clock.Load(); p != nil {
		return *p, true
	}
	return 0, false
}

// noteDate records the clock offset from an answer's Date header, sent
// and received being the local times around the request.
func (c *Client) noteDate(date string, sent, received time.Time) {
	if date == "" {
		return
	}
	at, err := http.ParseTime(date)
	if err != nil {
		return
	}
	mid := sent.Add(received.Sub(sent) / 2)
	d := at.Add(500 * time.Millisecond).Sub(mid)
	c.clock.Store(&d)
}

// reason describes a transport error; a TLS failure names the host.
func (c *Client) reason(err error) string {
	r := describe(err)
	if isTLS(err) {
		host := c.base
		if u, perr := url.Parse(c.base); perr == nil {
			host = u.Host
		}
		r += " (host " + host + ")"
	}
	return r
}

// RedactURL removes user info from a URL string for display.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil && strings.Contains(s, "@") {
			return "(unparsable URL)"
		}
		return s
	}
	u.User = nil
	return u.String()
}

// secretsOf lists the non-empty credentials a client sends.
func secretsOf(vals ...string) []string {
	var out []string
	for _, v := range vals {
		if len(v) >= 4 { // shorter values would blank ordinary words
			out = append(out, v)
		}
	}
	return out
}

// redact blanks out credentials that a server echoed back in a message.
func redact(s string, secrets []string) string {
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "***")
	}
	return s
}

type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}

// do sends one request and hands the (size-bounded) body of a 2xx answer to
// decode, returning the answer's status. Non-2xx answers become *HTTPError.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body any, decode func(io.Reader) error) (int, error) {
	req := c.r.R().SetContext(ctx)
	if query != nil {
		req.SetQueryParamsFromValues(query)
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, &RequestError{Method: method, Path: path, Reason: "cannot encode request body", Err: err}
		}
		req.SetHeader("Content-Type", "application/json").SetBody(b)
	}
	if method != http.MethodGet {
		// Bitbucket's XSRF check is for browser form posts; REST clients
		// declare themselves with this header.
		req.SetHeader("X-Atlassian-Token", "no-check")
	}
	sent := c.now()
	resp, err := req.Execute(method, path)
	if err != nil {
		return 0, &RequestError{Method: method, Path: path, Reason: c.reason(err), Err: err}
	}
	c.noteDate(resp.Header().Get("Date"), sent, c.now())
	if rr := resp.RawResponse; rr != nil && rr.TLS != nil && len(rr.TLS.PeerCertificates) > 0 {
		c.cert.Store(rr.TLS.PeerCertificates[0].NotAfter.Unix())
	}
	raw := resp.RawBody()
	defer func() {
		// Drain a little so the connection can be reused, then close.
		_, _ = io.CopyN(io.Discard, raw, 4096)
		raw.Close()
	}()
	status := resp.StatusCode()
	if status < 200 || status > 299 {
		msg := redact(readErrorMessage(io.LimitReader(raw, 64<<10)), c.secrets)
		return status, &HTTPError{Method: method, Path: path, Status: status,
			RetryAfter: parseRetryAfter(resp.Header().Get("Retry-After"), c.now()), Message: msg}
	}
	if decode == nil {
		return status, nil
	}
	// Every decoder reads the whole body into its own buffer: no bufio in
	// between, which would only copy it once more.
	lr := newLimitReader(raw, c.maxBody)
	if err := decode(&lr); err != nil {
		if lr.exceeded {
			return status, &RequestError{Method: method, Path: path, Reason: bodyTooLarge{max: c.maxBody}.Error(), Err: err}
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isTimeout(err) {
			return status, &RequestError{Method: method, Path: path, Reason: describe(err), Err: err}
		}
		return status, &RequestError{Method: method, Path: path, Reason: badBody(resp.Header().Get("Content-Type"), err), Decode: true, Err: err}
	}
	return status, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func badBody(contentType string, err error) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt != "" && !strings.Contains(mt, "json") {
		return "answer is not JSON (" + mt + ")"
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("unexpected JSON: %s where %s was expected", te.Value, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "truncated JSON"
	}
	return "unreadable answer: " + err.Error()
}

// readErrorMessage extracts the first message of a RestErrors body.
func readErrorMessage(r io.Reader) string {
	b, _ := io.ReadAll(r)
	var e restErrors
	if json.Unmarshal(b, &e) == nil {
		if len(e.Errors) > 0 && e.Errors[0].Message != "" {
			return oneLine(e.Errors[0].Message)
		}
		if e.Message != "" {
			return oneLine(e.Message)
		}
	}
	return ""
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// limitReader fails reads past max bytes with bodyTooLarge and notes it;
// a body of exactly max bytes reads to its end.
type limitReader struct {
	r         io.Reader
	left, max int64
	exceeded  bool
}

func newLimitReader(r io.Reader, max int64) limitReader {
	return limitReader{r: r, left: max, max: max}
}

// bodyTooLarge is the error of reading past a body's cap.
type bodyTooLarge struct{ max int64 }

func (e bodyTooLarge) Error() string { return fmt.Sprintf("response larger than %d MiB", e.max>>20) }

// errBodyTooLarge matches any bodyTooLarge with errors.Is.
var errBodyTooLarge = bodyTooLarge{}

func (e bodyTooLarge) Is(target error) bool { _, ok := target.(bodyTooLarge); return ok }

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// An answer of exactly max bytes is fine: look for one more.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n == 0 {
			return 0, err
		}
		l.exceeded = true
		return 0, bodyTooLarge{max: l.max}
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// getJSON GETs path and decodes the JSON answer into v. The answer is read
// whole first, into a buffer never grown past max_body_mb, where a
// streaming decoder's own buffer would double past it.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, v any) error {
	return c.getWhole(ctx, &answerBufs, path, query, func(raw []byte) error { return unmarshal(raw, v) })
}

// unmarshal decodes a whole answer into v; one that ends in the middle of
// its value is reported as truncated (io.ErrUnexpectedEOF), not as
// malformed at its last byte.
func unmarshal(raw []byte, v any) error {
	err := json.Unmarshal(raw, v)
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset >= int64(len(raw)) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// page is one page of a paged resource.
type page[T any] struct {
	pageMeta
	Values []T `json:"values"`
}

// walkPages drives a paged resource from start 0 to its last page. fetch
// GETs one page with the given query and reports its paging fields and how
// many values it held; stop=true ends the walk early. It follows
// nextPageStart, tolerates servers that cap the page size or omit paging
// fields, and fails on a page that makes no progress.
func (c *Client) walkPages(path string, query url.Values, fetch func(q url.Values) (meta pageMeta, n int, stop bool, err error)) error {
	start := 0
	for range maxPages {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("start", strconv.Itoa(start))
		q.Set("limit", strconv.Itoa(c.pageSize))
		meta, n, stop, err := fetch(q)
		if err != nil || stop {
			return err
		}
		last := n == 0
		if meta.IsLastPage != nil {
			last = bool(*meta.IsLastPage)
		} else if meta.NextPageStart == nil {
			last = true
		}
		if last {
			return nil
		}
		next := start + n
		if meta.NextPageStart != nil && int(*meta.NextPageStart) > start {
			next = int(*meta.NextPageStart)
		}
		if next <= start {
			return &RequestError{Method: http.MethodGet, Path: path, Reason: fmt.Sprintf("paging stalled at start=%d", start)}
		}
		start = next
	}
	return &RequestError{Method: http.MethodGet, Path: path, Reason: "too many pages"}
}

// getPaged GETs every page of a paged resource and calls each for every value.
func getPaged[T any](ctx context.Context, c *Client, path string, query url.Values, each func(*T)) error {
	return c.walkPages(path, query, func(q url.Values) (pageMeta, int, bool, error) {
		var p page[T]
		if err := c.getJSON(ctx, path, q, &p); err != nil {
			return pageMeta{}, 0, false, err
		}
		for i := range p.Values {
			each(&p.Values[i])
		}
		return p.pageMeta, len(p.Values), false, nil
	})
}

// Status reads GET /status (no authentication needed).
func (c *Client) Status(ctx context.Context) (model.ServerStatus, error) {
	var w wireStatus
	err := c.getJSON(ctx, "/status", nil, &w)
	var he *HTTPError
	if errors.As(err, &he) && he.Status == http.StatusServiceUnavailable {
		// A starting instance answers 503 with its state in the body; the
		// error stands, but the message says which state.
		return model.ServerStatus{}, err
	}
	return w.model(), err
}

// AppProperties reads the instance's version.
func (c *Client) AppProperties(ctx context.Context) (model.AppProperties, error) {
	var w wireAppProps
	err := c.getJSON(ctx, "/rest/api/latest/application-properties", nil, &w)
	return model.AppProperties{Version: string(w.Version), BuildNumber: string(w.BuildNumber), DisplayName: string(w.DisplayName)}, err
}

// MirrorServers lists the mirrors registered on the primary.
func (c *Client) MirrorServers(ctx context.Context) ([]model.MirrorServer, error) {
	var out []model.MirrorServer
	err := getPaged(ctx, c, mirroringPrefix+"mirrorServers", nil, func(w *wireMirrorServer) { out = append(out, w.model()) })
	return out, err
}

// PendingRequests lists the primary's pending mirroring requests. Requests
// in another state are dropped even if the server ignores the filter.
func (c *Client) PendingRequests(ctx context.Context) ([]model.MirrorRequest, error) {
	out := []model.MirrorRequest{}
	err := getPaged(ctx, c, mirroringPrefix+"requests", url.Values{"state": {"PENDING"}}, func(w *wireRequest) {
		if m := w.model(); m.State == "" || m.State == "PENDING" {
			out = append(out, m)
		}
	})
	return out, err
}

// repoPage is a page of repositories that also accepts a single repository
// object, which is how the spec (wrongly) types GET /repos.
type repoPage struct {
	pageMeta
	Values []wireRepo `json:"values"`
	wireRepo
}

// Repos lists every repository on the primary with its content and metadata
// hashes (GET /rest/mirroring/latest/repos, all pages).
func (c *Client) Repos(ctx context.Context) ([]model.Repo, error) {
	return bigList(ctx, c, mirroringPrefix+"repos", &c.prevRepos, scanRepoPage, decodeRepoPage)
}

// decodeRepoPage decodes a page of repositories the general (lenient) way,
// appending to out; a single repository object instead of a page counts
// as the last page.
func decodeRepoPage(raw []byte, out []model.Repo) ([]model.Repo, pageMeta, int, bool, error) {
	var p repoPage
	if err := unmarshal(raw, &p); err != nil {
		return out, pageMeta{}, 0, false, err
	}
	if p.Values == nil && p.ID != "" {
		return append(out, p.wireRepo.model()), p.pageMeta, 1, true, nil
	}
	for i := range p.Values {
		out = append(out, p.Values[i].model())
	}
	return out, p.pageMeta, len(p.Values), false, nil
}

// bigList reads every page of one of the big lists: a page in the
// documented shape through scan, any other through general (which also says
// whether to stop). prev, when not nil, holds the previous complete answer,
// whose entries and strings scan reuses and which sizes the new list, and
// receives the new one.
func bigList[T any](ctx context.Context, c *Client, path string, prev *atomic.Pointer[list[T]],
	scan func(raw []byte, pool *strPool, prev, out []T) ([]T, pageMeta, int, error),
	general func(raw []byte, out []T) ([]T, pageMeta, int, bool, error)) ([]T, error) {
	c.pool.maybeRotate(c.now())
	var old []T
	if prev != nil {
		old = prev.Load().get()
	}
	out := make([]T, 0, len(old)+len(old)/64)
	err := c.walkPages(path, nil, func(q url.Values) (meta pageMeta, n int, stop bool, err error) {
		err = c.getPage(ctx, path, q, func(raw []byte) error {
			out = growList(out, c.pageSize)
			var serr error
			if out, meta, n, serr = scan(raw, c.pool, old, out); serr == nil {
				return nil
			}
			var gerr error
			out, meta, n, stop, gerr = general(raw, out)
			return gerr
		})
		return meta, n, stop, err
	})
	if err != nil {
		return nil, err
	}
	if prev != nil {
		prev.Store(&list[T]{out})
	}
	return out, nil
}

// growList makes room for a page, doubling a list that is full: append's
// gentler growth for big slices would copy a 100 000-entry list read
// without a size hint about five times over.
func growList[T any](l []T, page int) []T {
	if cap(l)-len(l) >= page {
		return l
	}
	return slices.Grow(l, max(page, len(l)))
}

// list is the last complete answer of a big list, kept (read-only, the
// state holds it too) so that the next cycle sizes its list at once and
// reuses its strings.
type list[T any] struct{ v []T }

func (l *list[T]) get() []T {
	if l == nil {
		return nil
	}
	return l.v
}

// RepoHashes reads the undocumented repo-hashes resource. It understands a
// few plausible shapes (projects with repos, a page, a bare array, a stream
// of objects); any other shape is reported as unsupported so that callers
// fall back to the documented endpoints.
func (c *Client) RepoHashes(ctx context.Context) (model.RepoHashSet, error) {
	out := model.RepoHashSet{}
	_, err := c.do(ctx, http.MethodGet, mirroringPrefix+"repo-hashes", nil, nil, func(r io.Reader) error {
		return decodeRepoHashes(r, out)
	})
	var he *HTTPError
	if errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusMethodNotAllowed) {
		return nil, ErrUnsupported
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, ErrUnsupported
	}
	return out, nil
}

func decodeRepoHashes(r io.Reader, out model.RepoHashSet) error {
	dec := json.NewDecoder(r)
	add := func(w *wireHashRepo) {
		if id := w.id(); id != "" {
			if h := w.hashes(); h.Content != "" || h.Metadata != "" {
				out[id] = h
			}
		}
	}
	type doc struct {
		Projects []struct {
			Repos        []wireHashRepo `json:"repos"`
			Repositories []wireHashRepo `json:"repositories"`
		} `json:"projects"`
		Values       []wireHashRepo `json:"values"`
		Repos        []wireHashRepo `json:"repos"`
		Repositories []wireHashRepo `json:"repositories"`
		wireHashRepo
	}
	for {
		raw := json.RawMessage{}
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '[' {
			var arr []wireHashRepo
			if err := json.Unmarshal(raw, &arr); err != nil {
				return err
			}
			for i := range arr {
				add(&arr[i])
			}
			continue
		}
		var d doc
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		for _, p := range d.Projects {
			for i := range p.Repos {
				add(&p.Repos[i])
			}
			for i := range p.Repositories {
				add(&p.Repositories[i])
			}
		}
		for _, l := range [][]wireHashRepo{d.Values, d.Repos, d.Repositories} {
			for i := range l {
				add(&l[i])
			}
		}
		add(&d.wireHashRepo)
	}
}
