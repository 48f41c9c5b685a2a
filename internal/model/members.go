package model

import (
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Membership is the data of an EPMembers reading: every node a farm's node
// URL template makes of its /farmNodes members, and the members refused.
// It is the whole set: nodes it no longer lists have left.
type Membership struct {
	Nodes   []NodeSpec
	Refused []RefusedMember
}

// RefusedMember is a /farmNodes member that is not polled because its name
// or host would make a node URL point elsewhere.
type RefusedMember struct {
	Name string
	Why  string
}

// Departure is a discovered node that left its farm's membership.
type Departure struct {
	Name string
	URL  string
	At   time.Time
}

// DepartureAlertFor is how long a departed member stays an alert: a node
// that crashed drops out of /farmNodes, so its leaving must not pass
// unseen.
const DepartureAlertFor = time.Hour

// maxDepartures bounds a farm's list of departed members.
const maxDepartures = 16

// Member is one member of a farm: a /farmNodes entry, or a polled node
// /farmNodes does not list.
type Member struct {
	// Name is the member's name (sanitized).
	Name string
	// Address is its cluster address as "host:port" ("" when unknown).
	Address string
	// Polled is true when mirrortop polls it at its own URL.
	Polled bool
	// Node is the polled node's name when Polled.
	Node string
	// Why says why a member is not polled.
	Why string
}

// Why a member is not polled.
const (
	WhyLBOnly     = "only the load balancer is configured: add [[farm.node]] or node_url"
	WhyNotListed  = "not listed under [[farm.node]]; add it or set node_url"
	WhyNotYet     = "found in /farmNodes; polled from the next round"
	whyRefusedFmt = "node_url not used: "
)

// applyMembership adds the discovered nodes a Membership lists that the
// farm does not poll yet and removes the discovered nodes it no longer
// lists. Configured nodes are never removed.
func (f *Farm) applyMembership(d Membership, at time.Time) {
	f.Refused = d.Refused
	want := make(map[string]NodeSpec, len(d.Nodes))
	for _, ns := range d.Nodes {
		want[ns.Name] = ns
	}
	changed := false
	kept := f.Nodes[:0:0]
	for _, n := range f.Nodes {
		if _, ok := want[n.Name]; n.Discovered && !ok {
			changed = true
			f.Departed = append(f.Departed, Departure{Name: n.Name, URL: n.URL, At: at})
			continue
		}
		delete(want, n.Name)
		kept = append(kept, n)
	}
	for _, ns := range d.Nodes {
		if _, ok := want[ns.Name]; ok {
			kept = append(kept, &Node{Name: ns.Name, URL: ns.URL, Discovered: true, Endpoints: Health{}})
			changed = true
			f.Departed = slices.DeleteFunc(f.Departed, func(dp Departure) bool { return dp.Name == ns.Name })
		}
	}
	// Only the latest departures are kept: churn does not grow the list.
	if n := len(f.Departed); n > maxDepartures {
		f.Departed = slices.Delete(f.Departed, 0, n-maxDepartures)
	}
	if !changed {
		return
	}
	f.Nodes = kept
	f.lbNode = false
	f.markDirty(at)
}

// Members lists every member of the farm: each /farmNodes entry, matched
// to the polled node that is it, then the polled nodes /farmNodes does not
// list. A member matches a polled node by name (case-insensitive), else by
// the host of the node's URL when exactly one member has that address; the
// entry /farmNodes marks local (the node that answered it) stands for the
// node polled through the farm's own URL, which is where /farmNodes is
// read. It allocates: call it for a detail, not per frame.
func (f *Farm) Members() []Member {
	out := make([]Member, 0, max(len(f.ClusterNodes), len(f.Nodes)))
	matched := make([]bool, len(f.Nodes))
	hosts := map[string]int{}
	for _, c := range f.ClusterNodes {
		hosts[strings.ToLower(c.Address)]++
	}
	refused := map[string]string{}
	for _, r := range f.Refused {
		refused[r.Name] = r.Why
	}
	pick := func(c ClusterNode) int {
		for i, n := range f.Nodes {
			if !matched[i] && strings.EqualFold(n.Name, Sanitize(c.Name)) {
				return i
			}
		}
		if a := strings.ToLower(c.Address); a != "" && hosts[a] == 1 {
			for i, n := range f.Nodes {
				if !matched[i] && strings.EqualFold(urlHost(n.URL), a) {
					return i
				}
			}
		}
		if c.Local {
			for i, n := range f.Nodes {
				if !matched[i] && sameURL(n.URL, f.URL) {
					return i
				}
			}
		}
		return -1
	}
	for _, c := range f.ClusterNodes {
		m := Member{Name: Sanitize(c.Name), Address: memberAddress(c)}
		if i := pick(c); i >= 0 {
			matched[i] = true
			m.Polled, m.Node = true, f.Nodes[i].Name
		} else {
			m.Why = f.whyNotPolled(m.Name, refused)
		}
		out = append(out, m)
	}
	for i, n := range f.Nodes {
		if !matched[i] {
			out = append(out, Member{Name: n.Name, Polled: true, Node: n.Name})
		}
	}
	return out
}

// whyNotPolled says why a /farmNodes member has no polled node.
func (f *Farm) whyNotPolled(name string, refused map[string]string) string {
	switch {
	case refused[name] != "":
		return whyRefusedFmt + refused[name]
	case f.NodeURL != "":
		return WhyNotYet
	case f.lbNode:
		return WhyLBOnly
	default:
		return WhyNotListed
	}
}

// memberAddress is a cluster address as "host:port" (sanitized).
func memberAddress(c ClusterNode) string {
	h := Sanitize(c.Address)
	if h == "" {
		return ""
	}
	if c.Port <= 0 {
		return h
	}
	return net.JoinHostPort(h, strconv.Itoa(c.Port))
}

// urlHost is the host of a URL without its port, "" when it has none.
func urlHost(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func sameURL(a, b string) bool {
	return a != "" && strings.EqualFold(strings.TrimRight(a, "/"), strings.TrimRight(b, "/"))
}
