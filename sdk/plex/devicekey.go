package plex

import (
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
	"time"
)

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
