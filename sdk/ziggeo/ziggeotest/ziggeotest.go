// Package ziggeotest is an in-memory fake of Ziggeo's authtokens API for
// tests. Every request and response is validated against the OpenAPI
// document the SDK is generated from (api/ziggeo/openapi.yaml); violations
// are recorded, and faults can be injected.
//
//	srv := ziggeotest.NewServer()
//	defer srv.Close()
//	c, _ := srv.Client() // a ziggeo.Client pointed at the fake
//	srv.FailNext(1, ziggeotest.Fault{Status: 503})
//	tok, _ := c.AuthTokens.Get(ctx, token) // the 503 is retried: Get is idempotent
//	srv.AssertNoViolations(t)
package ziggeotest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/authsdk/authsdk/api"
	"github.com/authsdk/authsdk/internal/fake"
	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/sdktest"
	"github.com/authsdk/authsdk/sdk/ziggeo"
)

// Credentials the fake accepts unless NewServerWithCredentials says otherwise.
const (
	AppToken      = "fake-app-token"
	PrivateKey    = "fake-private-key"
	EncryptionKey = "fake-encryption-key"
)

// Fault is a misbehaviour injected with FailNext (a Ziggeo JSON error body
// when Body and ContentType are empty).
type Fault = sdktest.Fault

// Request is one request the fake received.
type Request = sdktest.Request

// Server is the fake Ziggeo API on a loopback httptest server.
type Server struct {
	// URL is the base URL of the fake (no trailing slash).
	URL string

	f                    *fake.Server
	appToken, privateKey string

	mu     sync.Mutex
	tokens map[string]*ziggeo.AuthToken // by token
}

// NewServer starts a fake that accepts AppToken and PrivateKey.
func NewServer() *Server { return NewServerWithCredentials(AppToken, PrivateKey) }

// NewServerWithCredentials starts a fake that accepts the given credentials.
func NewServerWithCredentials(appToken, privateKey string) *Server {
	f, err := fake.New(fake.Config{Spec: api.ZiggeoSpec, Authenticate: authenticate, ErrorBody: errorBody})
	if err != nil {
		panic(err) // the embedded spec is validated by the test suite
	}
	s := &Server{f: f, appToken: appToken, privateKey: privateKey, tokens: map[string]*ziggeo.AuthToken{}}
	f.HandleOperation("createAuthToken", "", s.authorized(s.create))
	f.HandleOperation("getAuthToken", "", s.authorized(s.get))
	f.HandleOperation("updateAuthToken", "", s.authorized(s.update))
	f.HandleOperation("deleteAuthToken", "", s.authorized(s.delete))
	f.Start()
	s.URL = f.URL
	return s
}

// Close shuts the fake down.
func (s *Server) Close() { s.f.Close() }

// Client returns a ziggeo.Client for the fake's credentials and URL, with
// the fake's EncryptionKey and millisecond retry waits (FastRetries) so
// fault tests run fast. opts are applied after those.
func (s *Server) Client(opts ...ziggeo.Option) (*ziggeo.Client, error) {
	base := []ziggeo.Option{
		ziggeo.WithServerURL(s.URL),
		ziggeo.WithEncryptionKey(EncryptionKey),
		ziggeo.WithRetryConfig(FastRetries()),
	}
	return ziggeo.New(s.appToken, s.privateKey, append(base, opts...)...)
}

// RoundTrip answers req in memory, as the server would over the network,
// whatever host req names: put the Server in an http.Client's Transport
// for tests under testing/synctest, where a real socket would stop the
// fake clock. Requests are validated as over the network.
func (s *Server) RoundTrip(req *http.Request) (*http.Response, error) { return s.f.RoundTrip(req) }

// HTTPClient returns an *http.Client that talks to the fake.
func (s *Server) HTTPClient() *http.Client { return s.f.Client() }

// FailNext makes the next n requests that reach an operation show fault f
// (after request validation). Calls queue up in order.
func (s *Server) FailNext(n int, f Fault) { s.f.FailNext(n, f) }

// Violations lists every request or response that broke the spec so far.
func (s *Server) Violations() []string { return s.f.Violations() }

// AssertNoViolations fails t if any request or response broke the spec.
func (s *Server) AssertNoViolations(t testing.TB) {
	t.Helper()
	s.f.AssertNoViolations(t)
}

// Requests lists the requests received so far, oldest first.
func (s *Server) Requests() []Request { return s.f.Requests() }

// RequestCount is how many requests the fake received.
func (s *Server) RequestCount() int { return s.f.RequestCount() }

// FastRetries is sdk.DefaultRetryConfig with millisecond waits, for tests;
// it still honours Retry-After hints up to 2 s.
func FastRetries() sdk.RetryConfig { return fake.FastRetries() }

// AddToken stores a token as if it had been created (a random Token when
// t.Token is ""), and returns it.
func (s *Server) AddToken(t ziggeo.AuthToken) ziggeo.AuthToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Token == "" {
		t.Token = sdk.Secret(newID())
	}
	s.tokens[string(t.Token)] = &t
	return t
}

// Token returns a stored token by its token or key.
func (s *Server) Token(tokenOrKey string) (ziggeo.AuthToken, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.find(tokenOrKey); t != nil {
		return *t, true
	}
	return ziggeo.AuthToken{}, false
}

// authenticate checks the basicAuth scheme is present and well formed;
// whether the credentials are right is the handlers' business (401).
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return errors.New("missing HTTP Basic Authorization header")
	}
	dec, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || !strings.Contains(string(dec), ":") {
		return errors.New("malformed HTTP Basic credentials")
	}
	return nil
}

type errorJSON struct {
	Error string `json:"error"`
}

func errorBody(_ int, msg string) []byte {
	b, _ := json.Marshal(errorJSON{msg})
	return b
}

func (s *Server) authorized(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != s.appToken || pass != s.privateKey {
			writeJSON(w, http.StatusUnauthorized, errorJSON{"Unauthorized"})
			return
		}
		h(w, r)
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	t := &ziggeo.AuthToken{Token: sdk.Secret(newID()), Nonce: newID()}
	if err := apply(r, t); err != nil {
		writeJSON(w, http.StatusBadRequest, errorJSON{err.Error()})
		return
	}
	s.mu.Lock()
	s.tokens[string(t.Token)] = t
	out := *t
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t := s.find(r.PathValue("token_or_key"))
	var out ziggeo.AuthToken
	if t != nil {
		out = *t
	}
	s.mu.Unlock()
	if t == nil {
		writeJSON(w, http.StatusNotFound, errorJSON{"Auth token not found"})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.find(r.PathValue("token_or_key"))
	if t == nil {
		writeJSON(w, http.StatusNotFound, errorJSON{"Auth token not found"})
		return
	}
	c := *t
	if err := apply(r, &c); err != nil {
		writeJSON(w, http.StatusBadRequest, errorJSON{err.Error()})
		return
	}
	*t = c
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	t := s.find(r.PathValue("token_or_key"))
	if t != nil {
		delete(s.tokens, string(t.Token))
	}
	s.mu.Unlock()
	if t == nil {
		writeJSON(w, http.StatusNotFound, errorJSON{"Auth token not found"})
		return
	}
	w.WriteHeader(http.StatusOK) // Ziggeo answers delete with an empty body
}

// find looks a token up by token, then by key; s.mu held.
func (s *Server) find(v string) *ziggeo.AuthToken {
	if t, ok := s.tokens[v]; ok {
		return t
	}
	for _, t := range s.tokens {
		if t.Key != "" && t.Key == v {
			return t
		}
	}
	return nil
}

// apply sets the form fields of a create or update on t.
func apply(r *http.Request, t *ziggeo.AuthToken) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostForm
	for _, b := range []struct {
		name string
		dst  **bool
	}{{"volatile", &t.Volatile}, {"hidden", &t.Hidden}} {
		if v := f.Get(b.name); v != "" {
			x, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New(b.name + " must be true or false")
			}
			*b.dst = &x
		}
	}
	for _, n := range []struct {
		name string
		dst  **int64
	}{{"expiration_date", &t.ExpirationDate}, {"usage_expiration_time", &t.UsageExpirationTime}, {"session_limit", &t.SessionLimit}} {
		if v := f.Get(n.name); v != "" {
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return errors.New(n.name + " must be an integer")
			}
			*n.dst = &x
		}
	}
	if v := f.Get("grants"); v != "" {
		var g ziggeo.Grants
		if err := json.Unmarshal([]byte(v), &g); err != nil {
			return errors.New("grants must be a JSON object")
		}
		t.Grants = &g
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := fake.WireJSON(v) // the SDK's types, tokens as the server sends them
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
