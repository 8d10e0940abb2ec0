package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// approveWhenAsked approves the first PIN the fake sees.
func approveWhenAsked(t *testing.T, srv *plextest.Server, token string) {
	t.Helper()
	srv.ApproveNextPin(1, token) // on its first poll: no goroutine, no real time
}

func TestPlexLogin(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		envs := map[string]string{"PLEX_CLIENT_IDENTIFIER": "cli-login"}
		approveWhenAsked(t, srv, plextest.UserToken)
		r := runCLIMem(t, srv, "", envs, "plex", "login", "--plex-tv-url", srv.PlexTVURL())
		if r.code != 0 || strings.TrimSpace(r.stdout) != plextest.UserToken {
			t.Fatalf("login: %+v", r)
		}
		if !strings.Contains(r.stderr, "https://app.plex.tv/auth#?clientID=cli-login&code=") || strings.Contains(r.stderr, "▀") || !strings.Contains(r.stderr, "expires at") {
			t.Fatalf("no link or time left, or a QR code in a pipe, on stderr:\n%s", r.stderr)
		}
		approveWhenAsked(t, srv, plextest.UserToken)
		j := runCLIMem(t, srv, "", envs, "plex", "login", "--link", "--json", "--plex-tv-url", srv.PlexTVURL())
		if j.code != 0 || !strings.Contains(j.stdout, `"email": "username@email.com"`) || !strings.Contains(j.stderr, "https://plex.tv/link") {
			t.Fatalf("login --link --json: %+v", j)
		}
		srv.SetPinLifetime(1500 * time.Millisecond)
		x := runCLIMem(t, srv, "", envs, "plex", "login", "--plex-tv-url", srv.PlexTVURL())
		if x.code != 1 || !strings.Contains(x.stderr, "expired") || x.stdout != "" {
			t.Fatalf("expired PIN: %+v", x)
		}
		srv.AssertNoViolations(t)
	})
}

func TestPlexServers(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	envs := map[string]string{"PLEX_TOKEN": plextest.UserToken}
	r := runCLI(t, "", envs, "plex", "servers", "--plex-tv-url", srv.PlexTVURL())
	if r.code != 0 || !strings.Contains(r.stdout, "Living Room PMS") || !strings.Contains(r.stdout, "relay") || !strings.Contains(r.stdout, "local") ||
		strings.Contains(r.stdout, "iPhone") || strings.Contains(r.stdout, "srv1-access-token") {
		t.Fatalf("servers: %+v", r)
	}
	s := runCLI(t, "", envs, "plex", "servers", "--show-tokens", "--plex-tv-url", srv.PlexTVURL())
	if s.code != 0 || !strings.Contains(s.stdout, "srv1-access-token") {
		t.Fatalf("--show-tokens: %+v", s)
	}
	j := runCLI(t, "", envs, "plex", "servers", "--json", "--plex-tv-url", srv.PlexTVURL())
	if j.code != 0 || !strings.Contains(j.stdout, `"name": "Living Room PMS"`) || strings.Contains(j.stdout, "access-token") || strings.Contains(j.stdout, "accessToken") {
		t.Fatalf("--json without --show-tokens: %+v", j)
	}
	js := runCLI(t, "", envs, "plex", "servers", "--json", "--show-tokens", "--plex-tv-url", srv.PlexTVURL())
	if js.code != 0 || !strings.Contains(js.stdout, `"accessToken": "srv1-access-token`) {
		t.Fatalf("--json --show-tokens: %+v", js)
	}
	bad := runCLI(t, "", map[string]string{"PLEX_TOKEN": "revoked"}, "plex", "servers", "--plex-tv-url", srv.PlexTVURL())
	if bad.code != 1 || strings.Contains(bad.stderr, "revoked") {
		t.Fatalf("refused token: %+v", bad)
	}
	srv.AssertNoViolations(t)
}

func TestPlexJWT(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	key := filepath.Join(t.TempDir(), "device.pem")
	g := runCLI(t, "", nil, "plex", "jwt", "keygen", "--key-file", key)
	if g.code != 0 {
		t.Fatalf("keygen: %+v", g)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
	if again := runCLI(t, "", nil, "plex", "jwt", "keygen", "--key-file", key); again.code != 2 || !strings.Contains(again.stderr, "--force") {
		t.Fatalf("overwrite without --force: %+v", again)
	}
	before, _ := os.ReadFile(key)
	if f := runCLI(t, "", nil, "plex", "jwt", "keygen", "--key-file", key, "--force"); f.code != 0 {
		t.Fatalf("--force: %+v", f)
	}
	if after, _ := os.ReadFile(key); string(after) == string(before) {
		t.Fatal("--force kept the old key")
	}
	envs := map[string]string{"PLEX_TOKEN": plextest.UserToken, "PLEX_CLIENT_IDENTIFIER": "cli-jwt"}
	reg := runCLI(t, "", envs, "plex", "jwt", "register", "--key-file", key, "--clients-url", srv.ClientsURL())
	if reg.code != 0 || !strings.Contains(reg.stdout, "registered") {
		t.Fatalf("register: %+v", reg)
	}
	tok := runCLI(t, "", envs, "plex", "jwt", "token", "--key-file", key, "--clients-url", srv.ClientsURL())
	if tok.code != 0 || strings.Count(strings.TrimSpace(tok.stdout), ".") != 2 || !strings.Contains(tok.stderr, "expires") {
		t.Fatalf("token: %+v", tok)
	}
	j := runCLI(t, "", envs, "plex", "jwt", "token", "--key-file", key, "--json", "--clients-url", srv.ClientsURL())
	if j.code != 0 || !strings.Contains(j.stdout, `"expiresAt"`) {
		t.Fatalf("token --json: %+v", j)
	}
	if r := runCLI(t, "", envs, "plex", "jwt", "token", "--key-file", filepath.Join(t.TempDir(), "none.pem")); r.code != 2 {
		t.Fatalf("missing key file: %+v", r)
	}
	srv.AssertNoViolations(t)
}

// A hostile server cannot rewrite the terminal, and no secret reaches stderr.
func TestHostileServerTextIsStripped(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	srv.FailNext(1, plextest.Fault{Status: 401, ContentType: "application/json",
		Body: `{"errors":[{"code":1001,"message":"\u001b[2J\u001b[HSigned in OK\u202e\u0007 ` + plextest.UserToken + `","status":401}]}`})
	r := runCLI(t, "", map[string]string{"PLEX_TOKEN": plextest.UserToken}, "plex", "user", "--plex-tv-url", srv.PlexTVURL())
	if r.code != 1 || strings.ContainsAny(r.stderr, "\x1b\x07\u202e") || strings.Contains(r.stderr, plextest.UserToken[:6]) || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("%q", r.stderr)
	}
}

// Ctrl-C while plex login waits for approval ends it with 130 at once.
func TestPlexLoginInterrupted(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	key := filepath.Join(t.TempDir(), "device.pem")
	for _, args := range [][]string{
		{"plex", "login", "--plex-tv-url", srv.PlexTVURL()},
		{"plex", "login", "--jwt", "--key-file", key, "--clients-url", srv.ClientsURL()},
	} {
		cmd := exec.Command(binary, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PLEX_CLIENT_IDENTIFIER=cli-interrupt", "AUTHSDK_CONFIG_DIR=" + testConfigDir(t)}
		var stderr ptyOutput
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stderr.waitFor(t, "Waiting for approval")
		_ = cmd.Process.Signal(os.Interrupt)
		if code, exited := exitWithin(cmd); !exited || code != 130 {
			t.Fatalf("%v: exited %v with %d; stderr %q", args, exited, code, stderr.String())
		}
	}
}

// The census's CLI channel: stderr of failing commands against a server
// that echoes everything it gets shows no secret in any form.
func TestCLIStderrHasNoSecrets(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		msg := fmt.Sprintf("%s %s %v %s", r.Method, r.URL, r.Header, body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": 1001, "message": msg, "status": 401}}})
		_, _ = w.Write(b)
	}))
	defer echo.Close()
	const private, plexToken, password, code = "PrivKy-cli-000001", "PlxTok-cli-000002", "Pass w/rd+cli-03", "554433"
	secrets := []string{private, plexToken, password, code, "app:" + private}
	envs := map[string]string{"ZIGGEO_APP_TOKEN": "app", "ZIGGEO_PRIVATE_KEY": private, "PLEX_TOKEN": plexToken, "PLEX_CLIENT_IDENTIFIER": "cid"}
	runs := []result{
		runCLI(t, "", envs, "ziggeo", "authtokens", "get", "tokvalue-0000000000", "--server-url", echo.URL, "--retries", "0"),
		runCLI(t, "", envs, "ziggeo", "authtokens", "create", "--server-url", echo.URL),
		runCLI(t, "", envs, "plex", "user", "--plex-tv-url", echo.URL),
		runCLI(t, "", envs, "plex", "servers", "--plex-tv-url", echo.URL),
		runCLI(t, password+"\n"+code+"\n", envs, "plex", "signin", "--login", "me", "--plex-tv-url", echo.URL),
		runCLI(t, "", envs, "plex", "transient-token", "--server-url", echo.URL),
	}
	for i, r := range runs {
		if r.code != 1 {
			t.Errorf("run %d: exit %d %q", i, r.code, r.stderr)
		}
		for _, s := range secrets {
			for _, f := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)), url.QueryEscape(s), s[:6]} {
				if strings.Contains(r.stderr+r.stdout, f) && !(s == "app:"+private && f == s[:6]) {
					t.Errorf("run %d: %q leaks in %q", i, f, r.stderr)
				}
			}
		}
	}
}

// --connect names, per server, the connection that answered as that server
// and its latency; the cause of each failure is one line on stderr, and a
// failure of a server plex.tv lists as present makes the exit 1.
func TestPlexServersConnect(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	srv.SetResources(plextest.UserToken, srv.LoopbackResources())
	envs := map[string]string{"PLEX_TOKEN": plextest.UserToken}
	r := runCLI(t, "", envs, "plex", "servers", "--connect", "--plex-tv-url", srv.PlexTVURL())
	if r.code != 1 {
		t.Fatalf("--connect with two servers that do not answer: %+v, want exit 1", r)
	}
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n") + 1; n != 2 || strings.Contains(r.stderr, "plex.Authentication") {
		t.Errorf("want one line per failed server, in the CLI's words:\n%s", r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "Living Room PMS") || !strings.Contains(lines[1], "local") || !strings.Contains(lines[1], srv.URL) ||
		!strings.Contains(lines[2], "offline") || !strings.Contains(lines[3], "no connection answered") {
		t.Fatalf("--connect table:\n%s", r.stdout)
	}
	// A server plex.tv lists as offline that does not answer is reported, not a failure.
	srv.SetResources(plextest.UserToken, srv.LoopbackResources()[:2])
	if o := runCLI(t, "", envs, "plex", "servers", "--connect", "--plex-tv-url", srv.PlexTVURL()); o.code != 0 || !strings.Contains(o.stderr, "(offline)") {
		t.Fatalf("only an offline server does not answer: %+v, want exit 0", o)
	}
	srv.SetResources(plextest.UserToken, srv.LoopbackResources())
	if !strings.Contains(r.stderr, "connection refused") || !strings.Contains(r.stderr, "another server") || strings.Contains(r.stdout+r.stderr, plextest.AccessToken) {
		t.Errorf("--connect causes:\n%s", r.stderr)
	}
	j := runCLI(t, "", envs, "plex", "servers", "--connect", "--json", "--plex-tv-url", srv.PlexTVURL())
	var out []struct {
		Name        string
		AccessToken string
		Connection  *struct {
			URL       string
			Kind      string
			LatencyMS float64
		}
		ConnectionError string
	}
	if err := json.Unmarshal([]byte(j.stdout), &out); err != nil || len(out) != 3 {
		t.Fatalf("--connect --json: %v\n%s", err, j.stdout)
	}
	if c := out[0].Connection; c == nil || c.URL != srv.URL || c.Kind != "local" || c.LatencyMS <= 0 || out[0].AccessToken != "" {
		t.Errorf("first server: %+v", out[0])
	}
	if out[1].Connection != nil || !strings.Contains(out[1].ConnectionError, "127.0.0.1:1") {
		t.Errorf("offline server: %+v", out[1])
	}
	srv.AssertNoViolations(t)
}

// A token with terminal control characters from a hostile server is an
// error, never output: signin and transient-token print tokens too.
func TestHostileTokensAreNotPrinted(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	srv.FailNext(1, plextest.Fault{Status: 201, Body: `{"id":1,"uuid":"u1","username":"me","email":"me@example.com","authToken":"\u001b]0;pwned\u0007tok12345"}`})
	r := runCLI(t, plextest.Password+"\n", map[string]string{"PLEX_CLIENT_IDENTIFIER": "cid", "PLEX_TV_URL": srv.PlexTVURL()}, "plex", "signin", "--login", plextest.Login)
	if r.code != 1 || r.stdout != "" || strings.ContainsAny(r.stderr, "\x1b\x07") {
		t.Errorf("signin: %+v", r)
	}
	srv.FailNext(1, plextest.Fault{Status: 200, Body: `{"MediaContainer":{"size":0,"token":"\u202etok\u001b[2J"}}`})
	r = runCLI(t, "", map[string]string{"PLEX_TOKEN": plextest.AccessToken, "PLEX_SERVER_URL": srv.URL}, "plex", "transient-token")
	if r.code != 1 || r.stdout != "" || strings.ContainsAny(r.stderr, "\x1b\u202e") {
		t.Errorf("transient-token: %+v", r)
	}
}

// On a terminal the QR code is drawn when it fits; --no-qr, a terminal too
// small for it, or --link leave it out.
func TestLoginQRCodeChoices(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		const uuid = "3f2504e0-4f89-41d3-9a0c-0305e82c3301" // a longer link: a larger QR code
		for _, tc := range []struct {
			args         []string
			cid          string
			w, h         int
			wantQR, hint bool
		}{
			{nil, "qr", 80, 24, true, false},
			{[]string{"--no-qr"}, "qr", 80, 24, false, false},
			{nil, "qr", 80, 20, true, false}, // without the product name
			{nil, "qr", 80, 12, false, true},
			{nil, "qr", 60, 40, false, true},
			{[]string{"--link"}, "qr", 80, 24, false, false},
			{nil, uuid, 80, 24, true, false}, // the link without the product name fits
			{nil, uuid, 80, 20, false, true},
			{nil, uuid, 80, 30, true, false},
		} {
			approveWhenAsked(t, srv, plextest.UserToken)
			var out, errb bytes.Buffer
			e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string {
				return map[string]string{"PLEX_TV_URL": srv.PlexTVURL(), "PLEX_CLIENT_IDENTIFIER": tc.cid, "AUTHSDK_CONFIG_DIR": testConfigDir(t)}[k]
			}, isTerminal: true, termSize: func() (int, int, bool) { return tc.w, tc.h, true }, transport: srv}
			e.readSecret = terminalSecretReader(e)
			code := run(context.Background(), append([]string{"plex", "login"}, tc.args...), e)
			if code != 0 || strings.TrimSpace(out.String()) != plextest.UserToken {
				t.Errorf("%v %dx%d: exit %d %q", tc.args, tc.w, tc.h, code, errb.String())
			}
			if got := strings.Contains(errb.String(), "\x1b[30;107m"); got != tc.wantQR {
				t.Errorf("%v %s %dx%d: QR code drawn %v, want %v:\n%s", tc.args, tc.cid, tc.w, tc.h, got, tc.wantQR, errb.String())
			}
			if got := strings.Contains(errb.String(), "A larger terminal shows a QR code"); got != tc.hint {
				t.Errorf("%v %s %dx%d: hint for a larger terminal %v, want %v", tc.args, tc.cid, tc.w, tc.h, got, tc.hint)
			}
		}
	})
}
