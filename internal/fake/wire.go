package fake

import (
	"encoding/json"
	"reflect"
	"sync"

	"github.com/authsdk/authsdk/sdk"
)

// WireJSON marshals an SDK value as a server sends it: like json.Marshal,
// but every sdk.Secret is written as its value, not redacted. The fakes
// answer with the SDK's own result types, whose secrets would otherwise
// go out as "REDACTED".
func WireJSON(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return []byte("null"), nil
	}
	return json.Marshal(reveal(rv).Interface())
}

var (
	secretType = reflect.TypeFor[sdk.Secret]()
	wireTypes  sync.Map // reflect.Type → reflect.Type
)

// wireType is t with every sdk.Secret replaced by string; t itself when it
// holds none (so time.Time and types with their own MarshalJSON keep it).
func wireType(t reflect.Type) reflect.Type {
	if w, ok := wireTypes.Load(t); ok {
		return w.(reflect.Type)
	}
	w := buildWireType(t, map[reflect.Type]bool{})
	wireTypes.Store(t, w)
	return w
}

func buildWireType(t reflect.Type, seen map[reflect.Type]bool) reflect.Type {
	if t == secretType {
		return reflect.TypeFor[string]()
	}
	if seen[t] {
		return t // recursive types hold no secrets in the SDK
	}
	seen[t] = true
	defer delete(seen, t)
	switch t.Kind() {
	case reflect.Pointer:
		if e := buildWireType(t.Elem(), seen); e != t.Elem() {
			return reflect.PointerTo(e)
		}
	case reflect.Slice:
		if e := buildWireType(t.Elem(), seen); e != t.Elem() {
			return reflect.SliceOf(e)
		}
	case reflect.Map:
		if e := buildWireType(t.Elem(), seen); e != t.Elem() {
			return reflect.MapOf(t.Key(), e)
		}
	case reflect.Struct:
		changed := false
		fields := make([]reflect.StructField, 0, t.NumField())
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue // json.Marshal never writes it: dropped if t is rebuilt
			}
			if ft := buildWireType(f.Type, seen); ft != f.Type {
				f.Type, changed = ft, true
			}
			fields = append(fields, reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag, Anonymous: f.Anonymous})
		}
		if changed {
			return reflect.StructOf(fields)
		}
	}
	return t
}

// reveal copies v into its wire type.
func reveal(v reflect.Value) reflect.Value {
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return v
		}
		return reveal(v.Elem())
	}
	w := wireType(v.Type())
	if w == v.Type() {
		return v
	}
	out := reflect.New(w).Elem()
	switch v.Kind() {
	case reflect.String: // an sdk.Secret
		out.SetString(v.String())
	case reflect.Pointer:
		if !v.IsNil() {
			out.Set(reveal(v.Elem()).Addr())
		}
	case reflect.Slice:
		if !v.IsNil() {
			out.Set(reflect.MakeSlice(w, v.Len(), v.Len()))
			for i := range v.Len() {
				out.Index(i).Set(reveal(v.Index(i)))
			}
		}
	case reflect.Map:
		if !v.IsNil() {
			out.Set(reflect.MakeMapWithSize(w, v.Len()))
			for it := v.MapRange(); it.Next(); {
				out.SetMapIndex(it.Key(), reveal(it.Value()))
			}
		}
	case reflect.Struct:
		for i := range w.NumField() {
			out.Field(i).Set(reveal(v.FieldByName(w.Field(i).Name)))
		}
	}
	return addressable(out)
}

// addressable returns v such that Addr works (for pointers to it).
func addressable(v reflect.Value) reflect.Value {
	if v.CanAddr() {
		return v
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return p.Elem()
}
