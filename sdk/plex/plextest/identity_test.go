package plextest_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// A restarted service serves the JWT its identity stored: no request.
func TestRestartedJWTSourceServesTheStoredJWT(t *testing.T) {
	dir := t.TempDir()
	srv, _ := setup(t)
	id, err := plex.OpenIdentity(context.Background(), plex.DirStore(dir))
	if err != nil {
		t.Fatal(err)
	}
	c, err := srv.Client(plex.WithIdentity(id))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, id.Key); err != nil {
		t.Fatal(err)
	}
	src := c.Authentication.NewJWTSource(id.Key)
	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = src.Close()

	// The next run: the same directory, a new client and source.
	again, err := plex.OpenIdentity(context.Background(), plex.DirStore(dir))
	if err != nil || again.ClientIdentifier != id.ClientIdentifier || again.Key.KeyID() != id.Key.KeyID() {
		t.Fatalf("the identity changed across runs: %v", err)
	}
	c2, _ := srv.Client(plex.WithIdentity(again))
	src2 := c2.Authentication.NewJWTSource(again.Key)
	defer src2.Close()
	before := srv.RequestCount()
	j, err := src2.Token(ctx)
	if err != nil || j.Token != first.Token {
		t.Fatalf("the restarted source did not serve the stored JWT: %v", err)
	}
	if n := srv.RequestCount() - before; n != 0 {
		t.Fatalf("the restarted source made %d requests, want 0", n)
	}
	// Every request carried the identity's client identifier.
	for _, r := range srv.Requests() {
		if got := r.Header.Get("X-Plex-Client-Identifier"); got != "" && got != id.ClientIdentifier && !strings.HasPrefix(got, "plextest") {
			t.Errorf("%s sent client identifier %q", r.Path, got)
		}
	}
}

// failingStore keeps an identity in memory but cannot store a JWT.
type failingStore struct{ plex.IdentityStore }

func (failingStore) StoreJWT(context.Context, string) error { return errors.New("disk full") }

// A JWT that cannot be stored is a Warn line, never a failed call.
func TestJWTSourceStoreFailureIsAWarning(t *testing.T) {
	srv, _ := setup(t)
	id, _ := plex.OpenIdentity(context.Background(), failingStore{plex.MemoryStore()})
	var logs bytes.Buffer
	c, _ := srv.Client(plex.WithIdentity(id), plex.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err := c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, id.Key); err != nil {
		t.Fatal(err)
	}
	src := c.Authentication.NewJWTSource(id.Key)
	defer src.Close()
	j, err := src.Token(ctx)
	if err != nil || j == nil {
		t.Fatalf("a store failure failed the call: %v", err)
	}
	_ = src.Close() // waits for the background work, the store included
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "disk full") {
		t.Fatalf("want a Warn line with the cause:\n%s", logs.String())
	}
}

// LinkPin approves a 4-character code another device shows; bad codes and
// a missing token are refused before anything is sent.
func TestLinkPin(t *testing.T) {
	srv, device := setup(t)
	pin, err := device.Authentication.CreatePin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	acct, _ := srv.Client(plex.WithClientIdentifier("phone")) // the app that holds the account's token
	if err := acct.Authentication.LinkPin(ctx, plextest.UserToken, strings.ToLower(pin.Code)); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	done, err := device.Authentication.WaitForPin(wctx, pin, time.Millisecond)
	if err != nil || done.AuthToken == "" {
		t.Fatalf("the linked PIN got no token: %v", err)
	}
	before := srv.RequestCount()
	for _, bad := range []struct{ tok, code string }{{plextest.UserToken, "ABCDE"}, {plextest.UserToken, "AB"}, {plextest.UserToken, "AB-C"}, {"", pin.Code}} {
		if err := acct.Authentication.LinkPin(ctx, bad.tok, bad.code); err == nil {
			t.Errorf("LinkPin(%q, %q) accepted", bad.tok, bad.code)
		}
	}
	if srv.RequestCount() != before {
		t.Error("a refused code was sent")
	}
	if err := acct.Authentication.LinkPin(ctx, plextest.UserToken, "ZZZZ"); err == nil {
		t.Error("an unknown code was linked")
	}
}

func TestGetClaimToken(t *testing.T) {
	_, c := setup(t)
	ct, err := c.Authentication.GetClaimToken(ctx, plextest.UserToken)
	if err != nil || !strings.HasPrefix(string(ct.Token), "claim-") {
		t.Fatalf("%v %v", ct, err)
	}
	if _, err := c.Authentication.GetClaimToken(ctx, "wrong-token"); !errors.Is(err, plex.ErrInvalidToken) {
		t.Fatalf("a refused token: %v", err)
	}
}

// A key used under another client identifier than it was registered for
// is plex.tv's code 1097: ErrDeviceMismatch, never ErrInvalidToken.
func TestDeviceMismatch(t *testing.T) {
	srv, c := setup(t)
	k, _ := plex.NewDeviceKey()
	if err := c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, k); err != nil {
		t.Fatal(err)
	}
	other, _ := srv.Client(plex.WithClientIdentifier("another-device"))
	_, err := other.Authentication.ExchangeDeviceJWT(ctx, k)
	if !errors.Is(err, plex.ErrDeviceMismatch) || errors.Is(err, plex.ErrInvalidToken) {
		t.Fatalf("got %v, want ErrDeviceMismatch only", err)
	}
	if !strings.Contains(err.Error(), "bound to another device") {
		t.Errorf("the message does not say what is wrong: %v", err)
	}
	var ue *plex.UnauthorizedError
	if !errors.As(err, &ue) || !plex.HasCode(ue.Errors, plex.CodeDeviceMismatch) {
		t.Errorf("not an UnauthorizedError with code 1097: %v", err)
	}
}
