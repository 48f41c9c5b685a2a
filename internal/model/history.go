package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HistoryKind says what a GitLab mirror's history entry records.
type HistoryKind string

// A divergence seen in the mirror's readings, or a resolution applied to
// it (an action taken from mirrortop, as the audit log records it).
const (
	HistoryDivergence HistoryKind = "divergence"
	HistoryResolution HistoryKind = "resolution"
)

// Bounds of the conflict history.
const (
	// MaxHistoryEntries is how many entries one mirror keeps (the oldest
	// go first; an open divergence stays).
	MaxHistoryEntries = 100
	// MaxHistoryMirrors is how many mirrors' histories are kept (those
	// with the oldest last entry go first).
	MaxHistoryMirrors = 5000
	// maxHistoryRefs bounds a divergence's refs (GitLab lists at most 100).
	maxHistoryRefs = 100
	// maxHistoryText bounds a resolution's message, in bytes.
	maxHistoryText = 400
)

// HistoryEntry is one event of a mirror's conflict history. A divergence
// has FirstSeen, Refs (every ref seen diverged while it lasted) and, once
// a reading shows it gone, ClearedAt; a resolution has At, Action (the
// audit log's action kind), By (who, as audited) and Result (the outcome)
// with its Message. Server strings are kept as they came: sanitize them
// to show them.
type HistoryEntry struct {
	Kind      HistoryKind `json:"kind"`
	FirstSeen time.Time   `json:"first_seen,omitzero"`
	ClearedAt time.Time   `json:"cleared_at,omitzero"`
	Refs      []string    `json:"refs,omitempty"`
	At        time.Time   `json:"at,omitzero"`
	Action    string      `json:"action,omitempty"`
	By        string      `json:"by,omitempty"`
	Result    string      `json:"result,omitempty"`
	Message   string      `json:"message,omitempty"`
}

// Open reports whether the entry is a divergence not yet seen cleared.
func (e *HistoryEntry) Open() bool { return e.Kind == HistoryDivergence && e.ClearedAt.IsZero() }

// When is when the entry happened: a divergence's first sight, a
// resolution's time.
func (e *HistoryEntry) When() time.Time {
	if e.Kind == HistoryDivergence {
		return e.FirstSeen
	}
	return e.At
}

// MirrorHistory is the conflict history of one GitLab mirror, oldest
// entry first.
type MirrorHistory struct {
	Instance  string         `json:"instance"`
	Project   string         `json:"project"`
	Direction Direction      `json:"direction"`
	ID        int64          `json:"id"`
	Entries   []HistoryEntry `json:"entries"`
}

// Key is the mirror's key (GitLabMirror.Key).
func (h *MirrorHistory) Key() string {
	return h.Instance + "/" + h.Project + "/" + string(h.Direction) + "/" + strconv.FormatInt(h.ID, 10)
}

// open returns the mirror's open divergence, or nil.
func (h *MirrorHistory) open() *HistoryEntry {
	for i := len(h.Entries) - 1; i >= 0; i-- {
		if h.Entries[i].Open() {
			return &h.Entries[i]
		}
	}
	return nil
}

// add appends an entry, dropping the oldest beyond MaxHistoryEntries (an
// open divergence is kept: it is still going on).
func (h *MirrorHistory) add(e HistoryEntry) {
	h.Entries = append(h.Entries, e)
	for len(h.Entries) > MaxHistoryEntries {
		i := slices.IndexFunc(h.Entries, func(e HistoryEntry) bool { return !e.Open() })
		if i < 0 {
			i = 0
		}
		h.Entries = slices.Delete(h.Entries, i, i+1)
	}
}

// last is when the mirror's latest entry happened (or cleared).
func (h *MirrorHistory) last() time.Time {
	var t time.Time
	for i := range h.Entries {
		e := &h.Entries[i]
		for _, u := range []time.Time{e.When(), e.ClearedAt} {
			if u.After(t) {
				t = u
			}
		}
	}
	return t
}

// GitLabHistory is the conflict history of every GitLab mirror: derived
// from the readings (divergences opened and closed as they are seen) and
// from the results of the actions taken (resolutions). It outlives the
// mirrors themselves, so that it can be kept across restarts.
type GitLabHistory struct {
	mirrors map[string]*MirrorHistory
	// open indexes the mirrors with an open divergence by instance and
	// project, so that a project's reading closes those of its mirrors
	// that are gone.
	open map[string]map[string]bool
	// changes counts the changes, for those that save the history.
	changes uint64
}

// NewGitLabHistory returns an empty history.
func NewGitLabHistory() *GitLabHistory {
	return &GitLabHistory{mirrors: map[string]*MirrorHistory{}, open: map[string]map[string]bool{}}
}

func projectKey(instance, project string) string { return instance + "\x00" + project }

// Changes counts the changes so far: it moves whenever the history does.
func (h *GitLabHistory) Changes() uint64 { return h.changes }

// Len is the number of mirrors with a history.
func (h *GitLabHistory) Len() int { return len(h.mirrors) }

// Entries returns a copy of a mirror's history, newest first (by first
// sight or time; nil when it has none).
func (h *GitLabHistory) Entries(key string) []HistoryEntry {
	mh := h.mirrors[key]
	if mh == nil {
		return nil
	}
	out := slices.Clone(mh.Entries)
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b HistoryEntry) int { return b.When().Compare(a.When()) })
	return out
}

func (h *GitLabHistory) mirror(m *GitLabMirror) *MirrorHistory {
	key := m.Key()
	mh := h.mirrors[key]
	if mh == nil {
		mh = &MirrorHistory{Instance: m.Instance, Project: m.Project, Direction: m.Direction, ID: m.ID}
		h.mirrors[key] = mh
	}
	return mh
}

func (h *GitLabHistory) setOpen(mh *MirrorHistory, open bool) {
	pk := projectKey(mh.Instance, mh.Project)
	if open {
		if h.open[pk] == nil {
			h.open[pk] = map[string]bool{}
		}
		h.open[pk][mh.Key()] = true
		return
	}
	delete(h.open[pk], mh.Key())
	if len(h.open[pk]) == 0 {
		delete(h.open, pk)
	}
}

// Observe folds a reading of a mirror taken at at: diverged refs in its
// last error open a divergence (or add to the open one), none close it.
func (h *GitLabHistory) Observe(m *GitLabMirror, at time.Time) {
	refs := ParseDivergedRefs(m.LastError)
	mh := h.mirrors[m.Key()]
	var open *HistoryEntry
	if mh != nil {
		open = mh.open()
	}
	switch {
	case len(refs) > 0 && open == nil:
		mh = h.mirror(m)
		mh.add(HistoryEntry{Kind: HistoryDivergence, FirstSeen: at, Refs: capRefs(refs)})
		h.setOpen(mh, true)
		h.changes++
	case len(refs) > 0:
		merged := open.Refs
		for _, r := range refs {
			if !slices.Contains(merged, r) {
				merged = append(merged, r)
			}
		}
		if len(merged) != len(open.Refs) {
			open.Refs = capRefs(merged)
			h.changes++
		}
	case open != nil:
		open.ClearedAt = at
		h.setOpen(mh, false)
		h.changes++
	}
}

// ProjectRead closes, at at, the open divergences of a project's mirrors
// that its reading no longer lists (deleted, or gone while mirrortop was
// not running): present holds the keys of the mirrors it lists.
func (h *GitLabHistory) ProjectRead(instance, project string, present map[string]bool, at time.Time) {
	for key := range h.open[projectKey(instance, project)] {
		if present[key] {
			continue
		}
		mh := h.mirrors[key]
		if e := mh.open(); e != nil {
			e.ClearedAt = at
			h.changes++
		}
		h.setOpen(mh, false)
	}
}

// Resolve records a resolution applied to a mirror. m names the mirror;
// e.Kind is set to HistoryResolution, and its text is bounded.
func (h *GitLabHistory) Resolve(m *GitLabMirror, e HistoryEntry) {
	e.Kind = HistoryResolution
	if len(e.Message) > maxHistoryText {
		e.Message = truncateUTF8(e.Message, maxHistoryText) + "…"
	}
	h.mirror(m).add(e)
	h.changes++
}

func capRefs(refs []string) []string {
	if len(refs) > maxHistoryRefs {
		refs = refs[:maxHistoryRefs]
	}
	return slices.Clone(refs)
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// MirrorFromKey names the mirror of a key (instance/project/direction/id)
// when no reading of it is at hand; the instance is taken to be the first
// segment.
func MirrorFromKey(key string) (GitLabMirror, bool) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return GitLabMirror{}, false
	}
	id, err := strconv.ParseInt(key[i+1:], 10, 64)
	rest := key[:i]
	j := strings.LastIndexByte(rest, '/')
	k := strings.IndexByte(rest, '/')
	if err != nil || j < 0 || k < 0 || k >= j {
		return GitLabMirror{}, false
	}
	return GitLabMirror{Instance: rest[:k], Project: rest[k+1 : j], Direction: Direction(rest[j+1:]), ID: id}, true
}

// HistoryFormat is the version of the history file's format this build
// writes and reads; a file of a newer one is not read.
const HistoryFormat = 1

// historyDoc is the history file: the format, and every mirror's history.
type historyDoc struct {
	Format  int              `json:"format"`
	Mirrors []*MirrorHistory `json:"mirrors"`
}

// ErrHistoryNewer says that a history file was written in a newer format
// than this build reads.
var ErrHistoryNewer = errors.New("written by a newer mirrortop")

// MarshalHistory encodes the history for its file, mirrors in key order;
// beyond MaxHistoryMirrors, those whose last entry is oldest are left out.
func (h *GitLabHistory) MarshalHistory() ([]byte, error) {
	ms := make([]*MirrorHistory, 0, len(h.mirrors))
	for _, mh := range h.mirrors {
		if len(mh.Entries) > 0 {
			ms = append(ms, mh)
		}
	}
	if len(ms) > MaxHistoryMirrors {
		slices.SortFunc(ms, func(a, b *MirrorHistory) int { return b.last().Compare(a.last()) })
		ms = ms[:MaxHistoryMirrors]
	}
	slices.SortFunc(ms, func(a, b *MirrorHistory) int { return strings.Compare(a.Key(), b.Key()) })
	return json.MarshalIndent(historyDoc{Format: HistoryFormat, Mirrors: ms}, "", " ")
}

// UnmarshalHistory decodes a history file; a newer format is
// ErrHistoryNewer, a damaged one another error.
func UnmarshalHistory(b []byte) (*GitLabHistory, error) {
	var probe struct {
		Format int `json:"format"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("not a history file: %w", err)
	}
	if probe.Format > HistoryFormat {
		return nil, fmt.Errorf("format %d: %w", probe.Format, ErrHistoryNewer)
	}
	if probe.Format < 1 {
		return nil, fmt.Errorf("not a history file: no format")
	}
	var doc historyDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("damaged history file: %w", err)
	}
	h := NewGitLabHistory()
	for _, mh := range doc.Mirrors {
		if mh == nil || mh.Instance == "" || (mh.Direction != Push && mh.Direction != Pull) {
			continue
		}
		loaded := &MirrorHistory{Instance: mh.Instance, Project: mh.Project, Direction: mh.Direction, ID: mh.ID}
		for _, e := range mh.Entries {
			if e.Kind != HistoryDivergence && e.Kind != HistoryResolution {
				continue
			}
			e.Refs = capRefs(e.Refs)
			loaded.add(e)
		}
		h.mirrors[loaded.Key()] = loaded
	}
	h.reindex()
	return h, nil
}

// reindex rebuilds the index of open divergences, keeping only the newest
// open one of a mirror open (an older one is closed when the newer began).
func (h *GitLabHistory) reindex() {
	h.open = map[string]map[string]bool{}
	for _, mh := range h.mirrors {
		var newest *HistoryEntry
		for i := range mh.Entries {
			e := &mh.Entries[i]
			if !e.Open() {
				continue
			}
			if newest != nil {
				newest.ClearedAt = e.FirstSeen
			}
			newest = e
		}
		if newest != nil {
			h.setOpen(mh, true)
		}
	}
}

// Merge adds a loaded history under this one (which may already hold what
// readings and actions added since the start): each mirror's entries in
// time order, bounded; nothing of either is lost but what the bounds drop.
func (h *GitLabHistory) Merge(old *GitLabHistory) {
	if old == nil {
		return
	}
	for key, o := range old.mirrors {
		cur := h.mirrors[key]
		if cur == nil {
			h.mirrors[key] = o
			continue
		}
		all := append(slices.Clone(o.Entries), cur.Entries...)
		slices.SortStableFunc(all, func(a, b HistoryEntry) int { return a.When().Compare(b.When()) })
		// An open divergence loaded and one opened since are the same one.
		var kept []HistoryEntry
		for _, e := range all {
			if n := len(kept); n > 0 && e.Kind == HistoryDivergence && kept[n-1].Kind == HistoryDivergence && kept[n-1].Open() {
				prev := &kept[n-1]
				for _, r := range e.Refs {
					if !slices.Contains(prev.Refs, r) {
						prev.Refs = append(prev.Refs, r)
					}
				}
				prev.Refs, prev.ClearedAt = capRefs(prev.Refs), e.ClearedAt
				continue
			}
			kept = append(kept, e)
		}
		cur.Entries = nil
		for _, e := range kept {
			cur.add(e)
		}
	}
	h.reindex()
	h.changes++
}
