package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/notify"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/serve"
	"github.com/mirrortop/mirrortop/internal/ui"
	"github.com/mirrortop/mirrortop/themes"
)

// serveShutdownTimeout bounds how long a stopping server waits for the
// requests and sessions under way.
const serveShutdownTimeout = 5 * time.Second

// runServe polls once for everyone and serves the console over SSH and
// the snapshot over HTTP until ctx ends (SIGINT, SIGTERM).
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf targetFlags
	tf.register(fs)
	tf.registerReadOnly(fs)
	httpAddr := fs.String("http", "", "listen for HTTP on ADDR (host:port): /healthz, /readyz, /snapshot, /metrics (default [serve] http_listen)")
	sshAddr := fs.String("ssh", "", "listen for SSH on ADDR (host:port): the console, one session per connection (default [serve] ssh_listen)")
	keysFile := fs.String("authorized-keys", "", "OpenSSH authorized_keys file of the keys let in, with role=\"operator\" or role=\"viewer\" (default [serve] authorized_keys)")
	hostKey := fs.String("host-key", "", "SSH host key file, created once if missing (default [serve] host_key, or host_key in the state folder)")
	theme := fs.String("theme", "", "the sessions' default theme (a session may ask for another: ssh -t HOST -- --theme NAME)")
	logFile := fs.String("log-file", "", "write the server's log to this file (default: standard error)")
	demo := fs.Bool("demo", false, "serve the built-in simulator (no config needed)")
	record := fs.String("record", "", "also record every reading to this file, for mirrortop replay")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mirrortop serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also ends the demo's helpers
	cfg, stopDemo, code := tf.targetConfig(ctx, "serve", *demo, true, stderr)
	if code != exitOK {
		return code
	}
	defer stopDemo()
	httpListen, sshListen := cmp.Or(*httpAddr, cfg.Serve.HTTPListen), cmp.Or(*sshAddr, cfg.Serve.SSHListen)
	if httpListen == "" && sshListen == "" {
		fmt.Fprintln(stderr, "mirrortop serve: nothing to serve: pass --ssh ADDR and/or --http ADDR (or set [serve] ssh_listen, http_listen)")
		return exitUsage
	}
	if *theme != "" {
		cfg.UI.Theme = *theme
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if *logFile != "" {
		l, closeLog, err := openLog(config.ExpandHome(*logFile))
		if err != nil {
			fmt.Fprintln(stderr, "mirrortop:", err)
			return exitUsage
		}
		defer closeLog()
		log = l
	}

	p, err := poller.New(ctx, cfg, poller.Options{UserAgent: "mirrortop/" + version})
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop:", err)
		return exitUsage
	}
	notifier, hooks, err := newNotifier(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop serve:", err)
		return exitUsage
	}
	// Sessions first: the kernel shares the CPUs among more Go
	// processors than CPUs, so a key press does not wait for background
	// work (see serve.Oversubscribe).
	defer serve.Oversubscribe()()
	// Without the HTTP side nothing asks for the snapshot document.
	hub := serve.NewHub(p, serve.HubOptions{Thresholds: cfg.Alerts.Thresholds(), Version: version, Notify: notifier,
		NoSnapshots: httpListen == ""})
	if *record != "" {
		w, err := openRecording(*record, cfg, p.Spec(), append(p.Secrets(), hooks...), func(n int64) {
			log.Warn("recording: batches dropped, the disk does not keep up", "dropped", n)
		})
		if err != nil {
			fmt.Fprintln(stderr, "mirrortop serve:", err)
			return exitFailure
		}
		hub.Shared().SetRecorder(w)
		defer closeRecording(w, *record, stderr) // after the hub has stopped (below)
	}

	var sshSrv *serve.SSHServer
	var sshLn net.Listener
	if sshListen != "" {
		sshSrv, err = newSSHServer(cfg, hub, sshOptions{keys: cmp.Or(*keysFile, cfg.Serve.AuthorizedKeys), hostKey: cmp.Or(*hostKey, cfg.HostKeyPath()), log: log})
		if err != nil {
			fmt.Fprintln(stderr, "mirrortop serve:", err)
			return exitUsage
		}
		if sshLn, err = net.Listen("tcp", sshListen); err != nil {
			fmt.Fprintln(stderr, "mirrortop serve:", err)
			return exitFailure
		}
	}
	var httpSrv *http.Server
	var httpLn net.Listener
	if httpListen != "" {
		if httpLn, err = net.Listen("tcp", httpListen); err != nil {
			fmt.Fprintln(stderr, "mirrortop serve:", err)
			if sshLn != nil {
				sshLn.Close()
			}
			return exitFailure
		}
		httpSrv = &http.Server{Handler: hub.Handler(), ReadHeaderTimeout: 10 * time.Second}
	}

	served := make(chan error, 2)
	if httpSrv != nil {
		go func() { served <- httpSrv.Serve(httpLn) }()
		fmt.Fprintf(stdout, "mirrortop serve: HTTP on http://%s (/healthz, /readyz, /snapshot, /metrics)\n", httpLn.Addr())
	}
	if sshSrv != nil {
		go func() {
			if err := sshSrv.Serve(sshLn); err != nil {
				served <- err
			}
		}()
		fmt.Fprintf(stdout, "mirrortop serve: SSH on %s (ssh -t -p %s HOST)\n", sshLn.Addr(), portOf(sshLn.Addr()))
	}
	if sshSrv != nil { // SIGHUP: read the keys file again
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-hup:
					if err := sshSrv.ReloadKeys(); err != nil {
						log.Error("keys file not reloaded: the keys read before stay in force", "error", err.Error())
					} else {
						log.Info("keys file reloaded")
					}
				}
			}
		}()
	}
	keep := keepHistory(cfg, hub.Shared(), log)
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		keep(ctx)
	}()
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		hub.Run(ctx)
	}()
	notified := make(chan struct{})
	go func() {
		defer close(notified)
		notifier.Run(ctx, hub.Shared())
	}()
	log.Info("serving", "version", version, "ssh", sshListen, "http", httpListen, "demo", *demo)

	code = exitOK
	select {
	case <-ctx.Done():
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "mirrortop serve:", err)
			code = exitFailure
		}
	}
	log.Info("stopping")
	sctx, scancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer scancel()
	var wg sync.WaitGroup
	if sshSrv != nil {
		wg.Go(func() {
			if err := sshSrv.Shutdown(sctx); err != nil {
				log.Warn("stopping SSH", "error", err.Error())
			}
		})
	}
	if httpSrv != nil {
		wg.Go(func() {
			if err := httpSrv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintln(stderr, "mirrortop serve: stopping:", err)
			}
		})
	}
	wg.Wait()
	cancel()
	<-polled
	<-notified
	<-kept
	return code
}

// newNotifier makes the webhooks' notifier of cfg's [[notify]] tables,
// their URLs read from their secrets now (a URL that cannot be read stops
// the start, named by its table, never printed), and those URLs (secrets:
// a recording scrubs them).
func newNotifier(ctx context.Context, cfg *config.Config, log *slog.Logger) (*notify.Notifier, []string, error) {
	var targets []notify.Target
	var urls []string
	for i, n := range cfg.Notify {
		name := n.Name
		if name == "" {
			name = fmt.Sprintf("notify[%d]", i+1)
		}
		u, err := n.URL.Resolve(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: url: %w", name, err)
		}
		urls = append(urls, u)
		targets = append(targets, notify.Target{Name: name, URL: u, Format: n.Format, MinSeverity: model.Severity(n.MinSeverity),
			RepeatEvery: n.RepeatEvery, SendResolved: n.SendResolved})
	}
	if len(targets) > 0 {
		log.Info("webhooks", "count", len(targets))
	}
	return notify.New(targets, notify.Options{Log: log}), urls, nil
}

// portOf is the port of a listening address.
func portOf(a net.Addr) string {
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "?"
	}
	return port
}

// sshOptions are the SSH side's files and log.
type sshOptions struct {
	keys, hostKey string
	log           *slog.Logger
}

// newSSHServer reads the keys and the host key (creating it once) and
// prepares the console sessions of cfg on the hub's shared state.
func newSSHServer(cfg *config.Config, hub *serve.Hub, o sshOptions) (*serve.SSHServer, error) {
	if o.keys == "" {
		return nil, errors.New("SSH needs the keys it lets in: pass --authorized-keys FILE or set [serve] authorized_keys (OpenSSH authorized_keys format; role=\"operator\" on a line lets that key act)")
	}
	keys, err := serve.LoadAuthorizedKeys(config.ExpandHome(o.keys))
	if err != nil {
		return nil, err
	}
	if o.hostKey == "" {
		return nil, errors.New("no place for the SSH host key: pass --host-key FILE, or set [serve] host_key or state_dir")
	}
	signer, created, err := serve.LoadOrCreateHostKey(config.ExpandHome(o.hostKey))
	if err != nil {
		return nil, err
	}
	if created {
		o.log.Info("host key created", "file", o.hostKey)
	}
	ex, acks, err := actionsFor(cfg, hub.Poller())
	if err != nil {
		return nil, err
	}
	if _, err := themes.Load(cfg.UI.Theme, cfg.UI.ThemeDir); err != nil {
		return nil, err
	}
	if _, err := ui.NewKeyMap(cfg.Keys); err != nil {
		return nil, err
	}
	control := serve.Control(hub.Poller())
	console := func(s *serve.Session) (tea.Model, error) {
		so, err := parseSessionArgs(s.Command)
		if err != nil {
			return nil, err
		}
		themeName := cmp.Or(so.theme, cfg.UI.Theme)
		th, err := themes.Load(themeName, cfg.UI.ThemeDir)
		if err != nil { // said without the server's paths
			return nil, fmt.Errorf("no theme %q on this server (built in: dark, light, high-contrast)", themeName)
		}
		keys, _ := ui.NewKeyMap(cfg.Keys) // each session its own: read-only mode changes it
		env := envOf(s.Environ)
		opt := consoleBase(cfg, hub.Poller(), consoleOptions{theme: th, keys: keys,
			mono: so.noColor || env("NO_COLOR") != "", log: o.log.With("user", s.User, "fingerprint", s.Identity.Fingerprint)})
		opt.ASCII = so.ascii || cfg.UI.ASCIIGlyphs(env)
		opt.Shared, opt.Updates, opt.Control, opt.Served = hub.Shared(), s.Updates, control, true
		opt.Acks, opt.User = acks, s.User
		opt.ReadOnly = cfg.ReadOnly || !s.Operator()
		if ex != nil {
			opt.Actions = serve.Runner(ex, s)
		}
		opt.Refused = serve.Refusal(ex, s)
		return ui.Guard(ui.New(opt), opt.Log), nil
	}
	return serve.NewSSHServer(hub, serve.SSHOptions{HostKey: signer, Keys: keys, MaxSessions: cfg.Serve.MaxSessions,
		IdleTimeout: cfg.Serve.IdleTimeout, FPS: cfg.Serve.FPS, Log: o.log, Console: console})
}

// sessionArgs are what a client may ask for after the host: its own
// theme, no colour, ASCII glyphs.
type sessionArgs struct {
	theme          string
	noColor, ascii bool
}

// parseSessionArgs reads the words a client sent (ssh -t HOST -- ARGS).
func parseSessionArgs(words []string) (sessionArgs, error) {
	var a sessionArgs
	fs := flag.NewFlagSet("session", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.theme, "theme", "", "")
	fs.BoolVar(&a.noColor, "no-color", false, "")
	fs.BoolVar(&a.ascii, "ascii", false, "")
	if err := fs.Parse(words); err != nil || fs.NArg() > 0 {
		return a, fmt.Errorf("a session takes only --theme NAME, --no-color and --ascii (got %q)", strings.Join(words, " "))
	}
	return a, nil
}

// envOf looks a name up in a session's environment.
func envOf(environ []string) func(string) string {
	return func(name string) string {
		i := slices.IndexFunc(environ, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
		if i < 0 {
			return ""
		}
		return environ[i][len(name)+1:]
	}
}
