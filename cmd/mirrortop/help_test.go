package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestHelpListsConsoleFlags checks that `mirrortop --help` prints the
// commands and the console's flags on stdout.
func TestHelpListsConsoleFlags(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{arg}, &out, &errb); code != exitOK {
			t.Errorf("%s: exit %d", arg, code)
		}
		for _, want := range []string{"mirrortop snapshot", "Console flags:", "-demo", "-read-only", "-log-file"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: stdout lacks %q:\n%s", arg, want, out.String())
			}
		}
		if errb.Len() != 0 {
			t.Errorf("%s: stderr %q", arg, errb.String())
		}
	}
}

// The subcommands' -h prints their flags and succeeds, like the console's.
func TestSubcommandHelpSucceeds(t *testing.T) {
	for _, args := range [][]string{{"snapshot", "-h"}, {"sim", "--help"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != exitOK {
			t.Errorf("%v: exit %d", args, code)
		}
		if !strings.Contains(out.String()+errb.String(), "-config") && !strings.Contains(out.String()+errb.String(), "-repos") {
			t.Errorf("%v printed no flags:\n%s%s", args, out.String(), errb.String())
		}
	}
}

// --read-only belongs to the console, the one command that can change
// anything; snapshot does not offer it.
func TestReadOnlyIsAConsoleFlag(t *testing.T) {
	var out, errb bytes.Buffer
	run(context.Background(), []string{"snapshot", "-h"}, &out, &errb)
	if strings.Contains(out.String()+errb.String(), "read-only") {
		t.Errorf("snapshot -h offers --read-only:\n%s%s", out.String(), errb.String())
	}
}

// --demo with a target flag says the flag would be ignored instead of
// ignoring it.
func TestDemoRefusesTargetFlags(t *testing.T) {
	for _, args := range [][]string{{"--demo", "--config", "x.toml"}, {"snapshot", "--demo", "--primary", "https://bb.example.com"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "leave out") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
