package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/recording"
	"github.com/mirrortop/mirrortop/internal/sim"
)

// farmNames lists a snapshot's farms by name.
func farmNames(s Snapshot) []string {
	var out []string
	for _, f := range s.Farms {
		out = append(out, f.Name)
	}
	slices.Sort(out)
	return out
}

// checkRecording opens a recording: it has rounds, its header names the
// targets without user info, it holds none of secrets, and snapshot
// --from prints it; the snapshot is returned.
func checkRecording(t *testing.T, path, primaryURL string, secrets ...string) Snapshot {
	t.Helper()
	rec, err := recording.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Damage != nil || rec.Rounds() < 2 {
		t.Fatalf("the recording: %d rounds, damage %v", rec.Rounds(), rec.Damage)
	}
	h := rec.Header
	if h.Spec.PrimaryURL != primaryURL || len(h.Spec.Farms) == 0 {
		t.Fatalf("the header's targets: %+v", h.Spec)
	}
	js, _ := json.Marshal(h)
	if bytes.Contains(js, []byte("@")) {
		t.Fatalf("the header holds user info: %s", js)
	}
	all, err := rec.Decompressed()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, s := range secrets {
		if bytes.Contains(all, []byte(s)) || bytes.Contains(raw, []byte(s)) {
			t.Fatalf("the recording holds the credential %q", s)
		}
	}
	code, out, errs := runCmd(t, "snapshot", "--from", path, "--format", "json")
	var snap Snapshot
	if code != exitOK || json.Unmarshal([]byte(out), &snap) != nil {
		t.Fatalf("snapshot --from: exit %d\n%.500s\n%s", code, out, errs)
	}
	return snap
}

// TestConsoleRecord runs the console with --record against the
// simulator, a server error echoing the GitLab token on the way: the
// recording has its rounds, the targets without user info, no
// credential (also from an error that escaped the poller's own
// redaction: the writer is given the config's secrets), and snapshot
// --from gives the farms and repositories the simulator serves.
func TestConsoleRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.mtrec")
	const token = "glpat-recorded-secret"
	var w atomic.Pointer[recording.Writer]
	h := newHarnessWith(t, sim.Options{Repos: 20, GitLab: &sim.GitLabOptions{Token: token}}, nil,
		consoleOptions{record: path, opened: func(rw *recording.Writer) { w.Store(rw) }})
	if err := h.s.SetFault("gitlab", "/api/v4/groups", sim.Fault{Status: 500, Times: 3,
		Body: `{"message":"500 token ` + token + ` and harness-pw rejected"}`}); err != nil {
		t.Fatal(err)
	}
	rw := w.Load()
	for deadline := time.Now().Add(15 * time.Second); rw.Rounds() < 6; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d rounds recorded in 15 s", rw.Rounds())
		}
	}
	// An error quoting the credentials that the poller would not have
	// redacted: the writer scrubs the config's secrets itself.
	rw.Applied(time.Now(), []model.Reading{{Target: model.TargetID{GitLab: "gitlab"}, Endpoint: model.EPGitLabProjects,
		At: time.Now(), Err: errors.New("proxy said: " + token + " / admin:harness-pw")}})
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	snap := checkRecording(t, path, h.s.PrimaryURL(), token, "harness-pw")
	var want []string
	for _, f := range h.s.Farms() {
		want = append(want, f.Name)
	}
	slices.Sort(want)
	if got := farmNames(snap); !slices.Equal(got, want) || snap.Primary.Repos != 20 {
		t.Fatalf("snapshot --from: farms %q (want %q), %d repositories (want 20)", got, want, snap.Primary.Repos)
	}
}

// TestServeRecord runs serve --demo --record for a few rounds: the
// recording's snapshot has the farms and repositories /snapshot served.
func TestServeRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serve.mtrec")
	base, stop := startServe(t, "--demo", "--http", "127.0.0.1:0", "--record", path)
	waitReady(t, base)
	var served Snapshot
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, body := httpGet(t, base+"/snapshot")
		served = Snapshot{}
		if json.Unmarshal(body, &served) == nil && served.Primary.Repos > 0 && len(served.Farms) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/snapshot never had repositories: %.300s", body)
		}
	}
	time.Sleep(time.Second) // a few more rounds
	if code := stop(); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
	rec, err := recording.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	snap := checkRecording(t, path, rec.Header.Spec.PrimaryURL)
	if !strings.HasPrefix(rec.Header.Spec.PrimaryURL, "http://127.0.0.1:") && !strings.HasPrefix(rec.Header.Spec.PrimaryURL, "https://127.0.0.1:") {
		t.Fatalf("the header's primary: %q", rec.Header.Spec.PrimaryURL)
	}
	if got, want := farmNames(snap), farmNames(served); !slices.Equal(got, want) || snap.Primary.Repos != served.Primary.Repos {
		t.Fatalf("snapshot --from: farms %q, %d repositories; /snapshot served %q, %d", got, snap.Primary.Repos, want, served.Primary.Repos)
	}
}

// slowDisk is a writer that stops taking bytes while held, as a disk that
// does not keep up.
type slowDisk struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	held    atomic.Bool
	blocked atomic.Bool
	release chan struct{}
}

func (d *slowDisk) Write(p []byte) (int, error) {
	if d.held.Load() {
		d.blocked.Store(true)
		<-d.release
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.Write(p)
}

// TestSnapshotFromGap: snapshot --from warns on stderr when the recorder
// dropped batches before the time it prints, and not before them.
func TestSnapshotFromGap(t *testing.T) {
	d := &slowDisk{release: make(chan struct{})}
	t0 := time.Date(2026, 3, 4, 3, 0, 0, 0, time.UTC)
	w, err := recording.NewWriter(d, recording.Header{MirrortopVersion: "test", Start: t0,
		Spec: model.Spec{Farms: []model.FarmSpec{{Name: "eu", URL: "https://eu.example"}}}}, recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	round := func() {
		at := t0.Add(time.Duration(i) * time.Second)
		w.Applied(at, []model.Reading{{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPQueueCount, At: at, Data: i}})
		i++
	}
	round()
	for w.Rounds() < 1 {
		time.Sleep(time.Millisecond)
	}
	d.held.Store(true)
	round()
	for !d.blocked.Load() {
		time.Sleep(time.Millisecond)
	}
	for range recording.QueueSize + 7 {
		round()
	}
	close(d.release)
	for w.Rounds() < int64(i-7) {
		time.Sleep(time.Millisecond)
	}
	round()
	if err := w.Close(); err != nil || w.Dropped() != 7 {
		t.Fatalf("close: %v, %d dropped", err, w.Dropped())
	}
	path := filepath.Join(t.TempDir(), "gap.mtrec")
	if err := os.WriteFile(path, d.buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	const warn = "the recording misses 7 batches before this time (the disk did not keep up)"
	code, out, errs := runCmd(t, "snapshot", "--from", path, "--format", "json")
	if code != exitOK || !strings.Contains(errs, warn) || !strings.Contains(out, `"farms"`) {
		t.Fatalf("snapshot --from a recording with a gap: exit %d\n%s\n%s", code, out, errs)
	}
	if code, _, errs = runCmd(t, "snapshot", "--from", path, "--at", "+10s"); code != exitOK || strings.Contains(errs, "misses") {
		t.Fatalf("snapshot --from --at before the gap: exit %d\n%s", code, errs)
	}
}
