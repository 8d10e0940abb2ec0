package core

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
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

// CheckPathSegment refuses a path parameter a server or a proxy in front of
// it could normalise away, split or read differently: it decodes the value
// completely (percent-escapes again and again, as a chain of proxies may)
// and refuses, at any stage, an invalid escape ("%zz": decoders disagree on
// it), "/" or "\", a control character, and a segment that is "", "." or
// ".." once path parameters are cut (Tomcat reads "..;x" as ".."). "GET
// /v1/authtokens/.." would otherwise reach the collection, and a switch to
// user ".." would POST to /home/switch.
func CheckPathSegment(op *Operation, param, v string) error {
	for range maxPathDecodes {
		if reason := badSegment(v); reason != "" {
			return fmt.Errorf("%s: %s %q is not a usable path segment: %s", op.Name, param, Clip(Clean(v)), reason)
		}
		if !strings.Contains(v, "%") {
			return nil
		}
		d, err := url.PathUnescape(v)
		if err != nil {
			return fmt.Errorf("%s: %s %q is not a usable path segment: it holds an invalid percent-escape", op.Name, param, Clip(Clean(v)))
		}
		v = d
	}
	return fmt.Errorf("%s: %s is percent-encoded more than %d times over", op.Name, param, maxPathDecodes)
}

// maxPathDecodes bounds CheckPathSegment's decoding: no real identifier is
// encoded this many times over.
const maxPathDecodes = 8

// badSegment says what is wrong with one decoding stage of a path
// parameter, or "".
func badSegment(v string) string {
	if strings.ContainsAny(v, "/\\") {
		return `it holds "/" or "\\" (even percent-encoded)`
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return "it holds a control character"
	}
	if seg, _, _ := strings.Cut(v, ";"); seg == "" || seg == "." || seg == ".." {
		return `a server reads it as "", "." or ".." (path parameters after ";" cut, as Tomcat does)`
	}
	return ""
}
