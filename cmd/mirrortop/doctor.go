package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/doctor"
)

// runDoctor checks the configured setup against Smart Mirroring's
// requirements: one poll plus a few probes, one line per check. Its exit
// code is the report's (doctor.ExitOK … doctor.ExitUnchecked); bad flags
// or configuration give exitUsage.
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf targetFlags
	tf.register(fs)
	format := fs.String("format", "table", "output format: table or json")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up on the whole check after this long")
	noColor := fs.Bool("no-color", false, "no colour in table output (also when NO_COLOR is set or stdout is not a terminal)")
	demo := fs.Bool("demo", false, "check the built-in simulator (no config needed)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "mirrortop doctor: --format %q: want table or json\n", *format)
		return exitUsage
	}
	cfg, stop, code := tf.oneShotConfig("doctor", *demo, stderr)
	if code != exitOK {
		return code
	}
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rep, err := doctor.Run(ctx, cfg, doctor.Options{UserAgent: "mirrortop/" + version})
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop:", err)
		return exitUsage
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "mirrortop:", err)
			return exitFailure
		}
	} else {
		color := !*noColor && os.Getenv("NO_COLOR") == "" && isTerminal(stdout)
		writeDoctorTable(stdout, rep, color)
	}
	return rep.ExitCode()
}

// writeDoctorTable prints one line per check (the finding is never cut
// short), and under a problem what to do about it, then the counts.
func writeDoctorTable(w io.Writer, rep doctor.Report, color bool) {
	tw, cw := len("TARGET"), len("CHECK")
	for _, c := range rep.Checks {
		tw, cw = max(tw, ansi.StringWidth(c.Target)), max(cw, len(c.Check))
	}
	tw = min(tw, 24)
	pad := func(s string, n int) string {
		if ansi.StringWidth(s) > n {
			s = ansi.Truncate(s, n, "…")
		}
		return s + strings.Repeat(" ", n-ansi.StringWidth(s))
	}
	fmt.Fprintln(w, paint(pad("STATUS", 7)+"  "+pad("TARGET", tw)+"  "+pad("CHECK", cw)+"  FINDING", "", true, color))
	for _, c := range rep.Checks {
		fmt.Fprintln(w, paint(pad(string(c.Status), 7), doctorTone(c.Status), false, color)+"  "+pad(c.Target, tw)+"  "+pad(c.Check, cw)+"  "+c.Message)
		if c.Fix != "" && c.Status != doctor.OK {
			fmt.Fprintln(w, strings.Repeat(" ", 7+2+tw+2+cw+2)+"→ "+c.Fix)
		}
	}
	n := rep.Counts()
	fmt.Fprintf(w, "\n%d OK, %d WARN, %d FAIL, %d UNKNOWN\n", n[doctor.OK], n[doctor.Warn], n[doctor.Fail], n[doctor.Unknown])
}

func doctorTone(s doctor.Status) string {
	switch s {
	case doctor.OK:
		return "ok"
	case doctor.Warn:
		return "warn"
	case doctor.Fail:
		return "bad"
	}
	return ""
}
