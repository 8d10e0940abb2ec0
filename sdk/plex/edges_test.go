package plex_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
)

func answer(t *testing.T, status int, ct, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestSignInRequestNeverPrintsItsSecrets(t *testing.T) {
	req := plex.SignInRequest{Login: "me", Password: "pw-SECRET", VerificationCode: "CODE-SECRET"}
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("sign in", "req", req, "ptr", &req)
	slog.New(slog.NewTextHandler(&b, nil)).Info("sign in", "req", req)
	j, _ := json.Marshal(req)
	out := b.String() + string(j) + fmt.Sprintf("%v %+v %#v %v", req, req, req, &req)
	if strings.Contains(out, "SECRET") || !strings.Contains(out, `"me"`) {
		t.Fatal(out)
	}
}

func TestSuccessWithoutTokenIsAnError(t *testing.T) {
	for _, body := range []string{"null", "{}"} {
		u := answer(t, 200, "application/json", body)
		c, err := plex.New(plex.WithServerURL(u), plex.WithPlexTVURL(u), plex.WithAccessToken("tok"), plex.WithClientIdentifier("cid"))
		if err != nil {
			t.Fatal(err)
		}
		if tt, err := c.Authentication.GetTransientToken(context.Background(), plex.TransientTokenTypeDelegation, plex.ScopeAll); err == nil {
			t.Errorf("transient token from %s: %v", body, tt)
		}
		if a, err := c.Authentication.PostUsersSignInData(context.Background(), plex.SignInRequest{Login: "l", Password: "p"}); err == nil {
			t.Errorf("sign-in from %s: %v", body, a)
		}
		if a, err := c.Authentication.GetUserDetails(context.Background(), "tok"); err == nil {
			t.Errorf("account from %s: %v", body, a)
		}
	}
}

// The sentinel table (errors.go): each answer matches exactly the
// sentinels listed, so a service that drops its token on ErrInvalidToken
// never drops a good one.
func TestSentinelTable(t *testing.T) {
	all := []error{plex.ErrInvalidToken, plex.ErrThrottled, plex.ErrSignInLocked, plex.ErrPinExpired,
		plex.ErrKeyRegistered, plex.ErrPinRequired, plex.ErrVerificationCodeRequired}
	lockout := `{"errors":[{"code":1031,"message":"This IP appears to be having trouble signing in to Plex. Please try again later. (detected repeated failures)","status":401}]}`
	cases := []struct {
		name     string
		status   int
		ct, body string
		call     string // "user", "pin", "register", "switch"
		want     []error
	}{
		{"1001", 401, "application/json", `{"errors":[{"code":1001,"message":"User could not be authenticated","status":401}]}`, "user", []error{plex.ErrInvalidToken}},
		{"401 no code", 401, "text/html", `<html><title>Unauthorized</title></html>`, "user", []error{plex.ErrInvalidToken}},
		{"422 xml", 422, "application/xml", `<errors><error>Invalid token</error></errors>`, "user", []error{plex.ErrInvalidToken}},
		{"498", 498, "application/json", `{"errors":[{"code":1000,"message":"token expired","status":498}]}`, "user", []error{plex.ErrInvalidToken}},
		{"429 text", 429, "text/plain", "slow down", "user", []error{plex.ErrThrottled}},
		{"429 1003", 429, "application/json", `{"errors":[{"code":1003,"message":"API rate limit exceeded","status":429}]}`, "user", []error{plex.ErrThrottled}},
		{"1031 lockout", 401, "application/json", lockout, "user", []error{plex.ErrSignInLocked}},
		{"1031 at sign-in", 401, "application/json", lockout, "signin", []error{plex.ErrSignInLocked}},
		{"404 html", 404, "text/html", `<html><title>Not Found</title></html>`, "pin", nil},
		{"404 1020", 404, "application/json", `{"errors":[{"code":1020,"message":"Code not found or expired","status":404}]}`, "pin", []error{plex.ErrPinExpired}},
		{"thumbprint", 422, "application/json", `{"errors":[{"code":1000,"message":"Thumbprint Already Taken","status":422}]}`, "register", []error{plex.ErrKeyRegistered}},
		{"1041", 403, "application/json", `{"errors":[{"code":1041,"message":"A valid PIN is required to perform this action","status":403}]}`, "switch", []error{plex.ErrPinRequired}},
		{"503", 503, "text/plain", "down", "user", nil},
	}
	for _, c := range cases {
		u := answer(t, c.status, c.ct, c.body)
		cl, _ := plex.New(plex.WithPlexTVURL(u), plex.WithClientsURL(u), plex.WithClientIdentifier("cid"),
			plex.WithRetryConfig(sdk.RetryConfig{Strategy: sdk.StrategyNone}))
		ctx := context.Background()
		var err error
		switch c.call {
		case "user":
			_, err = cl.Authentication.GetUserDetails(ctx, "tok")
		case "signin":
			_, err = cl.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: "a", Password: "b"})
		case "pin":
			_, err = cl.Authentication.GetPin(ctx, 7)
		case "register":
			k, _ := plex.NewDeviceKey()
			err = cl.Authentication.RegisterDeviceKey(ctx, "tok", k)
		case "switch":
			_, err = cl.Authentication.SwitchHomeUser(ctx, "tok", "abc", "1234")
		}
		var api *sdk.APIError
		if !errors.As(err, &api) || api.StatusCode != c.status {
			t.Errorf("%s: %v, want an *sdk.APIError with %d", c.name, err, c.status)
		}
		for _, s := range all {
			if want := slices.Contains(c.want, s); errors.Is(err, s) != want {
				t.Errorf("%s: errors.Is(err, %q) = %v, want %v", c.name, s, !want, want)
			}
		}
	}
}

// A lockout (1031) and a wrong Home PIN (1041) are never retried, even by a
// configuration that retries every 4xx.
func TestLockoutAndWrongPinNeverRetried(t *testing.T) {
	for _, c := range []struct{ status, code int }{{401, plex.CodeSignInLocked}, {429, plex.CodeSignInLocked}, {403, plex.CodePinRequired}} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			n.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(c.status)
			fmt.Fprintf(w, `{"errors":[{"code":%d,"message":"no","status":%d}]}`, c.code, c.status)
		}))
		retryAll := sdk.RetryConfig{StatusCodes: []string{"4XX"}, MaxAttempts: 5,
			Backoff: &sdk.BackoffStrategy{InitialInterval: time.Millisecond, MaxInterval: time.Millisecond}}
		cl, _ := plex.New(plex.WithPlexTVURL(srv.URL), plex.WithClientIdentifier("cid"), plex.WithRetryConfig(retryAll))
		_, err := cl.Authentication.GetUserDetails(context.Background(), "tok")
		_, err2 := cl.Authentication.SwitchHomeUser(context.Background(), "tok", "abc", "1234")
		srv.Close()
		if err == nil || err2 == nil || n.Load() != 2 {
			t.Errorf("%d/%d: %d requests for two calls, want 2 (%v; %v)", c.status, c.code, n.Load(), err, err2)
		}
	}
}

func TestControlCharactersRefusedBeforeSending(t *testing.T) {
	for name, opt := range map[string]plex.Option{
		"token":      plex.WithAccessToken("tok\x00en"),
		"client id":  plex.WithClientIdentifier("cid\x7f"),
		"product":    plex.WithClientInfo(plex.ClientInfo{Product: "p\x1b[2J"}),
		"user agent": plex.WithUserAgent("ua\tx"),
	} {
		if _, err := plex.New(opt); err == nil {
			t.Errorf("%s with a control character accepted", name)
		}
	}
	c, _ := plex.New(plex.WithPlexTVURL("http://127.0.0.1:1"))
	if _, err := c.Authentication.GetUserDetails(context.Background(), "tok\x00"); err == nil || strings.Contains(err.Error(), "tok\x00") {
		t.Fatalf("per-call token: %v", err)
	}
}

func TestGetPinExpiredByItsOwnAnswer(t *testing.T) {
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for _, body := range []string{
		`{"id":7,"code":"abcd","expiresIn":0,"authToken":null}`,
		`{"id":7,"code":"abcd","expiresAt":"` + past + `","authToken":null}`,
	} {
		u := answer(t, 200, "application/json", body)
		c, _ := plex.New(plex.WithPlexTVURL(u), plex.WithClientIdentifier("cid"))
		if _, err := c.Authentication.GetPin(context.Background(), 7); !errors.Is(err, plex.ErrPinExpired) {
			t.Errorf("%s: %v", body, err)
		}
		if _, err := c.Authentication.WaitForPin(context.Background(), &plex.Pin{ID: 7}, time.Millisecond); !errors.Is(err, plex.ErrPinExpired) {
			t.Errorf("wait, %s: %v", body, err)
		}
	}
	// Approved just before expiry: the token wins.
	u := answer(t, 200, "application/json", `{"id":7,"code":"abcd","expiresIn":0,"authToken":"tok-approved"}`)
	c, _ := plex.New(plex.WithPlexTVURL(u), plex.WithClientIdentifier("cid"))
	if p, err := c.Authentication.GetPin(context.Background(), 7); err != nil || p.AuthToken != "tok-approved" {
		t.Fatalf("%v %v", p, err)
	}
}

func TestPinFixturesDecode(t *testing.T) {
	created, _ := os.ReadFile("plextest/testdata/create_pin.201.json")
	approved, _ := os.ReadFile("plextest/testdata/get_pin.200.json")
	u := answer(t, 201, "application/json", string(created))
	c, _ := plex.New(plex.WithPlexTVURL(u), plex.WithClientIdentifier("cid"))
	p, err := c.Authentication.CreatePin(context.Background(), true)
	if err != nil || p.ID != 1234567890 || p.Code != "8lzjqnq8lye02n52jq3fqxf8e" || p.Product != "My App" || p.ClientIdentifier != "my-app-install-id" ||
		!p.ExpiresAt.Equal(time.Date(2025, 1, 1, 0, 30, 0, 0, time.UTC)) || p.AuthToken != "" {
		t.Fatalf("%+v %v", p, err)
	}
	var wire map[string]any
	_ = json.Unmarshal(approved, &wire)
	wire["expiresAt"] = time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	fresh, _ := json.Marshal(wire)
	u = answer(t, 200, "application/json", string(fresh))
	c, _ = plex.New(plex.WithPlexTVURL(u), plex.WithClientIdentifier("cid"))
	if p, err := c.Authentication.GetPin(context.Background(), 1234567890); err != nil || p.AuthToken != "CxoUzBTSV5hsxjTpFKaf" {
		t.Fatalf("%+v %v", p, err)
	}
}

// slog.Info("servers", "resources", rs) with the JSON handler: what people
// write; the result must redact itself.
func TestResourcesLogRedacted(t *testing.T) {
	u := answer(t, 200, "application/json", `[{"name":"pms","clientIdentifier":"x","accessToken":"resource-secret-token","connections":[]}]`)
	c, _ := plex.New(plex.WithPlexTVURL(u))
	rs, err := c.Authentication.GetServerResources(context.Background(), "tok")
	if err != nil || len(rs) != 1 || rs[0].AccessToken != "resource-secret-token" {
		t.Fatalf("%v %v", rs, err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("servers", "resources", rs)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("servers", "resources", rs)
	fmt.Fprintf(&buf, "%v %+v %#v", rs, rs, rs)
	if strings.Contains(buf.String(), "resource-secret-token") || !strings.Contains(buf.String(), "pms") {
		t.Fatalf("resources logged with their token:\n%s", buf.String())
	}
}

// Scrub first, then clean and cut: a password with a double space, echoed
// by the server, must not leak with one space; a secret straddling the
// 64 KiB cut of APIError.Body must not leave its prefix.
func TestScrubBeforeCleanAndCut(t *testing.T) {
	password := "open  sesame-42"
	u := answer(t, 401, "text/plain", "bad password "+password)
	c, _ := plex.New(plex.WithPlexTVURL(u), plex.WithClientIdentifier("cid"))
	_, err := c.Authentication.PostUsersSignInData(context.Background(), plex.SignInRequest{Login: "me", Password: sdk.Secret(password)})
	if err == nil || strings.Contains(err.Error(), "open sesame") || strings.Contains(err.Error(), "sesame-42") {
		t.Fatalf("password leaked: %v", err)
	}
	token := "tokenAtTheCut-0123456789"
	body := strings.Repeat("x", 64<<10-5) + token
	u = answer(t, 418, "text/plain", body)
	c, _ = plex.New(plex.WithPlexTVURL(u))
	_, err = c.Authentication.GetUserDetails(context.Background(), token)
	var api *sdk.APIError
	if !errors.As(err, &api) || bytes.Contains(api.Body, []byte(token[:5])) {
		t.Fatalf("the body kept a prefix of the token: ...%q", api.Body[len(api.Body)-10:])
	}
}

// A hostile resources array of empty objects: 8 MiB of "{}," would decode
// into about 2 GiB of Resource structs. The decode is refused instead.
func TestHostileArrayDecodeBounded(t *testing.T) {
	body := "[" + strings.Repeat("{},", 8<<20/3) + "{}]"
	u := answer(t, 200, "application/json", body)
	c, _ := plex.New(plex.WithPlexTVURL(u))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rs, err := c.Authentication.GetServerResources(context.Background(), "tok")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("%d resources decoded: %v", len(rs), err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
		t.Fatalf("refusing cost %d MiB", alloc>>20)
	}
	// A large honest answer still decodes.
	one := `{"name":"pms","clientIdentifier":"` + strings.Repeat("a", 40) + `","accessToken":"t","connections":[{"protocol":"https","address":"10.0.0.5","port":32400,"uri":"https://10-0-0-5.x.plex.direct:32400","local":true}]},`
	honest := "[" + strings.Repeat(one, 2000) + strings.TrimSuffix(one, ",") + "]"
	u = answer(t, 200, "application/json", honest)
	c, _ = plex.New(plex.WithPlexTVURL(u))
	if rs, err := c.Authentication.GetServerResources(context.Background(), "tok"); err != nil || len(rs) != 2001 {
		t.Fatalf("honest %d KiB answer: %d resources, %v", len(honest)>>10, len(rs), err)
	}
}

func TestEmptySourceConnectionIsAnError(t *testing.T) {
	for _, body := range []string{`{}`, `{"MediaContainer":{}}`, `{"MediaContainer":{"Device":{}}}`} {
		u := answer(t, 200, "application/json", body)
		c, _ := plex.New(plex.WithServerURL(u), plex.WithAccessToken("tok"))
		if sc, err := c.Authentication.GetSourceConnectionInformation(context.Background(), "server://x"); err == nil {
			t.Errorf("%s accepted as %v", body, sc)
		}
	}
}

// Any answer of N bytes costs at most about 8 × N to decode, whatever its
// shape, and an array whose elements are not the objects promised is an
// error, never empty results. (1 MiB answers: what is measured is a
// ratio; the same shapes at 16 MiB are in BENCHMARKS.md.)
func TestHostileShapesDecodeBounded(t *testing.T) {
	const n = 1 << 20
	repeat := func(open, elem, close string) string {
		return open + strings.Repeat(elem+",", (n-len(open)-len(close))/(len(elem)+1)) + elem + close
	}
	shapes := []struct {
		name, body string
		ok         bool
	}{
		{"nulls", repeat("[", "null", "]"), false},
		{"zeros", repeat("[", "0", "]"), false},
		{"empty strings", repeat("[", `""`, "]"), false},
		{"empty objects", repeat("[", "{}", "]"), false},
		{"empty arrays", repeat("[", "[]", "]"), false},
		{"deep nesting", strings.Repeat("[", n/2) + strings.Repeat("]", n/2), false},
		{"deep unknown field", `[{"x":` + strings.Repeat("[", n/2) + strings.Repeat("]", n/2) + `}]`, false},
		{"long string", `[{"name":"` + strings.Repeat("a", n) + `","clientIdentifier":"x"}]`, true},
		{"many unknown fields", repeat(`[{`, `"k":1`, `}]`), true},
	}
	for _, s := range shapes {
		u := answer(t, 200, "application/json", s.body)
		c, _ := plex.New(plex.WithPlexTVURL(u))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rs, err := c.Authentication.GetServerResources(context.Background(), "tok")
		runtime.ReadMemStats(&after)
		if (err == nil) != s.ok {
			t.Errorf("%s: %d resources, error %v", s.name, len(rs), err)
		}
		// readBody's buffer doubles as it reads (≈ 2 N) and the test
		// server's side runs in this process too; the decode itself is ≤ 8 N.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 12*uint64(len(s.body)) {
			t.Errorf("%s: allocated %.1f× the %d KiB answer", s.name, float64(alloc)/float64(len(s.body)), len(s.body)>>10)
		}
	}
}

// TestMeasureHostileShapes prints, for each hostile shape at
// AUTHSDK_MEASURE_MIB MiB, the bytes allocated and the peak live heap of
// the call as ratios of the body (BENCHMARKS.md). Skipped unless set.
func TestMeasureHostileShapes(t *testing.T) {
	mib, _ := strconv.Atoi(os.Getenv("AUTHSDK_MEASURE_MIB"))
	if mib <= 0 {
		t.Skip("set AUTHSDK_MEASURE_MIB to measure")
	}
	n := mib << 20
	repeat := func(open, elem, close string) string {
		return open + strings.Repeat(elem+",", (n-len(open)-len(close))/(len(elem)+1)) + elem + close
	}
	for _, s := range []struct{ name, body string }{
		{"nulls", repeat("[", "null", "]")}, {"zeros", repeat("[", "0", "]")}, {"empty strings", repeat("[", `""`, "]")},
		{"empty objects", repeat("[", "{}", "]")}, {"deep nesting", strings.Repeat("[", n/2) + strings.Repeat("]", n/2)},
		{"long string", `[{"name":"` + strings.Repeat("a", n) + `","clientIdentifier":"x"}]`},
		{"escaped key", repeat(`[{"\u0063onnections":[`, "{}", `]}]`)}, {"folded key (ſ)", repeat(`[{"connectionſ":[`, "{}", `]}]`)},
		{"honest resources", "[" + strings.Repeat(`{"name":"pms","clientIdentifier":"abc","accessToken":"t","connections":[{"protocol":"https","address":"10.0.0.5","port":32400,"uri":"https://10-0-0-5.x.plex.direct:32400","local":true}]},`, n/190) + `{"name":"x"}]`},
	} {
		u := answer(t, 200, "application/json", s.body)
		c, _ := plex.New(plex.WithPlexTVURL(u))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var peak atomic.Uint64
		done := make(chan struct{})
		go func() {
			var m runtime.MemStats
			for {
				select {
				case <-done:
					return
				default:
				}
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
				time.Sleep(time.Millisecond)
			}
		}()
		rs, err := c.Authentication.GetServerResources(context.Background(), "tok")
		close(done)
		runtime.ReadMemStats(&after)
		body := float64(len(s.body))
		t.Logf("%-16s %3d MiB: allocated %5.2f×, peak live heap %5.2f× the body; %d resources, err=%v", s.name, len(s.body)>>20,
			float64(after.TotalAlloc-before.TotalAlloc)/body, float64(peak.Load()-min(peak.Load(), before.HeapAlloc))/body, len(rs), err != nil)
	}
}
