package core

import (
	"bytes"
	"encoding/json"
	"mime"
	"reflect"
	"strings"

	"github.com/authsdk/authsdk/sdk"
)

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
	for _, s := range c.core.scrubber.secrets {
		if bytes.Contains(body, s.bytes) {
			return true
		}
	}
	for _, v := range c.sec.Secrets {
		if len(v) >= minSecretLen && bytes.Contains(body, []byte(v)) { // a token's copy fits the stack
			return true
		}
	}
	return c.sec.PathValue != "" && len(c.sec.PathValue) >= minSecretLen && bytes.Contains(body, []byte(c.sec.PathValue))
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
