package plex

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// JWT device authentication, with the standard library only
// (crypto/ed25519): the device JWT is one fixed header, a flat claim set
// and an Ed25519 signature, too little to justify a JWT dependency.

var (
	opRegisterKey = core.Operation{Name: "plex.Authentication.RegisterDeviceKey", Idempotent: true}
	opNonce       = core.Operation{Name: "plex.Authentication.ExchangeDeviceJWT (nonce)", Idempotent: true}
	// Each attempt carries a fresh nonce (CallInfo.Refresh), so a retry is safe.
	opExchange = core.Operation{Name: "plex.Authentication.ExchangeDeviceJWT", Idempotent: true}
)

// DeviceJWTScope is the scope claim of the device JWTs ExchangeDeviceJWT signs.
const DeviceJWTScope = "username,email,friendly_name"

// deviceJWTLifetime is how long a device JWT is valid (iat to exp); a
// variable only so a test can live through a 30-minute PIN in seconds.
var deviceJWTLifetime = 5 * time.Minute

// DeviceKey is a device's Ed25519 key pair for Plex JWT authentication.
// Keep it secret (MarshalPEM writes it for a file of mode 0600); fmt and
// slog never reach the private key, and json.Marshal writes nothing of it.
type DeviceKey struct {
	*deviceKey
}

// The private key sits two pointers away from DeviceKey: fmt shows a bad
// verb's operand (%s of a *deviceKey) one level deep, and must find only
// an address there.
type deviceKey struct {
	priv *ed25519.PrivateKey
	kid  string
}

// JWK is a public key as a JSON Web Key (RFC 8037 OKP/Ed25519).
type JWK struct {
	Kty string `json:"kty"`           // "OKP"
	Crv string `json:"crv"`           // "Ed25519"
	X   string `json:"x"`             // base64url (no padding) of the 32-byte public key
	Use string `json:"use,omitempty"` // "sig"
	Alg string `json:"alg,omitempty"` // "EdDSA"
	Kid string `json:"kid,omitempty"` // the key id (RFC 7638 thumbprint)
}

// NewDeviceKey generates a new Ed25519 device key.
func NewDeviceKey() (*DeviceKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("plex.NewDeviceKey: %w", err)
	}
	return newDeviceKey(priv), nil
}

func newDeviceKey(priv ed25519.PrivateKey) *DeviceKey {
	x := base64.RawURLEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
	// RFC 7638: the required members, sorted, no spaces.
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
	return &DeviceKey{&deviceKey{priv: &priv, kid: base64.RawURLEncoding.EncodeToString(sum[:])}}
}

// ParseDeviceKey reads a key written by MarshalPEM: a PKCS#8 "PRIVATE KEY"
// PEM block holding an Ed25519 key. Other key types are refused.
func ParseDeviceKey(pemBytes []byte) (*DeviceKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("plex.ParseDeviceKey: no PEM block found")
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("plex.ParseDeviceKey: PEM block is %q, want \"PRIVATE KEY\" (PKCS#8)", block.Type)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("plex.ParseDeviceKey: not a PKCS#8 private key")
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("plex.ParseDeviceKey: key is %s, want Ed25519", keyKind(k))
	}
	return newDeviceKey(priv), nil
}

func keyKind(k any) string {
	switch k.(type) {
	case *rsa.PrivateKey:
		return "RSA"
	case *ecdsa.PrivateKey:
		return "ECDSA"
	case *ecdh.PrivateKey:
		return "ECDH"
	}
	return fmt.Sprintf("%T", k)
}

// MarshalPEM writes the private key as a PKCS#8 "PRIVATE KEY" PEM block.
func (k *DeviceKey) MarshalPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(*k.priv)
	if err != nil {
		return nil, fmt.Errorf("plex.DeviceKey.MarshalPEM: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// KeyID is the key's RFC 7638 JWK thumbprint (base64url SHA-256), the kid
// of its JWK and of the device JWTs it signs.
func (k *DeviceKey) KeyID() string { return k.kid }

// PublicJWK is the public key to register with RegisterDeviceKey.
func (k *DeviceKey) PublicJWK() JWK {
	return JWK{
		Kty: "OKP", Crv: "Ed25519",
		X:   base64.RawURLEncoding.EncodeToString(k.priv.Public().(ed25519.PublicKey)),
		Use: "sig", Alg: "EdDSA", Kid: k.kid,
	}
}

// sign makes the device JWT for nonce: header {"alg":"EdDSA","typ":"JWT",
// "kid":…}, claims nonce, scope, aud "plex.tv", iss = client identifier,
// iat, exp = iat + 5 minutes.
func (k *DeviceKey) sign(nonce, clientID string, now time.Time) (string, error) {
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}{"EdDSA", "JWT", k.kid})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(struct {
		Nonce string `json:"nonce"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Iss   string `json:"iss"`
		Iat   int64  `json:"iat"`
		Exp   int64  `json:"exp"`
	}{nonce, DeviceJWTScope, "plex.tv", clientID, now.Unix(), now.Add(deviceJWTLifetime).Unix()})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	return signing + "." + enc.EncodeToString(ed25519.Sign(*k.priv, []byte(signing))), nil
}

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
	return core.InvokeNoContent(ctx, a.core, &opRegisterKey, a.clients, opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
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
	}](ctx, a.core, &opExchange, a.clients, opts, info, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
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
	}](ctx, a.core, &opNonce, a.clients, append(opts[:len(opts):len(opts)], noRetries), nil, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
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

// JWTSource hands out Plex JWTs for a long-running program: a cache that
// refreshes ahead of expiry, rides out plex.tv outages and never makes a
// caller wait while it holds a JWT that is good for a while. With L the held
// JWT's lifetime (ExpiresAt − IssuedAt) and r the time it has left:
//
//   - fresh (r > min(24 h, L/2)): Token returns it; no request.
//   - stale (min(1 min, L/10) < r ≤ min(24 h, L/2)): Token returns it at
//     once and one background exchange replaces it (at most one in flight,
//     detached from every caller's ctx).
//   - due (none held, or r ≤ min(1 min, L/10)): callers wait for one shared
//     exchange, each until its own ctx ends.
//
// A held JWT that has not expired is never withheld because an exchange
// failed; an expired one is never returned. After a failed exchange the
// next background one waits a backoff (1 s doubling to 5 min, reset by a
// success). Safe for concurrent use; use it through Transport or PlexToken.
type JWTSource struct {
	a  *Authentication
	k  *DeviceKey
	st *jwtState // shared, so a JWTSource copied by value prints and works safely
}

type jwtState struct {
	cur atomic.Pointer[JWT] // the held JWT, read without locking

	mu        sync.Mutex
	flight    *exchange // the exchange in progress, shared by every caller
	failures  int       // exchanges failed in a row
	notBefore time.Time // no background exchange before this (backoff)
}

type exchange struct {
	done chan struct{}
	jwt  *JWT
	err  error
}

// Lifecycle bounds (DESIGN §6 "Token lifecycle").
const (
	staleBefore     = 24 * time.Hour  // at most this long before expiry a JWT turns stale
	dueBefore       = time.Minute     // at most this long before expiry callers wait
	backoffFirst    = time.Second     // wait after the first failed exchange
	backoffMax      = 5 * time.Minute // longest wait between failed exchanges
	exchangeTimeout = 2 * time.Minute // bounds an exchange that outlives its callers
)

// NewJWTSource returns a JWTSource that exchanges device JWTs signed by k
// (registered already). Seed it with SetToken to start from a JWT you have.
func (a *Authentication) NewJWTSource(k *DeviceKey) *JWTSource {
	return &JWTSource{a: a, k: k, st: &jwtState{}}
}

type jwtPhase int

const (
	phaseFresh jwtPhase = iota
	phaseStale
	phaseDue    // held and valid, but callers wait for its replacement
	phaseAbsent // none held, or expired
)

func phase(j *JWT, now time.Time) jwtPhase {
	if j == nil {
		return phaseAbsent
	}
	r := j.ExpiresAt.Sub(now)
	if r <= 0 {
		return phaseAbsent
	}
	stale, due := staleBefore, dueBefore
	if !j.IssuedAt.IsZero() && j.IssuedAt.Before(j.ExpiresAt) {
		l := j.ExpiresAt.Sub(j.IssuedAt)
		stale, due = min(stale, l/2), min(due, l/10)
	}
	switch {
	case r > stale:
		return phaseFresh
	case r > due:
		return phaseStale
	}
	return phaseDue
}

// Token returns a Plex JWT under the rules of JWTSource: at once when it
// holds one that is fresh or stale; otherwise after one exchange shared by
// every caller. It fails only when it holds no unexpired JWT and the
// exchange failed (that error is not kept: the next call tries again).
func (s *JWTSource) Token(ctx context.Context) (*JWT, error) {
	if s == nil || s.st == nil {
		return nil, fmt.Errorf("%s: JWTSource not made by NewJWTSource", opExchange.Name)
	}
	j := s.st.cur.Load()
	if phase(j, time.Now()) == phaseFresh {
		return j, nil
	}
	return s.refresh(ctx)
}

func (s *JWTSource) refresh(ctx context.Context) (*JWT, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%s: nil context", opExchange.Name)
	}
	if s.k == nil {
		return nil, fmt.Errorf("%s: nil device key", opExchange.Name)
	}
	st := s.st
	st.mu.Lock()
	now := time.Now()
	j := st.cur.Load()
	ph := phase(j, now)
	backingOff := now.Before(st.notBefore)
	switch {
	case ph == phaseFresh:
		st.mu.Unlock()
		return j, nil
	case ph == phaseStale, ph == phaseDue && backingOff:
		// Served at once; refreshed in the background unless an exchange
		// runs already or the last one failed too recently.
		if st.flight == nil && !backingOff {
			s.start(ctx)
		}
		st.mu.Unlock()
		return j, nil
	}
	f := st.flight
	if f == nil {
		f = s.start(ctx)
	}
	st.mu.Unlock()
	select {
	case <-f.done:
		if f.err == nil {
			return f.jwt, nil
		}
		if held := st.cur.Load(); phase(held, time.Now()) != phaseAbsent {
			return held, nil
		}
		return nil, f.err
	case <-ctx.Done():
		if held := st.cur.Load(); phase(held, time.Now()) != phaseAbsent {
			return held, nil
		}
		return nil, fmt.Errorf("%s: %w", opExchange.Name, ctx.Err())
	}
}

// start begins the one exchange in flight; st.mu is held. It is detached
// from ctx's cancellation (keeping its values), so a caller that gives up
// does not fail the exchange others wait on.
func (s *JWTSource) start(ctx context.Context) *exchange {
	f := &exchange{done: make(chan struct{})}
	s.st.flight = f
	go s.run(context.WithoutCancel(ctx), f)
	return f
}

func (s *JWTSource) run(ctx context.Context, f *exchange) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	f.jwt, f.err = s.a.ExchangeDeviceJWT(ctx, s.k)
	st := s.st
	st.mu.Lock()
	if f.err == nil {
		st.cur.Store(f.jwt)
		st.failures, st.notBefore = 0, time.Time{}
	} else {
		st.failures++
		st.notBefore = time.Now().Add(failureBackoff(st.failures))
	}
	st.flight = nil
	st.mu.Unlock()
	close(f.done)
}

// failureBackoff is the wait after n failed exchanges in a row: 1 s, 2 s,
// 4 s … at most 5 min.
func failureBackoff(n int) time.Duration {
	if n > 10 {
		return backoffMax
	}
	return min(backoffFirst<<(n-1), backoffMax)
}

// PlexToken returns Token(ctx).Token: a JWTSource is a TokenSource.
func (s *JWTSource) PlexToken(ctx context.Context) (string, error) {
	j, err := s.Token(ctx)
	if err != nil {
		return "", err
	}
	return string(j.Token), nil
}

// SetToken hands the source a Plex JWT obtained elsewhere (WaitForJWTPin, a
// file); it is served and refreshed under the same rules. A zero ExpiresAt
// or IssuedAt is read from the JWT's claims; a JWT whose expiry cannot be
// known, or that has expired, is ignored (the next Token exchanges anew).
func (s *JWTSource) SetToken(j *JWT) {
	if s == nil || s.st == nil || j == nil || j.Token == "" {
		return
	}
	cp := *j
	if cp.ExpiresAt.IsZero() || cp.IssuedAt.IsZero() {
		exp, iat, err := jwtClaims(string(cp.Token))
		if cp.ExpiresAt.IsZero() {
			if err != nil {
				return
			}
			cp.ExpiresAt = exp
		}
		if cp.IssuedAt.IsZero() && err == nil && !iat.IsZero() {
			cp.IssuedAt = iat
		}
	}
	if !time.Now().Before(cp.ExpiresAt) {
		return
	}
	s.st.cur.Store(&cp)
}

// Invalidate drops j if it is still the held JWT (compared by Token), so the
// next Token exchanges anew: call it after plex.tv answered 498 or 401 to j.
// A JWT a concurrent refresh already replaced is left alone.
func (s *JWTSource) Invalidate(j *JWT) {
	if s == nil || s.st == nil || j == nil {
		return
	}
	for {
		held := s.st.cur.Load()
		if held == nil || held.Token != j.Token || s.st.cur.CompareAndSwap(held, nil) {
			return
		}
	}
}
