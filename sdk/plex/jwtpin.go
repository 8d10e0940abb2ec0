package plex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// deviceJWTRenewBefore: a device JWT with less life left than this is not
// sent again; a new nonce and signature replace it. (A variable for tests.)
var deviceJWTRenewBefore = time.Minute

// CreateJWTPin starts a sign-in that ends in a Plex JWT, with no long-lived
// token ever created: the PIN carries k's public key, and the user's
// approval registers the key with the account. strong=true makes a long
// code for the consent page (send the user to pin.AuthURL); strong=false a
// 4-character code for https://plex.tv/link. Then WaitForJWTPin. It needs
// a client identifier and sends no token. Not idempotent: retried only on
// 429 or when no connection could be made.
func (a *Authentication) CreateJWTPin(ctx context.Context, k *DeviceKey, strong bool, opts ...sdk.CallOption) (*Pin, error) {
	if err := a.needClientID(&opCreateJWTPin); err != nil {
		return nil, err
	}
	if k == nil {
		return nil, fmt.Errorf("%s: nil device key", opCreateJWTPin.Name)
	}
	jwk := k.PublicJWK()
	body := plexapi.CreatePinJSONRequestBody{Jwk: plexapi.JWK{
		Kty: plexapi.JWKKty(jwk.Kty), Crv: plexapi.JWKCrv(jwk.Crv), X: jwk.X, Use: &jwk.Use, Alg: &jwk.Alg, Kid: &jwk.Kid,
	}}
	if strong {
		body.Strong = &strong
	}
	params := &plexapi.CreatePinParams{XPlexClientIdentifier: a.clientID}
	w, err := core.Invoke[pinWire](ctx, a.core, &opCreateJWTPin, a.base(&opCreateJWTPin), opts, nil, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).CreatePin(ctx, params, body, a.setFixed)
	})
	if err != nil {
		return nil, err
	}
	return a.newPin(&opCreateJWTPin, w)
}

// WaitForJWTPin polls a PIN made by CreateJWTPin every `every` (0 means
// 1 s) until the user approves it, and returns the Plex JWT. Each poll
// carries a device JWT signed by k (the PIN's key); one device JWT serves
// every poll until less than a minute of its 5-minute life remains, then a
// fresh nonce and signature replace it (never a nonce per poll, never an
// expired device JWT). The device JWT is a bearer secret: it is redacted
// from every error, log line and URL. Expiry, transient failures, 429 and
// ctx are handled as in WaitForPin. Seed a JWTSource with the result
// (SetToken) to keep it refreshed with k, no token needed.
func (a *Authentication) WaitForJWTPin(ctx context.Context, pin *Pin, k *DeviceKey, every time.Duration, opts ...sdk.CallOption) (*JWT, error) {
	if k == nil {
		return nil, fmt.Errorf("%s: nil device key", opWaitJWTPin.Name)
	}
	var held string // the device JWT in use
	var heldUntil time.Time
	poll := func(ctx context.Context) (*Pin, error) {
		for renewed := false; ; renewed = true {
			if held == "" || time.Until(heldUntil) < deviceJWTRenewBefore {
				now := time.Now()
				dj, err := a.deviceJWT(ctx, k, opts)
				if err != nil {
					return nil, err
				}
				held, heldUntil = dj, now.Add(deviceJWTLifetime)
			}
			p, err := a.getPin(ctx, &opGetJWTPin, pin.ID, held, opts)
			var api *sdk.APIError
			if !renewed && errors.As(err, &api) && api.StatusCode == statusInvalidJWT {
				held = "" // refused (clocks disagree?): sign once more with a fresh nonce
				continue
			}
			return p, err
		}
	}
	p, err := a.waitPin(ctx, &opWaitJWTPin, pin, every, poll)
	if err != nil {
		return nil, err
	}
	return plexJWT(&opWaitJWTPin, string(p.AuthToken), time.Now())
}
