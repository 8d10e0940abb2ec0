package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

func TestPlexPingAndSignOut(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	envs := map[string]string{"PLEX_TOKEN": plextest.TwoFactorToken}
	if r := runCLI(t, "", envs, "plex", "ping", "--plex-tv-url", srv.PlexTVURL()); r.code != 0 || strings.TrimSpace(r.stdout) != "ok" || r.stderr != "" {
		t.Fatalf("ping: %+v", r)
	}
	if r := runCLI(t, "", envs, "plex", "signout", "--plex-tv-url", srv.PlexTVURL()); r.code != 0 || !srv.IsSignedOut(plextest.TwoFactorToken) {
		t.Fatalf("signout: %+v", r)
	}
	r := runCLI(t, "", envs, "plex", "ping", "--plex-tv-url", srv.PlexTVURL())
	if r.code != 1 || !strings.Contains(r.stderr, "sign in again") || strings.Contains(r.stderr, plextest.TwoFactorToken[:6]) {
		t.Fatalf("ping after signout: %+v", r)
	}
	srv.AssertNoViolations(t)
}

func TestPlexLockoutMessageSaysWait(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	srv.FailNext(1, plextest.Fault{Status: 401, Body: `{"errors":[{"code":1031,"message":"This IP appears to be having trouble signing in to Plex. (detected repeated failures)","status":401}]}`})
	r := runCLI(t, plextest.Password+"\n", map[string]string{"PLEX_CLIENT_IDENTIFIER": "cli"}, "plex", "signin", "--login", plextest.Login, "--plex-tv-url", srv.PlexTVURL())
	if r.code != 1 || !strings.Contains(r.stderr, "wait") || strings.Contains(r.stderr, "invalid") {
		t.Fatalf("lockout: %+v", r)
	}
}

func TestPlexHomeAndSwitch(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	envs := map[string]string{"PLEX_TOKEN": plextest.UserToken}
	h := runCLI(t, "", envs, "plex", "home", "--plex-tv-url", srv.PlexTVURL())
	if h.code != 0 || !strings.Contains(h.stdout, "Kids") || !strings.Contains(h.stdout, plextest.HomeTeenUUID) {
		t.Fatalf("home: %+v", h)
	}
	s := runCLI(t, plextest.HomeKidsPIN+"\n", envs, "plex", "switch", "Kids", "--pin-stdin", "--plex-tv-url", srv.PlexTVURL())
	if s.code != 0 || strings.TrimSpace(s.stdout) != plextest.HomeKidsToken {
		t.Fatalf("switch with PIN: %+v", s)
	}
	w := runCLI(t, "0000\n", envs, "plex", "switch", plextest.HomeKidsUUID, "--pin-stdin", "--plex-tv-url", srv.PlexTVURL())
	if w.code != 1 || !strings.Contains(w.stderr, "PIN is missing or wrong") || strings.Contains(w.stderr, "0000") {
		t.Fatalf("wrong PIN: %+v", w)
	}
	u := runCLI(t, "", envs, "plex", "switch", "teen", "--plex-tv-url", srv.PlexTVURL())
	if u.code != 0 || strings.TrimSpace(u.stdout) != plextest.HomeTeenToken {
		t.Fatalf("unprotected: %+v", u)
	}
	if n := runCLI(t, "", envs, "plex", "switch", "nobody", "--plex-tv-url", srv.PlexTVURL()); n.code != 2 {
		t.Fatalf("unknown profile: %+v", n)
	}
	srv.AssertNoViolations(t)
}

func TestPlexLoginJWT(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		key := filepath.Join(t.TempDir(), "new", "dir", "device.pem")
		envs := map[string]string{"PLEX_CLIENT_IDENTIFIER": "cli-jwt-login"}
		approveWhenAsked(t, srv, plextest.UserToken)
		r := runCLIMem(t, srv, "", envs, "plex", "login", "--jwt", "--key-file", key, "--clients-url", srv.ClientsURL())
		tok := strings.TrimSpace(r.stdout)
		if r.code != 0 || strings.Count(tok, ".") != 2 || !strings.Contains(r.stderr, "expires") {
			t.Fatalf("login --jwt: %+v", r)
		}
		if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v", err)
		}
		if fi, err := os.Stat(filepath.Dir(key)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Fatalf("key directory: %v", err)
		}
		// The JWT works on plex.tv, and the key refreshes it with no token.
		c, _ := srv.Client(plex.WithHTTPClient(&http.Client{Transport: srv}))
		if _, err := c.Authentication.GetUserDetails(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		j := runCLIMem(t, srv, "", envs, "plex", "jwt", "token", "--key-file", key, "--clients-url", srv.ClientsURL())
		if j.code != 0 || strings.TrimSpace(j.stdout) == tok {
			t.Fatalf("refresh: %+v", j)
		}
		for _, r := range srv.Requests() {
			if strings.HasPrefix(r.Path, plextest.ClientsPath) && r.Header.Get("X-Plex-Token") != "" {
				t.Fatalf("%s %s sent a token", r.Method, r.Path)
			}
		}
		// An existing key is used, not replaced; a symlink is never written through.
		before, _ := os.ReadFile(key)
		approveWhenAsked(t, srv, plextest.UserToken)
		if r := runCLIMem(t, srv, "", envs, "plex", "login", "--jwt", "--key-file", key, "--clients-url", srv.ClientsURL()); r.code != 0 {
			t.Fatalf("second login: %+v", r)
		}
		if after, _ := os.ReadFile(key); string(after) != string(before) {
			t.Fatal("an existing key was replaced without --force")
		}
		target := filepath.Join(t.TempDir(), "target")
		_ = os.WriteFile(target, []byte("precious"), 0o644)
		link := filepath.Join(t.TempDir(), "link.pem")
		_ = os.Symlink(target, link)
		if r := runCLIMem(t, srv, "", nil, "plex", "jwt", "keygen", "--key-file", link, "--force"); r.code != 2 {
			t.Fatalf("keygen through a symlink: %+v", r)
		}
		if b, _ := os.ReadFile(target); string(b) != "precious" {
			t.Fatal("the symlink's target was overwritten")
		}
		if r := runCLIMem(t, srv, "", envs, "plex", "login", "--key-file", key); r.code != 2 {
			t.Fatalf("--key-file without --jwt: %+v", r)
		}
		srv.SetPinLifetime(1500 * time.Millisecond)
		if x := runCLIMem(t, srv, "", envs, "plex", "login", "--jwt", "--key-file", key, "--clients-url", srv.ClientsURL()); x.code != 1 || !strings.Contains(x.stderr, "expired") || !strings.Contains(x.stderr, "login --jwt --key-file") || x.stdout != "" {
			t.Fatalf("expired JWT PIN: %+v", x)
		}
		srv.AssertNoViolations(t)
	})
}

// A protected profile with nothing on stdin (/dev/null, as in cron): the
// prompt ends its line, the error names stdin, not a terminal, and says how
// to give the PIN; the same for a sign-in's password.
func TestPromptWithoutTerminal(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	for _, tc := range []struct {
		args   []string
		envs   map[string]string
		prompt string
		hint   string
	}{
		{[]string{"plex", "switch", "Kids"}, map[string]string{"PLEX_TOKEN": plextest.UserToken}, "PIN for Kids: ", "--pin-stdin"},
		{[]string{"plex", "signin", "--login", plextest.Login}, map[string]string{"PLEX_CLIENT_IDENTIFIER": "cli"}, "Password: ", "pipe the password"},
	} {
		var out, errb strings.Builder
		e := &env{stdin: devNull, stdout: &out, stderr: &errb, getenv: func(k string) string {
			if k == "AUTHSDK_CONFIG_DIR" {
				return testConfigDir(t)
			}
			return tc.envs[k]
		}}
		e.readSecret = terminalSecretReader(e)
		code := run(context.Background(), append(tc.args, "--plex-tv-url", srv.PlexTVURL()), e)
		lines := strings.Split(strings.TrimRight(errb.String(), "\n"), "\n")
		if code == 0 || len(lines) != 2 || lines[0] != strings.TrimSpace(tc.prompt) && lines[0] != tc.prompt {
			t.Fatalf("%v: exit %d, stderr %q: want the prompt alone on its line, then the error", tc.args, code, errb.String())
		}
		if msg := lines[1]; strings.Contains(msg, "reading from the terminal") || !strings.Contains(msg, "stdin") || !strings.Contains(msg, tc.hint) {
			t.Errorf("%v: error %q: want it to name stdin and hint %q", tc.args, msg, tc.hint)
		}
	}
	if r := runCLI(t, "", map[string]string{"PLEX_TOKEN": plextest.UserToken}, "plex", "switch", "Kids", "--pin-stdin", "--plex-tv-url", srv.PlexTVURL()); r.code != 2 || !strings.Contains(r.stderr, "stdin is empty") {
		t.Errorf("--pin-stdin with nothing piped: %+v", r)
	}
	srv.AssertNoViolations(t)
}

// With this installation's own key, "plex login --jwt" stores the JWT and
// "plex jwt token" prints it while fresh, with no exchange (every restart
// of a service exchanged again, even during an outage).
func TestPlexLoginJWTIsStored(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		approveWhenAsked(t, srv, plextest.UserToken)
		r := runCLIMem(t, srv, "", nil, "plex", "login", "--jwt", "--clients-url", srv.ClientsURL())
		tok := strings.TrimSpace(r.stdout)
		if r.code != 0 || strings.Count(tok, ".") != 2 {
			t.Fatalf("login --jwt: %+v", r)
		}
		exchanges := func() int {
			n := 0
			for _, q := range srv.Requests() {
				if strings.HasSuffix(q.Path, "/auth/token") {
					n++
				}
			}
			return n
		}
		before := exchanges()
		j := runCLIMem(t, srv, "", nil, "plex", "jwt", "token", "--clients-url", srv.ClientsURL())
		if j.code != 0 || strings.TrimSpace(j.stdout) != tok || exchanges() != before {
			t.Fatalf("jwt token: %+v, %d exchanges; want the stored JWT and none", j, exchanges()-before)
		}
	})
}
