package plex

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/authsdk/authsdk/internal/core"
)

// Transport is an http.RoundTripper that adds X-Plex-Token from Source to
// requests bound for the hosts the token may go to: the oauth2.Transport of
// Plex. Give it to any *http.Client (plexgo's WithClient, raw net/http):
//
//	hc := &http.Client{Transport: &plex.Transport{Source: src}}
//
// Which token goes where: with Hosts nil, a Plex JWT (a JWTSource, or any
// token shaped like a JWT) goes only to plex.tv and *.plex.tv over https —
// Plex Media Servers refuse JWTs, so a JWT has no business there — and a
// legacy token to plex.tv, *.plex.tv and *.plex.direct over https. A name
// in Hosts ("192.168.1.20", "plex.tv"; a port there is ignored too)
// matches exactly, over http too (a LAN server you chose); "*.example"
// matches any subdomain of example (not example itself), over https only.
// Every other request passes through with no token, so a redirect to
// another host never carries it (net/http runs each hop through RoundTrip;
// a token the caller set itself is its own business). The token goes on a
// clone of the request (the caller's is never modified). When Source
// fails, nothing is sent and RoundTrip returns an error wrapping Source's
// error. A host with an IPv6 zone or anything else that is not a plain DNS
// name or IP literal never gets the token.
//
// It heals, and keeps a good JWT until it is replaced: when plex.tv or
// *.plex.tv answers 401 or 498, a Source that is a TokenRefuser
// (JWTSource is) drops the token, a token is fetched again, and the request
// is replayed once with it when it can be (no body, or GetBody set) and the
// caller's context is still live. A 498 from any other allowed host never
// drops the token (such a host cannot speak for plex.tv): a JWTSource then
// refreshes at most once a minute, the held JWT staying in use meanwhile,
// and the request is replayed only with a different token. A Plex Media
// Server's 401 is not healed: servers refuse JWTs by design. Otherwise the
// answer is returned as it is. Concurrent requests refused with the same
// JWT cause one exchange.
//
// A request to a host that may not receive the token is logged at Debug
// (once per host) through Logger, or the JWTSource's client logger.
type Transport struct {
	// Source supplies the token; required.
	Source TokenSource
	// Base sends the requests; nil means a pooled transport shared by
	// Transports (keep-alive connections for concurrent callers, like the
	// SDK's own clients), not http.DefaultTransport's 2 per host.
	Base http.RoundTripper
	// Hosts are where the token may go; nil means plex.tv and *.plex.tv
	// over https for a JWT, and *.plex.direct too for a legacy token. A LAN
	// server (a plextest server) is listed by its address:
	// Hosts: []string{"192.168.1.20"}.
	Hosts []string
	// Logger receives the Debug line for a host that gets no token; nil
	// means the logger of a JWTSource's client, or none.
	Logger *slog.Logger
}

var (
	defaultTokenHosts = []string{"plex.tv", "*.plex.tv", "*.plex.direct"}
	defaultJWTHosts   = []string{"plex.tv", "*.plex.tv"}
)

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = core.SharedTransport()
	}
	_, jwtSource := t.Source.(*JWTSource)
	if !t.allowed(req, jwtSource) {
		t.noteWithheld(req)
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
	if !jwtSource && t.Hosts == nil && looksLikeJWT(tok) && !t.allowed(req, true) {
		t.noteWithheld(req) // a JWT from another source: plex.tv hosts only
		return base.RoundTrip(req)
	}
	rsp, err := base.RoundTrip(withToken(req, tok))
	if err != nil || !refusal(rsp) {
		return rsp, err
	}
	return t.heal(req, rsp, tok, base)
}

// looksLikeJWT reports a token of three dot-separated parts (header,
// claims, signature): plex.tv's legacy tokens have no dot.
func looksLikeJWT(tok string) bool { return strings.Count(tok, ".") == 2 }

// withToken is a shallow copy of req with X-Plex-Token set on a clone of
// its header (the caller's request is never modified).
func withToken(req *http.Request, tok string) *http.Request {
	r := *req
	r.Header = maps.Clone(req.Header) // the values are shared, never modified
	if r.Header == nil {
		r.Header = make(http.Header, 1)
	}
	r.Header["X-Plex-Token"] = []string{tok}
	return &r
}

// refusal reports an answer that says the token is no good: 498, or 401
// (only plex.tv's 401 is taken at its word: a Plex Media Server answers 401
// to JWTs it does not take, which a new JWT would not change).
func refusal(rsp *http.Response) bool {
	return rsp.StatusCode == statusInvalidJWT || rsp.StatusCode == http.StatusUnauthorized
}

// isPlexTV reports whether req goes to plex.tv or *.plex.tv: the hosts
// whose refusal of a token is final.
func isPlexTV(req *http.Request) bool {
	host := strings.TrimSuffix(strings.ToLower(req.URL.Hostname()), ".")
	return host == "plex.tv" || strings.HasSuffix(host, ".plex.tv")
}

// heal handles a refused token. From plex.tv (401 or 498) the source drops
// it and a new one is fetched; from another host (498) the source keeps it
// and may refresh (a JWTSource does at most once a minute). The request is
// replayed once, only with a different token and only when it can be;
// otherwise rsp is returned untouched.
func (t *Transport) heal(req *http.Request, rsp *http.Response, tok string, base http.RoundTripper) (*http.Response, error) {
	plexTV := isPlexTV(req)
	if !plexTV && rsp.StatusCode != statusInvalidJWT {
		return rsp, nil // a server's 401: not about the token's life
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	var fresh string
	switch src := t.Source.(type) {
	case *JWTSource:
		if plexTV {
			src.TokenRefused(tok)
		} else if replayable && req.Context().Err() == nil {
			fresh = src.refusedElsewhere(req.Context(), tok)
		}
	case TokenRefuser:
		if plexTV {
			src.TokenRefused(tok)
		}
	default:
		return rsp, nil
	}
	if !replayable || req.Context().Err() != nil {
		return rsp, nil
	}
	if plexTV {
		var err error
		if fresh, err = t.Source.PlexToken(req.Context()); err != nil {
			return rsp, nil
		}
	} else if fresh == "" {
		fresh, _ = t.Source.PlexToken(req.Context())
	}
	if fresh == tok || fresh == "" || core.CheckHeaderValue("X-Plex-Token", fresh) != nil {
		return rsp, nil // nothing better to send: the caller gets the refusal
	}
	r := withToken(req, fresh)
	if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return rsp, nil
		}
		r.Body = body
	}
	// The refused answer is done with: drain a little so its connection is reused.
	_, _ = io.CopyN(io.Discard, rsp.Body, 4<<10)
	_ = rsp.Body.Close()
	return base.RoundTrip(r)
}

// withheldHosts remembers the hosts already logged as getting no token;
// bounded, so a redirect chain through endless hosts cannot grow it.
var withheldHosts sync.Map // withheldKey → true

type withheldKey struct {
	l    *slog.Logger
	host string
}

const maxWithheldHosts = 1024

var withheldCount atomic.Int32

// noteWithheld logs, once per host and logger, a request that goes out with no token.
func (t *Transport) noteWithheld(req *http.Request) {
	l := t.Logger
	if l == nil {
		if s, ok := t.Source.(*JWTSource); ok && s != nil && s.a != nil && s.a.core != nil {
			l = s.a.core.Logger()
		}
	}
	if l == nil || req.URL == nil || !l.Enabled(req.Context(), slog.LevelDebug) {
		return
	}
	host := core.Clip(core.Clean(req.URL.Host))
	if withheldCount.Load() >= maxWithheldHosts {
		return
	}
	if _, seen := withheldHosts.LoadOrStore(withheldKey{l, host}, true); seen {
		return
	}
	withheldCount.Add(1)
	l.LogAttrs(req.Context(), slog.LevelDebug, "authsdk: plex.Transport sends no token to this host (not in Hosts)",
		slog.String("host", host), slog.String("scheme", req.URL.Scheme))
}

// allowed reports whether req's host may receive the token (a JWT when
// jwt is set: by default plex.tv hosts only).
func (t *Transport) allowed(req *http.Request, jwt bool) bool {
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
		if jwt {
			hosts = defaultJWTHosts
		}
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
