package recording

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/mirrortop/mirrortop/internal/model"
)

// Magic starts every recording.
const Magic = "MIRRORTOP-RECORDING\n"

// Version is the format version this mirrortop writes and the newest it
// reads.
const Version = 1

const syncByte = 0xF5

// Frame kinds.
const (
	KindHeader byte = 'H'
	KindBatch  byte = 'B'
	KindCommit byte = 'C'
	KindPaused byte = 'P'
	KindGap    byte = 'G'
	KindNote   byte = 'N'
	// KindTypes holds the gob type definitions the later frames' values
	// use, sent once rather than in every frame.
	KindTypes byte = 'T'
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func asStatus(err error, he *model.HTTPStatusError) bool { return errors.As(err, he) }

var (
	zencOnce sync.Once
	zenc     *zstd.Encoder
	zdec     *zstd.Decoder
)

// codecs are shared: EncodeAll and DecodeAll may run concurrently. The
// window covers a whole first round (every big list at once), so that the
// hashes a node repeats from the primary's list cost next to nothing.
func codecs() (*zstd.Encoder, *zstd.Decoder) {
	zencOnce.Do(func() {
		zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithWindowSize(64<<20),
			zstd.WithEncoderConcurrency(1))
		zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxWindow(256<<20),
			zstd.WithDecoderMaxMemory(2<<30))
	})
	return zenc, zdec
}

// appendFrame appends one frame of raw (uncompressed) payload.
func appendFrame(dst []byte, kind byte, at int64, raw []byte) []byte {
	enc, _ := codecs()
	payload := enc.EncodeAll(raw, nil)
	dst = append(dst, syncByte, kind)
	dst = binary.AppendUvarint(dst, uint64(len(payload)))
	dst = binary.AppendVarint(dst, at)
	dst = binary.BigEndian.AppendUint32(dst, frameCRC(kind, at, payload))
	return append(dst, payload...)
}

func frameCRC(kind byte, at int64, payload []byte) uint32 {
	var head [1 + binary.MaxVarintLen64]byte
	head[0] = kind
	n := binary.PutVarint(head[1:], at)
	c := crc32.Update(0, crcTable, head[:1+n])
	return crc32.Update(c, crcTable, payload)
}

// gobStream encodes a writer's frames: one gob stream whose type
// definitions (and a zero value of each frame type) go once into a 'T'
// frame, each frame then holding one value.
type gobStream struct {
	buf bytes.Buffer
	enc *gob.Encoder
}

// preamble returns the type definitions, the stream's first bytes.
func (g *gobStream) preamble() ([]byte, error) {
	g.enc = gob.NewEncoder(&g.buf)
	for _, v := range preambleValues() {
		if err := g.enc.Encode(v); err != nil {
			return nil, err
		}
	}
	return bytes.Clone(g.buf.Bytes()), nil
}

func preambleValues() []any {
	return []any{wireBatch{}, wireCommit{}, wirePaused{}, wireGap{}, wireNote{}}
}

// value returns the bytes of one value (valid until the next call).
func (g *gobStream) value(v any) ([]byte, error) {
	g.buf.Reset()
	if err := g.enc.Encode(v); err != nil {
		return nil, err
	}
	return g.buf.Bytes(), nil
}

// unpack decodes a frame's value, read after the recording's types.
func unpack(types, payload []byte, v any) error {
	_, dec := codecs()
	raw, err := dec.DecodeAll(payload, nil)
	if err != nil {
		return err
	}
	d := gob.NewDecoder(io.MultiReader(bytes.NewReader(types), bytes.NewReader(raw)))
	for _, p := range []any{&wireBatch{}, &wireCommit{}, &wirePaused{}, &wireGap{}, &wireNote{}} {
		if err := d.Decode(p); err != nil {
			return err
		}
	}
	return d.Decode(v)
}
