package core

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authsdk/authsdk/sdk"
)

func TestCrossHostRedirectStripsCredentials(t *testing.T) {
	var gotAuth, gotTok atomic.Value
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth.Store(r.Header.Get("Authorization"))
		gotTok.Store(r.Header.Get("X-Plex-Token"))
		ok(w, r)
	}))
	defer target.Close()
	var sameHostAuth atomic.Value
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/op":
			http.Redirect(w, r, target.URL+"/landing", http.StatusFound)
		case "/same":
			http.Redirect(w, r, "/here", http.StatusFound)
		case "/here":
			sameHostAuth.Store(r.Header.Get("Authorization"))
			ok(w, r)
		}
	}))
	defer origin.Close()
	c := newCore(t, Config{})
	if _, err := Invoke[payload](context.Background(), c, opIdem, origin.URL+"/", nil, nil, sendGET); err != nil {
		t.Fatal(err)
	}
	if a, p := gotAuth.Load().(string), gotTok.Load().(string); a != "" || p != "" {
		t.Fatalf("cross-host redirect carried Authorization=%q X-Plex-Token=%q", a, p)
	}
	sameHost := func(ctx context.Context, server string, d HTTPDoer) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"same", nil)
		req.SetBasicAuth("app", testSecret)
		return d.Do(req)
	}
	if _, err := Invoke[payload](context.Background(), c, opIdem, origin.URL+"/", nil, nil, sameHost); err != nil {
		t.Fatal(err)
	}
	if a, _ := sameHostAuth.Load().(string); a == "" {
		t.Fatal("same-host redirect lost Authorization")
	}
}

func TestServerURLValidatedBeforeSending(t *testing.T) {
	s, url := serve(t, ok)
	c := newCore(t, Config{})
	for _, bad := range []string{"ftp://host/", "/relative", "http://", "http://user:" + testSecret + "@host/", "::nope"} {
		_, err := Invoke[payload](context.Background(), c, opIdem, url, []sdk.CallOption{sdk.WithServerURL(bad)}, nil, sendGET)
		if err == nil || !strings.Contains(err.Error(), "sdk.WithServerURL") {
			t.Fatalf("%q: err = %v, want an error naming sdk.WithServerURL", bad, err)
		}
		if strings.Contains(err.Error(), testSecret) {
			t.Fatalf("secret in error: %v", err)
		}
	}
	if s.count() != 0 {
		t.Fatalf("%d requests sent with a bad URL", s.count())
	}
	if _, err := Invoke[payload](context.Background(), c, opIdem, "http://127.0.0.1:1/", []sdk.CallOption{sdk.WithServerURL(strings.TrimSuffix(url, "/"))}, nil, sendGET); err != nil || s.count() != 1 {
		t.Fatalf("per-call URL not used: %v", err)
	}
}

func TestUserAgent(t *testing.T) {
	var ua atomic.Value
	_, url := serve(t, func(w http.ResponseWriter, r *http.Request) { ua.Store(r.UserAgent()); ok(w, r) })
	c := newCore(t, Config{UserAgent: "myapp/1.2"})
	if _, err := Invoke[payload](context.Background(), c, opIdem, url, nil, nil, sendGET); err != nil {
		t.Fatal(err)
	}
	got := ua.Load().(string)
	if !strings.HasPrefix(got, "authsdk/"+sdk.Version+" (") || !strings.HasSuffix(got, ") myapp/1.2") {
		t.Fatalf("User-Agent %q", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html></html>")
		},
		"malformed": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", jsonType)
			_, _ = io.WriteString(w, `{"ok":`)
		},
		"empty": func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Content-Type", jsonType) },
	} {
		_, url := serve(t, h)
		_, err := Invoke[payload](context.Background(), newCore(t, Config{}), opIdem, url, nil, nil, sendGET)
		if err == nil || !strings.HasPrefix(err.Error(), opIdem.Name+": ") {
			t.Fatalf("%s: err = %v", name, err)
		}
	}
}

func TestNoSecretInErrorsOrLogs(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	echo := func(w http.ResponseWriter, r *http.Request) {
		// A hostile server echoing what it got.
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(401)
		_, _ = io.WriteString(w, "bad credentials "+r.Header.Get("Authorization")+" "+testSecret+" "+testPlexTok)
	}
	_, url := serve(t, status(503), echo)
	c := newCore(t, Config{Logger: logger, Retry: ptr(fastRetry(3))})
	var errs []string
	tokenQuery := func(ctx context.Context, server string, d HTTPDoer) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"op?X-Plex-Token="+testPlexTok, nil)
		req.SetBasicAuth("app", testSecret)
		return d.Do(req)
	}
	for _, u := range []string{url, closedURL(t)} {
		for _, send := range []Sender{sendGET, sendPOST("password=" + testSecret), tokenQuery} {
			if _, err := Invoke[payload](context.Background(), c, opIdem, u, nil, nil, send); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	if len(errs) < 6 || logs.Len() == 0 {
		t.Fatalf("expected errors and logs, got %d errors, %d log bytes", len(errs), logs.Len())
	}
	text := strings.Join(errs, "\n") + logs.String()
	for _, s := range []string{testSecret, testPlexTok} {
		if strings.Contains(text, s) {
			t.Fatalf("secret %q leaked:\n%s", s, text)
		}
	}
	if !strings.Contains(logs.String(), "X-Plex-Token=REDACTED") {
		t.Fatalf("token query value not shown redacted in logs:\n%s", logs.String())
	}
}

func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr + "/"
}
