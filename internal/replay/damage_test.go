package replay

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/mirrortop/mirrortop/internal/recording"
)

// TestTruncatedPlaysToTheDamage cuts a recording in the middle of a
// frame: it plays the rounds before, and says where it stopped.
func TestTruncatedPlaysToTheDamage(t *testing.T) {
	b := synthetic(t, 30)
	full, err := recording.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	cut := full.Frames[12].Offset + 5 // inside round 13's frame
	rec, err := recording.Parse(b[:cut])
	if err != nil {
		t.Fatal(err)
	}
	if rec.Damage == nil || rec.Damage.Offset != full.Frames[12].Offset || rec.Damage.Rounds != 12 {
		t.Fatalf("damage %+v, want at byte %d after 12 rounds", rec.Damage, full.Frames[12].Offset)
	}
	msg := rec.Damage.Error()
	for _, want := range []string{"recording damaged at byte", "round 12", "03:11:00", "played up to there", "truncated"} {
		if !strings.Contains(msg, want) {
			t.Errorf("damage message %q lacks %q", msg, want)
		}
	}
	e := New(rec)
	e.Seek(rec.End().Add(1e12))
	if e.Round() != 12 || e.Snapshot(e.Now()).Farms[0].QueueDepth == nil || *e.Snapshot(e.Now()).Farms[0].QueueDepth != 4711 {
		t.Fatalf("played to round %d", e.Round())
	}
	// The replay console says it once it reaches the damage.
	pl := NewPlayer(e)
	if st := pl.Replay(); st.Round != st.Rounds || !strings.Contains(st.Note, "played up to there") {
		t.Fatalf("player status at the damage: %+v", st)
	}
}

// TestCorruptFrame flips a byte inside a frame: the checksum finds it.
func TestCorruptFrame(t *testing.T) {
	b := synthetic(t, 30)
	full, _ := recording.Parse(b)
	bad := append([]byte(nil), b...)
	bad[full.Frames[20].Offset+12] ^= 0x40
	rec, err := recording.Parse(bad)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Damage == nil || rec.Damage.Rounds != 20 || !strings.Contains(rec.Damage.Error(), "checksum") {
		t.Fatalf("damage %+v", rec.Damage)
	}
}

// TestNewerVersionEmptyAndForeign: a newer format version is refused
// with what to do, an empty file and a file that is no recording say so.
func TestNewerVersionEmptyAndForeign(t *testing.T) {
	b := synthetic(t, 3)
	newer := append([]byte(recording.Magic), binary.AppendUvarint(nil, recording.Version+1)...)
	newer = append(newer, b[len(recording.Magic)+1:]...)
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"newer", newer, "format version 2, newer than this mirrortop reads (1): use a newer mirrortop"},
		{"empty", nil, "the recording is empty"},
		{"foreign", []byte("hello, world\n"), "not a mirrortop recording"},
		{"header cut", b[:len(recording.Magic)+4], "header is damaged at byte 21 (truncated)"},
	} {
		_, err := recording.Parse(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestRecordingStripsUserInfo: the header's target URLs lose their user
// info.
func TestRecordingStripsUserInfo(t *testing.T) {
	b := synthetic(t, 1)
	if strings.Contains(string(b), "hunter2") {
		t.Fatal("the compressed file holds the URL's password")
	}
	rec, _ := recording.Parse(b)
	plain, err := rec.Decompressed()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), "hunter2") || strings.Contains(string(plain), "admin@") {
		t.Fatal("the recording holds the URL's user info")
	}
	if rec.Header.Spec.PrimaryURL != "https://bitbucket.example" {
		t.Fatalf("primary URL %q", rec.Header.Spec.PrimaryURL)
	}
}
