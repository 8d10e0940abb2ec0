package sdk

import (
	"net/url"
	"strings"
)

// Redacted replaces secret values in URLs, errors and logs.
const Redacted = "REDACTED"

// secretQueryKeys are query parameters whose values are always redacted.
var secretQueryKeys = []string{"x-plex-token", "token", "password", "access_token", "auth_token", "private_key", "key", "secret"}

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

// RedactURLString is RedactURL for a URL in text form.
func RedactURLString(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return Redacted
	}
	return RedactURL(u)
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

// scrubber removes known secret values from text meant for errors and logs.
type scrubber struct{ secrets []string }

func newScrubber(secrets []string) *scrubber {
	s := &scrubber{}
	for _, v := range secrets {
		// Very short values would blank out ordinary words; they are still
		// kept out of every message we build ourselves.
		if len(v) >= 4 {
			s.secrets = append(s.secrets, v)
		}
	}
	return s
}

func (s *scrubber) scrub(text string) string {
	for _, v := range s.secrets {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Redacted)
		}
		if e := url.QueryEscape(v); e != v && strings.Contains(text, e) {
			text = strings.ReplaceAll(text, e, Redacted)
		}
	}
	return text
}
