package actions

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"
)

// AuditEntry is one line of the audit log: one attempted request, or one
// action that sends none.
type AuditEntry struct {
	Time time.Time `json:"time"`
	User string    `json:"user"`
	// Key and Role are the SSH key's fingerprint and role of a served
	// session; absent for a local console.
	Key     string  `json:"key,omitempty"`
	Role    string  `json:"role,omitempty"`
	Action  Kind    `json:"action"`
	Target  string  `json:"target"`
	Request string  `json:"request"`
	Status  int     `json:"status"`
	Outcome Outcome `json:"outcome"`
	Message string  `json:"message,omitempty"`
}

// AuditLog appends JSON lines to a file in the state folder.
type AuditLog struct {
	mu   sync.Mutex
	path string
}

// AuditFile is the audit log's name in the state folder.
const AuditFile = "audit.log"

// OpenAudit returns the audit log of a state folder, creating the folder.
func OpenAudit(stateDir string) (*AuditLog, error) {
	if stateDir == "" {
		return nil, fmt.Errorf("no state folder (set state_dir, XDG_STATE_HOME or HOME)")
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	return &AuditLog{path: filepath.Join(stateDir, AuditFile)}, nil
}

// Write appends one entry.
func (a *AuditLog) Write(e AuditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.OpenFile(a.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// CurrentUser names the local user for the audit log.
func CurrentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}
