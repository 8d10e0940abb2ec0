package core

import (
	"fmt"
	"net/url"
	"strings"
)

// ValidateServerURL checks that raw is an absolute http or https URL with a
// host and no query, fragment or credentials, and returns it with a
// trailing slash (generated paths append to it). option names the setting
// in the error, e.g. "ziggeo.WithServerURL".
func ValidateServerURL(option, raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("%s: server URL is empty", option)
	}
	if err := CheckHeaderValue("server URL", raw); err != nil {
		return "", fmt.Errorf("%s: %w", option, err)
	}
	u, err := url.Parse(raw)
	if !strings.Contains(raw, "://") && (err != nil || u.Scheme != "http" && u.Scheme != "https") {
		// The commonest mistake: "127.0.0.1:32400" or "localhost:32400".
		shown := redactRawURL(raw)
		return "", fmt.Errorf("%s: server URL %q has no scheme: add http:// or https:// (e.g. %q)", option, shown, "http://"+shown)
	}
	if err != nil {
		return "", fmt.Errorf("%s: server URL %q does not parse", option, redactRawURL(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%s: server URL %q must start with http:// or https://", option, RedactURL(u))
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%s: server URL %q has no host", option, RedactURL(u))
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.ForceQuery {
		return "", fmt.Errorf("%s: server URL %q must not carry credentials, a query or a fragment", option, RedactURL(u))
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw, nil
}

// CheckHeaderValue refuses a value bound for a header if it holds any
// control character (NUL, CR, LF, TAB, DEL, …): it could split or smuggle
// headers, and net/http would refuse it only at send time, on every retry.
// what names the value in the error; the value itself is never repeated.
func CheckHeaderValue(what, v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%s contains a control character (byte %d)", what, i)
		}
	}
	return nil
}

// redactRawURL shows a URL that may not parse with its credentials (user
// information, secret query values) redacted and everything else as typed,
// so that an error can point at the mistake.
func redactRawURL(raw string) string {
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
