package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/poller"
)

// lockedBuffer is a bytes.Buffer safe for one writer and one reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSimServesGit checks that `mirrortop sim` serves real git
// repositories over smart HTTP, as its help and the README say.
func TestSimServesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- runSim(ctx, []string{"--git-repos", "2", "--auth", "none", "--gitlab=false"}, &out, io.Discard)
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("sim exited %d", code)
		}
	}()
	re := regexp.MustCompile(`git +2 repositories over smart HTTP, e\.g\. (\S+)`)
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("no git line in the output:\n%s", out.String())
	}
	resp, err := http.Get(url + "/info/refs?service=git-upload-pack")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-git-upload-pack-advertisement" {
		t.Errorf("info/refs: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// `sim --auth none --write-config` writes a config the other commands load:
// its GitLab gets a token whatever --auth says about Bitbucket.
func TestSimAuthNoneConfigLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.toml")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- runSim(ctx, []string{"--auth", "none", "--repos", "20", "--git-repos", "0", "--write-config", path}, io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		<-done
	}()
	var cfg *config.Config
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if b, rerr := os.ReadFile(path); rerr == nil && len(b) > 0 {
			if cfg, err = config.Parse(path, b); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no config written: %v", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := poller.New(ctx, cfg, poller.Options{}); err != nil {
		t.Errorf("the written config does not load: %v", err)
	}
}
