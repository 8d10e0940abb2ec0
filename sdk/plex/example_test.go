package plex_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

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
	fmt.Println(acct.Username, acct.AuthToken)
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
