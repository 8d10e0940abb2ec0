package plex

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/authsdk/authsdk/internal/core"
)

// A Plex Media Server's certificate is for *.<hash>.plex.direct (32 hex
// digits, not the machine identifier, and it can change); a name under it
// encodes an address (10-0-0-5.<hash>.plex.direct is 10.0.0.5) and
// resolves to it through public DNS — which routers with DNS-rebinding
// protection block for LAN addresses. So a client dials the connection's
// address itself and verifies the certificate against the name: no
// resolving, no verification turned off, no falling back to http.
//
// isPlexDirect reports a host of that form: <dashed address>.<32 hex>.plex.direct.
func isPlexDirect(host string) bool {
	rest, ok := strings.CutSuffix(host, ".plex.direct")
	if !ok {
		return false
	}
	addr, hash, ok := strings.Cut(rest, ".")
	if !ok || addr == "" || len(hash) != 32 {
		return false
	}
	return strings.Trim(addr, "0123456789abcdef-") == "" && strings.Trim(hash, "0123456789abcdef") == ""
}

// plexDirectName is the plex.direct host of an https URI ("" if it has none).
func plexDirectName(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || !strings.EqualFold(u.Scheme, "https") {
		return ""
	}
	if h := strings.ToLower(u.Hostname()); isPlexDirect(h) {
		return h
	}
	return ""
}

// dialAddress is the address:port to dial for a connection whose URI is
// under plex.direct: its Address and Port as plex.tv lists them, else the
// address the name itself encodes (10-0-0-5.<hash>.plex.direct is
// 10.0.0.5; an IPv6 address has its colons as dashes) and the URI's port;
// "" when the URI is not under plex.direct.
func dialAddress(c Connection) string {
	name := plexDirectName(c.URI)
	if name == "" {
		return ""
	}
	addr := strings.Trim(c.Address, "[]")
	if net.ParseIP(addr) == nil {
		addr = addressInName(name)
	}
	port := c.Port
	if u, err := url.Parse(c.URI); err == nil && u.Port() != "" && (port <= 0 || port > 65535) {
		port, _ = strconv.Atoi(u.Port())
	}
	if net.ParseIP(addr) == nil || port <= 0 || port > 65535 {
		return ""
	}
	return net.JoinHostPort(addr, strconv.Itoa(port))
}

// addressInName is the IP a plex.direct name encodes in its first label,
// or "".
func addressInName(name string) string {
	label, _, _ := strings.Cut(name, ".")
	if ip := net.ParseIP(strings.ReplaceAll(label, "-", ".")); ip != nil && ip.To4() != nil {
		return ip.String()
	}
	if ip := net.ParseIP(strings.ReplaceAll(label, "-", ":")); ip != nil {
		return ip.String()
	}
	return ""
}

// pinnedTransport is base (the client's transport) dialing dial whenever it
// would dial name: the request keeps name in its URL, so TLS verifies the
// certificate against name, with base's roots. ok is false when base is
// not an *http.Transport (a wrapper whose dialing cannot be changed): the
// name must then resolve.
func pinnedTransport(base http.RoundTripper, name, dial string) (http.RoundTripper, bool) {
	if base == nil {
		base = core.SharedTransport()
	}
	t, ok := base.(*http.Transport)
	if !ok {
		return nil, false
	}
	t = t.Clone()
	dialer := t.DialContext
	if dialer == nil {
		dialer = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	pin := func(addr string) string {
		if host, _, err := net.SplitHostPort(addr); err == nil && strings.EqualFold(host, name) {
			return dial
		}
		return addr
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialer(ctx, network, pin(addr))
	}
	if tlsDial := t.DialTLSContext; tlsDial != nil {
		t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return tlsDial(ctx, network, pin(addr))
		}
	}
	t.Proxy = nil // the address is on the server's network: no proxy knows the way
	return t, true
}
