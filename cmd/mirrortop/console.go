package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/doctor"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/recording"
	"github.com/mirrortop/mirrortop/internal/sim"
	"github.com/mirrortop/mirrortop/internal/ui"
	"github.com/mirrortop/mirrortop/themes"
)

// runConsole opens the live console on the configured targets, or on the
// built-in simulator with --demo.
func runConsole(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mirrortop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		usage(stderr)
		fmt.Fprintln(stderr, "\nConsole flags:")
		fs.PrintDefaults()
	}
	var tf targetFlags
	tf.register(fs)
	tf.registerReadOnly(fs)
	demo := fs.Bool("demo", false, "run on the built-in simulator (a primary and three farms on loopback; no config, no network)")
	theme := fs.String("theme", "", "theme: dark, light, high-contrast, or a file stem in the user theme folder")
	noColor := fs.Bool("no-color", false, "monochrome screen (also when NO_COLOR is set)")
	logFile := fs.String("log-file", "", "write logs to this file (never to the screen)")
	record := fs.String("record", "", "also record every reading to this file, for mirrortop replay (see README, Record and replay)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	// From here on a signal ends start-up too (flag parsing is instant).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also ends the demo's helpers
	progs, stopSignals := handleQuitSignals(cancel, func() {
		fmt.Fprintln(stderr, "mirrortop: the console did not stop; exiting")
		os.Exit(exitFailure)
	})
	defer stopSignals()
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mirrortop: unknown command %q\n\n", fs.Arg(0))
		usage(stderr)
		return exitUsage
	}
	cfg, stopDemo, code := tf.targetConfig(ctx, "", *demo, true, stderr)
	if code != exitOK {
		return code
	}
	defer stopDemo()
	if *theme != "" {
		cfg.UI.Theme = *theme
	}
	if *logFile != "" {
		cfg.UI.LogFile = config.ExpandHome(*logFile) // as ui.log_file is
	}
	th, err := themes.Load(cfg.UI.Theme, cfg.UI.ThemeDir)
	if err != nil {
		// A name the file gives is reported at its line; an error inside a
		// theme file names that file's line itself.
		if line := cfg.Line("ui.theme"); *theme == "" && line > 0 && errors.Is(err, themes.ErrBadName) {
			fmt.Fprintf(stderr, "mirrortop: %s:%d: ui.theme: %v\n", cfg.Path, line, err)
		} else {
			fmt.Fprintln(stderr, "mirrortop:", err)
		}
		return exitUsage
	}
	keys, err := ui.NewKeyMap(cfg.Keys)
	if err != nil {
		var ke *ui.KeyError
		if errors.As(err, &ke) && cfg.Path != "" {
			fmt.Fprintf(stderr, "mirrortop: %s:%d: %v\n", cfg.Path, cfg.Line("keys."+ke.Action), err)
		} else {
			fmt.Fprintln(stderr, "mirrortop:", err)
		}
		return exitUsage
	}
	logger, closeLog, err := openLog(cfg.UI.LogFile)
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop:", err)
		return exitUsage
	}
	defer closeLog()

	mono := *noColor || os.Getenv("NO_COLOR") != ""
	var rec *recording.Writer
	defer func() {
		if rec != nil {
			closeRecording(rec, *record, stderr)
		}
	}()
	m, start, err := newConsole(ctx, cfg, consoleOptions{theme: th, keys: keys, mono: mono, log: logger,
		record: *record, opened: func(w *recording.Writer) { rec = w }})
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop:", err)
		return exitUsage
	}
	started := make(chan struct{})
	go func() {
		start()
		close(started)
	}()
	defer func() { // the poller stops and the conflict history is saved
		cancel()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
		}
	}()
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(cfg.UI.FPS), tea.WithoutSignalHandler()}
	if mono {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	logger.Info("console started", "version", version, "farms", len(cfg.Farms), "demo", *demo)
	prog := tea.NewProgram(ui.Guard(m, logger), opts...)
	if ctx.Err() != nil {
		return exitOK // a signal during start-up
	}
	progs <- prog
	_, err = prog.Run()
	switch {
	case errors.Is(err, tea.ErrProgramPanic):
		where := "run with --log-file PATH to keep the details"
		if cfg.UI.LogFile != "" {
			where = "details in " + cfg.UI.LogFile
		}
		fmt.Fprintln(stderr, "mirrortop: internal error; the terminal was restored ("+where+")")
		return exitFailure
	case err != nil && !errors.Is(err, tea.ErrProgramKilled) && ctx.Err() == nil:
		logger.Error("console failed", "error", err)
		fmt.Fprintln(stderr, "mirrortop:", err)
		return exitFailure
	}
	logger.Info("console stopped")
	return exitOK
}

// defaultGitRepos is how many simulated repositories are real git
// repositories (so that "manual" resolves show real ref differences): 4
// when git is installed, else none.
func defaultGitRepos() int {
	if _, err := exec.LookPath("git"); err != nil {
		return 0
	}
	return 4
}

// killGrace is how long a killed console may take to end before the
// process exits.
const killGrace = 2 * time.Second

// handleQuitSignals makes SIGINT and SIGTERM end the console cleanly from
// the start: during start-up a signal cancels the console's context; once the program is
// sent on the returned channel the first one quits it (restoring the
// terminal) and a second one kills it, which restores the terminal even
// when the event loop is stuck; if the program has still not ended a
// moment later, exit is called. The handler is ours rather than
// Bubble Tea's, which registers only once the program runs and whose quit
// can block one already under way.
func handleQuitSignals(cancel context.CancelFunc, exit func()) (progs chan<- *tea.Program, stop func()) {
	ch := make(chan *tea.Program, 1)
	sigs := make(chan os.Signal, 2)
	done := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		var prog *tea.Program
		quitting := false
		for {
			select {
			case <-done:
				return
			case prog = <-ch:
			case <-sigs:
				switch {
				case prog == nil:
					cancel()
				case !quitting:
					quitting = true
					go prog.Quit()
				default:
					prog.Kill()
					select {
					case <-done:
					case <-time.After(killGrace):
						exit()
					}
					return
				}
			}
		}
	}()
	return ch, func() { signal.Stop(sigs); close(done) }
}

// consoleOptions are the console's settings that do not come from the
// config.
type consoleOptions struct {
	theme themes.Theme
	keys  *ui.KeyMap
	mono  bool
	log   *slog.Logger
	// record, when set, is the file to record to; opened is given its
	// writer, to close after the console.
	record string
	opened func(*recording.Writer)
}

// newConsole wires the poller, the action executor and the console model
// for cfg, with the conflict history of its state folder. start runs the
// poller and keeps the history until ctx ends, saving it last (call it in
// a goroutine).
func newConsole(ctx context.Context, cfg *config.Config, o consoleOptions) (*ui.Model, func(), error) {
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	p, err := poller.New(ctx, cfg, poller.Options{UserAgent: "mirrortop/" + version})
	if err != nil {
		return nil, nil, err
	}
	ex, acks, err := actionsFor(cfg, p)
	if err != nil {
		return nil, nil, err
	}
	var runner ui.ActionRunner
	if ex != nil {
		runner = ex
	}
	readings := make(chan model.Reading, 256)
	opt := consoleBase(cfg, p, o)
	opt.State, opt.Readings, opt.Control = model.NewState(p.Spec()), readings, p
	if o.record != "" {
		w, err := openRecording(o.record, cfg, p.Spec(), p.Secrets(), func(n int64) {
			o.log.Warn("recording: batches dropped, the disk does not keep up", "dropped", n)
		})
		if err != nil {
			return nil, nil, err
		}
		o.opened(w)
		opt.Shared = ui.NewShared(opt.State, nil)
		opt.Shared.SetAlertThresholds(opt.Thresholds)
		opt.Shared.SetRecorder(w)
		opt.State = nil
	}
	opt.Actions, opt.Acks, opt.User = runner, acks, actions.CurrentUser()
	m := ui.New(opt)
	keep := keepHistory(cfg, m.Shared(), o.log)
	start := func() {
		saved := make(chan struct{})
		go func() {
			keep(ctx)
			close(saved)
		}()
		p.Run(ctx, readings)
		close(readings)
		<-saved
	}
	return m, start, nil
}

// actionsFor opens the audit log and the acknowledgements of cfg's state
// folder and makes the action executor on p's clients; read-only, there is
// no executor, and the acknowledgements made earlier, if readable, still
// mute their alerts.
func actionsFor(cfg *config.Config, p *poller.Poller) (*actions.Executor, *actions.AckStore, error) {
	if cfg.ReadOnly {
		acks, _ := actions.LoadAcks(cfg.StateDir, nil)
		return nil, acks, nil
	}
	audit, err := actions.OpenAudit(cfg.StateDir)
	var acks *actions.AckStore
	if err == nil {
		acks, err = actions.LoadAcks(cfg.StateDir, nil)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w (or run with --read-only)", err)
	}
	ex := &actions.Executor{Farm: farmSender(p), GitLab: gitlabSender(p), Audit: audit, Acks: acks, User: actions.CurrentUser()}
	if c := p.Primary(); c != nil {
		ex.Primary = c
	}
	return ex, acks, nil
}

// consoleBase is what every console of cfg shares, local or served: the
// look, the keys, the thresholds, the intervals, the read-only switch and
// the clients of the detail, ref and checks views.
func consoleBase(cfg *config.Config, p *poller.Poller, o consoleOptions) ui.Options {
	intervals := map[string]time.Duration{}
	for _, f := range cfg.Farms {
		intervals[f.Name] = f.SyncInterval
	}
	return ui.Options{
		Detail: p, Theme: o.theme, Mono: o.mono, Keys: o.keys, Bell: cfg.UI.Bell, Mouse: cfg.UI.Mouse,
		ASCII: cfg.UI.ASCIIGlyphs(os.Getenv), Banner: cfg.UI.Banner, BannerColor: cfg.UI.BannerColor,
		Thresholds: cfg.Alerts.Thresholds(),
		Fast:       cfg.Poll.Fast, Slow: cfg.Poll.Slow, ReadOnly: cfg.ReadOnly, Log: o.log,
		Refs: pollerRefs{p}, SyncIntervals: intervals,
		Checks: doctor.NewProber(cfg, p, "mirrortop/"+version), CheckSettings: doctor.SettingsOf(cfg),
	}
}

// farmSender gives the executor a farm's client.
func farmSender(p *poller.Poller) func(string) (actions.Sender, bool) {
	return func(name string) (actions.Sender, bool) {
		c, ok := p.Farm(name)
		if !ok {
			return nil, false
		}
		return c, true
	}
}

// gitlabSender gives the executor a GitLab instance's client.
func gitlabSender(p *poller.Poller) func(string) (actions.Sender, bool) {
	return func(name string) (actions.Sender, bool) {
		c, ok := p.GitLab(name)
		if !ok {
			return nil, false
		}
		return c, true
	}
}

// pollerRefs gives the manual view the clients that list refs.
type pollerRefs struct{ p *poller.Poller }

func (r pollerRefs) PrimaryFetcher() (actions.Fetcher, string) {
	c := r.p.Primary()
	if c == nil {
		return nil, ""
	}
	return c, c.BaseURL()
}

func (r pollerRefs) NodeFetcher(farm, node string) (actions.Fetcher, string, bool) {
	c, ok := r.p.Node(farm, node)
	if !ok {
		return nil, "", false
	}
	return c, c.BaseURL(), true
}

func (r pollerRefs) FarmBase(farm string) string {
	if c, ok := r.p.Farm(farm); ok {
		return c.BaseURL()
	}
	return ""
}

// openLog opens the log file (appending), or a logger that discards.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), func() { f.Close() }, nil
}

// Demo settings: lively enough to show every pane at work.
const (
	demoFlapEvery = 2 * time.Minute
	demoFlapFor   = 40 * time.Second
)

// startLiveDemo starts the simulator on real time with lively defaults: a
// push every few seconds, a third farm still in its initial sync, a few
// repositories that never sync on one node, a pending mirror request, a
// node that drops out and comes back, and a GitLab with push and pull
// mirrors that succeed, fail, diverge, get stuck and pause.
func startLiveDemo(ctx context.Context) (*sim.Sim, *config.Config, error) {
	farms := append(sim.DefaultFarms(), sim.FarmSpec{
		Name: "lab", Layout: sim.Layout9, Nodes: 2, Version: "9.6.2",
		ProjectKeys: []string{"WEB", "DATA", "MOB"}, Workers: 3, InitialSync: true,
		DiscoverNodes: true, // its nodes are found in /farmNodes
	})
	s, err := sim.Start(sim.Options{
		Repos: 300, Farms: farms, Seed: uint64(time.Now().UnixNano()), GitRepos: defaultGitRepos(),
		PushEvery: 3 * time.Second, FailRate: 0.08, StuckRepos: 3, SyncInterval: time.Minute,
		GitLab: &sim.GitLabOptions{Token: randomSecret()},
		User:   "admin", Password: randomSecret(),
	})
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Parse("demo", []byte(s.ConfigTOML()))
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	cfg.Poll.Fast, cfg.Poll.Slow = 2*time.Second, 10*time.Second
	go func() {
		t := time.NewTicker(demoFlapEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = s.SetNodeDown("us", "us-2", true)
				select {
				case <-ctx.Done():
					return
				case <-time.After(demoFlapFor):
				}
				_ = s.SetNodeDown("us", "us-2", false)
			}
		}
	}()
	return s, cfg, nil
}
