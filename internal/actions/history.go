package actions

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// HistoryFile is the GitLab mirrors' conflict history in the state folder.
const HistoryFile = "gitlab-history.json"

// maxHistoryFile bounds the history file read (the history written is
// bounded well below it).
const maxHistoryFile = 32 << 20

// LoadHistory reads the conflict history of a state folder: empty when
// the folder or the file does not exist yet. A file that cannot be used
// (damaged, too big, or of a newer format) never stops mirrortop: with
// setAside it is renamed out of the way (gitlab-history.json.bad-TIME) so
// that the new history does not overwrite it; notice says what happened,
// for the log and the status line. err is only for a file that exists
// but cannot be read at all.
func LoadHistory(stateDir string, setAside bool, now time.Time) (h *model.GitLabHistory, notice string, err error) {
	h = model.NewGitLabHistory()
	if stateDir == "" {
		return h, "", nil
	}
	path := filepath.Join(stateDir, HistoryFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, "", nil
	}
	if err != nil {
		return h, "", fmt.Errorf("conflict history: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxHistoryFile+1))
	f.Close()
	if err != nil {
		return h, "", fmt.Errorf("conflict history: %w", err)
	}
	var why error
	if len(b) > maxHistoryFile {
		why = fmt.Errorf("larger than %d MiB", maxHistoryFile>>20)
	} else if loaded, err := model.UnmarshalHistory(b); err != nil {
		why = err
	} else {
		return loaded, "", nil
	}
	if !setAside {
		return h, fmt.Sprintf("conflict history %s not read (%v)", HistoryFile, why), nil
	}
	aside := path + ".bad-" + now.UTC().Format("20060102T150405Z")
	if err := os.Rename(path, aside); err != nil {
		return h, "", fmt.Errorf("conflict history %s unusable (%v) and not set aside: %w", HistoryFile, why, err)
	}
	return h, fmt.Sprintf("conflict history set aside as %s, not read (%v); a new one is kept", filepath.Base(aside), why), nil
}

// SaveHistory writes the conflict history's file (b, from
// model.GitLabHistory.MarshalHistory) into the state folder atomically:
// a temporary file of mode 0600 renamed over the old one, so that a crash
// leaves the old file or the new one, never half of one.
func SaveHistory(stateDir string, b []byte) error {
	if stateDir == "" {
		return fmt.Errorf("no state folder (set state_dir, XDG_STATE_HOME or HOME)")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("state folder: %w", err)
	}
	tmp, err := os.CreateTemp(stateDir, HistoryFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("conflict history: %w", err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(stateDir, HistoryFile))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("conflict history: %w", err)
	}
	return nil
}

// HistoryEntryOf is the history entry of an action's result on a GitLab
// mirror, as the audit log records it (action, who, outcome); ok is false
// for a result that applied nothing (refused, or already under way) or
// that concerns no GitLab mirror.
func HistoryEntryOf(res Result) (e model.HistoryEntry, ok bool) {
	if res.Plan.Mirror == "" || res.Outcome == OutcomeRefused || res.Outcome == OutcomeAlreadyRunning {
		return e, false
	}
	return model.HistoryEntry{Kind: model.HistoryResolution, At: res.At, Action: string(res.Plan.Kind), By: res.By.String(),
		Result: string(res.Outcome), Message: res.Message}, true
}
