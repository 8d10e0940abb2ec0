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
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
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

// Fault is a misbehaviour injected with FailNext (a Plex JSON error body
// when Body and ContentType are empty).
type Fault = sdktest.Fault

// Request is one request the fake received.
type Request = sdktest.Request

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
	approveAt   int                      // ApproveNextPin: approve the next PIN on this poll (0 = off)
	approveWith string                   // … with this account's token
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
	f.HandleOperation("getTransientToken", "", s.checked(s.pmsAuth(s.transientToken)))
	f.HandleOperation("getSourceConnectionInformation", "", s.checked(s.pmsAuth(s.sourceResources)))
	f.HandleOperation("getUserDetails", PlexTVPath, s.checked(s.user))
	f.HandleOperation("postUsersSignInData", PlexTVPath, s.checked(s.signIn))
	f.HandleOperation("createPin", PlexTVPath, s.checked(s.throttled(s.createPin)))
	f.HandleOperation("getPin", PlexTVPath, s.checked(s.throttled(s.getPin)))
	f.HandleOperation("getServerResources", PlexTVPath, s.checked(s.throttled(s.serverResources)))
	f.HandleOperation("registerDeviceKey", ClientsPath, s.checked(s.throttled(s.registerKey)))
	f.HandleOperation("getDeviceNonce", ClientsPath, s.checked(s.throttled(s.nonce)))
	f.HandleOperation("exchangeDeviceJWT", ClientsPath, s.checked(s.throttled(s.exchange)))
	f.HandleOperation("getPlexPublicKeys", ClientsPath, s.checked(s.publicKeys))
	f.HandleOperation("createPin", ClientsPath, s.checked(s.throttled(s.createPin)))
	f.HandleOperation("getPin", ClientsPath, s.checked(s.throttled(s.getPin)))
	f.HandleOperation("ping", PlexTVPath, s.checked(s.throttled(s.ping)))
	f.HandleOperation("linkPin", PlexTVPath, s.checked(s.throttled(s.linkPin)))
	f.HandleOperation("getClaimToken", ClaimPath, s.checked(s.throttled(s.claimToken)))
	f.HandleOperation("signOut", PlexTVPath, s.checked(s.throttled(s.signOut)))
	f.HandleOperation("getHomeUsers", PlexTVPath, s.checked(s.throttled(s.homeUsers)))
	f.HandleOperation("switchHomeUser", PlexTVPath, s.checked(s.throttled(s.switchHome)))
	f.HandleOperation("getIdentity", "", s.checked(s.identity))
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
