package core

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

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
