package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// TLS problems a handshake can show.
const (
	TLSExpired       = "expired"
	TLSNotYetValid   = "not yet valid"
	TLSWrongName     = "wrong name"
	TLSUnknownIssuer = "unknown authority"
)

// TLSProbe is what a TLS handshake with one HTTPS server showed.
type TLSProbe struct {
	// Err is why no certificate could be read (connection refused, not
	// TLS); "" when one was.
	Err string
	// Expiry is the server certificate's NotAfter.
	Expiry time.Time
	// Problem is why the certificate does not verify (TLSExpired, …,
	// or another reason); "" when it verifies. Detail says more.
	Problem string
	Detail  string
	// Insecure is true when the target is configured with
	// insecure_skip_verify (mirrortop does not verify; the mirrors do).
	Insecure bool
}

// StatusProbe is the answer to an unauthenticated GET /status.
type StatusProbe struct {
	// Status is the HTTP status (0 when there was no answer).
	Status int
	// State is the state the server reports.
	State string
	// Err is the failure, "" on a 2xx answer.
	Err string
}

// Answered reports whether an HTTP answer came back.
func (s StatusProbe) Answered() bool { return s.Status != 0 }

// SSHProbe is what the primary says of its SSH access for Git.
type SSHProbe struct {
	Enabled bool
	Port    int
	// Status is the HTTP status of a failed answer (404: no such
	// resource on this version); Err the failure, "" on success.
	Status int
	Err    string
}

// GitLabProbe is what one GitLab instance says of the token and of the
// pull-mirror resource.
type GitLabProbe struct {
	// TokenStatus is the HTTP status of a failed token lookup (0 with Err
	// when there was no answer); Err is "" when the token was read.
	TokenStatus int
	TokenErr    string
	Token       poller.TokenInfo
	// Project is the watched project the pull-mirror resource was asked
	// about ("" when none is watched); ProjectStatus and PullStatus are the
	// HTTP statuses of GET /projects/:id and GET /projects/:id/mirror/pull
	// (0 with PullErr when there was no answer).
	Project       string
	ProjectStatus int
	PullStatus    int
	PullErr       string
}

// Probes are what the checks need beyond the polled state. Maps are keyed
// by base URL (GitLab by instance name).
type Probes struct {
	TLS    map[string]TLSProbe
	Status map[string]StatusProbe
	// SSH is nil when the primary's SSH settings were not asked.
	SSH    *SSHProbe
	GitLab map[string]GitLabProbe
}

// Prober makes the probes of a setup.
type Prober struct {
	cfg     *config.Config
	p       *poller.Poller
	timeout time.Duration
	agent   string
}

// NewProber returns a prober for cfg that reuses the poller's clients (and
// so its credentials) for the authenticated probes.
func NewProber(cfg *config.Config, p *poller.Poller, userAgent string) *Prober {
	t := cfg.Poll.Timeout
	if t <= 0 {
		t = 15 * time.Second
	}
	return &Prober{cfg: cfg, p: p, timeout: t, agent: userAgent}
}

// Targets lists the Bitbucket base URLs of a state: the primary, each farm
// and each node, once each, in order.
func Targets(s *model.State) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	add(s.Primary.URL)
	for _, f := range s.Farms {
		add(f.URL)
		for _, n := range f.Nodes {
			add(n.URL)
		}
	}
	return out
}

// GitLabProjects names, per GitLab instance of a state, the first watched
// project (the configured ones come first).
func GitLabProjects(s *model.State) map[string]string {
	out := map[string]string{}
	for _, g := range s.GitLab {
		if len(g.Projects) > 0 {
			out[g.Name] = g.Projects[0]
		}
	}
	return out
}

// Probe makes every probe at once: per URL a TLS handshake (HTTPS) and an
// unauthenticated GET /status; the primary's SSH settings; per GitLab
// instance the token and the pull-mirror resource of one project.
func (pr *Prober) Probe(ctx context.Context, urls []string, gitlabProjects map[string]string) Probes {
	out := Probes{TLS: map[string]TLSProbe{}, Status: map[string]StatusProbe{}, GitLab: map[string]GitLabProbe{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, u := range urls {
		tlsOpts := pr.tlsOf(u)
		wg.Go(func() {
			sp := pr.status(ctx, u, tlsOpts)
			var tp *TLSProbe
			if strings.HasPrefix(strings.ToLower(u), "https://") {
				t := pr.handshake(ctx, u, tlsOpts)
				tp = &t
			}
			mu.Lock()
			out.Status[u] = sp
			if tp != nil {
				out.TLS[u] = *tp
			}
			mu.Unlock()
		})
	}
	if c := pr.p.Primary(); c != nil {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, pr.timeout)
			defer cancel()
			v, err := c.SSHSettings(ctx)
			sp := &SSHProbe{Enabled: v.Enabled, Port: v.Port}
			if err != nil {
				sp.Err, sp.Status = err.Error(), statusOf(err)
			}
			mu.Lock()
			out.SSH = sp
			mu.Unlock()
		})
	}
	for _, g := range pr.cfg.GitLab {
		c, ok := pr.p.GitLab(g.Name)
		if !ok {
			continue
		}
		project := gitlabProjects[g.Name]
		wg.Go(func() {
			gp := probeGitLab(ctx, c, project, pr.timeout)
			mu.Lock()
			out.GitLab[g.Name] = gp
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func probeGitLab(ctx context.Context, c *poller.GitLabClient, project string, timeout time.Duration) GitLabProbe {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var gp GitLabProbe
	t, err := c.TokenSelf(ctx)
	if err != nil {
		gp.TokenErr, gp.TokenStatus = err.Error(), statusOf(err)
	} else {
		gp.Token = t
	}
	if project == "" || gp.TokenStatus == http.StatusUnauthorized {
		return gp
	}
	gp.Project = project
	gp.ProjectStatus, _ = c.Project(ctx, project)
	st, err := c.PullMirrorAPI(ctx, project)
	gp.PullStatus = st
	if err != nil {
		gp.PullErr = err.Error()
	}
	return gp
}

// statusOf returns the HTTP status an error carries, or 0.
func statusOf(err error) int {
	var he model.HTTPStatusError
	if errors.As(err, &he) {
		return he.HTTPStatus()
	}
	return 0
}

// tlsOf returns the TLS settings mirrortop uses for a base URL: the
// primary's, a configured farm's (for the farm and its nodes), or the
// primary's for a farm found through discovery.
func (pr *Prober) tlsOf(u string) config.TLS {
	norm := func(s string) string { return strings.ToLower(strings.TrimRight(s, "/")) }
	for _, f := range pr.cfg.Farms {
		if norm(f.Target.URL) == norm(u) {
			return f.Target.TLS
		}
		for _, n := range f.Nodes {
			if norm(n.URL) == norm(u) {
				return f.Target.TLS
			}
		}
	}
	return pr.cfg.Primary.TLS
}

// status sends GET /status without credentials.
func (pr *Prober) status(ctx context.Context, u string, t config.TLS) StatusProbe {
	c, err := poller.NewClient(poller.ClientOptions{BaseURL: u, Timeout: pr.timeout, UserAgent: pr.agent,
		TLS: poller.TLSOptions{CAFile: t.CAFile, InsecureSkipVerify: t.InsecureSkipVerify}})
	if err != nil {
		return StatusProbe{Err: err.Error()}
	}
	s, err := c.Status(ctx)
	if err != nil {
		return StatusProbe{Status: statusOf(err), Err: err.Error()}
	}
	return StatusProbe{Status: http.StatusOK, State: s.State}
}

// handshake reads an HTTPS server's certificate without trusting it, then
// verifies it as a client would, against the system roots and ca_file,
// for the URL's host name.
func (pr *Prober) handshake(ctx context.Context, u string, t config.TLS) TLSProbe {
	pu, err := url.Parse(u)
	if err != nil {
		return TLSProbe{Err: "unparsable URL"}
	}
	host, port := pu.Hostname(), pu.Port()
	if port == "" {
		port = "443"
	}
	tr, err := poller.NewTransport(poller.TLSOptions{CAFile: t.CAFile})
	if err != nil {
		return TLSProbe{Err: err.Error()}
	}
	roots := tr.TLSClientConfig.RootCAs
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: pr.timeout},
		Config: &tls.Config{InsecureSkipVerify: true, ServerName: host, MinVersion: tls.VersionTLS12}} //nolint:gosec // verified below
	ctx, cancel := context.WithTimeout(ctx, pr.timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return TLSProbe{Err: handshakeReason(err), Insecure: t.InsecureSkipVerify}
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return TLSProbe{Err: "no certificate", Insecure: t.InsecureSkipVerify}
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	leaf := certs[0]
	out := TLSProbe{Expiry: leaf.NotAfter.UTC(), Insecure: t.InsecureSkipVerify}
	_, verr := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host})
	out.Problem, out.Detail = classify(verr)
	return out
}

// classify names why a certificate does not verify.
func classify(err error) (problem, detail string) {
	if err == nil {
		return "", ""
	}
	var (
		cie x509.CertificateInvalidError
		hne x509.HostnameError
		uae x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &cie) && cie.Reason == x509.Expired:
		if cie.Cert != nil && time.Now().Before(cie.Cert.NotBefore) {
			return TLSNotYetValid, cie.Error()
		}
		return TLSExpired, cie.Error()
	case errors.As(err, &hne):
		return TLSWrongName, hne.Error()
	case errors.As(err, &uae):
		return TLSUnknownIssuer, "signed by an authority this machine does not trust"
	}
	return "invalid", err.Error()
}

// handshakeReason describes a failed TLS dial without naming a URL.
func handshakeReason(err error) string {
	var rhe tls.RecordHeaderError
	switch {
	case errors.As(err, &rhe):
		return "the server did not answer with TLS"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}
