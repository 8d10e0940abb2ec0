package plex

import (
	"context"
	"net/http"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

var (
	one             = plexapi.ZeroOrOneN1
	resourcesParams = plexapi.GetServerResourcesParams{IncludeHTTPS: &one, IncludeRelay: &one, IncludeIPv6: &one}
)

// GetServerResources returns the devices the account of xPlexToken reaches
// (servers, players), each with the access token to use against it and its
// connections (HTTPS, relay and IPv6 included). The token travels in the
// X-Plex-Token header only. A refused token matches ErrInvalidToken.
func (a *Authentication) GetServerResources(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) ([]Resource, error) {
	if err := checkToken(&opResources, xPlexToken); err != nil {
		return nil, err
	}
	rs, err := core.Invoke[[]Resource](ctx, a.core, &opResources, a.base(&opResources), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetServerResources(ctx, &resourcesParams, a.headers(xPlexToken))
	})
	if err != nil {
		return nil, err
	}
	return *rs, nil
}
