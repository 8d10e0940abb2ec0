package plex

import (
	"context"
	"net/http"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// Ping tells plex.tv the token is in use (GET https://plex.tv/api/v2/ping):
// tokens unused for weeks stop working. A refused token matches
// errors.Is(err, ErrInvalidToken); a 5xx or a network failure says nothing
// about the token.
func (a *Authentication) Ping(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) error {
	if err := a.needTokenAndClientID(&opPing, xPlexToken); err != nil {
		return err
	}
	params := &plexapi.PingParams{XPlexClientIdentifier: a.clientID}
	return core.InvokeNoContent(ctx, a.core, &opPing, a.base(&opPing), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).Ping(ctx, params, a.headers(xPlexToken))
	})
}

// SignOut revokes the token (DELETE https://plex.tv/api/v2/users/signout):
// any 2xx means done. It is not retried once the request was sent.
func (a *Authentication) SignOut(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) error {
	if err := a.needTokenAndClientID(&opSignOut, xPlexToken); err != nil {
		return err
	}
	params := &plexapi.SignOutParams{XPlexClientIdentifier: a.clientID}
	return core.InvokeNoContent(ctx, a.core, &opSignOut, a.base(&opSignOut), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).SignOut(ctx, params, a.headers(xPlexToken))
	})
}
