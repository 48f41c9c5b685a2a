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
	"github.com/charmbracelet/x/term"

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
	cfg, stop, code := tf.targetConfig(ctx, "doctor", *demo, false, stderr)
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
		writeDoctorTable(stdout, rep, color, outputWidth(stdout))
	}
	return rep.ExitCode()
}

// writeDoctorTable prints one line per check and, under a problem, what to
// do about it, then the counts. A finding is never cut short: it wraps at
// width, its continuation lines under the FINDING column.
func writeDoctorTable(w io.Writer, rep doctor.Report, color bool, width int) {
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
	indent := 7 + 2 + tw + 2 + cw + 2
	room := max(width-indent, 30)
	under := strings.Repeat(" ", indent)
	fmt.Fprintln(w, paint(pad("STATUS", 7)+"  "+pad("TARGET", tw)+"  "+pad("CHECK", cw)+"  FINDING", "", true, color))
	for _, c := range rep.Checks {
		lines := wrapText(c.Message, room)
		fmt.Fprintln(w, paint(pad(string(c.Status), 7), doctorTone(c.Status), false, color)+"  "+pad(c.Target, tw)+"  "+pad(c.Check, cw)+"  "+lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintln(w, under+l)
		}
		if c.Fix != "" && c.Status != doctor.OK {
			for i, l := range wrapText(c.Fix, room-2) {
				lead := "→ "
				if i > 0 {
					lead = "  "
				}
				fmt.Fprintln(w, under+lead+l)
			}
		}
	}
	n := rep.Counts()
	fmt.Fprintf(w, "\n%d OK, %d WARN, %d FAIL, %d UNKNOWN\n", n[doctor.OK], n[doctor.Warn], n[doctor.Fail], n[doctor.Unknown])
}

// wrapText breaks s into lines of at most width columns at spaces; a word
// longer than width (a URL) stands alone on its line, whole.
func wrapText(s string, width int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= width:
			line += " " + word
		default:
			out = append(out, line)
			line = word
		}
	}
	return append(out, line)
}

// outputWidth is the terminal's width when w is one, else the width the
// tables are laid out for.
func outputWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(f.Fd()) {
		if cols, _, err := term.GetSize(f.Fd()); err == nil && cols > 0 {
			return cols
		}
	}
	return tableWidth
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
