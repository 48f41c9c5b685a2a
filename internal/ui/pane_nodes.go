package ui

import (
	"strconv"

	"github.com/mirrortop/mirrortop/internal/model"
)

// nodesPane lists every farm's nodes.
type nodesPane struct{}

func (nodesPane) info() paneInfo { return paneInfo{name: "Nodes", cmd: "nodes", fast: true} }

func (nodesPane) columns() []column { return nodeCols.Specs() }

// nodeRow is what a Nodes row is made from: a farm's node, its state, and
// its certificate and clock skew cells (which the row's health reads too).
type nodeRow struct {
	m          *Model
	farm       string
	n          *model.Node
	state      string
	cert, skew cell
}

// nodeCols are the Nodes pane's columns.
var nodeCols = colList[*nodeRow]{
	{Column: column{Title: "NODE", Width: 14, Sort: 'N'},
		Cell: func(v *nodeRow) cell { return cell{text: v.farm + "/" + v.n.Name, tone: toneAccent} },
		Key:  func(v *nodeRow) sortKey { return strKey(v.farm + "/" + v.n.Name) }},
	{Column: column{Title: "STATE", Width: 23, Sort: 'S'},
		Cell: func(v *nodeRow) cell {
			if v.state == model.NodeDown && !v.n.DownSince.IsZero() {
				return cell{text: "DOWN ", since: v.n.DownSince, tone: toneBad, glyph: glyphBad}
			}
			return cell{text: v.state, tone: stateTone(v.state), glyph: stateGlyph(v.state, stateTone(v.state))}
		},
		Key: func(v *nodeRow) sortKey { return strKey(v.state) }},
	{Column: column{Title: "VERSION", Width: 8, Prio: 4, Sort: 'V'},
		Cell: func(v *nodeRow) cell { return cell{text: orDash(model.Sanitize(v.n.Version)), tone: toneMuted} },
		Key:  func(v *nodeRow) sortKey { return strKey(v.n.Version) }},
	{Column: column{Title: "ADDRESS", Width: 24, Prio: 3, Sort: 'A'},
		Cell: func(v *nodeRow) cell { return cell{text: v.n.URL, tone: toneMuted} },
		Key:  func(v *nodeRow) sortKey { return strKey(v.n.URL) }},
	{Column: column{Title: "LAST GOOD", Width: 10, Sort: 'L'},
		Cell: func(v *nodeRow) cell {
			if lg := v.n.LastGood(); !lg.IsZero() {
				return cell{since: lg, suffix: " ago", tone: toneMuted}
			}
			return cell{text: "never", tone: toneMuted}
		},
		Key: func(v *nodeRow) sortKey { return numKey(-float64(v.n.LastGood().UnixNano())) }},
	{Column: column{Title: "REPOS", Width: 6, Right: true, Prio: 2, Sort: 'R'},
		Cell: func(v *nodeRow) cell { return cell{text: strconv.Itoa(len(v.n.Sync))} },
		Key:  func(v *nodeRow) sortKey { return numKey(float64(len(v.n.Sync))) }},
	{Column: column{Title: "CERT", Width: 5, Right: true, Prio: 3, Sort: 'C'},
		Cell: func(v *nodeRow) cell { return v.cert },
		Key:  func(v *nodeRow) sortKey { return numKey(float64(v.n.CertExpiry.Unix())) }},
	{Column: column{Title: "SKEW", Width: 6, Right: true, Prio: 3, Sort: 'K'},
		Cell: func(v *nodeRow) cell { return v.skew },
		Key:  func(v *nodeRow) sortKey { return numKey(skewKey(v.m.state, v.n)) }},
	{Column: column{Title: "ERROR", Width: 20, Flex: true, Sort: 'E'},
		Cell: func(v *nodeRow) cell { return cell{text: nodeError(v.n), tone: toneBad} },
		Key:  func(v *nodeRow) sortKey { return strKey(v.n.Error()) }},
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
			cert, skew := m.certCell(n.CertExpiry), m.skewCell(n)
			r := rowOf(nodeSubject{f.Name, n.Name}, nodeCols, &nodeRow{m: m, farm: f.Name, n: n, state: state, cert: cert, skew: skew})
			r.alert = state == model.NodeDown
			if stateTone(state) == toneOK && n.Error() == "" && cert.tone != toneWarn && cert.tone != toneBad && skew.tone != toneBad {
				r.okUntil = okForever
			}
			rows = append(rows, r)
		}
	}
	return rows
}
