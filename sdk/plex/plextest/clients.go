package plextest

// The fake clients.plex.tv: device keys, nonces, JWT exchange and verification.

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
)

// SetJWTLifetime sets the lifetime of the Plex JWTs issued from now on.
func (s *Server) SetJWTLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jwtLifetime = d
}

// IsRegisteredKey reports whether a device key with this key id is registered.
func (s *Server) IsRegisteredKey(kid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[kid] != nil
}

// thumbprint is the RFC 7638 thumbprint of an Ed25519 public key.
func thumbprint(x string) string {
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (s *Server) registerKey(w http.ResponseWriter, r *http.Request) {
	_, tok, ok := s.accountFor(r.Header.Get("X-Plex-Token"))
	if !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	var body struct{ JWK plex.JWK }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, http.StatusBadRequest, 1000, "Malformed JSON")
		return
	}
	pub, err := base64.RawURLEncoding.DecodeString(body.JWK.X)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		writeErr(w, http.StatusBadRequest, 1000, "Invalid key")
		return
	}
	kid := thumbprint(body.JWK.X)
	if body.JWK.Kid != "" && body.JWK.Kid != kid {
		s.f.Violate("POST /auth/jwk: kid %q is not the key's RFC 7638 thumbprint %q", body.JWK.Kid, kid)
	}
	s.mu.Lock()
	_, taken := s.keys[kid]
	if !taken {
		s.keys[kid], s.keyOwner[kid], s.keyClient[kid] = ed25519.PublicKey(pub), tok, r.Header.Get("X-Plex-Client-Identifier")
	}
	s.mu.Unlock()
	if taken {
		writeErr(w, http.StatusUnprocessableEntity, 1000, "Thumbprint Already Taken")
		return
	}
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) nonce(w http.ResponseWriter, r *http.Request) {
	n := randomHex(16)
	s.mu.Lock()
	s.nonces[n] = time.Now().Add(nonceLifetime)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"nonce": n})
}

// exchange verifies a device JWT as plex.tv does and issues a Plex JWT.
// Anything a correct client never sends is also recorded as a violation.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	var body struct{ JWT string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, http.StatusBadRequest, 1000, "Malformed JSON")
		return
	}
	refuse := func(status int, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		s.f.Violate("POST /auth/token: %s", msg)
		writeErr(w, status, 1000, msg)
	}
	parts := strings.Split(body.JWT, ".")
	if len(parts) != 3 {
		refuse(http.StatusBadRequest, "not a JWT")
		return
	}
	var header struct{ Alg, Typ, Kid string }
	var claims struct {
		Nonce, Scope, Aud, Iss string
		Iat, Exp               int64
	}
	if decodePart(parts[0], &header) != nil || decodePart(parts[1], &claims) != nil {
		refuse(http.StatusBadRequest, "JWT header or claims do not decode")
		return
	}
	if header.Alg != "EdDSA" || header.Typ != "JWT" || header.Kid == "" {
		refuse(http.StatusBadRequest, "header %+v, want alg EdDSA, typ JWT and a kid", header)
		return
	}
	s.mu.Lock()
	pub, owner, boundTo := s.keys[header.Kid], s.keyOwner[header.Kid], s.keyClient[header.Kid]
	s.mu.Unlock()
	if pub == nil {
		writeErr(w, http.StatusUnprocessableEntity, 1000, "Unknown key") // a test may exchange before registering
		return
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
		refuse(http.StatusUnprocessableEntity, "signature verification failed")
		return
	}
	if boundTo != "" && claims.Iss != boundTo {
		// plex.tv's answer to a key used under another client identifier
		// (plex-auth-flows.md §7): not a client bug the fake flags, an answer.
		writeErr(w, http.StatusUnauthorized, plex.CodeDeviceMismatch, "The device JWT does not match the device the key is registered to")
		return
	}
	now := time.Now().Unix()
	switch {
	case claims.Aud != "plex.tv":
		refuse(http.StatusUnprocessableEntity, "aud %q, want plex.tv", claims.Aud)
		return
	case claims.Iss != r.Header.Get("X-Plex-Client-Identifier"):
		refuse(http.StatusUnprocessableEntity, "iss %q is not the client identifier", claims.Iss)
		return
	case claims.Iat > now+60 || claims.Iat < now-int64(nonceLifetime.Seconds()) || claims.Exp <= now || claims.Exp-claims.Iat > int64(nonceLifetime.Seconds()):
		refuse(498, "iat %d / exp %d outside the 5-minute window", claims.Iat, claims.Exp)
		return
	}
	s.mu.Lock()
	expires, known := s.nonces[claims.Nonce]
	reused := s.usedNonces[claims.Nonce]
	delete(s.nonces, claims.Nonce)
	s.usedNonces[claims.Nonce] = true
	lifetime := s.jwtLifetime
	s.mu.Unlock()
	switch {
	case reused:
		refuse(http.StatusUnprocessableEntity, "nonce %q used twice", claims.Nonce)
		return
	case !known || time.Now().After(expires):
		refuse(http.StatusUnprocessableEntity, "nonce %q unknown or expired", claims.Nonce)
		return
	}
	token := s.issue(header.Kid, lifetime)
	s.mu.Lock()
	s.jwts[token] = owner
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"auth_token": token})
}

// checkPinJWT verifies a JWT PIN poll's device JWT as plex.tv would:
// signed by the PIN's key, an issued nonce, aud plex.tv, iss the client
// identifier, not expired. It returns why it refuses, or "". s.mu is held.
func (s *Server) checkPinJWT(p *pin, r *http.Request) string {
	if !strings.HasPrefix(r.URL.Path, ClientsPath) {
		return "a JWT PIN polled on plex.tv instead of clients.plex.tv"
	}
	tok := r.URL.Query().Get("deviceJWT")
	if tok == "" {
		return "a JWT PIN polled without deviceJWT"
	}
	parts := strings.Split(tok, ".")
	var header struct{ Alg, Typ, Kid string }
	var claims struct {
		Nonce, Scope, Aud, Iss string
		Iat, Exp               int64
	}
	if len(parts) != 3 || decodePart(parts[0], &header) != nil || decodePart(parts[1], &claims) != nil {
		return "deviceJWT is not a JWT"
	}
	pub, _ := base64.RawURLEncoding.DecodeString(p.jwk.X)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	now := time.Now()
	_, issued := s.nonces[claims.Nonce]
	switch {
	case header.Alg != "EdDSA" || header.Kid != thumbprint(p.jwk.X):
		return fmt.Sprintf("header %+v, want alg EdDSA and the PIN key's kid", header)
	case err != nil || !ed25519.Verify(ed25519.PublicKey(pub), []byte(parts[0]+"."+parts[1]), sig):
		return "signature does not verify against the PIN's jwk"
	case !issued && !s.usedNonces[claims.Nonce]:
		return fmt.Sprintf("nonce %q was never issued", claims.Nonce)
	case claims.Aud != "plex.tv":
		return fmt.Sprintf("aud %q, want plex.tv", claims.Aud)
	case claims.Iss != r.Header.Get("X-Plex-Client-Identifier"):
		return fmt.Sprintf("iss %q is not the client identifier", claims.Iss)
	case claims.Exp <= now.Unix() || claims.Exp-claims.Iat > int64(nonceLifetime.Seconds()):
		return fmt.Sprintf("expired or too long-lived device JWT (iat %d, exp %d, now %d)", claims.Iat, claims.Exp, now.Unix())
	}
	s.deviceJWTs[tok] = time.Unix(claims.Exp, 0)
	return ""
}

// DeviceJWTsSeen is how many distinct device JWTs JWT PIN polls carried.
func (s *Server) DeviceJWTsSeen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.deviceJWTs)
}

// issue signs a Plex JWT with the fake's own key (it takes no lock).
func (s *Server) issue(kid string, lifetime time.Duration) string {
	now := time.Now()
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "EdDSA", "typ": "JWT", "kid": s.kid()})
	c, _ := json.Marshal(map[string]any{"aud": "plex.tv", "iss": "plex.tv", "iat": now.Unix(),
		"exp": now.Add(lifetime).Unix(), "thumbprint": kid, "jti": randomHex(8)})
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	return signing + "." + enc.EncodeToString(ed25519.Sign(s.signer, []byte(signing)))
}

func (s *Server) kid() string {
	return thumbprint(base64.RawURLEncoding.EncodeToString(s.signer.Public().(ed25519.PublicKey)))
}

func (s *Server) publicKeys(w http.ResponseWriter, r *http.Request) {
	x := base64.RawURLEncoding.EncodeToString(s.signer.Public().(ed25519.PublicKey))
	writeJSON(w, http.StatusOK, map[string]any{"keys": []plex.JWK{{Kty: "OKP", Crv: "Ed25519", X: x, Use: "sig", Alg: "EdDSA", Kid: s.kid()}}})
}

func decodePart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
