package recording

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Header describes a recording: what wrote it, what it watched and how.
type Header struct {
	FormatVersion    int       `json:"formatVersion"`
	MirrortopVersion string    `json:"mirrortopVersion"`
	Start            time.Time `json:"start"`
	// Spec are the targets, every URL without its user info.
	Spec       model.Spec       `json:"spec"`
	Thresholds model.Thresholds `json:"thresholds"`
	// Fast and Slow are the poll intervals (what the console marks stale
	// by); SyncIntervals the farms' scheduled sync intervals.
	Fast          time.Duration            `json:"fast"`
	Slow          time.Duration            `json:"slow"`
	SyncIntervals map[string]time.Duration `json:"syncIntervals,omitempty"`
}

// QueueSize is how many frames wait for the disk before the writer drops
// batches.
const QueueSize = 1024

// Options tune a Writer.
type Options struct {
	// Secrets are removed from error messages wherever they appear
	// (defence in depth: readings carry none).
	Secrets []string
	// OnDrop is told, off the caller's goroutine, when batches were dropped
	// because the disk did not keep up, with the total so far.
	OnDrop func(total int64)
}

type job struct {
	kind  byte
	at    time.Time
	batch []model.Reading
	farms []string
	key   string
	when  time.Time
	note  wireNote
	// dropped is how many batches had been dropped when the job was
	// queued: a gap frame goes where they were.
	dropped int64
}

// Writer writes a recording. Its methods never block the caller: frames
// wait in a bounded queue for a goroutine that encodes and writes them;
// when it is full, batches are dropped and counted (a 'G' frame says how
// many, before the first frame queued after them).
type Writer struct {
	w       io.Writer
	closer  io.Closer
	bw      *bufio.Writer
	enc     *encoder
	gob     gobStream
	opts    Options
	ch      chan job
	done    chan struct{}
	mu      sync.Mutex // guards closed and the send
	closed  bool
	dropped atomic.Int64
	owed    int64 // dropped batches not yet written as a gap (writer goroutine)
	written atomic.Int64
	batches atomic.Int64
	err     error
}

// Create creates (or truncates) path, mode 0600, and starts a recording.
func Create(path string, h Header, opts Options) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	w, err := NewWriter(f, h, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	w.closer = f
	return w, nil
}

// NewWriter starts a recording on w: the magic, the version and the header
// are written at once.
func NewWriter(w io.Writer, h Header, opts Options) (*Writer, error) {
	h.FormatVersion = Version
	h.Spec = StripSpec(h.Spec)
	js, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	rw := &Writer{w: w, bw: bufio.NewWriterSize(w, 1<<20), enc: newEncoder(opts.Secrets), opts: opts,
		ch: make(chan job, QueueSize), done: make(chan struct{})}
	head := append([]byte(Magic), binary.AppendUvarint(nil, Version)...)
	head = appendFrame(head, KindHeader, nanos(h.Start), js)
	types, err := rw.gob.preamble()
	if err != nil {
		return nil, err
	}
	head = appendFrame(head, KindTypes, nanos(h.Start), types)
	if err := rw.write(head); err != nil {
		return nil, err
	}
	if err := rw.bw.Flush(); err != nil {
		return nil, err
	}
	go rw.run()
	return rw, nil
}

func (w *Writer) write(b []byte) error {
	n, err := w.bw.Write(b)
	w.written.Add(int64(n))
	return err
}

// Written is how many bytes the recording holds so far.
func (w *Writer) Written() int64 { return w.written.Load() }

// Rounds counts the batches written so far.
func (w *Writer) Rounds() int64 { return w.batches.Load() }

// Dropped counts the batches dropped because the disk did not keep up.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

func (w *Writer) send(j job) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	j.dropped = w.dropped.Load()
	select {
	case w.ch <- j:
	default:
		n := w.dropped.Add(1)
		if w.opts.OnDrop != nil {
			go w.opts.OnDrop(n)
		}
	}
}

// Applied records a batch of readings the state applied at at.
func (w *Writer) Applied(at time.Time, batch []model.Reading) {
	w.send(job{kind: KindBatch, at: at, batch: slices.Clone(batch)})
}

// Committed records the farms whose mismatch computations the state
// committed at at.
func (w *Writer) Committed(at time.Time, farms []string) {
	w.send(job{kind: KindCommit, at: at, farms: slices.Clone(farms)})
}

// Paused records that an action found a GitLab mirror paused.
func (w *Writer) Paused(at time.Time, mirror string, when time.Time) {
	w.send(job{kind: KindPaused, at: at, key: mirror, when: when})
}

// Followed records that an update requested of a GitLab mirror at when
// is followed through the next readings.
func (w *Writer) Followed(at time.Time, mirror string, when time.Time) {
	w.send(job{kind: KindNote, at: at, note: wireNote{What: "follow", Mirror: mirror, At: nanos(when)}})
}

// Resolved records a resolution added to a GitLab mirror's conflict
// history.
func (w *Writer) Resolved(at time.Time, mirror string, e model.HistoryEntry) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	w.send(job{kind: KindNote, at: at, note: wireNote{What: "resolution", Mirror: mirror, Data: b}})
}

// Restored records the conflict history loaded from the state folder
// (data: its file's JSON, model.GitLabHistory.MarshalHistory).
func (w *Writer) Restored(at time.Time, data []byte) {
	w.send(job{kind: KindNote, at: at, note: wireNote{What: "history", Data: data}})
}

func (w *Writer) run() {
	defer close(w.done)
	var buf []byte
	var last time.Time
	gap := func(upTo int64, at time.Time) {
		if upTo <= w.owed || w.err != nil {
			return
		}
		raw, _ := w.gob.value(wireGap{Dropped: int(upTo - w.owed)})
		w.owed = upTo
		buf = appendFrame(buf[:0], KindGap, nanos(at), raw)
		w.err = w.write(buf)
	}
	defer func() { gap(w.dropped.Load(), last) }() // dropped after the last frame
	for j := range w.ch {
		if w.err != nil {
			continue
		}
		last = j.at
		gap(j.dropped, j.at)
		var v any
		switch j.kind {
		case KindBatch:
			wb := wireBatch{Readings: make([]wireReading, 0, len(j.batch))}
			for _, r := range j.batch {
				wr, err := w.enc.reading(r)
				if err != nil {
					continue // an unknown kind of data: its outcome is kept
				}
				wb.Readings = append(wb.Readings, wr)
			}
			v = wb
		case KindCommit:
			v = wireCommit{Farms: j.farms}
		case KindPaused:
			v = wirePaused{Mirror: j.key, At: nanos(j.when)}
		case KindNote:
			v = j.note
		}
		raw, err := w.gob.value(v)
		if err != nil {
			w.err = err
			continue
		}
		buf = appendFrame(buf[:0], j.kind, nanos(j.at), raw)
		if err := w.write(buf); err != nil {
			w.err = err
			continue
		}
		if j.kind == KindBatch {
			w.batches.Add(1)
		}
		if len(w.ch) == 0 {
			w.err = w.bw.Flush()
		}
	}
}

// Close writes what is queued, flushes and closes the file; it returns
// the first write error.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done
		return w.err
	}
	w.closed = true
	close(w.ch)
	w.mu.Unlock()
	<-w.done
	err := w.err
	if err == nil {
		err = w.bw.Flush()
	}
	if w.closer != nil {
		err = errors.Join(err, w.closer.Close())
	}
	return err
}
