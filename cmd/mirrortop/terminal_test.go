package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTerminalRestored runs the real binary in a real terminal (tmux) on
// the demo and ends it the ways a session ends: q, Ctrl-C, SIGTERM and
// SIGHUP (a dropped SSH session). Each time the program must exit and
// leave the terminal as it found it: cooked mode with echo, and off the
// alternate screen.
func TestTerminalRestored(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	bin := filepath.Join(t.TempDir(), "mirrortop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tmux := func(args ...string) (string, error) {
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { _, _ = tmux("kill-server") })
	for i, how := range []string{"q", "ctrl+c", "SIGTERM", "SIGHUP"} {
		t.Run(how, func(t *testing.T) {
			name := "s" + strconv.Itoa(i)
			script := fmt.Sprintf("XDG_STATE_HOME=%s %s --demo; echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo; echo STTY-DONE; sleep 60",
				t.TempDir(), bin)
			if out, err := tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", "sh", "-c", script); err != nil {
				t.Fatalf("tmux: %v %s", err, out)
			}
			screen := func() string { s, _ := tmux("capture-pane", "-p", "-t", name); return s }
			waitScreen(t, screen, "mirrortop │", 20*time.Second)
			time.Sleep(300 * time.Millisecond) // let the first frames settle
			switch how {
			case "q":
				_, _ = tmux("send-keys", "-t", name, "q")
			case "ctrl+c":
				_, _ = tmux("send-keys", "-t", name, "C-c")
			default:
				pid := childPID(t, tmux, name)
				sig := syscall.SIGTERM
				if how == "SIGHUP" {
					sig = syscall.SIGHUP
				}
				if err := syscall.Kill(pid, sig); err != nil {
					t.Fatal(err)
				}
			}
			// Wait for the marker printed after stty's line, not for EXIT=:
			// the screen can be read between the two.
			s := waitScreen(t, screen, "STTY-DONE", 10*time.Second)
			if !strings.Contains(s, "icanon echo") || strings.Contains(s, "-icanon") || strings.Contains(s, "-echo") {
				t.Errorf("terminal left in raw mode:\n%s", s)
			}
			if strings.Contains(s, "mirrortop │") {
				t.Errorf("the console is still on screen (alternate screen not left):\n%s", s)
			}
			if !strings.Contains(s, "EXIT=0") {
				t.Errorf("exit status:\n%s", s)
			}
		})
	}
}

func waitScreen(t *testing.T, screen func() string, want string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if s := screen(); strings.Contains(s, want) {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waiting for %q; the screen is:\n%s", want, screen())
	return ""
}

// childPID finds mirrortop's process: the child of the pane's shell.
func childPID(t *testing.T, tmux func(...string) (string, error), name string) int {
	t.Helper()
	out, err := tmux("list-panes", "-t", name, "-F", "#{pane_pid}")
	if err != nil {
		t.Fatal(err)
	}
	shell := strings.TrimSpace(out)
	b, err := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
	if err != nil {
		t.Fatalf("children of %s: %v", shell, err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		t.Fatal("mirrortop is not running")
	}
	pid, _ := strconv.Atoi(f[0])
	return pid
}
