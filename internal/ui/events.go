package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// maxEvents bounds the Events pane.
const maxEvents = 500

// event is one line of the Events pane: something that changed, or an
// action and its outcome.
type event struct {
	at     time.Time
	kind   string
	target string
	text   string
	tone   tone
	seq    int
}

// addEvent records an event for every reader of the state; the caller
// rebuilds the pane's rows.
func (m *Model) addEvent(e event) { m.shared.AddEvent(e) }

// watched is something noteChanges follows: a farm, a node, a discovered
// node's membership of its farm, or a mirror request.
type watched struct {
	kind watchKind
	farm string
	name string // the node, or the request's id
}

// watchKind tells watched things apart.
type watchKind int

const (
	watchFarm watchKind = iota
	watchNode
	watchMember
	watchRequest
)

// noteChanges compares what the state shows now with what it showed at the
// last change and records the changes a person would want to know about:
// nodes going down or coming back, discovered nodes joining or leaving
// their farm, farms changing state, farms found, mirror requests arriving
// or leaving.
func (s *Shared) noteChanges(now time.Time) {
	s.emu.Lock()
	defer s.emu.Unlock()
	s.noteAlerts(now)
	add := s.addEventLocked
	s.noteUpdates(now)
	cur := map[watched]string{}
	for _, f := range s.state.Farms {
		if len(f.Endpoints) == 0 && (len(f.Nodes) == 0 || f.Nodes[0].Endpoints[model.EPStatus] == nil) {
			continue // nothing read yet
		}
		cur[watched{kind: watchFarm, farm: f.Name}] = f.Health().State
		for _, n := range f.Nodes {
			if st := n.State(); st != model.NodeUnknown {
				cur[watched{watchNode, f.Name, n.Name}] = st
			}
			if n.Discovered {
				cur[watched{watchMember, f.Name, n.Name}] = f.Name
			}
		}
	}
	for _, r := range s.state.Primary.Requests {
		cur[watched{kind: watchRequest, name: model.Sanitize(r.ID)}] = model.Sanitize(r.MirrorName)
	}
	if s.prev == nil {
		s.prev = cur // the first reading is the baseline, not a change
		return
	}
	for k, v := range cur {
		old, seen := s.prev[k]
		switch {
		case seen && old == v:
		case k.kind == watchRequest:
			if !seen {
				add(event{at: now, kind: "request", target: v, text: "new mirror request " + k.name + " from " + v, tone: toneWarn})
			}
		case !seen && k.kind == watchMember:
			if _, had := s.prev[watched{kind: watchFarm, farm: k.farm}]; !had {
				continue // the farm's first nodes: no change
			}
			add(event{at: now, kind: "node", target: k.farm + "/" + k.name, text: "node " + k.name + " joined farm " + k.farm, tone: toneAccent})
		case !seen && k.kind == watchFarm:
			add(event{at: now, kind: "farm", target: k.farm, text: "farm " + k.farm + " appeared (" + v + ")", tone: toneAccent})
		case !seen:
		case k.kind == watchNode:
			t := toneOK
			if v == model.NodeDown {
				t = toneBad
			}
			add(event{at: now, kind: "node", target: k.farm + "/" + k.name, text: fmt.Sprintf("%s → %s", old, v), tone: t})
		case k.kind == watchFarm:
			add(event{at: now, kind: "farm", target: k.farm, text: fmt.Sprintf("%s → %s", old, v), tone: stateTone(v)})
		}
	}
	for k, v := range s.prev {
		if _, ok := cur[k]; ok {
			continue
		}
		switch k.kind {
		case watchRequest:
			add(event{at: now, kind: "request", target: v, text: "mirror request " + k.name + " from " + v + " is no longer pending", tone: toneMuted})
		case watchMember:
			add(event{at: now, kind: "node", target: k.farm + "/" + k.name, text: "node " + k.name + " left farm " + k.farm, tone: toneWarn})
		}
	}
	s.prev = cur
}

func (m *Model) eventRows() []row {
	evs := m.shared.eventList()
	rows := make([]row, 0, len(evs))
	for i := len(evs) - 1; i >= 0; i-- {
		e := &evs[i]
		r := rowOf(eventSubject{e.seq}, eventCols, e)
		if e.tone != toneWarn && e.tone != toneBad { // information, not a problem
			r.okUntil = okForever
		}
		rows = append(rows, r)
	}
	return rows
}

// eventDetail shows one event in full, its text wrapped to the screen.
func (m *Model) eventDetail(seq int) []string {
	for _, e := range m.shared.eventList() {
		if e.seq != seq {
			continue
		}
		out := []string{kv("Time", e.at.Local().Format("2006-01-02 15:04:05")), kv("Kind", e.kind), kv("Target", e.target), ""}
		return append(out, wrapWords(strings.Fields(e.text), " ", max(20, m.width-4), "", "")...)
	}
	return nil
}

// noteUpdates records each new phase of a followed GitLab "Update now"
// (scheduled, started, finished, failed, or nothing seen) as an event.
// wmu is held, emu too.
func (s *Shared) noteUpdates(now time.Time) {
	for _, g := range s.state.GitLab {
		for _, m := range g.Mirrors {
			u := m.Update
			if u == nil {
				continue
			}
			v := u.RequestedAt.String() + " " + u.Text
			key := m.Key()
			if s.updates[key] == v {
				continue
			}
			if s.updates == nil {
				s.updates = map[string]string{}
			}
			s.updates[key] = v
			if u.Phase == model.UpdateRequested {
				continue // the action's own event says it was sent
			}
			t := toneAccent
			switch u.Phase {
			case model.UpdateFinished:
				t = toneOK
			case model.UpdateFailed:
				t = toneBad
			case model.UpdateUnseen:
				t = toneWarn
			}
			add := s.addEventLocked
			add(event{at: now, kind: "gitlab", target: g.Name + ":" + model.Sanitize(m.Project) + " " + string(m.Direction) + " mirror",
				text: "update now: " + u.Text, tone: t})
		}
	}
}
