package core

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

// stalling answers in memory as a server that misbehaves in time would:
// silent (no headers until the request's context ends) for the first
// `silent` requests, or with headers at once and a body trickled at one
// byte a second. Like net/http's transport, it gives up when the
// request's context ends, headers or body.
type stalling struct {
	silent  int // requests that get no answer at all; -1 = every one
	trickle bool
	n       atomic.Int32
}

func (s *stalling) RoundTrip(r *http.Request) (*http.Response, error) {
	n := int(s.n.Add(1))
	ctx := r.Context()
	if s.silent < 0 || n <= s.silent {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	body := io.NopCloser(strings.NewReader(`{"ok":true}`))
	if s.trickle {
		body = &trickleBody{ctx: ctx, rest: strings.Repeat(" ", 1000) + `{"ok":true}`}
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {jsonType}}, Body: body, Request: r}, nil
}

type trickleBody struct {
	ctx  context.Context
	rest string
}

func (b *trickleBody) Read(p []byte) (int, error) {
	if b.rest == "" {
		return 0, io.EOF
	}
	select {
	case <-b.ctx.Done():
		return 0, b.ctx.Err()
	case <-time.After(time.Second):
	}
	p[0], b.rest = b.rest[0], b.rest[1:]
	return 1, nil
}

func (b *trickleBody) Close() error { return nil }

func boundedRetry(attemptTimeout, maxElapsed time.Duration) *sdk.RetryConfig {
	return &sdk.RetryConfig{AttemptTimeout: attemptTimeout, MaxAttempts: sdk.UnlimitedAttempts,
		Backoff: &sdk.BackoffStrategy{InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, MaxElapsedTime: maxElapsed}}
}

// MaxElapsedTime is a deadline on the whole call: it ends an attempt in
// flight (a silent server held calls 35 s past MaxElapsedTime = 5s), and the
// error names it and matches context.DeadlineExceeded.
func TestMaxElapsedTimeEndsTheAttemptInFlight(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    *stalling
	}{{"silent server", &stalling{silent: -1}}, {"1 byte a second", &stalling{trickle: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newCore(t, Config{HTTPClient: &http.Client{Transport: tc.s}, Retry: boundedRetry(-1, 5*time.Second)})
				start := time.Now()
				_, err := Invoke[payload](context.Background(), c, opIdem, "http://core.test/", nil, nil, sendGET)
				if took := time.Since(start); took != 5*time.Second {
					t.Fatalf("the call took %v, want MaxElapsedTime (5s): %v", took, err)
				}
				var te *sdk.TransportError
				if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "MaxElapsedTime (5s)") {
					t.Fatalf("err = %v, want a TransportError naming MaxElapsedTime that matches context.DeadlineExceeded", err)
				}
			})
		})
	}
}

// AttemptTimeout ends one attempt; it is retried like a failed connection.
func TestAttemptTimeoutEndsAnAttemptThenRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &stalling{silent: 2}
		cfg := boundedRetry(2*time.Second, time.Minute)
		cfg.Backoff.InitialInterval, cfg.Backoff.MaxInterval = time.Second, time.Second
		cfg.Backoff.Exponent = 1
		c := newCore(t, Config{HTTPClient: &http.Client{Transport: s}, Retry: cfg})
		start := time.Now()
		got, err := Invoke[payload](context.Background(), c, opIdem, "http://core.test/", nil, nil, sendGET)
		if err != nil || !got.OK || s.n.Load() != 3 {
			t.Fatalf("%+v, %v after %d requests; want ok on the third", got, err, s.n.Load())
		}
		// Two attempts of 2 s, each followed by a wait in [0.5 s, 1 s].
		if took := time.Since(start); took < 5*time.Second || took > 6*time.Second {
			t.Fatalf("took %v, want 2 × (2 s + a wait of 0.5–1 s)", took)
		}

		// Not retried for an operation that may have been processed.
		s = &stalling{silent: -1}
		c = newCore(t, Config{HTTPClient: &http.Client{Transport: s}, Retry: cfg})
		_, err = Invoke[payload](context.Background(), c, opNonIdem, "http://core.test/", nil, nil, sendGET)
		if s.n.Load() != 1 || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "AttemptTimeout (2s)") {
			t.Fatalf("non-idempotent: %v after %d requests; want one attempt ended by AttemptTimeout", err, s.n.Load())
		}
	})
}

// With the defaults a call against a silent server ends within 2 min: three
// attempts of 30 s and the waits between them.
func TestDefaultsBoundASilentServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &stalling{silent: -1}
		c := newCore(t, Config{HTTPClient: &http.Client{Transport: s}})
		start := time.Now()
		_, err := Invoke[payload](context.Background(), c, opIdem, "http://core.test/", nil, nil, sendGET)
		took := time.Since(start)
		if took > 2*time.Minute+time.Second || s.n.Load() != 3 || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%d attempts in %v: %v; want 3 within 2m", s.n.Load(), took, err)
		}
		if want := "no complete answer within RetryConfig.AttemptTimeout (30s)"; !strings.Contains(err.Error(), want) {
			t.Fatalf("err = %v, want it to say %q", err, want)
		}
	})
}

// A user's own http.Client.Timeout keeps bounding each attempt, and the
// caller's ctx stays the caller's: its deadline is reported as its own.
func TestUserTimeoutsStillApply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &stalling{silent: -1}
		c := newCore(t, Config{HTTPClient: &http.Client{Transport: s, Timeout: time.Second}, Retry: boundedRetry(0, time.Minute)})
		start := time.Now()
		_, err := Invoke[payload](context.Background(), c, opNonIdem, "http://core.test/", nil, nil, sendGET)
		if took := time.Since(start); took != time.Second || err == nil {
			t.Fatalf("http.Client.Timeout 1s: %v after %v", err, took)
		}

		c = newCore(t, Config{HTTPClient: &http.Client{Transport: s}, Retry: boundedRetry(0, time.Minute)})
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start = time.Now()
		_, err = Invoke[payload](ctx, c, opIdem, "http://core.test/", nil, nil, sendGET)
		if took := time.Since(start); took != 3*time.Second || !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "RetryConfig") {
			t.Fatalf("ctx deadline 3s: %v after %v", err, took)
		}
	})
}

// A caller's ctx whose deadline comes before the call's own bounds runs the
// attempt under that very ctx (no context of the SDK's own to allocate and
// register); without one, the attempt gets the SDK's deadline.
func TestCallerDeadlineRunsTheAttemptUnderItsOwnContext(t *testing.T) {
	var seen context.Context
	hc := &http.Client{Transport: transport(func(r *http.Request) *http.Response {
		seen = r.Context()
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {jsonType}}, Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}
	})}
	c := newCore(t, Config{HTTPClient: hc})
	short, cancel := context.WithTimeout(context.Background(), time.Second) // before AttemptTimeout's 30 s
	defer cancel()
	if err := InvokeNoContent(short, c, opIdem, "http://core.test/", nil, nil, sendGET); err != nil || seen != short {
		t.Fatalf("a 1 s caller deadline: the attempt ran under another context (%v)", err)
	}
	if err := InvokeNoContent(context.Background(), c, opIdem, "http://core.test/", nil, nil, sendGET); err != nil {
		t.Fatal(err)
	}
	if dl, ok := seen.Deadline(); !ok || time.Until(dl) > 30*time.Second {
		t.Fatalf("no caller deadline: the attempt's deadline is %v, %v; want AttemptTimeout's", dl, ok)
	}
}
