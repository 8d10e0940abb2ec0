package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/authsdk/authsdk/sdk"
)

// readBody reads a response body to EOF and closes it, refusing more than
// MaxResponseBytes. Content-Length only sizes the first buffer (capped) and
// refuses early when it already exceeds the bound: test transports set it
// to 0 or leave it wrong.
func readBody(rsp *http.Response, limit int) ([]byte, error) {
	defer rsp.Body.Close()
	if rsp.ContentLength > int64(limit) {
		return nil, sdk.ErrResponseTooLarge
	}
	size := 512
	if rsp.ContentLength > 0 {
		size = int(min(rsp.ContentLength, firstBufCap)) + 1 // +1: room to see EOF without growing
	}
	var buf []byte
	if p, ok := bodyPool.Get().(*[]byte); ok && cap(*p) >= size {
		buf = (*p)[:0]
	} else {
		buf = make([]byte, 0, max(size, pooledBody))
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := rsp.Body.Read(buf[len(buf):min(cap(buf), limit+1)])
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, sdk.ErrResponseTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// bodyPool keeps read buffers of up to pooledBody bytes between calls:
// most answers are a few KiB, and a buffer per call was garbage the moment
// the answer was decoded (nothing decoded keeps a reference to it).
var bodyPool sync.Pool // *[]byte

const pooledBody = 16 << 10

// release hands the call's body buffer back for another call; the body
// must not be used afterwards (errors hold copies).
func (c *call) release() {
	if b := c.body; cap(b) >= pooledBody && cap(b) <= 4*pooledBody {
		b = b[:0]
		bodyPool.Put(&b)
	}
	c.body = nil
}

// decode unmarshals a 2xx JSON body into v. A body of null is an error: the
// operation promised an object.
func (c *call) decode(v any) error {
	ct := c.rsp.Header.Get("Content-Type")
	if ct != "" && !isJSONType(ct) {
		return badAnswer(c.op, c.rsp.StatusCode, "%d response has content type %q, want application/json", c.rsp.StatusCode, c.text(ct))
	}
	body := bytes.TrimSpace(c.body)
	if len(body) == 0 {
		return badAnswer(c.op, c.rsp.StatusCode, "%d response has an empty body", c.rsp.StatusCode)
	}
	if string(body) == "null" {
		return badAnswer(c.op, c.rsp.StatusCode, "%d response body is null", c.rsp.StatusCode)
	}
	if t := reflect.TypeOf(v).Elem(); !scanFree(body, t) {
		if need, err := answerCost(body, t); err != nil {
			return badAnswer(c.op, c.rsp.StatusCode, "%d response: %s", c.rsp.StatusCode, c.text(err.Error()))
		} else if limit := decodeAmplification * int64(len(body)); need > limit && len(body) > minCheckedBody {
			return badAnswer(c.op, c.rsp.StatusCode, "%d response of %d bytes would take about %d bytes to decode (more than %d× its size): refused",
				c.rsp.StatusCode, len(body), need, decodeAmplification)
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		// Decode errors quote the input (an 8 MiB number, say): bound them.
		return badAnswer(c.op, c.rsp.StatusCode, "decode %d response: %s", c.rsp.StatusCode, c.text(err.Error()))
	}
	if c.echoes(body) {
		c.scrubStrings(reflect.ValueOf(v))
	}
	return nil
}

// isJSONType reports whether the media type ct is JSON (application/json
// or any +json), without ParseMediaType's map in the common case.
func isJSONType(ct string) bool {
	if ct == "application/json" || ct == "application/json; charset=utf-8" {
		return true
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// echoes reports whether body holds a secret of the client or the call: a
// server echoing the token into a name would otherwise put it in a plain
// string field of the result, where it prints.
func (c *call) echoes(body []byte) bool {
	if len(body) == 0 {
		return false
	}
	text := unsafe.String(&body[0], len(body)) // read only, while body lives
	for _, s := range c.core.scrubber.secrets {
		if strings.Contains(text, s.value) {
			return true
		}
	}
	for _, v := range c.sec.Secrets {
		if len(v) >= minSecretLen && strings.Contains(text, v) {
			return true
		}
	}
	return c.sec.PathValue != "" && len(c.sec.PathValue) >= minSecretLen && strings.Contains(text, c.sec.PathValue)
}

var secretType = reflect.TypeFor[sdk.Secret]()

// scrubStrings redacts the client's and the call's secrets from every
// plain string a decoded result holds (an sdk.Secret field keeps its
// value: it is meant to carry a credential, and never prints).
func (c *call) scrubStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			c.scrubStrings(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				c.scrubStrings(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			c.scrubStrings(v.Index(i))
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if e := it.Value(); e.Kind() == reflect.String && e.Type() != secretType {
				v.SetMapIndex(it.Key(), reflect.ValueOf(c.scrub(e.String())).Convert(e.Type()))
			}
		}
	case reflect.String:
		if v.Type() != secretType && v.CanSet() {
			v.SetString(c.scrub(v.String()))
		}
	}
}

// A hostile answer can make a small body decode into a large heap: "null"
// (5 bytes in an array) becomes a whole struct, "{}" too. The body limit
// bounds bytes, not memory: answerCost walks the body against the type it
// decodes into and refuses more than decodeAmplification × the body.
const decodeAmplification = 8

// An answer is decoded without the cost scan when, whatever its shape, it
// cannot cost more than ScanFreeWorst: its length times the most one byte
// of it can make the decoder allocate into the result type (worstPerByte:
// "0," in an array of structs grows the slice by a whole struct, twice
// over while it doubles), and at most ScanFreeBody bytes. Skipping the scan
// keeps ordinary calls at their net/http + encoding/json floor. Such a body
// is still scanned when it may hold a null array element
// (mayHoldNullElement): the decoder would turn [null] into an empty result
// where objects are promised.
const (
	ScanFreeBody  = 64 << 10
	ScanFreeWorst = 4 << 20
)

// minCheckedBody: below it an answer is never refused for its ratio (an
// empty object decodes into a whole struct: many times its size, but a
// few hundred bytes).
const minCheckedBody = 1 << 10

// scanFree reports whether body may be decoded into t without the scan.
func scanFree(body []byte, t reflect.Type) bool {
	return len(body) <= ScanFreeBody && int64(len(body))*infoOf(t).worstPerByte <= ScanFreeWorst && !mayHoldNullElement(body)
}

// ScanFreeLimit is the largest answer decoded into t without the scan.
func ScanFreeLimit(t reflect.Type) int {
	return int(min(ScanFreeBody, ScanFreeWorst/max(infoOf(t).worstPerByte, 1)))
}

// mayHoldNullElement reports whether body may hold null as an array element
// ("[null" or ",null", whitespace allowed): a cheap look for what only the
// scan can refuse. A null inside a string may make it say yes; never no
// when there is one.
func mayHoldNullElement(body []byte) bool {
	for i := 0; ; {
		j := bytes.Index(body[i:], nullLiteral)
		if j < 0 {
			return false
		}
		k := i + j - 1
		for k >= 0 && whitespace[body[k]] {
			k--
		}
		if k >= 0 && (body[k] == '[' || body[k] == ',') {
			return true
		}
		i += j + len(nullLiteral)
	}
}

var nullLiteral = []byte("null")

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

// typeInfo is what the scanner needs of a type, worked out once.
type typeInfo struct {
	kind    reflect.Kind
	size    int64          // of the type itself
	custom  bool           // has its own UnmarshalJSON: costed as generic JSON
	elem    *typeInfo      // pointer, slice or map element
	entry   int64          // map: key + element size
	objects bool           // slice of structs: every element must be an object
	fields  map[string]int // struct: field name → its index in folded
	folded  []foldedField  // the fields in declaration order
	// worstPerByte bounds what one byte of an answer can make the decoder
	// allocate into this type (see scanFree).
	worstPerByte int64
}

type foldedField struct {
	name string
	info *typeInfo
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	typeInfos       sync.Map // reflect.Type → *typeInfo
)

func infoOf(t reflect.Type) *typeInfo {
	if ti, ok := typeInfos.Load(t); ok {
		return ti.(*typeInfo)
	}
	// Built whole under a lock and published only when complete: a reader
	// never sees a typeInfo whose fields are still being filled in.
	typeInfosMu.Lock()
	defer typeInfosMu.Unlock()
	building := map[reflect.Type]*typeInfo{}
	ti := buildInfo(t, building)
	for _, bi := range building { // every type built here may be looked up alone later
		bi.worstPerByte = worstPerByte(bi, map[*typeInfo]bool{})
	}
	for bt, bi := range building {
		typeInfos.LoadOrStore(bt, bi)
	}
	return ti
}

// worstPerByte is the most one byte of JSON can cost decoding into t or
// anything it holds: an element of a slice ("0," two bytes; the slice's
// storage grows by doubling, so what was allocated on the way reaches four
// times its final length: twice the element size per byte), a map entry
// ("\"\":0," five bytes, twice), a string or boxed value (16 bytes of
// header for two bytes, plus the string's own bytes, up to three per byte).
//
// perElement is what the decoder allocates per element besides its storage
// (under either engine, an error value for each element of the wrong type).
const perElement = 192

func worstPerByte(t *typeInfo, seen map[*typeInfo]bool) int64 {
	if t == nil || seen[t] {
		return 0
	}
	seen[t] = true
	w := int64(8 + 3)
	switch {
	case t.custom, t.kind == reflect.Interface:
		w = max(w, 64+3) // generic JSON: a map entry or a boxed value per token
	case t.kind == reflect.Slice:
		w = max(w, 2*t.elem.size+perElement, worstPerByte(t.elem, seen))
	case t.kind == reflect.Map:
		w = max(w, 2*t.entry/5+3, worstPerByte(t.elem, seen))
	case t.kind == reflect.Pointer:
		w = max(w, worstPerByte(t.elem, seen))
	case t.kind == reflect.Struct:
		for _, f := range t.folded {
			w = max(w, worstPerByte(f.info, seen))
		}
	}
	return w
}

var typeInfosMu sync.Mutex

func buildInfo(t reflect.Type, building map[reflect.Type]*typeInfo) *typeInfo {
	if ti, ok := typeInfos.Load(t); ok {
		return ti.(*typeInfo)
	}
	if ti, ok := building[t]; ok {
		return ti // a recursive type: its entry is being filled in
	}
	ti := &typeInfo{kind: t.Kind(), size: int64(t.Size()), custom: reflect.PointerTo(t).Implements(unmarshalerType)}
	building[t] = ti
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice:
		ti.elem = buildInfo(t.Elem(), building)
		ti.objects = t.Kind() == reflect.Slice && ti.elem.kind == reflect.Struct && !ti.elem.custom
	case reflect.Map:
		ti.elem, ti.entry = buildInfo(t.Elem(), building), int64(t.Key().Size()+t.Elem().Size())
	case reflect.Struct:
		ti.fields = map[string]int{}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			fi := buildInfo(f.Type, building)
			ti.fields[name] = len(ti.folded)
			ti.folded = append(ti.folded, foldedField{name, fi})
		}
	}
	return ti
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

// foldedField is the field a key matches case-insensitively, as both of
// encoding/json's engines match it (strings.EqualFold on the unescaped key,
// Unicode-wide: "connectionſ" and "\u212Aey" name fields too), or -1. The
// first field in declaration order wins, as the decoder's index does.
func (t *typeInfo) foldedField(key []byte) int {
	ascii := true
	for _, c := range key {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	for i, f := range t.folded {
		// An ASCII key folds only onto a name of its length (field names
		// are ASCII); one with other runes (ſ, K) may not.
		if (!ascii || len(f.name) == len(key)) && strings.EqualFold(f.name, string(key)) {
			return i
		}
	}
	return -1
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

// MaxResponseBytes bounds every response body the SDK reads.
const MaxResponseBytes = 16 << 20

// firstBufCap caps the buffer sized from Content-Length: a lying header
// must not make the SDK allocate what it says.
const firstBufCap = 64 << 10

// AnswerCost is the decode bound's estimate of what decoding body into t
// allocates, for the differential fuzz target that holds it against the
// decoder (sdk/plex FuzzDecodeBound).
func AnswerCost(body []byte, t reflect.Type) (int64, error) { return answerCost(body, t) }
