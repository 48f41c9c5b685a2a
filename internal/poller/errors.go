package poller

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HTTPError is a non-2xx answer from a server.
type HTTPError struct {
	Method     string
	Path       string
	Status     int
	RetryAfter time.Duration
	// Message is the server's own explanation, from a RestErrors body when
	// there is one, trimmed to a line.
	Message string
}

func (e *HTTPError) Error() string {
	s := fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

// HTTPStatus is the answer's status (model.HTTPStatusError).
func (e *HTTPError) HTTPStatus() int { return e.Status }

// ErrUnsupported marks an endpoint the server does not have (an older
// version, another layout, or a feature switched off).
var ErrUnsupported = errors.New("not supported by this server")

// RequestError is a failure to get a usable answer: the connection, TLS, a
// timeout, an oversized or undecodable body.
type RequestError struct {
	Method string
	Path   string
	Reason string
	// Decode is true when an answer arrived but could not be decoded.
	Decode bool
	Err    error
}

func (e *RequestError) Error() string { return e.Method + " " + e.Path + ": " + e.Reason }

// Unwrap returns the underlying error.
func (e *RequestError) Unwrap() error { return e.Err }

// RetryAfter returns the delay a server asked for in err, or 0.
func RetryAfter(err error) time.Duration {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.RetryAfter
	}
	return 0
}

// parseRetryAfter reads a Retry-After header: delta seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, 24*time.Hour)
		}
	}
	return 0
}

// isTLS reports whether err is a certificate or TLS handshake failure.
func isTLS(err error) bool {
	var (
		cie x509.CertificateInvalidError
		hne x509.HostnameError
		uae x509.UnknownAuthorityError
		rhe tls.RecordHeaderError
		ve  *tls.CertificateVerificationError
	)
	return errors.As(err, &cie) || errors.As(err, &hne) || errors.As(err, &uae) || errors.As(err, &rhe) || errors.As(err, &ve)
}

// describe turns a transport error into a short reason a person can act on,
// naming no URL (so that no credentials embedded in one can leak).
func describe(err error) string {
	var (
		ue   *url.Error
		cie  x509.CertificateInvalidError
		hne  x509.HostnameError
		uae  x509.UnknownAuthorityError
		rhe  tls.RecordHeaderError
		dnse *net.DNSError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &cie):
		switch cie.Reason {
		case x509.Expired:
			return "TLS certificate expired or not yet valid: " + cie.Detail
		default:
			return "TLS certificate invalid: " + cie.Error()
		}
	case errors.As(err, &hne):
		return "TLS certificate does not match the host name: " + hne.Error()
	case errors.As(err, &uae):
		return "TLS certificate signed by unknown authority (set ca_file)"
	case errors.As(err, &rhe):
		return "TLS handshake failed: server did not answer with TLS"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.As(err, &dnse):
		return "cannot resolve host " + dnse.Name
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
