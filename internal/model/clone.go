package model

import (
	"maps"
	"slices"
)

// Clone returns a copy of the state that applying readings to either
// leaves the other as it is: a replay's checkpoints, and each change of a
// shared state, made to a copy while readers read the original (see
// ui.Shared). What the state replaces whole and never writes to (the big
// lists, the mismatches, the indexes, the caches made from them) is
// shared; what it changes in place (health records, histories, GitLab
// mirrors) is copied, so a copy is cheap: no big list is walked. jobs are
// Recomputes prepared on s, or on a state s is a later copy of, and not
// yet committed: the returned ones are the same work, committed to the
// copy (to the farm of their name, farms being never removed).
// (clone_test.go fails when a field is added to a type Clone copies:
// decide there whether the new field is shared or copied.)
func (s *State) Clone(jobs []*Recompute) (*State, []*Recompute) {
	c := &State{Primary: s.Primary}
	c.Primary.Endpoints = s.Primary.Endpoints.clone()
	for _, f := range s.Farms {
		c.Farms = append(c.Farms, f.clone())
	}
	for _, g := range s.GitLab {
		c.GitLab = append(c.GitLab, g.clone())
	}
	c.GitLabHistory = s.GitLabHistory.clone()
	var cj []*Recompute
	for _, j := range jobs {
		if cf := c.Farm(j.f.Name); cf != nil {
			nj := *j
			nj.f = cf
			cj = append(cj, &nj)
		}
	}
	return c, cj
}

func (h Health) clone() Health {
	c := make(Health, len(h))
	for k, e := range h {
		ce := *e
		c[k] = &ce
	}
	return c
}

func (r *Ring) clone() *Ring {
	if r == nil {
		return nil
	}
	return &Ring{buf: slices.Clone(r.buf), start: r.start, n: r.n}
}

func (f *Farm) clone() *Farm {
	c := &Farm{
		Name: f.Name, URL: f.URL, Discovered: f.Discovered, NodeURL: f.NodeURL,
		Refused: f.Refused, Departed: slices.Clip(slices.Clone(f.Departed)), lbNode: f.lbNode,
		CertExpiry: f.CertExpiry, Layout: f.Layout, Upstream: f.Upstream, Progress: f.Progress, HasProgress: f.HasProgress,
		ClusterNodes: f.ClusterNodes, Settings: f.Settings, HasSettings: f.HasSettings,
		Queue: f.Queue, QueueDepth: f.QueueDepth, HasQueueDepth: f.HasQueueDepth, QueueHistory: f.QueueHistory.clone(),
		Locks: f.Locks, Delayed: f.Delayed, Endpoints: f.Endpoints.clone(), Diagnostics: f.Diagnostics,
		Mismatches: f.Mismatches, RepoStatus: f.RepoStatus, UnknownHashes: f.UnknownHashes, MismatchGen: f.MismatchGen,
		ProgressHistory: f.ProgressHistory.clone(), firstSeen: f.firstSeen, dirty: f.dirty, dirtyAt: f.dirtyAt,
		queueGen: f.queueGen, computing: f.computing, restamp: f.restamp,
	}
	// The lag order is checked against the mismatches it was made from.
	c.lagStats.Store(f.lagStats.Load())
	for _, n := range f.Nodes {
		c.Nodes = append(c.Nodes, n.clone())
	}
	return c
}

func (n *Node) clone() *Node {
	c := &Node{Name: n.Name, URL: n.URL, Status: n.Status, HasStatus: n.HasStatus, Version: n.Version,
		DownSince: n.DownSince, Sync: n.Sync, SyncAt: n.SyncAt, HasSync: n.HasSync, SyncCheckedAt: n.SyncCheckedAt,
		Endpoints: n.Endpoints.clone(), CertExpiry: n.CertExpiry, OutOfSync: n.OutOfSync, Discovered: n.Discovered,
		ClockOffset: n.ClockOffset, HasClockOffset: n.HasClockOffset, index: n.index}
	c.counts.Store(n.counts.Load()) // dropped where Sync is replaced
	return c
}

func (g *GitLabInstance) clone() *GitLabInstance {
	c := *g
	c.Endpoints = g.Endpoints.clone()
	c.ProjectErrors = maps.Clone(g.ProjectErrors)
	c.Mirrors = make([]*GitLabMirrorState, len(g.Mirrors))
	for i, m := range g.Mirrors {
		cm := *m
		cm.attempts = slices.Clip(slices.Clone(m.attempts))
		if m.Update != nil { // its phases are written in place
			u := *m.Update
			u.Log = slices.Clip(slices.Clone(u.Log))
			cm.Update = &u
		}
		c.Mirrors[i] = &cm
	}
	return &c
}

// clone copies the history: entries are written in place (a divergence's
// refs and its clearing).
func (h *GitLabHistory) clone() *GitLabHistory {
	if h == nil {
		return nil
	}
	c := &GitLabHistory{mirrors: make(map[string]*MirrorHistory, len(h.mirrors)), open: make(map[string]map[string]bool, len(h.open)), changes: h.changes}
	for k, mh := range h.mirrors {
		cm := *mh
		cm.Entries = slices.Clone(mh.Entries)
		for i := range cm.Entries {
			cm.Entries[i].Refs = slices.Clip(slices.Clone(cm.Entries[i].Refs))
		}
		c.mirrors[k] = &cm
	}
	for k, o := range h.open {
		c.open[k] = maps.Clone(o)
	}
	return c
}
