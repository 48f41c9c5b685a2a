package poller

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// addFixtureSeeds adds the named files of testdata/fixtures/<dir> as seeds;
// missing files are skipped so that the seeds follow the fixtures.
func addFixtureSeeds(f *testing.F, dir string, names ...string) {
	f.Helper()
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", dir, name))
		if err == nil {
			f.Add(b)
		}
	}
}

// flexDoc holds one of each lenient scalar type, plain and behind a pointer.
type flexDoc struct {
	S  flexString  `json:"s"`
	I  flexInt     `json:"i"`
	B  flexBool    `json:"b"`
	T  flexTime    `json:"t"`
	PS *flexString `json:"ps"`
	PI *flexInt    `json:"pi"`
	PB *flexBool   `json:"pb"`
	L  []flexInt   `json:"l"`
}

// plainDoc is what a decoded flexDoc means, in ordinary Go types; it is
// what mirrortop passes on (the snapshot command prints such values as JSON).
type plainDoc struct {
	S string    `json:"s"`
	I int       `json:"i"`
	B bool      `json:"b"`
	T time.Time `json:"t"`
}

func FuzzFlexTypes(f *testing.F) {
	for _, s := range []string{
		`{"s":"x","i":3,"b":true,"t":1453879734348}`,
		`{"s":12,"i":"4","b":"true","t":"1453879734348"}`,
		`{"s":null,"i":null,"b":null,"t":null}`,
		`{"s":{"a":1},"i":"n/a","b":"no","t":"<string>"}`,
		`{"i":2.0,"t":"2022-08-18T02:04:46.435Z"}`,
		`{"t":"2024-11-27T01:34:45+0000"}`,
		`{"t":"2000-01-23 04:56:07+00:00"}`,
		`{"t":1700000000}`,
		`{"t":"  1700000000  "}`,
		`{"t":-5,"i":-7,"b":" TRUE "}`,
		`{"s":"esc\u001b[31m\"q\"","i":"1e3","b":1}`,
		`{"s":"raw","i":9223372036854775807,"t":"9999-12-31T23:59:59.999999999Z"}`,
		`{"i":1e308,"l":[1,"2",null,{},[3]]}`,
		`{"ps":null,"pi":"5","pb":"false"}`,
		`{"s":[1,2],"i":[],"b":{},"t":{}}`,
		`[]`,
		`null`,
		`"just a string"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d flexDoc
		if err := json.Unmarshal(data, &d); err != nil {
			return
		}
		p := plainDoc{S: string(d.S), I: int(d.I), B: bool(d.B), T: d.T.Time()}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("decoded %q into s=%q i=%d b=%v t=%v, which does not marshal: %v", data, p.S, p.I, p.B, p.T, err)
		}
		// What was decoded decodes again to the same values.
		var again flexDoc
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatalf("re-decoding %s: %v", b, err)
		}
		if utf8.ValidString(p.S) && string(again.S) != p.S {
			t.Errorf("string %q came back as %q", p.S, again.S)
		}
		if int(again.I) != p.I || bool(again.B) != p.B {
			t.Errorf("int/bool %d/%v came back as %d/%v", p.I, p.B, again.I, again.B)
		}
		if !again.T.Time().Equal(p.T) {
			t.Errorf("time %v came back as %v", p.T, again.T.Time())
		}
		if !p.T.IsZero() && p.T.Location() != time.UTC {
			t.Errorf("time %v is not in UTC", p.T)
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).Unix()
	for _, s := range []string{
		"", "0", "7", "-1", " 120 ", "86400", "86401", "99999999999999999999", "+5", "007",
		"Sat, 21 Nov 2026 12:00:30 GMT", "Sat, 21 Nov 2026 11:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Fri, 31 Dec 9999 23:59:59 GMT",
		"garbage", "1.5", "0x10",
	} {
		f.Add(s, now)
	}
	f.Fuzz(func(t *testing.T, v string, unix int64) {
		d := parseRetryAfter(v, time.Unix(unix, 0).UTC())
		if d < 0 || d > 24*time.Hour {
			t.Fatalf("parseRetryAfter(%q) = %v: want 0..24h", v, d)
		}
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 && n <= 86400 {
			if want := time.Duration(n) * time.Second; d != want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", v, d, want)
			}
		}
	})
}
