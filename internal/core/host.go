package core

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// PlainHost reports whether a URL's host part (url.URL.Host: name or IP,
// optional port) is a plain DNS name or IP literal: the only hosts that may
// be given a credential. An IPv6 zone ("[fe80::1%25eth0]", or a name
// smuggled into a zone: "[::1%25x.plex.tv]"), unbalanced brackets, a
// bracketed non-IPv6, or characters no DNS name has all fail: what
// url.Hostname() returns for them is not the host net/http dials.
func PlainHost(hostport string) bool {
	host := hostport
	if strings.HasPrefix(host, "[") {
		end := strings.IndexByte(host, ']')
		if end < 0 {
			return false
		}
		if rest := host[end+1:]; rest != "" && !validPort(rest) {
			return false
		}
		a, err := netip.ParseAddr(host[1:end])
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		if !validPort(host[i:]) {
			return false
		}
		host = host[:i]
	}
	if strings.ContainsAny(host, "[]%:") {
		return false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Is4()
	}
	return dnsName(host)
}

// validPort is ":" followed by 1–5 digits (or nothing: "host:" is the
// default port, as net/url allows).
func validPort(p string) bool {
	if p == "" || p[0] != ':' || len(p) > 6 {
		return false
	}
	for _, c := range p[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// dnsName reports whether s is a host name: dot-separated labels of
// letters, digits, hyphens and underscores, at most 253 bytes (one
// trailing dot allowed).
func dnsName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// CheckPathSegment refuses a path parameter a server could normalise away
// or split: "", ".", "..", anything with "/" or "\" — raw, or after
// percent-decoding (repeatedly: a server or proxy may decode twice).
// "GET /v1/authtokens/.." would otherwise reach the collection, and a
// switch to user ".." would POST to /home/switch.
func CheckPathSegment(op *Operation, param, v string) error {
	for range 4 {
		switch {
		case v == "", v == ".", v == "..":
			return fmt.Errorf("%s: %s %q is not a usable path segment", op.Name, param, Clip(Clean(v)))
		case strings.ContainsAny(v, "/\\"):
			return fmt.Errorf("%s: %s must not contain %q or %q (even percent-encoded)", op.Name, param, "/", "\\")
		}
		d, err := url.PathUnescape(v)
		if err != nil || d == v {
			return nil
		}
		v = d
	}
	return nil
}
