package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// maxScanDepth bounds answerCost's recursion (encoding/json stops at 10000).
const maxScanDepth = 10000

// answerCost estimates the heap that decoding body into t allocates, and
// refuses what the operation cannot mean: an element that is not an object
// in an array of objects ([null,…] would decode as empty results).
func answerCost(body []byte, t reflect.Type) (int64, error) {
	s := scanner{b: body}
	s.value(infoOf(t), 0)
	return s.cost + int64(len(body)), s.err
}

type scanner struct {
	b       []byte
	i       int
	cost    int64
	err     error
	escaped bool // the last string str read held an escape
}

// value consumes one JSON value, adding what decoding it into t allocates
// beyond t's own storage (counted by the caller); t nil = skipped (an
// unknown field: the decoder allocates nothing for it).
func (s *scanner) value(t *typeInfo, depth int) {
	s.space()
	if s.err != nil || s.i >= len(s.b) {
		return
	}
	if depth > maxScanDepth {
		s.fail("the answer nests deeper than %d levels", maxScanDepth)
		return
	}
	if t == nil {
		s.skip()
		return
	}
	for t.kind == reflect.Pointer {
		if s.literal("null") {
			return
		}
		s.cost += t.elem.size
		t = t.elem
	}
	switch c := s.b[s.i]; {
	case c == '"':
		n := s.str()
		if t.kind == reflect.String || t.kind == reflect.Interface || t.custom {
			s.cost += int64(n) + 16
		}
	case t.custom && t.kind != reflect.Struct, t.kind == reflect.Interface:
		s.generic(depth)
	case c == '{' && t.kind == reflect.Struct && !t.custom:
		s.object(t, depth)
	case c == '{' && t.kind == reflect.Map:
		s.mapping(t, depth)
	case c == '[' && t.kind == reflect.Slice:
		s.array(t, depth)
	case c == '{' || c == '[':
		s.generic(depth) // a custom decoder, or a shape the decoder will refuse
	default:
		s.scalar()
	}
}

func (s *scanner) object(t *typeInfo, depth int) {
	s.i++     // {
	next := 0 // servers send fields in one order: try the one after the last match first
	for s.next('}') {
		key, ok := s.decodedKey()
		if !ok {
			// Fail closed: a key the scan cannot read as the decoder would
			// (a broken escape) could name any field; the decoder refuses
			// such a body anyway.
			s.fail("an object key is not a valid JSON string")
			return
		}
		var ft *typeInfo
		if next < len(t.folded) && t.folded[next].name == string(key) {
			ft = t.folded[next].info
			next++
		} else if i, ok := t.fields[string(key)]; ok { // no allocation: the compiler looks up []byte keys in place
			ft, next = t.folded[i].info, i+1
		} else if i := t.foldedField(key); i >= 0 {
			ft = t.folded[i].info
		}
		s.value(ft, depth+1)
	}
}

// decodedKey consumes an object key and its colon and returns the key as
// the decoder sees it: escapes resolved by encoding/json itself, so the
// scan and the decoder cannot disagree on which field a key names. ok is
// false when the key is not a valid JSON string.
func (s *scanner) decodedKey() (key []byte, ok bool) {
	s.space()
	start := s.i
	if start >= len(s.b) || s.b[start] != '"' {
		s.key()
		return nil, false
	}
	key = s.key()
	if !s.escaped {
		return key, true
	}
	end := start + 1 + len(key) + 1
	if end > len(s.b) {
		return nil, false
	}
	var k string
	if json.Unmarshal(s.b[start:end], &k) != nil {
		return nil, false
	}
	return []byte(k), true
}

func (s *scanner) mapping(t *typeInfo, depth int) {
	s.i++ // {
	for s.next('}') {
		s.cost += int64(len(s.key())) + 2*t.entry
		s.value(t.elem, depth+1)
	}
}

// array: a slice grows by doubling as the decoder appends, so its element
// storage costs up to twice the final length at once.
func (s *scanner) array(t *typeInfo, depth int) {
	s.i++ // [
	for s.next(']') {
		s.cost += 2 * t.elem.size
		if t.objects {
			if s.space(); s.i < len(s.b) && s.b[s.i] != '{' {
				s.fail("an array of objects holds a %s", jsonKindAt(s.b[s.i]))
				return
			}
		}
		s.value(t.elem, depth+1)
	}
}

// generic is what decoding into any costs: maps, slices and boxed values.
func (s *scanner) generic(depth int) {
	if depth > maxScanDepth {
		s.fail("the answer nests deeper than %d levels", maxScanDepth)
		return
	}
	switch s.b[s.i] {
	case '{':
		s.i++
		s.cost += 64
		for s.next('}') {
			s.cost += int64(len(s.key())) + 64
			s.space()
			if s.i < len(s.b) {
				s.generic(depth + 1)
			}
		}
	case '[':
		s.i++
		s.cost += 32
		for s.next(']') {
			s.cost += 32
			s.space()
			if s.i < len(s.b) {
				s.generic(depth + 1)
			}
		}
	case '"':
		s.cost += int64(s.str()) + 16
	default:
		s.scalar()
		s.cost += 16
	}
}

// next reports whether another member or element follows, consuming the
// comma before it, or the closing bracket after the last.
func (s *scanner) next(end byte) bool {
	s.space()
	if s.err != nil || s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case end:
		s.i++
		return false
	case ',':
		s.i++
		s.space()
	}
	return s.i < len(s.b) && s.b[s.i] != end
}

// key consumes an object key and its colon, returning its raw bytes.
func (s *scanner) key() []byte {
	s.space()
	start := s.i + 1
	n := s.str()
	key := s.b[start:min(start+n, len(s.b))]
	s.space()
	if s.i < len(s.b) && s.b[s.i] == ':' {
		s.i++
	}
	return key
}

// str consumes a string and returns its raw length (escapes included).
func (s *scanner) str() int {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		s.scalar()
		return 0
	}
	start := s.i + 1
	s.escaped = false
	for s.i = start; s.i < len(s.b); {
		// Jump to the next quote; an escape before it may hide it (\").
		q := bytes.IndexByte(s.b[s.i:], '"')
		if q < 0 {
			s.i = len(s.b)
			break
		}
		if e := bytes.IndexByte(s.b[s.i:s.i+q], '\\'); e >= 0 {
			s.i += e + 2 // the escape and the byte it escapes
			s.escaped = true
			continue
		}
		s.i += q + 1
		return s.i - 1 - start
	}
	s.i = min(s.i, len(s.b))
	return s.i - start
}

// scalar consumes a number, true, false or null (or any stray bytes up to
// a delimiter: the decoder reports those).
func (s *scanner) scalar() {
	start := s.i
	for s.i < len(s.b) && !delimiter[s.b[s.i]] {
		s.i++
	}
	if s.i == start && s.i < len(s.b) {
		s.i++ // a delimiter where a value belongs: move on, the decoder refuses it
	}
}

// skip consumes any value without counting it, iteratively (no recursion
// for a deep unknown field).
func (s *scanner) skip() {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.str()
		case '{', '[':
			depth++
			s.i++
		case '}', ']':
			depth--
			s.i++
		case ',', ':', ' ', '\t', '\r', '\n':
			s.i++
		default:
			s.scalar()
		}
		if depth <= 0 {
			if depth < 0 {
				s.i-- // the parent's closing bracket
			}
			return
		}
	}
}

func (s *scanner) literal(lit string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		s.i += len(lit)
		return true
	}
	return false
}

func (s *scanner) space() {
	for s.i < len(s.b) && s.b[s.i] <= ' ' && whitespace[s.b[s.i]] {
		s.i++
	}
}

// whitespace and delimiter: JSON's insignificant bytes, and what ends a
// number or literal.
var whitespace, delimiter = func() (w, d [256]bool) {
	for _, c := range " \t\r\n" {
		w[c], d[c] = true, true
	}
	for _, c := range ",}]" {
		d[c] = true
	}
	return w, d
}()

func (s *scanner) fail(format string, args ...any) {
	if s.err == nil {
		s.err = &scanError{format, args}
	}
}

type scanError struct {
	format string
	args   []any
}

func (e *scanError) Error() string { return fmt.Sprintf(e.format, e.args...) }

func jsonKindAt(c byte) string {
	switch c {
	case 'n':
		return "null"
	case '"':
		return "string"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

// AnswerCost is the decode bound's estimate of what decoding body into t
// allocates, for the differential fuzz target that holds it against the
// decoder (sdk/plex FuzzDecodeBound).
func AnswerCost(body []byte, t reflect.Type) (int64, error) { return answerCost(body, t) }
