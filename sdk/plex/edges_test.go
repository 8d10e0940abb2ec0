package plex_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
)

func answer(t *testing.T, status int, ct, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestSignInRequestNeverPrintsItsSecrets(t *testing.T) {
	req := plex.SignInRequest{Login: "me", Password: "pw-SECRET", VerificationCode: "CODE-SECRET"}
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("sign in", "req", req, "ptr", &req)
	slog.New(slog.NewTextHandler(&b, nil)).Info("sign in", "req", req)
	j, _ := json.Marshal(req)
	out := b.String() + string(j) + fmt.Sprintf("%v %+v %#v %s %v", req, req, req, req, &req)
	if strings.Contains(out, "SECRET") || !strings.Contains(out, `"me"`) {
		t.Fatal(out)
	}
}

func TestSuccessWithoutTokenIsAnError(t *testing.T) {
	for _, body := range []string{"null", "{}"} {
		u := answer(t, 200, "application/json", body)
		c, err := plex.New(plex.WithServerURL(u), plex.WithPlexTVURL(u), plex.WithAccessToken("tok"), plex.WithClientIdentifier("cid"))
		if err != nil {
			t.Fatal(err)
		}
		if tt, err := c.Authentication.GetTransientToken(context.Background(), plex.TransientTokenTypeDelegation, plex.ScopeAll); err == nil {
			t.Errorf("transient token from %s: %v", body, tt)
		}
		if a, err := c.Authentication.PostUsersSignInData(context.Background(), plex.SignInRequest{Login: "l", Password: "p"}); err == nil {
			t.Errorf("sign-in from %s: %v", body, a)
		}
		if a, err := c.Authentication.GetUserDetails(context.Background(), "tok"); err == nil {
			t.Errorf("account from %s: %v", body, a)
		}
	}
}

func TestTokenAndThrottleSentinels(t *testing.T) {
	cases := []struct {
		status   int
		ct, body string
		want     error
	}{
		{401, "application/json", `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`, plex.ErrInvalidToken},
		{422, "application/xml", `<errors><error>Invalid token</error></errors>`, plex.ErrInvalidToken},
		{429, "text/plain", "slow down", plex.ErrThrottled},
		{400, "application/json", `{"errors":[{"code":1031,"message":"Too many requests","status":400}]}`, plex.ErrThrottled},
	}
	for _, c := range cases {
		u := answer(t, c.status, c.ct, c.body)
		cl, _ := plex.New(plex.WithPlexTVURL(u), plex.WithRetryConfig(sdk.RetryConfig{Strategy: sdk.StrategyNone}))
		_, err := cl.Authentication.GetUserDetails(context.Background(), "tok")
		var api *sdk.APIError
		if !errors.Is(err, c.want) || !errors.As(err, &api) || api.StatusCode != c.status {
			t.Errorf("%d %s: %v, want errors.Is %v and an *sdk.APIError", c.status, c.body, err, c.want)
		}
	}
	// A 5xx says nothing about the token.
	u := answer(t, 503, "text/plain", "down")
	cl, _ := plex.New(plex.WithPlexTVURL(u), plex.WithRetryConfig(sdk.RetryConfig{Strategy: sdk.StrategyNone}))
	if _, err := cl.Authentication.GetUserDetails(context.Background(), "tok"); errors.Is(err, plex.ErrInvalidToken) {
		t.Fatal("503 reported as an invalid token")
	}
}

func TestControlCharactersRefusedBeforeSending(t *testing.T) {
	for name, opt := range map[string]plex.Option{
		"token":      plex.WithAccessToken("tok\x00en"),
		"client id":  plex.WithClientIdentifier("cid\x7f"),
		"product":    plex.WithClientInfo(plex.ClientInfo{Product: "p\x1b[2J"}),
		"user agent": plex.WithUserAgent("ua\tx"),
	} {
		if _, err := plex.New(opt); err == nil {
			t.Errorf("%s with a control character accepted", name)
		}
	}
	c, _ := plex.New(plex.WithPlexTVURL("http://127.0.0.1:1"))
	if _, err := c.Authentication.GetUserDetails(context.Background(), "tok\x00"); err == nil || strings.Contains(err.Error(), "tok\x00") {
		t.Fatalf("per-call token: %v", err)
	}
}

func TestGetPinExpiredByItsOwnAnswer(t *testing.T) {
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for _, body := range []string{
		`{"id":7,"code":"abcd","expiresIn":0,"authToken":null}`,
		`{"id":7,"code":"abcd","expiresAt":"` + past + `","authToken":null}`,
	} {
		u := answer(t, 200, "application/json", body)
		c, _ := plex.New(plex.WithPlexTVURL(u), plex.WithClientIdentifier("cid"))
		if _, err := c.Authentication.GetPin(context.Background(), 7); !errors.Is(err, plex.ErrPinExpired) {
			t.Errorf("%s: %v", body, err)
		}
		if _, err := c.Authentication.WaitForPin(context.Background(), &plex.Pin{ID: 7}, time.Millisecond); !errors.Is(err, plex.ErrPinExpired) {
			t.Errorf("wait, %s: %v", body, err)
		}
	}
	// Approved just before expiry: the token wins.
	u := answer(t, 200, "application/json", `{"id":7,"code":"abcd","expiresIn":0,"authToken":"tok-approved"}`)
	c, _ := plex.New(plex.WithPlexTVURL(u), plex.WithClientIdentifier("cid"))
	if p, err := c.Authentication.GetPin(context.Background(), 7); err != nil || p.AuthToken != "tok-approved" {
		t.Fatalf("%v %v", p, err)
	}
}

func TestPinFixturesDecode(t *testing.T) {
	created, _ := os.ReadFile("testdata/create_pin.201.json")
	approved, _ := os.ReadFile("testdata/get_pin.200.json")
	u := answer(t, 201, "application/json", string(created))
	c, _ := plex.New(plex.WithPlexTVURL(u), plex.WithClientIdentifier("cid"))
	p, err := c.Authentication.CreatePin(context.Background(), true)
	if err != nil || p.ID != 1234567890 || p.Code != "8lzjqnq8lye02n52jq3fqxf8e" || p.Product != "My App" || p.ClientIdentifier != "my-app-install-id" ||
		!p.ExpiresAt.Equal(time.Date(2025, 1, 1, 0, 30, 0, 0, time.UTC)) || p.AuthToken != "" {
		t.Fatalf("%+v %v", p, err)
	}
	var wire map[string]any
	_ = json.Unmarshal(approved, &wire)
	wire["expiresAt"] = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	fresh, _ := json.Marshal(wire)
	u = answer(t, 200, "application/json", string(fresh))
	c, _ = plex.New(plex.WithPlexTVURL(u), plex.WithClientIdentifier("cid"))
	if p, err := c.Authentication.GetPin(context.Background(), 1234567890); err != nil || p.AuthToken != "CxoUzBTSV5hsxjTpFKaf" {
		t.Fatalf("%+v %v", p, err)
	}
}
