// Command mirrortop is a terminal console for the people who keep Bitbucket
// Data Center Smart Mirroring farms in sync.
//
// Without a subcommand it opens the live console (--demo: on the built-in
// simulator). Subcommands:
//
//	mirrortop snapshot   poll every configured target once and print the result
//	mirrortop check      a Nagios-style check: status line, performance data, exit 0-3
//	mirrortop serve      poll once for a team: the console over SSH, the snapshot over HTTP
//	mirrortop record     poll like the console and record every reading to a file
//	mirrortop replay     the console on a recording
//	mirrortop doctor     check the setup against Smart Mirroring's requirements
//	mirrortop sim        run the built-in simulator of a primary and its farms
//	mirrortop version    print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// version is the release version, set at build time with
// -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a target could not be read, or a runtime failure
	exitUsage   = 2 // bad flags or a bad configuration
)

func main() {
	tuneGC(os.Getenv)
	// The console's program handles SIGINT and SIGTERM itself (it quits and
	// restores the terminal); cancelling its context on them too would race
	// with that. A dropped SSH session's SIGHUP is ours to handle.
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}
	switch {
	case isConsole(os.Args[1:]):
		sigs = []os.Signal{syscall.SIGHUP}
	case len(os.Args) > 1 && os.Args[1] == "serve":
		sigs = sigs[:2] // serve reloads its keys file on SIGHUP
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// parseFlags parses a command's flags; when it cannot go on, ok is false
// and code is the exit code: 0 after -h/--help, else a usage error.
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return exitOK, true
}

// tuneGC sets the collector's target to poller.GCPercent unless the
// environment sets GOGC.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(poller.GCPercent)
	}
}

// isConsole reports whether a command line opens the console.
func isConsole(args []string) bool {
	return len(args) == 0 || len(args[0]) > 0 && args[0][0] == '-' && !isHelpFlag(args[0]) && args[0] != "--version" && args[0] != "-version"
}

// run dispatches a command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if isConsole(args) {
		return runConsole(ctx, args, stdout, stderr)
	}
	switch args[0] {
	case "snapshot":
		return runSnapshot(ctx, args[1:], stdout, stderr)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "record":
		return runRecord(ctx, args[1:], stdout, stderr)
	case "replay":
		return runReplay(ctx, args[1:], stdout, stderr)
	case "doctor":
		return runDoctor(ctx, args[1:], stdout, stderr)
	case "sim":
		return runSim(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "mirrortop", version)
		return exitOK
	case "help", "-h", "--help", "-help":
		// The summary and the console's own flags, on stdout.
		return runConsole(ctx, []string{"-h"}, stdout, stdout)
	default:
		fmt.Fprintf(stderr, "mirrortop: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
}

func isHelpFlag(s string) bool { return s == "-h" || s == "--help" || s == "-help" }

func usage(w io.Writer) {
	fmt.Fprint(w, `mirrortop watches Bitbucket Data Center Smart Mirroring farms and GitLab
pull and push mirrors.

Usage:
  mirrortop [flags]            the live console on the configured targets
  mirrortop --demo             the live console on the built-in simulator (no config needed)
  mirrortop snapshot [flags]   poll every configured target once and print the result
  mirrortop check [flags]      a Nagios-style check: status line, performance data, exit 0-3
  mirrortop serve [flags]      poll once for a team: the console over SSH, /snapshot and health over HTTP
  mirrortop record --out FILE  poll like the console and record every reading to FILE
  mirrortop replay FILE        the console on a recording (read-only: pause, speed, step, seek)
  mirrortop doctor [flags]     check the setup against Smart Mirroring's requirements (exit 0 OK, 1 WARN, 2 FAIL, 3 nothing answered)
  mirrortop sim [flags]        run the built-in simulator (a primary and two farms on loopback)
  mirrortop version            print the version

Run "mirrortop COMMAND -h" for a command's flags; "mirrortop -h" lists the console's.
`)
}

// targetFlags are the flags shared by the commands that read servers.
type targetFlags struct {
	config         string
	primary        string
	farms          stringList
	gitlab         string
	gitlabProjects stringList
	readOnly       bool
}

func (t *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.config, "config", "", "config file (default "+config.DefaultPath()+")")
	fs.StringVar(&t.primary, "primary", "", "primary base URL (credentials from BITBUCKET_TOKEN, or BITBUCKET_USER and BITBUCKET_PASSWORD)")
	fs.Var(&t.farms, "farm", "a farm as NAME=URL (repeatable)")
	fs.StringVar(&t.gitlab, "gitlab", "", "a GitLab base URL (token from GITLAB_TOKEN)")
	fs.Var(&t.gitlabProjects, "gitlab-project", "a GitLab project PATH to watch (repeatable)")
}

// demoConflict names a target flag given with --demo, which would be
// ignored (the demo watches its own simulator), or "".
func (t *targetFlags) demoConflict() string {
	switch {
	case t.config != "":
		return "--config"
	case t.primary != "":
		return "--primary"
	case len(t.farms) > 0:
		return "--farm"
	case t.gitlab != "":
		return "--gitlab"
	case len(t.gitlabProjects) > 0:
		return "--gitlab-project"
	}
	return ""
}

// registerReadOnly adds --read-only, for the console (the one command that
// can change anything).
func (t *targetFlags) registerReadOnly(fs *flag.FlagSet) {
	fs.BoolVar(&t.readOnly, "read-only", false, "never change anything on the servers: action keys are removed")
	fs.BoolVar(&t.readOnly, "readonly", false, "same as --read-only")
}

// load builds the configuration: the file (the --config one, or the default
// one when it exists), then the quick flags over it.
func (t *targetFlags) load(stderr io.Writer) (*config.Config, error) {
	var cfg *config.Config
	path := t.config
	if path == "" {
		if p := config.DefaultPath(); fileExists(p) {
			path = p
		}
	}
	if path != "" {
		c, err := config.Load(path)
		if err != nil {
			return nil, err
		}
		cfg = c
	} else {
		if t.primary == "" && t.gitlab == "" {
			return nil, errors.New("no targets: pass --config FILE, --primary URL [--farm NAME=URL ...], --gitlab URL --gitlab-project PATH, or create " + config.DefaultPath())
		}
		cfg = config.Default()
	}
	if err := cfg.ApplyFlags(config.Flags{Primary: t.primary, Farms: t.farms, GitLab: t.gitlab, GitLabProjects: t.gitlabProjects, ReadOnly: t.readOnly}, os.Getenv); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "mirrortop: warning:", w)
	}
	return cfg, nil
}

// targetConfig is a command's configuration: with demo, the built-in
// simulator's (live: moving on its own, for the console and serve; else
// the one snapshot and doctor read once), its audit log and
// acknowledgements in a temporary folder rather than the real state
// folder; without, the file and quick flags. stop releases the demo. On
// failure it has said why on stderr and returns the exit code; cmd names
// the subcommand in messages ("" for the console).
func (t *targetFlags) targetConfig(ctx context.Context, cmd string, demo, live bool, stderr io.Writer) (cfg *config.Config, stop func(), code int) {
	who := strings.TrimSpace("mirrortop " + cmd)
	if f := t.demoConflict(); demo && f != "" {
		fmt.Fprintf(stderr, "%s: --demo uses its own simulator: leave out %s\n", who, f)
		return nil, nil, exitUsage
	}
	if !demo {
		c, err := t.load(stderr)
		if err != nil {
			fmt.Fprintln(stderr, "mirrortop:", err)
			return nil, nil, exitUsage
		}
		return c, func() {}, exitOK
	}
	var s *sim.Sim
	var err error
	if live {
		s, cfg, err = startLiveDemo(ctx)
	} else {
		s, cfg, err = startDemoSim()
	}
	if err == nil {
		var dir string
		if dir, err = os.MkdirTemp("", "mirrortop-demo-"); err == nil {
			cfg.StateDir = dir
			cfg.ReadOnly = cfg.ReadOnly || t.readOnly // --read-only holds for the demo too
			return cfg, func() { s.Close(); os.RemoveAll(dir) }, exitOK
		}
		s.Close()
	}
	fmt.Fprintf(stderr, "%s: demo: %v\n", who, err)
	return nil, nil, exitFailure
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}
