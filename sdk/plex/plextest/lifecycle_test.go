package plextest_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// registeredSource is a JWTSource whose key the fake knows, with JWTs of
// the given lifetime.
func registeredSource(t *testing.T, lifetime time.Duration) (*plextest.Server, *plex.Client, *plex.DeviceKey, *plex.JWTSource) {
	t.Helper()
	srv, c := setup(t)
	srv.SetJWTLifetime(lifetime)
	k, _ := plex.NewDeviceKey()
	if err := c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, k); err != nil {
		t.Fatal(err)
	}
	return srv, c, k, c.Authentication.NewJWTSource(k)
}

// untilStale sleeps (in the bubble) until j has less than half its life left.
func untilStale(j *plex.JWT) {
	time.Sleep(time.Until(j.ExpiresAt.Add(-j.ExpiresAt.Sub(j.IssuedAt) / 2).Add(time.Second)))
}

func TestJWTSourceCachesOneHourJWTs(t *testing.T) {
	srv, _, _, src := registeredSource(t, time.Hour)
	before := srv.RequestCount()
	for range 10 {
		if _, err := src.Token(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.RequestCount() - before; n != 2 {
		t.Fatalf("10 Token calls with 1-hour JWTs made %d requests, want 2 (one nonce, one exchange)", n)
	}
	j, _ := src.Token(ctx)
	if l := j.ExpiresAt.Sub(j.IssuedAt); l < 59*time.Minute || l > 61*time.Minute {
		t.Fatalf("IssuedAt %v, ExpiresAt %v: lifetime %v, want 1 h (from the iat claim)", j.IssuedAt, j.ExpiresAt, l)
	}
}

func TestJWTSourceServesStaleAtOnceWithOneBackgroundExchange(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		_, src := bubbleSource(t, srv, time.Hour)
		old, err := src.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		untilStale(old)
		exchanges := countOp(srv, "exchangeDeviceJWT")
		srv.FailNext(1, plextest.Fault{Delay: 10 * time.Second}) // a slow nonce
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				start := time.Now()
				j, err := src.Token(ctx)
				if err != nil || j.Token != old.Token {
					t.Errorf("stale JWT not served: %v", err)
				}
				if d := time.Since(start); d != 0 {
					t.Errorf("a caller waited %v for a refresh it did not need", d)
				}
			})
		}
		wg.Wait()
		time.Sleep(11 * time.Second) // the slow nonce answers, the exchange completes
		synctest.Wait()
		if j, err := src.Token(ctx); err != nil || j.Token == old.Token {
			t.Fatalf("the background exchange did not replace the stale JWT: %v", err)
		}
		if n := countOp(srv, "exchangeDeviceJWT") - exchanges; n != 1 {
			t.Fatalf("%d background exchanges for 50 callers, want 1", n)
		}
	})
}

func TestJWTSourceRidesOutAnOutageAndNeverReturnsAnExpiredJWT(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		_, src := bubbleSource(t, srv, time.Hour)
		held, err := src.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		untilStale(held)
		srv.FailNext(100000, plextest.Fault{Status: 503})
		before := srv.RequestCount()
		calls := 0
		for time.Now().Before(held.ExpiresAt.Add(-time.Second)) {
			j, err := src.Token(ctx)
			if err != nil || j.Token != held.Token {
				t.Fatalf("%v before expiry during an outage: %v", time.Until(held.ExpiresAt), err)
			}
			calls++
			time.Sleep(5 * time.Second)
		}
		// 360 calls over 29 min: the back-off (1 s doubling to 5 min, each
		// wait jittered in [d/2, d]) allows 14 to 19 background exchanges,
		// each one retry budget (3 requests) of the nonce: never more than 60.
		if n := srv.RequestCount() - before; n > 60 || n < 3 {
			t.Fatalf("%d requests in %d calls during a 29-minute outage, want 3 to 60 (a backed-off exchange at a time)", n, calls)
		}
		time.Sleep(time.Until(held.ExpiresAt.Add(time.Millisecond)))
		j, err := src.Token(ctx)
		if err == nil {
			t.Fatalf("an expired JWT was returned (expired %v ago)", time.Since(j.ExpiresAt))
		}
		var api *sdk.APIError
		if !errors.As(err, &api) || api.StatusCode != 503 {
			t.Fatalf("after expiry: %v, want the exchange's 503", err)
		}
	})
}

func TestJWTSourceSetTokenAndInvalidate(t *testing.T) {
	srv, c, k, src := registeredSource(t, 7*24*time.Hour)
	seed, err := c.Authentication.ExchangeDeviceJWT(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	before := srv.RequestCount()
	src.SetToken(&plex.JWT{Token: seed.Token}) // times read from the claims
	j, err := src.Token(ctx)
	if err != nil || j.Token != seed.Token || !j.ExpiresAt.Equal(seed.ExpiresAt) || srv.RequestCount() != before {
		t.Fatalf("seeded JWT not served without a request: %v", err)
	}
	src.Invalidate(&plex.JWT{Token: "another"})
	if j, _ := src.Token(ctx); j.Token != seed.Token || srv.RequestCount() != before {
		t.Fatal("Invalidate of another JWT dropped the held one")
	}
	src.Invalidate(seed)
	fresh, err := src.Token(ctx)
	if err != nil || fresh.Token == seed.Token || countOp(srv, "exchangeDeviceJWT") != 2 {
		t.Fatalf("after Invalidate: %v", err)
	}
	src.Invalidate(seed) // late: a refresh already replaced it
	if j, _ := src.Token(ctx); j.Token != fresh.Token || countOp(srv, "exchangeDeviceJWT") != 2 {
		t.Fatal("a stale Invalidate undid a refresh")
	}
	src.SetToken(&plex.JWT{Token: "not-a-jwt"})
	if j, _ := src.Token(ctx); j.Token != fresh.Token {
		t.Fatal("a JWT without a readable expiry replaced the held one")
	}
}

func TestExchangeAnsweringAnExpiredJWTIsAnError(t *testing.T) {
	_, c, k, src := registeredSource(t, -time.Minute)
	if j, err := c.Authentication.ExchangeDeviceJWT(ctx, k); err == nil {
		t.Fatalf("expired JWT reported as success: %v", j)
	}
	if j, err := src.Token(ctx); err == nil {
		t.Fatalf("JWTSource returned an expired JWT: %v", j)
	}
}

// One retry budget for the nonce and the exchange: MaxAttempts counts
// attempts of the operation, not requests of each step.
func TestExchangeHasOneRetryBudget(t *testing.T) {
	srv, c, k, _ := registeredSource(t, time.Hour)
	three := sdk.WithRetries(sdk.RetryConfig{MaxAttempts: 3, Backoff: &sdk.BackoffStrategy{InitialInterval: time.Millisecond, MaxInterval: time.Millisecond}})
	before := srv.RequestCount()
	srv.FailNext(100, plextest.Fault{Status: 503})
	if _, err := c.Authentication.ExchangeDeviceJWT(ctx, k, three); err == nil {
		t.Fatal("exchange succeeded through 503s")
	}
	if n := srv.RequestCount() - before; n != 3 {
		t.Fatalf("nonce failing: %d requests, want 3", n)
	}
	srv2, c2, k2, _ := registeredSource(t, time.Hour)
	before = srv2.RequestCount()
	for range 3 { // the nonce answers, the exchange fails
		srv2.FailNext(1, plextest.Fault{Delay: time.Nanosecond})
		srv2.FailNext(1, plextest.Fault{Status: 503})
	}
	if _, err := c2.Authentication.ExchangeDeviceJWT(ctx, k2, three); err == nil {
		t.Fatal("exchange succeeded through 503s")
	}
	if n := srv2.RequestCount() - before; n != 6 {
		t.Fatalf("exchange failing: %d requests, want 6 (3 attempts of nonce + exchange)", n)
	}
}

func TestPingAndSignOut(t *testing.T) {
	srv, c := setup(t)
	if err := c.Authentication.Ping(ctx, plextest.UserToken); err != nil {
		t.Fatal(err)
	}
	if err := c.Authentication.Ping(ctx, "unknown-token"); !errors.Is(err, plex.ErrInvalidToken) {
		t.Fatalf("ping with an unknown token: %v", err)
	}
	acct, err := c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: plextest.Login, Password: plextest.Password})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Authentication.SignOut(ctx, string(acct.AuthToken)); err != nil {
		t.Fatal(err)
	}
	if !srv.IsSignedOut(string(acct.AuthToken)) {
		t.Fatal("the fake did not revoke the token")
	}
	if err := c.Authentication.Ping(ctx, string(acct.AuthToken)); !errors.Is(err, plex.ErrInvalidToken) {
		t.Fatalf("ping after sign-out: %v", err)
	}
	if _, err := c.Authentication.GetUserDetails(ctx, string(acct.AuthToken)); !errors.Is(err, plex.ErrInvalidToken) {
		t.Fatalf("user after sign-out: %v", err)
	}
	for _, r := range srv.Requests() {
		if r.Operation == "signOut" && (r.Method != "DELETE" || !strings.HasSuffix(r.Path, "/users/signout")) {
			t.Fatalf("sign-out sent as %s %s", r.Method, r.Path)
		}
	}
	// Not retried once sent: a dropped connection ends it.
	before := srv.RequestCount()
	srv.FailNext(1, plextest.Fault{Drop: true})
	if err := c.Authentication.SignOut(ctx, "another-token-1"); err == nil {
		t.Fatal("dropped sign-out reported success")
	}
	if n := srv.RequestCount() - before; n != 1 {
		t.Fatalf("sign-out sent %d times", n)
	}
	if err := c.Authentication.Ping(ctx, ""); err == nil || srv.RequestCount() != before+1 {
		t.Fatal("empty token sent")
	}
}
