// Package tomlkeys locates and names what a TOML file holds, for error
// messages that point at a line: where each key, table and array element
// is defined, the TOML type of a decoded value, and the known key a
// mistyped one most likely meant. It reads text that already parsed.
package tomlkeys

import (
	"strconv"
	"strings"
)

// Lines maps key paths such as "poll.fast", "primary.auth" or
// "farm[2].node[1].url" (1-based array indexes) to the 1-based line that
// defines them. Tables map to their header line, array-of-tables elements
// to their [[header]] line.
type Lines map[string]int

// Exact returns the line of key, or 0.
func (ix Lines) Exact(key string) int {
	return ix[key]
}

// Line returns the line of key or, when the file does not define it, of
// the nearest enclosing table or array element that it does define.
func (ix Lines) Line(key string) int {
	for key != "" {
		if n, ok := ix[key]; ok {
			return n
		}
		key = parent(key)
	}
	return 0
}

// parent strips the last ".name" or "[n]" from a key path.
func parent(key string) string {
	if strings.HasSuffix(key, "]") {
		if i := strings.LastIndexByte(key, '['); i > 0 {
			return key[:i]
		}
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

// Join appends a key segment to a key path.
func Join(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + "." + seg
}

// Indexed appends a 1-based array index to a key path.
func Indexed(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// Index scans TOML text that has already parsed successfully and
// records where every table, array element and key is defined. It follows
// [table] and [[array]] headers (counting array elements), dotted and
// quoted keys, inline tables and arrays, and skips strings, including
// multi-line ones, so that their content is never mistaken for keys.
func Index(src string) Lines {
	s := &lineScanner{src: src, line: 1, ix: Lines{}, arrays: map[string]int{}}
	table := ""
	for {
		s.skipBlank()
		if s.eof() {
			break
		}
		start := s.pos
		if s.peek() == '[' {
			array := strings.HasPrefix(s.src[s.pos:], "[[")
			if array {
				s.pos += 2
			} else {
				s.pos++
			}
			line := s.line
			segs := s.key()
			table = s.header(segs, array, line)
		} else {
			line := s.line
			segs := s.key()
			s.skipSpaces()
			if s.peek() == '=' {
				s.pos++
			}
			if len(segs) > 0 {
				s.value(s.record(table, segs, line))
			}
		}
		s.skipLine()
		if s.pos == start {
			s.advance()
		}
	}
	return s.ix
}

// lineScanner is the state of indexLines.
type lineScanner struct {
	src    string
	pos    int
	line   int
	ix     Lines
	arrays map[string]int // element count of each array of tables
}

func (s *lineScanner) eof() bool { return s.pos >= len(s.src) }

func (s *lineScanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.pos]
}

// advance moves one byte forward, counting lines.
func (s *lineScanner) advance() {
	if s.eof() {
		return
	}
	if s.src[s.pos] == '\n' {
		s.line++
	}
	s.pos++
}

// skipSpaces skips spaces and tabs.
func (s *lineScanner) skipSpaces() {
	for c := s.peek(); c == ' ' || c == '\t'; c = s.peek() {
		s.pos++
	}
}

// skipLine skips to the end of the line, leaving the newline.
func (s *lineScanner) skipLine() {
	for !s.eof() && s.peek() != '\n' {
		s.pos++
	}
}

// skipBlank skips whitespace, newlines and comments.
func (s *lineScanner) skipBlank() {
	for !s.eof() {
		switch s.peek() {
		case ' ', '\t', '\r', '\n':
			s.advance()
		case '#':
			s.skipLine()
		default:
			return
		}
	}
}

// key reads a possibly dotted, possibly quoted key.
func (s *lineScanner) key() []string {
	var segs []string
	for {
		s.skipSpaces()
		switch c := s.peek(); {
		case c == '"' || c == '\'':
			segs = append(segs, s.str())
		case isBare(c):
			start := s.pos
			for isBare(s.peek()) {
				s.pos++
			}
			segs = append(segs, s.src[start:s.pos])
		default:
			return segs
		}
		s.skipSpaces()
		if s.peek() != '.' {
			return segs
		}
		s.pos++
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// header records a [table] or [[array]] header and returns its key path.
func (s *lineScanner) header(segs []string, array bool, line int) string {
	path := ""
	for i, seg := range segs {
		path = Join(path, seg)
		last := i == len(segs)-1
		switch n := s.arrays[path]; {
		case last && array:
			if _, ok := s.ix[path]; !ok {
				s.ix[path] = line
			}
			s.arrays[path] = n + 1
			path = Indexed(path, n+1)
		case n > 0:
			path = Indexed(path, n)
		}
		if _, ok := s.ix[path]; !ok || last {
			s.ix[path] = line
		}
	}
	return path
}

// record records a key defined at line inside table and returns its path.
func (s *lineScanner) record(table string, segs []string, line int) string {
	path := table
	for _, seg := range segs {
		path = Join(path, seg)
		if _, ok := s.ix[path]; !ok {
			s.ix[path] = line
		}
	}
	return path
}

// value skips a value, recording the keys of inline tables and the
// elements of arrays under path.
func (s *lineScanner) value(path string) {
	s.skipSpaces()
	if _, ok := s.ix[path]; !ok {
		s.ix[path] = s.line
	}
	switch s.peek() {
	case '"', '\'':
		s.str()
	case '[':
		s.pos++
		for i := 1; ; {
			s.skipBlank()
			switch s.peek() {
			case 0:
				return
			case ']':
				s.pos++
				return
			case ',':
				s.pos++
				continue
			}
			start := s.pos
			s.value(Indexed(path, i))
			i++
			if s.pos == start {
				s.advance()
			}
		}
	case '{':
		s.pos++
		for {
			s.skipBlank()
			switch s.peek() {
			case 0:
				return
			case '}':
				s.pos++
				return
			case ',':
				s.pos++
				continue
			}
			line := s.line
			segs := s.key()
			if len(segs) == 0 {
				s.advance()
				continue
			}
			s.skipSpaces()
			if s.peek() == '=' {
				s.pos++
			}
			s.value(s.record(path, segs, line))
		}
	default:
		for !s.eof() && !strings.ContainsRune(",]}#\r\n", rune(s.peek())) {
			s.pos++
		}
	}
}

// str skips a basic, literal or multi-line string and returns its content
// (escapes are decoded where Go's rules agree with TOML's).
func (s *lineScanner) str() string {
	rest := s.src[s.pos:]
	switch {
	case strings.HasPrefix(rest, `"""`), strings.HasPrefix(rest, `'''`):
		delim := rest[:3]
		s.pos += 3
		start := s.pos
		for !s.eof() {
			if delim[0] == '"' && s.peek() == '\\' {
				s.advance()
				s.advance()
				continue
			}
			if strings.HasPrefix(s.src[s.pos:], delim) {
				end := s.pos
				s.pos += 3
				// Up to two quotes right before the delimiter belong to the content.
				for i := 0; i < 2 && s.peek() == delim[0]; i++ {
					s.pos++
					end++
				}
				return s.src[start:end]
			}
			s.advance()
		}
		return s.src[start:]
	default:
		q := s.peek()
		s.pos++
		start := s.pos
		for !s.eof() && s.peek() != q && s.peek() != '\n' {
			if q == '"' && s.peek() == '\\' {
				s.pos++
			}
			s.pos++
		}
		raw := s.src[start:min(s.pos, len(s.src))]
		if !s.eof() && s.peek() == q {
			s.pos++
		}
		if q == '"' {
			if u, err := strconv.Unquote(`"` + raw + `"`); err == nil {
				return u
			}
		}
		return raw
	}
}
