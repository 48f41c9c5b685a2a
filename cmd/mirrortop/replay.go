package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/recording"
	"github.com/mirrortop/mirrortop/internal/replay"
	"github.com/mirrortop/mirrortop/internal/ui"
	"github.com/mirrortop/mirrortop/themes"
)

// openReplay reads a recording and says on stderr where it is damaged.
func openReplay(path string, stderr io.Writer, who string) (*recording.Recording, bool) {
	rec, err := recording.Open(config.ExpandHome(path))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return nil, false
	}
	if rec.Damage != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", who, path, rec.Damage)
	}
	return rec, true
}

// replayConsole is the console's model on a recording, and the player to
// run beside it.
func replayConsole(rec *recording.Recording, th themes.Theme, mono bool) (*ui.Model, *replay.Player, func()) {
	e := replay.New(rec)
	e.Index()
	pl := replay.NewPlayer(e)
	h := rec.Header
	updates, unsubscribe := e.Shared().Subscribe()
	m := ui.New(ui.Options{Shared: e.Shared(), Updates: updates, Control: pl, Replay: pl, Now: pl.Now,
		Theme: th, Mono: mono, ASCII: config.Default().UI.ASCIIGlyphs(os.Getenv), ReadOnly: true,
		Thresholds: h.Thresholds, Fast: h.Fast, Slow: h.Slow, SyncIntervals: h.SyncIntervals})
	return m, pl, unsubscribe
}

// runReplay opens the console on a recording.
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	theme := fs.String("theme", "dark", "theme: dark, light, high-contrast, or a file stem in the user theme folder")
	noColor := fs.Bool("no-color", false, "monochrome screen (also when NO_COLOR is set)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: mirrortop replay [flags] FILE\n\nThe console on a recording (mirrortop record): space pauses, [ ] slower/faster, < > step a round, :at 03:12 seeks.\n\nFlags:")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	rec, ok := openReplay(fs.Arg(0), stderr, "mirrortop replay")
	if !ok {
		return exitFailure
	}
	th, err := themes.Load(*theme, config.Default().UI.ThemeDir)
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop replay:", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "mirrortop replay: reading %d rounds…\n", rec.Rounds())
	mono := *noColor || os.Getenv("NO_COLOR") != ""
	m, pl, unsubscribe := replayConsole(rec, th, mono)
	defer unsubscribe()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go pl.Run(ctx)
	opts := []tea.ProgramOption{tea.WithContext(ctx)}
	if mono {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	if _, err := tea.NewProgram(m, opts...).Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && ctx.Err() == nil {
		fmt.Fprintln(stderr, "mirrortop replay:", err)
		return exitFailure
	}
	return exitOK
}

// snapshotFrom prints the snapshot of a recording as it was at the time
// --at names (default: its end).
func snapshotFrom(path, at, format string, limit int, color bool, stdout, stderr io.Writer) int {
	rec, ok := openReplay(path, stderr, "mirrortop snapshot")
	if !ok {
		return exitFailure
	}
	e := replay.New(rec)
	t := rec.End()
	if at != "" {
		var err error
		if t, err = replay.When(at, rec.Start(), rec.End()); err != nil {
			fmt.Fprintln(stderr, "mirrortop snapshot: --at", err)
			return exitUsage
		}
	}
	e.Seek(t)
	if d := e.Damage(); d != nil && rec.Damage == nil {
		fmt.Fprintf(stderr, "mirrortop snapshot: %s: %v\n", path, d)
	}
	if g := e.Gaps(); g > 0 {
		fmt.Fprintf(stderr, "mirrortop snapshot: %s: the recording misses %d batches before this time (the disk did not keep up): the snapshot may differ from what was live\n", path, g)
	}
	return writeSnapshot(stdout, stderr, e.Snapshot(t), format, limit, color)
}
