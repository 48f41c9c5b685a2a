package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
	gossh "golang.org/x/crypto/ssh"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// sshKey is a client key for the tests.
type sshKey struct {
	signer gossh.Signer
	line   string // its authorized_keys line, without options
}

func newSSHKey(t *testing.T, comment string) sshKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return sshKey{signer: s, line: strings.TrimSpace(string(gossh.MarshalAuthorizedKey(s.PublicKey()))) + " " + comment}
}

func (k sshKey) fingerprint() string { return gossh.FingerprintSHA256(k.signer.PublicKey()) }

// served is a `mirrortop serve` under test, over a simulator.
type served struct {
	t        *testing.T
	s        *sim.Sim
	stateDir string
	http     string // base URL
	ssh      string // address
	stop     func() int
	errs     *lockedBuffer
	operator sshKey
	viewer   sshKey
}

// serveOpts tune startServed: extra config lines for the [serve] table,
// the simulator's options.
type serveOpts struct {
	serveTable string
	sim        sim.Options
	hostKey    string
}

// startServed runs `mirrortop serve` on a fresh simulator with an
// operator's and a viewer's key, SSH and HTTP on loopback.
func startServed(t *testing.T, o serveOpts) *served {
	t.Helper()
	if o.sim.Repos == 0 {
		o.sim.Repos = 30
	}
	s, path := startSim(t, o.sim)
	dir := t.TempDir()
	sv := &served{t: t, s: s, stateDir: filepath.Join(dir, "state"), operator: newSSHKey(t, "alice@laptop"), viewer: newSSHKey(t, "bob@laptop")}
	keys := filepath.Join(dir, "keys")
	if err := os.WriteFile(keys, []byte("# the team\nrole=\"operator\" "+sv.operator.line+"\n"+sv.viewer.line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	simCfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if o.hostKey == "" {
		o.hostKey = filepath.Join(dir, "host_key")
	}
	cfg := fmt.Sprintf("state_dir = %q\n\n%s\n\n[poll]\nfast = \"1s\"\nslow = \"5s\"\n\n[serve]\nssh_listen = \"127.0.0.1:0\"\nhttp_listen = \"127.0.0.1:0\"\nauthorized_keys = %q\nhost_key = %q\n%s\n",
		sv.stateDir, simCfg, keys, o.hostKey, o.serveTable)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	sv.errs = &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", path}, &out, sv.errs) }()
	code, stopped := 0, false
	sv.stop = func() int {
		if !stopped {
			cancel()
			select {
			case code = <-done:
			case <-time.After(15 * time.Second):
				t.Fatal("serve did not stop within 15 s of its context ending")
			}
			stopped = true
		}
		return code
	}
	t.Cleanup(func() { sv.stop() })
	reHTTP, reSSH := regexp.MustCompile(`HTTP on (http://\S+) `), regexp.MustCompile(`SSH on (\S+) `)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		o := out.String()
		if h, s := reHTTP.FindStringSubmatch(o), reSSH.FindStringSubmatch(o); h != nil && s != nil {
			sv.http, sv.ssh = h[1], s[1]
			waitReady(t, sv.http)
			return sv
		}
		select {
		case code = <-done:
			stopped = true
			t.Fatalf("serve exited %d: %s", code, sv.errs.String())
		default:
		}
	}
	t.Fatalf("serve never listened: %s%s", out.String(), sv.errs.String())
	return nil
}

// console is one SSH client of the console, with a terminal emulator
// reading what the server sends, as a person's terminal would.
type console struct {
	t       *testing.T
	client  *gossh.Client
	sess    *gossh.Session
	stdin   io.Writer
	hostKey gossh.PublicKey

	mu     sync.Mutex
	emu    *vt.Emulator
	raw    bytes.Buffer // everything received
	frames int          // writes received
	closed bool
}

// dialOpts tune dial.
type dialOpts struct {
	user string
	env  map[string]string
	term string
	w, h int
	// noRead: the client never reads its output (a stalled link).
	noRead bool
	// command is what the client asks to run (ssh HOST -- ARGS).
	command string
	// claimW and claimH, when set, are the window size the client claims
	// in its pty request (its own terminal stays w×h).
	claimW, claimH int
}

func (sv *served) dial(key sshKey, o dialOpts) (*console, error) {
	if o.user == "" {
		o.user = "tester"
	}
	if o.term == "" {
		o.term = "xterm-256color"
	}
	if o.w == 0 {
		o.w, o.h = 120, 30
	}
	c := &console{t: sv.t, emu: vt.NewEmulator(o.w, o.h)}
	go func() { _, _ = io.Copy(io.Discard, c.emu) }() // the terminal's answers to queries
	cfg := &gossh.ClientConfig{User: o.user, Auth: []gossh.AuthMethod{gossh.PublicKeys(key.signer)}, Timeout: 10 * time.Second,
		HostKeyCallback: func(_ string, _ net.Addr, k gossh.PublicKey) error { c.hostKey = k; return nil }}
	client, err := gossh.Dial("tcp", sv.ssh, cfg)
	if err != nil {
		return nil, err
	}
	c.client = client
	sv.t.Cleanup(func() { client.Close() })
	sess, err := client.NewSession()
	if err != nil {
		return nil, err
	}
	c.sess = sess
	for k, v := range o.env {
		if err := sess.Setenv(k, v); err != nil {
			return nil, err
		}
	}
	cw, ch := o.w, o.h
	if o.claimW > 0 {
		cw, ch = o.claimW, o.claimH
	}
	if err := sess.RequestPty(o.term, ch, cw, gossh.TerminalModes{}); err != nil {
		return nil, err
	}
	if c.stdin, err = sess.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if o.command != "" {
		err = sess.Start(o.command)
	} else {
		err = sess.Shell()
	}
	if err != nil {
		return nil, err
	}
	if !o.noRead {
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := out.Read(buf)
				c.mu.Lock()
				if n > 0 {
					c.raw.Write(buf[:n])
					_, _ = c.emu.Write(buf[:n])
					c.frames++
				}
				if err != nil {
					c.closed = true
					c.mu.Unlock()
					return
				}
				c.mu.Unlock()
			}
		}()
	}
	return c, nil
}

func (sv *served) mustDial(key sshKey, o dialOpts) *console {
	sv.t.Helper()
	c, err := sv.dial(key, o)
	if err != nil {
		sv.t.Fatalf("dial: %v", err)
	}
	return c
}

func (c *console) screen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.emu.String()
}

func (c *console) rawText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ansi.Strip(c.raw.String())
}

func (c *console) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// waitFor waits until the screen satisfies ok.
func (c *console) waitFor(what string, ok func(screen string) bool) string {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := c.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("waiting for %s; the screen is:\n%s", what, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (c *console) waitText(texts ...string) string {
	c.t.Helper()
	return c.waitFor(fmt.Sprintf("%q", texts), func(s string) bool { return containsAll(s, texts...) })
}

func (c *console) press(keys ...string) {
	c.t.Helper()
	for _, k := range keys {
		if _, err := io.WriteString(c.stdin, k); err != nil {
			c.t.Fatalf("key %q: %v", k, err)
		}
		time.Sleep(30 * time.Millisecond) // one key per read, as typed
	}
}

// waitClosed waits for the server to end the session.
func (c *console) waitClosed() {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !c.isClosed() {
		if time.Now().After(deadline) {
			c.t.Fatalf("the session did not end; the screen is:\n%s", c.screen())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// farmLines are the Farms pane's rows on a screen, by farm name.
func farmLines(screen string, farms ...string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(l)
		for _, name := range farms {
			if len(f) > 2 && (f[0] == name || f[1] == name) {
				out[name] = strings.TrimSpace(l)
			}
		}
	}
	return out
}

func (sv *served) auditLines() []actions.AuditEntry { return readAuditLog(sv.t, sv.stateDir) }

func (sv *served) writes() []sim.Request {
	var out []sim.Request
	for _, r := range sv.s.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			out = append(out, r)
		}
	}
	return out
}

// Two sessions see the same data, the same as /snapshot; one client
// vanishing frees its place at once and leaves the other updating.
func TestServeSSHSessionsShareOneState(t *testing.T) {
	sv := startServed(t, serveOpts{serveTable: "max_sessions = 2\n"})
	a := sv.mustDial(sv.operator, dialOpts{user: "alice"})
	b := sv.mustDial(sv.viewer, dialOpts{user: "bob"})
	farms := []string{"eu", "us"}
	ready := func(s string) bool { return len(farmLines(s, farms...)) == len(farms) && strings.Contains(s, "SYNC") }
	a.waitFor("the farms", ready)
	b.waitFor("the farms", ready)
	// The same moment on both (the screens redraw every second: compare
	// once both show the same clock).
	var la, lb map[string]string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		la, lb = farmLines(a.screen(), farms...), farmLines(b.screen(), farms...)
		if fmt.Sprint(la) == fmt.Sprint(lb) || time.Now().After(deadline) {
			break
		}
	}
	if fmt.Sprint(la) != fmt.Sprint(lb) {
		t.Errorf("the sessions differ:\n%v\n%v", la, lb)
	}
	// /snapshot says what the screens say: each farm's state and node count.
	_, body := httpGet(t, sv.http+"/snapshot")
	var snap Snapshot
	if err := json.Unmarshal(body, &snap); err != nil {
		t.Fatal(err)
	}
	for _, f := range snap.Farms {
		line, ok := la[f.Name]
		if !ok {
			continue
		}
		if !strings.Contains(line, f.State) || !strings.Contains(line, fmt.Sprintf("%d/%d", f.NodesUp, f.NodesTotal)) {
			t.Errorf("farm %s: the console shows %q, /snapshot %s %d/%d", f.Name, line, f.State, f.NodesUp, f.NodesTotal)
		}
	}
	// Each session has its own view.
	b.press("2")
	b.waitText("Mismatches ·")
	if strings.Contains(a.screen(), "Mismatches ·") {
		t.Error("a key in one session moved the other")
	}
	// max_sessions: a third is refused with a message.
	if c, err := sv.dial(sv.viewer, dialOpts{user: "carol"}); err == nil {
		c.waitClosed()
		if raw := c.rawText(); !strings.Contains(raw, "already holds 2 sessions") {
			t.Errorf("third session: %q", raw)
		}
	}
	// One client vanishes: its place is free at once; the other goes on.
	a.client.Close()
	var c *console
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		cc, err := sv.dial(sv.viewer, dialOpts{user: "dave"})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if !strings.Contains(cc.rawText(), "already holds") {
			c = cc
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the vanished client's session was not freed")
		}
	}
	c.waitFor("the farms", ready)
	clock := regexp.MustCompile(`\d\d:\d\d:\d\d`)
	first := clock.FindString(b.screen())
	b.waitFor("the clock to move on", func(s string) bool { return clock.FindString(s) != first })
}

// An unknown key is refused; a viewer cannot approve — nothing reaches
// the simulator and the attempt is audited as refused —; an operator can,
// and the audit line names the user and the key.
func TestServeSSHRoles(t *testing.T) {
	sv := startServed(t, serveOpts{})
	stranger := newSSHKey(t, "eve@nowhere")
	if _, err := sv.dial(stranger, dialOpts{user: "eve"}); err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("an unknown key: %v", err)
	}
	if !strings.Contains(sv.errs.String(), "key refused") || !strings.Contains(sv.errs.String(), stranger.fingerprint()) {
		t.Errorf("the refusal is not logged: %s", sv.errs.String())
	}

	v := sv.mustDial(sv.viewer, dialOpts{user: "bob"})
	v.waitText(" RO ")
	v.press("4")
	v.waitText("apac")
	if strings.Contains(v.screen(), "a approve") {
		t.Error("a viewer's footer offers approve")
	}
	v.press("a")
	v.waitText("Refused: viewer keys cannot act")
	if w := sv.writes(); len(w) != 0 {
		t.Fatalf("a viewer's approve reached the simulator: %+v", w)
	}
	au := sv.auditLines()
	if len(au) != 1 || au[0].User != "bob" || au[0].Key != sv.viewer.fingerprint() || au[0].Role != "viewer" ||
		au[0].Outcome != actions.OutcomeRefused || au[0].Action != "approve" || au[0].Request != "" {
		t.Fatalf("audit after the viewer: %+v", au)
	}

	o := sv.mustDial(sv.operator, dialOpts{user: "alice"})
	o.press("4")
	o.waitText("apac")
	o.press("a")
	o.waitText("Approve mirror request", "[N] no")
	o.press("y")
	o.waitText("done")
	w := sv.writes()
	if len(w) != 1 || w[0].Target != "primary" || w[0].Method != http.MethodPost || !strings.HasSuffix(w[0].Path, "/accept") {
		t.Fatalf("the operator's approve: %+v", w)
	}
	au = sv.auditLines()
	if len(au) != 2 {
		t.Fatalf("audit: %+v", au)
	}
	if a := au[1]; a.User != "alice" || a.Key != sv.operator.fingerprint() || a.Role != "operator" || a.Outcome != actions.OutcomeDone ||
		a.Request != "POST "+sv.s.PrimaryURL()+w[0].Path {
		t.Errorf("the operator's audit line: %+v", a)
	}
	if au[0].Target != au[1].Target {
		t.Errorf("the refused and the run approve name their target differently: %q, %q", au[0].Target, au[1].Target)
	}
	// The action's event is shared: the viewer sees it too.
	v.press("7")
	v.waitText("done: Approve mirror request")
}

// A client that stops reading delays no one else's frames.
func TestServeSSHStalledClientDelaysNoOne(t *testing.T) {
	sv := startServed(t, serveOpts{sim: sim.Options{Repos: 300}})
	stalled := sv.mustDial(sv.viewer, dialOpts{user: "slow", noRead: true, w: 400, h: 200})
	_ = stalled
	a := sv.mustDial(sv.viewer, dialOpts{user: "alice"})
	a.waitText("Farms ·")
	// The stalled one's output fills its window and buffers within
	// seconds (a 400x200 screen redrawn every second).
	time.Sleep(3 * time.Second)
	var worst time.Duration
	for i := range 10 {
		key, title := "2", "Mismatches ·"
		if i%2 == 1 {
			key, title = "1", "Farms ·"
		}
		start := time.Now()
		a.press(key)
		a.waitText(title)
		worst = max(worst, time.Since(start))
	}
	// The benchmark measures the 50 ms target; here, with the race
	// detector on a shared machine, "not held up" is a second.
	if worst > time.Second {
		t.Errorf("a key took %s to show with a stalled client connected", worst)
	}
}

// The host key is created once and survives a restart.
func TestServeSSHHostKeySurvivesRestart(t *testing.T) {
	hk := filepath.Join(t.TempDir(), "keys", "host_key")
	sv := startServed(t, serveOpts{hostKey: hk})
	c := sv.mustDial(sv.viewer, dialOpts{})
	first := c.hostKey
	if code := sv.stop(); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
	fi, err := os.Stat(hk)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("host key file: %v %v", fi, err)
	}
	sv2 := startServed(t, serveOpts{hostKey: hk})
	c2 := sv2.mustDial(sv2.viewer, dialOpts{})
	if first == nil || !bytes.Equal(first.Marshal(), c2.hostKey.Marshal()) {
		t.Fatal("the host key changed across a restart")
	}
}

// idle_timeout closes an idle session with a message; a stopping server
// tells every session.
func TestServeSSHIdleAndStop(t *testing.T) {
	sv := startServed(t, serveOpts{serveTable: "idle_timeout = \"1s\"\n"})
	idle := sv.mustDial(sv.viewer, dialOpts{})
	idle.waitText("Farms ·")
	idle.waitClosed()
	if raw := idle.rawText(); !strings.Contains(raw, "closed after 1s without a key press (idle_timeout)") {
		t.Errorf("idle session's last words: %q", raw[max(0, len(raw)-300):])
	}

	sv2 := startServed(t, serveOpts{})
	a := sv2.mustDial(sv2.viewer, dialOpts{})
	b := sv2.mustDial(sv2.operator, dialOpts{})
	a.waitText("Farms ·")
	b.waitText("Farms ·")
	if code := sv2.stop(); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
	for _, c := range []*console{a, b} {
		c.waitClosed()
		if raw := c.rawText(); !strings.Contains(raw, "the server is stopping; this session is closed") {
			t.Errorf("last words: %q", raw[max(0, len(raw)-300):])
		}
	}
}

// Each session's colour profile comes from its own terminal: a truecolor
// client gets 24-bit colours, a NO_COLOR one none, side by side.
func TestServeSSHColourProfilePerSession(t *testing.T) {
	sv := startServed(t, serveOpts{})
	tc := sv.mustDial(sv.viewer, dialOpts{env: map[string]string{"COLORTERM": "truecolor"}})
	mono := sv.mustDial(sv.viewer, dialOpts{env: map[string]string{"NO_COLOR": "1"}})
	tc.waitText("Farms ·", "eu")
	mono.waitText("Farms ·", "eu")
	colours := func(c *console) int {
		c.mu.Lock()
		defer c.mu.Unlock()
		return countColourSGR(c.raw.String())
	}
	if colours(tc) == 0 {
		t.Error("the colour session got no colour")
	}
	if n := colours(mono); n != 0 {
		t.Errorf("the NO_COLOR session got %d colours", n)
	}
	// A client asking for its own theme, beside them: its header is drawn
	// in other colours.
	header := func(c *console) string {
		c.mu.Lock()
		defer c.mu.Unlock()
		r := c.raw.String()
		i := strings.Index(r, " mirrortop ")
		return r[max(0, i-12):i]
	}
	light := sv.mustDial(sv.viewer, dialOpts{env: map[string]string{"COLORTERM": "truecolor"}, command: "--theme high-contrast"})
	light.waitText("Farms ·", "eu")
	if header(light) == header(tc) {
		t.Errorf("the session's theme was not its own: %q and %q", header(light), header(tc))
	}
	bad := sv.mustDial(sv.viewer, dialOpts{command: "--rm -rf"})
	bad.waitClosed()
	if raw := bad.rawText(); !strings.Contains(raw, "a session takes only --theme NAME, --no-color and --ascii") {
		t.Errorf("bad session args: %q", raw)
	}
}

// countColourSGR counts the colour parameters of the SGR sequences in s
// (foreground or background: 30-38, 40-48, 90-97, 100-107).
func countColourSGR(s string) int {
	n := 0
	for _, m := range regexp.MustCompile(`\x1b\[([0-9;:]*)m`).FindAllStringSubmatch(s, -1) {
		for _, p := range strings.Split(m[1], ";") {
			var v int
			if _, err := fmt.Sscan(p, &v); err == nil && (v >= 30 && v <= 38 || v >= 40 && v <= 48 || v >= 90 && v <= 97 || v >= 100 && v <= 107) {
				n++
			}
		}
	}
	return n
}

// Garbage from a client — absurd window sizes, a resize storm, a paste
// flood — breaks nothing: the session still answers keys.
func TestServeSSHClientGarbage(t *testing.T) {
	sv := startServed(t, serveOpts{})
	c := sv.mustDial(sv.viewer, dialOpts{})
	c.waitText("Farms ·")
	winch := func(w, h uint32) {
		p := gossh.Marshal(struct{ W, H, PW, PH uint32 }{w, h, 0, 0})
		if _, err := c.sess.SendRequest("window-change", false, p); err != nil {
			t.Fatal(err)
		}
	}
	// A client claiming 2³¹×2³¹ — once its frame is drawn (a few frames
	// later), a server sizing its buffers by it would be out of memory.
	winch(1<<31-1, 1<<31-1)
	time.Sleep(500 * time.Millisecond)
	huge := sv.mustDial(sv.viewer, dialOpts{claimW: 1<<31 - 1, claimH: 1<<31 - 1})
	time.Sleep(500 * time.Millisecond)
	if huge.isClosed() && strings.Contains(sv.errs.String(), "panic") {
		t.Fatal("a client claiming a huge window at the start broke its session")
	}
	for i := range 500 {
		winch(uint32(20+i%200), uint32(5+i%60))
	}
	winch(120, 30)
	c.press("/")
	flood := "\x1b[200~" + strings.Repeat("x\x1b]52;c;AAAA\a\x07", 20000) + "\x1b[201~"
	if _, err := io.WriteString(c.stdin, flood); err != nil {
		t.Fatal(err)
	}
	c.press("\r")
	c.waitText(`Farms · filter "xxxx`)
	c.press("5")
	c.waitText("Nodes ·")
	if strings.Contains(sv.errs.String(), "panic") {
		t.Errorf("the server logged a panic: %s", sv.errs.String())
	}
}

// SIGHUP reads the keys file again: a key added is let in; a broken file
// leaves the keys in force.
func TestServeSSHReloadsKeysOnSIGHUP(t *testing.T) {
	sv := startServed(t, serveOpts{})
	carol := newSSHKey(t, "carol@laptop")
	if _, err := sv.dial(carol, dialOpts{}); err == nil {
		t.Fatal("a key not yet in the file was let in")
	}
	keys := filepath.Join(filepath.Dir(sv.stateDir), "keys")
	old, err := os.ReadFile(keys)
	if err != nil {
		t.Fatal(err)
	}
	hup := func() {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(keys, append(old, []byte(carol.line+"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	hup()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(sv.errs.String(), "keys file reloaded"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no reload: %s", sv.errs.String())
		}
	}
	c := sv.mustDial(carol, dialOpts{})
	c.waitText(" RO ")
	if err := os.WriteFile(keys, []byte("role=\"admin\" "+carol.line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(sv.errs.String(), "keys file not reloaded"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("a bad file was not reported: %s", sv.errs.String())
		}
	}
	sv.mustDial(sv.operator, dialOpts{}).waitText("Farms ·")
	// A session asking for a theme the server lacks is told so, without
	// the server's paths.
	bad := sv.mustDial(sv.viewer, dialOpts{command: "--theme nope"})
	bad.waitClosed()
	if raw := bad.rawText(); !strings.Contains(raw, `no theme "nope" on this server`) || strings.Contains(raw, "/") {
		t.Errorf("unknown theme: %q", raw)
	}
}
