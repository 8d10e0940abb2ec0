package plextest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

const (
	homeMachine = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d"
	homeToken   = "home-server-token-1234"
)

// mediaServer starts a MediaServer closed (and checked) at the end of t.
func mediaServer(t testing.TB, machine string, delay time.Duration) *plextest.MediaServer {
	t.Helper()
	m := plextest.NewMediaServer(machine, homeToken)
	m.SetDelay(delay)
	t.Cleanup(func() {
		m.Close()
		m.AssertNoViolations(t)
		if n := m.TokensSeen(); n > 0 {
			t.Errorf("%s: %d probes carried X-Plex-Token", m.URL, n)
		}
	})
	return m
}

// refusedURL is a loopback address nothing listens on.
func refusedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func refusedConnection(t testing.TB, local, relay bool) plex.Connection {
	u := refusedURL(t)
	return plex.Connection{Protocol: "http", URI: u, Local: local, Relay: relay}
}

func connect(t *testing.T, c *plex.Client, r plex.Resource) (*plex.ServerConnection, time.Duration, error) {
	t.Helper()
	start := time.Now()
	sc, err := c.Authentication.Connect(ctx, r)
	return sc, time.Since(start), err
}

func TestPreferredURLs(t *testing.T) {
	conn := func(proto, addr string, port int, uri string, local, relay bool) plex.Connection {
		return plex.Connection{Protocol: proto, Address: addr, Port: port, URI: uri, Local: local, Relay: relay}
	}
	r := plex.Resource{
		Owned: true, PublicAddressMatches: true,
		Connections: []plex.Connection{
			conn("https", "198.51.100.20", 8443, "https://198-51-100-20.h.plex.direct:8443", false, true),
			conn("https", "2001:db8::10", 32400, "https://2001-db8--10.h.plex.direct:32400", false, false), // IPv6 listed first
			conn("https", "203.0.113.7", 32400, "https://203-0-113-7.h.plex.direct:32400", false, false),
			conn("https", "192.168.1.10", 32400, "https://192-168-1-10.h.plex.direct:32400", true, false),
			conn("http", "192.168.1.11", 32400, "http://192.168.1.11:32400", true, false),
			conn("https", "192.168.1.10", 32400, "https://192-168-1-10.h.plex.direct:32400/", true, false), // duplicate
		},
	}
	want := []string{
		"https://192-168-1-10.h.plex.direct:32400",
		"http://192.168.1.10:32400",
		"http://192.168.1.11:32400",
		"https://203-0-113-7.h.plex.direct:32400",
		"https://2001-db8--10.h.plex.direct:32400",
		"http://203.0.113.7:32400",
		"http://[2001:db8::10]:32400",
		"https://198-51-100-20.h.plex.direct:8443",
		"http://198.51.100.20:8443",
	}
	if got := r.PreferredURLs(); !slices.Equal(got, want) {
		t.Errorf("owned:\n got %q\nwant %q", got, want)
	}

	// Not on the server's network: its LAN addresses come after the remote ones.
	r.PublicAddressMatches = false
	if got, want := r.PreferredURLs(), []string{
		"https://203-0-113-7.h.plex.direct:32400",
		"https://2001-db8--10.h.plex.direct:32400",
		"http://203.0.113.7:32400",
		"http://[2001:db8::10]:32400",
		"https://192-168-1-10.h.plex.direct:32400",
		"http://192.168.1.10:32400",
		"http://192.168.1.11:32400",
		"https://198-51-100-20.h.plex.direct:8443",
		"http://198.51.100.20:8443",
	}; !slices.Equal(got, want) {
		t.Errorf("public address does not match:\n got %q\nwant %q", got, want)
	}
	r.PublicAddressMatches = true

	r.HTTPSRequired = true
	if got, want := r.PreferredURLs(), []string{
		"https://192-168-1-10.h.plex.direct:32400",
		"https://203-0-113-7.h.plex.direct:32400",
		"https://2001-db8--10.h.plex.direct:32400",
		"https://198-51-100-20.h.plex.direct:8443",
	}; !slices.Equal(got, want) {
		t.Errorf("https required:\n got %q\nwant %q", got, want)
	}

	r.Owned = false
	for _, u := range r.PreferredURLs() {
		if strings.Contains(u, "192-168") || strings.Contains(u, "192.168") {
			t.Errorf("shared server: local connection %s listed", u)
		}
	}
	if got := (plex.Resource{}).PreferredURLs(); len(got) != 0 {
		t.Errorf("no connections: %q", got)
	}
}

// The fixture's resources carry every field the spec declares, typed.
func TestResourceFields(t *testing.T) {
	_, c := setup(t)
	rs, err := c.Authentication.GetServerResources(ctx, plextest.UserToken)
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.Device != "PC" || r.PlatformVersion != "6.8.0-49-generic" || !r.PublicAddressMatches || r.DNSRebindingProtection ||
		!r.CreatedAt.Equal(time.Date(2021, 4, 12, 18, 21, 12, 0, time.UTC)) || !r.LastSeenAt.Equal(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)) ||
		r.OwnerID != 0 || r.SourceTitle != "" {
		t.Errorf("first resource: %+v", []any{r.Device, r.PlatformVersion, r.PublicAddressMatches, r.DNSRebindingProtection, r.CreatedAt, r.LastSeenAt, r.OwnerID, r.SourceTitle})
	}
	if r := rs[1]; !r.DNSRebindingProtection || !r.NATLoopbackSupported || r.Device != "DS920+" {
		t.Errorf("second resource: %v %v %q", r.DNSRebindingProtection, r.NATLoopbackSupported, r.Device)
	}
	if r := rs[2]; r.OwnerID != 987654 || r.SourceTitle != "friend" || r.Owned {
		t.Errorf("shared resource: %d %q %v", r.OwnerID, r.SourceTitle, r.Owned)
	}
}

// The tests of Connect's timing run under testing/synctest, every address
// answered in memory (hosts, in connect_hostile_test.go): the durations
// they check are exact, not wall-clock bounds.

const (
	lanHost    = "192.168.1.20:32400"
	remoteHost = "203.0.113.7:32400"
	relayHost  = "relay.example:32400"
)

func hostConn(host string, local, relay bool) plex.Connection {
	return plex.Connection{Protocol: "http", URI: "http://" + host, Local: local, Relay: relay}
}

// A LAN address that answers as another server is never chosen and never
// sees a token; the remote answer at 300 ms wins over the relay's instant
// one, as soon as it arrives.
func TestConnectSkipsAnotherServer(t *testing.T) {
	remote := mediaServer(t, homeMachine, 300*time.Millisecond)
	relay := mediaServer(t, homeMachine, 0)
	for _, tc := range []struct {
		name  string
		local http.RoundTripper // nil: the connection is refused
	}{
		{"wrong identity", mediaServer(t, "someone-else", 0)},
		{"refused", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := hosts{remoteHost: remote, relayHost: relay}
				if tc.local != nil {
					h[lanHost] = tc.local
				}
				c := inMemoryClient(t, h)
				r := plextest.Resource("Home", homeMachine, homeToken, hostConn(lanHost, true, false), hostConn(remoteHost, false, false), hostConn(relayHost, false, true))
				r.PublicAddressMatches = true
				sc, took, err := connect(t, c, r)
				if err != nil {
					t.Fatal(err)
				}
				if sc.URL != "http://"+remoteHost || sc.Local || sc.Relay || sc.MachineIdentifier != homeMachine || sc.AccessToken != homeToken {
					t.Errorf("chose %v, want the remote", sc)
				}
				// The relay answered at once: waiting for its grace (1 s) would take ≥ 1 s.
				if took < 300*time.Millisecond || took >= time.Second {
					t.Errorf("returned after %v, want when the remote answered (300 ms after its probe started)", took)
				}
				if sc.Latency != 300*time.Millisecond {
					t.Errorf("latency %v, want the remote's 300 ms", sc.Latency)
				}
			})
		})
	}
}

// A hanging LAN address holds the caller for the grace after the first
// answer (1 s), not its 10 s timeout; the best answer by then wins.
func TestConnectHangingLocal(t *testing.T) {
	local := mediaServer(t, homeMachine, time.Hour)
	remote := mediaServer(t, homeMachine, 300*time.Millisecond)
	relay := mediaServer(t, homeMachine, 0)
	synctest.Test(t, func(t *testing.T) {
		c := inMemoryClient(t, hosts{lanHost: local, remoteHost: remote, relayHost: relay})
		r := plextest.Resource("Home", homeMachine, homeToken, hostConn(lanHost, true, false), hostConn(remoteHost, false, false), hostConn(relayHost, false, true))
		r.PublicAddressMatches = true
		sc, took, err := connect(t, c, r)
		if err != nil {
			t.Fatal(err)
		}
		if sc.URL != "http://"+remoteHost {
			t.Errorf("chose %s, want the remote", sc.URL)
		}
		if took < time.Second || took >= 2*time.Second {
			t.Errorf("returned after %v, want 1 s after the relay's answer", took)
		}
		if local.Probes() != 1 {
			t.Errorf("local probed %d times, want 1", local.Probes())
		}
	})
}

// The most preferred answer is taken at once, without waiting for others.
func TestConnectLocalFirst(t *testing.T) {
	local := mediaServer(t, homeMachine, 0)
	remote := mediaServer(t, homeMachine, time.Hour)
	synctest.Test(t, func(t *testing.T) {
		c := inMemoryClient(t, hosts{lanHost: local, remoteHost: remote})
		r := plextest.Resource("Home", homeMachine, homeToken, hostConn(remoteHost, false, false), hostConn(lanHost, true, false))
		r.PublicAddressMatches = true
		sc, took, err := connect(t, c, r)
		if err != nil {
			t.Fatal(err)
		}
		if !sc.Local || sc.URL != "http://"+lanHost {
			t.Errorf("chose %v, want the local", sc)
		}
		if took != 0 {
			t.Errorf("returned after %v: waited for a less preferred probe", took)
		}
	})
}

// Local addresses of a server the account does not own are never probed.
func TestConnectSharedServerSkipsLocal(t *testing.T) {
	_, c := setup(t)
	local := mediaServer(t, homeMachine, 0)
	remote := mediaServer(t, homeMachine, 0)
	r := plextest.Resource("Friend", homeMachine, homeToken, local.Connection(true, false), remote.Connection(false, false))
	r.Owned = false
	sc, _, err := connect(t, c, r)
	if err != nil {
		t.Fatal(err)
	}
	if sc.URL != remote.URL || local.Probes() != 0 {
		t.Errorf("chose %s; local probed %d times", sc.URL, local.Probes())
	}
}

// None answering as the server: one error naming each URL's cause.
func TestConnectNoConnection(t *testing.T) {
	other := mediaServer(t, "someone-else", 0)
	refused := refusedConnection(t, false, false)
	broken := plextest.NewServer() // its /identity answers as plextest.MachineIdentifier
	t.Cleanup(broken.Close)
	brokenConn := plex.Connection{Protocol: "http", URI: broken.URL, Relay: true}
	broken.FailNext(1, plextest.Fault{Status: http.StatusServiceUnavailable})
	unauthorized := plextest.NewServer()
	t.Cleanup(unauthorized.Close)
	unauthorized.FailNext(1, plextest.Fault{Status: http.StatusUnauthorized})
	throttled := plextest.NewServer()
	t.Cleanup(throttled.Close)
	throttled.FailNext(1, plextest.Fault{Status: http.StatusTooManyRequests})
	throttledConn := plex.Connection{Protocol: "http", URI: throttled.URL, Relay: true}
	unauthorizedConn := plex.Connection{Protocol: "http", URI: unauthorized.URL, Relay: true}
	r := plextest.Resource("Home", homeMachine, homeToken, other.Connection(true, false), refused, brokenConn, unauthorizedConn, throttledConn)
	var logs bytes.Buffer
	c, _ := broken.Client(plex.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	sc, _, err := connect(t, c, r)
	if !errors.Is(err, plex.ErrNoConnection) || sc != nil {
		t.Fatalf("got %v, %v; want ErrNoConnection", sc, err)
	}
	msg := err.Error()
	for _, want := range []string{other.URL, refused.URI, broken.URL, "another server", "refused", "503"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg+logs.String(), homeToken) {
		t.Errorf("token in error or logs:\n%s\n%s", msg, logs.String())
	}
	// A probe's 401 is some address refusing an anonymous request, not a
	// verdict on any token the caller holds.
	if errors.Is(err, plex.ErrInvalidToken) || errors.Is(err, plex.ErrThrottled) {
		t.Errorf("Connect's error matches a token sentinel: %v", err)
	}
	if broken.RequestCount() != 1 {
		t.Errorf("the 503 was retried: %d requests (a probe is one attempt)", broken.RequestCount())
	}
	if _, err := c.Authentication.Connect(ctx, plextest.Resource("Empty", homeMachine, homeToken)); !errors.Is(err, plex.ErrNoConnection) {
		t.Errorf("no connections: %v", err)
	}
	if _, err := c.Authentication.Connect(ctx, plextest.Resource("NoID", "", homeToken, other.Connection(true, false))); err == nil || errors.Is(err, plex.ErrNoConnection) {
		t.Errorf("no clientIdentifier: %v, want a refusal before sending", err)
	}
}

// ctx bounds every probe: hanging addresses end with the context.
func TestConnectContext(t *testing.T) {
	a := mediaServer(t, homeMachine, time.Hour)
	b := mediaServer(t, homeMachine, time.Hour)
	synctest.Test(t, func(t *testing.T) {
		c := inMemoryClient(t, hosts{lanHost: a, remoteHost: b})
		r := plextest.Resource("Home", homeMachine, homeToken, hostConn(lanHost, true, false), hostConn(remoteHost, false, false))
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Authentication.Connect(cctx, r)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, plex.ErrNoConnection) {
			t.Errorf("got %v, want the deadline and ErrNoConnection", err)
		}
		if took := time.Since(start); took != 200*time.Millisecond {
			t.Errorf("returned after %v, want the context's 200 ms", took)
		}
	})
}

// The chosen connection's Client sends the server's own token there, and
// keeps the settings of the client that connected.
func TestServerConnectionClient(t *testing.T) {
	_, c := setup(t)
	m := mediaServer(t, homeMachine, 0)
	var into *http.Response
	sc, err := c.Authentication.Connect(ctx, plextest.Resource("Home", homeMachine, homeToken, m.Connection(true, false)), sdk.WithResponseInto(&into))
	if err != nil {
		t.Fatal(err)
	}
	if into == nil || into.StatusCode != http.StatusOK {
		t.Errorf("WithResponseInto: %v", into)
	}
	pc, err := sc.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll); err != nil {
		t.Fatal(err)
	}
	reqs := m.Requests()
	last := reqs[len(reqs)-1]
	if last.Header.Get("X-Plex-Token") != homeToken || last.Header.Get("X-Plex-Client-Identifier") != plextest.ClientIdentifier {
		t.Errorf("transient-token request headers: token ok %v, client id %q", last.Header.Get("X-Plex-Token") == homeToken, last.Header.Get("X-Plex-Client-Identifier"))
	}
	if out := sprint(*sc) + sprint(sc); strings.Contains(out, homeToken) {
		t.Errorf("fmt shows the token: %s", out)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("connected", "conn", sc, "value", *sc)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("connected", "conn", sc, "value", *sc)
	if strings.Contains(logs.String(), homeToken) {
		t.Errorf("slog shows the token: %s", logs.String())
	}
}

// The fake's own resources for UserToken are reachable: the first one at
// the fake PMS (LoopbackResources), so Connect works against the fake alone.
func TestConnectFakeResources(t *testing.T) {
	srv, c := setup(t)
	srv.SetResources(plextest.UserToken, srv.LoopbackResources())
	rs, err := c.Authentication.GetServerResources(ctx, plextest.UserToken)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := c.Authentication.Connect(ctx, rs[0])
	if err != nil {
		t.Fatal(err)
	}
	if sc.URL != srv.URL || sc.MachineIdentifier != plextest.MachineIdentifier {
		t.Errorf("got %v", sc)
	}
	pc, _ := sc.Client()
	if _, err := pc.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rs[0])
	if !bytes.Contains(b, []byte(`"createdAt"`)) {
		t.Errorf("resource JSON: %s", b)
	}
}

// BenchmarkConnect: Connect over 6 loopback candidates that all answer,
// against one /identity round trip through the same client (baseline).
// Probes run at once, so the ratio stays near 1, not 6.
func BenchmarkConnect(b *testing.B) {
	srv := plextest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()
	var conns []plex.Connection
	for i := range 6 {
		m := plextest.NewMediaServer(homeMachine, homeToken)
		defer m.Close()
		conns = append(conns, m.Connection(i < 2, i >= 4))
	}
	all := plextest.Resource("Home", homeMachine, homeToken, conns...)
	hc := &http.Client{}
	b.Run("baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, conns[0].URI+"/identity", nil)
			req.Header.Set("Accept", "application/json")
			rsp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var id struct {
				MediaContainer struct{ MachineIdentifier string }
			}
			err = json.NewDecoder(rsp.Body).Decode(&id)
			_ = rsp.Body.Close()
			if err != nil || id.MediaContainer.MachineIdentifier != homeMachine {
				b.Fatal(err, id)
			}
		}
	})
	b.Run("sdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Authentication.Connect(ctx, all); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// 24 addresses that accept and never answer held Connect 30 s with
// context.Background(): it now probes the 16 most preferred and gives
// itself 15 s in all when ctx has no deadline.
func TestConnectBudgetAndCandidateCap(t *testing.T) {
	hang := mediaServer(t, homeMachine, time.Hour)
	synctest.Test(t, func(t *testing.T) {
		h := hosts{}
		var conns []plex.Connection
		for i := range 24 {
			host := fmt.Sprintf("10.0.0.%d:32400", i+1)
			h[host] = hang
			conns = append(conns, hostConn(host, true, false))
		}
		c := inMemoryClient(t, h)
		r := plextest.Resource("Home", homeMachine, homeToken, conns...)
		r.PublicAddressMatches = true
		start := time.Now()
		_, err := c.Authentication.Connect(context.Background(), r)
		if took := time.Since(start); took != 15*time.Second || !errors.Is(err, plex.ErrNoConnection) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("returned after %v with %v; want ErrNoConnection at the 15 s budget", took, err)
		}
		if n := hang.Probes(); n != 16 {
			t.Fatalf("%d addresses probed, want the 16 most preferred", n)
		}
		if strings.Contains(err.Error(), "10.0.0.17:") {
			t.Fatalf("the error names an address past the 16th: %v", err)
		}
	})
}
