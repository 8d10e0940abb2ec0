package core

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// FuzzParseRetryAfter never panics and never returns a negative wait.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"1", "0", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999", "1.5", ""} {
		f.Add(s, "")
	}
	f.Add("", "1500")
	f.Add("3", "NaN")
	f.Fuzz(func(t *testing.T, ra, ms string) {
		h := http.Header{}
		h.Set("Retry-After", ra)
		h.Set("Retry-After-Ms", ms)
		if d, ok := ParseRetryAfter(h, time.Now()); d < 0 || (!ok && d != 0) {
			t.Fatalf("Retry-After %q / ms %q: %v %v", ra, ms, d, ok)
		}
	})
}

// FuzzClean: the result is one line without control or bidi characters,
// and cleaning it again changes nothing.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"ok", "\x1b[2J\x07Signed in OK\u202e", "a\r\nb\tc", "\xff\xfe", "\u200bz\u2066"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s)
		for _, r := range out {
			if r == '\n' || r == '\r' || unicode.IsControl(r) || isBidiOrInvisible(r) {
				t.Fatalf("Clean(%q) = %q keeps %U", s, out, r)
			}
		}
		if Clean(out) != out || !utf8.ValidString(out) {
			t.Fatalf("Clean(%q) = %q is not stable", s, out)
		}
	})
}

// FuzzScanString holds the scanner's string skipping (two IndexByte jumps)
// to the byte-by-byte reading of a JSON string it replaced: the same end
// and the same raw length, escapes and unterminated strings included.
func FuzzScanString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"a\\"`, `"a\\\"b\\"x`, `"\`, `"`, `"abc`, `"a\"`, `"\\\\\\"` + "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = append([]byte{'"'}, b...)
		s := scanner{b: b}
		n := s.str()
		i, m := 1, -1
		for ; i < len(b); i++ {
			if b[i] == '\\' {
				i++
			} else if b[i] == '"' {
				i++
				m = i - 2
				break
			}
		}
		if m < 0 {
			i = min(i, len(b))
			m = i - 1
		}
		if s.i != i || n != m {
			t.Fatalf("%q: str ends at %d with length %d, want %d and %d", b, s.i, n, i, m)
		}
	})
}

// FuzzCheckPathSegment models a chain of proxies that each decode the path
// once more (strictly, or leniently keeping escapes they cannot read): a
// value CheckPathSegment accepts, sent escaped, stays one segment that is
// not "", "." or "..", at every decoding.
func FuzzCheckPathSegment(f *testing.F) {
	for _, s := range []string{"abc", "%zz%2F..%2F..%2Fswitch", "..;", "..;x", ".;", ";", "%2e%2e", "%252e%252e%3b",
		"a%2Fb", "%5c", "a\x00b", "%00", "%7f", "...", "a..b", "%41", "%2541", "%25252F", "%%2F", "%2", "ok%"} {
		f.Add(s)
	}
	op := &Operation{Name: "fuzz.Op"}
	f.Fuzz(func(t *testing.T, v string) {
		if CheckPathSegment(op, "p", v) != nil {
			return
		}
		stages := []string{v}
		for s := v; ; {
			d := lenientUnescape(s)
			if d == s {
				break
			}
			stages, s = append(stages, d), d
		}
		for _, s := range stages {
			seg, _, _ := strings.Cut(s, ";")
			if strings.ContainsAny(s, "/\\") || seg == "" || seg == "." || seg == ".." || strings.ContainsFunc(s, unicode.IsControl) {
				t.Fatalf("%q accepted, but a proxy decoding it reads %q", v, s)
			}
		}
	})
}

// lenientUnescape decodes the %XX escapes it can read and keeps the rest,
// as some proxies do.
func lenientUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
