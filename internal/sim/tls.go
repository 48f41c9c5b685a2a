package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// TLS modes of Options.TLS.
const (
	// TLSValid serves a certificate for 127.0.0.1 signed by the CA in
	// CAFile, valid for Options.CertDays days.
	TLSValid = "valid"
	// TLSExpired serves a certificate that expired a day before Start.
	TLSExpired = "expired"
	// TLSWrongName serves a certificate for mirror.example.com only.
	TLSWrongName = "wrong-name"
	// TLSUnknownCA serves a valid certificate whose CA is not the one in
	// CAFile (and not a system one either).
	TLSUnknownCA = "unknown-ca"
)

const (
	defaultCertDays = 30
	maxCertDays     = 100 * 365
	// wrongCertName is the only name of the TLSWrongName certificate.
	wrongCertName = "mirror.example.com"
)

// simTLS is the throwaway certificate authority and server certificate of
// a simulator with TLS.
type simTLS struct {
	conf   *tls.Config
	caFile string    // PEM of the CA that clients are told to trust
	expiry time.Time // NotAfter of the server certificate
}

// newCA makes a self-signed ECDSA certificate authority valid from an hour
// before now for days days.
func newCA(name string, now time.Time, days int) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"mirrortop simulator"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(0, 0, days),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func newSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n.Add(n, big.NewInt(1))
}

// newSimTLS makes the CA, the server certificate of the given mode and the
// CA file (see Options.TLS).
func newSimTLS(mode string, days int) (*simTLS, error) {
	fail := func(err error) (*simTLS, error) { return nil, fmt.Errorf("sim: TLS: %w", err) }
	now := time.Now()
	caDays := days + 365
	ca, caKey, err := newCA("mirrortop simulator CA", now, caDays)
	if err != nil {
		return fail(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fail(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(),
		Subject:      pkix.Name{CommonName: "127.0.0.1", Organization: []string{"mirrortop simulator"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(0, 0, days),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	switch mode {
	case TLSExpired:
		tmpl.NotBefore = now.AddDate(0, 0, -days-1)
		tmpl.NotAfter = now.AddDate(0, 0, -1)
	case TLSWrongName:
		tmpl.Subject.CommonName = wrongCertName
		tmpl.IPAddresses = nil
		tmpl.DNSNames = []string{wrongCertName}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fail(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return fail(err)
	}
	trusted := ca
	if mode == TLSUnknownCA {
		if trusted, _, err = newCA("mirrortop simulator other CA", now, caDays); err != nil {
			return fail(err)
		}
	}
	f, err := os.CreateTemp("", "mirrortop-sim-ca-*.pem")
	if err != nil {
		return fail(err)
	}
	err = pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: trusted.Raw})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fail(err)
	}
	return &simTLS{
		conf: &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"http/1.1"},
		},
		caFile: f.Name(),
		expiry: leaf.NotAfter,
	}, nil
}

func (t *simTLS) remove() { _ = os.Remove(t.caFile) }

// CAFile returns the path of the PEM file of the certificate authority a
// client should trust with Options.TLS (with TLSUnknownCA, a CA that did
// not sign the server certificate), or "" without TLS. Close removes it.
func (s *Sim) CAFile() string {
	if s.tls == nil {
		return ""
	}
	return s.tls.caFile
}

// CertExpiry returns when the server certificate expires (NotAfter), or the
// zero time without TLS.
func (s *Sim) CertExpiry() time.Time {
	if s.tls == nil {
		return time.Time{}
	}
	return s.tls.expiry
}
