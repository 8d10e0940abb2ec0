package plextest

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/authsdk/authsdk/api"
	"github.com/authsdk/authsdk/internal/fake"
	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
)

// MediaServer is a loopback Plex Media Server with one identity, for
// Connect: it answers GET /identity with its machine identifier (after the
// delay the test sets) and GET /security/token with its own access token.
// Every request and response is validated against api/, and a token sent
// to /identity is a violation: a probe must prove the server before any
// token goes there.
type MediaServer struct {
	// URL is its base URL (http://127.0.0.1:port, no trailing slash).
	URL string
	// MachineIdentifier is what /identity answers.
	MachineIdentifier string
	// AccessToken is the token its /security/token accepts.
	AccessToken string

	f       *fake.Server
	hash    string         // of its *.<hash>.plex.direct certificate (TLS only)
	roots   *x509.CertPool // the test CA that signed it (TLS only)
	caPEM   []byte         // that CA's certificate (TLS only)
	mu      sync.Mutex
	delay   time.Duration
	tokens  int // requests to /identity that carried X-Plex-Token
	probes  int
	stopped chan struct{}
}

// NewMediaServer starts a server that answers as machineIdentifier and
// accepts accessToken.
func NewMediaServer(machineIdentifier, accessToken string) *MediaServer {
	f, err := fake.New(fake.Config{Spec: api.PlexSpec, Authenticate: authenticate, ErrorBody: errorBody})
	if err != nil {
		panic(err) // the embedded spec is validated by the test suite
	}
	m := &MediaServer{MachineIdentifier: machineIdentifier, AccessToken: accessToken, f: f, stopped: make(chan struct{})}
	f.HandleOperation("getIdentity", "", m.identity)
	f.HandleOperation("getTransientToken", "", m.transientToken)
	f.Start()
	m.URL = f.URL
	return m
}

// RoundTrip answers req in memory, as the server would over the network,
// whatever host req names: a MediaServer is an http.RoundTripper for
// tests under testing/synctest, where a real socket would stop the fake
// clock. Put it in an http.Client's Transport (or route one host to it).
func (m *MediaServer) RoundTrip(req *http.Request) (*http.Response, error) {
	return m.f.RoundTrip(req.WithContext(context.WithValue(req.Context(), inMemoryKey{}, true)))
}

// inMemoryKey marks a request answered by RoundTrip: a delayed answer then
// waits on the request's context alone, since a wait on a channel made
// outside a synctest bubble would stop the bubble's clock.
type inMemoryKey struct{}

// SetDelay makes /identity answer after d (or when the client gives up);
// a long d is a hanging address.
func (m *MediaServer) SetDelay(d time.Duration) {
	m.mu.Lock()
	m.delay = d
	m.mu.Unlock()
}

// Probes is how many /identity requests arrived.
func (m *MediaServer) Probes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.probes
}

// TokensSeen is how many /identity requests carried an X-Plex-Token.
func (m *MediaServer) TokensSeen() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tokens
}

// Requests lists the requests received so far, oldest first.
func (m *MediaServer) Requests() []Request { return m.f.Requests() }

// Violations lists every request or response that broke the spec or the rules.
func (m *MediaServer) Violations() []string { return m.f.Violations() }

// AssertNoViolations fails t if any request or response broke the spec.
func (m *MediaServer) AssertNoViolations(t testing.TB) { m.f.AssertNoViolations(t) }

// Close shuts the server down; requests still waiting are released.
func (m *MediaServer) Close() {
	m.mu.Lock()
	select {
	case <-m.stopped:
	default:
		close(m.stopped)
	}
	m.mu.Unlock()
	m.f.Close()
}

// Connection is a connection to this server as plex.tv would list it: for
// a TLS server (NewTLSMediaServer), its plex.direct URI with the address
// and port it stands for.
func (m *MediaServer) Connection(local, relay bool) plex.Connection {
	if m.hash != "" {
		return m.tlsConnection(local, relay)
	}
	u, _ := url.Parse(m.URL)
	port, _ := strconv.Atoi(u.Port())
	return plex.Connection{Protocol: "http", Address: u.Hostname(), Port: port, URI: m.URL, Local: local, Relay: relay}
}

// Resource is a server resource named name, answering as
// MachineIdentifier with AccessToken, owned by the account, on the
// caller's network (PublicAddressMatches), reachable at conns (from
// MediaServer.Connection).
func Resource(name, machineIdentifier, accessToken string, conns ...plex.Connection) plex.Resource {
	return plex.Resource{
		Name: name, Product: "Plex Media Server", ProductVersion: "1.41.3.9314-a0bfb8370", Platform: "Linux",
		ClientIdentifier: machineIdentifier, Provides: "server", AccessToken: sdk.Secret(accessToken),
		Owned: true, Presence: true, PublicAddressMatches: true, Connections: conns,
		CreatedAt: time.Date(2021, 4, 12, 18, 21, 12, 0, time.UTC), LastSeenAt: time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC),
	}
}

func (m *MediaServer) identity(w http.ResponseWriter, r *http.Request) {
	checkRequest(m.f, r)
	m.mu.Lock()
	m.probes++
	if tokenBeforeProof(m.f, r) {
		m.tokens++
	}
	d := m.delay
	m.mu.Unlock()
	if d > 0 {
		stopped := m.stopped
		if r.Context().Value(inMemoryKey{}) != nil {
			stopped = nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			panic(http.ErrAbortHandler) // the client gave up: no answer to validate
		case <-stopped:
			panic(http.ErrAbortHandler)
		}
	}
	writeIdentity(w, m.MachineIdentifier)
}

func (m *MediaServer) transientToken(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Plex-Token") != m.AccessToken {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"MediaContainer": map[string]any{"size": 0, "token": "transient-" + randomHex(16)}})
}
