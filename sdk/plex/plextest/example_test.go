package plextest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// These examples mirror README.md's Plex snippets line for line
// (internal/readme checks it; the mirror may add the server-URL options that
// aim the client at the fake).

func Example_readmePin() {
	srv := plextest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	installID := "my-app-install-id"
	srv.ApproveNextPin(1, plextest.UserToken) // the user, approving on plex.tv

	c, err := plex.New(plex.WithClientIdentifier(installID), plex.WithClientInfo(plex.ClientInfo{Product: "My App"}), plex.WithPlexTVURL(srv.PlexTVURL()))
	if err != nil {
		log.Fatal(err)
	}
	pin, err := c.Authentication.CreatePin(ctx, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "Approve at", pin.AuthURL(""))        // or show a QR code of it
	pin, err = c.Authentication.WaitForPin(ctx, pin, time.Second) // until approved or expired
	if err != nil {
		log.Fatal(err) // errors.Is(err, plex.ErrPinExpired) when nobody approved in time
	}
	acct, err := c.Authentication.GetUserDetails(ctx, string(pin.AuthToken))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acct.Username)
	// Output: Username
}

func Example_readmeSignIn() {
	srv := plextest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	installID, login, password := "my-app-install-id", plextest.TwoFactorLogin, plextest.Password
	askUser := func() string { return plextest.VerificationCode }
	srv.SetResources(plextest.TwoFactorToken, []plex.Resource{{Name: "solo", Provides: "server", AccessToken: "t"}})

	c, err := plex.New(plex.WithClientIdentifier(installID), plex.WithPlexTVURL(srv.PlexTVURL()))
	if err != nil {
		log.Fatal(err)
	}
	req := plex.SignInRequest{Login: login, Password: sdk.Secret(password)}
	acct, err := c.Authentication.PostUsersSignInData(ctx, req)
	if errors.Is(err, plex.ErrVerificationCodeRequired) {
		req.VerificationCode = sdk.Secret(askUser())
		acct, err = c.Authentication.PostUsersSignInData(ctx, req)
	}
	if err != nil {
		log.Fatal(err)
	}
	servers, err := c.Authentication.GetServerResources(ctx, string(acct.AuthToken))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range servers {
		fmt.Println(s.Name, len(s.Connections)) // s.AccessToken talks to that server
	}
	fmt.Println(acct.Username, acct.AuthToken) // REDACTED: string(acct.AuthToken) is the value
	// Output:
	// solo 0
	// 2fa REDACTED
}

func Example_readmeJWT() {
	srv := plextest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	token := plextest.UserToken // once, from a PIN sign-in
	keyFile := filepath.Join(os.TempDir(), fmt.Sprintf("plex-device-%d.pem", time.Now().UnixNano()))
	defer os.Remove(keyFile)

	c, err := plex.New(plex.WithClientIdentifier("my-app-install-id"), plex.WithClientsURL(srv.ClientsURL()))
	if err != nil {
		log.Fatal(err)
	}
	key, err := plex.NewDeviceKey()
	if err != nil {
		log.Fatal(err)
	}
	pemBytes, err := key.MarshalPEM()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		log.Fatal(err)
	}
	if err := c.Authentication.RegisterDeviceKey(ctx, token, key); err != nil {
		log.Fatal(err)
	}
	// From now on only the key is kept; tokens come and go.
	src := c.Authentication.NewJWTSource(key)
	jwt, err := src.Token(ctx) // cached; refreshed when less than a day is left
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(time.Until(jwt.ExpiresAt) > 6*24*time.Hour) // use jwt.Token as X-Plex-Token
	// Output: true
}

func Example_readmeJWTPin() {
	srv := plextest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	srv.ApproveNextPin(1, plextest.UserToken) // the user, approving on plex.tv

	c, err := plex.New(plex.WithClientIdentifier("my-app-install-id"), plex.WithClientInfo(plex.ClientInfo{Product: "My App"}), plex.WithClientsURL(srv.ClientsURL()))
	if err != nil {
		log.Fatal(err)
	}
	key, err := plex.NewDeviceKey() // keep it: MarshalPEM to a 0600 file
	if err != nil {
		log.Fatal(err)
	}
	pin, err := c.Authentication.CreateJWTPin(ctx, key, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "Approve at", pin.AuthURL(""))
	jwt, err := c.Authentication.WaitForJWTPin(ctx, pin, key, time.Second)
	if err != nil {
		log.Fatal(err)
	}
	src := c.Authentication.NewJWTSource(key) // refreshes with the key alone
	src.SetToken(jwt)
	fmt.Println(time.Until(jwt.ExpiresAt) > 6*24*time.Hour)
	// Output: true
}

func Example_readmeService() {
	srv := plextest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	key, _ := plex.NewDeviceKey()
	setup, _ := srv.Client(plex.WithClientIdentifier("my-app-install-id")) // the key is bound to this device
	_ = setup.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, key)

	c, err := plex.New(plex.WithClientIdentifier("my-app-install-id"), plex.WithClientsURL(srv.ClientsURL()))
	if err != nil {
		log.Fatal(err)
	}
	src := c.Authentication.NewJWTSource(key)
	defer src.Close()                                           // stops its background refresh
	hc := &http.Client{Transport: &plex.Transport{Source: src}} // a JWT goes to plex.tv and *.plex.tv only
	hc.Transport.(*plex.Transport).Hosts = srv.Hosts()          // here the fake stands in for plex.tv
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.PlexTVURL()+"/user", nil)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	rsp, err := hc.Do(req) // X-Plex-Token: a JWT that is always fresh
	if err != nil {
		log.Fatal(err)
	}
	defer rsp.Body.Close()
	fmt.Println(rsp.StatusCode)
	// Output: 200
}

func Example_readmeConnect() {
	srv := plextest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	token := plextest.UserToken
	srv.SetResources(token, srv.LoopbackResources()) // the first server is the fake's own PMS

	c, err := plex.New(plex.WithClientIdentifier("my-app-install-id"), plex.WithPlexTVURL(srv.PlexTVURL()))
	if err != nil {
		log.Fatal(err)
	}
	servers, err := c.Authentication.GetServerResources(ctx, token)
	if err != nil {
		log.Fatal(err)
	}
	conn, err := c.Authentication.Connect(ctx, servers[0]) // proves who answers before any token goes there
	if err != nil {
		log.Fatal(err) // errors.Is(err, plex.ErrNoConnection): the error names each URL's cause
	}
	pms, err := conn.Client() // aimed at conn.URL with the server's own token
	if err != nil {
		log.Fatal(err)
	}
	tt, err := pms.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conn.MachineIdentifier, conn.Local, conn.Relay, tt.Token != "")
	// Output: 8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d true false true
}

func Example_readmeIdentity() {
	srv := plextest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "identity-example-")
	defer os.RemoveAll(dir)

	id, err := plex.OpenIdentity(ctx, plex.DirStore(dir)) // plex.DirStore("") = the default directory
	if err != nil {
		log.Fatal(err) // names the file and how to recover
	}
	c, err := plex.New(plex.WithIdentity(id), plex.WithClientsURL(srv.ClientsURL())) // sends id.ClientIdentifier
	if err != nil {
		log.Fatal(err)
	}
	_ = c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, id.Key) // once; a JWT PIN sign-in does it too
	src := c.Authentication.NewJWTSource(id.Key)                            // starts from the stored JWT, stores each new one
	defer src.Close()
	j, err := src.Token(ctx)
	again, _ := plex.OpenIdentity(ctx, plex.DirStore(dir))
	fmt.Println(err == nil && j.Token != "", again.ClientIdentifier == id.ClientIdentifier)
	// Output: true true
}
