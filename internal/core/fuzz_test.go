package core

import (
	"net/http"
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
