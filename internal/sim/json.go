package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const contentTypeJSON = "application/json;charset=UTF-8"

// isoMillis is the date-time format of the mirroring REST API.
const isoMillis = "2006-01-02T15:04:05.000Z"

func formatMs(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.Format(isoMillis)
	}
	h, mi, s := t.Clock()
	var b [24]byte
	put := func(at, n, v int) {
		for i := at + n - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, 4, y)
	b[4] = '-'
	put(5, 2, int(mo))
	b[7] = '-'
	put(8, 2, d)
	b[10] = 'T'
	put(11, 2, h)
	b[13] = ':'
	put(14, 2, mi)
	b[16] = ':'
	put(17, 2, s)
	b[19] = '.'
	put(20, 3, t.Nanosecond()/int(time.Millisecond))
	b[23] = 'Z'
	return string(b[:])
}

type restError struct {
	Context       *string `json:"context"`
	Message       string  `json:"message" sim:"display"`
	ExceptionName *string `json:"exceptionName"`
}

type restErrors struct {
	Errors []restError `json:"errors"`
}

func errorsBody(msg, exception string) restErrors {
	e := restError{Message: msg}
	if exception != "" {
		e.ExceptionName = &exception
	}
	return restErrors{Errors: []restError{e}}
}

// writeRaw sends a fixed RestErrors body; in hostile mode its messages are
// made hostile.
func writeRaw(w http.ResponseWriter, status int, body string) {
	if isHostile(w) {
		var e restErrors
		if err := json.Unmarshal([]byte(body), &e); err == nil && len(e.Errors) > 0 {
			writeJSON(w, status, e)
			return
		}
	}
	writeBody(w, status, contentTypeJSON, body)
}

// writeBody sends a body verbatim.
func writeBody[B string | []byte](w http.ResponseWriter, status int, contentType string, body B) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// bodyBuffers recycle the buffers of hand-encoded answers.
var bodyBuffers = sync.Pool{New: func() any { return new([]byte) }}

// writeJSON sends v as JSON; in hostile mode its display strings are made
// hostile.
func writeJSON(w http.ResponseWriter, status int, v any) {
	hostile := isHostile(w)
	if a, ok := v.(jsonAppender); ok && !hostile {
		bp := bodyBuffers.Get().(*[]byte)
		defer bodyBuffers.Put(bp)
		if b := a.appendJSON((*bp)[:0]); b != nil {
			b = append(b, '\n')
			*bp = b
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			writeBody(w, status, contentTypeJSON, b)
			return
		}
	}
	b, err := encodeJSON(v, hostile)
	if err != nil {
		status = http.StatusInternalServerError
		var buf bytes.Buffer
		_ = json.NewEncoder(&buf).Encode(errorsBody("encoding failed: "+err.Error(), ""))
		b = buf.Bytes()
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, msg, exception string) {
	writeJSON(w, status, errorsBody(msg, exception))
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "No resource was found at "+r.URL.Path, "")
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" is not supported on "+r.URL.Path, "")
}

// reply is a JSON answer built under the simulator lock and written after
// it is released.
type reply struct {
	status int
	body   any
}

func ok(v any) reply { return reply{http.StatusOK, v} }

func fail(status int, msg, exception string) reply {
	return reply{status, errorsBody(msg, exception)}
}

// answer builds a reply under the read lock and writes it.
func (s *Sim) answer(w http.ResponseWriter, fn func() reply) {
	s.mu.RLock()
	rp := fn()
	s.mu.RUnlock()
	writeJSON(w, rp.status, rp.body)
}

type page struct {
	Size          int  `json:"size"`
	Limit         int  `json:"limit"`
	IsLastPage    bool `json:"isLastPage"`
	Start         int  `json:"start"`
	Values        any  `json:"values"`
	NextPageStart *int `json:"nextPageStart,omitempty"`
}

func makePage[T any](start, limit int, values []T, last bool) page {
	if values == nil {
		values = []T{}
	}
	p := page{Size: len(values), Limit: limit, IsLastPage: last, Start: start, Values: values}
	if !last {
		next := start + len(values)
		p.NextPageStart = &next
	}
	return p
}

// window returns the index range [lo, hi) of a page over total items.
func window(total, start, limit int) (lo, hi int, last bool) {
	lo = min(start, total)
	hi = min(lo+limit, total)
	return lo, hi, hi >= total
}

// pageParams parses start and limit; on error it answers 400 and returns
// ok == false.
func (s *Sim) pageParams(w http.ResponseWriter, r *http.Request) (start, limit int, good bool) {
	q := r.URL.Query()
	start, limit = 0, 25
	if v := q.Get("start"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "Invalid value for start: "+strconv.Quote(v), "")
			return 0, 0, false
		}
		start = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "Invalid value for limit: "+strconv.Quote(v), "")
			return 0, 0, false
		}
		limit = n
	}
	return start, min(limit, s.opts.MaxPageSize), true
}

// mirroringPath strips "/rest/mirroring/latest/" or "/rest/mirroring/1.0/"
// from an escaped path (URL.EscapedPath) and splits the rest into
// unescaped segments, so that a segment may hold an escaped slash.
func mirroringPath(p string) ([]string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(p, "/rest/mirroring/latest/"):
		rest = p[len("/rest/mirroring/latest/"):]
	case strings.HasPrefix(p, "/rest/mirroring/1.0/"):
		rest = p[len("/rest/mirroring/1.0/"):]
	default:
		return nil, false
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return nil, false
	}
	segs := strings.Split(rest, "/")
	for i, seg := range segs {
		u, err := url.PathUnescape(seg)
		if err != nil {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

func isAppProperties(p string) bool {
	return p == "/rest/api/latest/application-properties" || p == "/rest/api/1.0/application-properties"
}

type appProperties struct {
	Version     string `json:"version"`
	BuildNumber string `json:"buildNumber"`
	BuildDate   string `json:"buildDate"`
	DisplayName string `json:"displayName"`
}

func appProps(version string) appProperties {
	return appProperties{Version: version, BuildNumber: buildNumber(version), BuildDate: "1730000000000", DisplayName: "Bitbucket"}
}

type link struct {
	Href string `json:"href"`
	Name string `json:"name,omitempty"`
}

// jsonSafe reports whether a string can be written between quotes as is.
func jsonSafe(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return false
		}
	}
	return true
}

func appendJSONString(dst []byte, v string) []byte {
	if jsonSafe(v) {
		dst = append(dst, '"')
		dst = append(dst, v...)
		return append(dst, '"')
	}
	b, _ := json.Marshal(v)
	return append(dst, b...)
}
