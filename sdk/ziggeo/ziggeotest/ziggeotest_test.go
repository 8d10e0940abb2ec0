package ziggeotest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authsdk/authsdk/api"
	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/ziggeo"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

var ctx = context.Background()

func setup(t *testing.T, opts ...ziggeo.Option) (*ziggeotest.Server, *ziggeo.Client) {
	t.Helper()
	srv := ziggeotest.NewServer()
	t.Cleanup(func() {
		srv.AssertNoViolations(t)
		srv.Close()
	})
	c, err := srv.Client(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestSpecIsValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.ZiggeoSpec)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCRUD(t *testing.T) {
	_, c := setup(t)
	created, err := c.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{
		Volatile: ziggeo.Bool(true), SessionLimit: ziggeo.Int64(3),
		Grants: &ziggeo.Grants{Read: &ziggeo.Grant{All: true}, Create: &ziggeo.Grant{SessionOwned: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.Token == "" || *created.SessionLimit != 3 || !*created.Volatile || !created.Grants.Read.All || !created.Grants.Create.SessionOwned {
		t.Fatalf("created %+v", created)
	}
	got, err := c.AuthTokens.Get(ctx, string(created.Token))
	if err != nil || got.Token != created.Token {
		t.Fatalf("get: %+v %v", got, err)
	}
	upd, err := c.AuthTokens.Update(ctx, string(created.Token), ziggeo.AuthTokenParams{SessionLimit: ziggeo.Int64(9), Hidden: ziggeo.Bool(true)})
	if err != nil || *upd.SessionLimit != 9 || !*upd.Hidden || !*upd.Volatile {
		t.Fatalf("update: %+v %v", upd, err)
	}
	if err := c.AuthTokens.Delete(ctx, string(created.Token)); err != nil {
		t.Fatal(err)
	}
	_, err = c.AuthTokens.Get(ctx, string(created.Token))
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Operation != "ziggeo.AuthTokens.Get" || apiErr.Message != "Auth token not found" {
		t.Fatalf("get after delete: %v", err)
	}
}

// The requests match what Ziggeo's official Node SDK sends (recorded).
func TestRequestsMatchNodeSDK(t *testing.T) {
	raw, err := os.ReadFile("testdata/node-sdk-requests.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Requests []struct {
			Method, Path, Body string
			Headers            map[string]string
		}
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	srv := ziggeotest.NewServerWithCredentials("APPTOKEN123", "PRIVKEY456")
	defer srv.Close()
	for _, tok := range []string{"tokA", "tokB", "tokC"} {
		srv.AddToken(ziggeo.AuthToken{Token: sdk.Secret(tok)})
	}
	c, err := ziggeo.New("APPTOKEN123", "PRIVKEY456", ziggeo.WithServerURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthTokens.Get(ctx, "tokA"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{
		SessionLimit: ziggeo.Int64(200), Volatile: ziggeo.Bool(true), Hidden: ziggeo.Bool(false),
		ExpirationDate: ziggeo.Int64(1893456000), UsageExpirationTime: ziggeo.Int64(3600),
		Grants: &ziggeo.Grants{Read: &ziggeo.Grant{All: true}, Create: &ziggeo.Grant{SessionOwned: true}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthTokens.Update(ctx, "tokB", ziggeo.AuthTokenParams{SessionLimit: ziggeo.Int64(5), Grants: &ziggeo.Grants{Read: &ziggeo.Grant{All: true}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.AuthTokens.Delete(ctx, "tokC"); err != nil {
		t.Fatal(err)
	}
	got := srv.Requests()
	if len(got) != len(rec.Requests) {
		t.Fatalf("%d requests, want %d", len(got), len(rec.Requests))
	}
	for i, want := range rec.Requests {
		g := got[i]
		if g.Method != want.Method || g.Path != want.Path {
			t.Errorf("#%d: %s %s, want %s %s", i, g.Method, g.Path, want.Method, want.Path)
		}
		if g.Header.Get("Authorization") != want.Headers["Authorization"] {
			t.Errorf("#%d: Authorization %q, want %q", i, g.Header.Get("Authorization"), want.Headers["Authorization"])
		}
		if ct := want.Headers["Content-type"]; g.Header.Get("Content-Type") != ct {
			t.Errorf("#%d: Content-Type %q, want %q", i, g.Header.Get("Content-Type"), ct)
		}
		if gf, wf := formFields(t, string(g.Body)), formFields(t, want.Body); !reflect.DeepEqual(gf, wf) {
			t.Errorf("#%d: form %v, want %v", i, gf, wf)
		}
	}
	srv.AssertNoViolations(t)
}

// formFields decodes a form body; grants (a JSON string, or the Node SDK's
// bracket encoding grants[read][all]=true) become a decoded JSON value.
func formFields(t *testing.T, body string) map[string]any {
	t.Helper()
	v, err := url.ParseQuery(body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	grants := map[string]any{}
	for k, vs := range v {
		switch {
		case k == "grants":
			var g map[string]any
			if err := json.Unmarshal([]byte(vs[0]), &g); err != nil {
				t.Fatalf("grants %q is not JSON: %v", vs[0], err)
			}
			grants = g
		case strings.HasPrefix(k, "grants["):
			parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(k, "grants["), "]"), "][")
			m, _ := grants[parts[0]].(map[string]any)
			if m == nil {
				m = map[string]any{}
				grants[parts[0]] = m
			}
			m[parts[1]] = vs[0] == "true"
		default:
			out[k] = vs[0]
		}
	}
	if len(grants) > 0 {
		out["grants"] = grants
	}
	return out
}

func TestRetriesAgainstFake(t *testing.T) {
	srv, c := setup(t)
	tok := srv.AddToken(ziggeo.AuthToken{})
	srv.FailNext(2, ziggeotest.Fault{Status: 503})
	if _, err := c.AuthTokens.Get(ctx, string(tok.Token)); err != nil {
		t.Fatal(err)
	}
	if n := srv.RequestCount(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
	srv.FailNext(1, ziggeotest.Fault{Drop: true})
	if _, err := c.AuthTokens.Get(ctx, string(tok.Token)); err != nil {
		t.Fatalf("dropped connection not retried: %v", err)
	}
	srv.FailNext(5, ziggeotest.Fault{Status: 502})
	_, err := c.AuthTokens.Get(ctx, string(tok.Token), sdk.WithRetries(sdk.RetryConfig{Strategy: sdk.StrategyNone}))
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 502 {
		t.Fatalf("err = %v", err)
	}
}

func TestCreateNotRetriedOn500ButOn429(t *testing.T) {
	srv, c := setup(t)
	srv.FailNext(1, ziggeotest.Fault{Status: 500})
	before := srv.RequestCount()
	_, err := c.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{})
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || srv.RequestCount()-before != 1 {
		t.Fatalf("err = %v after %d requests", err, srv.RequestCount()-before)
	}
	srv.FailNext(1, ziggeotest.Fault{Status: 429, RetryAfter: "0"})
	before = srv.RequestCount()
	if _, err := c.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{}); err != nil || srv.RequestCount()-before != 2 {
		t.Fatalf("err = %v after %d requests", err, srv.RequestCount()-before)
	}
}

func TestPerCallServerURL(t *testing.T) {
	srv, c := setup(t)
	other := ziggeotest.NewServer()
	defer other.Close()
	tok := other.AddToken(ziggeo.AuthToken{})
	if _, err := c.AuthTokens.Get(ctx, string(tok.Token), sdk.WithServerURL(other.URL)); err != nil {
		t.Fatal(err)
	}
	if srv.RequestCount() != 0 || other.RequestCount() != 1 {
		t.Fatalf("requests: default %d, override %d", srv.RequestCount(), other.RequestCount())
	}
	if _, err := c.AuthTokens.Get(ctx, string(tok.Token), sdk.WithServerURL("not a url")); err == nil || !strings.Contains(err.Error(), "sdk.WithServerURL") {
		t.Fatalf("bad per-call URL: %v", err)
	}
	other.AssertNoViolations(t)
}

// hostRecorder sends every request to the fake but remembers where the SDK aimed it.
type hostRecorder struct {
	target *url.URL
	hosts  atomic.Value
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.hosts.Store(r.URL.Scheme + "://" + r.URL.Host)
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = h.target.Scheme, h.target.Host, ""
	return http.DefaultTransport.RoundTrip(r2)
}

func TestRegionalRouting(t *testing.T) {
	for app, want := range map[string]string{"r1abcdef": "https://srv-api-eu-west-1.ziggeo.com", "abcdef": "https://srv-api.ziggeo.com"} {
		srv := ziggeotest.NewServerWithCredentials(app, "pk")
		u, _ := url.Parse(srv.URL)
		rt := &hostRecorder{target: u}
		c, err := ziggeo.New(app, "pk", ziggeo.WithHTTPClient(&http.Client{Transport: rt}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{}); err != nil {
			t.Fatal(err)
		}
		if got := rt.hosts.Load(); got != want {
			t.Errorf("%s went to %v, want %s", app, got, want)
		}
		srv.AssertNoViolations(t)
		srv.Close()
	}
}

func TestPathValuesAreEscaped(t *testing.T) {
	srv, c := setup(t)
	for _, tok := range []string{"a?b=c", "a#frag", "with space", "...", "a..b", "%41"} {
		srv.AddToken(ziggeo.AuthToken{Token: sdk.Secret(tok)})
		got, err := c.AuthTokens.Get(ctx, tok)
		if err != nil || string(got.Token) != tok {
			t.Fatalf("%q: %+v %v", tok, got, err)
		}
		last := srv.Requests()[len(srv.Requests())-1]
		if last.RawQuery != "" || last.Path != "/v1/authtokens/"+url.PathEscape(tok) {
			t.Fatalf("%q sent as path %q query %q", tok, last.Path, last.RawQuery)
		}
	}
	n := srv.RequestCount()
	// One segment no server can normalise away or split: refused before sending.
	for _, bad := range []string{"", ".", "..", "%2e", "%2E%2e", "%252e%252e", "a/b", "../v1/authtokens", "%2F", "a%252fb", `a\b`, "%5C",
		"%zz%2F..%2F..%2Fswitch", "..;", "..;x", "%2e%2e;", ";x", "a\x00b", "%0a", "50%"} {
		if _, err := c.AuthTokens.Update(ctx, bad, ziggeo.AuthTokenParams{SessionLimit: ziggeo.Int64(1)}); err == nil {
			t.Fatalf("%q accepted by Update", bad)
		}
		if _, err := c.AuthTokens.Get(ctx, bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
		if err := c.AuthTokens.Delete(ctx, bad); err == nil {
			t.Fatalf("%q accepted by Delete", bad)
		}
	}
	if srv.RequestCount() != n {
		t.Fatal("a rejected value was sent")
	}
}

func TestWrongCredentialsAndNoSecretsLeak(t *testing.T) {
	srv := ziggeotest.NewServer()
	defer srv.Close()
	var logs bytes.Buffer
	const key, enc = "my-very-private-key", "my-very-secret-encryption-key"
	c, err := ziggeo.New(ziggeotest.AppToken, key, ziggeo.WithServerURL(srv.URL), ziggeo.WithEncryptionKey(enc),
		ziggeo.WithRetryConfig(ziggeotest.FastRetries()),
		ziggeo.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AuthTokens.Get(ctx, "x")
	var apiErr *sdk.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Fatalf("err = %v", err)
	}
	srv.FailNext(3, ziggeotest.Fault{Drop: true})
	_, err2 := c.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{})
	if err2 == nil {
		t.Fatal("dropped create succeeded")
	}
	all := err.Error() + err2.Error() + logs.String()
	if logs.Len() == 0 {
		t.Fatal("no debug logs")
	}
	for _, s := range []string{key, enc} {
		if strings.Contains(all, s) {
			t.Fatalf("secret leaked: %s", all)
		}
	}
	srv.AssertNoViolations(t)
}

func TestFakeRejectsOffSpecRequests(t *testing.T) {
	srv := ziggeotest.NewServer()
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/authtokens/", strings.NewReader("session_limit=notanumber"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(ziggeotest.AppToken, ziggeotest.PrivateKey)
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	noAuth, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/authtokens/x", nil)
	rsp2, err := http.DefaultClient.Do(noAuth)
	if err != nil {
		t.Fatal(err)
	}
	rsp2.Body.Close()
	if rsp.StatusCode != 400 || rsp2.StatusCode != 401 || len(srv.Violations()) != 2 {
		t.Fatalf("statuses %d/%d, violations %v", rsp.StatusCode, rsp2.StatusCode, srv.Violations())
	}
}

// Each update field can be set alone and is otherwise left alone: an unset
// field is not sent at all (the generated form's omitempty on a nullable
// field, oapi-codegen #2505, would also drop an explicit null — the form
// encoding has none, and Ziggeo documents no way to clear a field, so
// "clear" is not offered). A null in an answer decodes as unset.
func TestUpdateSendsExactlyTheFieldsSet(t *testing.T) {
	srv, c := setup(t)
	tok := srv.AddToken(ziggeo.AuthToken{})
	for field, p := range map[string]ziggeo.AuthTokenParams{
		"volatile":              {Volatile: ziggeo.Bool(false)},
		"hidden":                {Hidden: ziggeo.Bool(true)},
		"expiration_date":       {ExpirationDate: ziggeo.Int64(0)},
		"usage_expiration_time": {UsageExpirationTime: ziggeo.Int64(60)},
		"session_limit":         {SessionLimit: ziggeo.Int64(0)},
		"grants":                {Grants: &ziggeo.Grants{Read: &ziggeo.Grant{All: true}}},
	} {
		if _, err := c.AuthTokens.Update(ctx, string(tok.Token), p); err != nil {
			t.Fatalf("%s: %v", field, err)
		}
		reqs := srv.Requests()
		form, err := url.ParseQuery(string(reqs[len(reqs)-1].Body))
		if err != nil || len(form) != 1 || !form.Has(field) {
			t.Errorf("%s set alone: the form sent is %v (%v)", field, form, err)
		}
	}
	srv.AssertNoViolations(t)
	var got ziggeo.AuthToken
	if err := json.Unmarshal([]byte(`{"token":"t","expiration_date":null,"usage_expiration_time":null,"session_limit":null}`), &got); err != nil ||
		got.ExpirationDate != nil || got.UsageExpirationTime != nil || got.SessionLimit != nil {
		t.Fatalf("nulls in an answer: %+v %v", got, err)
	}
}
