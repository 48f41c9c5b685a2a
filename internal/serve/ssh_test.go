package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/mirrortop/mirrortop/internal/poller"
)

// counter is a console that shows how many keys it got, and panics on "x".
type counter struct{ n int }

func (c *counter) Init() tea.Cmd { return nil }
func (c *counter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		if k.String() == "x" {
			panic("boom")
		}
		c.n++
	}
	return c, nil
}
func (c *counter) View() tea.View {
	return tea.NewView("keys=" + [...]string{"zero", "one", "two", "many"}[min(c.n, 3)])
}

// syncBuffer is a buffer safe for a reader and a writer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testClient is a bare SSH client with a pty, collecting what it gets.
type testClient struct {
	out   *syncBuffer
	stdin io.Writer
	done  chan struct{}
	c     *gossh.Client
}

func dialTest(t *testing.T, addr string, key gossh.Signer) *testClient {
	t.Helper()
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "t", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	tc := &testClient{out: &syncBuffer{}, done: make(chan struct{}), c: c}
	sess.Stdout = tc.out
	if tc.stdin, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = sess.Wait(); close(tc.done) }()
	return tc
}

func (tc *testClient) waitOut(t *testing.T, text string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(tc.out.String(), text); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in %q", text, tc.out.String())
		}
	}
}

// testSSHServer serves console on loopback with one operator key.
func testSSHServer(t *testing.T, opts SSHOptions) (string, gossh.Signer, *SSHServer) {
	t.Helper()
	_, cfg := startTestSim(t)
	p, err := poller.New(context.Background(), cfg, poller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(p, HubOptions{})
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := gossh.NewSignerFromKey(priv)
	dir := t.TempDir()
	kf := filepath.Join(dir, "keys")
	if err := os.WriteFile(kf, append([]byte(`role="operator" `), gossh.MarshalAuthorizedKey(signer.PublicKey())...), 0o600); err != nil {
		t.Fatal(err)
	}
	if opts.Keys, err = LoadAuthorizedKeys(kf); err != nil {
		t.Fatal(err)
	}
	if opts.HostKey, _, err = LoadOrCreateHostKey(filepath.Join(dir, "hk")); err != nil {
		t.Fatal(err)
	}
	srv, err := NewSSHServer(hub, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return ln.Addr().String(), signer, srv
}

// A panic in one session ends that session only, logged on the server
// and told to its client; the others go on.
func TestPanicEndsOnlyItsSession(t *testing.T) {
	var log syncBuffer
	addr, key, srv := testSSHServer(t, SSHOptions{Log: slog.New(slog.NewTextHandler(&log, nil)),
		Console: func(*Session) (tea.Model, error) { return &counter{}, nil }})
	a, b := dialTest(t, addr, key), dialTest(t, addr, key)
	a.waitOut(t, "keys=zero")
	b.waitOut(t, "keys=zero")
	io.WriteString(a.stdin, "x")
	select {
	case <-a.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the panicking session did not end")
	}
	a.waitOut(t, "this session ended on an internal error (logged on the server); the other sessions go on")
	io.WriteString(b.stdin, "k")
	b.waitOut(t, "one")
	if strings.Contains(b.out.String(), "internal error") {
		t.Error("the other session was told of the panic")
	}
	if !strings.Contains(log.String(), "session ended on an internal error") {
		t.Errorf("not logged: %s", log.String())
	}
	for deadline := time.Now().Add(5 * time.Second); srv.Sessions() != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions after one ended", srv.Sessions())
		}
	}
}
