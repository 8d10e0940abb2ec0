package faultmatrix

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/ziggeo"
)

// The hostile-server harness: every public operation of sdk/plex and
// sdk/ziggeo against randomized hostile answers — every status class with
// 429 and 498, Retry-After values, truncated, huge, wrong-type and invalid
// JSON, wrong content types, redirects (to itself and to another host),
// dropped connections, hangs, and echoes of every secret the client sent
// in body, headers and error text — with the census as its oracle:
//
//   - no panic;
//   - no secret in Error(), %v, %+v, %#v, slog text and JSON, of the error
//     or the result;
//   - no call outliving its ctx deadline by more than 1 s;
//   - wire attempts ≤ MaxAttempts per request of the operation (a dropped
//     keep-alive connection may add net/http's own replay of an
//     idempotent request: counted, and allowed once per drop);
//   - no credential reaching the other host a redirect points to;
//   - heap (bytes allocated) ≤ 8 × the largest answer per attempt, plus
//     reading it (≈ 2 ×) and a fixed allowance.
//
// make test runs HOSTILE_CASES (default 600) cases from a fixed seed; make
// fuzz runs it for HOSTILE_DURATION from a random seed. A violation stops
// the run with the case's seed: HOSTILE_SEED=<seed> HOSTILE_CASES=1
// replays it.

const (
	hostileMaxAttempts = 3
	hostileDeadline    = 500 * time.Millisecond
	// waits poll until their ctx ends: a shorter one keeps the run short.
	hostileWaitDeadline = 150 * time.Millisecond
)

// hostileOp is one public operation and how many requests one attempt
// of it sends (the JWT exchange sends a nonce request and the exchange).
type hostileOp struct {
	name       string
	perAttempt int
	polls      bool // a wait: it polls until ctx ends, no attempt bound
	call       func(ctx context.Context) (any, error)
}

func hostileOps(zc *ziggeo.Client, pc *plex.Client, u string) []hostileOp {
	a := pc.Authentication
	key, _ := plex.NewDeviceKey()
	res := plex.Resource{Name: "pms", ClientIdentifier: "machine-1", AccessToken: cAccess, Owned: true, PublicAddressMatches: true,
		Connections: []plex.Connection{{Protocol: "http", URI: u, Local: true}}}
	one := func(f func(ctx context.Context) error) func(ctx context.Context) (any, error) {
		return func(ctx context.Context) (any, error) { return nil, f(ctx) }
	}
	return []hostileOp{
		{"ziggeo.AuthTokens.Get", 1, false, func(ctx context.Context) (any, error) { return zc.AuthTokens.Get(ctx, cAuthToken) }},
		{"ziggeo.AuthTokens.Create", 1, false, func(ctx context.Context) (any, error) {
			return zc.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{SessionLimit: ziggeo.Int64(1)})
		}},
		{"ziggeo.AuthTokens.Update", 1, false, func(ctx context.Context) (any, error) {
			return zc.AuthTokens.Update(ctx, cAuthToken, ziggeo.AuthTokenParams{Hidden: ziggeo.Bool(true)})
		}},
		{"ziggeo.AuthTokens.Delete", 1, false, one(func(ctx context.Context) error { return zc.AuthTokens.Delete(ctx, cAuthToken) })},
		{"plex.GetTransientToken", 1, false, func(ctx context.Context) (any, error) {
			return a.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
		}},
		{"plex.GetSourceConnectionInformation", 1, false, func(ctx context.Context) (any, error) {
			return a.GetSourceConnectionInformation(ctx, "server://x")
		}},
		{"plex.GetUserDetails", 1, false, func(ctx context.Context) (any, error) { return a.GetUserDetails(ctx, cUserToken) }},
		{"plex.PostUsersSignInData", 1, false, func(ctx context.Context) (any, error) {
			return a.PostUsersSignInData(ctx, plex.SignInRequest{Login: "me", Password: cPassword, VerificationCode: cCode})
		}},
		{"plex.CreatePin", 1, false, func(ctx context.Context) (any, error) { return a.CreatePin(ctx, true) }},
		{"plex.GetPin", 1, false, func(ctx context.Context) (any, error) { return a.GetPin(ctx, 42) }},
		{"plex.WaitForPin", 1, true, func(ctx context.Context) (any, error) {
			return a.WaitForPin(ctx, &plex.Pin{ID: 42}, 50*time.Millisecond)
		}},
		{"plex.GetServerResources", 1, false, func(ctx context.Context) (any, error) { return a.GetServerResources(ctx, cUserToken) }},
		{"plex.Connect", 1, false, func(ctx context.Context) (any, error) { return a.Connect(ctx, res) }},
		{"plex.Ping", 1, false, one(func(ctx context.Context) error { return a.Ping(ctx, cUserToken) })},
		{"plex.SignOut", 1, false, one(func(ctx context.Context) error { return a.SignOut(ctx, cUserToken) })},
		{"plex.GetHomeUsers", 1, false, func(ctx context.Context) (any, error) { return a.GetHomeUsers(ctx, cUserToken) }},
		{"plex.SwitchHomeUser", 1, false, func(ctx context.Context) (any, error) {
			return a.SwitchHomeUser(ctx, cUserToken, "abcdef0123456789", cPin)
		}},
		{"plex.LinkPin", 1, false, one(func(ctx context.Context) error { return a.LinkPin(ctx, cUserToken, "AB12") })},
		{"plex.GetClaimToken", 1, false, func(ctx context.Context) (any, error) { return a.GetClaimToken(ctx, cUserToken) }},
		{"plex.RegisterDeviceKey", 1, false, one(func(ctx context.Context) error { return a.RegisterDeviceKey(ctx, cUserToken, key) })},
		{"plex.ExchangeDeviceJWT", 2, false, func(ctx context.Context) (any, error) { return a.ExchangeDeviceJWT(ctx, key) }},
		{"plex.CreateJWTPin", 1, false, func(ctx context.Context) (any, error) { return a.CreateJWTPin(ctx, key, true) }},
		{"plex.WaitForJWTPin", 2, true, func(ctx context.Context) (any, error) {
			return a.WaitForJWTPin(ctx, &plex.Pin{ID: 42}, key, 50*time.Millisecond)
		}},
		{"plex.JWTSource.Token", 2, false, func(ctx context.Context) (any, error) {
			src := a.NewJWTSource(key)
			defer src.Close()
			return src.Token(ctx)
		}},
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestHostileServers(t *testing.T) {
	cases := envInt("HOSTILE_CASES", 600)
	seed := uint64(envInt("HOSTILE_SEED", 20261202))
	var until time.Time
	if d, err := time.ParseDuration(os.Getenv("HOSTILE_DURATION")); err == nil && d > 0 {
		until = time.Now().Add(d)
		if os.Getenv("HOSTILE_SEED") == "" {
			seed = rand.Uint64() >> 1
		}
	}
	maxBody := envInt("HOSTILE_MAXBODY", 1<<20)

	// The other host a redirect may point to: it must never see a credential.
	var otherLeak atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Plex-Token") != "" || r.Header.Get("Cookie") != "" {
			otherLeak.Store(fmt.Sprintf("%s %s carried a credential", r.Method, r.URL))
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer other.Close()
	h := &hostile{other: other.URL, huge: makeHuge(maxBody)}
	srv := httptest.NewServer(h)
	defer srv.Close()

	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	retry := sdk.RetryConfig{MaxAttempts: hostileMaxAttempts, Backoff: &sdk.BackoffStrategy{InitialInterval: time.Millisecond, MaxInterval: 20 * time.Millisecond}}
	zc, err := ziggeo.New("census-app", cPrivate, ziggeo.WithEncryptionKey(cEncryption), ziggeo.WithServerURL(srv.URL),
		ziggeo.WithRetryConfig(retry), ziggeo.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := plex.New(plex.WithServerURL(srv.URL), plex.WithPlexTVURL(srv.URL+"/api/v2"), plex.WithClientsURL(srv.URL+"/clients/api/v2"),
		plex.WithAccessToken(cAccess), plex.WithClientIdentifier("hostile-client"), plex.WithRetryConfig(retry), plex.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	ops := hostileOps(zc, pc, srv.URL)
	ran := 0
	// The sweep: every operation answered 200 with every huge shape.
	if os.Getenv("HOSTILE_SEED") == "" {
		for _, shape := range append(hugeShapes, hugeShapes[0]+gzipSuffix, "foldedkeys"+gzipSuffix, "escapedkeys"+gzipSuffix) {
			for _, op := range ops {
				if v := hostileCase(h, op, seed, shape); v != "" {
					t.Fatalf("sweep, %s answered %s: %s", op.name, shape, v)
				}
				ran++
			}
		}
	}
	for i := 0; i < cases || time.Now().Before(until); i++ {
		op := ops[i%len(ops)]
		caseSeed := seed + uint64(i)
		if v := hostileCase(h, op, caseSeed, ""); v != "" {
			t.Fatalf("case %d, %s: %s\nreplay: HOSTILE_SEED=%d HOSTILE_CASES=1 go test ./internal/faultmatrix -run TestHostileServers (the op is case %% %d)",
				i, op.name, v, caseSeed-uint64(i%len(ops)), len(ops))
		}
		if leak, ok := otherLeak.Load().(string); ok {
			t.Fatalf("case %d, %s: the redirect target received a credential: %s (HOSTILE_SEED=%d)", i, op.name, leak, caseSeed)
		}
		ran++
	}
	if f := leaks(logs.String()); f != "" {
		t.Fatalf("a log line shows the secret form %q", f)
	}
	t.Logf("hostile harness: %d cases over %d operations from seed %d: no violation", ran, len(ops), seed)
	if testing.Verbose() {
		fmt.Printf("hostile harness: %d cases over %d operations from seed %d: no violation\n", ran, len(ops), seed)
	}
}

// hostileCase runs one operation against the hostile server and returns
// the first broken rule, or "".
func hostileCase(h *hostile, op hostileOp, seed uint64, force string) (violation string) {
	h.reset(seed, force)
	deadline := hostileDeadline
	if op.polls {
		deadline = hostileWaitDeadline
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	var v any
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				violation = fmt.Sprintf("panic: %v", p)
			}
		}()
		v, err = op.call(ctx)
	}()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if violation != "" {
		return violation
	}
	// A hang detector, not a timing check: a call that ignores its context
	// sits out a hostile hang (3 s); one that honours it returns soon after
	// the deadline, and 2 s of slack keeps a loaded machine from tripping it.
	if took > deadline+2*time.Second {
		return fmt.Sprintf("the call took %v, past its %v deadline by more than 2 s (its context ignored?)", took, deadline)
	}
	h.mu.Lock()
	n, drops, largest := h.n, h.drops, h.largest
	h.mu.Unlock()
	if limit := op.perAttempt*hostileMaxAttempts + drops; !op.polls && n > limit {
		return fmt.Sprintf("%d requests, want at most %d (MaxAttempts %d × %d per attempt, +%d net/http replays)", n, limit, hostileMaxAttempts, op.perAttempt, drops)
	}
	if largest >= 256<<10 {
		// Each attempt reads its answer (≈ 2 × with the buffer growing) and
		// decodes at most 8 ×.
		limit := uint64(max(n, 1))*uint64(10*largest) + 4<<20
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > limit {
			return fmt.Sprintf("allocated %d MiB for answers of at most %d KiB (%d requests)", alloc>>20, largest>>10, n)
		}
	}
	var out bytes.Buffer
	for _, x := range []any{err, v} {
		if x == nil || (x == any(error(nil))) {
			continue
		}
		if e, ok := x.(error); ok {
			out.WriteString(e.Error())
		}
		fmt.Fprintf(&out, " %v %+v %#v ", x, x, x)
		slog.New(slog.NewTextHandler(&out, nil)).Info("x", "x", x)
		slog.New(slog.NewJSONHandler(&out, nil)).Info("x", "x", x)
	}
	if f := leaks(out.String()); f != "" {
		i := strings.Index(out.String(), f)
		return fmt.Sprintf("the secret form %q shows: …%s…", f, out.String()[max(0, i-150):min(out.Len(), i+60)])
	}
	if err != nil && strings.ContainsAny(err.Error(), "\n\r\x1b\u202e") {
		return fmt.Sprintf("the error is not one clean line: %q", err.Error())
	}
	return ""
}
