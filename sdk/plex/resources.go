package plex

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

var (
	one             = plexapi.ZeroOrOneN1
	resourcesParams = plexapi.GetServerResourcesParams{IncludeHTTPS: &one, IncludeRelay: &one, IncludeIPv6: &one}
)

// GetServerResources returns the devices the account of xPlexToken reaches
// (servers, players), each with the access token to use against it and its
// connections (HTTPS, relay and IPv6 included). The token travels in the
// X-Plex-Token header only. A refused token matches ErrInvalidToken.
func (a *Authentication) GetServerResources(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) ([]Resource, error) {
	if err := checkToken(&opResources, xPlexToken); err != nil {
		return nil, err
	}
	rs, err := core.Invoke[[]Resource](ctx, a.core, &opResources, a.base(&opResources), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetServerResources(ctx, &resourcesParams, a.headers(xPlexToken))
	})
	if err != nil {
		return nil, err
	}
	return *rs, nil
}

// Resource is a device (a server, a player) the account reaches.
type Resource struct {
	Name             string       `json:"name"`             // display name
	Product          string       `json:"product"`          // e.g. "Plex Media Server"
	ProductVersion   string       `json:"productVersion"`   // product version
	Platform         string       `json:"platform"`         // e.g. "Linux"
	ClientIdentifier string       `json:"clientIdentifier"` // the device's unique id
	Provides         string       `json:"provides"`         // roles, comma-separated: "server", "player,controller"
	PublicAddress    string       `json:"publicAddress"`    // public IP address
	AccessToken      sdk.Secret   `json:"accessToken"`      // the token for this device (a secret)
	Owned            bool         `json:"owned"`            // the account owns it
	Home             bool         `json:"home"`             // shared within the Home
	Presence         bool         `json:"presence"`         // online now
	HTTPSRequired    bool         `json:"httpsRequired"`    // refuses plain http
	Relay            bool         `json:"relay"`            // reachable through the relay
	Connections      []Connection `json:"connections"`      // addresses it is reachable at

	Device          string    `json:"device"`          // hardware, e.g. "PC", "DS920+" ("" when plex.tv sends null)
	PlatformVersion string    `json:"platformVersion"` // e.g. "6.8.0-49-generic" ("" when null)
	SourceTitle     string    `json:"sourceTitle"`     // who shared it (servers not owned); "" when null
	OwnerID         int64     `json:"ownerId"`         // the owner's account id (servers not owned); 0 when null
	CreatedAt       time.Time `json:"createdAt"`       // when it was first registered
	LastSeenAt      time.Time `json:"lastSeenAt"`      // when plex.tv last heard from it

	Synced                 bool `json:"synced"`                 // a sync target
	PublicAddressMatches   bool `json:"publicAddressMatches"`   // its public address is the caller's: same network
	DNSRebindingProtection bool `json:"dnsRebindingProtection"` // its router blocks *.plex.direct names resolving to LAN addresses
	NATLoopbackSupported   bool `json:"natLoopbackSupported"`   // its router lets LAN clients reach the public address
}

// Access is what an account is to a server it reaches, and so what the
// server's token may do there (README "What a token may do").
type Access string

// The kinds of Access.
const (
	AccessOwner  Access = "owner"  // the account owns the server
	AccessHome   Access = "home"   // a member of the owner's Plex Home
	AccessShared Access = "shared" // a friend the server is shared with
)

// Access says whether the account owns the resource, reaches it as a
// member of the owner's Plex Home, or as a friend it is shared with (from
// the owned and home fields plex.tv lists).
func (r Resource) Access() Access {
	switch {
	case r.Owned:
		return AccessOwner
	case r.Home:
		return AccessHome
	}
	return AccessShared
}

// IsServer reports whether the resource provides "server".
func (r Resource) IsServer() bool {
	for _, p := range strings.Split(r.Provides, ",") {
		if strings.TrimSpace(p) == "server" {
			return true
		}
	}
	return false
}

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
