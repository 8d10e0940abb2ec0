package ziggeo

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/authsdk/authsdk/gen/ziggeoapi"
	"github.com/authsdk/authsdk/sdk"
)

// AuthToken is an auth token as the API returns it; unknown fields are ignored.
type AuthToken = ziggeoapi.AuthToken

// AuthTokens calls the authtokens resource: c.AuthTokens.Get(ctx, token).
type AuthTokens struct {
	core          *sdk.Core
	server        string
	authorization string
}

var (
	opGet    = sdk.Operation{Name: "ziggeo.AuthTokens.Get", Idempotent: true}
	opCreate = sdk.Operation{Name: "ziggeo.AuthTokens.Create", Idempotent: false}
	opUpdate = sdk.Operation{Name: "ziggeo.AuthTokens.Update", Idempotent: true}
	opDelete = sdk.Operation{Name: "ziggeo.AuthTokens.Delete", Idempotent: true}
)

// Get returns the auth token identified by its token or key.
func (a *AuthTokens) Get(ctx context.Context, tokenOrKey string, opts ...sdk.CallOption) (*AuthToken, error) {
	if err := checkTokenOrKey(&opGet, tokenOrKey); err != nil {
		return nil, err
	}
	return sdk.Invoke[AuthToken](ctx, a.core, &opGet, a.server, opts, func(ctx context.Context, server string, d sdk.HTTPDoer) (*http.Response, error) {
		return a.api(server, d).GetAuthToken(ctx, tokenOrKey, a.authorize)
	})
}

// Create creates an auth token. It is not idempotent, so it is retried only
// when the request certainly was not processed (no connection, or 429).
func (a *AuthTokens) Create(ctx context.Context, p AuthTokenParams, opts ...sdk.CallOption) (*AuthToken, error) {
	form, err := p.form()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opCreate.Name, err)
	}
	return sdk.Invoke[AuthToken](ctx, a.core, &opCreate, a.server, opts, func(ctx context.Context, server string, d sdk.HTTPDoer) (*http.Response, error) {
		return a.api(server, d).CreateAuthTokenWithFormdataBody(ctx, form, a.authorize)
	})
}

// Update changes the fields of p that are set on the token identified by its token or key.
func (a *AuthTokens) Update(ctx context.Context, tokenOrKey string, p AuthTokenParams, opts ...sdk.CallOption) (*AuthToken, error) {
	if err := checkTokenOrKey(&opUpdate, tokenOrKey); err != nil {
		return nil, err
	}
	form, err := p.form()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opUpdate.Name, err)
	}
	return sdk.Invoke[AuthToken](ctx, a.core, &opUpdate, a.server, opts, func(ctx context.Context, server string, d sdk.HTTPDoer) (*http.Response, error) {
		return a.api(server, d).UpdateAuthTokenWithFormdataBody(ctx, tokenOrKey, form, a.authorize)
	})
}

// Delete deletes the token identified by its token or key. Any 2xx is success.
func (a *AuthTokens) Delete(ctx context.Context, tokenOrKey string, opts ...sdk.CallOption) error {
	if err := checkTokenOrKey(&opDelete, tokenOrKey); err != nil {
		return err
	}
	return sdk.InvokeNoContent(ctx, a.core, &opDelete, a.server, opts, func(ctx context.Context, server string, d sdk.HTTPDoer) (*http.Response, error) {
		return a.api(server, d).DeleteAuthToken(ctx, tokenOrKey, a.authorize)
	})
}

// api is the generated client for one call; server already ends in "/".
func (a *AuthTokens) api(server string, d sdk.HTTPDoer) *ziggeoapi.Client {
	return &ziggeoapi.Client{Server: server, Client: d}
}

func (a *AuthTokens) authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", a.authorization)
	return nil
}

// checkTokenOrKey rejects values that cannot name a token. "." and ".."
// would be resolved away by URL path rules and hit another endpoint.
func checkTokenOrKey(op *sdk.Operation, v string) error {
	switch v {
	case "":
		return fmt.Errorf("%s: empty token or key", op.Name)
	case ".", "..":
		return fmt.Errorf("%s: %q is not a valid token or key", op.Name, v)
	}
	return nil
}

var errNegative = errors.New("must not be negative")
