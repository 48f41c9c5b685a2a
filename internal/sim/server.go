package sim

import (
	"crypto/subtle"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

const requestLogSize = 10000

// notPermittedBody is what Bitbucket answers an authenticated user who
// lacks the permission a resource needs: an AuthorisationException, with
// status 401 (Atlassian's OpenAPI documents "insufficient permissions" and
// "doesn't have ADMIN permission" under 401 for the mirroring resources).
const notPermittedBody = `{"errors":[{"context":null,"message":"You are not permitted to access this resource","exceptionName":"com.atlassian.bitbucket.AuthorisationException"}]}`

const authFailedBody = `{"errors":[{"context":null,"message":"Authentication failed. Please check your credentials and try again.","exceptionName":"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}`

// server is one loopback HTTP server: the primary, a mirror node or a
// farm's load balancer. It can stop listening and listen again on the same
// port.
type server struct {
	s      *Sim
	target string
	inner  http.Handler
	// guard, when set, replaces the Bitbucket authentication check: it
	// runs first and answers a request it rejects itself, returning false.
	guard func(http.ResponseWriter, *http.Request) bool
	// errBody, when set, builds the JSON body of a Status fault instead of
	// a RestErrors body.
	errBody func(msg string) any
	// contentType is the Content-Type of a fault's Body or Size answer
	// that names none.
	contentType string
	// plain makes a bare server: no TLS, authentication, request
	// accounting or faults (the control server).
	plain bool

	mu   sync.Mutex
	addr string // "127.0.0.1:port" once listening for the first time
	hs   *http.Server
	ln   net.Listener
}

type faultEntry struct {
	target string
	prefix string
	f      Fault
	left   int
}

func (s *Sim) newServer(target string, h http.Handler) *server {
	return &server{s: s, target: target, inner: h, contentType: contentTypeJSON}
}

func (sv *server) url() string {
	scheme := "http://"
	if !sv.plain && sv.s.tls != nil {
		scheme = "https://"
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return scheme + sv.addr
}

// listen starts serving, on a free port the first time and on the same port
// afterwards.
func (sv *server) listen() error {
	select {
	case <-sv.s.done:
		return errClosed
	default:
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.hs != nil {
		return nil
	}
	addr := sv.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	// The old socket may still be closing, or a connection may hold the
	// port for a moment: try for up to 5 s.
	for try := 0; try < 250; try++ {
		ln, err = net.Listen("tcp", addr)
		if err == nil || sv.addr == "" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	sv.addr = ln.Addr().String()
	if !sv.plain && sv.s.tls != nil {
		ln = tls.NewListener(ln, sv.s.tls.conf)
	}
	hs := &http.Server{
		Handler:           sv,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	sv.hs, sv.ln = hs, ln
	sv.s.wg.Add(1)
	go func() {
		defer sv.s.wg.Done()
		_ = hs.Serve(ln)
	}()
	return nil
}

// stop closes the listener and every open connection. The listener is
// closed here, not only by the serving goroutine, so that connections are
// refused as soon as stop returns.
func (sv *server) stop() {
	sv.mu.Lock()
	hs, ln := sv.hs, sv.ln
	sv.hs, sv.ln = nil, nil
	sv.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	if hs != nil {
		_ = hs.Close()
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	// hostile makes the answer's display strings hostile (see isHostile).
	hostile bool
}

// Unwrap gives http.ResponseController access to the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP runs the common chain: authentication, request accounting,
// fault injection, then the server's own handler.
func (sv *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if sv.plain {
		sv.inner.ServeHTTP(w, r)
		return
	}
	s := sv.s
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK, hostile: s.hostile.Load()}
	s.mu.RLock()
	at := time.Unix(0, s.now).UTC()
	s.mu.RUnlock()
	var body *bodyCopy
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Body != nil {
		body = &bodyCopy{ReadCloser: r.Body}
		r.Body = body
	}
	defer func() {
		req := Request{Target: sv.target, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Status: sw.status, Time: at}
		if body != nil {
			req.Body = string(body.buf)
		}
		s.logRequest(req)
	}()
	// The server's clock is the simulated one (net/http would send the
	// real time), plus the target's skew.
	sw.Header().Set("Date", at.Add(s.clockSkew(sv.target)).Format(http.TimeFormat))
	if sv.guard != nil {
		if !sv.guard(sw, r) {
			return
		}
	} else if s.needsAuth(r.URL.Path) {
		switch s.authorized(r) {
		case authNone:
			sw.Header().Set("WWW-Authenticate", `Basic realm="Atlassian Bitbucket"`)
			writeRaw(sw, http.StatusUnauthorized, authFailedBody)
			return
		case authUser:
			if adminOnly(r.URL.Path) {
				writeRaw(sw, http.StatusUnauthorized, notPermittedBody)
				return
			}
		}
	}
	s.count(sv.target, r.URL.Path)
	if s.applyFault(sv, sw, r) {
		return
	}
	sv.inner.ServeHTTP(sw, r)
}

// needsAuth reports whether a path requires authentication when it is
// configured: every /rest/ path, and /scm/ when git repositories are served.
func (s *Sim) needsAuth(path string) bool {
	return strings.HasPrefix(path, "/rest/") || (s.git != nil && strings.HasPrefix(path, "/scm/"))
}

// Who a request authenticates as.
const (
	authNone  = iota // no valid credentials
	authUser         // Options.UserToken: a user without ADMIN permission
	authAdmin        // the configured credentials, or none configured
)

// adminOnly reports whether a path needs an ADMIN user: the mirroring
// resources of the primary and of the mirrors.
func adminOnly(path string) bool {
	return strings.HasPrefix(path, "/rest/mirroring/")
}

func (s *Sim) authorized(r *http.Request) int {
	o := &s.opts
	if o.User == "" && o.Token == "" {
		return authAdmin
	}
	h := r.Header.Get("Authorization")
	if o.User != "" {
		if u, p, ok := r.BasicAuth(); ok &&
			subtle.ConstantTimeCompare([]byte(u), []byte(o.User)) == 1 &&
			subtle.ConstantTimeCompare([]byte(p), []byte(o.Password)) == 1 {
			return authAdmin
		}
	}
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		tok := []byte(strings.TrimSpace(h[7:]))
		if o.Token != "" && subtle.ConstantTimeCompare(tok, []byte(o.Token)) == 1 {
			return authAdmin
		}
		if o.UserToken != "" && subtle.ConstantTimeCompare(tok, []byte(o.UserToken)) == 1 {
			return authUser
		}
	}
	return authNone
}

func (s *Sim) count(target, path string) {
	s.logMu.Lock()
	m := s.counts[target]
	if m == nil {
		m = map[string]int{}
		s.counts[target] = m
	}
	m[path]++
	s.logMu.Unlock()
}

func (s *Sim) logRequest(r Request) {
	s.logMu.Lock()
	if len(s.log) < requestLogSize {
		s.log = append(s.log, r)
	} else {
		s.log[s.logNext] = r
		s.logNext = (s.logNext + 1) % requestLogSize
	}
	s.logMu.Unlock()
}

// applyFault reports whether a fault answered the request.
func (s *Sim) applyFault(sv *server, w http.ResponseWriter, r *http.Request) bool {
	target := sv.target
	s.faultMu.Lock()
	var f Fault
	found := false
	for i := len(s.faults) - 1; i >= 0; i-- {
		e := s.faults[i]
		if (e.target != "" && e.target != target) || !strings.HasPrefix(r.URL.Path, e.prefix) {
			continue
		}
		f, found = e.f, true
		if e.f.Times > 0 {
			e.left--
			if e.left <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		break
	}
	s.faultMu.Unlock()
	if !found {
		return false
	}
	if f.ContentType == "" {
		f.ContentType = sv.contentType
	}
	if f.Delay > 0 && !s.pause(r, f.Delay) {
		abandon(w)
	}
	switch {
	case f.Reset:
		resetConn(w)
		return true
	case f.Hang:
		s.pause(r, 0)
		abandon(w)
	}
	if f.RetryAfter > 0 {
		secs := int64((f.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if f.Hostile {
		if sw, ok := w.(*statusWriter); ok {
			sw.hostile = true
		}
	}
	switch {
	case f.Size > 0:
		s.streamHuge(w, r, f)
		return true
	case f.Body != "":
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		writeBody(w, status, f.ContentType, f.Body)
		return true
	case f.Status != 0:
		msg := "Simulated fault: " + http.StatusText(f.Status)
		if sv.errBody != nil {
			writeGL(w, f.Status, sv.errBody(msg))
		} else {
			writeError(w, f.Status, msg, "")
		}
		return true
	}
	return false
}

// statusClientClosed is the conventional "client closed request" status
// logged for a request abandoned before it was answered.
const statusClientClosed = 499

// abandon ends a request that the client gave up on, or that the closing
// simulator cut, without an answer: it is logged with status 499 and the
// connection closes. It does not return.
func abandon(w http.ResponseWriter) {
	markStatus(w, statusClientClosed)
	panic(http.ErrAbortHandler)
}

// markStatus sets the status logged for a request that got no answer, on
// every server it passed through (a node and its load balancer).
func markStatus(w http.ResponseWriter, status int) {
	for {
		sw, ok := w.(*statusWriter)
		if !ok {
			return
		}
		if !sw.wrote {
			sw.status = status
		}
		w = sw.ResponseWriter
	}
}

// nodePathPrefix is where a farm's load balancer also serves each node by
// name: /node/{name}/... is that node's /... (a Bitbucket base URL may
// have a context path, so http://lb/node/eu-1 is a node's base URL).
const nodePathPrefix = "/node/"

// ServeHTTP makes a farm its own load balancer: each request goes to the
// next node that is up and a member, round-robin, through that node's own
// server chain. A request under /node/{name}/ goes to that node instead,
// with the prefix stripped; when the node is down the connection closes
// without an answer, as a dead server's would.
func (f *farm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := f.s
	if rest, ok := strings.CutPrefix(r.URL.Path, nodePathPrefix); ok {
		f.serveNode(w, r, rest)
		return
	}
	s.mu.RLock()
	var target *node
	k := len(f.nodes)
	startAt := int((f.rr.Add(1) - 1) % uint64(k))
	for i := 0; i < k; i++ {
		if n := f.nodes[(startAt+i)%k]; !n.down && !n.left {
			target = n
			break
		}
	}
	s.mu.RUnlock()
	if target == nil {
		writeError(w, http.StatusServiceUnavailable, "No mirror node of farm "+f.name+" is available", "")
		return
	}
	target.srv.ServeHTTP(w, r)
}

// serveNode hands a /node/{name}/... request to that node's own server
// chain (authentication, accounting and faults of the node apply) with the
// prefix stripped.
func (f *farm) serveNode(w http.ResponseWriter, r *http.Request, rest string) {
	name, sub, _ := strings.Cut(rest, "/")
	s := f.s
	s.mu.RLock()
	var target *node
	for _, n := range f.nodes {
		if n.name == name {
			target = n
		}
	}
	down := target != nil && target.down
	s.mu.RUnlock()
	switch {
	case target == nil:
		notFound(w, r)
		return
	case down:
		resetConn(w)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + sub
	r2.URL.RawPath = ""
	if raw := r.URL.EscapedPath(); strings.HasPrefix(raw, nodePathPrefix+name+"/") {
		r2.URL.RawPath = raw[len(nodePathPrefix)+len(name):]
	}
	r2.RequestURI = r2.URL.RequestURI()
	target.srv.ServeHTTP(w, r2)
}

// bodyCopy keeps the first 8 KiB of a request body as it is read, for the
// request log.
type bodyCopy struct {
	io.ReadCloser
	buf []byte
}

func (b *bodyCopy) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := 8<<10 - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(n, room)]...)
	}
	return n, err
}
