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
		shown := RedactURLString(raw)
		return "", fmt.Errorf("%s: server URL %q has no scheme: add http:// or https:// (e.g. %q)", option, shown, "http://"+shown)
	}
	if err != nil {
		return "", fmt.Errorf("%s: server URL %q does not parse", option, RedactURLString(raw))
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
