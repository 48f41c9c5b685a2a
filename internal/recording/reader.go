package recording

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/mirrortop/mirrortop/internal/model"
)

// ErrEmpty is the error of an empty file.
var ErrEmpty = errors.New("the recording is empty (nothing was recorded)")

// Frame is one indexed frame of a recording.
type Frame struct {
	Kind    byte
	At      time.Time
	Offset  int64 // where the frame starts in the file
	payload []byte
	types   []byte // the recording's gob type definitions
}

// Damage says where a recording stops being readable.
type Damage struct {
	Offset int64
	// Rounds is how many batches were read before it, Last the time of
	// the last good frame.
	Rounds int
	Last   time.Time
	Why    string
}

// Error says where the damage is, for people.
func (d *Damage) Error() string {
	return fmt.Sprintf("recording damaged at byte %d (round %d, %s): played up to there (%s)",
		d.Offset, d.Rounds, d.Last.Local().Format("2006-01-02 15:04:05"), d.Why)
}

// Recording is a recording read into memory and indexed.
type Recording struct {
	Header Header
	Frames []Frame
	// Damage is nil for a recording read to its end.
	Damage *Damage
}

// Open reads and indexes a recording file.
func Open(path string) (*Recording, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rec, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rec, nil
}

// Parse indexes a recording held in memory (b is kept). Only the frame
// heads and checksums are read; payloads are decoded as they are played.
func Parse(b []byte) (*Recording, error) {
	if len(b) == 0 {
		return nil, ErrEmpty
	}
	if !bytes.HasPrefix(b, []byte(Magic)) {
		if len(b) < len(Magic) && bytes.HasPrefix([]byte(Magic), b) {
			return nil, errors.New("the recording is truncated before its header")
		}
		return nil, errors.New("not a mirrortop recording")
	}
	v, n := binary.Uvarint(b[len(Magic):])
	if n <= 0 {
		return nil, errors.New("the recording is truncated before its header")
	}
	if v > Version {
		return nil, fmt.Errorf("the recording is of format version %d, newer than this mirrortop reads (%d): use a newer mirrortop", v, Version)
	}
	off := int64(len(Magic) + n)
	rec := &Recording{}
	var err error
	first := true
	var types []byte
	for off < int64(len(b)) {
		f, next, why := readFrame(b, off)
		if why != "" {
			if first {
				return nil, fmt.Errorf("the recording's header is damaged at byte %d (%s)", off, why)
			}
			rec.Damage = &Damage{Offset: off, Rounds: rec.Rounds(), Last: rec.End(), Why: why}
			break
		}
		if first {
			if f.Kind != KindHeader {
				return nil, errors.New("the recording has no header")
			}
			if err := unpackJSON(f.payload, &rec.Header); err != nil {
				return nil, fmt.Errorf("the recording's header: %w", err)
			}
			first = false
		} else if f.Kind == KindTypes {
			_, dec := codecs()
			if types, err = dec.DecodeAll(f.payload, nil); err != nil {
				rec.Damage = &Damage{Offset: off, Rounds: rec.Rounds(), Last: rec.End(), Why: "types do not decode"}
				break
			}
		} else {
			f.types = types
			rec.Frames = append(rec.Frames, f)
		}
		off = next
	}
	if first {
		return nil, errors.New("the recording is truncated before its header")
	}
	return rec, nil
}

func unpackJSON(payload []byte, v any) error {
	_, dec := codecs()
	raw, err := dec.DecodeAll(payload, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// readFrame reads the frame at off; why says what is wrong with it.
func readFrame(b []byte, off int64) (f Frame, next int64, why string) {
	rest := b[off:]
	if len(rest) < 2 {
		return f, 0, "truncated"
	}
	if rest[0] != syncByte {
		return f, 0, "no frame starts there"
	}
	kind := rest[1]
	switch kind {
	case KindHeader, KindTypes, KindBatch, KindCommit, KindPaused, KindGap, KindNote:
	default:
		return f, 0, "unknown frame kind"
	}
	p := 2
	size, n := binary.Uvarint(rest[p:])
	if n <= 0 {
		return f, 0, "truncated"
	}
	p += n
	at, n := binary.Varint(rest[p:])
	if n <= 0 {
		return f, 0, "truncated"
	}
	p += n
	if len(rest) < p+4 {
		return f, 0, "truncated"
	}
	sum := binary.BigEndian.Uint32(rest[p:])
	p += 4
	if size > uint64(len(rest)-p) {
		return f, 0, "truncated"
	}
	payload := rest[p : p+int(size)]
	if frameCRC(kind, at, payload) != sum {
		return f, 0, "checksum mismatch"
	}
	return Frame{Kind: kind, At: fromNanos(at), Offset: off, payload: payload}, off + int64(p) + int64(size), ""
}

// Rounds counts the recording's batches.
func (r *Recording) Rounds() int {
	n := 0
	for _, f := range r.Frames {
		if f.Kind == KindBatch {
			n++
		}
	}
	return n
}

// Start is the time of the first frame (the header's start when none).
func (r *Recording) Start() time.Time {
	if len(r.Frames) > 0 {
		return r.Frames[0].At
	}
	return r.Header.Start
}

// End is the time of the last frame (the header's start when none).
func (r *Recording) End() time.Time {
	if len(r.Frames) > 0 {
		return r.Frames[len(r.Frames)-1].At
	}
	return r.Header.Start
}

// Decoder decodes a recording's frames in order (the deltas need the
// previous lists).
type Decoder struct {
	d *decoder
}

// NewDecoder returns a decoder at the start of a recording.
func NewDecoder() *Decoder { return &Decoder{d: newDecoder()} }

// Clone returns a decoder at the same point, for a checkpoint.
func (d *Decoder) Clone() *Decoder { return &Decoder{d: d.d.clone()} }

// Decoded is the content of one frame.
type Decoded struct {
	Kind     byte
	At       time.Time
	Readings []model.Reading // 'B'
	Farms    []string        // 'C'
	Mirror   string          // 'P': the mirror's key, paused at PausedAt
	PausedAt time.Time
	Dropped  int // 'G'
	// 'N': what was noted ("follow", "resolution", "history"), of Mirror
	// (NoteAt: when an update was requested), with its data.
	Note     string
	NoteAt   time.Time
	NoteData []byte
}

// Decode decodes f, which must follow the frame decoded last.
func (d *Decoder) Decode(f Frame) (Decoded, error) {
	out := Decoded{Kind: f.Kind, At: f.At}
	switch f.Kind {
	case KindBatch:
		var wb wireBatch
		if err := unpack(f.types, f.payload, &wb); err != nil {
			return out, err
		}
		out.Readings = make([]model.Reading, 0, len(wb.Readings))
		for _, w := range wb.Readings {
			r, err := d.d.reading(w)
			if err != nil {
				return out, err
			}
			out.Readings = append(out.Readings, r)
		}
	case KindCommit:
		var wc wireCommit
		if err := unpack(f.types, f.payload, &wc); err != nil {
			return out, err
		}
		out.Farms = wc.Farms
	case KindPaused:
		var wp wirePaused
		if err := unpack(f.types, f.payload, &wp); err != nil {
			return out, err
		}
		out.Mirror, out.PausedAt = wp.Mirror, fromNanos(wp.At)
	case KindNote:
		var wn wireNote
		if err := unpack(f.types, f.payload, &wn); err != nil {
			return out, err
		}
		out.Note, out.Mirror, out.NoteAt, out.NoteData = wn.What, wn.Mirror, fromNanos(wn.At), wn.Data
	case KindGap:
		var wg wireGap
		if err := unpack(f.types, f.payload, &wg); err != nil {
			return out, err
		}
		out.Dropped = wg.Dropped
	}
	return out, nil
}

// Decompressed returns the header and every frame's payload decompressed,
// one after the other: what a search of the recording's content reads.
func (r *Recording) Decompressed() ([]byte, error) {
	js, err := json.Marshal(r.Header)
	if err != nil {
		return nil, err
	}
	_, dec := codecs()
	out := js
	for _, f := range r.Frames {
		if out, err = dec.DecodeAll(f.payload, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}
