package ziggeo_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/authsdk/authsdk/sdk/ziggeo"
)

func ExampleNew() {
	c, err := ziggeo.New("my-app-token", "my-private-key", ziggeo.WithEncryptionKey("my-encryption-key"))
	if err != nil {
		log.Fatal(err)
	}
	_ = c // fmt, slog and json.Marshal of a client never reach its keys
	fmt.Println(c.Auth != nil)
	// Output: true
}

func ExampleAuthTokens_Create() {
	// A stand-in for srv-api.ziggeo.com; in your tests use ziggeotest.NewServer.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"token":"b2c3","key":"","session_limit":`+r.PostForm.Get("session_limit")+`}`)
	}))
	defer srv.Close()

	c, err := ziggeo.New("my-app-token", "my-private-key", ziggeo.WithServerURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.AuthTokens.Create(context.Background(), ziggeo.AuthTokenParams{
		SessionLimit: ziggeo.Int64(5),
		Grants:       &ziggeo.Grants{Read: &ziggeo.Grant{All: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Token, string(tok.Token), *tok.SessionLimit) // an sdk.Secret prints REDACTED; string() is its value
	// Output: REDACTED b2c3 5
}

func ExampleAuth_Generate() {
	c, err := ziggeo.New("my-app-token", "my-private-key", ziggeo.WithEncryptionKey("my-encryption-key"))
	if err != nil {
		log.Fatal(err)
	}
	token, err := c.Auth.Generate(ziggeo.AuthTokenParams{
		SessionLimit: ziggeo.Int64(1),
		Grants:       &ziggeo.Grants{Read: &ziggeo.Grant{All: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The token is random; its plaintext is what the official SDKs encrypt.
	plain, err := ziggeo.DecryptToken("my-encryption-key", token)
	if err != nil {
		log.Fatal(err)
	}
	fields, _, _ := strings.Cut(string(plain), `,"nonce"`)
	fmt.Println(fields)
	// Output: {"grants":"{\"read\":{\"all\":true}}","session_limit":1,"application_token":"my-app-token"
}

func ExampleDecryptToken() {
	// A token made by Ziggeo's Node SDK (test vector).
	plain, err := ziggeo.DecryptToken("my-encryption-key",
		"36710664d61b929583367b9887a0620d8a241f091917f187dcf01e36ac4e3ece7b35f0bbf1d8d37504a029fed0e9433ce0443012aa2c570eacf306c0710c33345821af203882132eb63bb94be728f691676e96cfbc35a88e")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(plain))
	// Output: {"application_token":"1a2b3c4d5e6f7a8b9c0d","nonce":"1764000000000530242871"}
}
