package sim

import "time"

const (
	// glPushTime and glPullTime bound how long one mirror update takes.
	glPushTimeMin = 2 * time.Second
	glPushTimeMax = 8 * time.Second
	glPullTimeMin = 4 * time.Second
	glPullTimeMax = 15 * time.Second
)

// glInit schedules the GitLab instance's first events: random pushes to
// every project with push mirrors (unless Options.PushEvery is negative)
// and each pull mirror's next update. Called with s.mu held.
func (s *Sim) glInit() {
	g := s.gl
	for _, p := range g.projects {
		if len(p.push) > 0 && s.opts.PushEvery > 0 {
			s.seq++
			s.events.push(event{at: s.now + s.glPushGap(), seq: s.seq, kind: evGLProjectPush, gp: p})
		}
		if m := p.pull; m != nil && m.enabled && !m.paused && m.next != 0 {
			s.glSchedule(max(m.next, s.now), evGLPullStart, m)
		}
	}
}

func (s *Sim) glPushGap() int64 {
	d := int64(s.gl.rng.ExpFloat64() * float64(glPushEvery))
	return max(d, int64(20*time.Second))
}

// glSchedule makes an event the mirror's only pending one: an event
// scheduled earlier for it is ignored when it comes due.
func (s *Sim) glSchedule(at int64, kind uint8, m *glMirror) {
	s.seq++
	s.events.push(event{at: at, seq: s.seq, kind: kind, gm: m})
	m.ev = s.seq
}

// glDuration draws a duration in [lo, hi], in whole milliseconds.
func (s *Sim) glDuration(lo, hi time.Duration) int64 {
	ms := int64(time.Millisecond)
	return int64(lo) + s.gl.rng.Int64N(int64(hi-lo)/ms+1)*ms
}

// glNow is the simulated time in whole milliseconds, the precision of
// GitLab's timestamps.
func (s *Sim) glNow() int64 { return s.now - s.now%int64(time.Millisecond) }

// glEvent handles a GitLab event. Called with s.mu held.
func (s *Sim) glEvent(e event) {
	if e.kind == evGLProjectPush {
		s.glProjectPush(e.gp)
		s.seq++
		s.events.push(event{at: s.now + s.glPushGap(), seq: s.seq, kind: evGLProjectPush, gp: e.gp})
		return
	}
	m := e.gm
	if m.ev != e.seq {
		return // superseded
	}
	m.ev = 0
	switch e.kind {
	case evGLPushStart:
		if m.enabled {
			s.glStartPush(m, m.tries)
		}
	case evGLPushEnd:
		s.glEndPush(m)
	case evGLPullStart:
		m.next = 0
		if m.enabled && !m.paused {
			s.glStartPull(m)
		}
	case evGLPullEnd:
		s.glEndPull(m)
	}
}

// glProjectPush is a push to a project: every enabled push mirror that is
// not updating starts a new update.
func (s *Sim) glProjectPush(p *glProject) {
	p.activity = s.glNow()
	for _, m := range p.push {
		if m.enabled {
			s.glSyncPush(m)
		}
	}
}

// glSyncPush starts an update of a push mirror unless one is in progress;
// a pending retry is replaced by a fresh update. As GitLab's
// RemoteMirror#sync, an update that started less than the back-off delay
// ago (1 minute with only_protected_branches, else 5) delays the new one
// by that delay; one already delayed is not delayed further.
func (s *Sim) glSyncPush(m *glMirror) {
	if m.status == glStatusStarted || m.delayed > s.now {
		return
	}
	delay := int64(glPushBackoff(m))
	if m.lastStarted != 0 && s.now-m.lastStarted < delay {
		m.tries, m.delayed = 0, s.now+delay
		s.glSchedule(m.delayed, evGLPushStart, m)
		return
	}
	s.glStartPush(m, 0)
}

// glPushBackoff is a push mirror's back-off delay.
func glPushBackoff(m *glMirror) time.Duration {
	if m.onlyProtected {
		return glProtectedBackoff
	}
	return glUnprotectedBackoff
}

func (s *Sim) glStartPush(m *glMirror, tries int) {
	m.status, m.lastStarted, m.tries, m.delayed = glStatusStarted, s.glNow(), tries, 0
	if m.scenario == glStuck {
		m.ev = 0 // it never ends
		return
	}
	s.glSchedule(s.now+s.glDuration(glPushTimeMin, glPushTimeMax), evGLPushEnd, m)
}

func (s *Sim) glEndPush(m *glMirror) {
	switch {
	case m.scenario == glFailing:
		m.lastError = glErrProtected
		if m.tries < glMaxPushTries {
			m.status = glStatusToRetry
			delay := glPushBackoff(m)
			m.tries++
			s.glSchedule(s.now+int64(delay), evGLPushStart, m)
			return
		}
		m.status, m.lastUpdate = glStatusFailed, s.glNow()
	case m.scenario == glDiverged && m.keepDivergent:
		m.status, m.lastUpdate, m.lastError = glStatusFailed, s.glNow(), glErrDiverged()
	default:
		// Healthy, or diverged refs force-pushed over: the remote now
		// matches, so later updates succeed too.
		m.scenario = glHealthy
		m.status, m.lastUpdate, m.lastSuccess, m.lastError, m.tries = glStatusFinished, s.glNow(), s.glNow(), "", 0
	}
}

// glResetPush clears a push mirror's status the way GitLab does when its
// settings change under it: finished, with null timestamps and error. A
// stuck mirror is no longer stuck.
func (s *Sim) glResetPush(m *glMirror) {
	m.status, m.lastUpdate, m.lastStarted, m.lastSuccess, m.lastError, m.tries = glStatusFinished, 0, 0, 0, "", 0
	m.ev = 0
	if m.scenario == glStuck {
		m.scenario = glHealthy
	}
}

func (s *Sim) glStartPull(m *glMirror) {
	m.status, m.lastStarted, m.next = glStatusStarted, s.glNow(), 0
	s.glSchedule(s.now+s.glDuration(glPullTimeMin, glPullTimeMax), evGLPullEnd, m)
}

func (s *Sim) glEndPull(m *glMirror) {
	m.lastUpdate = s.glNow()
	fail := ""
	switch {
	case m.scenario == glFailing:
		fail = glErrAuth(glPlainURL(m.url))
	case m.scenario == glDiverged && !m.overwrite:
		fail = glErrPullDiverged
	}
	if fail == "" {
		m.scenario = glHealthy
		m.status, m.lastSuccess, m.lastError, m.failures = glStatusFinished, m.lastUpdate, "", 0
		m.proj.activity = m.lastUpdate
		s.glPlanPull(m, m.lastUpdate+int64(glPullInterval))
		return
	}
	m.status, m.lastError = glStatusFailed, fail
	m.failures++
	if m.failures >= glMaxPullFailures {
		m.paused, m.next = true, 0
		return
	}
	s.glPlanPull(m, m.lastUpdate+int64(glPullBackoff(m.failures)))
}

// glPlanPull sets a pull mirror's next update, if it is enabled.
func (s *Sim) glPlanPull(m *glMirror, at int64) {
	if !m.enabled || m.paused {
		m.next, m.ev = 0, 0
		return
	}
	m.next = at
	s.glSchedule(at, evGLPullStart, m)
}

// glTriggerPull is POST /mirror/pull on a mirrored project: a hard-failed
// mirror refuses (403); otherwise an update starts now unless one is
// running, or, when the last update ended less than the mirror interval
// ago (after a success), the next update is set to the end of that
// interval. Called with s.mu held.
func (s *Sim) glTriggerPull(m *glMirror) reply {
	if m.paused {
		return glFail(403, "Mirroring for the project is on pause")
	}
	if m.status == glStatusStarted {
		return reply{status: 200}
	}
	if m.lastSuccess != 0 && m.lastUpdate != 0 && s.now-m.lastUpdate < int64(glTriggerInterval) {
		s.glPlanPull(m, m.lastUpdate+int64(glTriggerInterval))
		return reply{status: 200}
	}
	s.glStartPull(m)
	return reply{status: 200}
}
