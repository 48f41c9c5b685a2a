package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// paneID names a pane; its value is its tab position.
type paneID int

const (
	paneFarms paneID = iota
	paneMismatches
	paneQueue
	paneRequests
	paneNodes
	paneGitLab
	paneEvents
	paneCount
)

// pane is one tab of the console: a table and where its data comes from.
type pane struct {
	id    paneID
	name  string
	cmd   string
	fast  bool // fed by the fast endpoints (for staleness)
	table *table
	// deps lists the endpoints the pane's data comes from.
	deps func(s *model.State) []dep
}

// dep is one endpoint of one target.
type dep struct {
	target string
	health *model.EndpointHealth
}

func newPanes() [paneCount]*pane {
	return [paneCount]*pane{
		{id: paneFarms, name: "Farms", cmd: "farms", fast: true, table: newTable([]column{
			{title: "FARM", width: 8, sort: 'F'},
			{title: "STATE", width: 14, fit: 42, late: true, sort: 'S'},
			{title: "NODES", width: 8, fit: 13, sort: 'N'},
			{title: "SYNCED", width: 11, flex: true, max: 40, prio: 3, sort: 'Y'},
			{title: "QUEUE", width: 11, prio: 2, sort: 'Q'},
			{title: "MISM", width: 5, right: true, sort: 'M'},
			{title: "WORST LAG", width: 9, sort: 'L'},
			{title: "LAYOUT", width: 6, prio: 4},
			{title: "CERT", width: 5, right: true, prio: 5, sort: 'C'},
			{title: "LAG P50", width: 7, prio: 6, extra: true, sort: 'P'},
			{title: "P95", width: 7, prio: 6, extra: true},
		}), deps: func(s *model.State) []dep {
			var out []dep
			for _, f := range s.Farms {
				out = append(out, farmDeps(f, model.EPProgress, model.EPQueueCount)...)
				out = append(out, nodeDeps(f, model.EPStatus)...)
			}
			return out
		}},
		{id: paneMismatches, name: "Mismatches", cmd: "mismatches", table: newTable([]column{
			{title: "REPOSITORY", width: 22, flex: true, max: 60, sort: 'R'},
			{title: "FARM", width: 8, sort: 'F'},
			{title: "NODES", width: 12, prio: 2, sort: 'N'},
			{title: "KIND", width: 8, sort: 'K'},
			{title: "SINCE", width: 8, prio: 4, sort: 'S'},
			{title: "LAG", width: 8, sort: 'L'},
			{title: "FAILED", width: 6, right: true, sort: 'C'},
			{title: "STATUS", width: 17, prio: 3, sort: 'T'},
		}), deps: func(s *model.State) []dep {
			out := []dep{{"primary", s.Primary.Endpoints[model.EPRepos]}}
			for _, f := range s.Farms {
				out = append(out, farmDeps(f, model.EPSyncSettings)...)
				out = append(out, nodeDeps(f, model.EPRepoSyncStatus)...)
			}
			return out
		}},
		{id: paneQueue, name: "Queue", cmd: "queue", fast: true, table: newTable([]column{
			{title: "FARM", width: 8, sort: 'F'},
			{title: "REPOSITORY", width: 24, flex: true, max: 60, sort: 'R'},
			{title: "TYPE", width: 11, sort: 'T'},
			{title: "ATTEMPT", width: 7, right: true, sort: 'A'},
			{title: "AGE", width: 8, sort: 'E'},
		}), deps: func(s *model.State) []dep {
			var out []dep
			for _, f := range s.Farms {
				out = append(out, farmDeps(f, model.EPQueue, model.EPQueueCount)...)
			}
			return out
		}},
		{id: paneRequests, name: "Requests", cmd: "requests", table: newTable([]column{
			{title: "ID", width: 6, sort: 'I'},
			{title: "MIRROR", width: 16, sort: 'M'},
			{title: "BASE URL", width: 30, flex: true, sort: 'U'},
			{title: "VERSION", width: 9, prio: 2, sort: 'V'},
			{title: "TYPE", width: 6, prio: 3, sort: 'T'},
		}), deps: func(s *model.State) []dep {
			return []dep{{"primary", s.Primary.Endpoints[model.EPRequests]}}
		}},
		{id: paneNodes, name: "Nodes", cmd: "nodes", fast: true, table: newTable([]column{
			{title: "NODE", width: 14, sort: 'N'},
			{title: "STATE", width: 23, sort: 'S'},
			{title: "VERSION", width: 8, prio: 4, sort: 'V'},
			{title: "ADDRESS", width: 24, prio: 3, sort: 'A'},
			{title: "LAST GOOD", width: 10, sort: 'L'},
			{title: "REPOS", width: 6, right: true, prio: 2, sort: 'R'},
			{title: "CERT", width: 5, right: true, prio: 3, sort: 'C'},
			{title: "SKEW", width: 6, right: true, prio: 3, sort: 'K'},
			{title: "ERROR", width: 20, flex: true, sort: 'E'},
		}), deps: func(s *model.State) []dep {
			var out []dep
			for _, f := range s.Farms {
				out = append(out, nodeDeps(f, model.EPStatus)...)
			}
			return out
		}},
		{id: paneGitLab, name: "GitLab", cmd: "gitlab", table: newTable([]column{
			{title: "PROJECT", width: 30, sort: 'P'},
			{title: "DIR", width: 4, sort: 'D'},
			{title: "HEALTH", width: 16, sort: 'H'},
			{title: "STATUS", width: 9, prio: 3, sort: 'S'},
			{title: "LAST OK", width: 10, sort: 'L'},
			{title: "RATE", width: 5, right: true, prio: 2, sort: 'R'},
			{title: "AVG", width: 6, right: true, prio: 4, sort: 'V'},
			{title: "ERROR", width: 20, flex: true, sort: 'E'},
		}), deps: func(s *model.State) []dep {
			var out []dep
			for _, g := range s.GitLab {
				out = append(out, dep{"gitlab " + g.Name + " mirrors", g.Endpoints[model.EPGitLabMirrors]}, dep{"gitlab " + g.Name + " projects", g.Endpoints[model.EPGitLabProjects]})
			}
			return out
		}},
		{id: paneEvents, name: "Events", cmd: "events", fast: true, table: newTable([]column{
			{title: "TIME", width: 8, sort: 'T'},
			{title: "KIND", width: 8, sort: 'K'},
			{title: "TARGET", width: 16, sort: 'E'},
			{title: "WHAT", width: 30, flex: true, sort: 'W'},
		}), deps: func(s *model.State) []dep { return nil }},
	}
}

func farmDeps(f *model.Farm, eps ...model.Endpoint) []dep {
	out := make([]dep, 0, len(eps))
	for _, ep := range eps {
		out = append(out, dep{f.Name + " " + string(ep), f.Endpoints[ep]})
	}
	return out
}

// nodeDeps lists the endpoints of every node; a node that is down counts
// by its failing status only, so that its older data does not make the
// pane stale (the node shows as DOWN instead).
func nodeDeps(f *model.Farm, eps ...model.Endpoint) []dep {
	var out []dep
	for _, n := range f.Nodes {
		if n.State() == model.NodeDown {
			out = append(out, dep{f.Name + "/" + n.Name + " " + string(model.EPStatus), n.Endpoints[model.EPStatus]})
			continue
		}
		for _, ep := range eps {
			out = append(out, dep{f.Name + "/" + n.Name + " " + string(ep), n.Endpoints[ep]})
		}
	}
	return out
}

// depOwner is the target a dep belongs to, for saying an authentication
// failure once: "primary", the farm of a farm or node endpoint, or
// "gitlab NAME".
func depOwner(target string) string {
	f := strings.Fields(target)
	switch {
	case len(f) == 0:
		return target
	case f[0] == "gitlab" && len(f) > 1:
		return "gitlab " + f[1]
	}
	owner, _, _ := strings.Cut(f[0], "/")
	return owner
}

// authLine says in words that a target's credentials were refused.
func authLine(owner string, status int) string {
	if status == 403 && strings.HasPrefix(owner, "gitlab ") {
		return owner + ": permission denied (HTTP 403): the token's user needs the Maintainer role"
	}
	return owner + ": " + model.AuthMessage(status)
}

// freshness summarises a pane's deps: the age of its oldest data among the
// endpoints that answer (failing ones show as errors instead, so that one
// dead node does not make the whole pane stale), and the failing ones. A
// target whose endpoints are refused for their credentials (401) or
// permission (403) is said once, in words, not once per endpoint.
func freshness(deps []dep, now time.Time) (age time.Duration, known bool, failing []string) {
	var oldest, newest time.Time
	authAt := map[string]int{} // owner -> index of its line in failing
	authSt := map[string]int{}
	for _, d := range deps {
		h := d.health
		if h == nil || h.Unsupported {
			continue
		}
		if h.Failing() {
			if st := model.AuthStatus(h.Status, h.Err); st != 0 {
				owner := depOwner(d.target)
				if i, seen := authAt[owner]; seen {
					if st == 401 && authSt[owner] != 401 {
						authSt[owner] = 401
						failing[i] = authLine(owner, 401)
					}
				} else {
					authAt[owner], authSt[owner] = len(failing), st
					failing = append(failing, authLine(owner, st))
				}
			} else {
				failing = append(failing, d.target+": "+model.Sanitize(h.Err))
			}
			if h.LastOK.After(newest) {
				newest = h.LastOK
			}
			continue
		}
		if oldest.IsZero() || h.LastOK.Before(oldest) {
			oldest = h.LastOK
		}
	}
	switch {
	case !oldest.IsZero():
		return now.Sub(oldest), true, failing
	case !newest.IsZero():
		return now.Sub(newest), true, failing
	}
	return 0, false, failing
}

// stateTone grades a state string.
func stateTone(s string) tone { return gradeTone(model.StateGrade(s)) }

// gradeTone is the tone of a grade.
func gradeTone(g model.Grade) tone {
	switch g {
	case model.GradeOK:
		return toneOK
	case model.GradeBad:
		return toneBad
	case model.GradeMuted:
		return toneMuted
	}
	return toneWarn
}

func (m *Model) farmRows() []row {
	s := m.state
	rows := make([]row, 0, len(s.Farms))
	for _, f := range s.Farms {
		h := f.Health()
		nodesTone := toneOK
		switch {
		case h.NodesUp < h.NodesPolled:
			nodesTone = toneBad
		case h.NodesPolled < h.NodesTotal:
			nodesTone = toneMuted
		}
		synced, syncedKey := "-", 0.0
		if f.HasProgress {
			p := f.Progress
			switch {
			case p.Discovering:
				synced = fmt.Sprintf("discovering %d", p.SyncedRepos)
			case p.InitialSync():
				synced = bar(p.SyncedRepos, p.TotalRepos, 6) + fmt.Sprintf(" %d/%d", p.SyncedRepos, p.TotalRepos)
				if rate, eta, ok := f.SyncRate(); ok {
					synced += fmt.Sprintf(" %.1f/s ETA %s", rate, FormatDuration(eta))
				}
			default:
				synced = fmt.Sprintf("%d/%d", p.SyncedRepos, p.TotalRepos)
			}
			if p.TotalRepos > 0 {
				syncedKey = float64(p.SyncedRepos) / float64(p.TotalRepos)
			}
		}
		queue, queueKey, queueTone := "-", -1.0, toneNormal
		if f.HasQueueDepth {
			queue = fmt.Sprintf("%-4d %s", f.QueueDepth, sparkline(f.QueueHistory.Samples(), 6))
			queueKey = float64(f.QueueDepth)
			if m.opt.Thresholds.MaxQueue > 0 && f.QueueDepth > m.opt.Thresholds.MaxQueue {
				queueTone = toneBad
			}
		}
		mmTone := toneOK
		if len(f.Mismatches) > 0 {
			mmTone = toneWarn
		}
		lag := cell{text: "-", tone: toneMuted}
		var lagKey float64
		if len(f.Mismatches) > 0 {
			since := f.Mismatches[0].Since()
			lag = cell{since: since, tone: toneWarn}
			if m.opt.Thresholds.MaxLag > 0 {
				lag.badAt = since.Add(m.opt.Thresholds.MaxLag)
			}
			lagKey = -float64(since.Unix())
		}
		ls := f.LagStats(m.now)
		r := newRow("farm/"+f.Name, []cell{
			{text: f.Name, tone: toneAccent},
			// Narrow, the judgement alone: the detail has both.
			{text: model.Sanitize(h.Label()), short: model.Sanitize(h.State), tone: stateTone(h.State), glyph: stateGlyph(h.State, stateTone(h.State))},
			{text: h.NodesLabel(), tone: nodesTone},
			{text: synced},
			{text: queue, tone: queueTone},
			{text: strconv.Itoa(len(f.Mismatches)), tone: mmTone},
			lag,
			{text: orDash(string(f.Layout)), tone: toneMuted},
			m.certCell(f.CertExpiry),
			m.lagCell(ls.P50), m.lagCell(ls.P95),
		}, []sortKey{strKey(f.Name), strKey(h.State), numKey(float64(h.NodesUp)), numKey(syncedKey), numKey(queueKey),
			numKey(float64(len(f.Mismatches))), numKey(lagKey), strKey(string(f.Layout)), numKey(float64(f.CertExpiry.Unix())),
			numKey(float64(ls.P50)), numKey(float64(ls.P95))})
		r.alert = m.alertFarms[f.Name]
		if stateTone(h.State) == toneOK && h.NodesUp == h.NodesPolled && !r.alert && queueTone != toneBad {
			r.okUntil = okForever
		}
		rows = append(rows, r)
	}
	return rows
}

func (m *Model) mismatchRows() []row {
	// Each farm's mismatches are sorted already; only several farms' need
	// merging, and that sorts pointers rather than the values.
	n, farms := 0, 0
	for _, f := range m.state.Farms {
		n += len(f.Mismatches)
		if len(f.Mismatches) > 0 {
			farms++
		}
	}
	all := make([]*model.Mismatch, 0, n)
	for _, f := range m.state.Farms {
		for i := range f.Mismatches {
			all = append(all, &f.Mismatches[i])
		}
	}
	if farms > 1 {
		slices.SortStableFunc(all, model.CompareWorst)
	}
	// Rows carry their mismatch; cells and keys are made when a row is
	// drawn, sorted or filtered (fillMismatch), so a round that changes
	// 100 000 mismatches costs the event loop little more than this loop.
	rows := make([]row, len(all))
	for i, mm := range all {
		r := &rows[i]
		r.id, r.src = "mm/"+mm.Farm+"/"+mm.RepoID, mm
		// A change the farm has queued and not yet failed is a push in
		// flight: no problem until it is older than one sync interval.
		if !mm.QueuedAt.IsZero() && mm.FailedSyncCount == 0 {
			r.okUntil = mm.Since().Add(m.syncInterval(mm.Farm))
		}
		if m.opt.Thresholds.MaxLag > 0 && !m.acks.acked(mm.Farm, mm.RepoID) {
			r.alertAt = mm.Since().Add(m.opt.Thresholds.MaxLag)
		}
	}
	return rows
}

// ackKey names an acknowledged repository on a farm.
type ackKey struct{ farm, repo string }

// ackView is the acknowledgements in force, as the rows and alerts see
// them; refreshAcks renews it.
type ackView struct {
	repos map[ackKey]time.Time // until when
	sig   string               // changes whenever the set in force does
}

func (v *ackView) acked(farm, repo string) bool {
	_, ok := v.repos[ackKey{farm, repo}]
	return ok
}

// refreshAcks reads the acknowledgements in force now and reports whether
// they changed (one added, or one run out) since the last look: the
// mismatch rows show them, so they are rebuilt then.
func (m *Model) refreshAcks() bool {
	list := m.opt.Acks.List(m.now)
	sigs := make([]string, 0, len(list))
	repos := make(map[ackKey]time.Time, len(list))
	for _, a := range list {
		sigs = append(sigs, a.Key+"@"+a.Until.UTC().Format(time.RFC3339Nano))
		if a.RepoID != "" {
			repos[ackKey{a.Farm, a.RepoID}] = a.Until
		}
	}
	slices.Sort(sigs)
	sig := strings.Join(sigs, ";")
	changed := sig != m.acks.sig
	m.acks = ackView{repos: repos, sig: sig}
	return changed
}

// fillMismatch makes the cells and sort keys of a mismatch row.
func (m *Model) fillMismatch(src any) ([]cell, []sortKey) {
	mm := src.(*model.Mismatch)
	since := mm.Since()
	var alertAt time.Time
	if m.opt.Thresholds.MaxLag > 0 {
		alertAt = since.Add(m.opt.Thresholds.MaxLag)
	}
	failTone := toneMuted
	if mm.FailedSyncCount > 0 {
		failTone = toneBad
	}
	status := cell{text: orDash(mm.Status), tone: stateTone(mm.Status), glyph: stateGlyph(mm.Status, stateTone(mm.Status))}
	if until, ok := m.acks.repos[ackKey{mm.Farm, mm.RepoID}]; ok {
		status = cell{text: "ack'd until " + until.Local().Format("15:04"), tone: toneMuted}
		alertAt = time.Time{}
	}
	label, nodes := model.RepoLabel(mm.ProjectKey, mm.Slug, mm.RepoID), strings.Join(mm.Nodes, ",")
	rc, rk := make([]cell, 8), make([]sortKey, 8)
	rc[0], rc[1], rc[2] = cell{text: label}, cell{text: mm.Farm, tone: toneAccent}, cell{text: nodes}
	rc[3] = cell{text: string(mm.Kind), tone: kindTone(mm.Kind)}
	rc[4] = cell{text: since.Local().Format("15:04:05"), tone: toneMuted} // rows are filled only when drawn, sorted or filtered
	rc[5] = cell{since: since, tone: toneWarn, badAt: alertAt}
	rc[6] = cell{text: strconv.Itoa(mm.FailedSyncCount), tone: failTone}
	rc[7] = status
	rk[0], rk[1], rk[2], rk[3] = strKey(label), strKey(mm.Farm), strKey(nodes), strKey(string(mm.Kind))
	rk[4], rk[5] = numKey(float64(since.UnixNano())), numKey(-float64(since.UnixNano()))
	rk[6], rk[7] = numKey(float64(mm.FailedSyncCount)), strKey(mm.Status)
	return rc, rk
}

func kindTone(k model.MismatchKind) tone {
	switch k {
	case model.KindMissing:
		return toneBad
	case model.KindContent:
		return toneWarn
	}
	return toneNormal
}

func (m *Model) queueRows() []row {
	var rows []row
	for _, f := range m.state.Farms {
		// Ids name the item, not its position, so that the selection stays
		// on it while the queue drains; repeats of an item are numbered.
		seen := map[string]int{}
		for _, q := range f.Queue {
			seen[q.ExternalRepoID]++
			id := "q/" + f.Name + "/" + strconv.Itoa(seen[q.ExternalRepoID]) + "/" + q.ExternalRepoID
			name := "#" + model.Sanitize(q.ExternalRepoID)
			if r := m.repoByID(q.ExternalRepoID); r != nil {
				name = model.RepoLabel(r.ProjectKey, r.Slug, r.ID)
			}
			age := cell{text: "-", tone: toneMuted}
			if !q.CreatedAt.IsZero() {
				age = cell{since: q.CreatedAt}
			}
			attemptTone := toneNormal
			if q.Attempt > 1 {
				attemptTone = toneWarn
			}
			r := newRow(id, []cell{
				{text: f.Name, tone: toneAccent},
				{text: name},
				{text: model.Sanitize(q.Type), tone: toneMuted},
				{text: strconv.Itoa(q.Attempt), tone: attemptTone},
				age,
			}, []sortKey{strKey(f.Name), strKey(name), strKey(q.Type), numKey(float64(q.Attempt)), numKey(-float64(q.CreatedAt.UnixNano()))})
			// A first attempt younger than one sync interval is normal work.
			if q.Attempt <= 1 && !q.CreatedAt.IsZero() {
				r.okUntil = q.CreatedAt.Add(m.syncInterval(f.Name))
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func (m *Model) requestRows() []row {
	rows := make([]row, 0, len(m.state.Primary.Requests))
	for _, r := range m.state.Primary.Requests {
		id := model.Sanitize(r.ID)
		idKey := strKey(id)
		if n, err := strconv.Atoi(id); err == nil {
			idKey = numKey(float64(n))
		}
		rows = append(rows, newRow("req/"+id, []cell{
			{text: id},
			{text: model.Sanitize(r.MirrorName), tone: toneAccent},
			{text: model.Sanitize(r.MirrorBaseURL)},
			{text: orDash(model.Sanitize(r.ProductVersion)), tone: toneMuted},
			{text: orDash(model.Sanitize(r.MirrorType)), tone: toneMuted},
		}, []sortKey{idKey, strKey(r.MirrorName), strKey(r.MirrorBaseURL), strKey(r.ProductVersion), strKey(r.MirrorType)}))
	}
	return rows
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
			r := newRow("node/"+f.Name+"/"+n.Name, []cell{
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

// certCell shows days until a TLS certificate expires, in the warning
// style under the alert threshold and the bad one once expired.
func (m *Model) certCell(at time.Time) cell {
	if at.IsZero() {
		return cell{text: "-", tone: toneMuted}
	}
	left := at.Sub(m.now)
	days := int(left.Hours() / 24)
	switch {
	case left <= 0:
		return cell{text: "EXP", tone: toneBad}
	case m.opt.Thresholds.CertDays > 0 && left < time.Duration(m.opt.Thresholds.CertDays)*24*time.Hour:
		return cell{text: strconv.Itoa(days) + "d", tone: toneWarn}
	}
	return cell{text: strconv.Itoa(days) + "d", tone: toneMuted}
}

// repoLabel names a repository PROJECT/slug, or #id when unknown.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// nodeError is a node's error for its row; a discovered node's names the
// URL its template made, which the row may have no room for otherwise.
func nodeError(n *model.Node) string {
	e := model.Sanitize(n.Error())
	if e != "" && n.Discovered {
		return n.URL + ": " + e
	}
	return e
}
