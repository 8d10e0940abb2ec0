package ziggeotest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/ziggeo"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

// These examples mirror README.md's Ziggeo snippets line for line
// (internal/readme checks it); the fake stands in for Ziggeo's servers.

func Example_readmeZiggeo() {
	srv := ziggeotest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	appToken, privateKey, encryptionKey := ziggeotest.AppToken, ziggeotest.PrivateKey, ziggeotest.EncryptionKey

	c, err := ziggeo.New(appToken, privateKey, ziggeo.WithEncryptionKey(encryptionKey), ziggeo.WithServerURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := c.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{
		SessionLimit: ziggeo.Int64(1),
		Grants:       &ziggeo.Grants{Read: &ziggeo.Grant{All: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(*tok.SessionLimit, tok.Grants.Read.All)

	// The browser's client auth token, made offline with the same grants:
	clientToken, err := c.Auth.Generate(ziggeo.AuthTokenParams{Grants: tok.Grants})
	if err != nil {
		log.Fatal(err)
	}
	plaintext, err := ziggeo.DecryptToken(encryptionKey, clientToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(plaintext) > 0) // the JSON the browser's token carries
	// Output:
	// 1 true
	// true
}

func Example_readmeOptions() {
	srv := ziggeotest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	appToken, privateKey := ziggeotest.AppToken, ziggeotest.PrivateKey
	tok := string(srv.AddToken(ziggeo.AuthToken{}).Token)

	c, err := ziggeo.New(appToken, privateKey,
		ziggeo.WithRetryConfig(sdk.RetryConfig{MaxAttempts: 5}),                                       // zero fields keep their defaults
		ziggeo.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}), ziggeo.WithServerURL(srv.URL)) // per attempt
	if err != nil {
		log.Fatal(err)
	}
	var raw *http.Response
	t, err := c.AuthTokens.Get(ctx, tok,
		sdk.WithRetries(sdk.RetryConfig{Strategy: sdk.StrategyNone}), // this call: one attempt
		sdk.WithResponseInto(&raw))                                   // the last raw response
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(t.Token) == tok, raw.StatusCode)
	// Output: true 200
}

func Example_readmeErrors() {
	srv := ziggeotest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, _ := srv.Client()

	_, err := c.AuthTokens.Get(ctx, "no-such-token")
	var apiErr *sdk.APIError
	if errors.As(err, &apiErr) {
		fmt.Printf("%d %s\n", apiErr.StatusCode, apiErr.Message) // 404 Auth token not found
	}
	var transport *sdk.TransportError
	if errors.As(err, &transport) {
		fmt.Println("no answer after", transport.Attempts, "attempts:", transport.Err)
	}
	// Output: 404 Auth token not found
}

// TestReadmeFakes mirrors README.md's "Testing your code with the fakes".
func TestReadmeFakes(t *testing.T) {
	ctx := context.Background()

	srv := ziggeotest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()                           // a ziggeo.Client aimed at the fake, fast retries
	srv.FailNext(1, ziggeotest.Fault{Status: 503}) // or RetryAfter, Delay, Drop
	_, err := c.AuthTokens.Get(ctx, string(srv.AddToken(ziggeo.AuthToken{}).Token))
	if err != nil { // the 503 was retried: Get is idempotent (Create is not)
		t.Fatal(err)
	}
	srv.AssertNoViolations(t)

	if srv.RequestCount() != 2 {
		t.Fatalf("%d requests, want 2 (a 503, then the answer)", srv.RequestCount())
	}
}
