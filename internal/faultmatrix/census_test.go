package faultmatrix

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/api"
	"github.com/authsdk/authsdk/internal/specops"
	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/sdk/ziggeo"
)

// The secrets census: every operation × every failure path × every output
// channel, with every secret searched raw, base64, URL-encoded and as its
// 6-character prefix.

const (
	cPrivate    = "PrivKy-census-0001"
	cEncryption = "EncKey-census-0002"
	cAccess     = "PmsAcc-census-0003"
	cUserToken  = "UsrTok-census-0004"
	cPassword   = "Pass w/rd+census-0005"
	cCode       = "731904"
	cAuthToken  = "ZigTok-census-0006"
	cPin        = "4821" // a Home profile's PIN: searched in its query form
	// deviceJWTHead begins every device JWT: base64url of {"alg":"EdDSA","typ":"JWT","kid":
	deviceJWTHead = "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6"
)

// forms are the shapes a secret can leak in.
func forms(s string) []string {
	return []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)),
		url.QueryEscape(s), url.PathEscape(s), s[:6]}
}

var censusSecrets = []string{cPrivate, cEncryption, cAccess, cUserToken, cPassword, cCode, cAuthToken}

// basicCredential is the Basic credential of the census client; its prefix
// is the application token, which is not a secret.
const basicCredential = "census-app:" + cPrivate

func leaks(text string) string {
	for _, s := range censusSecrets {
		for _, f := range forms(s) {
			if strings.Contains(text, f) {
				return f
			}
		}
	}
	for _, f := range []string{"pin=" + cPin, "pin%3D" + cPin, deviceJWTHead} {
		if strings.Contains(text, f) {
			return f
		}
	}
	for _, f := range forms(basicCredential)[:5] {
		if strings.Contains(text, f) {
			return f
		}
	}
	return ""
}

// echo answers with everything it received, as a hostile or buggy server or
// proxy would: URL, headers and body, in JSON and in text.
func echo(status int, ct string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		all := fmt.Sprintf("%s %s %v %s", r.Method, r.URL, r.Header, body)
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		if strings.Contains(ct, "json") {
			b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": 1001, "message": all, "status": status}}, "message": all})
			_, _ = w.Write(b)
			return
		}
		_, _ = io.WriteString(w, all)
	}
}

func TestSecretsCensus(t *testing.T) {
	ctx := context.Background()
	var logs bytes.Buffer
	jsonLog := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	textLog := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	paths := map[string]http.Handler{
		"401 JSON echo":      echo(401, "application/json"),
		"500 text echo":      echo(500, "text/plain"),
		"422 JSON echo":      echo(422, "application/json"),
		"200 bad JSON echo":  echo(200, "application/json"),
		"429 echo":           echo(429, "text/plain"),
		"connection refused": nil,
		// Nonces answer, everything else echoes: the device JWT of a JWT PIN
		// poll and of an exchange reaches the echo.
		"nonce then 400 echo": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/auth/nonce") {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"nonce":"census-nonce"}`)
				return
			}
			echo(400, "application/json")(w, r)
		}),
	}
	var channels []string
	// In a synctest bubble, answered in memory: the PIN waits' 2 s
	// deadlines take no wall time.
	synctest.Test(t, func(t *testing.T) {
		for name, h := range paths {
			const u = "http://census.test:8080"
			hc := &http.Client{Transport: refused{}}
			if h != nil {
				hc.Transport = inMemory{h}
			}
			retry := ziggeo.WithRetryConfig(sdk.RetryConfig{MaxAttempts: 2, Backoff: &sdk.BackoffStrategy{InitialInterval: time.Millisecond}})
			zc, err := ziggeo.New("census-app", cPrivate, ziggeo.WithEncryptionKey(cEncryption), ziggeo.WithServerURL(u), ziggeo.WithLogger(jsonLog), retry, ziggeo.WithHTTPClient(hc))
			if err != nil {
				t.Fatal(err)
			}
			pc, err := plex.New(plex.WithServerURL(u), plex.WithPlexTVURL(u), plex.WithClientsURL(u), plex.WithAccessToken(cAccess),
				plex.WithClientIdentifier("census-client"), plex.WithLogger(textLog), plex.WithHTTPClient(hc),
				plex.WithRetryConfig(sdk.RetryConfig{MaxAttempts: 2, Backoff: &sdk.BackoffStrategy{InitialInterval: time.Millisecond}}))
			if err != nil {
				t.Fatal(err)
			}
			key, _ := plex.NewDeviceKey()
			a := pc.Authentication
			calls := map[string]func() error{
				"ziggeo.Get":    func() error { _, err := zc.AuthTokens.Get(ctx, cAuthToken); return err },
				"ziggeo.Create": func() error { _, err := zc.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{}); return err },
				"ziggeo.Update": func() error {
					_, err := zc.AuthTokens.Update(ctx, cAuthToken, ziggeo.AuthTokenParams{SessionLimit: ziggeo.Int64(1)})
					return err
				},
				"ziggeo.Delete": func() error { return zc.AuthTokens.Delete(ctx, cAuthToken) },
				"plex.GetTransientToken": func() error {
					_, err := a.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
					return err
				},
				"plex.GetSourceConnectionInformation": func() error { _, err := a.GetSourceConnectionInformation(ctx, "server://x"); return err },
				"plex.GetUserDetails":                 func() error { _, err := a.GetUserDetails(ctx, cUserToken); return err },
				"plex.PostUsersSignInData": func() error {
					_, err := a.PostUsersSignInData(ctx, plex.SignInRequest{Login: "me", Password: cPassword, VerificationCode: cCode})
					return err
				},
				"plex.CreatePin":          func() error { _, err := a.CreatePin(ctx, true); return err },
				"plex.GetPin":             func() error { _, err := a.GetPin(ctx, 42); return err },
				"plex.GetServerResources": func() error { _, err := a.GetServerResources(ctx, cUserToken); return err },
				"plex.RegisterDeviceKey":  func() error { return a.RegisterDeviceKey(ctx, cUserToken, key) },
				"plex.ExchangeDeviceJWT":  func() error { _, err := a.ExchangeDeviceJWT(ctx, key); return err },
				"plex.Ping":               func() error { return a.Ping(ctx, cUserToken) },
				"plex.SignOut":            func() error { return a.SignOut(ctx, cUserToken) },
				"plex.GetHomeUsers":       func() error { _, err := a.GetHomeUsers(ctx, cUserToken); return err },
				"plex.LinkPin":            func() error { return a.LinkPin(ctx, cUserToken, "AB12") },
				"plex.GetClaimToken":      func() error { _, err := a.GetClaimToken(ctx, cUserToken); return err },
				"plex.SwitchHomeUser":     func() error { _, err := a.SwitchHomeUser(ctx, cUserToken, "abcdef0123456789", cPin); return err },
				"plex.CreateJWTPin":       func() error { _, err := a.CreateJWTPin(ctx, key, true); return err },
				"plex.WaitForPin": func() error {
					wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					defer cancel()
					_, err := a.WaitForPin(wctx, &plex.Pin{ID: 42}, time.Millisecond)
					return err
				},
				"plex.Connect": func() error {
					r := plex.Resource{Name: "pms", ClientIdentifier: "machine", AccessToken: cAccess, Owned: true,
						Connections: []plex.Connection{{Protocol: "http", URI: u + "/?X-Plex-Token=" + cUserToken, Local: true}}}
					_, err := a.Connect(ctx, r)
					return err
				},
				"plex.WaitForJWTPin": func() error {
					wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					defer cancel()
					_, err := a.WaitForJWTPin(wctx, &plex.Pin{ID: 42}, key, time.Millisecond)
					return err
				},
			}
			for op := range censusCovers {
				if calls[op] == nil {
					t.Fatalf("censusCovers names %q, which the census does not call", op)
				}
			}
			for op, call := range calls {
				err := call()
				if err == nil {
					continue // an echo that happens to decode (GetPin) is not a failure path
				}
				var b bytes.Buffer
				slog.New(slog.NewJSONHandler(&b, nil)).Info("call failed", "err", err)
				slog.New(slog.NewTextHandler(&b, nil)).Info("call failed", "err", err)
				channels = append(channels, name+" / "+op+": "+err.Error()+fmt.Sprintf(" %v %+v %#v %s", err, err, err, err)+b.String())
			}
			// Values holding secrets, through every channel.
			req := plex.SignInRequest{Login: "me", Password: cPassword, VerificationCode: cCode}
			src := a.NewJWTSource(key)
			tr := plex.Transport{Source: plex.StaticToken(cUserToken)}
			for _, v := range []any{zc, *zc, zc.AuthTokens, *zc.AuthTokens, zc.Auth, *zc.Auth, pc, *pc, a, *a, req, &req, key, *key, src, *src, tr, &tr} {
				var b bytes.Buffer
				slog.New(slog.NewJSONHandler(&b, nil)).Info("value", "v", v)
				slog.New(slog.NewTextHandler(&b, nil)).Info("value", "v", v)
				j, _ := json.Marshal(v)
				channels = append(channels, fmt.Sprintf("%T: %v %+v %#v %s ", v, v, v, v, v)+b.String()+string(j))
			}
		}
	})
	channels = append(channels, logs.String())
	for _, c := range channels {
		if f := leaks(c); f != "" {
			i := strings.Index(c, f)
			t.Errorf("secret form %q leaks in: …%s…", f, c[max(0, i-200):min(len(c), i+100)])
		}
	}
	if len(channels) < 60 {
		t.Fatalf("census covered only %d outputs", len(channels))
	}
}

// inMemory answers with h on the caller's goroutine, the request as a
// server would see it.
type inMemory struct{ h http.Handler }

func (m inMemory) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	res := rec.Result()
	res.Request = req
	return res, nil
}

// refused is an address nothing listens on.
type refused struct{}

func (refused) RoundTrip(req *http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
}

// Results show their tokens redacted in fmt, slog and json.Marshal, alone
// and nested in a user's struct, slice, map or any; %+v shows their other
// fields; JSON written by json.Marshal does not load back as a token.
func TestResultsRedactTokensEverywhere(t *testing.T) {
	ctx := context.Background()
	ps := plextest.NewServer()
	defer ps.Close()
	pc, err := ps.Client()
	if err != nil {
		t.Fatal(err)
	}
	a := pc.Authentication
	acct, err := a.GetUserDetails(ctx, plextest.UserToken)
	if err != nil {
		t.Fatal(err)
	}
	tt, err := a.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
	if err != nil {
		t.Fatal(err)
	}
	src, err := a.GetSourceConnectionInformation(ctx, plextest.Source)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := a.GetServerResources(ctx, plextest.UserToken)
	if err != nil {
		t.Fatal(err)
	}
	pin, err := a.CreatePin(ctx, true)
	if err != nil || ps.ApprovePin(pin.Code, plextest.UserToken) != nil {
		t.Fatal(err)
	}
	pin, err = a.GetPin(ctx, pin.ID)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := plex.NewDeviceKey()
	if err := a.RegisterDeviceKey(ctx, plextest.UserToken, key); err != nil {
		t.Fatal(err)
	}
	jwt, err := a.ExchangeDeviceJWT(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	claim, err := a.GetClaimToken(ctx, plextest.UserToken)
	if err != nil {
		t.Fatal(err)
	}
	switched, err := a.SwitchHomeUser(ctx, plextest.UserToken, plextest.HomeKidsUUID, plextest.HomeKidsPIN)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := a.Connect(ctx, ps.LoopbackResources()[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		v      any
		secret string
	}{{acct, string(acct.AuthToken)}, {*acct, string(acct.AuthToken)}, {tt, string(tt.Token)}, {src, string(src.Device.AccessToken)},
		{rs[0], string(rs[0].AccessToken)}, {&rs[1], string(rs[1].AccessToken)}, {pin, string(pin.AuthToken)}, {*pin, string(pin.AuthToken)}, {jwt, string(jwt.Token)}, {*jwt, string(jwt.Token)},
		{claim, string(claim.Token)}, {*claim, string(claim.Token)}, {switched, string(switched.AuthToken)}, {sc, string(sc.AccessToken)}, {*sc, string(sc.AccessToken)}} {
		if c.secret == "" {
			t.Fatalf("%T carries no token", c.v)
		}
		type cfg struct {
			Name string
			V    any
		}
		for i, v := range []any{c.v, cfg{"x", c.v}, []any{c.v}, map[string]any{"k": c.v}, []cfg{{"y", c.v}}} {
			var b bytes.Buffer
			slog.New(slog.NewJSONHandler(&b, nil)).Info("v", "v", v)
			slog.New(slog.NewTextHandler(&b, nil)).Info("v", "v", v)
			j, _ := json.Marshal(v)
			out := fmt.Sprintf("%v %+v %#v %x", v, v, v, v) + b.String() + string(j)
			// fmt prints a pointer nested in a value with %s or %q as its
			// error form "%!s(*T=&{…})", with every method (Secret's Format
			// too) switched off: no type can redact itself there. Values
			// nested, and pointers at the top, take every verb.
			if top := i == 0; top || reflect.TypeOf(c.v).Kind() != reflect.Pointer {
				out += fmt.Sprintf("%s %q", v, v)
			}
			if strings.Contains(out, c.secret[:6]) {
				t.Errorf("%T prints its token: %s", v, out)
			}
			if !strings.Contains(out, sdk.Redacted) {
				t.Errorf("%T does not show that it holds a token: %s", v, out)
			}
		}
		// The other fields show in %+v: debugging prints keep what users need.
		if out := fmt.Sprintf("%+v", c.v); strings.Count(out, ":") < 2 && !strings.Contains(out, "Token:REDACTED") {
			t.Errorf("%%+v of %T shows too little: %s", c.v, out)
		}
		// A store written by json.Marshal fails loudly on load.
		j, _ := json.Marshal(c.v)
		back := reflect.New(reflect.TypeOf(c.v)).Interface()
		if err := json.Unmarshal(j, back); !errors.Is(err, sdk.ErrRedactedSecret) {
			t.Errorf("%T: unmarshalling its json.Marshal output gave %v, want sdk.ErrRedactedSecret", c.v, err)
		}
	}
	ps.AssertNoViolations(t)
}

// censusCovers says which spec operations each census call sends.
var censusCovers = map[string][]string{
	"ziggeo.Get": {"getAuthToken"}, "ziggeo.Create": {"createAuthToken"}, "ziggeo.Update": {"updateAuthToken"}, "ziggeo.Delete": {"deleteAuthToken"},
	"plex.GetTransientToken": {"getTransientToken"}, "plex.GetSourceConnectionInformation": {"getSourceConnectionInformation"},
	"plex.GetUserDetails": {"getUserDetails"}, "plex.PostUsersSignInData": {"postUsersSignInData"}, "plex.CreatePin": {"createPin"},
	"plex.GetPin": {"getPin"}, "plex.WaitForPin": {"getPin"}, "plex.Connect": {"getIdentity"}, "plex.GetServerResources": {"getServerResources"},
	"plex.RegisterDeviceKey": {"registerDeviceKey"}, "plex.ExchangeDeviceJWT": {"getDeviceNonce", "exchangeDeviceJWT"},
	"plex.Ping": {"ping"}, "plex.SignOut": {"signOut"}, "plex.GetHomeUsers": {"getHomeUsers"}, "plex.SwitchHomeUser": {"switchHomeUser"},
	"plex.LinkPin": {"linkPin"}, "plex.GetClaimToken": {"getClaimToken"}, "plex.CreateJWTPin": {"createPin"}, "plex.WaitForJWTPin": {"getPin"},
}

// The census runs a call for every operation of both specs (but the one
// the SDK never sends): a new operation without a census call fails here.
func TestCensusCoversTheSpecs(t *testing.T) {
	covered := map[string]bool{}
	for _, ids := range censusCovers {
		for _, id := range ids {
			covered[id] = true
		}
	}
	for _, spec := range [][]byte{api.PlexSpec, api.ZiggeoSpec} {
		ops, err := specops.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range specops.IDs(ops) {
			if !covered[id] && id != "getPlexPublicKeys" {
				t.Errorf("operation %q has no census call (add it to TestSecretsCensus and censusCovers)", id)
			}
		}
	}
}
