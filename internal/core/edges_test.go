package core

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

// Tests for the edges of issue 9, one per item, against real loopback servers.

// counting counts requests and answers with h.
func counting(t *testing.T, h http.HandlerFunc) (*atomic.Int32, *httptest.Server) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); h(w, r) }))
	t.Cleanup(srv.Close)
	return &n, srv
}

func TestRedirectNeverCarriesABodyToAnotherOrigin(t *testing.T) {
	for _, code := range []int{307, 308} {
		reached, other := counting(t, ok)
		_, origin := counting(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/stolen", code)
		})
		_, err := Invoke[payload](context.Background(), newCore(t, Config{Retry: ptr(fastRetry(3))}), opIdem, origin.URL+"/", nil, nil, sendPOST("password="+testSecret))
		var te *sdk.TransportError
		host := strings.TrimPrefix(other.URL, "http://")
		if !errors.As(err, &te) || te.Attempts != 1 || !strings.Contains(err.Error(), host) {
			t.Fatalf("%d to another port: %v (want a refusal naming %s, not retried)", code, err, host)
		}
		if reached.Load() != 0 {
			t.Fatalf("%d: the body reached the other origin", code)
		}
	}
	// Same origin: followed, body replayed.
	var got atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("/op", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
		ok(w, r)
	})
	same := httptest.NewServer(mux)
	defer same.Close()
	if _, err := Invoke[payload](context.Background(), newCore(t, Config{}), opIdem, same.URL+"/", nil, nil, sendPOST("a=1")); err != nil || got.Load() != "a=1" {
		t.Fatalf("same-origin 307: %v, body %v", err, got.Load())
	}
	// https → http on the same host name is another origin.
	reached, plain := counting(t, ok)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/op", http.StatusTemporaryRedirect)
	}))
	defer tlsSrv.Close()
	c := newCore(t, Config{HTTPClient: tlsSrv.Client()})
	if _, err := Invoke[payload](context.Background(), c, opIdem, tlsSrv.URL+"/", nil, nil, sendPOST("password=x")); err == nil || reached.Load() != 0 {
		t.Fatalf("https→http 307 followed: %v, %d requests", err, reached.Load())
	}
}

func TestPermanentTransportFailuresAreNotRetried(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(ok))
	defer tlsSrv.Close()
	var loops atomic.Int32
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loops.Add(1)
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	defer loop.Close()
	ftp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "ftp://example.com/x")
		w.WriteHeader(http.StatusFound)
	}))
	defer ftp.Close()
	refusing := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return errors.New("no redirects, thanks") }}
	badHeader := func(ctx context.Context, server string, d HTTPDoer) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"op", nil)
		req.Header.Set("X-Bad", "a\x00b")
		return d.Do(req)
	}
	unlimited := &sdk.RetryConfig{MaxAttempts: sdk.UnlimitedAttempts, Backoff: &sdk.BackoffStrategy{InitialInterval: time.Millisecond, MaxElapsedTime: 2 * time.Second}}
	for name, c := range map[string]struct {
		cfg  Config
		url  string
		send Sender
	}{
		"untrusted certificate": {Config{Retry: unlimited}, tlsSrv.URL + "/", sendGET},
		"redirect loop":         {Config{Retry: unlimited}, loop.URL + "/", sendGET},
		"refused redirect":      {Config{Retry: unlimited, HTTPClient: refusing}, loop.URL + "/", sendGET},
		"ftp location":          {Config{Retry: unlimited}, ftp.URL + "/", sendGET},
		"invalid header value":  {Config{Retry: unlimited}, loop.URL + "/", badHeader},
	} {
		_, err := Invoke[payload](context.Background(), newCore(t, c.cfg), opIdem, c.url, nil, nil, c.send)
		var te *sdk.TransportError
		if !errors.As(err, &te) || te.Attempts != 1 {
			t.Errorf("%s: %v, want one attempt", name, err)
		}
	}
	if n := loops.Load(); n > 2*maxRedirects+2 {
		t.Errorf("redirect loop followed %d times: retried", n)
	}
}

func TestHeaderValuesWithControlCharactersAreRefused(t *testing.T) {
	for _, ua := range []string{"a\x00b", "x\x7f", "tab\there", "cr\rlf"} {
		if _, err := New(Config{UserAgent: ua}); err == nil {
			t.Errorf("user agent %q accepted", ua)
		}
	}
	if err := CheckHeaderValue("token", "abc-DEF_123.~"); err != nil {
		t.Fatal(err)
	}
}

func TestScrubberCoversDerivedFormsAndCallSecrets(t *testing.T) {
	const password, code, pathTok = "pa ss/word+1", "987654", "9f8e7d6c5b4a39281706"
	basic := base64.StdEncoding.EncodeToString([]byte("app:" + testSecret))
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(401)
		_, _ = io.WriteString(w, "got "+r.Header.Get("Authorization")+" "+basic+" "+password+" "+code+" "+pathTok+" "+url.QueryEscape(password))
	}
	_, srvURL := serve(t, echo)
	c := newCore(t, Config{Secrets: []string{"app:" + testSecret}})
	sec := &CallInfo{Secrets: [2]string{password, code}, PathValue: pathTok}
	_, err := Invoke[payload](context.Background(), c, opIdem, srvURL, nil, sec, sendGET)
	var api *sdk.APIError
	if !errors.As(err, &api) {
		t.Fatal(err)
	}
	text := err.Error() + string(api.Body)
	for _, s := range []string{basic, password, code, pathTok, url.QueryEscape(password), testSecret} {
		if strings.Contains(text, s) {
			t.Fatalf("%q survives in %q", s, text)
		}
	}
	if !strings.Contains(text, pathTok[:4]+"…") {
		t.Fatalf("path value not shown as its 4-character prefix: %q", text)
	}
	// Scrub before clipping: a secret straddling the bound leaves no prefix.
	long := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(500)
		_, _ = io.WriteString(w, strings.Repeat("x", maxTextLen-6)+testSecret)
	}
	_, srvURL = serve(t, long)
	_, err = Invoke[payload](context.Background(), newCore(t, Config{Retry: ptr(sdk.RetryConfig{Strategy: sdk.StrategyNone})}), opIdem, srvURL, nil, nil, sendGET)
	if err == nil || strings.Contains(err.Error(), testSecret[:6]) {
		t.Fatalf("clipped secret prefix survives: %v", err)
	}
}

func TestBackoffCannotOverflowOrSpin(t *testing.T) {
	p, err := newPolicy(sdk.RetryConfig{Backoff: &sdk.BackoffStrategy{InitialInterval: time.Second, MaxInterval: math.MaxInt64, Exponent: 1e300}})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < 2000; n *= 3 {
		if d := p.backoff(n); d < minWait {
			t.Fatalf("attempt %d: wait %v", n, d)
		}
	}
	p, _ = newPolicy(sdk.RetryConfig{Backoff: &sdk.BackoffStrategy{InitialInterval: time.Nanosecond, MaxInterval: time.Nanosecond}})
	if d := p.backoff(1); d < minWait {
		t.Fatalf("1ns interval waits %v: spins", d)
	}
	// MaxElapsedTime still bounds a config with a huge MaxInterval.
	synctest.Test(t, func(t *testing.T) {
		s, url, hc := serveMem(status(503))
		cfg := &sdk.RetryConfig{MaxAttempts: sdk.UnlimitedAttempts, Backoff: &sdk.BackoffStrategy{InitialInterval: time.Millisecond, MaxInterval: math.MaxInt64, MaxElapsedTime: 300 * time.Millisecond}}
		start := time.Now()
		_, err := Invoke[payload](context.Background(), newCore(t, Config{HTTPClient: hc, Retry: cfg}), opIdem, url, nil, nil, sendGET)
		if took := time.Since(start); err == nil || took > 300*time.Millisecond || s.count() > 200 {
			t.Fatalf("%d requests in %v: %v, want the 300 ms budget kept", s.count(), took, err)
		}
	})
	for _, bad := range []struct {
		cfg   sdk.RetryConfig
		field string
	}{
		{sdk.RetryConfig{Backoff: &sdk.BackoffStrategy{Exponent: 0.001}}, "Exponent"},
		{sdk.RetryConfig{Backoff: &sdk.BackoffStrategy{InitialInterval: time.Minute}}, "InitialInterval"},
		{sdk.RetryConfig{Backoff: &sdk.BackoffStrategy{MaxElapsedTime: -1}}, "MaxElapsedTime"},
		{sdk.RetryConfig{MaxAttempts: -5}, "MaxAttempts"},
	} {
		if _, err := New(Config{Retry: &bad.cfg}); err == nil || !strings.Contains(err.Error(), bad.field) {
			t.Errorf("%+v: %v, want an error naming %s", bad.cfg, err, bad.field)
		}
	}
}

func TestZeroRetryConfigFieldsMeanDefaults(t *testing.T) {
	// RetryConfig{MaxAttempts: 5} changes the attempt count only: connection
	// failures are still retried.
	p, err := newPolicy(sdk.RetryConfig{MaxAttempts: 5, StatusCodes: []string{"503"}})
	if err != nil || p.maxAttempts != 5 || !p.retryConns || p.initial != defaultInitialInterval {
		t.Fatalf("%+v %v", p, err)
	}
	p, _ = newPolicy(sdk.RetryConfig{})
	if p.maxAttempts != 3 {
		t.Fatalf("MaxAttempts 0 = %d attempts, want 3", p.maxAttempts)
	}
	p, _ = newPolicy(sdk.RetryConfig{DisableConnectionRetries: true})
	if p.retryConns {
		t.Fatal("DisableConnectionRetries ignored")
	}
}

func TestRetryAfterTooLargeToParseGivesUpAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, hdr := range [][2]string{{"Retry-After", "99999999999999999999"}, {"Retry-After-Ms", "1e300"}, {"Retry-After-Ms", "+Inf"}} {
			s, url, hc := serveMem(status(503, hdr[0], hdr[1]), ok)
			start := time.Now()
			_, err := Invoke[payload](context.Background(), newCore(t, Config{HTTPClient: hc, Retry: ptr(fastRetry(3))}), opIdem, url, nil, nil, sendGET)
			var api *sdk.APIError
			if took := time.Since(start); !errors.As(err, &api) || api.StatusCode != 503 || s.count() != 1 || took != 0 {
				t.Errorf("%s: %s: %v after %d requests in %v, want the 503 at once", hdr[0], hdr[1], err, s.count(), took)
			}
		}
	})
}

// transport answers from memory like the hand-built transports in users' tests.
type transport func(*http.Request) *http.Response

func (f transport) RoundTrip(r *http.Request) (*http.Response, error) { return f(r), nil }

func TestBodyIsReadToEOFWhateverContentLengthSays(t *testing.T) {
	answer := func(cl int64, body string) *http.Client {
		return &http.Client{Transport: transport(func(r *http.Request) *http.Response {
			return &http.Response{StatusCode: 200, ContentLength: cl, Header: http.Header{"Content-Type": {jsonType}}, Body: io.NopCloser(strings.NewReader(body)), Request: r}
		})}
	}
	for _, cl := range []int64{0, -1, 100, 5} {
		got, err := Invoke[payload](context.Background(), newCore(t, Config{HTTPClient: answer(cl, `{"ok":true}`)}), opIdem, "http://x.test/", nil, nil, sendGET)
		if err != nil || !got.OK {
			t.Errorf("Content-Length %d: %v %v", cl, got, err)
		}
	}
	// A 16 MiB header with 2 real bytes allocates nothing like 16 MiB.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _ = Invoke[payload](context.Background(), newCore(t, Config{HTTPClient: answer(MaxResponseBytes, `{}`)}), opIdem, "http://x.test/", nil, nil, sendGET)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("a lying Content-Length made the SDK allocate %d bytes", grew)
	}
	_, err := Invoke[payload](context.Background(), newCore(t, Config{HTTPClient: answer(MaxResponseBytes+1, `{}`)}), opIdem, "http://x.test/", nil, nil, sendGET)
	if !errors.Is(err, sdk.ErrResponseTooLarge) {
		t.Fatalf("header above the bound: %v", err)
	}
}

func TestServerTextIsCleanedAndBounded(t *testing.T) {
	hostile := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", jsonType)
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"message":"\u001b[2J\u0007\u0000Signed in OK\u202e\r\nreally"}`)
	}
	_, url := serve(t, hostile)
	_, err := Invoke[payload](context.Background(), newCore(t, Config{}), opIdem, url, nil, nil, sendGET)
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07\x00\u202e\r\n") || !strings.Contains(err.Error(), "Signed in OK really") {
		t.Fatalf("%q", err)
	}
	huge := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", jsonType)
		_, _ = io.WriteString(w, `{"ok":`+strings.Repeat("9", 8<<20)+`}`)
	}
	_, url = serve(t, huge)
	_, err = Invoke[payload](context.Background(), newCore(t, Config{}), opIdem, url, nil, nil, sendGET)
	if err == nil || len(err.Error()) > 1024 {
		t.Fatalf("decode error of %d bytes", len(err.Error()))
	}
}

func TestNullBodyIsAnError(t *testing.T) {
	null := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", jsonType)
		_, _ = io.WriteString(w, "null")
	}
	_, url := serve(t, null)
	if _, err := Invoke[payload](context.Background(), newCore(t, Config{}), opIdem, url, nil, nil, sendGET); err == nil {
		t.Fatal("null accepted as a result")
	}
}

func TestDeadlineShorterThanRetryAfterReturnsTheAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, url, hc := serveMem(status(503, "Retry-After", "2"), ok)
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := Invoke[payload](ctx, newCore(t, Config{HTTPClient: hc, Retry: ptr(fastRetry(3))}), opIdem, url, nil, nil, sendGET)
		var api *sdk.APIError
		if took := time.Since(start); !errors.As(err, &api) || api.StatusCode != 503 || took != 0 {
			t.Fatalf("after %v: %v, want the 503 at once", took, err)
		}
	})
}

func TestDefaultTransportKeepsConnectionsForConcurrentCallers(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(ok))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := newCore(t, Config{})
	const workers, calls = 32, 200
	done := make(chan error, workers)
	for range workers {
		go func() {
			for range calls {
				if _, err := Invoke[payload](context.Background(), c, opIdem, srv.URL+"/", nil, nil, sendGET); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range workers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n > 64 {
		t.Fatalf("%d connections for %d concurrent callers, want ≤ 64", n, workers)
	}
	before := conns.Load()
	for range 50 {
		if _, err := Invoke[payload](context.Background(), c, opIdem, srv.URL+"/", nil, nil, sendGET); err != nil {
			t.Fatal(err)
		}
	}
	if conns.Load() != before {
		t.Fatalf("sequential calls opened %d new connections", conns.Load()-before)
	}
}

// A server URL that does not parse, or lacks its scheme, is shown in the
// error as typed with only its credentials redacted, and the scheme is
// suggested when it is missing.
func TestServerURLErrorsShowTheURL(t *testing.T) {
	for _, tc := range []struct{ raw, want, secret string }{
		{"127.0.0.1:1", `server URL "127.0.0.1:1" has no scheme: add http:// or https:// (e.g. "http://127.0.0.1:1")`, ""},
		{"localhost:32400", `"http://localhost:32400"`, ""},
		{"me:hunter22@10.0.0.5:32400", `"REDACTED@10.0.0.5:32400"`, "hunter22"},
		{"10.0.0.5:32400/?X-Plex-Token=tok-secret-1", `"10.0.0.5:32400/?X-Plex-Token=REDACTED"`, "tok-secret-1"},
		{"http://me:hunter22@[::1", `"http://REDACTED@[::1" does not parse`, "hunter22"},
		{"ftp://10.0.0.5", `"ftp://10.0.0.5" must start with http:// or https://`, ""},
	} {
		_, err := ValidateServerURL("opt", tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.secret != "" && strings.Contains(err.Error(), tc.secret)) {
			t.Errorf("%q: %v, want %s", tc.raw, err, tc.want)
		}
	}
}
