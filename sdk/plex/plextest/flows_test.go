package plextest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/url"
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

func countOp(srv *plextest.Server, op string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Operation == op {
			n++
		}
	}
	return n
}

// bubbleClient talks to srv in memory; call it inside a synctest bubble.
func bubbleClient(t *testing.T, srv *plextest.Server, opts ...plex.Option) *plex.Client {
	t.Helper()
	c, err := srv.Client(append([]plex.Option{plex.WithHTTPClient(&http.Client{Transport: srv})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPinSignInEndToEnd(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) { pinSignInEndToEnd(t, srv, bubbleClient(t, srv)) })
}

func pinSignInEndToEnd(t *testing.T, srv *plextest.Server, c *plex.Client) {
	pin, err := c.Authentication.CreatePin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if pin.ID <= 0 || len(pin.Code) < 20 || pin.ClientIdentifier != plextest.ClientIdentifier || pin.Product != plextest.Product || time.Until(pin.ExpiresAt) < 20*time.Minute || pin.AuthToken != "" {
		t.Fatalf("pin %+v", pin)
	}
	r := srv.Requests()[0]
	if r.Method != "POST" || r.RawQuery != "strong=true" || r.Header.Get("X-Plex-Token") != "" || r.Header.Get("X-Plex-Client-Identifier") != plextest.ClientIdentifier {
		t.Fatalf("create request %+v", r)
	}
	srv.ApproveNextPin(7, plextest.UserToken) // the user approves while it polls: the 7th poll sees it
	done, err := c.Authentication.WaitForPin(ctx, pin, 10*time.Millisecond)
	if err != nil || done.AuthToken != plextest.UserToken {
		t.Fatalf("%v %v", done, err)
	}
	if n := countOp(srv, "getPin"); n != 7 {
		t.Fatalf("%d polls, want 7 (every 10 ms until approved on the 7th)", n)
	}
	acct, err := c.Authentication.GetUserDetails(ctx, string(done.AuthToken))
	if err != nil || acct.Email != plextest.Login {
		t.Fatalf("%v %v", acct, err)
	}
	short, err := c.Authentication.CreatePin(ctx, false)
	if err != nil || len(short.Code) != 4 {
		t.Fatalf("link pin %v %v", short, err)
	}
}

func TestWaitForPinUsesOneConnectionAndSurvives5xx(t *testing.T) {
	var conns, polls atomic.Int32
	var srv *plextest.Server
	base := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conns.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	// Approved once the failures are behind it: the 6th poll sees the token.
	hc := &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/pins/") && polls.Add(1) == 6 {
			for _, code := range srv.PendingPins() {
				_ = srv.ApprovePin(code, plextest.UserToken)
			}
		}
		return base.RoundTrip(r)
	})}
	srv, c := setup(t, plex.WithHTTPClient(hc))
	pin, err := c.Authentication.CreatePin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext(4, plextest.Fault{Status: 503}) // more than one GetPin's retries
	srv.ThrottleNext(1)
	done, err := c.Authentication.WaitForPin(ctx, pin, 5*time.Millisecond)
	if err != nil || done.AuthToken == "" {
		t.Fatalf("%v %v", done, err)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for all polls, want 1", n)
	}
}

func TestWaitForPinEndsAtExpiry(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) { waitForPinEndsAtExpiry(t, srv, bubbleClient(t, srv)) })
}

func waitForPinEndsAtExpiry(t *testing.T, srv *plextest.Server, c *plex.Client) {
	// By ExpiresAt: it wakes at expiry instead of sleeping a whole interval past it.
	srv.SetPinLifetime(25 * time.Minute)
	pin, err := c.Authentication.CreatePin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Authentication.WaitForPin(ctx, pin, 10*time.Minute)
	if took := time.Since(start); !errors.Is(err, plex.ErrPinExpired) || took > 25*time.Minute {
		t.Fatalf("after %v: %v, want ErrPinExpired at the expiry (25 min), not a whole interval past it", took, err)
	}
	// By plex.tv's 404 (code 1020) when the expiry is unknown.
	pin2, _ := c.Authentication.CreatePin(ctx, true)
	srv.ExpirePin(pin2.Code)
	pin2.ExpiresAt = time.Time{}
	_, err = c.Authentication.WaitForPin(ctx, pin2, 5*time.Millisecond)
	var api *sdk.APIError
	if !errors.Is(err, plex.ErrPinExpired) || !errors.As(err, &api) || api.StatusCode != 404 {
		t.Fatalf("404: %v", err)
	}
	if _, err := c.Authentication.GetPin(ctx, pin2.ID); !errors.Is(err, plex.ErrPinExpired) {
		t.Fatalf("GetPin after expiry: %v", err)
	}
}

func TestWaitForPinEndsOnCancel(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		c := bubbleClient(t, srv)
		pin, _ := c.Authentication.CreatePin(ctx, true)
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.Authentication.WaitForPin(cctx, pin, time.Minute)
		if took := time.Since(start); !errors.Is(err, context.Canceled) || took != 50*time.Millisecond {
			t.Fatalf("after %v: %v, want context.Canceled when it is cancelled (50 ms)", took, err)
		}
	})
}

func TestPinBadInputFailsBeforeSending(t *testing.T) {
	srv, c := setup(t)
	noID, _ := srv.Client(plex.WithClientIdentifier(""))
	if _, err := noID.Authentication.CreatePin(ctx, true); err == nil || !strings.Contains(err.Error(), "client identifier") {
		t.Fatalf("no client identifier: %v", err)
	}
	for _, id := range []int64{0, -1} {
		if _, err := c.Authentication.GetPin(ctx, id); err == nil {
			t.Errorf("GetPin(%d) accepted", id)
		}
	}
	if _, err := c.Authentication.WaitForPin(ctx, &plex.Pin{ID: 1}, -time.Second); err == nil {
		t.Error("negative interval accepted")
	}
	if _, err := c.Authentication.WaitForPin(ctx, nil, 0); err == nil {
		t.Error("nil pin accepted")
	}
	if _, err := c.Authentication.GetServerResources(ctx, ""); err == nil {
		t.Error("empty token accepted")
	}
	if n := srv.RequestCount(); n != 0 {
		t.Fatalf("%d requests sent for bad input", n)
	}
}

func TestCreatePinIsRetriedOnlyWhenNotProcessed(t *testing.T) {
	srv, c := setup(t)
	srv.FailNext(1, plextest.Fault{Status: 503})
	if _, err := c.Authentication.CreatePin(ctx, true); err == nil || countOp(srv, "createPin") != 1 {
		t.Fatalf("503 on a non-idempotent create: %v after %d requests", err, countOp(srv, "createPin"))
	}
	srv.ThrottleNext(1)
	if _, err := c.Authentication.CreatePin(ctx, true); err != nil || countOp(srv, "createPin") != 3 {
		t.Fatalf("429 not retried: %v after %d requests", err, countOp(srv, "createPin"))
	}
}

func TestAuthURL(t *testing.T) {
	p := &plex.Pin{ClientIdentifier: "id with space&x", Code: "abc", Product: "My App/2"}
	got := p.AuthURL("")
	want := "https://app.plex.tv/auth#?clientID=id%20with%20space%26x&code=abc&context%5Bdevice%5D%5Bproduct%5D=My%20App%2F2"
	if got != want {
		t.Fatalf("AuthURL = %s\nwant      %s", got, want)
	}
	u, err := url.Parse(p.AuthURL("https://app.example/cb?x=1&y=2"))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := url.ParseQuery(strings.TrimPrefix(u.EscapedFragment(), "?"))
	if q.Get("forwardUrl") != "https://app.example/cb?x=1&y=2" || q.Get("code") != "abc" || q.Get("context[device][product]") != "My App/2" {
		t.Fatalf("fragment %q", u.Fragment)
	}
}

func TestServerResources(t *testing.T) {
	srv, c := setup(t)
	rs, err := c.Authentication.GetServerResources(ctx, plextest.UserToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || !rs[0].IsServer() || rs[3].IsServer() || rs[0].AccessToken == "" || len(rs[0].Connections) != 4 || !rs[0].Connections[2].IPv6 || !rs[0].Connections[3].Relay || rs[3].AccessToken != "" {
		t.Fatalf("resources %v", rs)
	}
	if out := sprint(rs[0]); strings.Contains(out, string(rs[0].AccessToken)) {
		t.Fatalf("access token printed: %s", out)
	}
	r := srv.Requests()[0]
	if r.Header.Get("X-Plex-Token") != plextest.UserToken || !sameQuery(r.RawQuery, "includeHttps=1&includeRelay=1&includeIPv6=1") {
		t.Fatalf("request %+v", r)
	}
	// Another account's servers; unknown fields are ignored.
	srv.SetResources(plextest.TwoFactorToken, []plex.Resource{{Name: "solo", Provides: "server", AccessToken: "t"}})
	rs, err = c.Authentication.GetServerResources(ctx, plextest.TwoFactorToken)
	if err != nil || len(rs) != 1 || rs[0].Name != "solo" {
		t.Fatalf("%v %v", rs, err)
	}
	if _, err := c.Authentication.GetServerResources(ctx, "revoked"); !errors.Is(err, plex.ErrInvalidToken) {
		t.Fatalf("refused token: %v", err)
	}
}

func TestDeviceKeyPEMAndThumbprint(t *testing.T) {
	k, err := plex.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, err := k.MarshalPEM()
	if err != nil || !strings.HasPrefix(string(pemBytes), "-----BEGIN PRIVATE KEY-----") {
		t.Fatalf("%s %v", pemBytes, err)
	}
	back, err := plex.ParseDeviceKey(pemBytes)
	if err != nil || back.KeyID() != k.KeyID() || back.PublicJWK() != k.PublicJWK() {
		t.Fatalf("round trip: %v", err)
	}
	jwk := k.PublicJWK()
	if jwk.Kty != "OKP" || jwk.Crv != "Ed25519" || jwk.Use != "sig" || jwk.Alg != "EdDSA" || jwk.Kid != k.KeyID() || len(jwk.X) != 43 {
		t.Fatalf("jwk %+v", jwk)
	}
	// RFC 8037 appendix A.3: the thumbprint of the RFC's example key.
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	der, _ := x509.MarshalPKCS8PrivateKey(ed25519.NewKeyFromSeed(seed))
	rfc, err := plex.ParseDeviceKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil || rfc.KeyID() != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" || rfc.PublicJWK().X != "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" {
		t.Fatalf("RFC 8037 key: %v %v", err, rfc)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, key := range map[string]any{"RSA": rsaKey, "ECDSA": ecKey} {
		der, _ := x509.MarshalPKCS8PrivateKey(key)
		_, err := plex.ParseDeviceKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "Ed25519") {
			t.Errorf("%s key: %v", name, err)
		}
	}
	for _, bad := range []string{"", "not pem", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"} {
		if _, err := plex.ParseDeviceKey([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	j, _ := json.Marshal(struct{ Key *plex.DeviceKey }{k}) // a key in a user's config struct
	if out := sprint(k) + string(j); strings.Contains(out, "PRIVATE") || strings.Contains(out, base64.StdEncoding.EncodeToString(der[len(der)-32:])) {
		t.Fatalf("key printed: %s", out)
	}
}

func TestJWTRegisterExchangeAndUse(t *testing.T) {
	srv, c := setup(t)
	k, _ := plex.NewDeviceKey()
	if _, err := c.Authentication.ExchangeDeviceJWT(ctx, k); err == nil {
		t.Fatal("exchange with an unregistered key succeeded")
	}
	if err := c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, k); err != nil {
		t.Fatal(err)
	}
	if err := c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, k); !errors.Is(err, plex.ErrKeyRegistered) {
		t.Fatalf("registering the same key again: %v, want ErrKeyRegistered", err)
	}
	if !srv.IsRegisteredKey(k.KeyID()) {
		t.Fatal("key not registered")
	}
	if r := srv.Requests()[len(srv.Requests())-1]; r.Header.Get("X-Plex-Token") != plextest.UserToken {
		t.Fatalf("register sent token %q", r.Header.Get("X-Plex-Token"))
	}
	jwt, err := c.Authentication.ExchangeDeviceJWT(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(jwt.ExpiresAt); d < 6*24*time.Hour || d > 7*24*time.Hour+time.Minute {
		t.Fatalf("expires in %v", d)
	}
	acct, err := c.Authentication.GetUserDetails(ctx, string(jwt.Token))
	if err != nil || acct.Email != plextest.Login {
		t.Fatalf("the Plex JWT as a token: %v %v", acct, err)
	}
	// A throttled exchange starts over with a fresh nonce: the fake records
	// a violation if a nonce is ever sent twice (checked at cleanup).
	before := countOp(srv, "getDeviceNonce")
	throttleExchangeOnce(t, srv, k)
	if got := countOp(srv, "getDeviceNonce") - before; got != 2 {
		t.Fatalf("a retried exchange fetched %d nonces, want 2", got)
	}
	if err := c.Authentication.RegisterDeviceKey(ctx, "", k); err == nil {
		t.Fatal("empty token accepted")
	}
}

// throttleExchangeOnce makes the next /auth/token answer 429 and checks the
// exchange still succeeds with a new nonce.
func throttleExchangeOnce(t *testing.T, srv *plextest.Server, k *plex.DeviceKey) {
	t.Helper()
	hc := &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/auth/token") && !throttled.Swap(true) {
			srv.ThrottleNext(1)
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	c2, err := srv.Client(plex.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	throttled.Store(false)
	if _, err := c2.Authentication.ExchangeDeviceJWT(ctx, k); err != nil {
		t.Fatalf("exchange after a 429: %v", err)
	}
	if !throttled.Load() {
		t.Fatal("the exchange was not throttled")
	}
}

var throttled atomic.Bool

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestJWTSourceCachesRefreshesAndSharesOneExchange(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) { jwtSourceSharesOneExchange(t, srv, bubbleClient(t, srv)) })
}

func jwtSourceSharesOneExchange(t *testing.T, srv *plextest.Server, c *plex.Client) {
	k, _ := plex.NewDeviceKey()
	if err := c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, k); err != nil {
		t.Fatal(err)
	}
	src := c.Authentication.NewJWTSource(k)
	var wg sync.WaitGroup
	tokens := make([]string, 20)
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := src.Token(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = string(j.Token)
		}()
	}
	wg.Wait()
	if n := countOp(srv, "exchangeDeviceJWT"); n != 1 {
		t.Fatalf("%d exchanges for 20 concurrent callers, want 1", n)
	}
	for _, tok := range tokens {
		if tok != tokens[0] || tok == "" {
			t.Fatal("callers got different tokens")
		}
	}
	if _, err := src.Token(ctx); err != nil || countOp(srv, "exchangeDeviceJWT") != 1 {
		t.Fatalf("cached token not reused: %v", err)
	}
	// A failed exchange is answered at once inside its back-off window
	// (wrapping the failure, no request), and tried again after it; a
	// waiter's own ctx ends its wait.
	s3 := c.Authentication.NewJWTSource(k)
	srv.FailNext(1, plextest.Fault{Status: 400})
	if _, err := s3.Token(ctx); err == nil {
		t.Fatal("failed exchange reported success")
	}
	before := countOp(srv, "getDeviceNonce")
	var apiErr *sdk.APIError
	if _, err := s3.Token(ctx); !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(err.Error(), "not retried before") ||
		countOp(srv, "getDeviceNonce") != before {
		t.Fatalf("inside the back-off: %v after %d requests, want the last failure at once", err, countOp(srv, "getDeviceNonce")-before)
	}
	time.Sleep(time.Until(s3.Status().NextAttempt))
	if _, err := s3.Token(ctx); err != nil {
		t.Fatalf("after the back-off: %v", err)
	}
	s4 := c.Authentication.NewJWTSource(k)
	srv.FailNext(1, plextest.Fault{Delay: 500 * time.Millisecond})
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s4.Token(cctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 50*time.Millisecond {
		t.Fatalf("after %v: %v, want the waiter's deadline (50 ms), not the exchange's 500 ms", time.Since(start), err)
	}
	if j, err := s4.Token(ctx); err != nil || j.Token == "" {
		t.Fatalf("the shared exchange did not finish for later callers: %v", err)
	}
}

func BenchmarkJWTSourceCached(b *testing.B) {
	srv := plextest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()
	k, _ := plex.NewDeviceKey()
	if err := c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, k); err != nil {
		b.Fatal(err)
	}
	src := c.Authentication.NewJWTSource(k)
	if _, err := src.Token(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
