package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/poller"
	"github.com/mirrortop/mirrortop/internal/recording"
	"github.com/mirrortop/mirrortop/internal/serve"
)

// openRecording starts a recording of the targets of spec at path (mode
// 0600): the header holds what a replay needs of cfg (thresholds,
// intervals), never its credentials; secrets are the credentials already
// resolved (the poller's, the webhooks' URLs), scrubbed from anything
// recorded.
func openRecording(path string, cfg *config.Config, spec model.Spec, secrets []string, onDrop func(int64)) (*recording.Writer, error) {
	intervals := map[string]time.Duration{}
	for _, f := range cfg.Farms {
		intervals[f.Name] = f.SyncInterval
	}
	w, err := recording.Create(config.ExpandHome(path), recording.Header{MirrortopVersion: version, Start: time.Now(), Spec: spec,
		Thresholds: cfg.Alerts.Thresholds(), Fast: cfg.Poll.Fast, Slow: cfg.Poll.Slow, SyncIntervals: intervals},
		recording.Options{Secrets: secrets, OnDrop: onDrop})
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	return w, nil
}

// closeRecording finishes a recording and says what it holds.
func closeRecording(w *recording.Writer, path string, stderr io.Writer) {
	err := w.Close()
	if err != nil {
		fmt.Fprintf(stderr, "mirrortop: recording %s: %v\n", path, err)
	}
	msg := fmt.Sprintf("mirrortop: recorded %d rounds, %s, to %s", w.Rounds(), byteSize(w.Written()), path)
	if d := w.Dropped(); d > 0 {
		msg += fmt.Sprintf(" (%d dropped: the disk did not keep up)", d)
	}
	fmt.Fprintln(stderr, msg)
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// runRecord polls like the console and records every reading until
// stopped or --duration has passed.
func runRecord(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf targetFlags
	tf.register(fs)
	out := fs.String("out", "", "the recording file to write (required; replaced if it exists)")
	duration := fs.Duration("duration", 0, "stop after this long (default: until interrupted)")
	demo := fs.Bool("demo", false, "record the built-in simulator (no config needed)")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "mirrortop record: want --out FILE (and no arguments)")
		return exitUsage
	}
	cfg, stop, code := tf.targetConfig(ctx, "record", *demo, false, stderr)
	if code != exitOK {
		return code
	}
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	p, err := poller.New(ctx, cfg, poller.Options{UserAgent: "mirrortop/" + version})
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop:", err)
		return exitUsage
	}
	w, err := openRecording(*out, cfg, p.Spec(), p.Secrets(), func(n int64) {
		fmt.Fprintf(stderr, "mirrortop record: %d batches dropped so far: the disk does not keep up\n", n)
	})
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop:", err)
		return exitFailure
	}
	hub := serve.NewHub(p, serve.HubOptions{Thresholds: cfg.Alerts.Thresholds(), Version: version, NoSnapshots: true})
	hub.Shared().SetRecorder(w)
	fmt.Fprintf(stdout, "mirrortop record: recording to %s (Ctrl-C stops)\n", *out)
	hub.Run(ctx)
	closeRecording(w, *out, stdout)
	return exitOK
}
