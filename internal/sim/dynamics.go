package sim

import (
	"strconv"
	"time"
)

const (
	typeIncremental = "INCREMENTAL"
	typeSnapshot    = "SNAPSHOT"

	// discoveryTime is how long an InitialSync farm spends discovering the
	// repositories to mirror before it knows their total.
	discoveryTime = 10 * time.Second
	// renameShare is the share of random changes that touch metadata
	// rather than content.
	renameShare = 0.1
)

const (
	evPush uint8 = iota
	evFullSync
	evDiscover
	evNodeSync
	evGLProjectPush // a random push to a GitLab project (gp)
	evGLPushStart   // a push mirror's retry attempt starts (gm)
	evGLPushEnd     // a push mirror's update attempt ends (gm)
	evGLPullStart   // a pull mirror's scheduled update starts (gm)
	evGLPullEnd     // a pull mirror's update ends (gm)
)

type event struct {
	at   int64 // Unix ns
	seq  uint64
	kind uint8
	farm *farm
	w    *worker
	n    *node
	gm   *glMirror
	gp   *glProject
}

// eventQueue is a binary min-heap ordered by time, then scheduling order.
type eventQueue []event

func (q eventQueue) less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q *eventQueue) push(e event) {
	*q = append(*q, e)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *eventQueue) pop() event {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = event{}
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h.less(l, m) {
			m = l
		}
		if r < len(h) && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

func (s *Sim) schedule(at int64, kind uint8, f *farm, w *worker, n *node) {
	s.seq++
	s.events.push(event{at: at, seq: s.seq, kind: kind, farm: f, w: w, n: n})
}

func (s *Sim) nowMs() int64 { return s.now / int64(time.Millisecond) }

// initDynamics schedules the first events and applies the start-up changes.
// Called with s.mu held.
func (s *Sim) initDynamics() {
	if s.opts.PushEvery > 0 {
		s.schedule(s.now+s.pushGap(), evPush, nil, nil, nil)
	}
	for _, f := range s.farms {
		if f.spec.InitialSync {
			s.schedule(s.now+int64(discoveryTime), evDiscover, f, nil, nil)
		} else {
			s.schedule(s.now+int64(s.opts.SyncInterval), evFullSync, f, nil, nil)
		}
	}
	for id := 1; id < len(s.stuck); id++ {
		if s.stuck[id] {
			s.change(id, true)
		}
	}
	if s.gl != nil {
		s.glInit()
	}
}

func (s *Sim) pushGap() int64 {
	d := int64(s.rng.ExpFloat64() * float64(s.opts.PushEvery))
	return max(d, int64(time.Millisecond))
}

// advanceTo processes every event due up to target. Called with s.mu held.
func (s *Sim) advanceTo(target int64) {
	for len(s.events) > 0 && s.events[0].at <= target {
		e := s.events.pop()
		if e.at > s.now {
			s.now = e.at
		}
		switch e.kind {
		case evPush:
			id := 1 + s.rng.IntN(len(s.repos)-1)
			s.change(id, s.rng.Float64() >= renameShare)
			s.schedule(s.now+s.pushGap(), evPush, nil, nil, nil)
		case evFullSync:
			s.fullSync(e.farm)
			s.schedule(s.now+int64(s.opts.SyncInterval), evFullSync, e.farm, nil, nil)
		case evDiscover:
			s.discover(e.farm)
			s.schedule(s.now+int64(s.opts.SyncInterval), evFullSync, e.farm, nil, nil)
		case evNodeSync:
			s.nodeSyncDone(e.farm, e.w, e.n)
		default:
			s.glEvent(e)
		}
	}
	if target > s.now {
		s.now = target
	}
}

// change bumps a primary repository's content or metadata version and
// enqueues it on every farm that mirrors it.
func (s *Sim) change(id int, content bool) {
	if content {
		s.pContent[id]++
		s.gitCommitFor(id)
	} else {
		s.pMeta[id]++
	}
	now := s.nowMs()
	for _, f := range s.farms {
		if !f.started || !f.mirrors(s, id) {
			continue
		}
		for _, n := range f.nodes {
			if nr := &n.repos[id]; nr.differSince == 0 {
				nr.differSince = now
			}
		}
		f.enqueue(id, typeIncremental, 1, now)
		s.dispatch(f)
	}
}

// enqueue adds a waiting item unless the repository already has one: a
// newer change is folded into the waiting item.
func (f *farm) enqueue(id int, typ string, attempt int, now int64) {
	if f.waiting[id] != nil {
		return
	}
	f.waiting[id] = f.queue.PushBack(&qitem{repo: int32(id), typ: typ, attempt: attempt, created: now})
}

// take removes and returns the oldest waiting item whose repository is not
// being synced by another worker.
func (f *farm) take() *qitem {
	for e := f.queue.Front(); e != nil; e = e.Next() {
		it := e.Value.(*qitem)
		if f.busy[it.repo] || f.stuck[it.repo] != nil {
			continue
		}
		f.queue.Remove(e)
		f.waiting[it.repo] = nil
		return it
	}
	return nil
}

func (s *Sim) differs(n *node, id int) bool {
	nr := &n.repos[id]
	return !nr.present || nr.content != s.pContent[id] || nr.meta != s.pMeta[id]
}

// dispatch hands waiting items to free workers.
func (s *Sim) dispatch(f *farm) {
	for i := 0; i < len(f.workers); {
		w := f.workers[i]
		if w.item != nil {
			i++
			continue
		}
		it := f.take()
		if it == nil {
			return
		}
		s.startJob(f, w, it)
	}
}

func (s *Sim) startJob(f *farm, w *worker, it *qitem) {
	w.item, w.pending, w.failed = it, 0, false
	f.busy[it.repo] = true
	w.lockAt = s.nowMs()
	s.jobSeq++
	w.reqID = "*" + randomToken(s, 6) + "x" + strconv.FormatUint(s.jobSeq, 10) + "x0"
	w.nodeID, w.thread = "", ""
	id := int(it.repo)
	for k := range f.nodes {
		n := f.nodes[(w.idx+k)%len(f.nodes)]
		if !n.down {
			w.nodeID = n.id
			break
		}
	}
	if it.typ == typeSnapshot && !f.complete {
		w.thread = "initial-sync-thread-pool:thread-" + strconv.Itoa(w.idx+1)
	} else {
		w.thread = "farm-refchange-poller:thread-" + strconv.Itoa(w.idx+1)
	}
	for _, n := range f.nodes {
		if n.down || !s.differs(n, id) {
			continue
		}
		jitter := 0.7 + 0.6*s.rng.Float64()
		d := int64(float64(s.opts.SyncTime) * n.factor * jitter)
		s.schedule(s.now+max(d, 1), evNodeSync, f, w, n)
		w.pending++
	}
	if w.pending == 0 {
		s.finishJob(f, w)
	}
}

func (s *Sim) nodeSyncDone(f *farm, w *worker, n *node) {
	w.pending--
	id := int(w.item.repo)
	// A node that went down meanwhile aborts its sync, and so does every
	// node when the repository's project stopped being mirrored.
	if !n.down && f.mirrors(s, id) {
		fail := s.rng.Float64() < s.opts.FailRate
		if n == s.stuckNode && s.stuck[id] {
			fail = true
		}
		nr := &n.repos[id]
		if fail {
			nr.failed++
			w.failed = true
		} else {
			now := s.nowMs()
			if !nr.present {
				nr.present = true
				n.presentCount++
			}
			nr.content, nr.meta = s.pContent[id], s.pMeta[id]
			nr.lastSync = now
			if nr.initSync == 0 {
				nr.initSync = now
			}
			nr.failed = 0
			nr.differSince = 0
			s.gitNodeTask(gitSync, n, id)
		}
	}
	if w.pending == 0 {
		s.finishJob(f, w)
		s.checkComplete(f)
		s.dispatch(f)
	}
}

// finishJob frees the worker; a failed item goes back to the queue until
// it reaches MaxAttempts, then it is dropped for the next full sync.
func (s *Sim) finishJob(f *farm, w *worker) {
	it := w.item
	w.item = nil
	f.busy[it.repo] = false
	if w.failed && it.attempt < s.opts.MaxAttempts && f.mirrors(s, int(it.repo)) {
		f.enqueue(int(it.repo), it.typ, it.attempt+1, s.nowMs())
	}
	w.failed = false
}

// fullSync is the farm's scheduled full synchronization: every mirrored
// repository that differs on a node that is up gets a SNAPSHOT item.
func (s *Sim) fullSync(f *farm) {
	if !f.started {
		return
	}
	now := s.nowMs()
	for id := 1; id < len(s.repos); id++ {
		if f.waiting[id] != nil || !f.mirrors(s, id) {
			continue
		}
		for _, n := range f.nodes {
			if !n.down && s.differs(n, id) {
				f.enqueue(id, typeSnapshot, 1, now)
				break
			}
		}
	}
	s.dispatch(f)
}

// discover ends the discovery phase of an InitialSync farm: every mirrored
// repository gets a SNAPSHOT item.
func (s *Sim) discover(f *farm) {
	f.started = true
	now := s.nowMs()
	for id := 1; id < len(s.repos); id++ {
		if !f.mirrors(s, id) {
			continue
		}
		for _, n := range f.nodes {
			if nr := &n.repos[id]; nr.differSince == 0 && s.differs(n, id) {
				nr.differSince = now
			}
		}
		f.enqueue(id, typeSnapshot, 1, now)
	}
	s.checkComplete(f)
	s.dispatch(f)
}

// catchUp enqueues SNAPSHOT items for every repository a node that came
// back up misses.
func (s *Sim) catchUp(n *node) {
	f := n.farm
	if !f.started {
		return
	}
	now := s.nowMs()
	for id := 1; id < len(s.repos); id++ {
		if f.mirrors(s, id) && s.differs(n, id) {
			f.enqueue(id, typeSnapshot, 1, now)
		}
	}
	s.checkComplete(f)
	s.dispatch(f)
}

// checkComplete marks an InitialSync farm complete once every mirrored
// repository is present on every node that is up.
func (s *Sim) checkComplete(f *farm) {
	if f.complete || !f.started {
		return
	}
	up := 0
	for _, n := range f.nodes {
		if n.down {
			continue
		}
		up++
		if n.presentCount < f.mirroredCount {
			return
		}
	}
	if up > 0 {
		f.complete = true
	}
}

// progress returns the farm-wide sync progress.
func (s *Sim) progress(f *farm) (discovering bool, synced, total int) {
	if !f.started {
		return true, 0, 0
	}
	total = f.mirroredCount
	var up []*node
	all := true
	for _, n := range f.nodes {
		if !n.down {
			up = append(up, n)
			if n.presentCount < total {
				all = false
			}
		}
	}
	if len(up) == 0 {
		return false, 0, total
	}
	if all {
		return false, total, total
	}
	for id := 1; id < len(s.repos); id++ {
		if !f.mirrors(s, id) {
			continue
		}
		ok := true
		for _, n := range up {
			if !n.repos[id].present {
				ok = false
				break
			}
		}
		if ok {
			synced++
		}
	}
	return false, synced, total
}

func randomToken(s *Sim, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	return string(b)
}
