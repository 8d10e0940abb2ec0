package faultmatrix

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/sdk/ziggeo"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

const (
	zApp, zKey, zEnc = "matrix-app", "matrix-private-key-S3CRET", "matrix-encryption-key-S3CRET"
	plexAccess       = plextest.AccessToken
)

// target is one client under test, seen through one idempotent call.
type target struct {
	name  string
	fail  func(n int, f ziggeotest.Fault)
	count func() int
	call  func(ctx context.Context, opts ...sdk.CallOption) error
	zc    *ziggeo.Client // the Ziggeo target's client, for calls beyond the matrix
}

type outcome struct {
	ok       bool
	status   int   // *sdk.APIError status, 0 if none
	is       error // errors.Is target, nil if none
	attempts int   // requests the fake saw; -1 = not checked
}

func TestFaultMatrix(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	zs := ziggeotest.NewServerWithCredentials(zApp, zKey)
	defer zs.Close()
	ps := plextest.NewServer()
	defer ps.Close()
	tok := string(zs.AddToken(ziggeo.AuthToken{}).Token)
	// Generous enough for a 17 MiB body under -race on 2 cores, short enough for the delay fault.
	perAttempt := &http.Client{Timeout: time.Second}
	targets := newTargets(t, zs, ps, tok, logger, perAttempt, perAttempt)
	// Rows that wait run in a synctest bubble, the fakes answering in
	// memory: the waits take no wall time and their lengths are exact.
	inBubble := func(t *testing.T, i int, test func(t *testing.T, tg target)) {
		synctest.Test(t, func(t *testing.T) {
			bubble := newTargets(t, zs, ps, tok, logger, &http.Client{Transport: zs, Timeout: time.Second}, &http.Client{Transport: ps, Timeout: time.Second})
			test(t, bubble[i])
		})
	}
	closed := closedURL(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Plex-Token") != "" {
			t.Errorf("credentials crossed hosts: %v", r.Header)
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer evil.Close()
	redirector := httptest.NewServer(http.RedirectHandler(evil.URL+"/elsewhere", http.StatusFound))
	defer redirector.Close()
	date := func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }

	rows := []struct {
		fault  string
		inject func(tg target) []sdk.CallOption
		want   outcome
		timed  bool // waits: run in a synctest bubble against the fakes in memory
	}{
		{"connection refused", func(target) []sdk.CallOption { return []sdk.CallOption{sdk.WithServerURL(closed)} }, outcome{attempts: 0}, false},
		{"reset mid-body, then ok", func(tg target) []sdk.CallOption { tg.fail(1, ziggeotest.Fault{Drop: true}); return nil }, outcome{ok: true, attempts: 2}, false},
		{"per-attempt timeout, then ok", func(tg target) []sdk.CallOption {
			tg.fail(1, ziggeotest.Fault{Delay: 3 * time.Second})
			return nil
		}, outcome{ok: true, attempts: 2}, true},
		{"429 Retry-After: 1, then ok", func(tg target) []sdk.CallOption {
			tg.fail(1, ziggeotest.Fault{Status: 429, RetryAfter: "1"})
			return nil
		}, outcome{ok: true, attempts: 2}, true},
		{"503 Retry-After: HTTP-date, then ok", func(tg target) []sdk.CallOption {
			tg.fail(1, ziggeotest.Fault{Status: 503, RetryAfter: date()})
			return nil
		}, outcome{ok: true, attempts: 2}, true},
		{"429 Retry-After beyond budget", func(tg target) []sdk.CallOption {
			tg.fail(1, ziggeotest.Fault{Status: 429, RetryAfter: "86400"})
			return nil
		}, outcome{status: 429, attempts: 1}, false},
		{"500 x3", func(tg target) []sdk.CallOption { tg.fail(3, ziggeotest.Fault{Status: 500}); return nil }, outcome{status: 500, attempts: 3}, false},
		{"502, then ok", func(tg target) []sdk.CallOption { tg.fail(1, ziggeotest.Fault{Status: 502}); return nil }, outcome{ok: true, attempts: 2}, false},
		{"503 x3", func(tg target) []sdk.CallOption { tg.fail(3, ziggeotest.Fault{Status: 503}); return nil }, outcome{status: 503, attempts: 3}, false},
		{"504, then ok", func(tg target) []sdk.CallOption { tg.fail(1, ziggeotest.Fault{Status: 504}); return nil }, outcome{ok: true, attempts: 2}, false},
		{"malformed JSON", func(tg target) []sdk.CallOption {
			tg.fail(1, ziggeotest.Fault{Status: 200, Body: `{"token":`, ContentType: "application/json"})
			return nil
		}, outcome{attempts: 1}, false},
		{"wrong content type", func(tg target) []sdk.CallOption {
			tg.fail(1, ziggeotest.Fault{Status: 200, Body: "<html>hi</html>", ContentType: "text/html"})
			return nil
		}, outcome{attempts: 1}, false},
		{"oversize body", func(tg target) []sdk.CallOption {
			tg.fail(1, ziggeotest.Fault{Status: 200, Body: strings.Repeat("x", 17<<20), ContentType: "application/json"})
			return nil
		}, outcome{is: sdk.ErrResponseTooLarge, attempts: 1}, false},
		{"cross-host redirect", func(target) []sdk.CallOption {
			return []sdk.CallOption{sdk.WithServerURL(redirector.URL), sdk.WithRetries(sdk.RetryConfig{Strategy: sdk.StrategyNone})}
		}, outcome{status: 401, attempts: -1}, false},
	}
	for i, tg := range targets {
		for _, row := range rows {
			t.Run(tg.name+"/"+row.fault, func(t *testing.T) {
				if row.timed {
					inBubble(t, i, func(t *testing.T, tg target) { checkRow(t, tg, row.inject, row.want) })
					return
				}
				checkRow(t, tg, row.inject, row.want)
			})
		}
		t.Run(tg.name+"/ctx cancelled during a wait", func(t *testing.T) {
			inBubble(t, i, func(t *testing.T, tg target) {
				tg.fail(1, ziggeotest.Fault{Status: 503, RetryAfter: "1"})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				time.AfterFunc(300*time.Millisecond, cancel)
				start := time.Now()
				err := tg.call(ctx)
				if took := time.Since(start); !errors.Is(err, context.Canceled) || took != 300*time.Millisecond {
					t.Fatalf("after %v: %v, want context.Canceled when cancelled (300 ms)", took, err)
				}
				scan(t, err.Error())
			})
		})
		t.Run(tg.name+"/deadline shorter than Retry-After keeps the 503", func(t *testing.T) {
			inBubble(t, i, func(t *testing.T, tg target) {
				tg.fail(1, ziggeotest.Fault{Status: 503, RetryAfter: "1"})
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				start := time.Now()
				err := tg.call(ctx)
				var apiErr *sdk.APIError
				if took := time.Since(start); !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || took != 0 {
					t.Fatalf("after %v: %T %v, want the 503 at once", took, err, err)
				}
			})
		})
	}
	t.Run("ziggeo.Create on 500 is not retried", func(t *testing.T) {
		zs.FailNext(1, ziggeotest.Fault{Status: 500})
		before := zs.RequestCount()
		_, err := targets[0].zc.AuthTokens.Create(context.Background(), ziggeo.AuthTokenParams{})
		var apiErr *sdk.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || zs.RequestCount()-before != 1 {
			t.Fatalf("%v after %d requests", err, zs.RequestCount()-before)
		}
	})
	scan(t, logs.String())
	if logs.Len() == 0 {
		t.Fatal("no logs captured")
	}
	zs.AssertNoViolations(t)
	ps.AssertNoViolations(t)
}

// newTargets are the matrix's two clients, each sending through its own
// http.Client.
func newTargets(t *testing.T, zs *ziggeotest.Server, ps *plextest.Server, tok string, logger *slog.Logger, zhc, phc *http.Client) []target {
	t.Helper()
	zc, err := ziggeo.New(zApp, zKey, ziggeo.WithServerURL(zs.URL), ziggeo.WithEncryptionKey(zEnc), ziggeo.WithLogger(logger),
		ziggeo.WithRetryConfig(ziggeotest.FastRetries()), ziggeo.WithHTTPClient(zhc))
	if err != nil {
		t.Fatal(err)
	}
	pc, err := ps.Client(plex.WithLogger(logger), plex.WithHTTPClient(phc))
	if err != nil {
		t.Fatal(err)
	}
	return []target{
		{"ziggeo.Get", zs.FailNext, zs.RequestCount, func(ctx context.Context, o ...sdk.CallOption) error {
			_, err := zc.AuthTokens.Get(ctx, tok, o...)
			return err
		}, zc},
		{"plex.GetUserDetails", func(n int, f ziggeotest.Fault) { ps.FailNext(n, plextest.Fault(f)) }, ps.RequestCount, func(ctx context.Context, o ...sdk.CallOption) error {
			_, err := pc.Authentication.GetUserDetails(ctx, plextest.UserToken, o...)
			return err
		}, nil},
	}
}

// checkRow injects a fault into tg, calls it once and checks the outcome.
func checkRow(t *testing.T, tg target, inject func(target) []sdk.CallOption, want outcome) {
	t.Helper()
	opts := inject(tg)
	before := tg.count()
	err := tg.call(context.Background(), opts...)
	got := tg.count() - before
	var apiErr *sdk.APIError
	switch {
	case want.ok && err != nil:
		t.Fatalf("want success, got %v", err)
	case !want.ok && err == nil:
		t.Fatal("want an error, got success")
	case want.status != 0 && (!errors.As(err, &apiErr) || apiErr.StatusCode != want.status):
		t.Fatalf("want *sdk.APIError %d, got %T %v", want.status, err, err)
	case want.is != nil && !errors.Is(err, want.is):
		t.Fatalf("want errors.Is %v, got %v", want.is, err)
	case want.attempts >= 0 && got != want.attempts:
		t.Fatalf("%d requests reached the fake, want %d (err %v)", got, want.attempts, err)
	}
	if err != nil {
		scan(t, err.Error())
		t.Logf("user gets: %v", err)
	}
}

// scan fails if any secret of the matrix's clients appears in text.
func scan(t *testing.T, text string) {
	t.Helper()
	for _, s := range []string{zKey, zEnc, plexAccess, plextest.UserToken, plextest.Password} {
		if strings.Contains(text, s) {
			t.Fatalf("secret %q in: %s", s, text)
		}
	}
}

func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}
