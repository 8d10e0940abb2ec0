// Package plextest is a fake Plex Media Server, plex.tv and clients.plex.tv
// in one loopback httptest server, for tests. Every request and response is
// validated against api/plex/openapi.yaml; violations (including a token in
// a query string, a missing Accept: application/json, or a device JWT that
// breaks Plex's rules) are recorded, and faults can be injected.
//
// It knows accounts (with 2FA), PINs that a test approves (ApprovePin) or
// lets expire, the servers an account reaches (SetResources), and JWT device
// authentication: it verifies device JWTs against the registered key and
// issues Plex JWTs with a lifetime the test chooses (SetJWTLifetime).
//
// MediaServer is a loopback Plex Media Server with one identity, for
// Connect against candidates that answer, hang, refuse or answer as another
// machine.
//
//	srv := plextest.NewServer()
//	defer srv.Close()
//	c, _ := srv.Client() // a plex.Client for the fake's PMS, plex.tv and clients.plex.tv
//	acct, _ := c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: plextest.Login, Password: plextest.Password})
//	srv.AssertNoViolations(t)
package plextest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/authsdk/authsdk/api"
	"github.com/authsdk/authsdk/internal/fake"
	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/sdktest"
)

// Accounts and tokens the fake knows from the start.
const (
	Login            = "username@email.com" // password Password, no 2FA
	Password         = "hunter2"
	TwoFactorLogin   = "2fa@example.com" // password Password, code VerificationCode
	VerificationCode = "123456"
	UserToken        = "CxoUzBTSV5hsxjTpFKaf" // Login's authToken
	TwoFactorToken   = "2faUserToken0000000"  // TwoFactorLogin's authToken
	AccessToken      = "pms-access-token"     // accepted by the Plex Media Server
	ClientIdentifier = "plextest-client"
	Product          = "plextest"
	Source           = "server://client-identifier"
	PlexTVPath       = "/api/v2"         // where plex.tv is mounted on the fake
	ClientsPath      = "/clients/api/v2" // where clients.plex.tv is mounted
	ClaimPath        = "/api"            // plex.tv's /api, where the claim token is
)

// Defaults the fake starts with.
const (
	DefaultPinLifetime = 30 * time.Minute
	DefaultJWTLifetime = 7 * 24 * time.Hour
	nonceLifetime      = 5 * time.Minute
)

//go:embed testdata/get_user_details.200.json
var userFixture []byte

//go:embed testdata/get_source_connection_information.200.json
var sourceFixture []byte

//go:embed testdata/get_server_resources.200.json
var resourcesFixture []byte

// Fault is a misbehaviour injected with FailNext (a Plex JSON error body
// when Body and ContentType are empty).
type Fault = sdktest.Fault

// Request is one request the fake received.
type Request = sdktest.Request

type account struct {
	password, code, token string
}

type pin struct {
	id                 int64
	code, clientID     string
	product            string
	createdAt, expires time.Time
	token              string
	jwk                *plex.JWK // a JWT PIN: the device's public key
	jwt                string    // a JWT PIN's Plex JWT, once approved
}

// HomeProfile is a profile of a fake Plex Home (SetHomeUsers).
type HomeProfile struct {
	// User is what GET /home/users lists for the profile.
	User plex.HomeUser
	// PIN is the profile's PIN; switching needs it when User.Protected.
	PIN string
	// Token is the plex.tv token a switch to the profile answers; it works
	// with GET /user and /resources like any account token.
	Token string
}

// Default Home profiles of UserToken's account (see NewServer).
const (
	HomeAdminUUID     = "a1b2c3d4e5f60718" // the admin: the account itself
	HomeKidsUUID      = "b2c3d4e5f6071829" // a protected managed profile
	HomeKidsPIN       = "4821"             // its PIN
	HomeKidsToken     = "kidsProfileToken00001"
	HomeTeenUUID      = "c3d4e5f60718293a" // an unprotected profile
	HomeTeenToken     = "teenProfileToken00001"
	MachineIdentifier = "8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d" // the fake PMS's /identity (and the first resource's clientIdentifier)
)

// Server is the fake Plex Media Server + plex.tv + clients.plex.tv.
type Server struct {
	// URL is the base URL of the fake Plex Media Server (no trailing slash).
	URL string

	f *fake.Server

	mu          sync.Mutex
	accounts    map[string]account // by login
	transient   map[string]bool
	pins        map[int64]*pin
	nextPin     int64
	pinLifetime time.Duration
	resources   map[string][]byte // JSON array by account token
	keys        map[string]ed25519.PublicKey
	keyOwner    map[string]string    // kid → account token that registered it
	keyClient   map[string]string    // kid → client identifier it is bound to
	nonces      map[string]time.Time // unused nonces and when they expire
	usedNonces  map[string]bool
	jwts        map[string]string // issued Plex JWT → account token
	jwtLifetime time.Duration
	signer      ed25519.PrivateKey
	throttle    int
	revoked     map[string]bool          // signed-out tokens and JWTs
	homes       map[string][]HomeProfile // by the admin account's token
	deviceJWTs  map[string]time.Time     // device JWTs seen in PIN polls → their exp
}

// NewServer starts the fake with the accounts and tokens above.
func NewServer() *Server {
	f, err := fake.New(fake.Config{Spec: api.PlexSpec, Authenticate: authenticate, ErrorBody: errorBody})
	if err != nil {
		panic(err) // the embedded spec is validated by the test suite
	}
	_, signer, _ := ed25519.GenerateKey(rand.Reader)
	s := &Server{
		f: f, transient: map[string]bool{},
		accounts: map[string]account{
			Login:          {password: Password, token: UserToken},
			TwoFactorLogin: {password: Password, code: VerificationCode, token: TwoFactorToken},
		},
		pins: map[int64]*pin{}, nextPin: 1000, pinLifetime: DefaultPinLifetime,
		resources: map[string][]byte{UserToken: resourcesFixture},
		keys:      map[string]ed25519.PublicKey{}, keyOwner: map[string]string{}, keyClient: map[string]string{},
		nonces: map[string]time.Time{}, usedNonces: map[string]bool{},
		jwts: map[string]string{}, jwtLifetime: DefaultJWTLifetime, signer: signer,
		revoked: map[string]bool{}, homes: map[string][]HomeProfile{}, deviceJWTs: map[string]time.Time{},
	}
	s.homes[UserToken] = defaultHome()
	for _, p := range s.homes[UserToken][1:] {
		s.accounts["home:"+p.User.UUID] = account{token: p.Token}
	}
	f.Handle(http.MethodGet, "", "/security/token", s.checked(s.pmsAuth(s.transientToken)))
	f.Handle(http.MethodGet, "", "/security/resources", s.checked(s.pmsAuth(s.sourceResources)))
	f.Handle(http.MethodGet, PlexTVPath, "/user", s.checked(s.user))
	f.Handle(http.MethodPost, PlexTVPath, "/users/signin", s.checked(s.signIn))
	f.Handle(http.MethodPost, PlexTVPath, "/pins", s.checked(s.throttled(s.createPin)))
	f.Handle(http.MethodGet, PlexTVPath, "/pins/{id}", s.checked(s.throttled(s.getPin)))
	f.Handle(http.MethodGet, PlexTVPath, "/resources", s.checked(s.throttled(s.serverResources)))
	f.Handle(http.MethodPost, ClientsPath, "/auth/jwk", s.checked(s.throttled(s.registerKey)))
	f.Handle(http.MethodGet, ClientsPath, "/auth/nonce", s.checked(s.throttled(s.nonce)))
	f.Handle(http.MethodPost, ClientsPath, "/auth/token", s.checked(s.throttled(s.exchange)))
	f.Handle(http.MethodGet, ClientsPath, "/auth/keys", s.checked(s.publicKeys))
	f.Handle(http.MethodPost, ClientsPath, "/pins", s.checked(s.throttled(s.createPin)))
	f.Handle(http.MethodGet, ClientsPath, "/pins/{id}", s.checked(s.throttled(s.getPin)))
	f.Handle(http.MethodGet, PlexTVPath, "/ping", s.checked(s.throttled(s.ping)))
	f.Handle(http.MethodPut, PlexTVPath, "/pins/link", s.checked(s.throttled(s.linkPin)))
	f.Handle(http.MethodGet, ClaimPath, "/claim/token.json", s.checked(s.throttled(s.claimToken)))
	f.Handle(http.MethodDelete, PlexTVPath, "/users/signout", s.checked(s.throttled(s.signOut)))
	f.Handle(http.MethodGet, PlexTVPath, "/home/users", s.checked(s.throttled(s.homeUsers)))
	f.Handle(http.MethodPost, PlexTVPath, "/home/users/{uuid}/switch", s.checked(s.throttled(s.switchHome)))
	f.Handle(http.MethodGet, "", "/identity", s.checked(s.identity))
	f.Start()
	s.URL = f.URL
	return s
}

// PlexTVURL is the base URL of the fake plex.tv.
func (s *Server) PlexTVURL() string { return s.URL + PlexTVPath }

// ClientsURL is the base URL of the fake clients.plex.tv.
func (s *Server) ClientsURL() string { return s.URL + ClientsPath }

// Client returns a plex.Client aimed at the fake (PMS, plex.tv and
// clients.plex.tv), with AccessToken, ClientIdentifier, Product and
// millisecond retry waits (FastRetries); opts are applied after those.
func (s *Server) Client(opts ...plex.Option) (*plex.Client, error) {
	base := []plex.Option{
		plex.WithServerURL(s.URL),
		plex.WithPlexTVURL(s.PlexTVURL()),
		plex.WithClientsURL(s.ClientsURL()),
		plex.WithAccessToken(AccessToken),
		plex.WithClientIdentifier(ClientIdentifier),
		plex.WithClientInfo(plex.ClientInfo{Product: Product}),
		plex.WithRetryConfig(FastRetries()),
	}
	return plex.New(append(base, opts...)...)
}

// Close shuts the fake down.
func (s *Server) Close() { s.f.Close() }

// HTTPClient returns an *http.Client that talks to the fake.
func (s *Server) HTTPClient() *http.Client { return s.f.Client() }

// FailNext makes the next n requests that reach an operation show fault f
// (after request validation). Calls queue up in order.
func (s *Server) FailNext(n int, f Fault) { s.f.FailNext(n, f) }

// ThrottleNext makes the next n plex.tv PIN, resource and JWT requests
// answer 429 with code 1003, plex.tv's rate limit.
func (s *Server) ThrottleNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle += n
}

// Violations lists every request or response that broke the spec (or a
// rule the spec cannot express) so far.
func (s *Server) Violations() []string { return s.f.Violations() }

// AssertNoViolations fails t if any request or response broke the spec.
func (s *Server) AssertNoViolations(t testing.TB) {
	t.Helper()
	s.f.AssertNoViolations(t)
}

// RoundTrip answers req in memory, as the server would over the network,
// whatever host req names (plex.tv, clients.plex.tv and the Plex Media
// Server are told apart by path): a Server is an http.RoundTripper for
// tests under testing/synctest, where a real socket would stop the fake
// clock. Use it as a client's transport:
//
//	c, _ := plex.New(plex.WithPlexTVURL(srv.PlexTVURL()), plex.WithHTTPClient(&http.Client{Transport: srv}))
func (s *Server) RoundTrip(req *http.Request) (*http.Response, error) { return s.f.RoundTrip(req) }

// Hosts are the host names a plex.Transport must allow to give this
// server a token (Transport.Hosts): the fake listens on loopback, which is
// not plex.tv.
func (s *Server) Hosts() []string {
	u, _ := url.Parse(s.URL)
	return []string{u.Hostname()}
}

// Requests lists the requests received so far, oldest first.
func (s *Server) Requests() []Request { return s.f.Requests() }

// RequestCount is how many requests the fake received.
func (s *Server) RequestCount() int { return s.f.RequestCount() }

// FastRetries is sdk.DefaultRetryConfig with millisecond waits, for tests;
// it still honours Retry-After hints up to 2 s.
func FastRetries() sdk.RetryConfig { return fake.FastRetries() }

// AddAccount adds a plex.tv account; code "" means no 2FA.
func (s *Server) AddAccount(login, password, code, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[login] = account{password: password, code: code, token: token}
}

// IsTransientToken reports whether the fake issued token.
func (s *Server) IsTransientToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transient[token]
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
			p.token = token
			if p.jwk != nil {
				// Approving a JWT PIN registers its key with the account.
				kid := thumbprint(p.jwk.X)
				pub, _ := base64.RawURLEncoding.DecodeString(p.jwk.X)
				s.keys[kid], s.keyOwner[kid], s.keyClient[kid] = ed25519.PublicKey(pub), token, p.clientID
			}
			return nil
		}
	}
	return fmt.Errorf("plextest: no PIN with code %q", code)
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

// authenticate checks the token scheme is present (in the header).
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.RequestValidationInput.Request.Header.Get("X-Plex-Token") == "" {
		return errors.New("X-Plex-Token header missing")
	}
	return nil
}

type errorDetail struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

func errorJSON(status, code int, msg string) []byte {
	b, _ := json.Marshal(struct {
		Errors []errorDetail `json:"errors"`
	}{[]errorDetail{{code, msg, status}}})
	return b
}

func errorBody(status int, msg string) []byte {
	code := 1000
	if status == http.StatusUnauthorized {
		code = 1001
	}
	return errorJSON(status, code, msg)
}

func writeErr(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorJSON(status, code, msg))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := fake.WireJSON(v) // the SDK's types, secrets as the server sends them
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// checked records what the spec cannot say: tokens belong in the header,
// and Plex answers XML unless Accept is application/json.
func (s *Server) checked(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		checkRequest(s.f, r)
		h(w, r)
	}
}

// checkRequest records what every Plex request must not do: a token in
// the query string, or no Accept: application/json.
func checkRequest(f *fake.Server, r *http.Request) {
	for k := range r.URL.Query() {
		if strings.EqualFold(k, "X-Plex-Token") {
			f.Violate("%s %s: token sent in the query string", r.Method, r.URL.Path)
		}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Accept")); mt != "application/json" {
		f.Violate("%s %s: Accept %q, want application/json (Plex would answer XML)", r.Method, r.URL.Path, r.Header.Get("Accept"))
	}
}

// tokenBeforeProof records a token sent to GET /identity, which a client
// asks before it knows who answers; it reports whether there was one.
func tokenBeforeProof(f *fake.Server, r *http.Request) bool {
	if r.Header.Get("X-Plex-Token") == "" {
		return false
	}
	f.Violate("GET /identity: X-Plex-Token sent before the server was proven")
	return true
}

// writeIdentity answers GET /identity as machine.
func writeIdentity(w http.ResponseWriter, machine string) {
	writeJSON(w, http.StatusOK, map[string]any{"MediaContainer": map[string]any{
		"size": 0, "claimed": true, "machineIdentifier": machine, "version": "1.41.3.9314"}})
}

func (s *Server) throttled(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		throttle := s.throttle > 0
		if throttle {
			s.throttle--
		}
		s.mu.Unlock()
		if throttle {
			writeErr(w, http.StatusTooManyRequests, plex.CodeRateLimited, "API rate limit exceeded")
			return
		}
		h(w, r)
	}
}

func (s *Server) pmsAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Plex-Token")
		// The server's own token, a transient one, or its owner's account token (as on a real server).
		if tok != AccessToken && tok != UserToken && !s.IsTransientToken(tok) {
			writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
			return
		}
		h(w, r)
	}
}

func (s *Server) transientToken(w http.ResponseWriter, r *http.Request) {
	tok := "transient-" + randomHex(16)
	s.mu.Lock()
	s.transient[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"MediaContainer": map[string]any{"size": 0, "token": tok}})
}

func (s *Server) sourceResources(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("source") != Source {
		writeErr(w, http.StatusBadRequest, 1000, "Unknown source")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(sourceFixture)
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

func defaultHome() []HomeProfile {
	return []HomeProfile{
		{User: plex.HomeUser{ID: 1, UUID: HomeAdminUUID, Title: "username", Username: "username", Email: Login,
			Thumb: "https://plex.tv/users/a1b2c3d4e5f60718/avatar", Admin: true, HasPassword: true}, Token: UserToken},
		{User: plex.HomeUser{ID: 2, UUID: HomeKidsUUID, Title: "Kids", Thumb: "https://plex.tv/users/b2c3d4e5f6071829/avatar",
			RestrictionProfile: "little_kid", Restricted: true, Protected: true}, PIN: HomeKidsPIN, Token: HomeKidsToken},
		{User: plex.HomeUser{ID: 3, UUID: HomeTeenUUID, Title: "Teen", Thumb: "https://plex.tv/users/c3d4e5f60718293a/avatar",
			RestrictionProfile: "teen", Restricted: true}, Token: HomeTeenToken},
	}
}

// SetHomeUsers sets the Home of token's account (its admin); each
// profile's Token becomes a plex.tv token the fake accepts. nil removes the
// Home (the account is then outside any Home).
func (s *Server) SetHomeUsers(token string, profiles []HomeProfile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if profiles == nil {
		delete(s.homes, token)
		return
	}
	s.homes[token] = append([]HomeProfile(nil), profiles...)
	for _, p := range profiles {
		if p.Token != "" && p.Token != token {
			s.accounts["home:"+p.User.UUID] = account{token: p.Token}
		}
	}
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

// homeOf finds the Home that the account of token administers or belongs to.
func (s *Server) homeOf(token string) (admin string, profiles []HomeProfile) {
	_, acct, ok := s.accountFor(token)
	if !ok {
		return "", nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.homes[acct]; ok {
		return acct, h
	}
	for adminTok, h := range s.homes {
		for _, p := range h {
			if p.Token == acct {
				return adminTok, h
			}
		}
	}
	return acct, nil
}

func (s *Server) homeUsers(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.accountFor(r.Header.Get("X-Plex-Token")); !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	_, profiles := s.homeOf(r.Header.Get("X-Plex-Token"))
	users := make([]map[string]any, 0, len(profiles))
	for _, p := range profiles {
		u := p.User
		users = append(users, map[string]any{
			"id": u.ID, "uuid": u.UUID, "title": u.Title, "friendlyName": nil,
			"username": nullable(u.Username), "email": nullable(u.Email), "thumb": u.Thumb,
			"hasPassword": u.HasPassword, "restricted": u.Restricted, "restrictionProfile": nullable(u.RestrictionProfile),
			"admin": u.Admin, "guest": u.Guest, "protected": u.Protected, "updatedAt": 1700000000,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": 1, "name": "username's Home", "guestUserID": nil,
		"guestUserUUID": nil, "guestEnabled": false, "subscription": true, "users": users})
}

func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func (s *Server) switchHome(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.accountFor(r.Header.Get("X-Plex-Token")); !ok {
		writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
		return
	}
	_, profiles := s.homeOf(r.Header.Get("X-Plex-Token"))
	uuid := r.PathValue("uuid")
	for _, p := range profiles {
		if p.User.UUID != uuid {
			continue
		}
		if pin := r.URL.Query().Get("pin"); p.User.Protected && pin != p.PIN {
			writeErr(w, http.StatusForbidden, plex.CodePinRequired, "A valid PIN is required to perform this action")
			return
		}
		var m map[string]any
		_ = json.Unmarshal(userJSON(Login, p.Token), &m)
		m["id"], m["uuid"], m["title"], m["username"] = p.User.ID, p.User.UUID, p.User.Title, p.User.Username
		m["email"], m["restricted"], m["protected"], m["homeAdmin"] = p.User.Email, p.User.Restricted, p.User.Protected, p.User.Admin
		writeJSON(w, http.StatusCreated, m)
		return
	}
	writeErr(w, http.StatusNotFound, 1002, "User not found")
}

func (s *Server) identity(w http.ResponseWriter, r *http.Request) {
	tokenBeforeProof(s.f, r)
	writeIdentity(w, MachineIdentifier)
}
