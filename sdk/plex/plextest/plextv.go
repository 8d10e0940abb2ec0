package plextest

// The fake plex.tv: accounts, sign-in, PINs, resources, link, claim, sign-out.

import (
	"crypto/ed25519"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authsdk/authsdk/internal/fake"
	"github.com/authsdk/authsdk/sdk/plex"
)

//go:embed testdata/get_user_details.200.json
var userFixture []byte

//go:embed testdata/get_server_resources.200.json
var resourcesFixture []byte

type account struct {
	password, code, token string
}

type pin struct {
	id                 int64
	code, clientID     string
	product            string
	createdAt, expires time.Time
	token              string
	polls              int       // GET /pins/{id} answered so far
	jwk                *plex.JWK // a JWT PIN: the device's public key
	jwt                string    // a JWT PIN's Plex JWT, once approved
}

// AddAccount adds a plex.tv account; code "" means no 2FA.
func (s *Server) AddAccount(login, password, code, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[login] = account{password: password, code: code, token: token}
}

// SetPinLifetime sets how long PINs created from now on stay valid.
func (s *Server) SetPinLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinLifetime = d
}

// ApprovePin approves the PIN with this code as the user of token would on
// plex.tv: from its next poll on, the PIN carries token. It fails for an
// unknown or expired PIN.
func (s *Server) ApprovePin(code, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pins {
		if p.code == code {
			if !time.Now().Before(p.expires) {
				return fmt.Errorf("plextest: PIN %q has expired", code)
			}
			s.approveLocked(p, token)
			return nil
		}
	}
	return fmt.Errorf("plextest: no PIN with code %q", code)
}

// ApproveNextPin makes the fake approve the next PIN that is polled for
// the n-th time (n ≥ 1; 0 cancels), as the user of token would on plex.tv,
// once: a test of a PIN sign-in (a CLI run, an Example) then needs no
// goroutine watching for the PIN, and under testing/synctest no time
// passes but the polls' own.
func (s *Server) ApproveNextPin(n int, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.approveAt, s.approveWith = max(n, 0), token
}

// approveLocked approves p with token; s.mu is held.
func (s *Server) approveLocked(p *pin, token string) {
	p.token = token
	if p.jwk != nil {
		// Approving a JWT PIN registers its key with the account.
		kid := thumbprint(p.jwk.X)
		pub, _ := base64.RawURLEncoding.DecodeString(p.jwk.X)
		s.keys[kid], s.keyOwner[kid], s.keyClient[kid] = ed25519.PublicKey(pub), token, p.clientID
	}
}

// PendingPins lists the codes of the PINs that wait for approval, oldest
// first: what a test approves when the code is not at hand (a CLI run).
func (s *Server) PendingPins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id, p := range s.pins {
		if p.token == "" && time.Now().Before(p.expires) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	codes := make([]string, len(ids))
	for i, id := range ids {
		codes[i] = s.pins[id].code
	}
	return codes
}

// ExpirePin makes the PIN with this code expire now.
func (s *Server) ExpirePin(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pins {
		if p.code == code {
			p.expires = time.Now()
		}
	}
}

// LoopbackResources is the default resource list made reachable from
// here, for Connect: the first server ("Living Room PMS", answering as
// MachineIdentifier with AccessToken) has a local connection to this fake's
// Plex Media Server; the second is offline (a refused loopback port); the
// third, a shared server, lists this fake as its remote address, which
// answers as another machine. Give it to SetResources.
func (s *Server) LoopbackResources() []plex.Resource {
	var rs []plex.Resource
	if err := json.Unmarshal(resourcesFixture, &rs); err != nil {
		panic(err)
	}
	u, _ := url.Parse(s.URL)
	port, _ := strconv.Atoi(u.Port())
	here := plex.Connection{Protocol: "http", Address: u.Hostname(), Port: port, URI: s.URL}
	rs[0].AccessToken = AccessToken
	rs[0].HTTPSRequired = false
	rs[0].PublicAddressMatches = true // the caller is on its network: its local connection comes first
	local := here
	local.Local = true
	rs[0].Connections = []plex.Connection{local}
	rs[1].Connections = []plex.Connection{{Protocol: "http", Address: "127.0.0.1", Port: 1, URI: "http://127.0.0.1:1"}}
	rs[2].HTTPSRequired = false
	rs[2].Connections = []plex.Connection{here}
	return rs
}

// SetResources sets what GET /resources answers for token's account.
func (s *Server) SetResources(token string, rs []plex.Resource) {
	rs = append([]plex.Resource{}, rs...)
	for i := range rs {
		if rs[i].Connections == nil {
			rs[i].Connections = []plex.Connection{}
		}
	}
	b, err := fake.WireJSON(rs)
	if err != nil {
		panic(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resources[token] = b
}

// accountFor finds the login of a plex.tv token or an issued Plex JWT.
func (s *Server) accountFor(token string) (string, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revoked[token] {
		return "", "", false
	}
	if t, ok := s.jwts[token]; ok {
		token = t
	}
	for login, a := range s.accounts {
		if a.token == token {
			return login, token, true
		}
	}
	return "", "", false
}

// userJSON is the realistic fixture with the account's login and token.
func userJSON(login, token string) []byte {
	var m map[string]any
	_ = json.Unmarshal(userFixture, &m)
	m["authToken"] = token
	if login != Login {
		m["email"] = login
		m["username"] = strings.Split(login, "@")[0]
		m["twoFactorEnabled"] = true
	}
	b, _ := json.Marshal(m)
	return b
}

func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	login, tok, ok := s.accountFor(r.Header.Get("X-Plex-Token"))
	if !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(userJSON(login, tok))
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeErr(w, http.StatusBadRequest, 1000, "Malformed form")
		return
	}
	login, password, code := r.PostForm.Get("login"), r.PostForm.Get("password"), r.PostForm.Get("verificationCode")
	s.mu.Lock()
	a, ok := s.accounts[login]
	s.mu.Unlock()
	switch {
	case !ok || a.password != password:
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
	case a.code != "" && code == "":
		writeErr(w, http.StatusUnauthorized, plex.CodeVerificationCodeRequired, "Please enter the verification code")
	case a.code != "" && code != a.code:
		writeErr(w, http.StatusUnauthorized, 1030, "Invalid verification code")
	default:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(userJSON(login, a.token))
	}
}

const codeAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomCode(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[k.Int64()]
	}
	return string(b)
}

func (s *Server) pinJSON(p *pin) map[string]any {
	left := int64(time.Until(p.expires).Seconds())
	var token any
	if p.token != "" {
		token = p.token
	}
	return map[string]any{
		"id": p.id, "code": p.code, "product": p.product, "trusted": false,
		"qr": "https://plex.tv/api/v2/pins/qr/" + p.code, "clientIdentifier": p.clientID,
		"location": map[string]any{"code": "US"}, "expiresIn": left,
		"createdAt": p.createdAt.UTC().Format(time.RFC3339Nano), "expiresAt": p.expires.UTC().Format(time.RFC3339Nano),
		"authToken": token, "newRegistration": nil,
	}
}

func (s *Server) createPin(w http.ResponseWriter, r *http.Request) {
	strong := r.URL.Query().Get("strong") == "true"
	jwtPin := strings.HasPrefix(r.URL.Path, ClientsPath)
	var body struct {
		JWK    *plex.JWK `json:"jwk"`
		Strong bool      `json:"strong"`
	}
	if jwtPin {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.JWK == nil {
			s.f.Violate("POST %s: a JWT PIN needs a JSON body with the device's jwk", r.URL.Path)
			writeErr(w, http.StatusBadRequest, 1000, "jwk required")
			return
		}
		if pub, err := base64.RawURLEncoding.DecodeString(body.JWK.X); err != nil || len(pub) != ed25519.PublicKeySize {
			writeErr(w, http.StatusBadRequest, 1000, "Invalid key")
			return
		}
		strong = body.Strong
	}
	code := randomCode(4, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
	if strong {
		code = randomCode(25, codeAlphabet)
	}
	now := time.Now()
	s.mu.Lock()
	s.nextPin++
	p := &pin{id: s.nextPin, code: code, clientID: r.Header.Get("X-Plex-Client-Identifier"),
		product: r.Header.Get("X-Plex-Product"), createdAt: now, expires: now.Add(s.pinLifetime), jwk: body.JWK}
	s.pins[p.id] = p
	out := s.pinJSON(p)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) getPin(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	p := s.pins[id]
	var out map[string]any
	expired := p == nil || !time.Now().Before(p.expires)
	if !expired {
		if p.polls++; s.approveAt > 0 && p.polls >= s.approveAt && p.token == "" {
			s.approveLocked(p, s.approveWith)
			s.approveAt = 0 // once
		}
		if p.clientID != r.Header.Get("X-Plex-Client-Identifier") {
			s.f.Violate("GET /pins/%d: client identifier %q, the PIN was made for %q", id, r.Header.Get("X-Plex-Client-Identifier"), p.clientID)
		}
		out = s.pinJSON(p)
	}
	var refused string
	if !expired && p.jwk != nil {
		refused = s.checkPinJWT(p, r)
		switch {
		case refused != "":
			s.f.Violate("GET %s: %s", r.URL.Path, refused)
		case p.token != "":
			if p.jwt == "" {
				p.jwt = s.issue(thumbprint(p.jwk.X), s.jwtLifetime)
				s.jwts[p.jwt] = p.token
			}
			out["authToken"] = p.jwt
		}
	}
	s.mu.Unlock()
	if refused != "" {
		writeErr(w, 498, 1000, "device JWT refused: "+refused)
		return
	}
	if expired {
		writeErr(w, http.StatusNotFound, plex.CodePinExpired, "Code not found or expired")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) serverResources(w http.ResponseWriter, r *http.Request) {
	for _, k := range []string{"includeHttps", "includeRelay", "includeIPv6"} {
		if r.URL.Query().Get(k) != "1" {
			s.f.Violate("GET /resources: %s is not 1 (HTTPS, relay or IPv6 connections would be missing)", k)
		}
	}
	_, tok, ok := s.accountFor(r.Header.Get("X-Plex-Token"))
	if !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	s.mu.Lock()
	body, ok := s.resources[tok]
	s.mu.Unlock()
	if !ok {
		body = []byte("[]")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(body)
}

// IsSignedOut reports whether token was revoked by a sign-out.
func (s *Server) IsSignedOut(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked[token]
}

// linkPin approves the pending PIN with the code for the token's account,
// as plex.tv/link does.
func (s *Server) linkPin(w http.ResponseWriter, r *http.Request) {
	_, tok, ok := s.accountFor(r.Header.Get("X-Plex-Token"))
	if !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	if r.Header.Get("X-Plex-Product") != "Plex SSO" {
		s.f.Violate("PUT /pins/link: X-Plex-Product %q, want \"Plex SSO\"", r.Header.Get("X-Plex-Product"))
	}
	code := r.PostFormValue("code")
	if err := s.ApprovePin(code, tok); err != nil {
		writeErr(w, http.StatusNotFound, plex.CodePinExpired, "Code not found or expired")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// claimToken answers a new claim token for the token's account.
func (s *Server) claimToken(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.accountFor(r.Header.Get("X-Plex-Token")); !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": "claim-" + randomHex(10)})
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.accountFor(r.Header.Get("X-Plex-Token")); !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("X-Plex-Token")
	if _, _, ok := s.accountFor(tok); !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	s.mu.Lock()
	s.revoked[tok] = true
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
