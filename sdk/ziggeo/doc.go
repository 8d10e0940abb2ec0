// Package ziggeo is a client for Ziggeo's auth-token API and a generator of
// Ziggeo's encrypted client auth tokens, byte-compatible with the official
// Ziggeo SDKs' auth.generate.
//
//	c, err := ziggeo.New(appToken, privateKey, ziggeo.WithEncryptionKey(encKey))
//	tok, err := c.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{SessionLimit: ziggeo.Int64(1)})
//	clientToken, err := c.Auth.Generate(ziggeo.AuthTokenParams{Grants: &ziggeo.Grants{Read: &ziggeo.Grant{All: true}}})
//
// A client that only generates client auth tokens needs no private key:
// ziggeo.New(appToken, "", ziggeo.WithEncryptionKey(encKey)).
//
// Auth tokens are credentials: in errors and logs they show at most their
// first 4 characters. Requests go through the shared core: retries
// (sdk.RetryConfig), per-call options (sdk.WithRetries, sdk.WithServerURL,
// sdk.WithResponseInto) and *sdk.APIError for error statuses. For tests,
// sdk/ziggeo/ziggeotest is a spec-validated fake server.
package ziggeo
