package core

import (
	"encoding/base64"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces secret values in URLs, errors and logs.
const Redacted = "REDACTED"

// maxTextLen bounds any server text that reaches an error message.
const maxTextLen = 512

// secretQueryKeys are query parameters whose values are always redacted.
var secretQueryKeys = []string{"x-plex-token", "token", "password", "access_token", "auth_token", "private_key", "key", "secret", "code", "verificationcode", "pin", "devicejwt"}

// RedactURL renders u with its userinfo password and any secret query
// values (X-Plex-Token and the like) replaced by "REDACTED".
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.User == nil && u.RawQuery == "" {
		return u.String()
	}
	c := *u
	if _, has := c.User.Password(); has {
		c.User = url.UserPassword(c.User.Username(), Redacted)
	}
	if c.RawQuery != "" {
		q, err := url.ParseQuery(c.RawQuery)
		if err != nil {
			c.RawQuery = Redacted
		} else {
			changed := false
			for k, vs := range q {
				if isSecretKey(k) {
					for i := range vs {
						vs[i] = Redacted
					}
					changed = true
				}
			}
			if changed {
				c.RawQuery = q.Encode()
			}
		}
	}
	return c.String()
}

// RedactURLString is RedactURL for a URL in text form. A URL that does not
// parse (or lacks its scheme) is shown as typed with its user information
// and secret query values redacted, so that an error can point at the
// mistake.
func RedactURLString(raw string) string {
	if u, err := url.Parse(raw); err == nil && strings.Contains(raw, "://") {
		return RedactURL(u)
	}
	rest, fragment, hasFragment := strings.Cut(raw, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	scheme, authority, hasScheme := strings.Cut(rest, "://")
	if !hasScheme {
		scheme, authority = "", rest
	}
	host, path, hasPath := strings.Cut(authority, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = Redacted + host[i:]
	}
	var b strings.Builder
	if hasScheme {
		b.WriteString(scheme + "://")
	}
	b.WriteString(host)
	if hasPath {
		b.WriteString("/" + path)
	}
	if hasQuery {
		parts := strings.Split(query, "&")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok && isSecretKey(k) {
				parts[i] = k + "=" + Redacted
			}
		}
		b.WriteString("?" + strings.Join(parts, "&"))
	}
	if hasFragment {
		b.WriteString("#" + fragment)
	}
	return b.String()
}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range secretQueryKeys {
		if k == s {
			return true
		}
	}
	return false
}

// minSecretLen: shorter values would blank out ordinary words; they are
// still kept out of every message the SDK builds itself.
const minSecretLen = 4

// secret is one form of a secret value and what replaces it; raw marks
// the value as sent (its cut-off prefixes are scrubbed too).
type secret struct {
	value, replacement string
	bytes              []byte // value, for searching answers without converting them
	raw                bool
}

// minPrefix: a run of at least this many leading characters of a secret
// is scrubbed even when the rest is missing (a server that cut the echo
// short, or a body cut at 64 KiB).
const minPrefix = 6

// scrubber removes secret values, in every form they travel in (raw,
// URL-encoded, base64), from text meant for errors and logs.
type scrubber struct{ secrets []secret }

// add registers v; a path value keeps its first 4 characters visible so a
// log still tells tokens apart.
func (s *scrubber) add(v string, pathValue bool) {
	if len(v) < minSecretLen {
		return
	}
	repl := Redacted
	if pathValue {
		repl = Shorten(v)
	}
	forms := [...]string{v, url.QueryEscape(v), url.PathEscape(v), base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))}
	for i, f := range forms {
		if i > 0 && f == v {
			continue
		}
		s.secrets = append(s.secrets, secret{f, repl, []byte(f), i == 0})
	}
}

// scrub replaces every registered secret in text. Longer forms go first
// (they were added first per value), so a form that contains another is
// replaced whole.
func (s *scrubber) scrub(text string) string {
	if s == nil {
		return text
	}
	for _, v := range s.secrets {
		if strings.Contains(text, v.value) {
			text = strings.ReplaceAll(text, v.value, v.replacement)
		}
	}
	for _, v := range s.secrets {
		if v.raw && len(v.value) > minPrefix {
			text = scrubPrefixes(text, v.value, v.replacement)
		}
	}
	return text
}

// scrubPrefixes replaces every run of secret's first characters (at least
// minPrefix of them) in text.
func scrubPrefixes(text, secret, repl string) string {
	head := secret[:minPrefix]
	var b strings.Builder
	for {
		i := strings.Index(text, head)
		if i < 0 {
			if b.Len() == 0 {
				return text
			}
			b.WriteString(text)
			return b.String()
		}
		n := minPrefix
		for i+n < len(text) && n < len(secret) && text[i+n] == secret[n] {
			n++
		}
		b.WriteString(text[:i])
		b.WriteString(repl)
		text = text[i+n:]
	}
}

// Clean makes server (or otherwise untrusted) text safe for an error
// message and a terminal: control and bidi-format characters removed,
// whitespace runs collapsed to one space (one line), invalid UTF-8 dropped.
// It does not bound the length: scrub first, then Clip.
func Clean(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			continue
		case unicode.IsSpace(r) || r == 0:
			space = b.Len() > 0
			continue
		case Unsafe(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Shorten shows a credential by its first 4 characters, enough to tell
// tokens apart in a log; a short one not at all.
func Shorten(v string) string {
	if len(v) < 12 {
		return Redacted
	}
	return v[:4] + "…" + Redacted
}

// Unsafe reports characters that must not reach a terminal from a server:
// controls, and bidi-format and zero-width characters, which can reorder or
// hide what a terminal shows.
func Unsafe(r rune) bool { return unicode.IsControl(r) || isBidiOrInvisible(r) }

func isBidiOrInvisible(r rune) bool {
	switch {
	case r == 0x061C, r == 0x180E, r == 0xFEFF:
		return true
	case r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2060 && r <= 0x2069:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// Clip bounds s to about maxTextLen bytes at a rune boundary.
func Clip(s string) string {
	if len(s) <= maxTextLen {
		return s
	}
	cut := maxTextLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
