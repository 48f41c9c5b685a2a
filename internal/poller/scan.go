package poller

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// scanner reads the two big paged resources (repositories and sync
// statuses: hundreds of megabytes per hash cycle at 100 000 repositories)
// without reflection. It accepts only the documented types of the fields it
// keeps; anything else — an escape in a kept string, a null, a number where
// a string is documented, a key that differs only in case — makes it give up
// with errFallback, and the page is decoded again by encoding/json with the
// lenient wire types, which also words any syntax error. Values it skips are
// fully validated, so it never accepts a body encoding/json would reject.
type scanner struct {
	b     []byte
	i     int
	known []string // the keys of the object being read, for skipUnknown
}

// errFallback means "decode this page the general way".
var errFallback = errors.New("page needs the general decoder")

const maxScanDepth = 512

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips whitespace and returns the next byte (0 at the end).
func (s *scanner) next() byte {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return s.b[s.i]
	}
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// consume skips whitespace and consumes c if it comes next.
func (s *scanner) consume(c byte) bool {
	if s.next() == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// plainString reads a string without escapes, control characters or
// invalid UTF-8 and returns its bytes (aliasing the input).
func (s *scanner) plainString() ([]byte, bool) {
	v, ascii, ok := s.plainStringASCII()
	if ok && !ascii && !utf8.Valid(v) {
		return nil, false
	}
	return v, ok
}

// plainStringASCII is plainString, also telling whether the string is
// ASCII; it leaves UTF-8 validation to the caller.
func (s *scanner) plainStringASCII() (v []byte, ascii, ok bool) {
	if s.next() != '"' {
		return nil, false, false
	}
	start := s.i + 1
	end := bytes.IndexByte(s.b[start:], '"')
	if end < 0 {
		return nil, false, false
	}
	v = s.b[start : start+end]
	special, ascii := scanSpecial(v)
	if special {
		return nil, false, false
	}
	s.i = start + end + 1
	return v, ascii, true
}

// scanSpecial reports whether v holds a backslash or a control character,
// and whether it is all ASCII, eight bytes at a time.
func scanSpecial(v []byte) (special, ascii bool) {
	if bytes.IndexByte(v, '\\') >= 0 {
		return true, false
	}
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var high uint64
	i := 0
	for ; i+8 <= len(v); i += 8 {
		x := binary.LittleEndian.Uint64(v[i:])
		// A byte below 0x20 (with its high bit clear) makes
		// (x - 0x20 per byte) & ^x carry into that byte's high bit.
		if (x-ones*0x20)&^x&highs != 0 {
			return true, false
		}
		high |= x
	}
	for ; i < len(v); i++ {
		if v[i] < 0x20 {
			return true, false
		}
		high |= uint64(v[i])
	}
	return false, high&highs == 0
}

// key reads an object key and the colon after it. Keys with escapes or
// non-ASCII bytes are refused: encoding/json folds them in ways not worth
// repeating here.
func (s *scanner) key() ([]byte, bool) {
	if s.next() != '"' {
		return nil, false
	}
	// Keys are short: a plain loop beats the vectorised search.
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			k := s.b[s.i+1 : j]
			s.i = j + 1
			if !s.consume(':') {
				return nil, false
			}
			return k, true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// number reads a JSON number and returns its text.
func (s *scanner) number() ([]byte, bool) {
	s.ws()
	b, i := s.b, s.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return nil, false
		}
	}
	s.i = i
	return b[start:i], true
}

// integer reads a JSON number that is a plain integer fitting an int.
func (s *scanner) integer() (int, bool) {
	t, ok := s.number()
	if !ok {
		return 0, false
	}
	n := 0
	neg := len(t) > 0 && t[0] == '-'
	if neg {
		t = t[1:]
	}
	if len(t) == 0 || len(t) > 18 {
		return 0, false
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// boolean reads true or false.
func (s *scanner) boolean() (bool, bool) {
	s.ws()
	switch {
	case s.literal("true"):
		return true, true
	case s.literal("false"):
		return false, true
	}
	return false, false
}

func (s *scanner) literal(l string) bool {
	if len(s.b)-s.i >= len(l) && string(s.b[s.i:s.i+len(l)]) == l {
		s.i += len(l)
		return true
	}
	return false
}

// skip validates and skips any value.
func (s *scanner) skip(depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	switch c := s.next(); {
	case c == '"':
		return s.skipString()
	case c == '{':
		s.i++
		if s.consume('}') {
			return true
		}
		for {
			if s.next() != '"' || !s.skipString() || !s.consume(':') || !s.skip(depth+1) {
				return false
			}
			if s.consume('}') {
				return true
			}
			if !s.consume(',') {
				return false
			}
		}
	case c == '[':
		s.i++
		if s.consume(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.consume(']') {
				return true
			}
			if !s.consume(',') {
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		_, ok := s.number()
		return ok
	}
}

// skipString validates and skips a string (escapes included).
func (s *scanner) skipString() bool {
	b := s.b
	for j := s.i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(b) {
				return false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return false
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// object calls field for each key of an object; field must consume the
// value, and pass keys it does not keep to skipUnknown.
func (s *scanner) object(known []string, field func(k []byte) bool) bool {
	if !s.consume('{') {
		return false
	}
	if s.consume('}') {
		return true
	}
	for {
		k, ok := s.key()
		s.known = known
		if !ok || !field(k) {
			return false
		}
		if s.consume('}') {
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

// skipUnknown skips the value of a key the reader does not keep. A key
// that differs from a kept one only in case is refused: encoding/json would
// fold it onto that field.
func (s *scanner) skipUnknown(k []byte, depth int) bool {
	return !foldsOntoOther(k, s.known) && s.skip(depth)
}

func foldsOntoOther(k []byte, known []string) bool {
	for _, n := range known {
		if len(n) == len(k) && string(k) != n && strings.EqualFold(string(k), n) {
			return true
		}
	}
	return false
}

// array calls elem for each element of an array; elem must consume it.
func (s *scanner) array(elem func() bool) bool {
	if !s.consume('[') {
		return false
	}
	if s.consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if s.consume(']') {
			return true
		}
		if !s.consume(',') {
			return false
		}
	}
}

// pageFields reads the paging fields of a page object into m, reporting
// whether k was one of them.
func (s *scanner) pageField(k []byte, m *pageMeta, ok *bool) bool {
	switch string(k) {
	case "size", "limit", "start", "nextPageStart":
		n, good := s.integer()
		if !good {
			*ok = false
			return true
		}
		switch string(k) {
		case "size":
			m.Size = flexInt(n)
		case "limit":
			m.Limit = flexInt(n)
		case "start":
			m.Start = flexInt(n)
		default:
			v := flexInt(n)
			m.NextPageStart = &v
		}
		return true
	case "isLastPage":
		v, good := s.boolean()
		if !good {
			*ok = false
			return true
		}
		b := flexBool(v)
		m.IsLastPage = &b
		return true
	}
	return false
}

var pageKeys = []string{"size", "limit", "start", "nextPageStart", "isLastPage", "values"}

// isoTime parses the API's usual date form, 2006-01-02T15:04:05.000Z, to
// what parseFlexTime gives for it; any other text goes to parseFlexTime.
func isoTime(b []byte) time.Time {
	if len(b) != 24 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != '.' || b[23] != 'Z' {
		return parseFlexTime(string(b))
	}
	num := func(p, n int) int {
		v := 0
		for _, c := range b[p : p+n] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec, ms := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2), num(20, 3)
	if y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0 {
		return parseFlexTime(string(b))
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ms*int(time.Millisecond), time.UTC)
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
