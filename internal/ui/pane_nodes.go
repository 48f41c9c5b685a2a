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
		{Title: "NODE", Width: 14, Sort: 'N'},
		{Title: "STATE", Width: 23, Sort: 'S'},
		{Title: "VERSION", Width: 8, Prio: 4, Sort: 'V'},
		{Title: "ADDRESS", Width: 24, Prio: 3, Sort: 'A'},
		{Title: "LAST GOOD", Width: 10, Sort: 'L'},
		{Title: "REPOS", Width: 6, Right: true, Prio: 2, Sort: 'R'},
		{Title: "CERT", Width: 5, Right: true, Prio: 3, Sort: 'C'},
		{Title: "SKEW", Width: 6, Right: true, Prio: 3, Sort: 'K'},
		{Title: "ERROR", Width: 20, Flex: true, Sort: 'E'},
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
