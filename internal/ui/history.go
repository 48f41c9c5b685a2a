package ui

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/model"
)

// RecordResolution adds an action's result on a GitLab mirror to the
// mirror's conflict history (results that applied nothing are left out).
func (s *Shared) RecordResolution(res actions.Result) {
	e, ok := actions.HistoryEntryOf(res)
	if !ok {
		return
	}
	s.recordEntry(res.Plan.Mirror, e)
}

// recordEntry adds a resolution to the history of a mirror (by key).
func (s *Shared) recordEntry(mirror string, e model.HistoryEntry) {
	s.change(func(st *model.State) bool {
		st.RecordResolution(mirror, e)
		if s.rec != nil {
			s.rec.Resolved(s.now(), mirror, e)
		}
		return true
	})
}

// RestoreHistory merges a conflict history loaded from the state folder
// under the one kept since the start.
func (s *Shared) RestoreHistory(h *model.GitLabHistory) {
	s.change(func(st *model.State) bool {
		if st.GitLabHistory == nil {
			st.GitLabHistory = model.NewGitLabHistory()
		}
		st.GitLabHistory.Merge(h)
		if s.rec != nil && h != nil && h.Len() > 0 {
			s.recordHistory(h)
		}
		return true
	})
}

// AddNotice records a notice of mirrortop's own (kind names it: "history")
// as a warning in the Events pane of every reader.
func (s *Shared) AddNotice(kind, text string) {
	s.AddEvent(event{at: s.now(), kind: kind, text: text, tone: toneWarn})
}

// Shared is the shared state the console reads (and, a local console,
// applies its readings to).
func (m *Model) Shared() *Shared { return m.shared }

// HistorySaveDelay is how long the conflict history waits after a change
// before it is written, so that a round of changes is one write.
const HistorySaveDelay = 2 * time.Second

// HistorySaver writes the shared state's conflict history when it changed:
// HistorySaveDelay after a change, and once more when it stops.
type HistorySaver struct {
	sh    *Shared
	save  func([]byte) error
	delay time.Duration
	log   *slog.Logger

	mu    sync.Mutex // one write at a time
	saved uint64
}

// NewHistorySaver saves s's conflict history with save (see
// actions.SaveHistory) delay after each change (0: HistorySaveDelay);
// what is there now counts as saved.
func NewHistorySaver(s *Shared, save func([]byte) error, delay time.Duration, log *slog.Logger) *HistorySaver {
	if delay <= 0 {
		delay = HistorySaveDelay
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &HistorySaver{sh: s, save: save, delay: delay, log: log}
	s.Read(func(st *model.State) {
		if st.GitLabHistory != nil {
			h.saved = st.GitLabHistory.Changes()
		}
	})
	return h
}

// Run saves after changes until ctx ends, then saves what is left.
func (h *HistorySaver) Run(ctx context.Context) {
	ch, stop := h.sh.Subscribe()
	defer stop()
	var timer <-chan time.Time
	if h.dirty() { // changed before the subscription
		timer = time.After(h.delay)
	}
	for {
		select {
		case <-ctx.Done():
			h.Flush()
			return
		case <-ch:
			if timer == nil && h.dirty() {
				timer = time.After(h.delay)
			}
		case <-timer:
			timer = nil
			h.Flush()
		}
	}
}

func (h *HistorySaver) dirty() (d bool) {
	h.mu.Lock()
	saved := h.saved
	h.mu.Unlock()
	h.sh.Read(func(st *model.State) { d = st.GitLabHistory != nil && st.GitLabHistory.Changes() != saved })
	return d
}

// Flush writes the history now if it changed since it was last written;
// a failure is logged (and tried again at the next change).
func (h *HistorySaver) Flush() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b []byte
	var err error
	var changes uint64
	h.sh.Read(func(st *model.State) {
		if st.GitLabHistory == nil || st.GitLabHistory.Changes() == h.saved {
			return
		}
		changes = st.GitLabHistory.Changes()
		b, err = st.GitLabHistory.MarshalHistory()
	})
	if b == nil && err == nil {
		return nil
	}
	if err == nil {
		err = h.save(b)
	}
	if err != nil {
		h.log.Error("conflict history not saved", "error", err.Error())
		return err
	}
	h.saved = changes
	return nil
}

// historyLines are a mirror's conflict history for its detail, newest
// first, each entry on one line of at most width columns (refs shortened
// with a count of those left out; server strings sanitized).
func (m *Model) historyLines(key string, width int) []string {
	if m.state.GitLabHistory == nil {
		return nil
	}
	es := m.state.GitLabHistory.Entries(key)
	if len(es) == 0 {
		return nil
	}
	out := []string{"", fmt.Sprintf("History (%d, newest first)", len(es))}
	for _, e := range es {
		var line string
		switch e.Kind {
		case model.HistoryDivergence:
			end := "still diverged"
			if !e.ClearedAt.IsZero() {
				end = "cleared " + histTime(e.ClearedAt, e.FirstSeen)
			}
			line = "  " + histTime(e.FirstSeen, time.Time{}) + "  diverged, " + end + ": "
			line += refList(e.Refs, width-ansi.StringWidth(line))
		default:
			line = "  " + histTime(e.At, time.Time{}) + "  " + actionLabel(e.Action) + " by " + model.Sanitize(e.By) + ": " + model.Sanitize(e.Result)
			if msg := firstLine(model.Sanitize(e.Message)); msg != "" {
				line += " — " + msg
			}
			line = ansi.Truncate(line, width, "…")
		}
		out = append(out, line)
	}
	return out
}

// histTime shows a history time in local time, without the date when it
// is the same day as since.
func histTime(t, since time.Time) string {
	t = t.Local()
	if !since.IsZero() && since.Local().YearDay() == t.YearDay() && since.Local().Year() == t.Year() {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 2 15:04:05")
}

// actionLabel names an audited GitLab action for the history.
func actionLabel(kind string) string {
	switch actions.Kind(kind) {
	case actions.KindGitLabSync:
		return "update now"
	case actions.KindGitLabOurs:
		return "resolve ours"
	case actions.KindGitLabTheirs:
		return "resolve theirs"
	case actions.KindGitLabDisable:
		return "abort (disable)"
	case actions.KindGitLabPause:
		return "pause"
	case actions.KindGitLabResume:
		return "resume"
	case actions.KindGitLabDelete:
		return "delete"
	case actions.KindAcknowledge:
		return "acknowledge"
	}
	return model.Sanitize(kind)
}

// refList lists refs (sanitized) within width columns: as many as fit,
// then "+N more".
func refList(refs []string, width int) string {
	if len(refs) == 0 {
		return "no refs listed"
	}
	var b strings.Builder
	for i, r := range refs {
		r = model.Sanitize(strings.TrimPrefix(r, "refs/heads/"))
		sep := ""
		if i > 0 {
			sep = " "
		}
		more := ""
		if rest := len(refs) - i - 1; rest > 0 {
			more = fmt.Sprintf(" +%d more", rest)
		}
		if ansi.StringWidth(b.String()+sep+r+more) > width {
			if i == 0 {
				return ansi.Truncate(r, max(1, width-ansi.StringWidth(more)), "…") + more
			}
			return b.String() + fmt.Sprintf(" +%d more", len(refs)-i)
		}
		b.WriteString(sep + r)
	}
	return b.String()
}
