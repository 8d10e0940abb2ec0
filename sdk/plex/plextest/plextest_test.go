package plextest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/authsdk/authsdk/api"
	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

var ctx = context.Background()

func setup(t *testing.T, opts ...plex.Option) (*plextest.Server, *plex.Client) {
	t.Helper()
	srv := plextest.NewServer()
	t.Cleanup(func() {
		srv.AssertNoViolations(t)
		srv.Close()
	})
	c, err := srv.Client(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// inBubble runs test under testing/synctest with a client that talks to
// a fresh fake in memory: the test's clock is synctest's, so waits,
// back-offs and expiries take no wall time and elapse exactly.
func inBubble(t *testing.T, test func(t *testing.T, srv *plextest.Server, c *plex.Client)) {
	t.Helper()
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) { test(t, srv, bubbleClient(t, srv)) })
}

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.PlexSpec)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatal(err)
	}
	return doc
}

// The error fixtures and the JWT steps' answers validate against their
// operation's schema (the spec walk validates every mapped success answer).
func TestSpecAndFixturesValidate(t *testing.T) {
	doc := loadDoc(t)
	for file, op := range map[string]struct {
		method, path string
		status       int
	}{
		"error.404.json":               {"GET", "/pins/{id}", 404},
		"error.429.json":               {"GET", "/resources", 429},
		"get_device_nonce.200.json":    {"GET", "/auth/nonce", 200},
		"exchange_device_jwt.200.json": {"POST", "/auth/token", 200},
		"error.400.json":               {"GET", "/user", 400},
		"error.401.json":               {"POST", "/users/signin", 401},
	} {
		body, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		item := doc.Paths.Value(op.path)
		route := &routers.Route{Spec: doc, Path: op.path, PathItem: item, Method: op.method, Operation: item.GetOperation(op.method)}
		req := httptest.NewRequest(op.method, op.path, nil)
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
			Status:                 op.status,
			Header:                 http.Header{"Content-Type": {"application/json"}},
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		}
		in.SetBodyBytes(body)
		if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

func TestTransientTokenAndSources(t *testing.T) {
	srv, c := setup(t)
	tt, err := c.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	if !srv.IsTransientToken(string(tt.Token)) {
		t.Fatalf("token %q not issued by the fake", tt.Token)
	}
	sc, err := c.Authentication.GetSourceConnectionInformation(ctx, plextest.Source)
	if err != nil {
		t.Fatal(err)
	}
	d := sc.Device
	if d.ClientIdentifier != "client-identifier" || len(d.Connections) != 2 || d.Connections[0].Port != 32400 || !d.Connections[0].Local {
		t.Fatalf("device %+v", d)
	}
	req := srv.Requests()[0]
	if req.Header.Get("X-Plex-Token") != plextest.AccessToken || strings.Contains(req.RawQuery, "Token") || !sameQuery(req.RawQuery, "scope=all&type=delegation") {
		t.Fatalf("request %+v", req)
	}
	if req.Header.Get("X-Plex-Client-Identifier") != plextest.ClientIdentifier || req.Header.Get("Accept") != "application/json" {
		t.Fatalf("identification headers: %v", req.Header)
	}
	_, err = c.Authentication.GetSourceConnectionInformation(ctx, "server://unknown")
	var bad *plex.BadRequestError
	if !errors.As(err, &bad) || bad.Errors[0].Code != 1000 {
		t.Fatalf("unknown source: %v", err)
	}
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("BadRequestError does not unwrap to *sdk.APIError: %v", err)
	}
}

func TestUserDetailsSendsOnlyTheGivenToken(t *testing.T) {
	srv, c := setup(t)
	acct, err := c.Authentication.GetUserDetails(ctx, plextest.UserToken)
	if err != nil {
		t.Fatal(err)
	}
	if acct.ID != 13692262 || acct.UUID != "dae343c1f45beb4f" || acct.Username != "Username" || acct.Email != "username@email.com" || acct.AuthToken != plextest.UserToken {
		t.Fatalf("account %+v", acct)
	}
	if acct.Profile.AutoSelectSubtitle != 1 || acct.Subscription == nil || len(acct.Subscription.Features) != 20 {
		t.Fatalf("profile/subscription not decoded: %+v", acct.Profile)
	}
	r := srv.Requests()[0]
	if r.Path != "/api/v2/user" || r.RawQuery != "" || r.Header.Values("X-Plex-Token")[0] != plextest.UserToken || len(r.Header.Values("X-Plex-Token")) != 1 {
		t.Fatalf("request %s?%s token %v", r.Path, r.RawQuery, r.Header.Values("X-Plex-Token"))
	}
	_, err = c.Authentication.GetUserDetails(ctx, "wrong")
	var un *plex.UnauthorizedError
	if !errors.As(err, &un) || un.Errors[0].Code != 1001 || errors.Is(err, plex.ErrVerificationCodeRequired) {
		t.Fatalf("wrong token: %v", err)
	}
	if want := "plex.Authentication.GetUserDetails: 401 Unauthorized: User could not be authenticated"; err.Error() != want {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestSignInWithTwoFactor(t *testing.T) {
	_, c := setup(t)
	acct, err := c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: plextest.Login, Password: plextest.Password, RememberMe: true})
	if err != nil || acct.AuthToken != plextest.UserToken {
		t.Fatalf("%+v %v", acct, err)
	}
	_, err = c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: plextest.TwoFactorLogin, Password: plextest.Password})
	if !errors.Is(err, plex.ErrVerificationCodeRequired) {
		t.Fatalf("2FA not detected: %v", err)
	}
	acct, err = c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: plextest.TwoFactorLogin, Password: plextest.Password, VerificationCode: plextest.VerificationCode})
	if err != nil || acct.AuthToken != plextest.TwoFactorToken {
		t.Fatalf("%+v %v", acct, err)
	}
	_, err = c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: plextest.Login, Password: "wrong-password"})
	var un *plex.UnauthorizedError
	if !errors.As(err, &un) || strings.Contains(err.Error(), "wrong-password") {
		t.Fatalf("bad password: %v", err)
	}
}

func TestBadInputIsRejectedBeforeSending(t *testing.T) {
	srv, c := setup(t)
	noID, err := srv.Client(plex.WithClientIdentifier(""))
	if err != nil {
		t.Fatal(err)
	}
	noTok, _ := srv.Client(plex.WithAccessToken(""))
	for name, call := range map[string]func() error{
		"no client id": func() error {
			_, err := noID.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: "a", Password: "b"})
			return err
		},
		"empty login": func() error {
			_, err := c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Password: "b"})
			return err
		},
		"empty password": func() error {
			_, err := c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: "a"})
			return err
		},
		"empty user token": func() error { _, err := c.Authentication.GetUserDetails(ctx, ""); return err },
		"empty source":     func() error { _, err := c.Authentication.GetSourceConnectionInformation(ctx, ""); return err },
		"bad type": func() error {
			_, err := c.Authentication.GetTransientToken(ctx, "other", plex.ScopeAll)
			return err
		},
		"no access token": func() error {
			_, err := noTok.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
			return err
		},
	} {
		if err := call(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := srv.RequestCount(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestErrorsAndRetries(t *testing.T) { inBubble(t, errorsAndRetries) }

func errorsAndRetries(t *testing.T, srv *plextest.Server, c *plex.Client) {
	srv.FailNext(1, plextest.Fault{Status: 401, ContentType: "text/html", Body: "<html><head><title>401 Unauthorized</title></head></html>"})
	_, err := c.Authentication.GetUserDetails(ctx, plextest.UserToken)
	var apiErr *sdk.APIError
	var un *plex.UnauthorizedError
	if !errors.As(err, &apiErr) || errors.As(err, &un) || apiErr.StatusCode != 401 || !bytes.Contains(apiErr.Body, []byte("<html>")) {
		t.Fatalf("HTML 401: %v", err)
	}
	srv.FailNext(2, plextest.Fault{Status: 502})
	before := srv.RequestCount()
	if _, err := c.Authentication.GetUserDetails(ctx, plextest.UserToken); err != nil || srv.RequestCount()-before != 3 {
		t.Fatalf("5xx retry: %v after %d", err, srv.RequestCount()-before)
	}
	srv.FailNext(1, plextest.Fault{Status: 429, RetryAfter: "1"})
	start := time.Now()
	if _, err := c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: plextest.Login, Password: plextest.Password}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took != time.Second {
		t.Fatalf("Retry-After: 1 waited %v, want 1 s", took)
	}
	srv.FailNext(3, plextest.Fault{Status: 503})
	_, err = c.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Fatalf("gave up with %v", err)
	}
}

func TestServerURLsAndVariables(t *testing.T) {
	srv, _ := setup(t)
	other := plextest.NewServer()
	defer other.Close()
	// Server variables (http, 127.0.0.1, the fake's port) reach the fake.
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c, err := plex.New(plex.WithServerVariables("http", "127.0.0.1", port), plex.WithAccessToken(plextest.AccessToken), plex.WithPlexTVURL(srv.PlexTVURL()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Authentication.GetUserDetails(ctx, plextest.UserToken, sdk.WithServerURL(other.PlexTVURL())); err != nil {
		t.Fatal(err)
	}
	if srv.RequestCount() != 1 || other.RequestCount() != 1 {
		t.Fatalf("requests %d / %d", srv.RequestCount(), other.RequestCount())
	}
	for _, bad := range []plex.Option{plex.WithServerVariables("ftp", "h", "1"), plex.WithServerVariables("https", "h", "99999"), plex.WithServerURL("nope"), plex.WithPlexTVURL("ftp://x")} {
		if _, err := plex.New(bad); err == nil {
			t.Error("bad server option accepted")
		}
	}
	other.AssertNoViolations(t)
}

func TestCrossHostRedirectDropsToken(t *testing.T) {
	var leaked atomic.Value
	leaked.Store("")
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("X-Plex-Token") + r.URL.RawQuery)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer evil.Close()
	redirector := httptest.NewServer(http.RedirectHandler(evil.URL+"/user", http.StatusTemporaryRedirect))
	defer redirector.Close()
	c, err := plex.New(plex.WithPlexTVURL(redirector.URL), plex.WithRetryConfig(sdk.RetryConfig{Strategy: sdk.StrategyNone}))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Authentication.GetUserDetails(ctx, "secret-user-token")
	if got := leaked.Load().(string); got != "" {
		t.Fatalf("token reached the other host: %q", got)
	}
}

func TestNoSecretsInErrorsLogsOrFormat(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	var logs bytes.Buffer
	c, err := srv.Client(plex.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	srv.FailNext(1, plextest.Fault{Drop: true})
	for _, f := range []func() error{
		func() error { _, err := c.Authentication.GetUserDetails(ctx, "bad-"+plextest.UserToken); return err },
		func() error {
			_, err := c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: plextest.Login, Password: "pw-" + plextest.Password})
			return err
		},
	} {
		if err := f(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	req := plex.SignInRequest{Login: "x", Password: plextest.Password, VerificationCode: plextest.VerificationCode}
	text := strings.Join(errs, "\n") + logs.String() + sprint(c) + sprint(c.Authentication) + sprint(req)
	for _, s := range []string{plextest.AccessToken, plextest.UserToken, plextest.Password, plextest.VerificationCode} {
		if strings.Contains(text, s) {
			t.Fatalf("secret %q leaked:\n%s", s, text)
		}
	}
	srv.AssertNoViolations(t)
}

// The fakes reject requests that break the spec.
func TestFakeRejectsOffSpecRequests(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	for _, r := range []struct {
		path   string
		header map[string]string
		want   int
	}{
		{"/security/token?type=other&scope=all", map[string]string{"X-Plex-Token": plextest.AccessToken, "Accept": "application/json"}, 400},
		{"/security/token?type=delegation&scope=all", map[string]string{"Accept": "application/json"}, 401},
		{"/security/token?type=delegation&scope=all&X-Plex-Token=" + plextest.AccessToken, map[string]string{"Accept": "application/json"}, 401},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+r.path, nil)
		for k, v := range r.header {
			req.Header.Set(k, v)
		}
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, rsp.Body)
		rsp.Body.Close()
		if rsp.StatusCode != r.want {
			t.Errorf("%s: %d, want %d", r.path, rsp.StatusCode, r.want)
		}
	}
	form, _ := http.NewRequest(http.MethodPost, srv.PlexTVURL()+"/users/signin", strings.NewReader("login=a&password=b"))
	form.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	form.Header.Set("Accept", "application/json")
	rsp, err := http.DefaultClient.Do(form)
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	if rsp.StatusCode != 400 {
		t.Errorf("sign-in without client identifier: %d", rsp.StatusCode)
	}
	if n := len(srv.Violations()); n != 4 {
		t.Fatalf("%d violations recorded, want 4: %v", n, srv.Violations())
	}
}
