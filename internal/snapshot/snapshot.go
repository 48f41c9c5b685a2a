// Package snapshot is the JSON and table printout of one moment of the
// state: the document `mirrortop snapshot` prints and `mirrortop serve`
// publishes.
package snapshot

import (
	"cmp"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Snapshot is the JSON document `mirrortop snapshot --format json` prints.
type Snapshot struct {
	TakenAt         time.Time         `json:"takenAt"`
	Primary         SnapPrimary       `json:"primary"`
	Farms           []SnapFarm        `json:"farms"`
	PendingRequests []SnapRequest     `json:"pendingRequests"`
	GitLab          []SnapGitLab      `json:"gitlab"`
	Errors          []SnapError       `json:"errors"`
	Unsupported     []SnapUnsupported `json:"unsupported,omitempty"`
	// Alerts are the conditions over the [alerts] thresholds (repository
	// lag alerts, one per repository, are left out: see the mismatches'
	// lag).
	Alerts []SnapAlert `json:"alerts"`
}

// SnapAlert is one alert in a snapshot (see model.Alert).
type SnapAlert struct {
	Kind     string `json:"kind"`
	Severity string `json:"severity"`
	Target   string `json:"target"`
	Farm     string `json:"farm,omitempty"`
	Message  string `json:"message"`
}

// SnapPrimary is the primary in a snapshot.
type SnapPrimary struct {
	URL     string `json:"url"`
	State   string `json:"state"`
	Version string `json:"version"`
	Repos   int    `json:"repos"`
}

// SnapFarm is one farm in a snapshot.
type SnapFarm struct {
	Name       string         `json:"name"`
	URL        string         `json:"url"`
	Discovered bool           `json:"discovered,omitempty"`
	Layout     string         `json:"layout"`
	State      string         `json:"state"`
	NodesUp    int            `json:"nodesUp"`
	NodesTotal int            `json:"nodesTotal"`
	Nodes      []SnapNode     `json:"nodes"`
	Mode       string         `json:"mode,omitempty"`
	Progress   *SnapProgress  `json:"progress"`
	QueueDepth *int           `json:"queueDepth"`
	Queue      []SnapQueue    `json:"queue"`
	RepoStatus map[string]int `json:"repoStatus"`
	Mismatches []SnapMismatch `json:"mismatches"`
	WorstLagS  float64        `json:"worstLagSeconds"`
	// Diagnostics is the farm's out-of-sync diagnostics: on, off,
	// unsupported, or left out when not known.
	Diagnostics string `json:"diagnostics,omitempty"`

	// NodesPolled, ReportedState and Members: see model.FarmHealth and
	// model.Farm.Members (NodesTotal is the membership).
	NodesPolled   int          `json:"nodesPolled"`
	ReportedState string       `json:"reportedState"`
	Members       []SnapMember `json:"members"`
	// Lag is the distribution of the mismatches' lags.
	Lag SnapLag `json:"lag"`
	// LastSeenByPrimary is the lastSeenDate of the farm's entry in the
	// primary's mirror servers, when known.
	LastSeenByPrimary *time.Time `json:"lastSeenByPrimary,omitempty"`
}

// SnapMember is one member of a farm in a snapshot: polled (Node names the
// polled node) or not (Why says why).
type SnapMember struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Polled  bool   `json:"polled"`
	Node    string `json:"node,omitempty"`
	Why     string `json:"why,omitempty"`
}

// SnapLag is a farm's lag distribution in seconds: nearest-rank 50th and
// 95th percentiles and the largest.
type SnapLag struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
}

// SnapNode is one node of a farm in a snapshot.
type SnapNode struct {
	Name       string         `json:"name"`
	URL        string         `json:"url"`
	State      string         `json:"state"`
	Version    string         `json:"version,omitempty"`
	Error      string         `json:"error,omitempty"`
	DownSince  *time.Time     `json:"downSince,omitempty"`
	Repos      int            `json:"repos"`
	RepoStatus map[string]int `json:"repoStatus"`
	// OutOfSync lists the repository ids the node's diagnostics report
	// out of sync, when it has them on.
	OutOfSync []string `json:"outOfSync,omitempty"`
	// ClockSkewS is how far the node's clock is ahead of the primary's
	// (negative: behind), when both are known; under 2 s reads 0.
	ClockSkewS *float64 `json:"clockSkewSeconds,omitempty"`
	// VersionSkew is true when the node's major.minor version differs
	// from the primary's.
	VersionSkew bool `json:"versionSkew,omitempty"`
}

// SnapProgress is a farm's sync progress.
type SnapProgress struct {
	Discovering bool `json:"discovering"`
	SyncedRepos int  `json:"syncedRepos"`
	TotalRepos  int  `json:"totalRepos"`
}

// SnapQueue is one waiting ref-changes queue item.
type SnapQueue struct {
	RepoID    string    `json:"repoId"`
	Type      string    `json:"type"`
	Attempt   int       `json:"attempt"`
	CreatedAt time.Time `json:"createdAt"`
}

// SnapMismatch is a repository whose copy differs from the primary.
type SnapMismatch struct {
	RepoID          string     `json:"repoId"`
	Project         string     `json:"project"`
	Slug            string     `json:"slug"`
	Kind            string     `json:"kind"`
	Kinds           []string   `json:"kinds"`
	Nodes           []string   `json:"nodes"`
	PrimaryHash     string     `json:"primaryHash"`
	MirrorHash      string     `json:"mirrorHash"`
	LastSyncDate    *time.Time `json:"lastSyncDate"`
	FailedSyncCount int        `json:"failedSyncCount"`
	FirstSeen       time.Time  `json:"firstSeen"`
	LagS            float64    `json:"lagSeconds"`
	SyncLagS        float64    `json:"syncLagSeconds"`
	// Reason is the verdict on why it is out of sync (model.Verdict).
	Reason string `json:"reason"`
	// Lock is its sync lock, when one is held.
	Lock *SnapLock `json:"lock,omitempty"`
}

// SnapLock is a repository's sync lock: the owner thread, the node holding
// it and for how long.
type SnapLock struct {
	Thread string  `json:"thread"`
	Node   string  `json:"node"`
	HeldS  float64 `json:"heldSeconds"`
}

// SnapRequest is a pending mirroring request on the primary.
type SnapRequest struct {
	ID             string `json:"id"`
	MirrorName     string `json:"mirrorName"`
	MirrorBaseURL  string `json:"mirrorBaseUrl"`
	ProductVersion string `json:"productVersion,omitempty"`
}

// SnapGitLab is one GitLab instance in a snapshot.
type SnapGitLab struct {
	Name     string `json:"name"`
	URL      string `json:"url"`
	Projects int    `json:"projects"`
	// Version is the instance's ("" when not read).
	Version string `json:"version"`
	// MirrorSettings are the instance's mirror capacity settings (null
	// when not read); MirrorSettingsDenied says the token may not read
	// them (not an administrator's).
	MirrorSettings       *SnapMirrorSettings `json:"mirrorSettings"`
	MirrorSettingsDenied bool                `json:"mirrorSettingsDenied"`
	Mirrors              []SnapGitLabMirror  `json:"mirrors"`
}

// SnapMirrorSettings are a GitLab instance's mirror settings: how long an
// update may wait past its schedule (minutes), how many run at once, and
// how many free slots start more.
type SnapMirrorSettings struct {
	MaxDelay          int `json:"maxDelay"`
	MaxCapacity       int `json:"maxCapacity"`
	CapacityThreshold int `json:"capacityThreshold"`
}

// SnapGitLabMirror is one GitLab push or pull mirror, worst first.
type SnapGitLabMirror struct {
	Project                string     `json:"project"`
	Direction              string     `json:"direction"`
	ID                     int64      `json:"id"`
	URL                    string     `json:"url"`
	Enabled                bool       `json:"enabled"`
	Status                 string     `json:"status"`
	Health                 string     `json:"health"`
	LastUpdateAt           *time.Time `json:"lastUpdateAt"`
	LastSuccessfulUpdateAt *time.Time `json:"lastSuccessfulUpdateAt"`
	LastError              string     `json:"lastError"`
	DivergedRefs           []string   `json:"divergedRefs"`
	SuccessRate            *float64   `json:"successRate"`
	// History is the mirror's conflict history, newest first.
	History []SnapHistoryEntry `json:"history"`
}

// SnapHistoryEntry is one entry of a GitLab mirror's conflict history: a
// divergence (firstSeen, refs, clearedAt once seen cleared) or a
// resolution applied from mirrortop (at, action, by, result, message).
type SnapHistoryEntry struct {
	Kind      string     `json:"kind"`
	FirstSeen *time.Time `json:"firstSeen,omitempty"`
	ClearedAt *time.Time `json:"clearedAt,omitempty"`
	Refs      []string   `json:"refs,omitempty"`
	At        *time.Time `json:"at,omitempty"`
	Action    string     `json:"action,omitempty"`
	By        string     `json:"by,omitempty"`
	Result    string     `json:"result,omitempty"`
	Message   string     `json:"message,omitempty"`
}

// snapHistory lays out a mirror's conflict history, server strings
// sanitized.
func snapHistory(s *model.State, key string) []SnapHistoryEntry {
	out := []SnapHistoryEntry{}
	if s.GitLabHistory == nil {
		return out
	}
	tp := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	for _, e := range s.GitLabHistory.Entries(key) {
		se := SnapHistoryEntry{Kind: string(e.Kind), FirstSeen: tp(e.FirstSeen), ClearedAt: tp(e.ClearedAt), At: tp(e.At),
			Action: model.Sanitize(e.Action), By: model.Sanitize(e.By), Result: model.Sanitize(e.Result), Message: model.Sanitize(e.Message)}
		for _, r := range e.Refs {
			se.Refs = append(se.Refs, model.Sanitize(r))
		}
		out = append(out, se)
	}
	return out
}

// SnapError is one failed fetch.
type SnapError struct {
	Target   string `json:"target"`
	Endpoint string `json:"endpoint"`
	Message  string `json:"message"`
	// status is the HTTP status of the answer, 0 without one (the table
	// groups authentication failures by it).
	status int
}

// SnapUnsupported is an endpoint a target does not have.
type SnapUnsupported struct {
	Target   string `json:"target"`
	Endpoint string `json:"endpoint"`
}

// Build lays out the state as a Snapshot taken at now: rs are the readings
// whose failures and unsupported endpoints it lists; th are the alert
// thresholds (th.MaxLock is also how long a sync lock may be held before
// a verdict calls it stuck).
func Build(s *model.State, rs []model.Reading, now time.Time, th model.Thresholds) Snapshot {
	clean := model.Sanitize
	maxLock := th.MaxLock
	snap := Snapshot{
		TakenAt: now.UTC(),
		Primary: SnapPrimary{URL: s.Primary.URL, State: clean(s.Primary.Status.State), Version: clean(s.Primary.Version), Repos: len(s.Primary.Repos)},
		Farms:   []SnapFarm{}, PendingRequests: []SnapRequest{}, GitLab: []SnapGitLab{}, Errors: []SnapError{}, Alerts: []SnapAlert{},
	}
	for _, a := range s.Alerts(th, now) {
		snap.Alerts = append(snap.Alerts, SnapAlert{Kind: string(a.Kind), Severity: string(a.Severity), Target: clean(a.Target),
			Farm: a.Farm, Message: clean(a.Text)})
	}
	if e := s.Primary.Endpoints[model.EPStatus]; e.Failing() {
		snap.Primary.State = model.NodeDown
	}
	for _, r := range s.Primary.Requests {
		snap.PendingRequests = append(snap.PendingRequests, SnapRequest{ID: clean(r.ID), MirrorName: clean(r.MirrorName),
			MirrorBaseURL: clean(r.MirrorBaseURL), ProductVersion: clean(r.ProductVersion)})
	}
	for _, f := range s.Farms {
		h := f.Health()
		sf := SnapFarm{Name: f.Name, URL: f.URL, Discovered: f.Discovered, Layout: string(f.Layout), State: clean(h.State), NodesUp: h.NodesUp,
			NodesTotal: h.NodesTotal, NodesPolled: h.NodesPolled, ReportedState: clean(h.ReportedState), Members: []SnapMember{},
			Nodes: []SnapNode{}, Queue: []SnapQueue{}, RepoStatus: f.RepoStatus,
			Mismatches: []SnapMismatch{}, WorstLagS: f.WorstLag(now).Seconds(), Diagnostics: string(f.Diagnostics)}
		for _, m := range f.Members() {
			sf.Members = append(sf.Members, SnapMember{Name: m.Name, Address: m.Address, Polled: m.Polled, Node: m.Node, Why: m.Why})
		}
		ls := f.LagStats(now)
		sf.Lag = SnapLag{P50: ls.P50.Seconds(), P95: ls.P95.Seconds(), Max: ls.Max.Seconds()}
		if at := s.LastSeenByPrimary(f); !at.IsZero() {
			at = at.UTC()
			sf.LastSeenByPrimary = &at
		}
		if f.HasSettings {
			sf.Mode = clean(f.Settings.Mode)
		}
		if f.HasProgress {
			sf.Progress = &SnapProgress{Discovering: f.Progress.Discovering, SyncedRepos: f.Progress.SyncedRepos, TotalRepos: f.Progress.TotalRepos}
		}
		if f.HasQueueDepth {
			d := f.QueueDepth
			sf.QueueDepth = &d
		}
		for _, q := range f.Queue {
			sf.Queue = append(sf.Queue, SnapQueue{RepoID: clean(q.ExternalRepoID), Type: clean(q.Type), Attempt: q.Attempt, CreatedAt: q.CreatedAt})
		}
		for _, n := range f.Nodes {
			sn := SnapNode{Name: n.Name, URL: n.URL, State: clean(n.State()), Version: clean(n.Version), Error: clean(n.Error()),
				Repos: len(n.Sync), RepoStatus: n.RepoStatusCounts(), VersionSkew: s.NodeVersionSkew(n) != model.VersionSame}
			if d, ok := s.ClockSkew(n); ok {
				secs := d.Seconds()
				sn.ClockSkewS = &secs
			}
			if !n.DownSince.IsZero() {
				d := n.DownSince.UTC()
				sn.DownSince = &d
			}
			if n.OutOfSync != nil {
				sn.OutOfSync = make([]string, 0, len(n.OutOfSync))
				for id := range n.OutOfSync {
					sn.OutOfSync = append(sn.OutOfSync, clean(id))
				}
				slices.SortFunc(sn.OutOfSync, func(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) })
			}
			sf.Nodes = append(sf.Nodes, sn)
		}
		why := model.NewWhy(f, maxLock, now)
		for i := range f.Mismatches {
			m := &f.Mismatches[i]
			v := why.Explain(m)
			sm := SnapMismatch{Reason: v.Line, RepoID: clean(m.RepoID), Project: clean(m.ProjectKey), Slug: clean(m.Slug), Kind: string(m.Kind),
				Nodes: m.Nodes, PrimaryHash: clean(m.PrimaryHash), MirrorHash: clean(m.MirrorHash), FailedSyncCount: m.FailedSyncCount,
				FirstSeen: m.FirstSeen.UTC(), LagS: m.Lag(now).Seconds(), SyncLagS: m.SyncLag(now).Seconds()}
			for _, k := range m.Kinds {
				sm.Kinds = append(sm.Kinds, string(k))
			}
			if !m.LastSyncDate.IsZero() {
				d := m.LastSyncDate.UTC()
				sm.LastSyncDate = &d
			}
			if l := v.Lock; l != nil {
				sm.Lock = &SnapLock{Thread: l.Thread, Node: l.Node, HeldS: l.Held.Seconds()}
			}
			sf.Mismatches = append(sf.Mismatches, sm)
		}
		snap.Farms = append(snap.Farms, sf)
	}
	worst := s.GitLabWorstFirst(now)
	for _, g := range s.GitLab {
		sg := SnapGitLab{Name: g.Name, URL: g.URL, Projects: len(g.Projects), Mirrors: []SnapGitLabMirror{},
			Version: clean(g.Version.Raw), MirrorSettingsDenied: g.SettingsDenied}
		if c := g.MirrorSettings; c != nil {
			sg.MirrorSettings = &SnapMirrorSettings{MaxDelay: c.MaxDelay, MaxCapacity: c.MaxCapacity, CapacityThreshold: c.CapacityThreshold}
		}
		for _, m := range worst {
			if m.Instance != g.Name {
				continue
			}
			sm := SnapGitLabMirror{Project: clean(m.Project), Direction: string(m.Direction), ID: m.ID, URL: clean(m.URL), Enabled: m.Enabled,
				Status: clean(m.Status), Health: m.Health(now), LastError: clean(m.LastError), DivergedRefs: []string{}}
			for _, r := range model.ParseDivergedRefs(m.LastError) {
				sm.DivergedRefs = append(sm.DivergedRefs, clean(r))
			}
			if !m.LastUpdateAt.IsZero() {
				t := m.LastUpdateAt
				sm.LastUpdateAt = &t
			}
			if !m.LastSuccessfulUpdateAt.IsZero() {
				t := m.LastSuccessfulUpdateAt
				sm.LastSuccessfulUpdateAt = &t
			}
			if rate, _, ok := m.SuccessRate(now, 24*time.Hour); ok {
				sm.SuccessRate = &rate
			}
			sm.History = snapHistory(s, m.Key())
			sg.Mirrors = append(sg.Mirrors, sm)
		}
		snap.GitLab = append(snap.GitLab, sg)
	}
	for _, r := range rs {
		switch {
		case r.Err != nil:
			se := SnapError{Target: r.Target.String(), Endpoint: string(r.Endpoint), Message: clean(r.Err.Error())}
			var he model.HTTPStatusError
			if errors.As(r.Err, &he) {
				se.status = he.HTTPStatus()
			}
			snap.Errors = append(snap.Errors, se)
		case r.Unsupported:
			snap.Unsupported = append(snap.Unsupported, SnapUnsupported{Target: r.Target.String(), Endpoint: string(r.Endpoint)})
		}
	}
	sort.SliceStable(snap.Errors, func(i, j int) bool { return snap.Errors[i].Target < snap.Errors[j].Target })
	return snap
}
