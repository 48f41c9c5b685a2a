package poller

import (
	"io"
	"net/http"
	"sync"
)

// hostLimiter caps concurrent requests per host:port. A slot is held from
// sending a request until its response body is closed.
type hostLimiter struct {
	per  int
	mu   sync.Mutex
	sems map[string]chan struct{}
}

func newHostLimiter(per int) *hostLimiter {
	return &hostLimiter{per: max(per, 1), sems: map[string]chan struct{}{}}
}

func (l *hostLimiter) sem(host string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sems[host]
	if !ok {
		s = make(chan struct{}, l.per)
		l.sems[host] = s
	}
	return s
}

// wrap returns a RoundTripper that takes a slot for req's host first.
func (l *hostLimiter) wrap(next http.RoundTripper) http.RoundTripper {
	return limitedTransport{l: l, next: next}
}

type limitedTransport struct {
	l    *hostLimiter
	next http.RoundTripper
}

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	sem := t.l.sem(req.URL.Host)
	select {
	case sem <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	release := sync.OnceFunc(func() { <-sem })
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
