package plex_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
)

// fakePlexTV stands in for plex.tv; in your tests use plextest.NewServer.
func fakePlexTV() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/users/signin" && r.FormValue("verificationCode") == "":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"code":1029,"message":"Please enter the verification code","status":401}]}`)
		case r.URL.Path == "/users/signin":
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"id":1,"uuid":"u1","username":"alice","email":"alice@example.com","authToken":"alice-token"}`)
		case r.URL.Path == "/user" && r.Header.Get("X-Plex-Token") == "alice-token":
			_, _ = io.WriteString(w, `{"id":1,"uuid":"u1","username":"alice","email":"alice@example.com","authToken":"alice-token"}`)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`)
		}
	}))
}

func ExampleAuthentication_PostUsersSignInData() {
	srv := fakePlexTV()
	defer srv.Close()
	c, err := plex.New(plex.WithClientIdentifier("my-app-install-id"), plex.WithPlexTVURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	req := plex.SignInRequest{Login: "alice@example.com", Password: "correct horse"}
	acct, err := c.Authentication.PostUsersSignInData(context.Background(), req)
	if errors.Is(err, plex.ErrVerificationCodeRequired) {
		fmt.Println("2FA code required")
		req.VerificationCode = "123456" // ask the user
		acct, err = c.Authentication.PostUsersSignInData(context.Background(), req)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acct.Username, string(acct.AuthToken)) // string(): the one way to the value of an sdk.Secret
	// Output:
	// 2FA code required
	// alice alice-token
}

func ExampleAuthentication_GetUserDetails() {
	srv := fakePlexTV()
	defer srv.Close()
	c, err := plex.New(plex.WithPlexTVURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	acct, err := c.Authentication.GetUserDetails(context.Background(), "alice-token")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acct.ID, acct.Email)

	_, err = c.Authentication.GetUserDetails(context.Background(), "expired-token")
	var unauthorized *plex.UnauthorizedError
	if errors.As(err, &unauthorized) {
		fmt.Println(unauthorized.Errors[0].Code, err)
	}
	// Output:
	// 1 alice@example.com
	// 1001 plex.Authentication.GetUserDetails: 401 Unauthorized: User could not be authenticated
}

// fakePlexTVPins stands in for plex.tv's PIN endpoints: the PIN is approved
// by its second poll. In your tests use plextest.NewServer.
func fakePlexTVPins() *httptest.Server {
	polls := 0
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		token := "null"
		switch r.URL.Path {
		case "/pins":
			w.WriteHeader(http.StatusCreated)
		case "/pins/42":
			if polls++; polls >= 2 {
				token = `"alice-token"`
			}
		}
		_, _ = io.WriteString(w, `{"id":42,"code":"8lzjqnq8lye02n52jq3fqxf8e","product":"My App","clientIdentifier":"my-app-install-id","expiresIn":1800,"authToken":`+token+`}`)
	}))
}

func ExampleAuthentication_WaitForPin() {
	srv := fakePlexTVPins()
	defer srv.Close()
	ctx := context.Background()
	c, err := plex.New(plex.WithClientIdentifier("my-app-install-id"), plex.WithClientInfo(plex.ClientInfo{Product: "My App"}), plex.WithPlexTVURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	pin, err := c.Authentication.CreatePin(ctx, true)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pin.AuthURL("")) // send the user here (or show a QR code of it)
	pin, err = c.Authentication.WaitForPin(ctx, pin, 10*time.Millisecond)
	if errors.Is(err, plex.ErrPinExpired) {
		log.Fatal("nobody approved the sign-in in time")
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(pin.AuthToken))
	// Output:
	// https://app.plex.tv/auth#?clientID=my-app-install-id&code=8lzjqnq8lye02n52jq3fqxf8e&context%5Bdevice%5D%5Bproduct%5D=My%20App
	// alice-token
}

// fakeClientsPlexTV stands in for clients.plex.tv: it registers any key and
// trades any device JWT for a Plex JWT valid 7 days. In your tests use
// plextest.NewServer, which verifies the device JWT.
func fakeClientsPlexTV() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/auth/jwk":
			w.WriteHeader(http.StatusCreated)
		case "/auth/nonce":
			_, _ = io.WriteString(w, `{"nonce":"c0ffee"}`)
		case "/auth/token":
			claims := fmt.Sprintf(`{"aud":"plex.tv","iss":"plex.tv","exp":%d}`, time.Now().Add(7*24*time.Hour).Unix())
			jwt := "eyJhbGciOiJFZERTQSJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".c2ln"
			_, _ = io.WriteString(w, `{"auth_token":"`+jwt+`"}`)
		}
	}))
}

func ExampleJWTSource() {
	srv := fakeClientsPlexTV()
	defer srv.Close()
	ctx := context.Background()
	c, err := plex.New(plex.WithClientIdentifier("my-app-install-id"), plex.WithClientsURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	key, err := plex.NewDeviceKey() // keep it: key.MarshalPEM, plex.ParseDeviceKey
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Authentication.RegisterDeviceKey(ctx, "a-plex-token", key); err != nil { // once per key
		log.Fatal(err)
	}
	src := c.Authentication.NewJWTSource(key)
	jwt, err := src.Token(ctx) // put it in front of every request: it exchanges only when needed
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(time.Until(jwt.ExpiresAt).Round(time.Hour))
	fmt.Println(strings.Contains(fmt.Sprint(jwt), string(jwt.Token))) // fmt and slog never show the token
	// Output:
	// 168h0m0s
	// false
}

func ExampleResource_PreferredURLs() {
	r := plex.Resource{
		Owned: true, HTTPSRequired: false, PublicAddressMatches: true, // this network is the server's
		Connections: []plex.Connection{
			{Protocol: "https", Address: "198.51.100.20", Port: 8443, URI: "https://198-51-100-20.abc.plex.direct:8443", Relay: true},
			{Protocol: "https", Address: "203.0.113.7", Port: 32400, URI: "https://203-0-113-7.abc.plex.direct:32400"},
			{Protocol: "https", Address: "192.168.1.10", Port: 32400, URI: "https://192-168-1-10.abc.plex.direct:32400", Local: true},
		},
	}
	for _, u := range r.PreferredURLs() {
		fmt.Println(u)
	}
	// Output:
	// https://192-168-1-10.abc.plex.direct:32400
	// http://192.168.1.10:32400
	// https://203-0-113-7.abc.plex.direct:32400
	// http://203.0.113.7:32400
	// https://198-51-100-20.abc.plex.direct:8443
	// http://198.51.100.20:8443
}
