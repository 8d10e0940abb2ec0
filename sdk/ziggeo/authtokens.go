package ziggeo

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/authsdk/authsdk/gen/ziggeoapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// AuthTokens calls the authtokens resource: c.AuthTokens.Get(ctx, token).
type AuthTokens struct {
	*tokensRef
}

// tokensRef puts the credentials two pointers away from AuthTokens: fmt
// shows a bad verb's operand one level deep and must find only an address.
type tokensRef struct{ *authTokens }

type authTokens struct {
	core          *core.Core
	server        string
	authorization []string // "Basic …"; nil for a generator-only client
}

// Get returns the auth token identified by its token or key.
func (a *AuthTokens) Get(ctx context.Context, tokenOrKey string, opts ...sdk.CallOption) (*AuthToken, error) {
	if err := a.check(&opGet, tokenOrKey); err != nil {
		return nil, err
	}
	t, err := core.Invoke[AuthToken](ctx, a.core, &opGet, a.server, opts, pathSecret(tokenOrKey), func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return a.api(server, d).GetAuthToken(ctx, tokenOrKey, a.authorize)
	})
	return withToken(&opGet, t, err)
}

// Create creates an auth token. It is not idempotent, so it is retried only
// when the request certainly was not processed (no connection, or 429).
func (a *AuthTokens) Create(ctx context.Context, p AuthTokenParams, opts ...sdk.CallOption) (*AuthToken, error) {
	if err := a.needPrivateKey(&opCreate); err != nil {
		return nil, err
	}
	form, err := p.form()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opCreate.Name, err)
	}
	t, err := core.Invoke[AuthToken](ctx, a.core, &opCreate, a.server, opts, nil, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return a.api(server, d).CreateAuthTokenWithFormdataBody(ctx, form, a.authorize)
	})
	return withToken(&opCreate, t, err)
}

// Update changes the fields of p that are set on the token identified by its token or key.
func (a *AuthTokens) Update(ctx context.Context, tokenOrKey string, p AuthTokenParams, opts ...sdk.CallOption) (*AuthToken, error) {
	if err := a.check(&opUpdate, tokenOrKey); err != nil {
		return nil, err
	}
	form, err := p.form()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opUpdate.Name, err)
	}
	t, err := core.Invoke[AuthToken](ctx, a.core, &opUpdate, a.server, opts, pathSecret(tokenOrKey), func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return a.api(server, d).UpdateAuthTokenWithFormdataBody(ctx, tokenOrKey, form, a.authorize)
	})
	return withToken(&opUpdate, t, err)
}

// Delete deletes the token identified by its token or key. Any 2xx is success.
func (a *AuthTokens) Delete(ctx context.Context, tokenOrKey string, opts ...sdk.CallOption) error {
	if err := a.check(&opDelete, tokenOrKey); err != nil {
		return err
	}
	return core.InvokeNoContent(ctx, a.core, &opDelete, a.server, opts, pathSecret(tokenOrKey), func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return a.api(server, d).DeleteAuthToken(ctx, tokenOrKey, a.authorize)
	})
}

// api is the generated client for one call; server already ends in "/".
func (a *AuthTokens) api(server string, d core.HTTPDoer) *ziggeoapi.Client {
	return &ziggeoapi.Client{Server: server, Client: d}
}

func (a *AuthTokens) authorize(_ context.Context, req *http.Request) error {
	req.Header["Authorization"] = a.authorization
	return nil
}

// pathSecret marks an auth token in the URL path as a credential: errors
// and logs show at most its first 4 characters.
func pathSecret(tokenOrKey string) *core.CallInfo {
	return &core.CallInfo{PathValue: tokenOrKey}
}

// withToken turns a 2xx without a token (null, {}) into an error: the
// operation promised an auth token.
func withToken(op *core.Operation, t *AuthToken, err error) (*AuthToken, error) {
	if err == nil && t.Token == "" {
		return nil, core.Incomplete(op, "token")
	}
	return t, err
}

// needPrivateKey refuses, before sending, a call from a generator-only client.
func (a *AuthTokens) needPrivateKey(op *core.Operation) error {
	if a.authorization == nil {
		return fmt.Errorf("%s: the client has no private key (ziggeo.New was given \"\")", op.Name)
	}
	return nil
}

// check is needPrivateKey, and refuses values that cannot name a token:
// "." and ".." would be resolved away by URL path rules and hit another endpoint.
func (a *AuthTokens) check(op *core.Operation, v string) error {
	if err := a.needPrivateKey(op); err != nil {
		return err
	}
	if v == "" {
		return fmt.Errorf("%s: empty token or key", op.Name)
	}
	return core.CheckPathSegment(op, "token or key", v)
}

var errNegative = errors.New("must not be negative")
