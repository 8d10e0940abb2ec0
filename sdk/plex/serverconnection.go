package plex

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

// ServerConnection is a connection to a Plex Media Server that answered
// as the resource Connect was given.
type ServerConnection struct {
	// URL is the base URL that answered, e.g. https://10-0-0-5.<hash>.plex.direct:32400.
	URL string
	// MachineIdentifier is the server's identity (the resource's ClientIdentifier).
	MachineIdentifier string
	// Version is the Plex Media Server version it reported.
	Version string
	// AccessToken is the resource's token for this server.
	AccessToken sdk.Secret
	// Local and Relay say which kind of connection URL came from.
	Local, Relay bool
	// Latency is how long the winning /identity probe took.
	Latency time.Duration
	// DialAddress is the address:port dialed for URL when URL's host is a
	// *.plex.direct name: the connection's address as plex.tv lists it, so
	// the name never needs to resolve (routers that block DNS rebinding
	// stop it resolving on the LAN). "" when URL's host is dialed as it is.
	DialAddress string
	// VerifiedName is the name the server's certificate was verified
	// against (URL's host) when URL is https; "" for plain http.
	VerifiedName string

	origin    *settings         // the settings of the client that connected, for Client
	transport http.RoundTripper // the winning probe's, pinned to DialAddress; nil = the client's
}

// Client returns a Client aimed at the connection's URL with its
// AccessToken. It keeps the settings of the client that called Connect
// (client identifier, product, retries, HTTP client, logger); opts are
// applied after them.
//
// When the connection was reached by dialing DialAddress for a plex.direct
// name, the Client does the same (its certificate verified against
// VerifiedName), on the HTTP client the connecting client had.
func (sc *ServerConnection) Client(opts ...Option) (*Client, error) {
	s := settings{}
	if sc.origin != nil {
		s = *sc.origin
		s.core.Secrets = slices.Clip(s.core.Secrets)
	}
	s.serverURL, s.accessToken = sc.URL, string(sc.AccessToken)
	s.protocol, s.ip, s.port, s.varsSet = "", "", "", false
	if sc.transport != nil {
		s.core.HTTPClient = sc.baseClient()
		s.core.HTTPClient.Transport = sc.transport
	}
	return newClient(&s, opts)
}

// HTTPClient is an *http.Client for your own requests to this server
// (libraries, playback): it reaches it as Connect did (DialAddress for a
// plex.direct name, the certificate verified against VerifiedName) and
// adds the server's AccessToken as X-Plex-Token to requests for URL's host
// only — never to another host, a redirect's included. It is built on the
// HTTP client the connecting client had (its timeout, jar and roots).
func (sc *ServerConnection) HTTPClient() *http.Client {
	hc := sc.baseClient()
	if sc.transport != nil {
		hc.Transport = sc.transport
	}
	if sc.AccessToken != "" {
		host := ""
		if u, err := url.Parse(sc.URL); err == nil {
			host = u.Hostname()
		}
		hc.Transport = &Transport{Source: StaticToken(string(sc.AccessToken)), Hosts: []string{host}, Base: hc.Transport}
	}
	return hc
}

// baseClient is a copy of the connecting client's *http.Client.
func (sc *ServerConnection) baseClient() *http.Client {
	if sc.origin != nil && sc.origin.core.HTTPClient != nil {
		cp := *sc.origin.core.HTTPClient
		return &cp
	}
	return &http.Client{}
}
