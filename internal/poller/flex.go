package poller

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// flexString decodes a JSON string, number or boolean as a string; null as "".
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*s = ""
	case b[0] == '"':
		// Fast path: the decoder has validated the literal already, so one
		// without escapes or invalid UTF-8 (which encoding/json turns into
		// U+FFFD) is its bytes between the quotes.
		if len(b) >= 2 && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
			*s = flexString(b[1 : len(b)-1])
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case b[0] == '{' || b[0] == '[':
		*s = "" // a structure where a scalar was expected: ignore it
	default:
		*s = flexString(b)
	}
	return nil
}

// flexInt decodes a JSON number, or a string holding one, as an int; null,
// empty or unparsable values as 0.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	str := strings.TrimSpace(string(s))
	if str == "" {
		*n = 0
		return nil
	}
	if v, err := strconv.ParseInt(str, 10, 64); err == nil {
		*n = flexInt(v)
		return nil
	}
	if f, err := strconv.ParseFloat(str, 64); err == nil {
		*n = flexInt(int(f))
		return nil
	}
	*n = 0
	return nil
}

// flexBool decodes true/false, or the strings "true"/"false", as a bool.
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*v = flexBool(strings.EqualFold(strings.TrimSpace(string(s)), "true"))
	return nil
}

// flexTime decodes a date given as epoch milliseconds (number or string) or
// as an ISO-8601 string in the forms Bitbucket uses. Null, empty and
// unparsable values decode as the zero time rather than failing the payload.
type flexTime time.Time

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.000Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.000Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
}

func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = flexTime(parseFlexTime(string(s)))
	return nil
}

func parseFlexTime(s string) time.Time {
	t := parseTimeValue(s)
	if t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{} // outside what any server means: unknown
	}
	return t
}

func parseTimeValue(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		if v <= 0 {
			return time.Time{}
		}
		if v < 100_000_000_000 { // seconds, not milliseconds
			return time.Unix(v, 0).UTC()
		}
		return time.UnixMilli(v).UTC()
	}
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			return v.UTC()
		}
	}
	return time.Time{}
}

// Time returns the decoded time (zero when absent).
func (t flexTime) Time() time.Time { return time.Time(t) }

// upper normalises an enum value for comparison; unknown values are kept.
func upper(s flexString) string { return strings.ToUpper(strings.TrimSpace(string(s))) }
