package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// ReplayStatus is where a replay is.
type ReplayStatus struct {
	// At is the recorded time shown.
	At     time.Time
	Speed  int
	Paused bool
	// Round is how many of Rounds rounds are applied.
	Round, Rounds int
	// End is set once the replay has reached the end of what it can play.
	End bool
	// Note says what stopped it early (a damaged recording), "" if nothing.
	Note string
	// Gaps counts the batches the recorder dropped before this point (the
	// disk did not keep up): what follows may differ from what was live.
	Gaps int
}

// ReplayControl drives a replay (see replay.Player). Step and Seek may
// take up to a second: the console calls them off its event loop.
type ReplayControl interface {
	Replay() ReplayStatus
	TogglePause()
	Faster()
	Slower()
	// Step moves n rounds (back when negative) and pauses.
	Step(n int) string
	// Seek goes to a time: "03:12" (a time of day), "-10m" (before the
	// end), "+5m" (after the start) or an RFC 3339 time; it says where it
	// landed.
	Seek(spec string) (string, error)
}

// replayHelp is the help's Replay group: the replay's keys and :at.
var replayHelp = []string{
	"Replay",
	"  space/p        pause / play",
	"  [ / ]          slower / faster",
	"                 (×1 to ×60)",
	"  < / >          round back / forward",
	"  :at 03:12      a time of day",
	"  :at 03:12:05   ... with seconds",
	"  :at -10m       before the end",
	"  :at +5m        after the start",
	"  :at RFC3339    2026-03-04T03:12:00Z",
}

// replayHints are the footer's replay keys, in place of the actions.
func replayHints() []key.Binding {
	return []key.Binding{fixed("space", "pause"), fixed("[/]", "speed"), fixed("</>", "step"), fixed(":at", "seek")}
}

func init() {
	// :at completes to the forms that need no time of day.
	commandArgs["at"] = func(m *Model) []string {
		if m.opt.Replay == nil {
			return nil
		}
		return []string{"start", "end", "-10m", "+5m"}
	}
}

// replayMsg is the outcome of a step or a seek.
type replayMsg struct {
	text string
	err  error
}

// replayKeys are the replay's own keys, before the key map.
func (m *Model) replayKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	r := m.opt.Replay
	if r == nil || m.dialog != nil || (m.mode != modeNormal && m.mode != modeDetail) {
		return nil, false
	}
	switch k.String() {
	case "space":
		r.TogglePause()
		m.now = m.opt.Now()
	case "]":
		r.Faster()
		m.setStatus(toneOK, "replay ×%d", r.Replay().Speed)
	case "[":
		r.Slower()
		m.setStatus(toneOK, "replay ×%d", r.Replay().Speed)
	case ">", "<":
		n := 1
		if k.String() == "<" {
			n = -1
		}
		return func() tea.Msg { return replayMsg{text: r.Step(n)} }, true
	default:
		return nil, false
	}
	return nil, true
}

// replaySeek runs ":at SPEC".
func (m *Model) replaySeek(spec string) tea.Cmd {
	r := m.opt.Replay
	if r == nil {
		m.setStatus(toneWarn, ":at seeks in a replay (mirrortop replay FILE)")
		return nil
	}
	spec = strings.TrimSpace(spec)
	return func() tea.Msg {
		text, err := r.Seek(spec)
		return replayMsg{text: text, err: err}
	}
}

func (m *Model) replayDone(msg replayMsg) tea.Cmd {
	m.now = m.opt.Now()
	if msg.err != nil {
		m.setStatus(toneBad, "%v", msg.err)
	} else if msg.text != "" {
		m.setStatus(toneOK, "%s", msg.text)
	}
	m.replayNoted()
	return m.refreshAll()
}

// replayNoted shows, once, what stopped a replay early, and batches the
// recorder dropped once the replay has passed them.
func (m *Model) replayNoted() {
	if m.opt.Replay == nil {
		return
	}
	st := m.opt.Replay.Replay()
	if st.Gaps > m.replayGaps {
		m.setStatus(toneWarn, "%s", gapText(st.Gaps))
	}
	m.replayGaps = st.Gaps // back before a gap, passing it again says so again
	if n := st.Note; n != "" && n != m.replayNote {
		m.replayNote = n
		m.setStatus(toneBad, "%s", n)
	}
}

// gapText says that a recording misses n batches before the point shown.
func gapText(n int) string {
	word := "batches"
	if n == 1 {
		word = "batch"
	}
	return fmt.Sprintf("recording missing %d %s here (the disk did not keep up): what follows may differ from live", n, word)
}

// replayBadge is the header's REPLAY badge: the speed, paused or at the end.
func (m *Model) replayBadge() string {
	st := m.opt.Replay.Replay()
	s := fmt.Sprintf(" REPLAY ×%d ", st.Speed)
	switch {
	case st.End:
		s = " REPLAY END "
	case st.Paused:
		s = " REPLAY PAUSED "
	}
	b := m.st.badge.Render(s)
	if st.Gaps > 0 { // stays while the replay is past a gap
		b += " " + m.st.badge.Render(fmt.Sprintf(" %d MISSING ", st.Gaps))
	}
	return b
}

// replayClock is the recorded date and time the header shows.
func (m *Model) replayClock() string {
	return " " + m.opt.Replay.Replay().At.Local().Format("2006-01-02 15:04:05") + " "
}
