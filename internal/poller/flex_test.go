package poller

import (
	"encoding/json"
	"testing"
	"time"
)

func TestFlexDecoding(t *testing.T) {
	var v struct {
		S flexString `json:"s"`
		I flexInt    `json:"i"`
		B flexBool   `json:"b"`
		T flexTime   `json:"t"`
	}
	cases := []struct {
		in   string
		s    string
		i    int
		b    bool
		when time.Time
	}{
		{`{"s":"x","i":3,"b":true,"t":1453879734348}`, "x", 3, true, time.UnixMilli(1453879734348)},
		{`{"s":12,"i":"4","b":"true","t":"1453879734348"}`, "12", 4, true, time.UnixMilli(1453879734348)},
		{`{"s":null,"i":null,"b":null,"t":null}`, "", 0, false, time.Time{}},
		{`{"s":{"a":1},"i":"n/a","b":"no","t":"<string>"}`, "", 0, false, time.Time{}},
		{`{"i":2.0,"t":"2022-08-18T02:04:46.435Z"}`, "", 2, false, time.Date(2022, 8, 18, 2, 4, 46, 435e6, time.UTC)},
		{`{"t":"2024-11-27T01:34:45+0000"}`, "", 0, false, time.Date(2024, 11, 27, 1, 34, 45, 0, time.UTC)},
		{`{"t":"2000-01-23 04:56:07+00:00"}`, "", 0, false, time.Date(2000, 1, 23, 4, 56, 7, 0, time.UTC)},
		{`{"t":1700000000}`, "", 0, false, time.Unix(1700000000, 0)},
		{`{"t":700000000000000}`, "", 0, false, time.Time{}}, // year 24152: unknown (a fuzz finding)
	}
	for _, c := range cases {
		v.S, v.I, v.B, v.T = "", 0, false, flexTime{}
		if err := json.Unmarshal([]byte(c.in), &v); err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if string(v.S) != c.s || int(v.I) != c.i || bool(v.B) != c.b || !v.T.Time().Equal(c.when) {
			t.Errorf("%s: got s=%q i=%d b=%v t=%v", c.in, v.S, v.I, v.B, v.T.Time())
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-1":                            0,
		"Sat, 21 Nov 2026 12:00:30 GMT": 30 * time.Second,
		"garbage":                       0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", in, got, want)
		}
	}
}

func TestNextDelay(t *testing.T) {
	fast, slow := 10*time.Second, 2*time.Minute
	cases := []struct {
		name       string
		interval   time.Duration
		failures   int
		retryAfter time.Duration
		r          float64
		want       time.Duration
	}{
		{"success low jitter", fast, 0, 0, 0, 9 * time.Second},
		{"success high jitter", fast, 0, 0, 1, 11 * time.Second},
		{"first failure", fast, 1, 0, 1, 10 * time.Second},
		{"a fast endpoint keeps its interval", fast, 3, 0, 1, 10 * time.Second},
		{"jitter halves at most", fast, 2, 0, 0, 5 * time.Second},
		{"slow endpoint retries at fast pace", slow, 1, 0, 1, 10 * time.Second},
		{"slow endpoint doubles", slow, 3, 0, 1, 40 * time.Second},
		{"slow endpoint caps at its interval", slow, 20, 0, 1, slow},
		{"retry-after wins when longer", fast, 1, 90 * time.Second, 1, 90 * time.Second},
		{"retry-after shorter than backoff", slow, 3, time.Second, 1, 40 * time.Second},
	}
	for _, c := range cases {
		if got := NextDelay(c.interval, fast, c.failures, c.retryAfter, c.r); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFlexStringInvalidUTF8AsEncodingJSON(t *testing.T) {
	var f flexString
	var s string
	in := []byte("\"a\xffb\"")
	if err := f.UnmarshalJSON(in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(in, &s); err != nil {
		t.Fatal(err)
	}
	if string(f) != s {
		t.Errorf("flexString %q, encoding/json %q", f, s)
	}
}
