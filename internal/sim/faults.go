package sim

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// hugeChunk is the size of the chunks of a Size answer.
const hugeChunk = 32 << 10

// pause waits d (forever when d <= 0) and reports whether the wait ran to
// its end; it ends early, with false, when the request is cancelled or the
// simulator closes.
func (s *Sim) pause(r *http.Request, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

// resetConn takes over the connection of a request and closes it without
// an answer, with a TCP reset where possible.
func resetConn(w http.ResponseWriter) {
	markStatus(w, 0)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable: abort the answer, which closes the connection.
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

// streamHuge answers a Size fault: f.Size bytes of a JSON array of
// repository-like items, written in chunks until the size is reached or
// the client goes away.
func (s *Sim) streamHuge(w http.ResponseWriter, r *http.Request, f Fault) {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.WriteHeader(status)
	ctx := r.Context()
	buf := make([]byte, 0, hugeChunk+256)
	buf = append(buf, '[')
	left, id := f.Size, int64(1)
	for left > 0 {
		for len(buf) < hugeChunk {
			buf = append(buf, `{"id":`...)
			buf = strconv.AppendInt(buf, id, 10)
			buf = append(buf, `,"slug":"huge-`...)
			buf = strconv.AppendInt(buf, id, 10)
			buf = append(buf, `","name":"Huge `...)
			buf = strconv.AppendInt(buf, id, 10)
			buf = append(buf, `","state":"AVAILABLE","public":false,"archived":false},`...)
			id++
		}
		n := int64(len(buf))
		if n > left {
			n = left
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return
		}
		left -= n
		buf = buf[:0]
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		default:
		}
	}
}

// errNoTarget reports a target that names no server.
var errNoTarget = errors.New("no such target")

// targetServer returns the server of "primary", "gitlab" or a farm name
// (its load balancer), or nil.
func (s *Sim) targetServer(target string) *server {
	switch {
	case target == "primary":
		return s.primary
	case target == glTarget && s.gl != nil:
		return s.gl.srv
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if f := s.farmByName[target]; f != nil {
		return f.lb
	}
	return nil
}

// knownTarget reports whether a target names a server: "primary",
// "gitlab", a farm name or "farm/node".
func (s *Sim) knownTarget(target string) bool {
	farmName, nodeName, isNode := strings.Cut(target, "/")
	if !isNode {
		return s.targetServer(target) != nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, n := s.nodeByName(farmName, nodeName)
	return n != nil
}

// SetTargetDown makes a target refuse connections (its listener closes, and
// so does every open connection) or brings it back up on the same port.
// The target is "primary", a farm name (its load balancer), "farm/node"
// (the same as SetNodeDown) or "gitlab". Taking down a load balancer leaves
// its nodes up, and taking down the primary leaves the farms syncing.
func (s *Sim) SetTargetDown(target string, down bool) error {
	if !s.knownTarget(target) {
		return fmt.Errorf("sim: %w %q", errNoTarget, target)
	}
	if farmName, nodeName, isNode := strings.Cut(target, "/"); isNode {
		return s.SetNodeDown(farmName, nodeName, down)
	}
	sv := s.targetServer(target)
	if down {
		sv.stop()
		return nil
	}
	return sv.listen()
}

// Fault bodies of ParseFault.
const (
	htmlFaultBody = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n" +
		"<body><h1>Sign in to continue</h1><p>Your session has expired. Please sign in again.</p>" +
		"<form method=\"post\" action=\"/login\"><input name=\"username\"><input name=\"password\" type=\"password\"></form>" +
		"</body></html>\n"
	truncatedFaultBody   = `{"size":25,"limit":25,"isLastPage":false,"start":0,"values":[{"slug":"api-gateway","id":1,"name":"Api Gate`
	truncatedFaultBodyGL = `[{"id":101,"description":"Api Gateway service","name":"Api Gateway","path":"api-gate`
	wrongTypesFaultBody  = `{"values":[{"id":{"x":1},"slug":42,"name":7,"project":{"id":"one","key":3}}],"size":"1","isLastPage":"maybe","start":{}}`
	// wrongTypesFaultBodyGL is a GitLab list with the wrong types.
	wrongTypesFaultBodyGL = `[{"id":{"x":101},"path_with_namespace":42,"mirror":"maybe","update_status":7,"last_update_at":12345}]`
	htmlContentType       = "text/html; charset=utf-8"
)

// faultKinds lists the kinds of ParseFault, for its error messages.
const faultKinds = "status=CODE, retry-after=SECONDS, delay=DURATION, hang, reset, html, truncated, wrong-types, huge=SIZE, hostile, down or skew=DURATION"

// ParseFault parses the compact command-line form of a fault,
// TARGET:PATH:KIND[=VALUE], as in
//
//	primary:/rest/mirroring/latest/repos:status=500
//	eu/eu-2::down
//	gitlab:/api/v4/projects:retry-after=30
//
// TARGET is "primary", a farm name, "farm/node", "gitlab" or "*" for every
// server (returned as ""); PATH is a path prefix, empty for every path. The
// kinds are:
//
//   - status=CODE: answer with that status (200 to 599) and an error body.
//   - retry-after=SECONDS: answer 429 with that Retry-After (seconds, or a
//     duration such as 30s).
//   - delay=DURATION: answer normally, but that late (e.g. 2s, 500ms).
//   - hang: never answer (Fault.Hang).
//   - reset: close the connection without an answer (Fault.Reset).
//   - html: answer 200 with an HTML sign-in page (text/html).
//   - truncated: answer 200 with a JSON body cut in the middle.
//   - wrong-types: answer 200 with the JSON of a list with numbers as
//     objects and strings as numbers (a fixed sample).
//   - huge=SIZE: answer 200 with an enormous streamed body (Fault.Size);
//     SIZE is a number of bytes with an optional unit K, M, G or T (KB,
//     MB, … and KiB, MiB, … alike, all binary multiples), e.g. 100MB.
//   - hostile: answer normally with hostile display strings.
//   - down: refuse connections (Fault.Down); PATH is ignored (returned
//     empty), and TARGET must name one server.
//   - skew=DURATION: the server's clock (its Date header) runs that far
//     ahead of the simulated one, behind when negative (Fault.Skew; e.g.
//     45s, -2m, or seconds); PATH is ignored (returned empty), and TARGET
//     must name one server.
//
// On the "gitlab" target, truncated and wrong-types send GitLab-shaped
// samples (JSON arrays).
func ParseFault(spec string) (target, path string, f Fault, err error) {
	bad := func(format string, args ...any) (string, string, Fault, error) {
		return "", "", Fault{}, fmt.Errorf("sim: fault %q: %s", spec, fmt.Sprintf(format, args...))
	}
	first, last := strings.Index(spec, ":"), strings.LastIndex(spec, ":")
	if first < 0 || first == last {
		return bad("want TARGET:PATH:KIND[=VALUE], e.g. primary:/rest/mirroring/latest/repos:status=503")
	}
	target, path = spec[:first], spec[first+1:last]
	kind, value, hasValue := strings.Cut(spec[last+1:], "=")
	switch {
	case target == "":
		return bad(`missing target: want "primary", a farm name, "farm/node", "gitlab" or "*" for every server`)
	case target == "*":
		target = ""
	case strings.ContainsAny(target, " \t\"") || strings.HasPrefix(target, "/") || strings.HasSuffix(target, "/") || strings.Count(target, "/") > 1:
		return bad("invalid target %q", target)
	}
	if path != "" && !strings.HasPrefix(path, "/") {
		return bad("the path %q does not start with /", path)
	}
	needs := map[string]bool{"status": true, "retry-after": true, "delay": true, "huge": true, "skew": true}
	known := needs[kind]
	switch kind {
	case "hang", "reset", "html", "truncated", "wrong-types", "hostile", "down":
		known = true
	}
	switch {
	case kind == "":
		return bad("missing kind: want %s", faultKinds)
	case !known:
		return bad("unknown kind %q: want %s", kind, faultKinds)
	case needs[kind] && (!hasValue || value == ""):
		return bad("%s needs a value, as in %s=…", kind, kind)
	case !needs[kind] && hasValue:
		return bad("%s takes no value", kind)
	}
	gl := target == glTarget
	switch kind {
	case "status":
		n, err := strconv.Atoi(value)
		if err != nil || n < 200 || n > 599 {
			return bad("status %q is not an HTTP status from 200 to 599", value)
		}
		f.Status = n
	case "retry-after":
		d, ok := parseSeconds(value)
		if !ok || d <= 0 {
			return bad("retry-after %q is not a positive number of seconds or duration", value)
		}
		f.Status, f.RetryAfter = http.StatusTooManyRequests, d
	case "delay":
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return bad("delay %q is not a positive duration such as 2s or 500ms", value)
		}
		f.Delay = d
	case "hang":
		f.Hang = true
	case "reset":
		f.Reset = true
	case "html":
		f.Body, f.ContentType = htmlFaultBody, htmlContentType
	case "truncated":
		f.Body = truncatedFaultBody
		if gl {
			f.Body = truncatedFaultBodyGL
		}
	case "wrong-types":
		f.Body = wrongTypesFaultBody
		if gl {
			f.Body = wrongTypesFaultBodyGL
		}
	case "huge":
		n, err := parseSize(value)
		if err != nil {
			return bad("huge %q: %v", value, err)
		}
		f.Size = n
	case "hostile":
		f.Hostile = true
	case "down":
		if target == "" {
			return bad("down needs one target, not *")
		}
		path, f.Down = "", true
	case "skew":
		d, ok := parseSeconds(value)
		if !ok || d == 0 {
			return bad("skew %q is not a non-zero duration such as 45s or -2m, or seconds", value)
		}
		if target == "" {
			return bad("skew needs one target, not *")
		}
		path, f.Skew = "", d
	}
	return target, path, f, nil
}

// parseSeconds reads a whole number of seconds or a duration.
func parseSeconds(v string) (time.Duration, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > int64(time.Duration(1<<62)/time.Second) {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(v)
	return d, err == nil
}

// parseSize reads a positive size: a number of bytes with an optional unit
// B, K, M, G or T, each also as KB/KiB and so on, in any case; all units
// are binary multiples.
func parseSize(v string) (int64, error) {
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errors.New("want a number of bytes with an optional unit, e.g. 100MB")
	}
	n, err := strconv.ParseInt(v[:i], 10, 64)
	if err != nil {
		return 0, errors.New("the number is too large")
	}
	shift := 0
	switch strings.ToUpper(strings.TrimSpace(v[i:])) {
	case "", "B":
	case "K", "KB", "KIB":
		shift = 10
	case "M", "MB", "MIB":
		shift = 20
	case "G", "GB", "GIB":
		shift = 30
	case "T", "TB", "TIB":
		shift = 40
	default:
		return 0, fmt.Errorf("unknown unit %q: want B, KB, MB, GB or TB", v[i:])
	}
	if n <= 0 {
		return 0, errors.New("the size must be positive")
	}
	if n > (1<<62)>>shift {
		return 0, errors.New("the size is too large")
	}
	return n << shift, nil
}
