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
	"io"
	"log/slog"
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

// deviceJWTLifetime is how long a device JWT is valid (iat to exp).
const deviceJWTLifetime = 5 * time.Minute

// DeviceKey is a device's Ed25519 key pair for Plex JWT authentication.
// Keep it secret (MarshalPEM writes it for a file of mode 0600); fmt, slog
// and json.Marshal show only its key id.
type DeviceKey struct {
	priv ed25519.PrivateKey
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
	return &DeviceKey{priv: priv, kid: base64.RawURLEncoding.EncodeToString(sum[:])}
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
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
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

func (k *DeviceKey) String() string {
	if k == nil {
		return "plex.DeviceKey(nil)"
	}
	return "plex.DeviceKey{KeyID: " + k.kid + "}"
}

// Format shows only the key id, whatever the verb.
func (k *DeviceKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue shows only the key id in slog output.
func (k *DeviceKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON writes only the key id: the private key is never serialized
// by accident (use MarshalPEM on purpose).
func (k *DeviceKey) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"kid": k.kid})
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
	return signing + "." + enc.EncodeToString(ed25519.Sign(k.priv, []byte(signing))), nil
}

// RegisterDeviceKey registers k's public key with the account of
// xPlexToken, once per key. A key that is registered already ("Thumbprint
// Already Taken") counts as done. Only the given token is sent.
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
	err := core.InvokeNoContent(ctx, a.core, &opRegisterKey, a.clients, opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).RegisterDeviceKey(ctx, params, body, a.headers(xPlexToken))
	})
	var api *sdk.APIError
	if errors.As(err, &api) && api.StatusCode == http.StatusUnprocessableEntity &&
		strings.Contains(strings.ToLower(api.Message+" "+string(api.Body)), "thumbprint already taken") {
		return nil
	}
	return err
}

// ExchangeDeviceJWT trades a device JWT signed by k for a Plex JWT (valid
// about 7 days; use JWT.Token like any token). It fetches a fresh nonce and
// signs anew for every attempt: a nonce is single-use, so no device JWT is
// ever sent twice. The key must be registered (RegisterDeviceKey).
func (a *Authentication) ExchangeDeviceJWT(ctx context.Context, k *DeviceKey, opts ...sdk.CallOption) (*JWT, error) {
	if err := a.needClientID(&opExchange); err != nil {
		return nil, err
	}
	if k == nil {
		return nil, fmt.Errorf("%s: nil device key", opExchange.Name)
	}
	first, err := a.deviceJWT(ctx, k, opts)
	if err != nil {
		return nil, err
	}
	params := &plexapi.ExchangeDeviceJWTParams{XPlexClientIdentifier: a.clientID}
	info := &core.CallInfo{Refresh: func(ctx context.Context) ([]byte, error) {
		jwt, err := a.deviceJWT(ctx, k, opts)
		if err != nil {
			return nil, err
		}
		return json.Marshal(plexapi.ExchangeDeviceJWTJSONRequestBody{Jwt: jwt})
	}}
	rsp, err := core.Invoke[struct {
		AuthToken string `json:"auth_token"`
	}](ctx, a.core, &opExchange, a.clients, opts, info, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).ExchangeDeviceJWT(ctx, params, plexapi.ExchangeDeviceJWTJSONRequestBody{Jwt: first}, a.setFixed)
	})
	if err != nil {
		return nil, err
	}
	if rsp.AuthToken == "" {
		return nil, core.Incomplete(&opExchange, "auth_token")
	}
	exp, err := jwtExpiry(rsp.AuthToken)
	if err != nil {
		return nil, core.Incomplete(&opExchange, "Plex JWT with an exp claim ("+err.Error()+")")
	}
	return &JWT{Token: rsp.AuthToken, ExpiresAt: exp}, nil
}

// deviceJWT fetches a nonce and signs a device JWT with it.
func (a *Authentication) deviceJWT(ctx context.Context, k *DeviceKey, opts []sdk.CallOption) (string, error) {
	params := &plexapi.GetDeviceNonceParams{XPlexClientIdentifier: a.clientID}
	n, err := core.Invoke[struct {
		Nonce string `json:"nonce"`
	}](ctx, a.core, &opNonce, a.clients, opts, nil, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
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

// jwtExpiry reads the exp claim of a JWT without verifying it (plex.tv
// made it; the caller only needs to know when to refresh).
func jwtExpiry(token string) (time.Time, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, errors.New("not a JWT (want three dot-separated parts)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, errors.New("claims are not base64url")
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&claims); err != nil || claims.Exp == nil {
		return time.Time{}, errors.New("no exp claim")
	}
	f, err := claims.Exp.Float64()
	if err != nil || f <= 0 || f > 1e11 {
		return time.Time{}, errors.New("exp claim is not a Unix time")
	}
	return time.Unix(int64(f), 0), nil
}

// JWTSource hands out a Plex JWT, exchanging a new one only when needed.
// Safe for concurrent use.
type JWTSource struct {
	a *Authentication
	k *DeviceKey

	cur atomic.Pointer[JWT] // the held token, read without locking

	mu     sync.Mutex
	flight *exchange // the exchange in progress, shared by every caller
}

type exchange struct {
	done chan struct{}
	jwt  *JWT
	err  error
}

// jwtRefreshBefore: a held JWT that ends sooner than this is replaced.
const jwtRefreshBefore = 24 * time.Hour

// exchangeTimeout bounds a shared exchange that outlives its callers.
const exchangeTimeout = 5 * time.Minute

// NewJWTSource returns a JWTSource that exchanges device JWTs signed by k.
func (a *Authentication) NewJWTSource(k *DeviceKey) *JWTSource {
	return &JWTSource{a: a, k: k}
}

// Token returns a Plex JWT valid for at least 24 more hours when it can:
// the held one, or a new one from ExchangeDeviceJWT when none is held or the
// held one ends within 24 h. Concurrent callers share one exchange; each
// returns as soon as its own ctx ends. A failed exchange is not kept: the
// next call tries again.
func (s *JWTSource) Token(ctx context.Context) (*JWT, error) {
	if j := s.cur.Load(); j != nil && time.Until(j.ExpiresAt) > jwtRefreshBefore {
		return j, nil
	}
	if s.k == nil {
		return nil, fmt.Errorf("%s: nil device key", opExchange.Name)
	}
	s.mu.Lock()
	if j := s.cur.Load(); j != nil && time.Until(j.ExpiresAt) > jwtRefreshBefore {
		s.mu.Unlock()
		return j, nil
	}
	f := s.flight
	if f == nil {
		f = &exchange{done: make(chan struct{})}
		s.flight = f
		// Detached from the first caller's ctx: its cancellation must not
		// fail the exchange the others wait on.
		go s.run(context.WithoutCancel(ctx), f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.jwt, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", opExchange.Name, ctx.Err())
	}
}

func (s *JWTSource) run(ctx context.Context, f *exchange) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	f.jwt, f.err = s.a.ExchangeDeviceJWT(ctx, s.k)
	s.mu.Lock()
	if f.err == nil {
		s.cur.Store(f.jwt)
	}
	s.flight = nil
	s.mu.Unlock()
	close(f.done)
}

// Format keeps the held token out of fmt output.
func (s *JWTSource) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "plex.JWTSource{token: REDACTED}")
}

// LogValue keeps the held token out of slog output.
func (s *JWTSource) LogValue() slog.Value { return slog.StringValue("plex.JWTSource{token: REDACTED}") }
