package actions

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Ack mutes one repository's alert on one farm until a time.
type Ack struct {
	Key    string    `json:"key"`
	Farm   string    `json:"farm"`
	RepoID string    `json:"repoId"`
	Repo   string    `json:"repo"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// AckKey is the key of a repository's acknowledgement on a farm.
func AckKey(farm, repoID string) string { return farm + "/" + repoID }

// AckStore keeps acknowledgements in the state folder, across restarts.
type AckStore struct {
	mu   sync.Mutex
	path string
	acks map[string]Ack
	now  func() time.Time
}

// AcksFile is the acknowledgements' file in the state folder.
const AcksFile = "acks.json"

// LoadAcks reads the acknowledgements of a state folder (none when the file
// does not exist yet). A damaged file is an error naming it. now is the
// clock that expires them when saving (nil: time.Now).
func LoadAcks(stateDir string, now func() time.Time) (*AckStore, error) {
	if now == nil {
		now = time.Now
	}
	s := &AckStore{path: filepath.Join(stateDir, AcksFile), acks: map[string]Ack{}, now: now}
	if stateDir == "" {
		return nil, fmt.Errorf("no state folder (set state_dir, XDG_STATE_HOME or HOME)")
	}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("acknowledgements: %w", err)
	}
	var doc struct {
		Acks []Ack `json:"acks"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("acknowledgements %s: %v (move the file away to start afresh)", s.path, err)
	}
	for _, a := range doc.Acks {
		s.acks[a.Key] = a
	}
	return s, nil
}

// Add records an acknowledgement (replacing one of the same key) and saves.
func (s *AckStore) Add(a Ack) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acks[a.Key] = a
	return s.save()
}

// Active returns the acknowledgement of key if it has not expired at now.
func (s *AckStore) Active(key string, now time.Time) (Ack, bool) {
	if s == nil {
		return Ack{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.acks[key]
	return a, ok && now.Before(a.Until)
}

// List returns the acknowledgements active at now, soonest to expire first.
func (s *AckStore) List(now time.Time) []Ack {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ack
	for _, a := range s.acks {
		if now.Before(a.Until) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Until.Before(out[j].Until) })
	return out
}

// save writes the file atomically (a temporary file renamed over it),
// dropping expired entries.
func (s *AckStore) save() error {
	now := s.now()
	var doc struct {
		Acks []Ack `json:"acks"`
	}
	for k, a := range s.acks {
		if now.Before(a.Until) {
			doc.Acks = append(doc.Acks, a)
		} else {
			delete(s.acks, k) // expired: gone from memory as from the file
		}
	}
	sort.Slice(doc.Acks, func(i, j int) bool { return doc.Acks[i].Key < doc.Acks[j].Key })
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("acknowledgements: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".acks-*")
	if err != nil {
		return fmt.Errorf("acknowledgements: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("acknowledgements: %v", errors.Join(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("acknowledgements: %w", err)
	}
	return nil
}
