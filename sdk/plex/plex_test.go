package plex_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
)

func serveBody(t testing.TB, status int, contentType string, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Decoding tolerates what plex.tv really sends and plexgo rejects: unknown
// fields, unknown enum strings, integers where the 2024 spec said strings,
// and a missing subscription.
func TestUserDecodingIsTolerant(t *testing.T) {
	raw, err := os.ReadFile("plextest/testdata/get_user_details.200.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["brandNewField"] = map[string]any{"nested": []int{1, 2}}
	m["mailingListStatus"] = "pending-new-status"
	sub := m["subscription"].(map[string]any)
	sub["features"] = append(sub["features"].([]any), "feature-invented-in-2026")
	sub["status"] = "Lapsed"
	m["profile"].(map[string]any)["autoSelectSubtitle"] = 2
	variants := map[string][]byte{"realistic": raw}
	variants["extended"], _ = json.Marshal(m)
	delete(m, "subscription")
	delete(m, "subscriptions")
	variants["no subscription"], _ = json.Marshal(m)
	for name, body := range variants {
		url := serveBody(t, 200, "application/json; charset=utf-8", body)
		c, err := plex.New(plex.WithPlexTVURL(url))
		if err != nil {
			t.Fatal(err)
		}
		acct, err := c.Authentication.GetUserDetails(context.Background(), "tok")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if acct.ID != 13692262 || acct.AuthToken != "CxoUzBTSV5hsxjTpFKaf" || acct.Profile == nil || acct.Profile.DefaultSubtitleForced != 1 {
			t.Fatalf("%s: %+v", name, acct)
		}
		if name == "extended" && (acct.MailingListStatus != "pending-new-status" || acct.Profile.AutoSelectSubtitle != 2) {
			t.Fatalf("extended: %+v", acct)
		}
		if name == "no subscription" && acct.Subscription != nil {
			t.Fatal("subscription invented")
		}
	}
}

func TestNonJSONErrorsStayAPIErrors(t *testing.T) {
	for _, c := range []struct {
		status int
		ct     string
		body   string
	}{
		{401, "text/html", "<html><title>Unauthorized</title></html>"},
		{400, "text/plain", "bad request"},
		{404, "application/json", `{"errors":[{"code":1,"message":"x","status":404}]}`},
		{500, "application/xml", `<Response code="500"/>`},
	} {
		url := serveBody(t, c.status, c.ct, []byte(c.body))
		cl, _ := plex.New(plex.WithPlexTVURL(url), plex.WithRetryConfig(sdk.RetryConfig{Strategy: sdk.StrategyNone}))
		_, err := cl.Authentication.GetUserDetails(context.Background(), "tok")
		var apiErr *sdk.APIError
		var un *plex.UnauthorizedError
		var bad *plex.BadRequestError
		if !errors.As(err, &apiErr) || errors.As(err, &un) || errors.As(err, &bad) || string(apiErr.Body) != c.body {
			t.Errorf("%d %s: %T %v", c.status, c.ct, err, err)
		}
	}
}

func TestParseErrorBody(t *testing.T) {
	d, ok := plex.ParseErrorBody("application/json", []byte(`{"errors":[{"code":1029,"message":"code","status":401}]}`))
	if !ok || len(d) != 1 || d[0] != (plex.ErrorDetail{Code: 1029, Message: "code", Status: 401}) || !plex.HasCode(d, 1029) {
		t.Fatalf("%v %v", d, ok)
	}
	for _, bad := range []string{"", "{}", `{"errors":[]}`, "<html>", `{"errors":"x"}`} {
		if _, ok := plex.ParseErrorBody("application/json", []byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	if _, ok := plex.ParseErrorBody("text/html", []byte(`{"errors":[{"code":1}]}`)); ok {
		t.Error("HTML content type parsed as JSON errors")
	}
}

func TestSignInSuccessIs201Or200(t *testing.T) {
	raw, _ := os.ReadFile("plextest/testdata/get_user_details.200.json")
	for _, status := range []int{201, 200} {
		var form, clientID string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			form, clientID = string(b), r.Header.Get("X-Plex-Client-Identifier")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(raw)
		}))
		c, _ := plex.New(plex.WithPlexTVURL(srv.URL), plex.WithClientIdentifier("cid"))
		acct, err := c.Authentication.PostUsersSignInData(context.Background(), plex.SignInRequest{Login: "me@example.com", Password: "p&ss word", VerificationCode: "123456"})
		srv.Close()
		if err != nil || acct.AuthToken == "" {
			t.Fatalf("%d: %v", status, err)
		}
		if clientID != "cid" || !strings.Contains(form, "password=p%26ss+word") || !strings.Contains(form, "verificationCode=123456") || strings.Contains(form, "rememberMe") {
			t.Fatalf("form %q client %q", form, clientID)
		}
	}
}
