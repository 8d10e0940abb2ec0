package plex_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authsdk/authsdk/sdk/plex"
)

// tokenServer is one loopback TLS server that every host name dials to; it
// records, per host, the X-Plex-Token each request carried.
type tokenServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen map[string]string // host → token ("" = none)
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{seen: map[string]string{}}
	ts.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.seen[r.Host] = r.Header.Get("X-Plex-Token")
		ts.mu.Unlock()
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	ts.srv.EnableHTTP2 = false
	ts.srv.StartTLS()
	t.Cleanup(ts.srv.Close)
	return ts
}

// base dials every address to the server and accepts its certificate, over
// https and http alike (http requests reach a TLS server and fail: they
// still show whether a token went out, through the error-free path below).
func (ts *tokenServer) base() *http.Transport {
	addr := ts.srv.Listener.Addr().String()
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
}

func (ts *tokenServer) token(host string) (string, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	v, ok := ts.seen[host]
	return v, ok
}

func TestTransportSendsTheTokenOnlyWhereAllowed(t *testing.T) {
	ts := newTokenServer(t)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.seen["http:"+r.Host] = r.Header.Get("X-Plex-Token")
		ts.mu.Unlock()
	}))
	defer plain.Close()
	plainAddr := plain.Listener.Addr().String()
	cases := []struct {
		hosts []string
		url   string
		want  bool
	}{
		{nil, "https://plex.tv/api/v2/user", true},
		{nil, "https://PLEX.TV:443/api/v2/user", true},
		{nil, "https://clients.plex.tv/api/v2/auth/nonce", true},
		{nil, "https://10-0-0-5.abc123.plex.direct:32400/identity", true},
		{nil, "http://plex.tv/api/v2/user", false},
		{nil, "https://notplex.tv/", false},
		{nil, "https://plex.tv.evil.example/", false},
		{nil, "https://evilplex.direct/", false},
		{nil, "https://plex.direct/", false},
		{[]string{"192.168.1.20", "*.example.com"}, "http://192.168.1.20:32400/identity", true},
		{[]string{"192.168.1.20", "*.example.com"}, "https://a.example.com/", true},
		{[]string{"192.168.1.20", "*.example.com"}, "http://a.example.com/", false},
		{[]string{"192.168.1.20", "*.example.com"}, "https://example.com/", false},
		{[]string{"192.168.1.20", "*.example.com"}, "https://notexample.com/", false},
		{[]string{"192.168.1.20", "*.example.com"}, "https://plex.tv/", false},
		{[]string{"192.168.1.20:32400"}, "http://192.168.1.20:32400/identity", true},
		{[]string{"[::1]"}, "http://[::1]:32400/identity", true},
		{[]string{"::1"}, "http://[::1]:32400/identity", true},
		{[]string{"[::1]:32400"}, "http://[::2]:32400/identity", false},
		{[]string{" Plex.Local. "}, "http://plex.local:32400/identity", true},
	}
	for _, c := range cases {
		base := ts.base()
		if strings.HasPrefix(c.url, "http:") {
			base.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, plainAddr)
			}
		}
		hc := &http.Client{Transport: &plex.Transport{Source: plex.StaticToken("tok-secret"), Base: base, Hosts: c.hosts}}
		req, _ := http.NewRequest(http.MethodGet, c.url, nil)
		req.Header.Set("X-Custom", "kept")
		rsp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		rsp.Body.Close()
		if req.Header.Get("X-Plex-Token") != "" || len(req.Header) != 1 {
			t.Fatalf("%s: the caller's request was modified: %v", c.url, req.Header)
		}
		host := req.URL.Host
		if strings.HasPrefix(c.url, "http:") {
			host = "http:" + host
		}
		got, ok := ts.token(host)
		if !ok {
			t.Fatalf("%s: the request did not arrive", c.url)
		}
		if (got == "tok-secret") != c.want {
			t.Errorf("%s (hosts %v): token sent = %v, want %v", c.url, c.hosts, got != "", c.want)
		}
	}
}

func TestTransportRedirectToAnotherHostCarriesNoToken(t *testing.T) {
	ts := newTokenServer(t)
	hc := &http.Client{Transport: &plex.Transport{Source: plex.StaticToken("tok-secret"), Base: ts.base()}}
	rsp, err := hc.Get("https://plex.tv/start?to=https://evil.example/landing")
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	if tok, _ := ts.token("plex.tv"); tok != "tok-secret" {
		t.Fatal("plex.tv got no token")
	}
	if tok, ok := ts.token("evil.example"); !ok || tok != "" {
		t.Fatalf("redirect target: arrived %v, token %q", ok, tok)
	}
}

func TestTransportSendsNothingWhenTheSourceFails(t *testing.T) {
	ts := newTokenServer(t)
	for _, src := range []plex.TokenSource{plex.StaticToken(""), failing{}, plex.StaticToken("bad\ntoken")} {
		hc := &http.Client{Transport: &plex.Transport{Source: src, Base: ts.base()}}
		_, err := hc.Get("https://plex.tv/api/v2/user")
		if err == nil {
			t.Fatalf("%T: request sent", src)
		}
		if _, ok := ts.token("plex.tv"); ok {
			t.Fatalf("%T: the server saw a request", src)
		}
		if _, isFailing := src.(failing); isFailing && !errors.Is(err, errSource) {
			t.Fatalf("source error not wrapped: %v", err)
		}
		if strings.Contains(err.Error(), "bad") {
			t.Fatalf("the token reached the error: %v", err)
		}
	}
}

var errSource = errors.New("source down")

type failing struct{}

func (failing) PlexToken(context.Context) (string, error) { return "", errSource }

// BenchmarkTransport compares a loopback request through Transport with the
// same request through its base transport (make bench pairs them).
func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	base := &http.Transport{MaxIdleConnsPerHost: 4}
	run := func(b *testing.B, rt http.RoundTripper) {
		hc := &http.Client{Transport: rt}
		b.ReportAllocs()
		for b.Loop() {
			rsp, err := hc.Get(srv.URL + "/identity")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, rsp.Body)
			rsp.Body.Close()
		}
	}
	b.Run("baseline", func(b *testing.B) { run(b, base) })
	// The same token set by hand on every request: what the header itself costs.
	b.Run("by-hand", func(b *testing.B) { run(b, byHand{base}) })
	b.Run("sdk", func(b *testing.B) {
		run(b, &plex.Transport{Source: plex.StaticToken("tok-secret"), Base: base, Hosts: []string{strings.Split(host, ":")[0]}})
	})
}

// byHand sets the token the way a program without Transport would: on the
// request it was given.
type byHand struct{ base http.RoundTripper }

func (h byHand) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Header.Set("X-Plex-Token", "tok-secret")
	return h.base.RoundTrip(r)
}

// A host with an IPv6 zone (or brackets askew) is not the host net/http
// dials: "[::1%25x.plex.tv]" ends in .plex.tv only in its zone. No token.
func TestTransportRefusesZonesAndOddHosts(t *testing.T) {
	ts := newTokenServer(t)
	hc := &http.Client{Transport: &plex.Transport{Source: plex.StaticToken("tok-secret"), Base: ts.base()}}
	for _, u := range []string{"https://[::1%25x.plex.tv]/api", "https://[fe80::1%25eth0.plex.tv]:443/", "https://[::1%25.plex.direct]/"} {
		rsp, err := hc.Get(u)
		if err == nil {
			rsp.Body.Close()
		}
		ts.mu.Lock()
		for host, tok := range ts.seen {
			if tok != "" {
				t.Errorf("%s: the token went to %s", u, host)
			}
		}
		ts.mu.Unlock()
	}
	lan := &http.Client{Transport: &plex.Transport{Source: plex.StaticToken("tok-secret"), Base: ts.base(), Hosts: []string{"fe80::1"}}}
	if rsp, err := lan.Get("https://[fe80::1%25eth0]/"); err == nil {
		rsp.Body.Close()
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for host, tok := range ts.seen {
		if tok != "" {
			t.Errorf("a zoned address matched Hosts: the token went to %s", host)
		}
	}
}
