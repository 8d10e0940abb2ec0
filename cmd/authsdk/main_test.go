package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

type result struct {
	code           int
	stdout, stderr string
}

// testConfigDir is the config directory of one test's CLI runs: they share
// one Plex identity, and never touch the real home directory.
func testConfigDir(t *testing.T) string {
	t.Helper()
	if d, ok := configDirs.Load(t); ok {
		return d.(string)
	}
	d := t.TempDir()
	configDirs.Store(t, d)
	t.Cleanup(func() { configDirs.Delete(t) })
	return d
}

var configDirs sync.Map // *testing.T → dir

func runCLI(t *testing.T, stdin string, environ map[string]string, args ...string) result {
	t.Helper()
	return runCLIMem(t, nil, stdin, environ, args...)
}

// runCLIMem is runCLI with every API request sent through rt (a fake
// answering in memory, for tests under testing/synctest); nil is the
// network.
func runCLIMem(t *testing.T, rt http.RoundTripper, stdin string, environ map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	configDir := testConfigDir(t)
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string {
		if v, ok := environ[k]; ok || k != "AUTHSDK_CONFIG_DIR" {
			return v
		}
		return configDir
	}, transport: rt}
	e.readSecret = terminalSecretReader(e)
	code := run(context.Background(), args, e)
	return result{code, out.String(), errb.String()}
}

// independentDecrypt follows the wire description only: md5-hex key, the
// 16 leading characters as IV, AES-256-CBC, PKCS#7.
func independentDecrypt(t *testing.T, key, token string) map[string]any {
	t.Helper()
	block, _ := aes.NewCipher([]byte(fmt.Sprintf("%x", md5.Sum([]byte(key)))))
	ct, err := hex.DecodeString(token[16:])
	if err != nil || len(ct)%16 != 0 {
		t.Fatalf("token %q: %v", token, err)
	}
	cipher.NewCBCDecrypter(block, []byte(token[:16])).CryptBlocks(ct, ct)
	ct = ct[:len(ct)-int(ct[len(ct)-1])]
	var m map[string]any
	if err := json.Unmarshal(ct, &m); err != nil {
		t.Fatalf("%s: %v", ct, err)
	}
	return m
}

func TestZiggeoToken(t *testing.T) {
	r := runCLI(t, "", map[string]string{"ZIGGEO_ENCRYPTION_KEY": "cli-key"}, "ziggeo", "token", "--app-token", "app1",
		"--session-limit", "3", "--volatile", "--hidden=false", "--expiration-date", "1893456000", "--grant", "read=all", "--grant", "create=session_owned")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	m := independentDecrypt(t, "cli-key", strings.TrimSpace(r.stdout))
	if m["application_token"] != "app1" || m["session_limit"] != 3.0 || m["volatile"] != true || m["hidden"] != false ||
		m["expiration_date"] != 1893456000.0 || m["grants"] != `{"read":{"all":true},"create":{"session_owned":true}}` {
		t.Fatalf("plaintext %v", m)
	}
	if _, ok := m["usage_expiration_time"]; ok {
		t.Fatal("unset field sent")
	}
	d := runCLI(t, "", nil, "ziggeo", "decrypt", "--encryption-key", "cli-key", strings.TrimSpace(r.stdout))
	if d.code != 0 || !strings.Contains(d.stdout, `"application_token":"app1"`) {
		t.Fatalf("decrypt: %+v", d)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nope"},
		{"ziggeo", "token", "--app-token", "a"}, // no encryption key
		{"ziggeo", "token", "--encryption-key", "k"},            // no app token
		{"ziggeo", "token", "--app-token", "a", "--bogus"},      // bad flag
		{"ziggeo", "token", "--app-token", "a", "--grant", "x"}, // bad grant
		{"ziggeo", "authtokens", "get", "tok"},                  // no credentials
		{"plex", "user"},                                        // no token
		{"plex", "transient-token", "--token", "t"},             // no server URL
	} {
		r := runCLI(t, "", nil, args...)
		if r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

func TestZiggeoAuthTokensAgainstFake(t *testing.T) {
	srv := ziggeotest.NewServer()
	defer srv.Close()
	creds := map[string]string{"ZIGGEO_APP_TOKEN": ziggeotest.AppToken, "ZIGGEO_PRIVATE_KEY": ziggeotest.PrivateKey}
	r := runCLI(t, "", creds, "ziggeo", "authtokens", "create", "--server-url", srv.URL, "--session-limit", "2")
	if r.code != 0 {
		t.Fatalf("create: %+v", r)
	}
	tok := strings.TrimSpace(r.stdout)
	g := runCLI(t, "", creds, "ziggeo", "authtokens", "get", "--server-url", srv.URL, "--json", tok)
	if g.code != 0 || !strings.Contains(g.stdout, `"session_limit": 2`) {
		t.Fatalf("get: %+v", g)
	}
	p := runCLI(t, "", creds, "ziggeo", "authtokens", "get", "--server-url", srv.URL, tok)
	if p.code != 0 || !strings.Contains(p.stdout, "token          "+tok) || !strings.Contains(p.stdout, "session_limit  2") {
		t.Fatalf("get prints the token's fields: %+v", p)
	}
	bad := map[string]string{"ZIGGEO_APP_TOKEN": ziggeotest.AppToken, "ZIGGEO_PRIVATE_KEY": "wrong-private-key"}
	e := runCLI(t, "", bad, "ziggeo", "authtokens", "get", "--server-url", srv.URL, tok)
	if e.code != 1 || !strings.Contains(e.stderr, "401") || strings.Contains(e.stderr, "wrong-private-key") || strings.Count(e.stderr, "\n") != 1 {
		t.Fatalf("API error: %+v", e)
	}
	srv.AssertNoViolations(t)
}

func TestPlexSignInPromptsWithoutEcho(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	envs := map[string]string{"PLEX_CLIENT_IDENTIFIER": "cli-test"}
	r := runCLI(t, plextest.Password+"\n"+plextest.VerificationCode+"\n", envs, "plex", "signin", "--plex-tv-url", srv.PlexTVURL(), "--login", plextest.TwoFactorLogin)
	if r.code != 0 || strings.TrimSpace(r.stdout) != plextest.TwoFactorToken {
		t.Fatalf("signin: %+v", r)
	}
	if !strings.Contains(r.stderr, "Password: ") || !strings.Contains(r.stderr, "Two-factor code: ") {
		t.Fatalf("prompts missing: %q", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, plextest.Password) {
		t.Fatal("password echoed")
	}
	u := runCLI(t, "", map[string]string{"PLEX_TOKEN": plextest.UserToken}, "plex", "user", "--plex-tv-url", srv.PlexTVURL())
	if u.code != 0 || !strings.Contains(u.stdout, "13692262") {
		t.Fatalf("user: %+v", u)
	}
	tt := runCLI(t, "", map[string]string{"PLEX_TOKEN": plextest.AccessToken}, "plex", "transient-token", "--server-url", srv.URL)
	if tt.code != 0 || !srv.IsTransientToken(strings.TrimSpace(tt.stdout)) {
		t.Fatalf("transient-token: %+v", tt)
	}
	s := runCLI(t, "", map[string]string{"PLEX_TOKEN": plextest.AccessToken}, "plex", "sources", "--server-url", srv.URL, "--source", plextest.Source)
	if s.code != 0 || !strings.Contains(s.stdout, "plex.direct:32400") {
		t.Fatalf("sources: %+v", s)
	}
	// Without PLEX_CLIENT_IDENTIFIER, sign-ins send this installation's
	// identity: two sign-ins are one device.
	before := len(srv.Requests())
	for range 2 {
		noID := runCLI(t, plextest.Password+"\n", nil, "plex", "signin", "--plex-tv-url", srv.PlexTVURL(), "--login", plextest.Login)
		if noID.code != 0 {
			t.Fatalf("sign-in without client identifier: %+v", noID)
		}
	}
	ids := map[string]bool{}
	for _, r := range srv.Requests()[before:] {
		ids[r.Header.Get("X-Plex-Client-Identifier")] = true
	}
	dev := runCLI(t, "", nil, "plex", "device", "--json")
	if len(ids) != 1 || dev.code != 0 || !strings.Contains(dev.stdout, "keyThumbprint") {
		t.Fatalf("two sign-ins sent client identifiers %v; plex device: %+v", ids, dev)
	}
	for id := range ids {
		if !strings.Contains(dev.stdout, id) {
			t.Fatalf("plex device does not show the identifier the sign-ins sent (%s): %s", id, dev.stdout)
		}
	}
	srv.AssertNoViolations(t)
}

// A URL without its scheme is shown as typed (credentials aside), with the
// fix, under the command's name like every other validation error.
func TestURLErrorShowsTheURL(t *testing.T) {
	r := runCLI(t, "", map[string]string{"PLEX_TOKEN": "tok-12345"}, "plex", "transient-token", "--server-url", "me:pw-secret@127.0.0.1:1")
	want := `plex transient-token: --server-url: server URL "REDACTED@127.0.0.1:1" has no scheme: add http:// or https://`
	if r.code != 2 || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "pw-secret") {
		t.Errorf("exit %d, %q; want %q", r.code, r.stderr, want)
	}
	r = runCLI(t, "", nil, "plex", "srvers")
	if r.code != 2 || !strings.Contains(r.stderr, `did you mean "servers"?`) {
		t.Errorf("mistyped command: %d %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r = runCLI(t, "", nil, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "authsdk ") || !strings.Contains(r.stdout, "sdk ") {
			t.Errorf("%v: %d %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
}
