package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/sim"
)

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts sim.Options
	fs.IntVar(&opts.Repos, "repos", 60, "repositories on the primary")
	fs.IntVar(&opts.Projects, "projects", 6, "projects on the primary")
	seed := fs.Uint64("seed", 0, "random seed (0: a new one each run)")
	fs.DurationVar(&opts.PushEvery, "push-every", 5*time.Second, "mean interval between pushes (negative: none)")
	fs.Float64Var(&opts.FailRate, "fail-rate", 0.05, "probability that one node sync fails")
	fs.IntVar(&opts.MaxPageSize, "max-page", 1000, "largest page size the servers answer")
	fs.IntVar(&opts.StuckRepos, "stuck", 2, "repositories that never sync on one node")
	fs.DurationVar(&opts.SyncInterval, "sync-interval", 3*time.Minute, "scheduled full sync interval of each farm")
	auth := fs.String("auth", "basic", "authentication the servers require: basic, bearer or none")
	withGitLab := fs.Bool("gitlab", true, "also simulate a GitLab with push and pull mirrors")
	fs.IntVar(&opts.GitRepos, "git-repos", defaultGitRepos(), "primary repositories backed by real git repositories over smart HTTP (needs git; none by default when git is not installed)")
	var faults stringList
	fs.Var(&faults, "fault", "inject a fault, TARGET:PATH:KIND[=VALUE] (repeatable), e.g. primary:/rest/mirroring/latest/repos:status=500, eu/eu-2::down, eu/eu-2::skew=45s, gitlab:/api/v4/projects:retry-after=30")
	fs.StringVar(&opts.TLS, "tls", "", "serve HTTPS with a throwaway CA: valid, expired, wrong-name or unknown-ca")
	fs.IntVar(&opts.CertDays, "cert-days", 30, "with --tls, days until the server certificates expire")
	var locks stringList
	fs.Var(&locks, "stuck-lock", "hold a repository's sync lock and never release it, FARM:REPO[:HELD] (repeatable), e.g. eu:12:25m")
	fs.BoolVar(&opts.Hostile, "hostile", false, "put terminal escape sequences in every server-provided display string")
	writeConfig := fs.String("write-config", "", "write a mirrortop config pointing at the simulator (credentials included, mode 0600) to this path")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	opts.Seed = *seed
	// The written config finds the eu farm's nodes in its /farmNodes
	// (node_url) rather than listing them.
	opts.Farms = sim.DefaultFarms()
	opts.Farms[0].DiscoverNodes = true
	if opts.Seed == 0 {
		opts.Seed = uint64(time.Now().UnixNano())
	}
	switch *auth {
	case "basic":
		opts.User, opts.Password = "admin", randomSecret()
	case "bearer":
		opts.Token = randomSecret()
	case "none":
	default:
		fmt.Fprintf(stderr, "mirrortop sim: --auth %q: want basic, bearer or none\n", *auth)
		return exitUsage
	}
	if *withGitLab {
		// --auth is about the Bitbucket servers: a GitLab always wants a
		// token, and a config without one would not load.
		opts.GitLab = &sim.GitLabOptions{Token: randomSecret()}
	}
	type parsed struct {
		target, path string
		f            sim.Fault
	}
	var parsedFaults []parsed
	for _, spec := range faults {
		t, p, f, err := sim.ParseFault(spec)
		if err != nil {
			fmt.Fprintf(stderr, "mirrortop sim: --fault %q: %v\n", spec, err)
			return exitUsage
		}
		parsedFaults = append(parsedFaults, parsed{t, p, f})
	}
	s, err := sim.Start(opts)
	if err != nil {
		fmt.Fprintln(stderr, "mirrortop sim:", err)
		return exitFailure
	}
	defer s.Close()
	for i, pf := range parsedFaults {
		if err := s.SetFault(pf.target, pf.path, pf.f); err != nil {
			fmt.Fprintf(stderr, "mirrortop sim: --fault %q: %v\n", faults[i], err)
			return exitUsage
		}
	}
	for _, spec := range locks {
		if err := stickLock(s, spec); err != nil {
			fmt.Fprintf(stderr, "mirrortop sim: --stuck-lock %q: %v\n", spec, err)
			return exitUsage
		}
	}
	fmt.Fprintf(stdout, "simulated primary  %s  (%d repos, auth %s)\n", s.PrimaryURL(), opts.Repos, *auth)
	for _, f := range s.Farms() {
		fmt.Fprintf(stdout, "farm %-4s %-4s     %s\n", f.Name, f.Layout, f.URL)
		for _, n := range f.Nodes {
			fmt.Fprintf(stdout, "  node %-8s     %s\n", n.Name, n.URL)
		}
	}
	if *withGitLab {
		fmt.Fprintf(stdout, "gitlab             %s  (push and pull mirrors in groups platform and data)\n", s.GitLabURL())
	}
	if u, ok := s.GitURL(1); ok {
		fmt.Fprintf(stdout, "git                %d repositories over smart HTTP, e.g. %s\n", opts.GitRepos, u)
	}
	fmt.Fprintf(stdout, "fault control      %s  (POST /faults, DELETE /faults, POST /targets/NAME/down|up|leave|join, POST /hostile, POST /locks)\n", s.ControlURL())
	if *writeConfig != "" {
		if err := s.WriteConfig(*writeConfig); err != nil {
			fmt.Fprintln(stderr, "mirrortop sim:", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "config written to %s; try: mirrortop snapshot --config %s\n", *writeConfig, *writeConfig)
	}
	fmt.Fprintln(stdout, "serving until interrupted (Ctrl-C)")
	<-ctx.Done()
	return exitOK
}

// stickLock applies a --stuck-lock FARM:REPO[:HELD] flag.
func stickLock(s *sim.Sim, spec string) error {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return fmt.Errorf("want FARM:REPO[:HELD]")
	}
	id, err := strconv.Atoi(parts[1])
	if err != nil {
		return fmt.Errorf("repository %q is not a number", parts[1])
	}
	var held time.Duration
	if len(parts) == 3 {
		if held, err = time.ParseDuration(parts[2]); err != nil || held < 0 {
			return fmt.Errorf("held %q is not a duration", parts[2])
		}
	}
	return s.StickLock(parts[0], id, held)
}

func randomSecret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// demoWarmUp is how much simulated time passes before a demo snapshot, so
// that it shows pushes in flight, a queue and some mismatches.
const demoWarmUp = 3 * time.Minute

// startDemoSim starts the simulator on a manual clock, plays a few minutes
// of activity, and returns it with a config pointing at it.
func startDemoSim() (*sim.Sim, *config.Config, error) {
	pw := randomSecret()
	farms := sim.DefaultFarms()
	farms[0].DiscoverNodes = true // its nodes are found in /farmNodes
	s, err := sim.Start(sim.Options{
		Farms:      farms,
		Manual:     true,
		Start:      time.Now().UTC().Add(-demoWarmUp).Truncate(time.Second),
		Seed:       uint64(time.Now().UnixNano()),
		PushEvery:  2 * time.Second,
		StuckRepos: 2,
		User:       "admin",
		Password:   pw,
		GitLab:     &sim.GitLabOptions{Token: randomSecret()},
	})
	if err != nil {
		return nil, nil, err
	}
	s.Advance(demoWarmUp)
	cfg, err := config.Parse("demo", []byte(s.ConfigTOML()))
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, cfg, nil
}
