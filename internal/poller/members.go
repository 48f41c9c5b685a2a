package poller

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mirrortop/mirrortop/internal/config"
	"github.com/mirrortop/mirrortop/internal/model"
)

// nodeDiscovery follows the members of a farm with a node URL template:
// each /farmNodes member that no configured node names is polled at the
// URL the template makes of it, as a node named after it.
type nodeDiscovery struct {
	farm       config.Farm
	auth       Auth
	fc         *Client         // the farm's own client, whose layout the node tasks follow
	configured map[string]bool // lower-cased names of the configured nodes

	mu      sync.Mutex
	current map[string]*discoveredNode // by member name
}

type discoveredNode struct {
	url  string
	gone *atomic.Bool
}

// followMembers brings a farm's discovered nodes in line with a /farmNodes
// list: new members get a client and tasks (started once the EPMembers
// reading is out), departed ones have theirs stopped. It returns the
// EPMembers reading (every discovered node now) and an EPNodeURL one: an
// error naming the members refused, or none.
func (p *Poller) followMembers(d *nodeDiscovery, list []model.ClusterNode) []outcome {
	d.mu.Lock()
	defer d.mu.Unlock()
	ft := model.TargetID{Farm: d.farm.Name}
	var m model.Membership
	seen := map[string]bool{}
	var refused []string
	for _, c := range list {
		name := model.Sanitize(c.Name)
		if name == "" || seen[name] || d.configured[strings.ToLower(name)] {
			continue // configured nodes win
		}
		seen[name] = true
		u, err := config.ExpandNodeURL(d.farm.NodeURL, c.Name, c.Address)
		if err != nil || name != c.Name {
			if err == nil {
				err = fmt.Errorf("its name has control characters")
			}
			m.Refused = append(m.Refused, model.RefusedMember{Name: name, Why: err.Error()})
			refused = append(refused, fmt.Sprintf("%q: %v", name, err))
			continue
		}
		nt := model.TargetID{Farm: d.farm.Name, Node: name}
		cur := d.current[name]
		if cur != nil && cur.url != u { // its address moved: poll it afresh
			cur.gone.Store(true)
			cur = nil
		}
		if cur == nil {
			nc, err := p.newClient("farm "+d.farm.Name+" node "+name, u, d.farm.Target.TLS, d.auth)
			if err != nil {
				m.Refused = append(m.Refused, model.RefusedMember{Name: name, Why: err.Error()})
				refused = append(refused, fmt.Sprintf("%q: %v", name, err))
				delete(d.current, name)
				continue
			}
			cur = &discoveredNode{url: nc.BaseURL(), gone: &atomic.Bool{}}
			d.current[name] = cur
			p.watch.forget(nt)
			p.mu.Lock()
			p.nodes[nt] = nc
			p.mu.Unlock()
			p.addNodeTasks(nt, nc, cur.gone)
		}
		m.Nodes = append(m.Nodes, model.NodeSpec{Name: name, URL: cur.url, Discovered: true})
	}
	for name, cur := range d.current {
		if seen[name] && !cur.gone.Load() {
			continue
		}
		cur.gone.Store(true)
		delete(d.current, name)
		nt := model.TargetID{Farm: d.farm.Name, Node: name}
		p.mu.Lock()
		delete(p.nodes, nt)
		p.mu.Unlock()
	}
	out := []outcome{{endpoint: model.EPMembers, target: &ft, data: m}}
	var err error
	if len(refused) > 0 {
		err = fmt.Errorf("node_url: %d member(s) not polled: %s", len(refused), strings.Join(refused, "; "))
	}
	return append(out, outcome{endpoint: model.EPNodeURL, target: &ft, err: err})
}
