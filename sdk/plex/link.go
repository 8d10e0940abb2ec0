package plex

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// linkProduct is the X-Plex-Product plex.tv expects on a link.
var linkProduct = []string{string(plexapi.LinkPinParamsXPlexProductPlexSSO)}

// LinkPin approves code — the 4 characters another device shows for
// https://plex.tv/link (a TV, a console, a CLI's --link) — for the account
// of xPlexToken: that device gets a token for the account when it next
// polls (python-plexapi MyPlexAccount.link). The code is checked before
// anything is sent: 4 letters or digits (lower case is taken as upper).
func (a *Authentication) LinkPin(ctx context.Context, xPlexToken, code string, opts ...sdk.CallOption) error {
	if err := a.needTokenAndClientID(&opLinkPin, xPlexToken); err != nil {
		return err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	if !linkCode(code) {
		return fmt.Errorf("%s: the code must be the 4 letters or digits the other device shows", opLinkPin.Name)
	}
	params := &plexapi.LinkPinParams{XPlexClientIdentifier: a.clientID, XPlexProduct: plexapi.LinkPinParamsXPlexProductPlexSSO}
	body := plexapi.LinkPinFormdataRequestBody{Code: code}
	tokenHeaders := a.headers(xPlexToken)
	return core.InvokeNoContent(ctx, a.core, &opLinkPin, a.base(&opLinkPin), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).LinkPinWithFormdataBody(ctx, params, body, tokenHeaders,
			func(_ context.Context, req *http.Request) error {
				req.Header["X-Plex-Product"] = linkProduct
				return nil
			})
	})
}

func linkCode(code string) bool {
	if len(code) != 4 {
		return false
	}
	for _, c := range code {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ClaimToken is a token that claims a new Plex Media Server for the account
// (Docker's PLEX_CLAIM). It lasts minutes.
type ClaimToken struct {
	// Token is the claim token, "claim-…".
	Token sdk.Secret `json:"token"`
}

// GetClaimToken returns a claim token for setting up a new Plex Media
// Server for the account of xPlexToken (GET https://plex.tv/api/claim/token.json,
// beside the /api/v2 of WithPlexTVURL).
func (a *Authentication) GetClaimToken(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) (*ClaimToken, error) {
	if err := a.needTokenAndClientID(&opClaimToken, xPlexToken); err != nil {
		return nil, err
	}
	params := &plexapi.GetClaimTokenParams{XPlexClientIdentifier: a.clientID}
	t, err := core.Invoke[ClaimToken](ctx, a.core, &opClaimToken, a.base(&opClaimToken), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetClaimToken(ctx, params, a.headers(xPlexToken))
	})
	if err == nil && t.Token == "" {
		return nil, core.Incomplete(&opClaimToken, "claim token")
	}
	return t, err
}
