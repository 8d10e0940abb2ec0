package plextest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// hosts routes each request by host, in memory: to a MediaServer, or to a
// behaviour of a hostile network. Everything runs on the test's goroutines
// and timers, so testing/synctest controls the clock.
type hosts map[string]http.RoundTripper

func (h hosts) RoundTrip(req *http.Request) (*http.Response, error) {
	if rt, ok := h[req.URL.Host]; ok {
		return rt.RoundTrip(req)
	}
	return nil, fmt.Errorf("dial %s: connection refused", req.URL.Host)
}

// blackHole is an address whose connection never completes (a LAN address
// seen from outside the LAN): it waits for the request's context.
type blackHole struct{ dials atomic.Int32 }

func (b *blackHole) RoundTrip(req *http.Request) (*http.Response, error) {
	b.dials.Add(1)
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// hangsAfterConnect connects (TCP/TLS) and then never answers.
type hangsAfterConnect struct{}

func (hangsAfterConnect) RoundTrip(req *http.Request) (*http.Response, error) {
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil && tr.GotConn != nil {
		tr.GotConn(httptrace.GotConnInfo{})
	}
	<-req.Context().Done()
	return nil, req.Context().Err()
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func inMemoryClient(t *testing.T, rt http.RoundTripper) *plex.Client {
	t.Helper()
	c, err := plex.New(plex.WithClientIdentifier("connect-test"), plex.WithHTTPClient(&http.Client{Transport: rt}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func conn(host string, local bool) plex.Connection {
	return plex.Connection{Protocol: "http", Address: host, Port: 32400, URI: "http://" + host + ":32400", Local: local}
}

// A more-preferred address that never connects gets 250 ms after a
// less-preferred one answered, not the full second; one that connected
// and hangs keeps the second.
func TestConnectBlackHoledPreferredAddress(t *testing.T) {
	remote := mediaServer(t, homeMachine, 0)
	for _, c := range []struct {
		name  string
		local http.RoundTripper
		want  time.Duration
	}{
		{"never connects", &blackHole{}, 250 * time.Millisecond},
		{"connected, hangs", hangsAfterConnect{}, time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				client := inMemoryClient(t, hosts{"10.0.0.5:32400": c.local, "203.0.113.7:32400": remote})
				r := plextest.Resource("Home", homeMachine, homeToken, conn("10.0.0.5", true), conn("203.0.113.7", false))
				start := time.Now()
				sc, err := client.Authentication.Connect(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				if sc.URL != "http://203.0.113.7:32400" {
					t.Fatalf("chose %s", sc.URL)
				}
				// The remote answers after the local's 20 ms head start; the
				// clock is synctest's, so this is exact, not a wall-clock bound.
				if took := time.Since(start); took != headStartPlus(c.want) {
					t.Errorf("returned after %v, want %v after the remote answered", took, c.want)
				}
			})
		})
	}
}

func headStartPlus(d time.Duration) time.Duration { return 20*time.Millisecond + d }

// A probe never follows a redirect: an address that points at the real
// server has not answered as the server, and gets no token afterwards.
func TestConnectNeverFollowsRedirects(t *testing.T) {
	real := mediaServer(t, homeMachine, 0)
	var mu sync.Mutex
	var tokens []string
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, r.Header.Get("X-Plex-Token"))
		mu.Unlock()
		http.Redirect(w, r, real.URL+r.URL.Path, http.StatusFound)
	}))
	defer redirector.Close()
	_, c := setup(t)
	r := plextest.Resource("Home", homeMachine, homeToken, plex.Connection{Protocol: "http", URI: redirector.URL, Local: true})
	sc, err := c.Authentication.Connect(context.Background(), r)
	if !errors.Is(err, plex.ErrNoConnection) {
		t.Fatalf("a redirect counted as the server: %v %v", sc, err)
	}
	if !strings.Contains(err.Error(), "302") {
		t.Errorf("the error does not say the address redirected: %v", err)
	}
	if real.Probes() != 0 {
		t.Errorf("the redirect was followed: the real server was probed %d times", real.Probes())
	}
	mu.Lock()
	defer mu.Unlock()
	for _, tok := range tokens {
		if tok != "" {
			t.Errorf("the redirector received a token")
		}
	}
}

// At most 8 probes are in flight, however many candidates a resource lists.
func TestConnectCapsProbesInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var now, peak atomic.Int32
		rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			n := now.Add(1)
			defer now.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			select {
			case <-req.Context().Done():
				return nil, req.Context().Err()
			case <-time.After(3 * time.Second):
				return nil, errors.New("refused")
			}
		})
		var conns []plex.Connection
		for i := range 24 {
			conns = append(conns, conn(fmt.Sprintf("10.0.%d.1", i), false))
		}
		r := plextest.Resource("Many", homeMachine, homeToken, conns...)
		_, err := inMemoryClient(t, rt).Authentication.Connect(context.Background(), r)
		if !errors.Is(err, plex.ErrNoConnection) {
			t.Fatal(err)
		}
		if p := peak.Load(); p > 8 || p < 2 {
			t.Errorf("%d probes in flight at once, want at most 8", p)
		}
	})
}

// An /identity answer is read up to 64 KiB: a huge one fails the probe.
func TestConnectBoundsTheIdentityAnswer(t *testing.T) {
	pad := strings.Repeat(" ", 100<<10)
	rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		body := `{"MediaContainer":{"size":0,"claimed":true,"machineIdentifier":"` + homeMachine + `","version":"1"}}` + pad
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	})
	r := plextest.Resource("Big", homeMachine, homeToken, conn("10.0.0.9", true))
	_, err := inMemoryClient(t, rt).Authentication.Connect(context.Background(), r)
	if !errors.Is(err, plex.ErrNoConnection) {
		t.Fatalf("a 100 KiB identity answer was accepted: %v", err)
	}
}
