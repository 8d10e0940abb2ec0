package core

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

const (
	testSecret   = "sUp3r-s3cret-private-key"
	testPlexTok  = "plex-token-XYZ123"
	jsonType     = "application/json"
	fastInterval = time.Millisecond
)

var (
	opIdem    = &Operation{Name: "test.Idempotent", Idempotent: true}
	opNonIdem = &Operation{Name: "test.Create", Idempotent: false}
)

type payload struct {
	OK bool `json:"ok"`
}

// fastRetry backs off in milliseconds but still accepts server hints up to 5 s.
func fastRetry(attempts int) sdk.RetryConfig {
	return sdk.RetryConfig{
		Backoff: &sdk.BackoffStrategy{InitialInterval: fastInterval, MaxInterval: 5 * time.Second, Exponent: 1.01, MaxElapsedTime: 10 * time.Second},

		MaxAttempts: attempts,
	}
}

func newCore(t *testing.T, cfg Config) *Core {
	t.Helper()
	cfg.Secrets = append(cfg.Secrets, testSecret, testPlexTok)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sendPOST is a Sender like the generated ones: it builds a request with a
// replayable body and secret headers, then hands it to the doer.
func sendPOST(body string) Sender {
	return func(ctx context.Context, server string, d HTTPDoer) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+"op", strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("app", testSecret)
		req.Header.Set("X-Plex-Token", testPlexTok)
		return d.Do(req)
	}
}

func sendGET(ctx context.Context, server string, d HTTPDoer) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"op", nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth("app", testSecret)
	req.Header.Set("X-Plex-Token", testPlexTok)
	return d.Do(req)
}

// scripted answers request n (1-based) with the n-th handler, the last repeating.
type scripted struct {
	mu       sync.Mutex
	n        int
	handlers []http.HandlerFunc
	bodies   []string
	times    []time.Time
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := s.n
	s.n++
	s.bodies = append(s.bodies, string(b))
	s.times = append(s.times, time.Now())
	s.mu.Unlock()
	if i >= len(s.handlers) {
		i = len(s.handlers) - 1
	}
	s.handlers[i](w, r)
}

func (s *scripted) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

func status(code int, hdr ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.Header().Set("Content-Type", jsonType)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"message":"status `+http.StatusText(code)+`"}`)
	}
}

func ok(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", jsonType)
	_, _ = io.WriteString(w, `{"ok":true}`)
}

func serve(t *testing.T, h ...http.HandlerFunc) (*scripted, string) {
	t.Helper()
	s := &scripted{handlers: h}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL + "/"
}

// inMemory is an http.Client whose requests h answers on the caller's
// goroutine: under testing/synctest the test's clock is then the only one,
// so waits take no wall time and their lengths are exact.
func inMemory(h http.Handler) *http.Client {
	return &http.Client{Transport: transport(func(r *http.Request) *http.Response {
		rec := httptest.NewRecorder()
		sr := r.Clone(r.Context()) // as a server sees it: a body, never nil
		if sr.Body == nil {
			sr.Body = http.NoBody
		}
		h.ServeHTTP(rec, sr)
		res := rec.Result()
		res.Request = r
		return res
	})}
}

// serveMem is serve answered in memory (inMemory), for tests in a bubble.
func serveMem(h ...http.HandlerFunc) (*scripted, string, *http.Client) {
	s := &scripted{handlers: h}
	return s, "http://core.test/", inMemory(s)
}

func TestRetries5xxThenSucceeds(t *testing.T) {
	s, url := serve(t, status(500), status(503), ok)
	c := newCore(t, Config{Retry: ptr(fastRetry(3))})
	var last *http.Response
	got, err := Invoke[payload](context.Background(), c, opIdem, url, []sdk.CallOption{sdk.WithResponseInto(&last)}, nil, sendGET)
	if err != nil {
		t.Fatal(err)
	}
	if !got.OK || s.count() != 3 {
		t.Fatalf("got %+v after %d requests, want ok after 3", got, s.count())
	}
	if last == nil || last.StatusCode != 200 {
		t.Fatalf("sdk.WithResponseInto: %+v", last)
	}
}

func TestGivesUpWithLastAPIError(t *testing.T) {
	s, url := serve(t, status(502))
	c := newCore(t, Config{Retry: ptr(fastRetry(3))})
	_, err := Invoke[payload](context.Background(), c, opIdem, url, nil, nil, sendGET)
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 502 || s.count() != 3 {
		t.Fatalf("err = %v after %d requests, want *sdk.APIError 502 after 3", err, s.count())
	}
	if want := "test.Idempotent: 502 Bad Gateway: status Bad Gateway"; err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestRetryAfterSecondsIsHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, url, hc := serveMem(status(429, "Retry-After", "1"), ok)
		c := newCore(t, Config{HTTPClient: hc, Retry: ptr(fastRetry(3))})
		if _, err := Invoke[payload](context.Background(), c, opIdem, url, nil, nil, sendGET); err != nil {
			t.Fatal(err)
		}
		if gap := s.times[1].Sub(s.times[0]); gap != time.Second {
			t.Fatalf("retried after %v, server asked for 1s", gap)
		}
	})
}

func TestRetryAfterHTTPDateIsHonoured(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock starts on a whole second: the date is 2 s away.
		date := time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
		s, url, hc := serveMem(status(503, "Retry-After", date), ok)
		c := newCore(t, Config{HTTPClient: hc, Retry: ptr(fastRetry(3))})
		if _, err := Invoke[payload](context.Background(), c, opIdem, url, nil, nil, sendGET); err != nil {
			t.Fatal(err)
		}
		if gap := s.times[1].Sub(s.times[0]); gap != 2*time.Second {
			t.Fatalf("retried after %v, server asked until %s (2 s)", gap, date)
		}
	})
}

func TestRetryAfterBeyondBudgetGivesUpAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, hint := range []string{"3600", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)} {
			s, url, hc := serveMem(status(429, "Retry-After", hint), ok)
			c := newCore(t, Config{HTTPClient: hc}) // defaults: MaxInterval 30s
			start := time.Now()
			_, err := Invoke[payload](context.Background(), c, opIdem, url, nil, nil, sendGET)
			var apiErr *sdk.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
				t.Fatalf("hint %q: err = %v, want *sdk.APIError 429", hint, err)
			}
			if took := time.Since(start); s.count() != 1 || took != 0 {
				t.Fatalf("hint %q: %d requests in %v, want 1 at once", hint, s.count(), took)
			}
		}
	})
}

func TestWaitPastMaxElapsedGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, url, hc := serveMem(status(503, "Retry-After", "2"), ok)
		cfg := fastRetry(0)
		cfg.Backoff.MaxInterval = 10 * time.Second
		cfg.Backoff.MaxElapsedTime = time.Second
		c := newCore(t, Config{HTTPClient: hc, Retry: &cfg})
		start := time.Now()
		_, err := Invoke[payload](context.Background(), c, opIdem, url, nil, nil, sendGET)
		var apiErr *sdk.APIError
		if took := time.Since(start); !errors.As(err, &apiErr) || s.count() != 1 || took != 0 {
			t.Fatalf("err = %v, %d requests in %v; want 503 at once", err, s.count(), took)
		}
	})
}

func TestConnectionRefusedIsRetriedThenReported(t *testing.T) {
	url := closedURL(t)
	c := newCore(t, Config{Retry: ptr(fastRetry(3))})
	_, err := Invoke[payload](context.Background(), c, opIdem, url, nil, nil, sendGET)
	var te *sdk.TransportError
	if !errors.As(err, &te) || te.Attempts != 3 {
		t.Fatalf("err = %v, want sdk.TransportError after 3 attempts", err)
	}
	if !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("error does not say how many attempts: %v", err)
	}
}

func TestConnectionDroppedMidResponseIsRetried(t *testing.T) {
	drop := func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ok\":")
		_ = buf.Flush()
		_ = conn.Close()
	}
	s, url := serve(t, drop, ok)
	c := newCore(t, Config{Retry: ptr(fastRetry(3))})
	got, err := Invoke[payload](context.Background(), c, opIdem, url, nil, nil, sendGET)
	if err != nil || !got.OK || s.count() != 2 {
		t.Fatalf("got %+v, %v after %d requests", got, err, s.count())
	}
}

func TestContextCancelledDuringWaitReturnsQuickly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, url, hc := serveMem(status(503, "Retry-After", "30"), ok)
		c := newCore(t, Config{HTTPClient: hc, Retry: &sdk.RetryConfig{Backoff: &sdk.BackoffStrategy{MaxInterval: time.Minute}}})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel) // during the 30 s wait
		start := time.Now()
		_, err := Invoke[payload](ctx, c, opIdem, url, nil, nil, sendGET)
		if took := time.Since(start); took != 20*time.Millisecond || s.count() != 1 {
			t.Fatalf("returned after %v and %d requests, want at the cancel (20 ms) after 1", took, s.count())
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestNonIdempotentRetries(t *testing.T) {
	t.Run("not on 500", func(t *testing.T) {
		s, url := serve(t, status(500), ok)
		c := newCore(t, Config{Retry: ptr(fastRetry(3))})
		_, err := Invoke[payload](context.Background(), c, opNonIdem, url, nil, nil, sendPOST("a=1"))
		var apiErr *sdk.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || s.count() != 1 {
			t.Fatalf("err = %v after %d requests, want 500 after 1", err, s.count())
		}
	})
	t.Run("on 429", func(t *testing.T) {
		s, url := serve(t, status(429), ok)
		c := newCore(t, Config{Retry: ptr(fastRetry(3))})
		if _, err := Invoke[payload](context.Background(), c, opNonIdem, url, nil, nil, sendPOST("a=1")); err != nil || s.count() != 2 {
			t.Fatalf("err = %v after %d requests, want success after 2", err, s.count())
		}
	})
	t.Run("on dial failure", func(t *testing.T) {
		_, err := Invoke[payload](context.Background(), newCore(t, Config{Retry: ptr(fastRetry(3))}), opNonIdem, closedURL(t), nil, nil, sendPOST("a=1"))
		var te *sdk.TransportError
		if !errors.As(err, &te) || te.Attempts != 3 {
			t.Fatalf("err = %v, want 3 dial attempts", err)
		}
	})
	t.Run("not after a dropped response", func(t *testing.T) {
		drop := func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
		}
		s, url := serve(t, drop, ok)
		_, err := Invoke[payload](context.Background(), newCore(t, Config{Retry: ptr(fastRetry(3))}), opNonIdem, url, nil, nil, sendPOST("a=1"))
		if err == nil || s.count() != 1 {
			t.Fatalf("err = %v after %d requests; a request that may have been processed must not be resent", err, s.count())
		}
	})
}

func TestBodyReplayedIdentically(t *testing.T) {
	s, url := serve(t, status(503), status(502), ok)
	c := newCore(t, Config{Retry: ptr(fastRetry(3))})
	const body = "volatile=true&grants=%7B%22read%22%3A%7B%22all%22%3Atrue%7D%7D"
	if _, err := Invoke[payload](context.Background(), c, opIdem, url, nil, nil, sendPOST(body)); err != nil {
		t.Fatal(err)
	}
	if len(s.bodies) != 3 {
		t.Fatalf("%d requests", len(s.bodies))
	}
	for i, b := range s.bodies {
		if b != body {
			t.Fatalf("attempt %d sent %q, want %q", i+1, b, body)
		}
	}
}

func TestStrategyNoneIsOneAttempt(t *testing.T) {
	s, url := serve(t, status(503), ok)
	c := newCore(t, Config{Retry: ptr(fastRetry(5))})
	_, err := Invoke[payload](context.Background(), c, opIdem, url, []sdk.CallOption{sdk.WithRetries(sdk.RetryConfig{Strategy: sdk.StrategyNone})}, nil, sendGET)
	if err == nil || s.count() != 1 {
		t.Fatalf("err = %v after %d requests, want one attempt", err, s.count())
	}
}

func TestOversizeBodyRefused(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 17<<20)
	for _, chunked := range []bool{false, true} {
		_, url := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", jsonType)
			if chunked {
				w.(http.Flusher).Flush() // no Content-Length
			}
			_, _ = w.Write(big)
		})
		_, err := Invoke[payload](context.Background(), newCore(t, Config{}), opIdem, url, nil, nil, sendGET)
		if !errors.Is(err, sdk.ErrResponseTooLarge) {
			t.Fatalf("chunked=%v: err = %v, want sdk.ErrResponseTooLarge", chunked, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }
