package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/check"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/snapshot"
)

// maxSnapshotBody bounds the document `check --from` reads (a snapshot of
// 100 000 mismatches is over 100 MB).
const maxSnapshotBody = 1 << 30

// runCheck is `mirrortop check`: a Nagios-style plugin. Everything it
// prints goes to stdout, as plugins do; its exit code is the status (a
// usage error too is UNKNOWN, 3).
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var tf targetFlags
	fs.StringVar(&tf.config, "config", "", "config file (default the console's)")
	fs.StringVar(&tf.primary, "primary", "", "primary base URL (credentials as for the console)")
	fs.StringVar(&tf.gitlab, "gitlab", "", "a GitLab base URL (token from GITLAB_TOKEN)")
	fs.Var(&tf.gitlabProjects, "gitlab-project", "a GitLab project PATH to watch (repeatable)")
	var farms stringList
	fs.Var(&farms, "farm", "judge only farm NAME (repeatable); NAME=URL adds a farm to watch, as for the console")
	from := fs.String("from", "", "judge what a running mirrortop serve --http publishes at this base URL (its /snapshot) instead of polling")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long: UNKNOWN")
	demo := fs.Bool("demo", false, "check the built-in simulator")
	maxQueue := fs.Int("max-queue", -1, "queue depth over which a farm is WARNING (default [alerts] max_queue)")
	maxMismatches := fs.Int("max-mismatches", -1, "mismatches over which a farm is WARNING (default [alerts] max_mismatches)")
	maxLock := fs.Duration("max-lock", -1, "a sync lock held longer is WARNING (default [alerts] max_lock)")
	maxSkew := fs.Duration("max-clock-skew", -1, "a node clock further off is WARNING (default [alerts] max_clock_skew)")
	unknown := func(why string) int {
		check.UnknownResult(why).Write(stdout)
		return int(check.Unknown)
	}
	if code, ok := parseFlags(fs, args); !ok {
		if code == exitOK { // -h
			return exitOK
		}
		// A plugin's status line is on stdout even for bad flags.
		return unknown("bad flags (mirrortop check -h lists them)")
	}
	if fs.NArg() > 0 {
		return unknown(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	var only []string
	for _, f := range farms {
		if strings.Contains(f, "=") {
			tf.farms = append(tf.farms, f)
		} else {
			only = append(only, f)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var snap snapshot.Snapshot
	var th model.Thresholds
	if *from != "" {
		if *demo || tf.demoConflict() != "" {
			return unknown("--from reads a running server: leave out the targets and --demo")
		}
		s, err := fetchSnapshot(ctx, *from)
		if err != nil {
			return unknown(err.Error())
		}
		snap = s
		// The server judged with its own thresholds; flags given here
		// only set the performance data's warning levels.
		th = model.Thresholds{MaxQueue: max(*maxQueue, 0), MaxMismatches: max(*maxMismatches, 0)}
	} else {
		var why bytes.Buffer
		cfg, stop, code := tf.targetConfig(ctx, "check", *demo, false, &why)
		if code != exitOK {
			return unknown(model.Sanitize(strings.TrimSpace(why.String())))
		}
		defer stop()
		if *maxQueue >= 0 {
			cfg.Alerts.MaxQueue = *maxQueue
		}
		if *maxMismatches >= 0 {
			cfg.Alerts.MaxMismatches = *maxMismatches
		}
		if *maxLock >= 0 {
			cfg.Alerts.MaxLock = *maxLock
		}
		if *maxSkew >= 0 {
			cfg.Alerts.MaxClockSkew = *maxSkew
		}
		th = cfg.Alerts.Thresholds()
		s, _, err := takeSnapshot(ctx, cfg)
		if err != nil {
			return unknown(model.Sanitize(err.Error()))
		}
		snap = s
	}
	if ctx.Err() != nil {
		return unknown(fmt.Sprintf("timed out after %s", *timeout))
	}
	res := check.Judge(snap, check.Options{Farms: only, Thresholds: th})
	res.Write(stdout)
	return int(res.Status)
}

// fetchSnapshot reads a server's /snapshot.
func fetchSnapshot(ctx context.Context, base string) (snapshot.Snapshot, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return snapshot.Snapshot{}, fmt.Errorf("--from %q: want the server's base URL, e.g. http://host:9090", model.Sanitize(base))
	}
	u.User = nil
	if !strings.HasSuffix(u.Path, "/snapshot") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/snapshot"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return snapshot.Snapshot{}, err
	}
	req.Header.Set("User-Agent", "mirrortop/"+version)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return snapshot.Snapshot{}, fmt.Errorf("%s did not answer in time", u.Redacted())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return snapshot.Snapshot{}, fmt.Errorf("cannot read %s: %s", u.Redacted(), model.Sanitize(err.Error()))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return snapshot.Snapshot{}, fmt.Errorf("%s answered %d: %s", u.Redacted(), resp.StatusCode, model.Sanitize(strings.TrimSpace(string(b))))
	}
	var s snapshot.Snapshot
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxSnapshotBody)).Decode(&s); err != nil {
		if ctx.Err() != nil {
			return snapshot.Snapshot{}, fmt.Errorf("%s did not answer in time", u.Redacted())
		}
		return snapshot.Snapshot{}, fmt.Errorf("%s is not a mirrortop snapshot: %s", u.Redacted(), model.Sanitize(err.Error()))
	}
	return s, nil
}
