package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/serve"
)

// serveShutdownTimeout bounds how long a stopping server waits for the
// requests under way.
const serveShutdownTimeout = 5 * time.Second

// errSSHNotYet is the refusal of SSH serving, which is not built yet.
const errSSHNotYet = "mirrortop serve: SSH serving (--ssh, [serve] ssh_listen) is the next step of this command and is not available yet; serve HTTP with --http ADDR"

// runServe polls once for everyone and serves the result over HTTP until
// ctx ends (SIGINT, SIGTERM).
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf targetFlags
	tf.register(fs)
	httpAddr := fs.String("http", "", "listen for HTTP on ADDR (host:port): /healthz, /readyz, /snapshot (default [serve] http_listen)")
	sshAddr := fs.String("ssh", "", "listen for SSH on ADDR: not available yet")
	demo := fs.Bool("demo", false, "serve the built-in simulator (no config needed)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mirrortop serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *sshAddr != "" {
		fmt.Fprintln(stderr, errSSHNotYet)
		return exitUsage
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also ends the demo's helpers
	cfg, stopDemo, code := tf.targetConfig(ctx, "serve", *demo, true, stderr)
	if code != exitOK {
		return code
	}
	defer stopDemo()
	if cfg.Serve.SSHListen != "" {
		fmt.Fprintln(stderr, errSSHNotYet)
		return exitUsage
	}
	addr := *httpAddr
	if addr == "" {
		addr = cfg.Serve.HTTPListen
	}
	if addr == "" {
		fmt.Fprintln(stderr, "mirrortop serve: nothing to serve: pass --http ADDR or set [serve] http_listen")
		return exitUsage
	}
	p, err := poller.New(ctx, cfg, poller.Options{UserAgent: "mirrortop/" + version})
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop:", err)
		return exitUsage
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop serve:", err)
		return exitFailure
	}
	hub := serve.NewHub(p, serve.HubOptions{MaxLock: cfg.Alerts.MaxLock})
	srv := &http.Server{Handler: hub.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		hub.Run(ctx)
	}()
	fmt.Fprintf(stdout, "mirrortop serve: HTTP on http://%s (/healthz, /readyz, /snapshot)\n", ln.Addr())

	code = exitOK
	select {
	case <-ctx.Done():
	case err := <-served:
		fmt.Fprintln(stderr, "mirrortop serve:", err)
		code = exitFailure
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "mirrortop serve: stopping:", err)
		code = exitFailure
	}
	<-polled
	return code
}
