package sim

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// trustingClient is a client that trusts only the CA in caFile.
func trustingClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("no certificate in %s", caFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: 20 * time.Second, Transport: tr}
}

func TestTLSValid(t *testing.T) {
	s := startSim(t, quiet(Options{TLS: TLSValid, CertDays: 10, GitLab: &GitLabOptions{}, User: "admin", Password: "pw"}))
	ca := s.CAFile()
	if ca == "" || !strings.HasPrefix(s.PrimaryURL(), "https://127.0.0.1:") || !strings.HasPrefix(s.GitLabURL(), "https://") {
		t.Fatalf("CAFile %q, primary %s, gitlab %s", ca, s.PrimaryURL(), s.GitLabURL())
	}
	if exp := time.Until(s.CertExpiry()); exp < 10*24*time.Hour-time.Hour || exp > 10*24*time.Hour+time.Hour {
		t.Fatalf("certificate expires in %v", exp)
	}
	c := newClient(t).withBasic("admin", "pw")
	c.hc = trustingClient(t, ca)
	var pg pageOf[map[string]any]
	c.getJSON(s.PrimaryURL()+api+"repos", &pg)
	if len(pg.Values) != 25 {
		t.Fatalf("%d repos over TLS", len(pg.Values))
	}
	eu := farmInfo(t, s, "eu")
	for _, u := range []string{eu.URL, eu.Nodes[0].URL} {
		if !strings.HasPrefix(u, "https://") {
			t.Fatalf("farm URL %s", u)
		}
		c.getJSON(u+api+"progress", &progressT{})
	}
	gl := newGLClient(t, s, "")
	gl.hc = c.hc
	var v map[string]any
	gl.getJSON("/version", &v)
	if v["version"] != "18.4.1-ee" {
		t.Fatalf("version over TLS %v", v)
	}
	// A plain HTTP request does not get through.
	if r, err := newClient(t).do(http.MethodGet, strings.Replace(s.PrimaryURL(), "https", "http", 1)+"/status"); err == nil && r.status != http.StatusBadRequest {
		t.Fatalf("plain HTTP to a TLS server: %d %s", r.status, r.body)
	}
	// Reset and a server coming back up work over TLS too. (A fresh
	// client: Go retries a GET that fails on a reused connection.)
	s.SetFault("primary", "/status", Fault{Reset: true, Times: 1})
	if res, err := trustingClient(t, ca).Get(s.PrimaryURL() + "/status"); err == nil {
		res.Body.Close()
		t.Fatal("reset over TLS got an answer")
	}
	_ = s.SetTargetDown("primary", true)
	if err := s.SetTargetDown("primary", false); err != nil {
		t.Fatal(err)
	}
	c.getJSON(s.PrimaryURL()+"/status", &map[string]any{})
	// The control server stays plain HTTP.
	if !strings.HasPrefix(s.ControlURL(), "http://127.0.0.1:") {
		t.Fatalf("control URL %s", s.ControlURL())
	}

	cfg := s.ConfigTOML()
	wantPrimary := "[primary]\nurl = \"" + s.PrimaryURL() + "\"\nca_file = \"" + ca + "\"\n[primary.auth]\n"
	wantGL := "[[gitlab]]\nname = \"gitlab\"\nurl = \"" + s.GitLabURL() + "\"\nca_file = \"" + ca + "\"\n"
	if !strings.Contains(cfg, wantPrimary) || !strings.Contains(cfg, wantGL) || strings.Count(cfg, "ca_file") != 2 || strings.Contains(cfg, "http://") {
		t.Fatalf("config:\n%s", cfg)
	}

	s.Close()
	if _, err := os.Stat(ca); !os.IsNotExist(err) {
		t.Fatalf("CA file after Close: %v", err)
	}
}

func TestTLSBadCertificates(t *testing.T) {
	for _, mode := range []string{TLSExpired, TLSWrongName, TLSUnknownCA} {
		t.Run(mode, func(t *testing.T) {
			s := startSim(t, quiet(Options{TLS: mode}))
			_, err := trustingClient(t, s.CAFile()).Get(s.PrimaryURL() + "/status")
			if err == nil {
				t.Fatal("the client accepted the certificate")
			}
			var (
				invalid  x509.CertificateInvalidError
				hostname x509.HostnameError
				unknown  x509.UnknownAuthorityError
			)
			switch mode {
			case TLSExpired:
				if !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
					t.Fatalf("error %v, want an expired certificate", err)
				}
				if exp := time.Until(s.CertExpiry()); exp > -23*time.Hour || exp < -25*time.Hour {
					t.Fatalf("expired certificate expiry in %v", exp)
				}
			case TLSWrongName:
				if !errors.As(err, &hostname) || hostname.Host != "127.0.0.1" || len(hostname.Certificate.DNSNames) != 1 || hostname.Certificate.DNSNames[0] != "mirror.example.com" {
					t.Fatalf("error %v, want a wrong host name", err)
				}
			case TLSUnknownCA:
				if !errors.As(err, &unknown) {
					t.Fatalf("error %v, want an unknown authority", err)
				}
			}
		})
	}
}

func TestTLSOptions(t *testing.T) {
	if _, err := Start(Options{Manual: true, TLS: "broken"}); err == nil {
		t.Fatal("an unknown TLS mode was accepted")
	}
	if _, err := Start(Options{Manual: true, TLS: TLSValid, CertDays: maxCertDays + 1}); err == nil {
		t.Fatal("a huge CertDays was accepted")
	}
	s := startSim(t, quiet(Options{TLS: TLSValid}))
	if exp := time.Until(s.CertExpiry()); exp < 30*24*time.Hour-time.Hour || exp > 30*24*time.Hour+time.Hour {
		t.Fatalf("default expiry in %v", exp)
	}
	plain := startSim(t, quiet(Options{}))
	if plain.CAFile() != "" || !plain.CertExpiry().IsZero() || !strings.HasPrefix(plain.PrimaryURL(), "http://") {
		t.Fatal("TLS settings without TLS")
	}
}

func TestTLSGit(t *testing.T) {
	needGit(t)
	s := startSim(t, quiet(Options{Repos: 6, GitRepos: 1, TLS: TLSValid}))
	eu := farmInfo(t, s, "eu")
	for _, base := range []string{s.PrimaryURL(), eu.Nodes[0].URL} {
		out, err := gitClient(t, "", "-c", "http.sslCAInfo="+s.CAFile(), "ls-remote", base+"/scm/plat/api-gateway.git")
		if err != nil {
			t.Fatalf("git over TLS at %s: %v", base, err)
		}
		if !strings.Contains(out, "refs/heads/main") {
			t.Fatalf("ls-remote: %s", out)
		}
	}
	// Without the CA, git refuses the server.
	if _, err := gitClient(t, "", "ls-remote", s.PrimaryURL()+"/scm/plat/api-gateway.git"); err == nil {
		t.Fatal("git trusted the throwaway CA")
	}
}
