// Package plextest is a fake Plex Media Server and plex.tv in one loopback
// httptest server, for tests. Every request and response is validated
// against api/plex/openapi.yaml; violations (including a token in a query
// string or a missing Accept: application/json) are recorded, and faults
// can be injected.
//
//	srv := plextest.NewServer()
//	defer srv.Close()
//	c, _ := srv.Client()   // a plex.Client for the fake's PMS and plex.tv
//	acct, _ := c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: plextest.Login, Password: plextest.Password})
//	srv.AssertNoViolations(t)
package plextest

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/authsdk/authsdk/api"
	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/fake"
	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
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
	Source           = "server://client-identifier"
	PlexTVPath       = "/api/v2" // where plex.tv is mounted on the fake
)

//go:embed testdata/get_user_details.200.json
var userFixture []byte

//go:embed testdata/get_source_connection_information.200.json
var sourceFixture []byte

// Fault is a misbehaviour injected with FailNext.
type Fault = fake.Fault

// Request is a request the fake received.
type Request = fake.Request

type account struct {
	password, code, token string
}

// Server is the fake Plex Media Server + plex.tv.
type Server struct {
	*fake.Server

	mu        sync.Mutex
	accounts  map[string]account // by login
	transient map[string]bool
}

// NewServer starts the fake with the accounts and tokens above.
func NewServer() *Server {
	f, err := fake.New(fake.Config{Spec: api.PlexSpec, Authenticate: authenticate, ErrorBody: errorBody})
	if err != nil {
		panic(err) // the embedded spec is validated by the test suite
	}
	s := &Server{Server: f, transient: map[string]bool{}, accounts: map[string]account{
		Login:          {password: Password, token: UserToken},
		TwoFactorLogin: {password: Password, code: VerificationCode, token: TwoFactorToken},
	}}
	f.Handle(http.MethodGet, "", "/security/token", s.checked(s.pmsAuth(s.transientToken)))
	f.Handle(http.MethodGet, "", "/security/resources", s.checked(s.pmsAuth(s.resources)))
	f.Handle(http.MethodGet, PlexTVPath, "/user", s.checked(s.user))
	f.Handle(http.MethodPost, PlexTVPath, "/users/signin", s.checked(s.signIn))
	f.Start()
	return s
}

// PlexTVURL is the base URL of the fake plex.tv.
func (s *Server) PlexTVURL() string { return s.URL + PlexTVPath }

// Client returns a plex.Client aimed at the fake (PMS and plex.tv), with
// AccessToken, ClientIdentifier and millisecond retry waits; opts follow.
func (s *Server) Client(opts ...plex.Option) (*plex.Client, error) {
	base := []plex.Option{
		plex.WithServerURL(s.URL),
		plex.WithPlexTVURL(s.PlexTVURL()),
		plex.WithAccessToken(AccessToken),
		plex.WithClientIdentifier(ClientIdentifier),
		plex.WithRetryConfig(FastRetries()),
	}
	return plex.New(append(base, opts...)...)
}

// FastRetries is the default retry policy with millisecond waits, for tests.
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

// authenticate checks the token scheme is present (in the header).
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.RequestValidationInput.Request.Header.Get("X-Plex-Token") == "" {
		return errors.New("X-Plex-Token header missing")
	}
	return nil
}

func errorBody(status int, msg string) []byte {
	code := 1000
	if status == http.StatusUnauthorized {
		code = 1001
	}
	b, _ := json.Marshal(plexapi.Errors{Errors: &[]plexapi.ErrorDetail{{Code: &code, Message: &msg, Status: &status}}})
	return b
}

func writeErr(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(plexapi.Errors{Errors: &[]plexapi.ErrorDetail{{Code: &code, Message: &msg, Status: &status}}})
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// checked records what the spec cannot say: tokens belong in the header,
// and Plex answers XML unless Accept is application/json.
func (s *Server) checked(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k := range r.URL.Query() {
			if strings.EqualFold(k, "X-Plex-Token") {
				s.Violate("%s %s: token sent in the query string", r.Method, r.URL.Path)
			}
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Accept")); mt != "application/json" {
			s.Violate("%s %s: Accept %q, want application/json (Plex would answer XML)", r.Method, r.URL.Path, r.Header.Get("Accept"))
		}
		h(w, r)
	}
}

func (s *Server) pmsAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Plex-Token")
		if tok != AccessToken && !s.IsTransientToken(tok) {
			writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
			return
		}
		h(w, r)
	}
}

func (s *Server) transientToken(w http.ResponseWriter, r *http.Request) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := "transient-" + hex.EncodeToString(b[:])
	s.mu.Lock()
	s.transient[tok] = true
	s.mu.Unlock()
	zero := 0
	writeJSON(w, http.StatusOK, plexapi.TransientTokenResponse{MediaContainer: plexapi.TransientToken{Size: &zero, Token: tok}})
}

func (s *Server) resources(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("source") != Source {
		writeErr(w, http.StatusBadRequest, 1000, "Unknown source")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(sourceFixture)
}

func (s *Server) accountFor(token string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for login, a := range s.accounts {
		if a.token == token {
			return login, true
		}
	}
	return "", false
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
	tok := r.Header.Get("X-Plex-Token")
	login, ok := s.accountFor(tok)
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
