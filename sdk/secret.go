package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Secret is a credential: a token, a password, a code. Every way of
// printing it shows [Redacted] instead of its value — every fmt verb (%#v
// included), slog's text and JSON handlers at any depth, json.Marshal — so a
// result can be logged or printed whole, wherever it sits. An empty Secret
// prints as empty, so you can see whether one is set.
//
// string(s) is the one way out: use it where the credential is meant to go.
// To store a Secret, write string(s) yourself; a store written with
// json.Marshal holds the marker, and unmarshalling the marker is an error
// rather than a token that would be sent as "REDACTED".
//
// What no type can guard — keep a Secret, or a value holding one, out of:
//   - reflection-based printers and differs (testify's assert diffs, go-cmp,
//     go-spew, pretty printers): they read the string field itself, and a
//     DeviceKey's private key or a client's token with it. Compare results
//     field by field, or blank the Secret first.
//   - encoders other than encoding/json and fmt (encoding/gob, encoding/xml,
//     YAML libraries): they write the string as it is. Encode string(s)
//     yourself, or a copy with the Secret cleared.
//   - a map key (encoding/json writes string-kind keys as they are).
//   - %p, and any verb a nested pointer does not take (not only %s and %q:
//     %d, %x, %t …): fmt prints the pointer's error form "%!d(*T=&{…})" with
//     every method switched off. Print results with %v or %+v.
//   - an unexported field of your own struct: fmt prints unexported fields
//     by reflection without calling their methods. Keep results in exported
//     fields, or give your struct its own String.
type Secret string

// Redacted is what every printed form of a non-empty Secret shows.
const Redacted = "REDACTED"

// ErrRedactedSecret is returned when JSON being decoded into a Secret holds
// the redaction marker: the data was written by json.Marshal of a Secret
// and the credential itself is not in it.
var ErrRedactedSecret = errors.New("sdk.Secret: the value is the redaction marker " + strconv.Quote(Redacted) +
	", not a credential (it was written by json.Marshal; store string(secret) instead)")

func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// String returns [Redacted], or "" for an empty Secret.
func (s Secret) String() string { return s.shown() }

// Format prints [Redacted] for every verb; %q and %#v quote it.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		_, _ = io.WriteString(f, strconv.Quote(s.shown()))
		return
	}
	_, _ = io.WriteString(f, s.shown())
}

// LogValue logs [Redacted].
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

// MarshalJSON writes "REDACTED" ("" for an empty Secret).
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.shown())), nil }

// UnmarshalJSON reads a JSON string (null leaves the Secret empty). The
// redaction marker is an error: see [ErrRedactedSecret].
func (s *Secret) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = ""
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("sdk.Secret: want a JSON string, got %s", jsonKind(b))
	}
	var v string
	if raw := b[1 : len(b)-1]; !needsUnquote(raw) {
		v = string(raw)
	} else if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("sdk.Secret: malformed JSON string")
	}
	if v == Redacted {
		return ErrRedactedSecret
	}
	*s = Secret(v)
	return nil
}

// needsUnquote reports whether a JSON string body holds escapes (or
// anything strconv.Unquote would have to check).
func needsUnquote(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return true
		}
	}
	return false
}

// jsonKind names a JSON value's kind without quoting it (it may be a secret).
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	default:
		return "a number"
	}
}
