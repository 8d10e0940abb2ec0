package plex

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

var (
	opPing = core.Operation{Name: "plex.Authentication.Ping", Idempotent: true}
	// Revoking is done once sent; a retry could only report a 401 for it.
	opSignOut = core.Operation{Name: "plex.Authentication.SignOut", Idempotent: false}
)

// Ping tells plex.tv the token is in use (GET https://plex.tv/api/v2/ping):
// tokens unused for weeks stop working. A refused token matches
// errors.Is(err, ErrInvalidToken); a 5xx or a network failure says nothing
// about the token.
func (a *Authentication) Ping(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) error {
	if err := a.needTokenAndClientID(&opPing, xPlexToken); err != nil {
		return err
	}
	params := &plexapi.PingParams{XPlexClientIdentifier: a.clientID}
	return core.InvokeNoContent(ctx, a.core, &opPing, a.plexTV, opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).Ping(ctx, params, a.headers(xPlexToken))
	})
}

// SignOut revokes the token (DELETE https://plex.tv/api/v2/users/signout):
// any 2xx means done. It is not retried once the request was sent.
func (a *Authentication) SignOut(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) error {
	if err := a.needTokenAndClientID(&opSignOut, xPlexToken); err != nil {
		return err
	}
	params := &plexapi.SignOutParams{XPlexClientIdentifier: a.clientID}
	return core.InvokeNoContent(ctx, a.core, &opSignOut, a.plexTV, opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).SignOut(ctx, params, a.headers(xPlexToken))
	})
}

// TokenSource supplies a Plex token (a plex.tv token or a Plex JWT) per
// request. *JWTSource is one; StaticToken makes one from a fixed token.
type TokenSource interface {
	PlexToken(ctx context.Context) (string, error)
}

// StaticToken is a TokenSource that always returns token. For "" its
// PlexToken returns an error (so a Transport sends nothing).
func StaticToken(token string) TokenSource { return staticToken{&token} }

// staticToken keeps the token behind a pointer: fmt walks unexported
// fields without calling their methods, so only an address may be there.
type staticToken struct{ token *string }

func (t staticToken) PlexToken(context.Context) (string, error) {
	if *t.token == "" {
		return "", errors.New("plex.StaticToken: empty token")
	}
	return *t.token, nil
}

// Transport is an http.RoundTripper that adds X-Plex-Token from Source to
// requests bound for the hosts the token may go to: the oauth2.Transport of
// Plex. Give it to any *http.Client (plexgo's WithClient, raw net/http):
//
//	hc := &http.Client{Transport: &plex.Transport{Source: src}}
//
// The token goes on a clone of the request (the caller's is never
// modified), and only when the request's host (port ignored, any case) is
// allowed: with Hosts nil, plex.tv, *.plex.tv and *.plex.direct over https
// only. A name in Hosts ("192.168.1.20", "plex.tv"; a port there is
// ignored too) matches exactly, over http too (a LAN server you chose);
// "*.example" matches any subdomain of example (not example itself), over
// https only. Every other request passes through with no token, so a
// redirect to another host never carries it (net/http runs each hop
// through RoundTrip; a token the caller set itself is its own business).
// When Source fails, nothing is sent and RoundTrip returns an error
// wrapping Source's error.
type Transport struct {
	// Source supplies the token; required.
	Source TokenSource
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Hosts are where the token may go; nil means plex.tv, *.plex.tv and
	// *.plex.direct over https.
	Hosts []string
}

var defaultTokenHosts = []string{"plex.tv", "*.plex.tv", "*.plex.direct"}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if !t.allowed(req) {
		return base.RoundTrip(req)
	}
	fail := func(err error) (*http.Response, error) {
		if req.Body != nil {
			_ = req.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	if t.Source == nil {
		return fail(errors.New("plex.Transport: nil Source"))
	}
	tok, err := t.Source.PlexToken(req.Context())
	if err != nil {
		return fail(fmt.Errorf("plex.Transport: no token, request not sent: %w", err))
	}
	if err := core.CheckHeaderValue("X-Plex-Token", tok); err != nil || tok == "" {
		return fail(errors.New("plex.Transport: the token source returned an unusable token; request not sent"))
	}
	r := *req
	r.Header = maps.Clone(req.Header) // the values are shared, never modified
	if r.Header == nil {
		r.Header = make(http.Header, 1)
	}
	r.Header["X-Plex-Token"] = []string{tok}
	return base.RoundTrip(&r)
}

// allowed reports whether req's host may receive the token.
func (t *Transport) allowed(req *http.Request) bool {
	if req.URL == nil {
		return false
	}
	if !core.PlainHost(req.URL.Host) {
		return false // a zone, brackets askew: not the host net/http dials
	}
	host := strings.TrimSuffix(strings.ToLower(req.URL.Hostname()), ".")
	https := req.URL.Scheme == "https"
	if host == "" {
		return false
	}
	hosts := t.Hosts
	if hosts == nil {
		if !https {
			return false
		}
		hosts = defaultTokenHosts
	}
	for _, h := range hosts {
		h = tokenHost(h)
		if parent, wild := strings.CutPrefix(h, "*."); wild {
			if https && parent != "" && strings.HasSuffix(host, "."+parent) {
				return true
			}
			continue
		}
		if h != "" && h == host && (https || t.Hosts != nil) {
			return true
		}
	}
	return false
}

// tokenHost is a Hosts entry as a bare lower-case name: a port or the
// brackets of an IPv6 address ("192.168.1.20:32400", "[::1]") are ignored
// there as in the request.
func tokenHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if rest, ok := strings.CutPrefix(h, "["); ok {
		h, _, _ = strings.Cut(rest, "]")
	} else if strings.Count(h, ":") == 1 {
		h, _, _ = strings.Cut(h, ":")
	}
	return strings.TrimSuffix(h, ".")
}
