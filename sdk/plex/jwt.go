package plex

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// JWT device authentication, with the standard library only
// (crypto/ed25519): the device JWT is one fixed header, a flat claim set
// and an Ed25519 signature, too little to justify a JWT dependency.

// DeviceJWTScope is the scope claim of the device JWTs ExchangeDeviceJWT signs.
const DeviceJWTScope = "username,email,friendly_name"

// deviceJWTLifetime is how long a device JWT is valid (iat to exp); a
// variable only so a test can live through a 30-minute PIN in seconds.
var deviceJWTLifetime = 5 * time.Minute

// RegisterDeviceKey registers k's public key with the account of
// xPlexToken, once per key. A key that is registered already (plex.tv's 422
// "Thumbprint Already Taken", by this client earlier or by another device)
// is an error matching errors.Is(err, ErrKeyRegistered), never a success.
// Only the given token is sent.
func (a *Authentication) RegisterDeviceKey(ctx context.Context, xPlexToken string, k *DeviceKey, opts ...sdk.CallOption) error {
	if err := checkToken(&opRegisterKey, xPlexToken); err != nil {
		return err
	}
	if err := a.needClientID(&opRegisterKey); err != nil {
		return err
	}
	if k == nil {
		return fmt.Errorf("%s: nil device key", opRegisterKey.Name)
	}
	jwk := k.PublicJWK()
	body := plexapi.RegisterDeviceKeyJSONRequestBody{Jwk: plexapi.JWK{
		Kty: plexapi.JWKKty(jwk.Kty), Crv: plexapi.JWKCrv(jwk.Crv), X: jwk.X, Use: &jwk.Use, Alg: &jwk.Alg, Kid: &jwk.Kid,
	}}
	params := &plexapi.RegisterDeviceKeyParams{XPlexClientIdentifier: a.clientID}
	return core.InvokeNoContent(ctx, a.core, &opRegisterKey, a.base(&opRegisterKey), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).RegisterDeviceKey(ctx, params, body, a.headers(xPlexToken))
	})
}

// ExchangeDeviceJWT trades a device JWT signed by k for a Plex JWT (use
// JWT.Token like any token). Every attempt fetches a fresh nonce and signs
// anew: a nonce is single-use, so no device JWT is ever sent twice. The
// nonce and the exchange share one retry budget: MaxAttempts counts
// nonce-and-exchange attempts, not requests. The key must be registered
// (RegisterDeviceKey, or a JWT PIN sign-in). A JWT that has already expired
// when it arrives is an error, not a success.
func (a *Authentication) ExchangeDeviceJWT(ctx context.Context, k *DeviceKey, opts ...sdk.CallOption) (*JWT, error) {
	if err := a.needClientID(&opExchange); err != nil {
		return nil, err
	}
	if k == nil {
		return nil, fmt.Errorf("%s: nil device key", opExchange.Name)
	}
	params := &plexapi.ExchangeDeviceJWTParams{XPlexClientIdentifier: a.clientID}
	info := &core.CallInfo{Refresh: func(ctx context.Context) ([]byte, string, error) {
		jwt, err := a.deviceJWT(ctx, k, opts)
		if err != nil {
			return nil, "", err
		}
		b, err := json.Marshal(plexapi.ExchangeDeviceJWTJSONRequestBody{Jwt: jwt})
		return b, jwt, err
	}}
	rsp, err := core.Invoke[struct {
		AuthToken string `json:"auth_token"`
	}](ctx, a.core, &opExchange, a.base(&opExchange), opts, info, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		// The body is Refresh's, made per attempt.
		return (&plexapi.Client{Server: server, Client: d}).ExchangeDeviceJWT(ctx, params, plexapi.ExchangeDeviceJWTJSONRequestBody{}, a.setFixed)
	})
	if err != nil {
		return nil, err
	}
	return plexJWT(&opExchange, rsp.AuthToken, time.Now())
}

// plexJWT reads a Plex JWT's claims; one that is missing, unreadable or
// already expired breaks the operation's promise.
func plexJWT(op *core.Operation, token string, now time.Time) (*JWT, error) {
	if token == "" {
		return nil, core.Incomplete(op, "Plex JWT")
	}
	exp, iat, err := jwtClaims(token)
	if err != nil {
		return nil, core.Incomplete(op, "Plex JWT with an exp claim ("+err.Error()+")")
	}
	if !now.Before(exp) {
		return nil, core.Incomplete(op, "unexpired Plex JWT (it expired at "+exp.UTC().Format(time.RFC3339)+")")
	}
	if iat.IsZero() || iat.After(exp) {
		iat = now
	}
	return &JWT{Token: sdk.Secret(token), ExpiresAt: exp, IssuedAt: iat}, nil
}

// noRetries makes a call one attempt: the nonce request is one step of an
// attempt whose budget the caller's operation keeps.
var noRetries = sdk.WithRetries(sdk.RetryConfig{Strategy: sdk.StrategyNone})

// deviceJWT fetches a nonce (one request) and signs a device JWT with it.
func (a *Authentication) deviceJWT(ctx context.Context, k *DeviceKey, opts []sdk.CallOption) (string, error) {
	params := &plexapi.GetDeviceNonceParams{XPlexClientIdentifier: a.clientID}
	n, err := core.Invoke[struct {
		Nonce string `json:"nonce"`
	}](ctx, a.core, &opNonce, a.base(&opNonce), append(opts[:len(opts):len(opts)], noRetries), nil, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetDeviceNonce(ctx, params, a.setFixed)
	})
	if err != nil {
		return "", err
	}
	if n.Nonce == "" {
		return "", core.Incomplete(&opNonce, "nonce")
	}
	return k.sign(n.Nonce, a.clientID, time.Now())
}

// jwtClaims reads the exp and iat claims of a JWT without verifying it
// (plex.tv made it; the caller only needs to know when to refresh). iat is
// zero when absent.
func jwtClaims(token string) (exp, iat time.Time, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return exp, iat, errors.New("not a JWT (want three dot-separated parts)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return exp, iat, errors.New("claims are not base64url")
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
		Iat *json.Number `json:"iat"`
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil || claims.Exp == nil {
		return exp, iat, errors.New("no exp claim")
	}
	exp, ok := unixClaim(claims.Exp)
	if !ok {
		return exp, iat, errors.New("exp claim is not a Unix time")
	}
	if claims.Iat != nil {
		iat, _ = unixClaim(claims.Iat)
	}
	return exp, iat, nil
}

func unixClaim(n *json.Number) (time.Time, bool) {
	f, err := n.Float64()
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

// JWT is a Plex JWT: use Token like any Plex token (X-Plex-Token).
type JWT struct {
	// Token is the Plex JWT (a secret).
	Token sdk.Secret `json:"token"`
	// ExpiresAt is the JWT's exp claim.
	ExpiresAt time.Time `json:"expiresAt"`
	// IssuedAt is the JWT's iat claim (its arrival when it has none);
	// ExpiresAt − IssuedAt is its lifetime, which JWTSource refreshes by.
	IssuedAt time.Time `json:"issuedAt"`
}
