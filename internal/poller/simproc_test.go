package poller_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mirrortop/mirrortop/internal/sim"
)

// The scale benchmarks run the simulator in a child process (this test
// binary, started again with simProcEnv set), so that the memory they
// report is the client's alone.
const simProcEnv = "MIRRORTOP_TEST_SIM_PROCESS"

const configEnd = "# --- end of config ---"

func TestMain(m *testing.M) {
	if os.Getenv(simProcEnv) != "" {
		os.Exit(runSimProcess())
	}
	os.Exit(m.Run())
}

// hashCycleEstate is the estate of the scale benchmarks: 100 000
// repositories, 3 farms of 3 nodes, both mirror layouts.
func hashCycleEstate() sim.Options {
	return sim.Options{Repos: 100_000, Manual: true, Seed: 1, PushEvery: -1, User: "admin", Password: "bench",
		Farms: []sim.FarmSpec{
			{Name: "eu", Layout: sim.Layout9, Nodes: 3, AllProjects: true},
			{Name: "us", Layout: sim.Layout9, Nodes: 3, AllProjects: true},
			{Name: "ap", Layout: sim.Layout8, Nodes: 3, AllProjects: true},
		}}
}

// runSimProcess serves the benchmark estate, prints its config and waits
// for its standard input to close.
func runSimProcess() int {
	s, err := sim.Start(hashCycleEstate())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	fmt.Println(s.ConfigTOML())
	fmt.Println(configEnd)
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// startSimProcess starts the benchmark estate in a child process and
// returns its config and process id; the process ends with the benchmark.
func startSimProcess(tb testing.TB) (string, int) {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), simProcEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	var cfg strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == configEnd {
			return cfg.String(), cmd.Process.Pid
		}
		cfg.WriteString(sc.Text() + "\n")
	}
	tb.Fatalf("simulator process ended before printing its config: %v", sc.Err())
	return "", 0
}
