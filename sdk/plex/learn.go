package plex

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"

	"github.com/authsdk/authsdk/internal/core"
)

// A server URL given as https://<IP>:32400 cannot be verified as it is: the
// server's certificate is for *.<hash>.plex.direct. The client learns that
// name from the account's resources when the certificate does not match
// the address — the connection whose address and port are the URL's
// (Tautulli's rule) — and then dials the IP, verifying the certificate
// against the name. When the
// certificate stops matching (a new hash), it learns the name once more,
// by the server's machine identifier (Home Assistant's rule).
type learnedServer struct {
	ip, port string

	mu        sync.Mutex
	name      string // the plex.direct name learned ("" = not yet)
	machine   string // the server it belongs to
	url       string // https://<name>:<port>/
	transport http.RoundTripper
}

// newLearnedServer is the learning state of a Plex Media Server URL, or nil
// when the URL needs none (http, or a host name).
func newLearnedServer(pms string) *learnedServer {
	u, err := url.Parse(pms)
	if err != nil || u.Scheme != "https" || net.ParseIP(u.Hostname()) == nil {
		return nil
	}
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return &learnedServer{ip: u.Hostname(), port: port}
}

// pmsTarget is where a Plex Media Server call goes: the client's URL until
// a name was learned, then the learned plex.direct URL with a transport
// that dials the IP. learn learns the name (or learns it again, when one
// was learned and its certificate did not match): only after the URL as
// given failed verification, so a transport that verifies otherwise keeps
// working as it did.
func (a *Authentication) pmsTarget(ctx context.Context, learn bool, failed string) (string, *core.CallInfo, error) {
	l := a.learn
	if l == nil {
		return a.pms, nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if learn && l.name == failed { // not learned again meanwhile by another call
		if err := a.learnName(ctx, l, failed != ""); err != nil {
			return "", nil, err
		}
	}
	if l.url == "" {
		return a.pms, nil, nil
	}
	return l.url, &core.CallInfo{Transport: l.transport}, nil
}

// learnName finds the plex.direct name of l's address and port in the
// resources of the client's access token (the account's); l.mu is held.
func (a *Authentication) learnName(ctx context.Context, l *learnedServer, again bool) error {
	addr := net.JoinHostPort(l.ip, l.port)
	rs, err := a.GetServerResources(ctx, a.accessToken)
	if err != nil {
		return fmt.Errorf("plex: https://%s is an address; the server's certificate is for a *.plex.direct name, learned from the account's resources, which could not be read with the client's access token (give plex.WithAccessToken the account's token, or use the connection's plex.direct URI from Connect): %w", addr, err)
	}
	for _, r := range rs {
		if again && l.machine != "" && r.ClientIdentifier != l.machine {
			continue
		}
		for _, c := range r.Connections {
			if dialAddress(c) != addr {
				continue
			}
			name := plexDirectName(c.URI)
			if again && name == l.name {
				return fmt.Errorf("plex: the certificate of https://%s does not match %s, and plex.tv still lists that name for it", addr, l.name)
			}
			t, ok := pinnedTransport(a.core.HTTPClient().Transport, name, addr)
			if !ok {
				return fmt.Errorf("plex: https://%s: the client's transport is not an *http.Transport, so it cannot dial the address for %s; use the connection's plex.direct URI", addr, name)
			}
			l.name, l.machine, l.transport = name, r.ClientIdentifier, t
			l.url = "https://" + net.JoinHostPort(name, l.port) + "/"
			return nil
		}
	}
	return fmt.Errorf("plex: none of the account's servers lists a plex.direct connection at %s, so its certificate's name cannot be learned (use the connection's plex.direct URI, or http)", addr)
}

// onPMS runs a Plex Media Server call; when the URL is an https IP and
// the certificate does not match it (or the name learned before), it
// learns the name and tries once more; then the error names both names.
func onPMS[T any](ctx context.Context, a *Authentication, call func(server string, info *core.CallInfo) (T, error)) (T, error) {
	var zero T
	server, info, err := a.pmsTarget(ctx, false, "")
	if err != nil {
		return zero, err
	}
	v, err := call(server, info)
	if err == nil || a.learn == nil || !certMismatch(err) {
		return v, err
	}
	tried := a.learnedName()
	server, info, lerr := a.pmsTarget(ctx, true, tried)
	if lerr != nil {
		return zero, fmt.Errorf("%w (%v)", err, lerr)
	}
	v, err = call(server, info)
	if err != nil && certMismatch(err) {
		if tried == "" {
			tried = "the address itself"
		}
		return zero, fmt.Errorf("%w (the certificate matches neither %s nor, learned from plex.tv, %s)", err, tried, a.learnedName())
	}
	return v, err
}

func (a *Authentication) learnedName() string {
	a.learn.mu.Lock()
	defer a.learn.mu.Unlock()
	return a.learn.name
}

// certMismatch reports a certificate that is not for the name dialed.
func certMismatch(err error) bool {
	var he x509.HostnameError
	var cve *tls.CertificateVerificationError
	return errors.As(err, &he) || errors.As(err, &cve) && errors.As(cve.Err, &he)
}
