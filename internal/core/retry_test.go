package core

import (
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

func TestBackoffScheduleAndJitter(t *testing.T) {
	p, err := newPolicy(sdk.RetryConfig{Backoff: &sdk.BackoffStrategy{InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, Exponent: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 60: time.Second, 5000: time.Second} {
		lo, hi := want, time.Duration(0)
		for range 500 {
			d := p.backoff(n)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < want/2 || hi > want || hi-lo < want/4 {
			t.Errorf("attempt %d: waits in [%v, %v], want spread over [%v, %v]", n, lo, hi, want/2, want)
		}
	}
}

func TestRetryPolicyDefaultsAndValidation(t *testing.T) {
	p, err := newPolicy(sdk.RetryConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if p.initial != defaultInitialInterval || p.max != defaultMaxInterval || p.exponent != defaultExponent || p.maxElapsed != defaultMaxElapsedTime || p.maxAttempts != 3 || !p.retryConns {
		t.Fatalf("defaults not applied: %+v", p)
	}
	for code, want := range map[int]bool{429: true, 500: true, 502: true, 503: true, 504: true, 501: false, 404: false, 200: false} {
		if p.retriesStatus(code) != want {
			t.Errorf("default retriesStatus(%d) = %v", code, !want)
		}
	}
	p, _ = newPolicy(sdk.RetryConfig{StatusCodes: []string{"5XX", "408"}})
	for code, want := range map[int]bool{500: true, 599: true, 408: true, 429: false} {
		if p.retriesStatus(code) != want {
			t.Errorf("5XX,408: retriesStatus(%d) = %v", code, !want)
		}
	}
	d := sdk.DefaultRetryConfig()
	if d.MaxAttempts != 3 || d.DisableConnectionRetries || d.Strategy != sdk.StrategyBackoff || d.Backoff.InitialInterval != defaultInitialInterval {
		t.Fatalf("sdk.DefaultRetryConfig = %+v", d)
	}
	for _, bad := range []sdk.RetryConfig{{Strategy: "linear"}, {StatusCodes: []string{"abc"}}, {StatusCodes: []string{"6XX"}}, {MaxAttempts: -2}, {Backoff: &sdk.BackoffStrategy{InitialInterval: -1}}, {Backoff: &sdk.BackoffStrategy{Exponent: 0.001}}, {Backoff: &sdk.BackoffStrategy{Exponent: math.NaN()}}, {Backoff: &sdk.BackoffStrategy{InitialInterval: time.Minute}}, {Backoff: &sdk.BackoffStrategy{InitialInterval: 2 * time.Second, MaxInterval: time.Second}}} {
		if _, err := newPolicy(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		ms, ra string
		want   time.Duration
		ok     bool
	}{
		{"", "1", time.Second, true},
		{"", "0", 0, true},
		{"1500", "9", 1500 * time.Millisecond, true},
		{"abc", "2", 2 * time.Second, true},
		{"", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"", now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", "-5", 0, false},
		{"", "soon", 0, false},
		{"", "99999999999999999999", forever, true},
		{"1e300", "", forever, true},
		{"+Inf", "", forever, true},
		{"NaN", "", 0, false},
		{"-1", "", 0, false},
		{"", "", 0, false},
	}
	for _, c := range cases {
		h := http.Header{}
		if c.ms != "" {
			h.Set("Retry-After-Ms", c.ms)
		}
		if c.ra != "" {
			h.Set("Retry-After", c.ra)
		}
		got, ok := ParseRetryAfter(h, now)
		if got != c.want || ok != c.ok {
			t.Errorf("Retry-After-Ms=%q Retry-After=%q: got %v,%v want %v,%v", c.ms, c.ra, got, ok, c.want, c.ok)
		}
	}
}

func TestAPIErrorMessages(t *testing.T) {
	cases := []struct{ ct, body, want string }{
		{"application/json", `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`, "User could not be authenticated"},
		{"application/json", `{"message":"nope"}`, "nope"},
		{"application/json", `{"error":"bad key"}`, "bad key"},
		{"application/json", `{"error":{"message":"nested"}}`, "nested"},
		{"text/html", "<html><head><title>401 Unauthorized</title></head><body>...</body></html>", "401 Unauthorized"},
		{"text/plain", "Gateway timeout\nmore lines", "Gateway timeout"},
		{"", "", ""},
		{"application/octet-stream", "\xff\xfe", ""},
	}
	for _, c := range cases {
		rsp := &http.Response{StatusCode: 401, Header: http.Header{"Content-Type": {c.ct}}}
		e := newAPIError("op", rsp, []byte(c.body), func(s string) string { return s })
		if e.Message != c.want {
			t.Errorf("%s %q: message %q, want %q", c.ct, c.body, e.Message, c.want)
		}
	}
	long := strings.Repeat("x", 70<<10)
	e := newAPIError("op", &http.Response{StatusCode: 500, Header: http.Header{}}, []byte(long), func(s string) string { return s })
	if len(e.Body) != maxErrorBodyBytes || len(e.Message) > maxTextLen+4 {
		t.Fatalf("body %d bytes, message %d bytes", len(e.Body), len(e.Message))
	}
	if got := (&sdk.APIError{Operation: "plex.Authentication.GetUserDetails", StatusCode: 401, Message: "User could not be authenticated"}).Error(); got != "plex.Authentication.GetUserDetails: 401 Unauthorized: User could not be authenticated" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestRedactURL(t *testing.T) {
	u, _ := url.Parse("https://user:pw@h:32400/library?X-Plex-Token=abc&x-plex-token=def&type=delegation")
	got := RedactURL(u)
	if strings.Contains(got, "abc") || strings.Contains(got, "def") || strings.Contains(got, ":pw@") || !strings.Contains(got, "type=delegation") {
		t.Fatalf("RedactURL = %q", got)
	}
}

func TestValidateServerURL(t *testing.T) {
	for in, want := range map[string]string{"https://plex.tv/api/v2": "https://plex.tv/api/v2/", "http://127.0.0.1:32400/": "http://127.0.0.1:32400/"} {
		if got, err := ValidateServerURL("opt", in); err != nil || got != want {
			t.Errorf("%q: %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "plex.tv", "ws://h/", "https:///path", "https://h/?q=1", "https://h/#f"} {
		if _, err := ValidateServerURL("my.Option", bad); err == nil || !strings.HasPrefix(err.Error(), "my.Option: ") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}
