package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/actions"
)

// ActionRunner describes and executes action plans (an *actions.Executor).
type ActionRunner interface {
	Describe(p actions.Plan) []string
	Execute(ctx context.Context, p actions.Plan) actions.Result
}

// RefSource gives what the manual view needs to compare refs: a fetcher for
// the primary and one per node.
type RefSource interface {
	PrimaryFetcher() (actions.Fetcher, string)
	NodeFetcher(farm, node string) (actions.Fetcher, string, bool)
	FarmBase(farm string) string
}

// dialog is a modal box over the pane: a confirmation, a chooser or a text
// prompt. Exactly one of its parts is set.
type dialog struct {
	title   string
	lines   []string
	warning string

	// confirm
	plan  *actions.Plan
	typed bool

	// chooser
	options []option
	cursor  int

	// prompt (also the typed confirmation's input)
	prompt bool
	input  textinput.Model

	// onChoose runs with the chosen option's value or the prompt's text.
	onChoose func(m *Model, value string) tea.Cmd
	// cancel, when set, is the status line's text on esc.
	cancel string

	// info is a message any key closes; y copies copy when set.
	info bool
	copy string
}

// option is one line of a chooser.
type option struct {
	label string
	value string
}

type actionResultMsg struct{ res actions.Result }

// confirm opens the confirmation of a plan: its target and exact calls,
// focus on No; y confirms, anything else cancels. A plan that needs typed
// confirmation asks for the text instead.
func (m *Model) confirm(p actions.Plan) {
	d := &dialog{title: p.Title, plan: &p, warning: p.Warning}
	calls := m.opt.Actions.Describe(p)
	if len(calls) > 0 {
		d.lines = append(d.lines, "Sends:")
		for _, c := range calls {
			d.lines = append(d.lines, "  "+c)
		}
	}
	if p.Note != "" {
		d.lines = append(d.lines, strings.Split(p.Note, "\n")...)
	}
	if p.Typed != "" {
		d.typed, d.prompt, d.input = true, true, newField(reasonLimit)
		d.lines = append(d.lines, "", fmt.Sprintf("Type %q and press enter to confirm; esc cancels.", p.Typed))
	} else {
		d.lines = append(d.lines, "", "Confirm? [y] yes   [N] no (any other key)")
	}
	m.dialog = d
}

func (m *Model) choose(title string, lines []string, opts []option, onChoose func(*Model, string) tea.Cmd) {
	m.dialog = &dialog{title: title, lines: lines, options: opts, onChoose: onChoose}
}

func (m *Model) ask(title string, lines []string, onSubmit func(*Model, string) tea.Cmd) {
	m.dialog = &dialog{title: title, lines: lines, prompt: true, input: newField(reasonLimit), onChoose: onSubmit}
}

// handleDialogKey routes a key to the open dialog.
func (m *Model) handleDialogKey(k tea.KeyPressMsg) tea.Cmd {
	d := m.dialog
	key := k.String()
	if key == "ctrl+c" {
		return m.quit()
	}
	switch {
	case d.info:
		m.dialog = nil
		if d.copy != "" && key == "y" {
			m.setStatus(toneOK, "public key copied to the clipboard (OSC 52; the terminal must allow it)")
			return tea.SetClipboard(d.copy)
		}
	case d.plan != nil && !d.typed:
		m.dialog = nil
		if key == "y" || key == "Y" {
			return m.run(*d.plan)
		}
		m.setStatus(toneMuted, "cancelled: nothing was sent")
	case d.prompt:
		switch key {
		case "esc":
			m.dialog = nil
			if d.cancel != "" {
				m.setStatus(toneMuted, "%s", d.cancel)
				return nil
			}
			m.setStatus(toneMuted, "cancelled: nothing was sent")
		case "enter":
			m.dialog = nil
			if d.typed {
				if strings.TrimSpace(d.input.Value()) != d.plan.Typed {
					m.setStatus(toneWarn, "confirmation did not match %q: nothing was sent", d.plan.Typed)
					return nil
				}
				return m.run(*d.plan)
			}
			return d.onChoose(m, strings.TrimSpace(d.input.Value()))
		case "tab", "shift+tab":
		default:
			editField(&d.input, k)
		}
	default: // chooser
		switch m.keys.match(k) {
		case ActUp:
			d.cursor = max(0, d.cursor-1)
		case ActDown:
			d.cursor = min(len(d.options)-1, d.cursor+1)
		case ActOpen:
			m.dialog = nil
			return d.onChoose(m, d.options[d.cursor].value)
		default:
			m.dialog = nil
			m.setStatus(toneMuted, "cancelled")
		}
	}
	return nil
}

// run executes a confirmed plan in a command, once at a time per target.
func (m *Model) run(p actions.Plan) tea.Cmd {
	if m.running[p.Key] {
		m.setStatus(toneWarn, "%s is already running", p.Title)
		return nil
	}
	m.running[p.Key] = true
	m.setStatus(toneMuted, "%s…", p.Title)
	runner := m.opt.Actions
	return func() tea.Msg {
		return actionResultMsg{res: runner.Execute(context.Background(), p)}
	}
}

// actionDone takes an action's result: status line, event, and a refresh
// so that the panes show what the servers say now.
func (m *Model) actionDone(res actions.Result) tea.Cmd {
	delete(m.running, res.Plan.Key)
	if len(m.running) == 0 {
		m.quitAsked = false
	}
	t := toneOK
	switch res.Outcome {
	case actions.OutcomeFailed, actions.OutcomeRefused:
		t = toneBad
	case actions.OutcomeNotTriggered, actions.OutcomeAlreadyRunning:
		t = toneWarn
	}
	m.setStatus(t, "%s", res.Message)
	m.addEvent(event{at: res.At, kind: "action", target: res.Plan.Target, text: string(res.Outcome) + ": " + res.Message, tone: t})
	if res.Outcome == actions.OutcomeAcknowledged {
		m.refreshAll() // the rows show the acknowledgement (and the event)
	} else {
		m.refreshPane(m.panes[paneEvents])
	}
	if m.opt.Control != nil && len(res.Steps) > 0 {
		m.opt.Control.Refresh()
	}
	return m.afterAddPush(res)
}

// viewDialog draws the dialog box over the pane area.
func (m *Model) viewDialog(b *strings.Builder) {
	d := m.dialog
	type styled struct {
		text  string
		style func(...string) string
	}
	lines := []styled{{d.title, m.st.title.Render}, {"", nil}}
	width := max(20, m.width-4)
	if d.warning != "" {
		for _, l := range wrapLine(m.st.glyphs[glyphWarn]+" "+d.warning, width) {
			lines = append(lines, styled{l, m.st.tone(toneBad).Render})
		}
		lines = append(lines, styled{"", nil})
	}
	for _, l := range d.lines {
		for _, w := range wrapLine(l, width) {
			lines = append(lines, styled{w, nil})
		}
	}
	for i, o := range d.options {
		if i == d.cursor {
			lines = append(lines, styled{"> " + o.label, m.st.selected.Render})
		} else {
			lines = append(lines, styled{"  " + o.label, nil})
		}
	}
	if d.prompt {
		lines = append(lines, styled{"", nil}, styled{m.st.bold.Render("> ") + m.fieldView(&d.input, width-2), nil})
	}
	if len(d.options) > 0 {
		lines = append(lines, styled{"", nil}, styled{m.keys.keyFor(ActDown) + "/" + m.keys.keyFor(ActUp) + " choose, enter select, esc cancel", m.st.tone(toneMuted).Render})
	}
	m.line(b, "", nil)
	for i := 0; i < m.pageHeight(); i++ {
		if i < len(lines) {
			m.line(b, " │ "+lines[i].text, lines[i].style)
		} else {
			m.line(b, "", nil)
		}
	}
}

// ackDurations are the choices for how long an acknowledgement lasts.
var ackDurations = []option{{"1 hour", "1h"}, {"4 hours", "4h"}, {"24 hours", "24h"}, {"7 days", "168h"}}

func parseDur(s string) time.Duration {
	d, _ := time.ParseDuration(s)
	return d
}

// wrapLine breaks a line longer than width at spaces; continuation lines
// keep the line's indentation plus two spaces. A word longer than the width
// stays whole (it is cut when drawn).
func wrapLine(s string, width int) []string {
	if ansi.StringWidth(s) <= width {
		return []string{s}
	}
	indent := s[:len(s)-len(strings.TrimLeft(s, " "))]
	if out := wrapWords(strings.Fields(s), " ", width, indent, indent+"  "); len(out) > 0 {
		return out
	}
	return []string{""}
}
