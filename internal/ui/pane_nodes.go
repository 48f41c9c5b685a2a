package ui

import (
	"strconv"

	"github.com/mirrortop/mirrortop/internal/model"
)

// nodesPane lists every farm's nodes.
type nodesPane struct{}

func (nodesPane) info() paneInfo { return paneInfo{name: "Nodes", cmd: "nodes", fast: true} }

func (nodesPane) columns() []column {
	return []column{
		{title: "NODE", width: 14, sort: 'N'},
		{title: "STATE", width: 23, sort: 'S'},
		{title: "VERSION", width: 8, prio: 4, sort: 'V'},
		{title: "ADDRESS", width: 24, prio: 3, sort: 'A'},
		{title: "LAST GOOD", width: 10, sort: 'L'},
		{title: "REPOS", width: 6, right: true, prio: 2, sort: 'R'},
		{title: "CERT", width: 5, right: true, prio: 3, sort: 'C'},
		{title: "SKEW", width: 6, right: true, prio: 3, sort: 'K'},
		{title: "ERROR", width: 20, flex: true, sort: 'E'},
	}
}

func (nodesPane) rows(m *Model) []row { return m.nodeRows() }

func (nodesPane) deps(s *model.State) []dep {
	var out []dep
	for _, f := range s.Farms {
		out = append(out, nodeDeps(f, model.EPStatus)...)
	}
	return out
}

func (m *Model) nodeRows() []row {
	var rows []row
	for _, f := range m.state.Farms {
		for _, n := range f.Nodes {
			state := n.State()
			st := cell{text: state, tone: stateTone(state), glyph: stateGlyph(state, stateTone(state))}
			if state == model.NodeDown && !n.DownSince.IsZero() {
				st = cell{text: "DOWN ", since: n.DownSince, tone: toneBad, glyph: glyphBad}
			}
			last := cell{text: "never", tone: toneMuted}
			if lg := n.LastGood(); !lg.IsZero() {
				last = cell{since: lg, suffix: " ago", tone: toneMuted}
			}
			cert, skew := m.certCell(n.CertExpiry), m.skewCell(n)
			r := newRow(nodeSubject{f.Name, n.Name}, []cell{
				{text: f.Name + "/" + n.Name, tone: toneAccent},
				st,
				{text: orDash(model.Sanitize(n.Version)), tone: toneMuted},
				{text: n.URL, tone: toneMuted},
				last,
				{text: strconv.Itoa(len(n.Sync))},
				cert,
				skew,
				{text: nodeError(n), tone: toneBad},
			}, []sortKey{strKey(f.Name + "/" + n.Name), strKey(state), strKey(n.Version), strKey(n.URL),
				numKey(-float64(n.LastGood().UnixNano())), numKey(float64(len(n.Sync))), numKey(float64(n.CertExpiry.Unix())), numKey(skewKey(m.state, n)), strKey(n.Error())})
			r.alert = state == model.NodeDown
			if stateTone(state) == toneOK && n.Error() == "" && cert.tone != toneWarn && cert.tone != toneBad && skew.tone != toneBad {
				r.okUntil = okForever
			}
			rows = append(rows, r)
		}
	}
	return rows
}
