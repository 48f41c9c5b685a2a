// Package replay plays a recording (see package recording) into the same
// shared state a live console reads: the same readings, applied in the
// same batches, with the mismatch computations committed where they were,
// give the state the console had. An Engine moves through the recording
// round by round and seeks through checkpoints; a Player runs it in
// recorded time for the console (pause, speed, step, seek).
package replay

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
	"github.com/mirrortop/mirrortop/internal/recording"
	"github.com/mirrortop/mirrortop/internal/snapshot"
	"github.com/mirrortop/mirrortop/internal/ui"
)

// CheckpointEvery is the recorded time between two checkpoints: a seek
// replays at most this much from the nearest one.
const CheckpointEvery = time.Minute

type checkpoint struct {
	pos, round  int
	now         time.Time
	sh          *ui.Checkpoint
	dec         *recording.Decoder
	latest      snapshot.Outcomes
	gaps, ahead int
}

// Engine applies a recording's frames to a shared state. It is not safe
// for concurrent use (the state it writes is: sessions read it).
type Engine struct {
	rec    *recording.Recording
	sh     *ui.Shared
	dec    *recording.Decoder
	pos    int // the next frame
	round  int // batches applied
	now    time.Time
	out    map[string]*model.Recompute
	latest snapshot.Outcomes
	rounds []int // the frame index of each batch
	cps    []checkpoint
	// gaps counts the batches dropped before the last batch applied;
	// ahead those of gap frames applied after it (the drops came after
	// the round shown).
	gaps, ahead int
	// CheckpointEvery is the recorded time between two checkpoints
	// (default the package's CheckpointEvery).
	CheckpointEvery time.Duration
	// damage is where playing stopped early (a damaged file, or a frame
	// that does not decode).
	damage *recording.Damage
}

// New returns an engine at the start of rec.
func New(rec *recording.Recording) *Engine {
	e := &Engine{rec: rec, dec: recording.NewDecoder(), out: map[string]*model.Recompute{},
		latest: snapshot.Outcomes{}, now: rec.Start(), damage: rec.Damage, CheckpointEvery: CheckpointEvery}
	e.sh = ui.NewShared(model.NewState(rec.Header.Spec), func() time.Time { return e.now })
	e.sh.SetAlertThresholds(rec.Header.Thresholds)
	for i, f := range rec.Frames {
		if f.Kind == recording.KindBatch {
			e.rounds = append(e.rounds, i)
		}
	}
	e.checkpoint()
	return e
}

// Shared is the state the engine plays into.
func (e *Engine) Shared() *ui.Shared { return e.sh }

// Rounds counts the recording's rounds (batches of readings).
func (e *Engine) Rounds() int { return len(e.rounds) }

// Round is how many rounds are applied.
func (e *Engine) Round() int { return e.round }

// Now is the recorded time of the last frame applied (the start before
// any).
func (e *Engine) Now() time.Time { return e.now }

// Gaps counts the batches the recorder dropped before the round shown
// (at the end of the recording, all of them).
func (e *Engine) Gaps() int {
	if e.round == len(e.rounds) {
		return e.gaps + e.ahead
	}
	return e.gaps
}

// Damage is where the recording stops being playable, nil when it plays
// to its end.
func (e *Engine) Damage() *recording.Damage { return e.damage }

// RoundTime is the recorded time of round r (1-based: the r-th batch).
func (e *Engine) RoundTime(r int) time.Time {
	switch {
	case r <= 0 || len(e.rounds) == 0:
		return e.rec.Start()
	case r > len(e.rounds):
		r = len(e.rounds)
	}
	return e.rec.Frames[e.rounds[r-1]].At
}

// end is the frame index at which round r is complete.
func (e *Engine) end(r int) int {
	if r < len(e.rounds) {
		return e.rounds[r]
	}
	return len(e.rec.Frames)
}

// Index plays the whole recording once, keeping a checkpoint every
// CheckpointEvery of recorded time so that later seeks are quick, and
// goes back to the start.
func (e *Engine) Index() {
	e.playTo(len(e.rounds))
	e.SeekRound(0)
}

// SeekRound brings the state to where it was after round r (0: before
// the first), from the nearest checkpoint when that is closer.
func (e *Engine) SeekRound(r int) {
	r = max(0, min(r, len(e.rounds)))
	i, _ := slices.BinarySearchFunc(e.cps, r+1, func(c checkpoint, r int) int { return cmp.Compare(c.round, r) })
	if i > 0 {
		if c := e.cps[i-1]; c.round > e.round || r < e.round {
			e.restore(c)
		}
	}
	e.playTo(r)
}

// Seek brings the state to the last round at or before t.
func (e *Engine) Seek(t time.Time) {
	r := sort.Search(len(e.rounds), func(i int) bool { return e.rec.Frames[e.rounds[i]].At.After(t) })
	e.SeekRound(r)
}

func (e *Engine) restore(c checkpoint) {
	jobs := e.sh.Restore(c.sh)
	e.pos, e.round, e.now, e.gaps, e.ahead = c.pos, c.round, c.now, c.gaps, c.ahead
	e.dec = c.dec.Clone()
	e.latest = maps.Clone(c.latest)
	e.out = map[string]*model.Recompute{}
	for _, j := range jobs {
		e.out[j.Farm()] = j
	}
}

func (e *Engine) checkpoint() {
	if n := len(e.cps); n > 0 && e.cps[n-1].round >= e.round {
		return
	}
	jobs := make([]*model.Recompute, 0, len(e.out))
	for _, j := range e.out {
		jobs = append(jobs, j)
	}
	c := checkpoint{pos: e.pos, round: e.round, now: e.now, sh: e.sh.Checkpoint(jobs), dec: e.dec.Clone(),
		latest: maps.Clone(e.latest), gaps: e.gaps, ahead: e.ahead}
	e.cps = append(e.cps, c)
}

// playTo applies frames until round r is complete (or the recording, or
// the playable part of it, ends).
func (e *Engine) playTo(r int) {
	stop := e.end(r)
	for e.pos < stop && e.pos < len(e.rec.Frames) {
		f := e.rec.Frames[e.pos]
		if f.Kind == recording.KindBatch && len(e.cps) > 0 && f.At.Sub(e.cps[len(e.cps)-1].now) >= e.CheckpointEvery {
			e.checkpoint()
		}
		if err := e.apply(f); err != nil {
			e.damage = &recording.Damage{Offset: f.Offset, Rounds: e.round, Last: e.now, Why: err.Error()}
			e.rec.Frames = e.rec.Frames[:e.pos]
			e.rounds = e.rounds[:e.round]
			return
		}
		e.pos++
	}
}

func (e *Engine) apply(f recording.Frame) error {
	d, err := e.dec.Decode(f)
	if err != nil {
		return fmt.Errorf("frame does not decode: %w", err)
	}
	e.now = f.At
	switch d.Kind {
	case recording.KindBatch:
		for _, j := range e.sh.Apply(d.Readings) {
			e.out[j.Farm()] = j
		}
		for _, r := range d.Readings {
			e.latest.Note(r)
		}
		e.round++
		e.gaps, e.ahead = e.gaps+e.ahead, 0
	case recording.KindCommit:
		var jobs []*model.Recompute
		for _, farm := range d.Farms {
			if j := e.out[farm]; j != nil {
				delete(e.out, farm)
				j.Run()
				jobs = append(jobs, j)
			}
		}
		if len(jobs) > 0 {
			_, next := e.sh.Commit(jobs)
			for _, j := range next {
				e.out[j.Farm()] = j
			}
		}
	case recording.KindPaused:
		e.sh.MarkPaused(d.Mirror, d.PausedAt)
	case recording.KindNote:
		if err := e.sh.ReplayNote(d.Note, d.Mirror, d.NoteAt, d.NoteData); err != nil {
			return err
		}
	case recording.KindGap:
		e.ahead += d.Dropped
	}
	return nil
}

// Outcomes lists the last reading of each target and endpoint (without
// data), for a snapshot's errors, as `mirrortop serve` keeps them.
func (e *Engine) Outcomes() []model.Reading { return e.latest.List() }

// Snapshot is the snapshot document of the state as it is, taken at at.
func (e *Engine) Snapshot(at time.Time) snapshot.Snapshot {
	var s snapshot.Snapshot
	e.sh.Read(func(st *model.State) { s = snapshot.Build(st, e.Outcomes(), at, e.rec.Header.Thresholds) })
	return s
}
