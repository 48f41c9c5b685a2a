package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// TestRefusedActionIsReported: a read-only console tells its owner of an
// action key pressed, naming the action and the selected subject, and
// shows what the report adds.
func TestRefusedActionIsReported(t *testing.T) {
	var got []string
	m, r, _ := actionModel(t, true)
	m.opt.Refused = func(a Action, target string) string {
		got = append(got, string(a)+" "+target)
		return "refused and audited"
	}
	drive(m, "4", "a")
	if len(r.ran) != 0 || m.dialog != nil {
		t.Fatal("a read-only console ran or offered an action")
	}
	if len(got) != 1 || got[0] != "approve request 7" {
		t.Fatalf("reports %q, want [approve request 7]", got)
	}
	if m.status != "refused and audited" {
		t.Errorf("status %q", m.status)
	}
	// On a mismatch, the target reads as a sync plan's does.
	drive(m, "2", "s")
	if len(got) != 2 || got[1] != "sync eu/WEB/billing" {
		t.Fatalf("reports %q", got)
	}
}

// TestServedSessionRefusesPauseAndExport: a session of a server shares the
// poller and the server's disk: pause and :export are refused.
func TestServedSessionRefusesPauseAndExport(t *testing.T) {
	m, ctl := newTestModel(t, 120, 40, func(o *Options) { o.Served = true })
	press(m, "p")
	if ctl.Paused() || !strings.Contains(m.status, "cannot be paused") {
		t.Errorf("pause in a served session: paused %v, status %q", ctl.Paused(), m.status)
	}
	press(m, ":", "pause", "enter")
	if ctl.Paused() {
		t.Error(":pause paused the shared poller")
	}
	dir := t.TempDir()
	if cmd := press(m, ":", "export "+dir+"/x.csv", "enter"); cmd != nil {
		t.Error(":export in a served session returned a command")
	}
	if !strings.Contains(m.status, "/snapshot") {
		t.Errorf("export status %q", m.status)
	}
}

// TestHugeWindowIsClamped: a client claiming an absurd size gets a screen
// of the largest size drawn, not a frame of gigabytes.
func TestHugeWindowIsClamped(t *testing.T) {
	m, _ := newTestModel(t, 80, 24, nil)
	m.Update(sizeMsg(1<<30, 1<<30))
	if m.width != MaxWidth || m.height != MaxHeight {
		t.Fatalf("size %dx%d", m.width, m.height)
	}
	checkSize(t, m, MaxWidth, MaxHeight)
}

// TestSessionsShareStateAndEvents: two consoles reading one Shared see
// the same state and the same events, told of changes by their
// subscriptions; each keeps its own pane.
func TestSessionsShareStateAndEvents(t *testing.T) {
	sh := NewShared(fixtureState(), func() time.Time { return t0 })
	var models []*Model
	for range 2 {
		ch, cancel := sh.Subscribe()
		t.Cleanup(cancel)
		m, _ := newTestModel(t, 120, 40, func(o *Options) { o.State, o.Shared, o.Updates = nil, sh, ch })
		models = append(models, m)
	}
	if sh.Subscribers() != 2 {
		t.Fatalf("%d subscribers", sh.Subscribers())
	}
	press(models[0], "7")
	press(models[1], "2")
	sh.AddEvent(event{at: t0, kind: "action", target: "x", text: "done: something everyone sees"})
	for _, m := range models {
		select {
		case <-m.opt.Updates:
			m.Update(sharedChangedMsg{})
		case <-time.After(time.Second):
			t.Fatal("a session was not told of the change")
		}
	}
	if s := plain(models[0]); !strings.Contains(s, "done: something everyone sees") {
		t.Errorf("session 0 lacks the shared event:\n%s", s)
	}
	if s := plain(models[1]); !strings.Contains(s, "WEB/billing") {
		t.Errorf("session 1 lost its own pane:\n%s", s)
	}
	press(models[1], "7")
	if s := plain(models[1]); !strings.Contains(s, "done: something everyone sees") {
		t.Errorf("session 1 lacks the shared event:\n%s", s)
	}
}

// TestSessionsShareMismatchRows: sessions on one Shared keep one copy of
// the Mismatches rows, built once, and draw them concurrently; a session
// whose inputs differ (another lag threshold) builds its own.
func TestSessionsShareMismatchRows(t *testing.T) {
	sh := NewShared(fixtureState(), func() time.Time { return t0 })
	mk := func(maxLag time.Duration) *Model {
		m, _ := newTestModel(t, 120, 40, func(o *Options) { o.State, o.Shared, o.Thresholds.MaxLag = nil, sh, maxLag })
		press(m, "2")
		return m
	}
	a, b, c := mk(10*time.Minute), mk(10*time.Minute), mk(time.Hour)
	ra, rb, rc := a.panes[paneMismatches].table.rows, b.panes[paneMismatches].table.rows, c.panes[paneMismatches].table.rows
	if len(ra) == 0 || &ra[0] != &rb[0] {
		t.Fatal("two sessions with the same inputs built two copies of the rows")
	}
	if &ra[0] == &rc[0] {
		t.Fatal("a session with another lag threshold took rows built for another")
	}
	// Both draw and sort the same rows at once (the race detector watches).
	done := make(chan string, 2)
	for _, m := range []*Model{a, b} {
		go func() {
			m.Update(keyMsg("L"))
			done <- plain(m)
		}()
	}
	for range 2 {
		if s := <-done; !strings.Contains(s, "WEB/billing") {
			t.Errorf("screen:\n%s", s)
		}
	}
}

// TestServedSessionsBuildRowsOffTheLoop: when the mismatches change, a
// served session keeps drawing the rows it has (true to the earlier
// state) and builds the new ones in a command; once they are in, every
// session is told and takes the same copy.
func TestServedSessionsBuildRowsOffTheLoop(t *testing.T) {
	sh := NewShared(fixtureState(), func() time.Time { return t0 })
	var models []*Model
	for range 2 {
		ch, cancel := sh.Subscribe()
		t.Cleanup(cancel)
		m, _ := newTestModel(t, 120, 40, func(o *Options) { o.State, o.Shared, o.Updates, o.Served = nil, sh, ch, true })
		press(m, "2")
		models = append(models, m)
	}
	before := len(models[0].panes[paneMismatches].table.rows)
	if f := sh.current().state.Farms[0]; len(f.Mismatches) < 2 || !strings.Contains(plain(models[0]), model.RepoLabel(f.Mismatches[1].ProjectKey, f.Mismatches[1].Slug, f.Mismatches[1].RepoID)) {
		t.Fatal("the fixture's second mismatch is not on screen to begin with")
	}
	// The hub drops every mismatch but the first, as a new generation.
	var gone string
	changeShared(sh, func(st *model.State) {
		f := st.Farms[0]
		g := f.Mismatches[1]
		gone = model.RepoLabel(g.ProjectKey, g.Slug, g.RepoID)
		f.Mismatches = f.Mismatches[:1:1]
		f.MismatchGen++
	})
	drain := func(m *Model) {
		select {
		case <-m.opt.Updates:
		default:
		}
	}
	for _, m := range models {
		drain(m)
	}
	_, cmd := models[0].Update(sharedChangedMsg{})
	if got := len(models[0].panes[paneMismatches].table.rows); got != before {
		t.Fatalf("the session waited for the new rows on its loop: %d rows, had %d", got, before)
	}
	// The build, off the loop; the command that waits for news of the
	// shared state gets the news of it for session 0.
	told := 0
	for _, msg := range runBatch(cmd) {
		if _, ok := msg.(sharedChangedMsg); ok {
			told++
			models[0].Update(msg)
		}
	}
	if told != 1 {
		t.Fatalf("session 0 told %d times", told)
	}
	for i, m := range models {
		if i > 0 {
			select {
			case <-m.opt.Updates:
				m.Update(sharedChangedMsg{})
			case <-time.After(time.Second):
				t.Fatalf("session %d was not told of the new rows", i)
			}
		}
		if s := plain(m); strings.Contains(s, gone) {
			t.Errorf("session %d still shows %s:\n%s", i, gone, s)
		}
	}
	ra, rb := models[0].panes[paneMismatches].table.rows, models[1].panes[paneMismatches].table.rows
	if len(ra) != 1 || &ra[0] != &rb[0] {
		t.Fatalf("rows: %d, shared %v", len(ra), len(ra) > 0 && len(rb) > 0 && &ra[0] == &rb[0])
	}
}

// TestAlertTransitionsAreEvents: an alert raised and cleared between two
// changes of the state is an event each, for every session; the alerts in
// force keep since when.
func TestAlertTransitionsAreEvents(t *testing.T) {
	now := t0
	sh := NewShared(fixtureState(), func() time.Time { return now })
	sh.SetAlertThresholds(model.Thresholds{MaxQueue: 500})
	queue := func(n int) {
		sh.Apply([]model.Reading{{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPQueueCount, At: now, Data: n}})
	}
	queue(10) // the baseline
	now = now.Add(time.Minute)
	queue(700)
	act := sh.ActiveAlerts()
	i := slices.IndexFunc(act, func(a ActiveAlert) bool { return a.Kind == model.AlertQueue })
	if i < 0 || !act[i].Since.Equal(now) || act[i].Target != "eu" {
		t.Fatalf("active alerts %+v", act)
	}
	now = now.Add(5 * time.Minute)
	queue(800) // still raised: no new event
	now = now.Add(time.Minute)
	queue(20)
	var got []string
	for _, e := range sh.eventList() {
		if e.kind == "alert" {
			got = append(got, e.target+" "+e.text)
		}
	}
	want := []string{"eu raised: farm eu queue depth 700 > 500", "eu cleared after 6m: farm eu queue depth 800 > 500"}
	if !slices.Equal(got, want) {
		t.Fatalf("alert events %q, want %q", got, want)
	}
}

// TestSessionsDrawAtOnce: sessions of one shared state draw every pane
// and detail at the same moment; whatever the state caches as it is read
// (lag statistics, status counts, shared rows) is made safely (run with
// the race detector).
func TestSessionsDrawAtOnce(t *testing.T) {
	sh := NewShared(fixtureState(), func() time.Time { return t0 })
	var models []*Model
	for range 3 {
		m, _ := newTestModel(t, 160, 50, func(o *Options) { o.State, o.Shared, o.Served = nil, sh, true })
		models = append(models, m)
	}
	// A new generation of mismatches, whose lag statistics nobody has
	// worked out yet.
	changeShared(sh, func(st *model.State) {
		for _, f := range st.Farms {
			f.MismatchGen++
		}
	})
	done := make(chan struct{})
	for _, m := range models {
		go func() {
			defer func() { done <- struct{}{} }()
			m.Update(sharedChangedMsg{}) // told of the change: every pane refreshed
			for _, k := range []string{"1", "enter", "esc", "2", "enter", "esc", "L", "3", "4", "5", "enter", "esc", "6", "7", "c", "esc"} {
				press(m, k)
				_ = plain(m)
			}
		}()
	}
	for range models {
		<-done
	}
}

// One build of a pane's shared rows at a time: while one is under way no
// other starts (the newest inputs are built once it is in); storing the
// rows ends it.
func TestSharedRowsOneBuildAtATime(t *testing.T) {
	sh := NewShared(model.NewState(model.Spec{}), nil)
	if !sh.startBuild(paneMismatches) {
		t.Fatal("the first build did not start")
	}
	if sh.startBuild(paneMismatches) {
		t.Fatal("a second build started while one is under way")
	}
	if !sh.startBuild(paneQueue) {
		t.Fatal("another pane's build waited")
	}
	sh.storeRows(paneMismatches, "k1", nil)
	if !sh.startBuild(paneMismatches) {
		t.Fatal("the newer key's build did not start once the rows were in")
	}
}

// blockingRecorder holds a writer inside Apply (the recorder is told
// under the writers' lock) until released.
type blockingRecorder struct{ in, release chan struct{} }

func (r blockingRecorder) Applied(time.Time, []model.Reading) {
	r.in <- struct{}{}
	<-r.release
}
func (blockingRecorder) Committed(time.Time, []string)                  {}
func (blockingRecorder) Paused(time.Time, string, time.Time)            {}
func (blockingRecorder) Followed(time.Time, string, time.Time)          {}
func (blockingRecorder) Resolved(time.Time, string, model.HistoryEntry) {}
func (blockingRecorder) Restored(time.Time, []byte)                     {}

// TestReadersNeverWaitForAWriter: while a writer is in the middle of a
// change (folding a big list in, here held inside Apply), a session's
// keys are handled and drawn and Read returns at once, all from the
// version before the change; once the change is published, the sessions
// told of it show it.
func TestReadersNeverWaitForAWriter(t *testing.T) {
	sh := NewShared(fixtureState(), func() time.Time { return t0 })
	ch, cancel := sh.Subscribe()
	t.Cleanup(cancel)
	m, _ := newTestModel(t, 120, 40, func(o *Options) { o.State, o.Shared, o.Updates, o.Served = nil, sh, ch, true })
	rec := blockingRecorder{in: make(chan struct{}), release: make(chan struct{})}
	sh.SetRecorder(rec)
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		sh.Apply([]model.Reading{{Target: model.TargetID{Farm: "eu", Node: "eu-3"}, Endpoint: model.EPStatus, At: t0,
			Err: errors.New("connection refused")}})
	}()
	<-rec.in // the writer is inside its change

	read := make(chan string)
	go func() {
		press(m, "7")
		var up bool
		sh.Read(func(st *model.State) { up = st.Farm("eu").Nodes[2].Up() })
		read <- fmt.Sprint(up, "\n", plain(m))
	}()
	select {
	case got := <-read:
		if !strings.HasPrefix(got, "true\n") || strings.Contains(got, "→ DOWN") {
			t.Errorf("a reader saw the change before it was published:\n%s", got)
		}
		if !strings.Contains(got, " Events") {
			t.Errorf("the key was not handled:\n%s", got)
		}
	case <-time.After(5 * time.Second):
		close(rec.release)
		t.Fatal("a reader waited for the writer")
	}
	close(rec.release)
	<-applied
	select {
	case <-ch:
		m.Update(sharedChangedMsg{})
	case <-time.After(time.Second):
		t.Fatal("the session was not told of the change")
	}
	if s := plain(m); !strings.Contains(s, "→ DOWN") {
		t.Errorf("the published change is not shown:\n%s", s)
	}
}

// panickyRecorder panics when told of a batch.
type panickyRecorder struct{ blockingRecorder }

func (panickyRecorder) Applied(time.Time, []model.Reading) { panic("recorder broke") }

// TestAChangeThatPanicsIsDropped: a change that panics half-way (here in
// the recorder, after the readings were folded into the copy) publishes
// nothing, the next change is not made on top of it, and the writers'
// lock is left free.
func TestAChangeThatPanicsIsDropped(t *testing.T) {
	sh := NewShared(fixtureState(), func() time.Time { return t0 })
	down := []model.Reading{{Target: model.TargetID{Farm: "eu", Node: "eu-3"}, Endpoint: model.EPStatus, At: t0, Err: errors.New("connection refused")}}
	sh.SetRecorder(panickyRecorder{})
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the recorder's panic did not come through")
			}
		}()
		sh.Apply(down)
	}()
	up := func() (up bool) {
		sh.Read(func(st *model.State) { up = st.Farm("eu").Nodes[2].Up() })
		return up
	}
	if !up() {
		t.Fatal("the change that panicked was published")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sh.SetRecorder(nil)
		sh.Apply([]model.Reading{{Target: model.TargetID{Farm: "eu"}, Endpoint: model.EPQueueCount, At: t0, Data: 4321}})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the writers' lock was left held")
	}
	var depth int
	sh.Read(func(st *model.State) { depth = st.Farm("eu").QueueDepth })
	if depth != 4321 {
		t.Fatalf("the next change was not published: queue depth %d", depth)
	}
	if !up() {
		t.Fatal("the next change was made on top of the one that panicked")
	}
}

// changeShared changes the shared state as its writers do (a copy,
// published whole), for a test to stand for the hub.
func changeShared(sh *Shared, fn func(st *model.State)) {
	sh.change(func(st *model.State) bool { fn(st); return false })
}
