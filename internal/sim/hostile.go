package sim

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// hostileSamples are the hostile strings mixed into display strings, in the
// order of HostileSamples.
var hostileSamples = [...]string{
	// CSI: clear the screen and home the cursor; a red foreground.
	"\x1b[2J\x1b[H",
	"\x1b[31m",
	// OSC 0 and OSC 2 window titles, ended by BEL and by ST.
	"\x1b]0;pwned\x07",
	"\x1b]2;pwned\x1b\\",
	// An OSC 8 hyperlink and an OSC 52 clipboard write.
	"\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\",
	"\x1b]52;c;cm0gLXJmIH4K\x07",
	// BEL, backspace, carriage return.
	"\x07",
	"\b",
	"\r",
	// Bidi: right-to-left override, the isolates and their pop.
	"\u202e",
	"\u2066",
	"\u2067",
	"\u2068",
	"\u2069",
	// A C1 CSI (red foreground), then invalid UTF-8.
	"\u009b31m",
	"\xff\xfe",
}

// HostileSamples lists the hostile strings that display strings carry in
// hostile mode (see Options.Hostile and Fault.Hostile): CSI sequences, OSC
// 0 and 2 window titles, an OSC 8 hyperlink, an OSC 52 clipboard write,
// BEL, backspace, carriage return, the bidi override and isolate
// characters, a C1 CSI and invalid UTF-8. Each hostile display string is
// the original one with one sample before and another after it, chosen
// from the original. Inside JSON, control characters are escaped and the
// invalid UTF-8 bytes are sent as they are (a decoder such as
// encoding/json turns each into U+FFFD). The slice is a copy: changing it
// does not change what the simulator serves.
var HostileSamples = slices.Clone(hostileSamples[:])

// hostileText returns the hostile form of a display string: the string
// between two samples chosen from its hash. The empty string stays empty.
func hostileText(v string) string {
	if v == "" {
		return v
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(v))
	sum := h.Sum32()
	n := uint32(len(hostileSamples))
	a := sum % n
	b := (a + 1 + (sum/n)%(n-1)) % n
	return hostileSamples[a] + v + hostileSamples[b]
}

// decodedForm returns v as a JSON decoder such as encoding/json hands it
// back: each byte that is not part of valid UTF-8 becomes U+FFFD.
func decodedForm(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); {
		r, size := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(v[i : i+size])
		}
		i += size
	}
	return b.String()
}

// matchesHostile reports whether ref names v in its hostile form, as a
// client that decoded it from JSON sends it back (case-insensitively).
func matchesHostile(ref, v string) bool {
	return strings.EqualFold(decodedForm(ref), decodedForm(hostileText(v)))
}

// isHostile reports whether an answer goes out in hostile mode: the
// request passed through a server in hostile mode or matched a Hostile
// fault.
func isHostile(w http.ResponseWriter) bool {
	for {
		sw, ok := w.(*statusWriter)
		if !ok {
			return false
		}
		if sw.hostile {
			return true
		}
		w = sw.ResponseWriter
	}
}

// displayTag marks, with the value "display", the string fields of the
// JSON answer types that hold display strings: `sim:"display"`.
const displayTag = "sim"

// hostilizer rewrites the display strings of a JSON answer.
type hostilizer struct {
	invalid map[string]bool // hostile strings that are not valid UTF-8
}

func (h *hostilizer) text(v string) string {
	out := hostileText(v)
	if !utf8.ValidString(out) {
		if h.invalid == nil {
			h.invalid = map[string]bool{}
		}
		h.invalid[out] = true
	}
	return out
}

// hostileCopier is a JSON answer type that embeds an unexported struct
// type, whose fields reflection cannot set: it makes its hostile copy
// itself.
type hostileCopier interface {
	hostileCopy(h *hostilizer) any
}

// hostileCopyOf returns the hostile copy of v.
func hostileCopyOf[T any](h *hostilizer, v T) T {
	return h.copyValue(reflect.ValueOf(v)).Interface().(T)
}

// copyValue returns a deep copy of v in which every string (or *string)
// struct field tagged as a display string holds its hostile form.
func (h *hostilizer) copyValue(v reflect.Value) reflect.Value {
	if v.Kind() == reflect.Struct && v.CanInterface() {
		if c, ok := v.Interface().(hostileCopier); ok {
			return reflect.ValueOf(c.hostileCopy(h))
		}
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type()).Elem()
		out.Set(h.copyValue(v.Elem()))
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(v.Type().Elem())
		out.Elem().Set(h.copyValue(v.Elem()))
		return out
	case reflect.Struct:
		t := v.Type()
		out := reflect.New(t).Elem()
		out.Set(v)
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			fv := out.Field(i)
			if sf.Tag.Get(displayTag) != "display" {
				fv.Set(h.copyValue(v.Field(i)))
				continue
			}
			switch {
			case fv.Kind() == reflect.String:
				fv.SetString(h.text(fv.String()))
			case fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.String && !fv.IsNil():
				p := reflect.New(fv.Type().Elem())
				p.Elem().SetString(h.text(fv.Elem().String()))
				fv.Set(p)
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(h.copyValue(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(v.Type()).Elem()
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(h.copyValue(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		it := v.MapRange()
		for it.Next() {
			out.SetMapIndex(it.Key(), h.copyValue(it.Value()))
		}
		return out
	}
	return v
}

// restore puts the invalid UTF-8 bytes of the hostile strings back into
// an encoding/json output, which replaced each of them with \ufffd. Every
// hostile string holds at least one escaped character, so its quoted
// encoding can only match a whole JSON string.
func (h *hostilizer) restore(b []byte) []byte {
	for v := range h.invalid {
		var enc bytes.Buffer
		e := json.NewEncoder(&enc)
		e.SetEscapeHTML(false)
		if err := e.Encode(v); err != nil {
			continue
		}
		b = bytes.ReplaceAll(b, bytes.TrimSuffix(enc.Bytes(), []byte("\n")), appendRawJSONString(nil, v))
	}
	return b
}

// encodeJSON encodes v like a json.Encoder without HTML escaping (with a
// final newline). With hostile set, every display string is replaced by
// its hostile form first.
func encodeJSON(v any, hostile bool) ([]byte, error) {
	var h *hostilizer
	if hostile && v != nil {
		h = &hostilizer{}
		v = h.copyValue(reflect.ValueOf(v)).Interface()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if h != nil && len(h.invalid) > 0 {
		b = h.restore(b)
	}
	return b, nil
}

// appendRawJSONString appends v as a JSON string, escaping quotes,
// backslashes and control characters but keeping any invalid UTF-8 bytes
// as they are.
func appendRawJSONString(dst []byte, v string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// SetHostile switches hostile mode on or off for every server (see
// Options.Hostile). Requests already being answered are not affected.
func (s *Sim) SetHostile(on bool) { s.hostile.Store(on) }
