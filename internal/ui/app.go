package ui

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mirrortop/mirrortop/internal/actions"
	"github.com/mirrortop/mirrortop/internal/doctor"
	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/themes"
)

// Controller is what the console asks of the poller.
type Controller interface {
	Refresh()
	SetPaused(paused bool)
	Paused() bool
}

// DetailSource fetches what a detail view needs beyond the polled state.
type DetailSource interface {
	MirrorRepo(ctx context.Context, farm, node, repoID string) (model.MirroredRepo, error)
}

// Options configure the console.
type Options struct {
	// State and Readings: a console that applies its own readings (the
	// local console). Shared and Updates instead: a console that reads a
	// state applied elsewhere (a session of `mirrortop serve`), told of
	// changes on Updates (see Shared.Subscribe).
	State    *model.State
	Readings <-chan model.Reading
	Shared   *Shared
	Updates  <-chan struct{}
	Control  Controller
	Detail   DetailSource
	Theme    themes.Theme
	// Mono draws without colour (NO_COLOR, --no-color): bold, underline
	// and reverse video only.
	Mono bool
	// ASCII draws the state glyphs in ASCII, for terminals without Unicode.
	ASCII bool
	// Banner names the context (e.g. "PROD"), shown first in the header
	// in BannerColor: a theme colour name (ok, warn, bad, accent, …), an
	// ANSI index or #rrggbb; "" is the theme's warn colour.
	Banner      string
	BannerColor string
	Keys        *KeyMap
	Thresholds  model.Thresholds
	// Bell rings the terminal bell when a new alert appears.
	Bell bool
	// Fast and Slow are the poll intervals; data older than twice its
	// interval is marked stale.
	Fast, Slow time.Duration
	ReadOnly   bool
	// Refused, when set, is told (in a command, off the event loop) of a
	// key press that read-only mode refused: the action and the selected
	// subject, for the audit. It returns what the status line adds.
	Refused func(a Action, target string) string
	// Served says that the console is a session of `mirrortop serve`:
	// the poller serves others too, so pause is refused (and a refresh is
	// the server's to pace), and :export, which would write a file on the
	// server, is refused.
	Served bool
	Mouse  bool
	Now    func() time.Time
	Log    *slog.Logger

	// Actions runs confirmed actions (nil: no actions). Refs feeds the
	// manual view's ref comparison. Acks holds acknowledged alerts.
	Actions ActionRunner
	Refs    RefSource
	Acks    *actions.AckStore
	// SyncIntervals are the farms' scheduled full sync intervals.
	SyncIntervals map[string]time.Duration
	// User names the local user in acknowledgements.
	User string

	// Checks makes the probes of the checks view (nil: the checks come
	// from the polled state alone); CheckSettings are its settings.
	Checks        CheckProber
	CheckSettings doctor.Settings

	// Replay, when set, makes the console a replay's: its keys (space,
	// [ ], < >, :at) drive it and the header shows the recorded time.
	Replay ReplayControl
}

type mode int

const (
	modeNormal mode = iota
	modeFilter
	modeCommand
	modeHelp
	modeDetail
)

// Model is the console's root Bubble Tea model.
type Model struct {
	opt  Options
	st   styles
	keys *KeyMap
	// shared is the state and what is derived from it; ver is the version
	// of it Update and View read (taken anew by each: pin), state its
	// model.State.
	shared *Shared
	ver    *version
	state  *model.State
	panes  []*pane
	active paneID
	width  int
	height int
	mode   mode
	// input is the filter's or the command line's field; comp is the
	// command line's Tab cycle (nil when none).
	input textinput.Model
	comp  *completion
	// problems hides the healthy rows of every pane.
	problems bool
	// helpVP shows the help's lines; help draws the footer's key hints.
	helpVP viewport.Model
	help   help.Model
	// footer caches the footer's key hints for footerKey (mode, pane,
	// width…): they change only with those.
	footer    string
	footerKey footerKey
	now       time.Time

	status     string
	statusTone tone
	statusAt   time.Time

	detail *detail
	// checkProbes are the probes of the open checks view (nil until they
	// come back); probing is true while they run.
	checkProbes *doctor.Probes
	probing     bool
	dialog      *dialog
	// glForm is the open GitLab mirror form (nil: none).
	glForm *mirrorForm

	running map[string]bool

	alerts     []model.Alert
	alertKeys  map[string]bool
	alertFarms map[string]bool
	lagAlerts  int                  // repository lag alerts not acknowledged
	acks       ackView              // acknowledgements in force
	quitAsked  bool                 // quit was asked while actions ran
	lagByFarm  map[string]*lagState // see lagSeen

	closed bool
	// replayNote is the replay's note already shown.
	replayNote string
	// replayGaps is the dropped batches the replay had passed when last
	// looked at.
	replayGaps int
}

// New returns the console model.
func New(opt Options) *Model {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Keys == nil {
		opt.Keys, _ = NewKeyMap(nil)
	}
	if opt.Fast <= 0 {
		opt.Fast = 10 * time.Second
	}
	if opt.Slow <= 0 {
		opt.Slow = 2 * time.Minute
	}
	opt.Keys.SetReadOnly(opt.ReadOnly || opt.Actions == nil)
	if opt.Shared == nil {
		opt.Shared = NewShared(opt.State, opt.Now)
		opt.Shared.SetAlertThresholds(opt.Thresholds)
	}
	m := &Model{opt: opt, st: newStyles(opt.Theme, opt.Mono, opt.ASCII), keys: opt.Keys, shared: opt.Shared,
		now: opt.Now(), alertKeys: map[string]bool{}, alertFarms: map[string]bool{},
		lagByFarm: map[string]*lagState{},
		running:   map[string]bool{}, width: 80, height: 24, help: newHelp()}
	m.st.setBanner(opt.Theme, opt.Mono, opt.BannerColor)
	m.panes = newPanes(m)
	for _, p := range m.panes {
		p.table.clock = func() time.Time { return m.now }
	}
	m.pin()
	m.resize(m.width, m.height)
	m.refreshAll()
	return m
}

type readingsMsg []model.Reading

// recomputedMsg carries farms' mismatches recomputed off the event loop.
type recomputedMsg []*model.Recompute

// recompute runs the farms' mismatch computations in a command, so that a
// round that changes 100 000 mismatches does not hold up keys and frames.
func recompute(jobs []*model.Recompute) tea.Cmd {
	if len(jobs) == 0 {
		return nil
	}
	return func() tea.Msg {
		for _, j := range jobs {
			j.Run()
		}
		return recomputedMsg(jobs)
	}
}

type readingsClosedMsg struct{}
type tickMsg time.Time

// sharedChangedMsg says that the shared state changed (see Options.Updates).
type sharedChangedMsg struct{}

// waitShared waits for the next change of the shared state; it ends
// quietly when the subscription ends.
func waitShared(ch <-chan struct{}) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		if _, ok := <-ch; !ok {
			return nil
		}
		return sharedChangedMsg{}
	}
}

// waitReadings waits for the next reading and gathers the burst that
// follows it (up to 50 ms), so that one message carries a poll round.
func waitReadings(ch <-chan model.Reading, log *slog.Logger) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		r, ok := <-ch
		if !ok {
			return readingsClosedMsg{}
		}
		batch := []model.Reading{r}
		timer := time.NewTimer(50 * time.Millisecond)
		defer timer.Stop()
	gather:
		for len(batch) < 4096 {
			select {
			case r, ok := <-ch:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			case <-timer.C:
				break gather
			}
		}
		for _, r := range batch {
			if r.Err != nil {
				log.Warn("fetch failed", "target", r.Target.String(), "endpoint", string(r.Endpoint), "error", model.Sanitize(r.Err.Error()))
			}
		}
		return readingsMsg(batch)
	}
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// Init starts waiting for readings and the one-second clock.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(waitReadings(m.opt.Readings, m.opt.Log), waitShared(m.opt.Updates), tick())
}

// Update handles one message. The writes to the shared state come first
// (readings, computed mismatches, a paused mirror); everything else reads
// the newest version of it, taken then.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case readingsMsg:
		jobs := m.shared.Apply(msg)
		cmd = tea.Batch(recompute(jobs), waitReadings(m.opt.Readings, m.opt.Log))
	case recomputedMsg:
		// The farms' new mismatches, computed off the event loop; farms
		// whose readings changed meanwhile go round again.
		committed, next := m.shared.Commit(msg)
		if !committed {
			return m, recompute(next)
		}
		cmd = recompute(next)
	case actionResultMsg:
		if msg.res.Paused {
			m.shared.MarkPaused(msg.res.Plan.Mirror, msg.res.At)
		}
		m.shared.RecordResolution(msg.res)
		if msg.res.Plan.Kind == actions.KindGitLabSync && msg.res.Outcome == actions.OutcomeAccepted {
			m.shared.FollowUpdate(msg.res.Plan.Mirror, msg.res.At)
		}
	}
	m.pin()
	return m, tea.Batch(cmd, m.update(msg))
}

// pin takes the newest version of the shared state for what follows.
func (m *Model) pin() {
	m.ver = m.shared.current()
	m.state = m.ver.state
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
	case readingsMsg, recomputedMsg:
		m.now = m.opt.Now()
		return m.refreshAll()
	case sharedChangedMsg:
		m.now = m.opt.Now()
		return tea.Batch(m.refreshAll(), waitShared(m.opt.Updates))
	case readingsClosedMsg:
		m.closed = true
	case tickMsg:
		m.now = m.opt.Now()
		var cmds []tea.Cmd
		if m.refreshAcks() { // one was added elsewhere or ran out
			for _, p := range m.panes {
				if ct, ok := p.kind.(changeTracker); ok && ct.due(m, true) {
					cmds = append(cmds, m.refreshPane(p))
				} else if rs, ok := p.kind.(rowSharer); ok {
					cmds = append(cmds, m.refreshShared(p, rs))
				}
			}
		}
		for _, p := range m.panes { // a push in flight for too long shows up
			if p.table.problemsDue(m.now) {
				p.table.rebuild()
			}
		}
		cmds = append(cmds, m.refreshAlerts())
		m.replayNoted()
		if m.mode == modeDetail && m.detail != nil {
			m.detail.rebuild(m)
		}
		return tea.Batch(append(cmds, tick())...)
	case detailMsg:
		if m.detail != nil && m.detail.key == msg.key {
			m.detail.fetched[msg.node] = msg
			m.detail.rebuild(m)
		}
	case checksMsg:
		if m.detail != nil && m.detail.key == checksKey && m.probing {
			m.checkProbes, m.probing = &msg.probes, false
			m.detail.rebuild(m)
		}
	case refsMsg:
		if m.detail != nil && m.detail.key == msg.key {
			m.detail.refs[msg.node] = msg
			m.detail.rebuild(m)
		}
	case exportMsg:
		return m.exportDone(msg)
	case refusedMsg:
		if msg.text != "" {
			m.setStatus(toneWarn, "%s", msg.text)
		}
	case actionResultMsg:
		return m.actionDone(msg.res)
	case glKeyMsg:
		m.showPublicKey(msg)
	case replayMsg:
		return m.replayDone(msg)
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		m.handlePaste(msg)
	case tea.MouseWheelMsg:
		m.handleWheel(msg)
	case tea.MouseClickMsg:
		return m.handleClick(tea.Mouse(msg))
	}
	return nil
}

// Screen lines of the list view: header, tab bar, pane title, column
// header, then the rows.
const (
	tabBarLine   = 1
	firstRowLine = 4
	wheelStep    = 3
)

// handleWheel scrolls what is on screen (with [ui] mouse on).
func (m *Model) handleWheel(msg tea.MouseWheelMsg) {
	step := 0
	switch msg.Button {
	case tea.MouseWheelUp:
		step = -wheelStep
	case tea.MouseWheelDown:
		step = wheelStep
	default:
		return
	}
	switch {
	case m.dialog != nil:
	case m.mode == modeHelp:
		m.helpVP, _ = m.helpVP.Update(msg)
	case m.mode == modeDetail:
		m.detail.vp, _ = m.detail.vp.Update(msg)
	case m.mode == modeNormal:
		m.panes[m.active].table.move(step)
	}
}

// handleClick selects what a left click points at in the list view: a tab
// switches pane, a row is selected, a click on the selected row opens it.
func (m *Model) handleClick(ms tea.Mouse) tea.Cmd {
	if ms.Button != tea.MouseLeft || m.dialog != nil || m.mode != modeNormal {
		return nil
	}
	switch t := m.panes[m.active].table; {
	case ms.Y == tabBarLine:
		x := 0
		for i, label := range m.tabLabels() {
			w := ansi.StringWidth(label)
			if ms.X >= x && ms.X < x+w {
				m.switchPane(paneID(i))
				return nil
			}
			x += w
		}
	case ms.Y >= firstRowLine && ms.Y < firstRowLine+t.height:
		vi := t.offset + ms.Y - firstRowLine
		if vi >= len(t.view) {
			return nil
		}
		if vi == t.cursor {
			return m.openDetail()
		}
		t.move(vi - t.cursor)
	}
	return nil
}

func (m *Model) resize(w, h int) {
	// A client may claim any size: past these, a screen is bigger than
	// anyone reads, and drawing it would cost every frame.
	m.width, m.height = min(max(w, 20), MaxWidth), min(max(h, 6), MaxHeight)
	for _, p := range m.panes {
		p.table.resize(m.width, m.bodyHeight())
	}
	if m.detail != nil {
		m.detail.layout(m)
	}
	if m.mode == modeHelp {
		m.layoutHelp()
	}
}

// The largest screen the console draws (a server clamps what clients
// claim to it before Bubble Tea sizes its buffers).
const (
	MaxWidth  = 1000
	MaxHeight = 400
)

// bodyHeight is the number of table rows that fit: the screen less the
// header, tab bar, pane title, column header, error line and footer, and
// the queue pane's history lines.
func (m *Model) bodyHeight() int {
	return max(m.height-6, 1)
}

// pageHeight is the number of lines the detail, help and dialog views show:
// they have no column header or error line, so two more than bodyHeight.
func (m *Model) pageHeight() int { return m.bodyHeight() + 2 }

// refreshAll rebuilds the rows of every pane from the state, skipping a
// pane's whose data did not change (see changeTracker).
func (m *Model) refreshAll() tea.Cmd {
	acksChanged := m.refreshAcks()
	cmds := []tea.Cmd{m.refreshAlerts()}
	for _, p := range m.panes {
		if ct, ok := p.kind.(changeTracker); ok && !ct.due(m, acksChanged) {
			continue
		}
		cmds = append(cmds, m.refreshPane(p))
	}
	if m.mode == modeDetail && m.detail != nil {
		m.detail.rebuild(m)
	}
	return tea.Batch(cmds...)
}

// refreshAlerts recomputes the alerts, leaving out acknowledged ones; a
// new one rings the bell when asked.
func (m *Model) refreshAlerts() tea.Cmd {
	// Repository lag alerts can number 100 000 and are refreshed every
	// second: they are counted per farm from the sorted mismatches, and
	// only a farm's new ones are looked at; the others are listed.
	maxLag := m.opt.Thresholds.MaxLag
	all := m.state.Alerts(m.opt.Thresholds, m.now)
	m.alerts = all[:0]
	for _, a := range all {
		if a.GitLab != "" {
			if _, ok := m.opt.Acks.Active(actions.GitLabAckKey(a.GitLab), m.now); ok {
				continue
			}
		}
		m.alerts = append(m.alerts, a)
	}
	keys := make(map[string]bool, len(m.alerts))
	farms := map[string]bool{}
	fresh := false
	for _, a := range m.alerts {
		keys[a.Key] = true
		farms[a.Farm] = true
		if !m.alertKeys[a.Key] {
			fresh = true
		}
	}
	m.alertKeys, m.alertFarms = keys, farms
	m.lagAlerts = 0
	for _, f := range m.state.Farms {
		if m.lagSeen(f, f.Lagging(maxLag, m.now)) {
			fresh = true
		}
	}
	if fresh && m.opt.Bell {
		return tea.Raw("\a")
	}
	return nil
}

// lagState is what refreshAlerts remembers of a farm's lag alerts.
type lagState struct {
	gen uint64          // the farm's MismatchGen when ids was built
	ids map[string]bool // repositories with a lag alert
}

// lagSeen counts a farm's lag alerts that are not acknowledged and reports
// whether any is new. The set is rebuilt only when the farm's mismatches
// changed; between rounds, time only adds to it.
func (m *Model) lagSeen(f *model.Farm, lag []model.Mismatch) (fresh bool) {
	acked := func(id string) bool { return m.acks.acked(f.Name, id) }
	ls := m.lagByFarm[f.Name]
	if ls == nil || ls.gen != f.MismatchGen || len(lag) < len(ls.ids) {
		old := map[string]bool(nil)
		if ls != nil {
			old = ls.ids
		}
		ls = &lagState{gen: f.MismatchGen, ids: make(map[string]bool, len(lag))}
		m.lagByFarm[f.Name] = ls
		for i := range lag {
			id := lag[i].RepoID
			ls.ids[id] = true
			fresh = fresh || (!old[id] && !acked(id))
		}
	} else {
		for i := len(ls.ids); i < len(lag); i++ {
			id := lag[i].RepoID
			fresh = fresh || (!ls.ids[id] && !acked(id))
			ls.ids[id] = true
		}
	}
	n := len(lag)
	for k := range m.acks.repos {
		if k.farm == f.Name && ls.ids[k.repo] {
			n--
		}
	}
	m.lagAlerts += n
	return fresh
}

func (m *Model) repoByID(id string) *model.Repo { return m.ver.repoIndex[id] }

// quit ends the program, unless an action is still running: its request
// may be on the wire, and its result and audit line come when it ends. Then
// it says so, and asking again quits anyway.
func (m *Model) quit() tea.Cmd {
	if n := len(m.running); n > 0 && !m.quitAsked {
		m.quitAsked = true
		m.setStatus(toneWarn, "%d action(s) still running: their result and audit line come when they end; quit again to leave now", n)
		return nil
	}
	return tea.Quit
}

// refresh asks every target to be read now (the big lists too).
func (m *Model) refresh() {
	if m.opt.Control != nil {
		m.opt.Control.Refresh()
	}
	m.setStatus(toneMuted, "refreshing all targets…")
}

// refusedMsg carries what the report of a refused action adds.
type refusedMsg struct{ text string }

// refuse says no to an action read-only mode took away, and reports the
// attempt (see Options.Refused).
func (m *Model) refuse(a Action) tea.Cmd {
	m.setStatus(toneWarn, "read-only: %s is not available in this console", a)
	report := m.opt.Refused
	if report == nil {
		return nil
	}
	target := ""
	if s := m.subject(); s != nil {
		target = auditTarget(s)
	}
	return func() tea.Msg { return refusedMsg{report(a, target)} }
}

// auditTarget names a subject as the plans of its actions name their
// target in the audit log, so that a refused attempt and a run action on
// the same thing read alike.
func auditTarget(s subject) string {
	switch s := s.(type) {
	case requestSubject:
		return "request " + s.id
	case mismatchSubject:
		return s.mm.Farm + "/" + model.RepoLabel(s.mm.ProjectKey, s.mm.Slug, s.mm.RepoID)
	case farmSubject:
		return s.farm
	}
	return s.key()
}

// closeHelp returns from the help to the view it was opened from.
func (m *Model) closeHelp() {
	m.mode = modeNormal
	if m.detail != nil {
		m.mode = modeDetail
	}
}

func (m *Model) setStatus(t tone, format string, args ...any) {
	m.status, m.statusTone, m.statusAt = fmt.Sprintf(format, args...), t, m.opt.Now()
	m.now = m.statusAt
}

func (m *Model) handleKey(k tea.KeyPressMsg) tea.Cmd {
	if m.dialog != nil {
		return m.handleDialogKey(k)
	}
	if m.glForm != nil {
		return m.handleFormKey(k)
	}
	if cmd, ok := m.replayKey(k); ok {
		return cmd
	}
	if a, refused := m.paneKey(k); a != "" {
		if refused {
			return m.refuse(a)
		}
		return m.panes[m.active].kind.(binder).act(m, a) // the pane's own key comes first there
	}
	switch m.mode {
	case modeFilter, modeCommand:
		return m.handleInput(k)
	case modeHelp:
		switch a := m.keys.match(k); {
		case scrollPage(&m.helpVP, a):
		case a == ActQuit:
			if k.String() == "ctrl+c" {
				return m.quit()
			}
			m.closeHelp()
		default:
			m.closeHelp()
		}
		return nil
	}
	a := m.keys.match(k)
	if a == "" {
		if r := m.keys.refused(k); r != "" {
			return m.refuse(r)
		}
	}
	if m.mode == modeNormal {
		if h, ok := m.panes[m.active].kind.(binder); ok && a != "" && slices.ContainsFunc(h.bindings(), func(b *binding) bool { return b.action == a }) {
			return h.act(m, a) // one of the pane's own keys
		}
	}
	if m.keys.dangerous(a) {
		return m.handleAction(a)
	}
	if m.mode == modeDetail {
		return m.handleDetailKey(a)
	}
	t := m.panes[m.active].table
	if i, ok := m.keys.paneOf(a); ok {
		m.switchPane(paneID(i))
		return nil
	}
	switch a {
	case ActQuit:
		return m.quit()
	case ActHelp:
		m.openHelp()
	case ActFilter:
		m.mode, m.input = modeFilter, newField(lineLimit)
		m.setInput(t.filter)
	case ActCommand:
		m.mode, m.input, m.comp = modeCommand, newField(lineLimit), nil
	case ActBack:
		if t.filter != "" {
			t.setFilter("")
			m.setStatus(toneMuted, "filter cleared")
		}
	case ActUp:
		t.move(-1)
	case ActDown:
		t.move(1)
	case ActPageUp:
		t.move(-t.height)
	case ActPageDown:
		t.move(t.height)
	case ActTop:
		t.top()
	case ActBottom:
		t.bottom()
	case ActNextPane:
		m.switchPane((m.active + 1) % paneID(len(m.panes)))
	case ActPrevPane:
		m.switchPane((m.active + paneID(len(m.panes)) - 1) % paneID(len(m.panes)))
	case ActOpen:
		return m.openDetail()
	case ActChecks:
		return m.openChecks()
	case ActProblems:
		m.toggleProblems()
	case ActRefresh:
		m.refresh()
	case ActPause:
		m.togglePause()
	case ActRedraw:
		return tea.ClearScreen
	default:
		if s := k.String(); len(s) == 1 && s[0] >= 'A' && s[0] <= 'Z' {
			if t.sortBy(rune(s[0])) {
				dir := "ascending"
				if t.sortDesc {
					dir = "descending"
				}
				m.setStatus(toneMuted, "sorted by %s, %s", strings.ToLower(t.cols[t.sortCol].Title), dir)
			}
		}
	}
	return nil
}

// toggleProblems shows only the rows that are problems, in every pane, or
// every row again.
func (m *Model) toggleProblems() {
	m.problems = !m.problems
	for _, p := range m.panes {
		p.table.setProblems(m.problems)
	}
	if m.problems {
		m.setStatus(toneMuted, "problems only: healthy rows hidden in every pane (%s shows all)", m.keys.keyFor(ActProblems))
	} else {
		m.setStatus(toneMuted, "showing every row")
	}
}

func (m *Model) togglePause() {
	if m.opt.Control == nil {
		return
	}
	if m.opt.Served {
		m.setStatus(toneWarn, "polling is shared by everyone connected to this server: it cannot be paused from a session")
		return
	}
	p := !m.opt.Control.Paused()
	m.opt.Control.SetPaused(p)
	if p {
		m.setStatus(toneWarn, "polling paused; data ages from now (p resumes)")
	} else {
		m.setStatus(toneMuted, "polling resumed")
	}
}

func (m *Model) switchPane(p paneID) {
	if p >= 0 && int(p) < len(m.panes) {
		m.active = p
	}
}

// handleInput edits the filter or the command line: Esc leaves (clearing
// the filter), Enter keeps the filter or runs the command, Tab completes a
// command; every other key edits the field, and none reaches the panes.
func (m *Model) handleInput(k tea.KeyPressMsg) tea.Cmd {
	t := m.panes[m.active].table
	switch k.String() {
	case "esc":
		if m.mode == modeFilter {
			t.setFilter("")
		}
		m.mode, m.input, m.comp = modeNormal, textinput.Model{}, nil
		return nil
	case "enter":
		if m.mode == modeCommand {
			line := m.input.Value()
			m.input, m.comp = textinput.Model{}, nil
			cmd := m.runCommand(strings.TrimSpace(line))
			if m.mode == modeCommand {
				m.mode = modeNormal
			}
			return cmd
		}
		m.mode, m.input = modeNormal, textinput.Model{}
		return nil
	case "ctrl+c":
		return m.quit()
	case "tab", "shift+tab":
		if m.mode == modeCommand {
			m.complete(k.String() == "shift+tab")
		}
		return nil
	}
	m.comp = nil
	if editField(&m.input, k) && m.mode == modeFilter {
		t.setFilter(m.input.Value())
	}
	return nil
}

// handlePaste puts a bracketed paste into the open field, sanitized; with
// no field open it is dropped (a paste never acts on a pane or a dialog).
func (m *Model) handlePaste(p tea.PasteMsg) {
	switch {
	case m.dialog != nil:
		if m.dialog.prompt {
			editField(&m.dialog.input, p)
		}
	case m.glForm != nil:
		if f := m.glForm.fields[m.glForm.focus]; f.kind == fieldText || f.kind == fieldSecret {
			editField(&f.input, p)
		}
	case m.mode == modeFilter || m.mode == modeCommand:
		m.comp = nil
		if editField(&m.input, p) && m.mode == modeFilter {
			m.panes[m.active].table.setFilter(m.input.Value())
		}
	}
}

// commands are the command-line verbs besides the pane names.
var commands = []string{"help", "checks", "refresh", "pause", "resume", "export", "quit", "q"}

// commands are this console's command-line verbs besides the pane names:
// a replay's add "at".
func (m *Model) commands() []string {
	if m.opt.Replay == nil {
		return commands
	}
	return append([]string{"at"}, commands...)
}

func (m *Model) runCommand(c string) tea.Cmd {
	c = strings.TrimPrefix(c, ":")
	if c == "" {
		return nil
	}
	if rest, ok := strings.CutPrefix(c, "export"); ok && (rest == "" || rest[0] == ' ') {
		if m.opt.Served {
			m.setStatus(toneWarn, "export writes a file on the server, so a served session cannot: the server's HTTP /snapshot gives the same data")
			return nil
		}
		return m.exportView(rest)
	}
	if rest, ok := strings.CutPrefix(c, "at"); ok && (rest == "" || rest[0] == ' ') {
		return m.replaySeek(rest)
	}
	for _, p := range m.panes {
		if c == p.cmd || strings.HasPrefix(p.cmd, c) && len(c) >= 2 {
			m.switchPane(p.id)
			return nil
		}
	}
	switch c {
	case "q", "quit":
		return m.quit()
	case "help":
		m.openHelp()
	case "checks":
		return m.openChecks()
	case "refresh":
		m.refresh()
	case "pause", "resume":
		if m.opt.Control != nil && (m.opt.Served || m.opt.Control.Paused() != (c == "pause")) {
			m.togglePause()
		}
	default:
		var known []string
		for _, p := range m.panes {
			known = append(known, ":"+p.cmd)
		}
		for _, v := range commands[:len(commands)-1] { // not the "q" alias
			known = append(known, ":"+v)
		}
		m.setStatus(toneBad, "unknown command %q (try %s)", c, strings.Join(known, " "))
	}
	return nil
}
