package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	bm "charm.land/wish/v2/bubbletea"
	gossh "golang.org/x/crypto/ssh"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/ui"
)

// DefaultMaxSessions is how many console sessions a server holds at once
// unless told otherwise.
const DefaultMaxSessions = 50

// stopGrace is how long a session asked to end may take to restore its
// terminal before its connection is closed under it (a client that stopped
// reading never lets it).
const stopGrace = 2 * time.Second

// SSHOptions configure the SSH side of a server.
type SSHOptions struct {
	// HostKey is the server's host key (see LoadOrCreateHostKey).
	HostKey gossh.Signer
	// Keys are the keys let in, with their roles.
	Keys *Keys
	// MaxSessions bounds the sessions at once (default
	// DefaultMaxSessions); more are refused with a message.
	MaxSessions int
	// IdleTimeout closes a session after this long without a key press,
	// with a message (0: never).
	IdleTimeout time.Duration
	// FPS caps each session's frames per second (0: Bubble Tea's default).
	FPS int
	// Log receives the sessions' openings, closings and failures.
	Log *slog.Logger
	// Console makes the console of a session; an error is shown to the
	// client, and the session ends.
	Console func(s *Session) (tea.Model, error)
}

// Session is one SSH session of the console: who is connected, and from
// where.
type Session struct {
	// User is the SSH user name, sanitized.
	User string
	// Identity is the accepted key's role, fingerprint and comment.
	Identity Identity
	// Remote is the client's address.
	Remote string
	// Command is what the client asked to run (ssh host -- ARGS), as words.
	Command []string
	// Environ is the client's environment (TERM, COLORTERM, NO_COLOR, and
	// what else it sent).
	Environ []string
	// Updates is told of every change of the shared state (see
	// ui.Shared.Subscribe); it closes when the session ends.
	Updates <-chan struct{}
}

// SSHServer serves the console over SSH: one Bubble Tea program per
// session, every one reading the hub's shared state.
type SSHServer struct {
	hub  *Hub
	opts SSHOptions
	srv  *ssh.Server

	mu       sync.Mutex
	live     map[*liveSession]struct{}
	stopping bool
	emptied  chan struct{} // closed when stopping and the last session left
}

// liveSession is a session under way.
type liveSession struct {
	sess   ssh.Session
	prog   atomic.Pointer[tea.Program]
	cancel context.CancelFunc
	done   chan struct{}
	// why is what the client is told when the server ends the session.
	why  atomic.Pointer[string]
	once sync.Once
}

// end asks the session's program to quit, telling the client why; a
// session that does not end within stopGrace (a client that stopped
// reading) is cut off.
func (l *liveSession) end(why string) {
	l.once.Do(func() {
		l.why.Store(&why)
		go func() {
			if p := l.prog.Load(); p != nil { // else handle quits it once made
				go p.Quit()
			}
			select {
			case <-l.done:
			case <-time.After(stopGrace):
				l.cancel()
				_ = l.sess.Close()
			}
		}()
	})
}

// NewSSHServer prepares the SSH side for a hub.
func NewSSHServer(hub *Hub, opts SSHOptions) (*SSHServer, error) {
	if opts.HostKey == nil || opts.Keys == nil || opts.Console == nil {
		return nil, errors.New("serve: an SSH server needs a host key, the authorized keys and a console")
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &SSHServer{hub: hub, opts: opts, live: map[*liveSession]struct{}{}}
	s.srv = &ssh.Server{
		Handler:          s.handle,
		Version:          "mirrortop",
		HandshakeTimeout: 30 * time.Second,
		PublicKeyHandler: func(ctx ssh.Context, key ssh.PublicKey) bool {
			id, ok := opts.Keys.Lookup(key)
			if !ok {
				opts.Log.Warn("key refused", "user", model.Sanitize(ctx.User()), "fingerprint", gossh.FingerprintSHA256(key),
					"remote", ctx.RemoteAddr().String())
				return false
			}
			opts.Log.Debug("key accepted", "fingerprint", id.Fingerprint, "role", string(id.Role))
			return true
		},
	}
	s.srv.AddHostKey(opts.HostKey)
	return s, nil
}

// Serve accepts SSH connections on ln until Shutdown.
func (s *SSHServer) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// ReloadKeys reads the authorized keys file again (see Keys.Reload): new
// connections see the new keys; a bad file leaves the old keys in force.
func (s *SSHServer) ReloadKeys() error { return s.opts.Keys.Reload() }

// Sessions counts the sessions under way.
func (s *SSHServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// Shutdown tells every session that the server is stopping and ends it,
// waits for them (until ctx ends), and closes the server.
func (s *SSHServer) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	s.emptied = make(chan struct{})
	if len(s.live) == 0 {
		close(s.emptied)
	}
	for l := range s.live {
		l.end("the server is stopping; this session is closed")
	}
	emptied := s.emptied
	s.mu.Unlock()
	select {
	case <-emptied:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

// admit counts a new session in, or says why not.
func (s *SSHServer) admit(l *liveSession) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopping:
		return "the server is stopping", false
	case len(s.live) >= s.opts.MaxSessions:
		return fmt.Sprintf("this server already holds %d sessions (its max_sessions); try again later", s.opts.MaxSessions), false
	}
	s.live[l] = struct{}{}
	return "", true
}

func (s *SSHServer) leave(l *liveSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, l)
	if s.stopping && len(s.live) == 0 {
		close(s.emptied)
	}
}

// say writes a line to the client, on a line of its own.
func say(sess ssh.Session, msg string) {
	_, _ = io.WriteString(sess, "\r\nmirrortop: "+msg+"\r\n")
}

// handle runs one session's console.
func (s *SSHServer) handle(sess ssh.Session) {
	log := s.opts.Log
	id, ok := s.opts.Keys.Lookup(sess.PublicKey())
	if !ok { // the keys file was reloaded without it since the handshake
		say(sess, "this key is not (or no longer) authorized")
		_ = sess.Exit(1)
		return
	}
	user := model.Sanitize(sess.User())
	remote := sess.RemoteAddr().String()
	log = log.With("user", user, "fingerprint", id.Fingerprint, "role", string(id.Role), "remote", remote)
	if _, _, ok := sess.Pty(); !ok {
		say(sess, "the console needs a terminal: connect with ssh -t")
		_ = sess.Exit(1)
		return
	}
	ctx, cancel := context.WithCancel(sess.Context())
	defer cancel()
	l := &liveSession{sess: sess, cancel: cancel, done: make(chan struct{})}
	defer close(l.done)
	if why, ok := s.admit(l); !ok {
		log.Warn("session refused", "why", why)
		say(sess, why)
		_ = sess.Exit(1)
		return
	}
	defer s.leave(l)

	updates, unsubscribe := s.hub.Shared().Subscribe()
	defer unsubscribe()
	m, err := s.opts.Console(&Session{User: user, Identity: id, Remote: remote, Command: sess.Command(),
		Environ: sess.Environ(), Updates: updates})
	if err != nil {
		say(sess, model.Sanitize(err.Error()))
		_ = sess.Exit(2)
		return
	}
	act := &activity{}
	act.touch()
	opts := append(bm.MakeOptions(sess), tea.WithContext(ctx), tea.WithoutSignalHandler())
	if pty, _, ok := sess.Pty(); ok { // the claimed size, clamped (this option comes last, so it wins)
		w, h := clampWindow(pty.Window.Width, pty.Window.Height)
		opts = append(opts, tea.WithWindowSize(w, h))
	}
	if s.opts.FPS > 0 {
		opts = append(opts, tea.WithFPS(s.opts.FPS))
	}
	prog := tea.NewProgram(&sessionModel{inner: m, act: act}, opts...)
	l.prog.Store(prog)
	if l.why.Load() != nil { // ended before its program was made
		go prog.Quit()
	}
	start := time.Now()
	log.Info("session opened")
	go s.windows(ctx, sess, prog)
	if s.opts.IdleTimeout > 0 {
		go s.watchIdle(ctx, l, act)
	}
	_, err = prog.Run()
	prog.Kill()
	why := ""
	if w := l.why.Load(); w != nil {
		why = *w
	}
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		log.Error("session ended on an internal error", "error", err.Error())
		why = "this session ended on an internal error (logged on the server); the other sessions go on"
	case err != nil && why == "" && ctx.Err() == nil:
		log.Warn("session ended", "error", model.Sanitize(err.Error()))
	}
	if why != "" {
		say(sess, why)
	}
	_ = sess.Exit(0)
	log.Info("session closed", "after", time.Since(start).Round(time.Second).String())
}

// windows passes the client's window sizes to the program, only the
// latest of a burst: a resize storm costs one relayout.
func (s *SSHServer) windows(ctx context.Context, sess ssh.Session, p *tea.Program) {
	_, wins, _ := sess.Pty()
	for {
		var w ssh.Window
		var ok bool
		select {
		case <-ctx.Done():
			return
		case w, ok = <-wins:
			if !ok {
				return
			}
		}
	drain:
		for {
			select {
			case next, ok := <-wins:
				if !ok {
					break drain
				}
				w = next
			default:
				break drain
			}
		}
		width, height := clampWindow(w.Width, w.Height)
		p.Send(tea.WindowSizeMsg{Width: width, Height: height})
	}
}

// clampWindow bounds a window size a client claims: Bubble Tea sizes its
// screen buffers by it, so 2³¹×2³¹ would take the whole server down.
func clampWindow(w, h int) (int, int) {
	return min(max(w, 1), ui.MaxWidth), min(max(h, 1), ui.MaxHeight)
}

// watchIdle ends the session after IdleTimeout without a key press.
func (s *SSHServer) watchIdle(ctx context.Context, l *liveSession, act *activity) {
	timeout := s.opts.IdleTimeout
	every := min(max(timeout/4, 50*time.Millisecond), 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if act.idle() >= timeout {
				s.opts.Log.Info("session idle", "for", timeout.String())
				l.end(fmt.Sprintf("closed after %s without a key press (idle_timeout)", timeout))
				return
			}
		}
	}
}

// activity is when a session last had input.
type activity struct{ last atomic.Int64 }

func (a *activity) touch() { a.last.Store(time.Now().UnixNano()) }

func (a *activity) idle() time.Duration { return time.Since(time.Unix(0, a.last.Load())) }

// sessionModel wraps a session's console to note its input.
type sessionModel struct {
	inner tea.Model
	act   *activity
}

func (m *sessionModel) Init() tea.Cmd { return m.inner.Init() }

func (m *sessionModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg, tea.MouseClickMsg, tea.MouseWheelMsg:
		m.act.touch()
	}
	var cmd tea.Cmd
	m.inner, cmd = m.inner.Update(msg)
	return m, cmd
}

func (m *sessionModel) View() tea.View { return m.inner.View() }
