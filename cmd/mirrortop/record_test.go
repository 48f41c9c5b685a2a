package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecordThenSnapshotFrom records the demo for a few seconds, then
// prints the snapshot from the file: at the end, at a time, and from a
// truncated copy, an empty file and a missing one.
func TestRecordThenSnapshotFrom(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "demo.mtrec")
	code, out, errs := runCmd(t, "record", "--demo", "--out", path, "--duration", "4s")
	if code != exitOK || !strings.Contains(out, "recorded ") {
		t.Fatalf("record: exit %d\n%s\n%s", code, out, errs)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the recording: %v, %v", fi, err)
	}
	code, out, errs = runCmd(t, "snapshot", "--from", path, "--format", "json")
	var snap Snapshot
	if code != exitOK || json.Unmarshal([]byte(out), &snap) != nil || len(snap.Farms) == 0 || snap.Primary.Repos == 0 {
		t.Fatalf("snapshot --from: exit %d\n%.500s\n%s", code, out, errs)
	}
	code, out, _ = runCmd(t, "snapshot", "--from", path, "--at", "+0s")
	if code != exitOK || !strings.Contains(out, "PRIMARY") {
		t.Fatalf("snapshot --from --at +0s: exit %d\n%s", code, out)
	}
	b, _ := os.ReadFile(path)
	cut := filepath.Join(dir, "cut.mtrec")
	os.WriteFile(cut, b[:len(b)*2/3], 0o600)
	code, out, errs = runCmd(t, "snapshot", "--from", cut)
	if code != exitOK || !strings.Contains(errs, "recording damaged at byte") || !strings.Contains(errs, "played up to there") || !strings.Contains(out, "FARMS") {
		t.Fatalf("a truncated recording: exit %d\n%s\n%s", code, out, errs)
	}
	empty := filepath.Join(dir, "empty.mtrec")
	os.WriteFile(empty, nil, 0o600)
	if code, _, errs = runCmd(t, "snapshot", "--from", empty); code == exitOK || !strings.Contains(errs, "the recording is empty") {
		t.Fatalf("an empty recording: exit %d, %s", code, errs)
	}
	if code, _, errs = runCmd(t, "replay", filepath.Join(dir, "missing")); code == exitOK || !strings.Contains(errs, "no such file") {
		t.Fatalf("a missing recording: exit %d, %s", code, errs)
	}
	if code, _, errs = runCmd(t, "snapshot", "--at", "03:12"); code != exitUsage || !strings.Contains(errs, "--at goes with --from") {
		t.Fatalf("--at alone: exit %d, %s", code, errs)
	}
}
