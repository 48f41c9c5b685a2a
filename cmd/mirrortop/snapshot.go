package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/charmbracelet/x/term"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/snapshot"
)

func runSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf targetFlags
	tf.register(fs)
	format := fs.String("format", "table", "output format: table or json")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up on the whole snapshot after this long")
	noColor := fs.Bool("no-color", false, "no colour in table output (also when NO_COLOR is set or stdout is not a terminal)")
	demo := fs.Bool("demo", false, "start the built-in simulator and take the snapshot of it (no config needed)")
	limit := fs.Int("mismatches", 10, "table format: mismatches shown per farm (all are in JSON)")
	from := fs.String("from", "", "print the snapshot of a recording (mirrortop record) instead of polling")
	at := fs.String("at", "", "with --from: as it was at this time (03:12, -10m from the end, +5m from the start, or RFC 3339; default the end)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "mirrortop snapshot: --format %q: want table or json\n", *format)
		return exitUsage
	}
	color := !*noColor && os.Getenv("NO_COLOR") == "" && isTerminal(stdout)
	if *from != "" {
		if f := tf.demoConflict(); f != "" || *demo {
			fmt.Fprintf(stderr, "mirrortop snapshot: --from reads a recording: leave out %s\n", cmp.Or(f, "--demo"))
			return exitUsage
		}
		return snapshotFrom(*from, *at, *format, *limit, color, stdout, stderr)
	}
	if *at != "" {
		fmt.Fprintln(stderr, "mirrortop snapshot: --at goes with --from FILE")
		return exitUsage
	}
	cfg, stop, code := tf.targetConfig(ctx, "snapshot", *demo, false, stderr)
	if code != exitOK {
		return code
	}
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	snap, unreadable, err := takeSnapshot(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop:", err)
		return exitUsage
	}
	if code := writeSnapshot(stdout, stderr, snap, *format, *limit, color); code != exitOK {
		return code
	}
	if len(unreadable) > 0 {
		fmt.Fprintf(stderr, "mirrortop: could not read %v at all\n", unreadable)
		return exitFailure
	}
	return exitOK
}

// writeSnapshot prints snap in format ("json", else the table, with limit
// mismatches per farm, coloured when color is set).
func writeSnapshot(stdout, stderr io.Writer, snap Snapshot, format string, limit int, color bool) int {
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(snap); err != nil {
			fmt.Fprintln(stderr, "mirrortop:", err)
			return exitFailure
		}
		return exitOK
	}
	snapshot.WriteTable(stdout, snap, snapshot.TableOptions{Color: color, Mismatches: limit})
	return exitOK
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// takeSnapshot polls every target once and folds the readings into a
// Snapshot. unreadable names the targets none of whose fetches succeeded.
func takeSnapshot(ctx context.Context, cfg *config.Config) (Snapshot, []string, error) {
	p, err := poller.New(ctx, cfg, poller.Options{UserAgent: "mirrortop/" + version})
	if err != nil {
		return Snapshot{}, nil, err
	}
	state := model.NewState(p.Spec())
	// The conflict history kept by the console or serve, read only.
	if h, notice, err := actions.LoadHistory(cfg.StateDir, false, time.Now()); err == nil && notice == "" {
		state.GitLabHistory.Merge(h)
	}
	readings := p.RunOnce(ctx)
	state.ApplyBatch(readings)
	now := time.Now()
	return buildSnapshot(state, readings, now, cfg.Alerts.Thresholds()), unreadableTargets(readings), nil
}

// unreadableTargets lists targets whose every reading failed.
func unreadableTargets(rs []model.Reading) []string {
	ok := map[string]bool{}
	var order []string
	for _, r := range rs {
		t := r.Target.String()
		if _, seen := ok[t]; !seen {
			order = append(order, t)
			ok[t] = false
		}
		if r.Err == nil {
			ok[t] = true
		}
	}
	var out []string
	for _, t := range order {
		if !ok[t] {
			out = append(out, t)
		}
	}
	return out
}

// The snapshot's document and printout live in internal/snapshot, shared
// with the serve command.
type (
	// Snapshot is the JSON document `mirrortop snapshot --format json` prints.
	Snapshot = snapshot.Snapshot
	// SnapMember is one member of a farm in a snapshot.
	SnapMember = snapshot.SnapMember
)

// tableWidth is the widest line the table format prints.
const tableWidth = snapshot.TableWidth

// buildSnapshot lays out the state as a Snapshot (see snapshot.Build).
func buildSnapshot(s *model.State, rs []model.Reading, now time.Time, th model.Thresholds) Snapshot {
	return snapshot.Build(s, rs, now, th)
}

// paint colours text as the table printout does (see snapshot.Paint).
func paint(s, tone string, bold, color bool) string { return snapshot.Paint(s, tone, bold, color) }
