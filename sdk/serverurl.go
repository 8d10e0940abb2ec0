package sdk

import (
	"fmt"
	"net/url"
	"strings"
)

// ValidateServerURL checks that raw is an absolute http or https URL with a
// host and returns it with a trailing slash (so generated paths append to
// it). option names the setting in the error, e.g. "ziggeo.WithServerURL".
func ValidateServerURL(option, raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("%s: server URL is empty", option)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%s: server URL %q does not parse", option, RedactURLString(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%s: server URL %q must start with http:// or https://", option, RedactURL(u))
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%s: server URL %q has no host", option, RedactURL(u))
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%s: server URL %q must not carry credentials, a query or a fragment", option, RedactURL(u))
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw, nil
}
