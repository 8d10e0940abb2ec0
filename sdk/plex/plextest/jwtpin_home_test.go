package plextest_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

func TestJWTPinSignInEndToEnd(t *testing.T) { inBubble(t, jwtPinSignInEndToEnd) }

func jwtPinSignInEndToEnd(t *testing.T, srv *plextest.Server, c *plex.Client) {
	k, _ := plex.NewDeviceKey()
	pin, err := c.Authentication.CreateJWTPin(ctx, k, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pin.AuthURL(""), "code="+pin.Code) || len(pin.Code) < 20 {
		t.Fatalf("pin %v, url %s", pin, pin.AuthURL(""))
	}
	srv.ApproveNextPin(6, plextest.UserToken) // the user approves while it polls
	j, err := c.Authentication.WaitForJWTPin(ctx, pin, k, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if j.ExpiresAt.Before(time.Now().Add(6*24*time.Hour)) || j.IssuedAt.IsZero() {
		t.Fatalf("JWT times: %v", j)
	}
	if acct, err := c.Authentication.GetUserDetails(ctx, string(j.Token)); err != nil || acct.Email != plextest.Login {
		t.Fatalf("the Plex JWT is not accepted: %v", err)
	}
	if n := countOp(srv, "getDeviceNonce"); n != 1 || srv.DeviceJWTsSeen() != 1 {
		t.Fatalf("%d nonces and %d device JWTs for one short wait, want 1 and 1", n, srv.DeviceJWTsSeen())
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("X-Plex-Token") != "" && r.Operation != "getUserDetails" {
			t.Fatalf("%s sent a token", r.Operation)
		}
		if r.Operation == "getPin" && (!strings.HasPrefix(r.Path, plextest.ClientsPath) || !strings.Contains(r.RawQuery, "deviceJWT=")) {
			t.Fatalf("poll %s?%s", r.Path, r.RawQuery)
		}
		if r.Operation == "createPin" && !strings.Contains(string(r.Body), `"jwk"`) {
			t.Fatalf("PIN created without the key: %s", r.Body)
		}
	}
	// The approval registered the key: a seeded source serves the JWT with
	// no exchange, then exchanges with the same key and no token.
	src := c.Authentication.NewJWTSource(k)
	src.SetToken(j)
	before := srv.RequestCount()
	if got, err := src.Token(ctx); err != nil || got.Token != j.Token || srv.RequestCount() != before {
		t.Fatalf("seeded source: %v", err)
	}
	src.Invalidate(j)
	if got, err := src.Token(ctx); err != nil || got.Token == j.Token {
		t.Fatalf("exchange with the PIN's key: %v", err)
	}
	// strong=false: a 4-character code for plex.tv/link, no "strong" sent.
	short, err := c.Authentication.CreateJWTPin(ctx, k, false)
	if err != nil || len(short.Code) != 4 {
		t.Fatalf("short pin %v %v", short, err)
	}
	if last := srv.Requests()[len(srv.Requests())-1]; strings.Contains(string(last.Body), "strong") {
		t.Fatalf("strong sent for a link code: %s", last.Body)
	}
}

func TestJWTPinExpiresAndSecretsStayOut(t *testing.T) { inBubble(t, jwtPinExpiresAndSecretsStayOut) }

func jwtPinExpiresAndSecretsStayOut(t *testing.T, srv *plextest.Server, c *plex.Client) {
	srv.SetPinLifetime(700 * time.Millisecond)
	k, _ := plex.NewDeviceKey()
	pin, err := c.Authentication.CreateJWTPin(ctx, k, true)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Authentication.WaitForJWTPin(ctx, pin, k, 100*time.Millisecond)
	if took := time.Since(start); !errors.Is(err, plex.ErrPinExpired) || took > 700*time.Millisecond {
		t.Fatalf("after %v: %v, want ErrPinExpired at the expiry (700 ms)", took, err)
	}
	// A poll that fails shows the device JWT nowhere.
	pin2, _ := c.Authentication.CreateJWTPin(ctx, k, true)
	srv.FailNext(1, plextest.Fault{Status: 400, Body: `{"errors":[{"code":1000,"message":"echo","status":400}]}`})
	_, err = c.Authentication.WaitForJWTPin(ctx, pin2, k, 10*time.Millisecond)
	var poll plextest.Request
	for _, r := range srv.Requests() {
		if r.Operation == "getPin" {
			poll = r
		}
	}
	q, _ := url.ParseQuery(poll.RawQuery)
	dj := q.Get("deviceJWT")
	if err == nil || dj == "" || strings.Contains(err.Error(), dj[:20]) {
		t.Fatalf("%v", err)
	}
}

func TestHomeUsersAndSwitch(t *testing.T) {
	srv, c := setup(t)
	users, err := c.Authentication.GetHomeUsers(ctx, plextest.UserToken)
	if err != nil || len(users) != 3 {
		t.Fatalf("%v %v", users, err)
	}
	kids := users[1]
	if kids.UUID != plextest.HomeKidsUUID || !kids.Protected || !kids.Restricted || kids.RestrictionProfile != "little_kid" || kids.Email != "" || kids.Username != "" {
		t.Fatalf("kids profile: %+v", kids)
	}
	if !users[0].Admin || users[0].Email != plextest.Login {
		t.Fatalf("admin: %+v", users[0])
	}
	acct, err := c.Authentication.SwitchHomeUser(ctx, plextest.UserToken, plextest.HomeKidsUUID, plextest.HomeKidsPIN)
	if err != nil || acct.AuthToken != plextest.HomeKidsToken {
		t.Fatalf("switch with PIN: %v", err)
	}
	if _, err := c.Authentication.GetServerResources(ctx, string(acct.AuthToken)); err != nil {
		t.Fatalf("the profile's token: %v", err)
	}
	if acct, err := c.Authentication.SwitchHomeUser(ctx, plextest.UserToken, plextest.HomeTeenUUID, ""); err != nil || acct.AuthToken != plextest.HomeTeenToken {
		t.Fatalf("unprotected: %v", err)
	}
	for _, pin := range []string{"", "0000"} {
		before := srv.RequestCount()
		_, err := c.Authentication.SwitchHomeUser(ctx, plextest.UserToken, plextest.HomeKidsUUID, pin)
		if !errors.Is(err, plex.ErrPinRequired) || errors.Is(err, plex.ErrInvalidToken) || srv.RequestCount()-before != 1 {
			t.Fatalf("PIN %q: %v after %d requests", pin, err, srv.RequestCount()-before)
		}
		if pin != "" && strings.Contains(err.Error(), pin) {
			t.Fatalf("the PIN reached the error: %v", err)
		}
	}
	for _, r := range srv.Requests() {
		if r.Operation == "switchHomeUser" && (strings.Contains(r.RawQuery, "pin=&") || strings.HasSuffix(r.RawQuery, "pin=") ||
			strings.Contains(r.Path, plextest.HomeTeenUUID) && r.RawQuery != "") {
			t.Fatalf("pin parameter on %s?%s", r.Path, r.RawQuery)
		}
	}
	for _, bad := range [][2]string{{"", plextest.HomeKidsUUID}, {plextest.UserToken, ""}} {
		before := srv.RequestCount()
		if _, err := c.Authentication.SwitchHomeUser(ctx, bad[0], bad[1], ""); err == nil || srv.RequestCount() != before {
			t.Fatalf("empty token or uuid sent: %v", err)
		}
	}
	// A uuid a server could normalise away or split is refused before sending.
	for _, bad := range []string{"..", ".", "%2e%2e", "%252E%252E", "../../user?x=", "a/b", "a%2Fb", `a\b`, "%zz%2F..%2F..%2Fswitch", "..;", "..%3B", "a%0d%0ab"} {
		before := srv.RequestCount()
		if _, err := c.Authentication.SwitchHomeUser(ctx, plextest.UserToken, bad, "1234"); err == nil || srv.RequestCount() != before {
			t.Fatalf("uuid %q sent: %v", bad, err)
		}
	}
	if _, err := c.Authentication.SwitchHomeUser(ctx, plextest.UserToken, "a?b#c", ""); err == nil || !strings.Contains(srv.Requests()[srv.RequestCount()-1].Path, "a%3Fb%23c") {
		t.Fatalf("uuid not escaped into one path segment: %v", err)
	}
	srv.SetHomeUsers(plextest.UserToken, nil)
	if users, err := c.Authentication.GetHomeUsers(ctx, plextest.UserToken); err != nil || users == nil || len(users) != 0 {
		t.Fatalf("outside a Home: %v %v", users, err)
	}
}
