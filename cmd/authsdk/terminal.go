package main

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The CLI prints server text (names, messages) to a terminal. It uses only
// the SDK's public API, so it makes that text safe itself.

// unsafeRune reports characters that must not reach a terminal: controls,
// and format characters (bidi overrides, zero-width), which can reorder or
// hide what the terminal shows.
func unsafeRune(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

// safe makes text printable on one line: unsafe characters and invalid
// UTF-8 dropped, whitespace runs collapsed to one space.
func safe(s string) string {
	kept := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (unsafeRune(r) && !unicode.IsSpace(r)) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(kept), " ")
}

// maxErrorText bounds an error line, as the SDK bounds server text.
const maxErrorText = 512

// clip bounds s to about maxErrorText bytes, at a rune boundary.
func clip(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	end := maxErrorText
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + "…"
}
