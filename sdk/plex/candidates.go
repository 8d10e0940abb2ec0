package plex

import (
	"net"
	"slices"
	"strconv"
	"strings"
)

// candidate is one URL to probe and the kind of connection it came from.
type candidate struct {
	url          string
	local, relay bool
	dial         string // address:port to dial for url's plex.direct name ("" = dial url's host)
}

// PreferredURLs lists the base URLs to reach the resource at, best first:
// local connections, then remote ones, then the relay — but remote before
// local when r.PublicAddressMatches is false (the caller is not on the
// server's network, so its LAN addresses are someone else's or nobody's).
// Within each kind, https (the connection's URI) before plain http
// (http://address:port), and IPv4 before IPv6. Plain http is left out when
// the server requires https, local connections when the account does not
// own the server (python-plexapi's rule too), and duplicates are removed.
func (r Resource) PreferredURLs() []string {
	cs := r.candidates()
	urls := make([]string, len(cs))
	for i, c := range cs {
		urls[i] = c.url
	}
	return urls
}

func (r Resource) candidates() []candidate {
	out := make([]candidate, 0, 2*len(r.Connections))
	add := func(u string, c Connection) {
		u = strings.TrimRight(u, "/")
		if u == "" || (r.HTTPSRequired && !isHTTPS(u)) || slices.ContainsFunc(out, func(o candidate) bool { return o.url == u }) {
			return
		}
		cand := candidate{url: u, local: c.Local && !c.Relay, relay: c.Relay}
		if u == strings.TrimRight(c.URI, "/") {
			cand.dial = dialAddress(c)
		}
		out = append(out, cand)
	}
	const local, remote, relay = 0, 1, 2
	kind := func(c Connection) int {
		switch {
		case c.Relay:
			return relay
		case c.Local:
			return local
		}
		return remote
	}
	order := []int{local, remote, relay}
	if !r.PublicAddressMatches {
		order = []int{remote, local, relay}
	}
	// IPv4 before IPv6 within each kind and scheme (python-plexapi #1627).
	conns := slices.Clone(r.Connections)
	slices.SortStableFunc(conns, func(a, b Connection) int {
		switch a6, b6 := isIPv6(a), isIPv6(b); {
		case a6 == b6:
			return 0
		case b6:
			return -1
		}
		return 1
	})
	for _, k := range order {
		if k == local && !r.Owned {
			continue
		}
		for _, c := range conns {
			if kind(c) == k && isHTTPS(c.URI) {
				add(c.URI, c)
			}
		}
		for _, c := range conns {
			if kind(c) != k {
				continue
			}
			if !isHTTPS(c.URI) {
				add(c.URI, c)
			}
			if c.Address != "" && c.Port > 0 && c.Port < 65536 && !r.HTTPSRequired {
				add("http://"+net.JoinHostPort(strings.Trim(c.Address, "[]"), strconv.Itoa(c.Port)), c)
			}
		}
	}
	return out
}

func isIPv6(c Connection) bool { return c.IPv6 || strings.Contains(c.Address, ":") }

func isHTTPS(u string) bool { return len(u) > 8 && strings.EqualFold(u[:8], "https://") }
