package plextest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// Tokens that never strand a service: the rules of keeping, backing off,
// storing and sharing a Plex JWT. Each runs in a synctest bubble against
// the fake in memory; "exchanges" are the nonce requests the fake got
// (the clients here make one attempt per exchange).

// outage answers clients.plex.tv's requests with 503 while down is set,
// and stands for two resource hosts: a Plex Media Server under
// *.plex.direct that refuses every token with 498, and plex.tv's
// /resource that accepts any and remembers the last it saw.
type outage struct {
	fake    *plextest.Server
	down    atomic.Bool
	nonces  atomic.Int32
	pmsHits atomic.Int32
	mu      sync.Mutex
	lastTok string
}

func (o *outage) RoundTrip(req *http.Request) (*http.Response, error) {
	answer := func(status int) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{}`)), Request: req}, nil
	}
	switch {
	case strings.HasSuffix(req.URL.Hostname(), ".plex.direct"):
		o.pmsHits.Add(1)
		return answer(498)
	case strings.HasSuffix(req.URL.Path, "/resource"):
		o.mu.Lock()
		o.lastTok = req.Header.Get("X-Plex-Token")
		o.mu.Unlock()
		return answer(200)
	case strings.HasSuffix(req.URL.Path, "/auth/nonce"):
		o.nonces.Add(1)
		if o.down.Load() {
			return answer(503)
		}
	}
	return o.fake.RoundTrip(req)
}

func (o *outage) seen() string { o.mu.Lock(); defer o.mu.Unlock(); return o.lastTok }

var oneAttempt = plex.WithRetryConfig(sdk.RetryConfig{Strategy: sdk.StrategyNone})

// outageSource is bubbleSource sending through o, one attempt per call.
func outageSource(t *testing.T, srv *plextest.Server, o *outage, lifetime time.Duration, opts ...plex.Option) (*plex.Client, *plex.JWTSource) {
	t.Helper()
	return bubbleSource(t, srv, lifetime, append([]plex.Option{plex.WithHTTPClient(&http.Client{Transport: o}), oneAttempt}, opts...)...)
}

// A Plex Media Server's 498 during a plex.tv outage leaves the held JWT in
// place: the next plex.tv request carries it (it was dropped before, and
// every later request failed with "no token").
func TestAServersRefusalKeepsTheJWT(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		o := &outage{fake: srv}
		_, src := outageSource(t, srv, o, 7*24*time.Hour)
		held, err := src.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		o.down.Store(true)
		before := o.nonces.Load()
		hc := &http.Client{Transport: &plex.Transport{Source: src, Base: o, Hosts: []string{"plex.tv", "*.plex.tv", "*.plex.direct"}}}
		rsp, err := hc.Get("https://10-0-0-5.abc.plex.direct:32400/library")
		if err != nil || rsp.StatusCode != 498 {
			t.Fatalf("the server's answer: %v %v", rsp, err)
		}
		rsp.Body.Close()
		rsp, err = hc.Get("https://plex.tv/api/v2/resource")
		if err != nil || rsp.StatusCode != 200 || o.seen() != string(held.Token) {
			t.Fatalf("the next plex.tv request: %v %v, carried the held JWT: %v", rsp, err, o.seen() == string(held.Token))
		}
		rsp.Body.Close()
		if n := o.nonces.Load() - before; n > 1 {
			t.Fatalf("%d exchanges, want at most 1", n)
		}
	})
}

// A server that always answers 498 cannot make the source exchange per
// request (50 requests made 50 exchanges): one refresh a minute at most.
func TestAlways498HostCostsAtMostOneRefresh(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		o := &outage{fake: srv}
		_, src := outageSource(t, srv, o, 7*24*time.Hour)
		hc := &http.Client{Transport: &plex.Transport{Source: src, Base: o, Hosts: []string{"*.plex.direct"}}}
		for range 50 {
			rsp, err := hc.Get("https://10-0-0-5.abc.plex.direct:32400/library")
			if err != nil {
				t.Fatal(err)
			}
			rsp.Body.Close()
		}
		if n := o.nonces.Load(); n > 2 {
			t.Fatalf("%d exchanges for 50 refused requests, want at most 2", n)
		}
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatalf("the source lost its JWT: %v", err)
		}
	})
}

// With no JWT and clients.plex.tv down, callers do not each start an
// exchange (48 calls made 144 requests): inside the back-off Token answers
// at once with the last error, saying when the next attempt is.
func TestNoJWTAndAnOutageBacksOff(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		o := &outage{fake: srv}
		o.down.Store(true)
		_, src := outageSource(t, srv, o, time.Hour)
		var last error
		for range 50 {
			_, last = src.Token(context.Background())
			if last == nil {
				t.Fatal("a JWT from a failing clients.plex.tv")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if n := o.nonces.Load(); n > 4 {
			t.Fatalf("%d exchanges for 50 calls over 5 s, want at most 4", n)
		}
		// Right after a call that may have been an attempt (the windows are
		// jittered), the next one is inside a window.
		_, _ = src.Token(context.Background())
		_, last = src.Token(context.Background())
		var api *sdk.APIError
		if !errors.As(last, &api) || api.StatusCode != 503 || !strings.Contains(last.Error(), "not retried before") {
			t.Fatalf("the error inside the back-off: %v", last)
		}
		o.down.Store(false)
		time.Sleep(time.Until(src.Status().NextAttempt))
		if _, err := src.Token(context.Background()); err != nil {
			t.Fatalf("after the outage: %v", err)
		}
	})
}

// A key clients.plex.tv does not know says that a person must sign in:
// ErrKeyNotRegistered, NeedsSignIn, one Error line, and no exchange per call.
func TestUnknownKeyNeedsSignIn(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		o := &outage{fake: srv}
		c, err := srv.Client(plex.WithHTTPClient(&http.Client{Transport: o}), oneAttempt,
			plex.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
		if err != nil {
			t.Fatal(err)
		}
		k, _ := plex.NewDeviceKey() // never registered
		src := c.Authentication.NewJWTSource(k)
		defer src.Close()
		for i := range 50 {
			_, err := src.Token(context.Background())
			if !errors.Is(err, plex.ErrKeyNotRegistered) {
				t.Fatalf("call %d: %v, want ErrKeyNotRegistered", i, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !src.Status().NeedsSignIn {
			t.Fatal("Status().NeedsSignIn is false")
		}
		if n := o.nonces.Load(); n > 2 {
			t.Fatalf("%d exchanges for 50 calls, want at most 2", n)
		}
		if errs, warns := strings.Count(logs.String(), "level=ERROR"), strings.Count(logs.String(), "level=WARN"); errs != 1 || warns != 0 {
			t.Fatalf("%d Error and %d Warn lines, want one Error:\n%s", errs, warns, logs.String())
		}
	})
}

// A JWT handed over with SetToken is stored: a restarted source on the same
// store starts from it and sends nothing.
func TestSetTokenIsStored(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		id, err := plex.OpenIdentity(context.Background(), plex.MemoryStore())
		if err != nil {
			t.Fatal(err)
		}
		o := &outage{fake: srv}
		srv.SetJWTLifetime(7 * 24 * time.Hour)
		plain, err := srv.Client(plex.WithHTTPClient(&http.Client{Transport: o}), plex.WithClientIdentifier(id.ClientIdentifier))
		if err != nil {
			t.Fatal(err)
		}
		if err := plain.Authentication.RegisterDeviceKey(context.Background(), plextest.UserToken, id.Key); err != nil {
			t.Fatal(err)
		}
		got, err := plain.Authentication.ExchangeDeviceJWT(context.Background(), id.Key) // "from a PIN sign-in"
		if err != nil {
			t.Fatal(err)
		}
		c, err := srv.Client(plex.WithHTTPClient(&http.Client{Transport: o}), plex.WithIdentity(id))
		if err != nil {
			t.Fatal(err)
		}
		first := c.Authentication.NewJWTSource(id.Key)
		first.SetToken(got)
		_ = first.Close()
		n := srv.RequestCount()
		restarted := c.Authentication.NewJWTSource(id.Key)
		defer restarted.Close()
		j, err := restarted.Token(context.Background())
		if err != nil || j.Token != got.Token || srv.RequestCount() != n {
			t.Fatalf("restarted: %v, same JWT %v, %d requests", err, err == nil && j.Token == got.Token, srv.RequestCount()-n)
		}
	})
}

// Sources sharing one identity store that go stale together make one
// exchange between them and end with the same JWT.
func TestSourcesSharingAStoreRefreshOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) plex.IdentityStore
	}{
		{"MemoryStore", func(*testing.T) plex.IdentityStore { return plex.MemoryStore() }},
		{"DirStore", func(t *testing.T) plex.IdentityStore { return plex.DirStore(t.TempDir()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := inMemory(t)
			synctest.Test(t, func(t *testing.T) {
				store := tc.store(t)
				id, err := plex.OpenIdentity(context.Background(), store)
				if err != nil {
					t.Fatal(err)
				}
				o := &outage{fake: srv}
				srv.SetJWTLifetime(time.Hour)
				c, err := srv.Client(plex.WithHTTPClient(&http.Client{Transport: o}), plex.WithIdentity(id), oneAttempt)
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Authentication.RegisterDeviceKey(context.Background(), plextest.UserToken, id.Key); err != nil {
					t.Fatal(err)
				}
				a := c.Authentication.NewJWTSource(id.Key)
				defer a.Close()
				if _, err := a.Token(context.Background()); err != nil {
					t.Fatal(err)
				}
				b := c.Authentication.NewJWTSource(id.Key) // a replica: starts from the stored JWT
				defer b.Close()
				time.Sleep(31 * time.Minute) // both stale (half the lifetime left)
				before := o.nonces.Load()
				var wg sync.WaitGroup
				for _, s := range []*plex.JWTSource{a, b} {
					wg.Go(func() {
						if _, err := s.Token(context.Background()); err != nil {
							t.Error(err)
						}
					})
				}
				wg.Wait()
				time.Sleep(time.Second) // the background refreshes (a DirStore lease is polled)
				synctest.Wait()
				ja, _ := a.Token(context.Background())
				jb, _ := b.Token(context.Background())
				if n := o.nonces.Load() - before; n != 1 || ja.Token != jb.Token || time.Until(ja.ExpiresAt) < 59*time.Minute {
					t.Fatalf("%d exchanges, same JWT %v, %v left; want 1 exchange and one new JWT in both", n, ja.Token == jb.Token, time.Until(ja.ExpiresAt))
				}
			})
		})
	}
}

// A JWT plex.tv refused is never adopted back from the store: the next
// Token exchanges for a new one.
func TestRefusedJWTIsNotReadBackFromTheStore(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		id, err := plex.OpenIdentity(context.Background(), plex.MemoryStore())
		if err != nil {
			t.Fatal(err)
		}
		srv.SetJWTLifetime(7 * 24 * time.Hour)
		c, err := srv.Client(plex.WithHTTPClient(&http.Client{Transport: srv}), plex.WithIdentity(id))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Authentication.RegisterDeviceKey(context.Background(), plextest.UserToken, id.Key); err != nil {
			t.Fatal(err)
		}
		src := c.Authentication.NewJWTSource(id.Key)
		defer src.Close()
		first, err := src.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		src.Invalidate(first) // plex.tv refused it
		time.Sleep(time.Second)
		next, err := src.Token(context.Background())
		if err != nil || next.Token == first.Token {
			t.Fatalf("after plex.tv refused the JWT: %v, the same one again: %v", err, err == nil && next.Token == first.Token)
		}
	})
}
