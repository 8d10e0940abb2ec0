package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/sdk/ziggeo"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

// silentServer accepts every request and never answers, until the
// request's context ends (as net/http's transport gives up).
type silentServer struct{ n int }

func (s *silentServer) RoundTrip(r *http.Request) (*http.Response, error) {
	s.n++
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// Every API command is bounded: --timeout, default 2 min (a silent server
// hung "authsdk plex user" until it was killed).
func TestTimeoutBoundsACommandAgainstASilentServer(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  time.Duration
		bound string
	}{
		{[]string{"plex", "user", "--timeout", "2s"}, 2 * time.Second, "--timeout 2s"},
		// The default: the command's 2 minutes and the SDK's MaxElapsedTime
		// end together; either may be named.
		{[]string{"plex", "user", "--retries", "-1"}, defaultCommandTimeout, "2m0s"},
		{[]string{"ziggeo", "authtokens", "get", "tok-1", "--timeout", "1500ms", "--server-url", "http://ziggeo.test"}, 1500 * time.Millisecond, "--timeout 1.5s"},
	} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			r := runCLIMem(t, &silentServer{}, "", map[string]string{"PLEX_TOKEN": "tok", "ZIGGEO_APP_TOKEN": "app", "ZIGGEO_PRIVATE_KEY": "key"}, tc.args...)
			took := time.Since(start)
			if r.code != exitAPI || took != tc.want {
				t.Fatalf("%v: exit %d after %v, want 1 after %v; stderr %q", tc.args, r.code, took, tc.want, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.bound) || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("%v: stderr %q, want one line naming %s", tc.args, r.stderr, tc.bound)
			}
		})
	}
	if r := runCLI(t, "", nil, "plex", "user", "--timeout", "soon"); r.code != exitUsage {
		t.Fatalf("--timeout soon: exit %d, %q", r.code, r.stderr)
	}
}

// A relative config directory would be another Plex device in every
// working directory: refused, from the flag and from the environment.
func TestRelativeConfigDirIsRefused(t *testing.T) {
	for _, r := range []result{
		runCLI(t, "", nil, "plex", "device", "--config-dir", "rel"),
		runCLI(t, "", map[string]string{"AUTHSDK_CONFIG_DIR": "rel/dir"}, "plex", "device"),
	} {
		if r.code != exitUsage || !strings.Contains(r.stderr, "relative path") {
			t.Fatalf("exit %d, %q; want a usage error saying the path is relative", r.code, r.stderr)
		}
	}
}

// "ziggeo authtokens delete --json" prints JSON; "plex device" refuses a
// --client-identifier it cannot honour.
func TestDeleteJSONAndDeviceFlags(t *testing.T) {
	srv := ziggeotest.NewServer()
	defer srv.Close()
	tok := srv.AddToken(ziggeo.AuthToken{})
	r := runCLI(t, "", map[string]string{"ZIGGEO_APP_TOKEN": ziggeotest.AppToken, "ZIGGEO_PRIVATE_KEY": ziggeotest.PrivateKey},
		"ziggeo", "authtokens", "delete", string(tok.Token), "--json", "--server-url", srv.URL)
	var out map[string]bool
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || !out["deleted"] {
		t.Fatalf("delete --json: %+v", r)
	}
	if d := runCLI(t, "", nil, "plex", "device", "--client-identifier", "other"); d.code != exitUsage || !strings.Contains(d.stderr, "--client-identifier") {
		t.Fatalf("plex device --client-identifier: %+v", d)
	}
}

// Every command that opens the identity takes --config-dir (plex user,
// transient-token and sources opened it but refused the flag).
func TestConfigDirOnEveryIdentityCommand(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"plex", "user", "--config-dir", dir, "--timeout", "1s", "--plex-tv-url", "http://127.0.0.1:1/api/v2", "--retries", "0"},
		{"plex", "transient-token", "--config-dir", dir, "--server-url", "http://127.0.0.1:1", "--retries", "0"},
		{"plex", "sources", "--config-dir", dir, "--source", "server://x", "--server-url", "http://127.0.0.1:1", "--retries", "0"},
	} {
		r := runCLI(t, "", map[string]string{"PLEX_TOKEN": "tok"}, args...)
		if r.code != exitAPI || strings.Contains(r.stderr, "flag") {
			t.Fatalf("%v: %+v, want the flag taken (and the call to fail)", args, r)
		}
	}
}

// Errors name the command the user typed, whichever SDK call failed
// ("plex switch" failing on its Home lookup said "plex home: 401").
func TestErrorsNameTheCommandTyped(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	r := runCLI(t, "", map[string]string{"PLEX_TOKEN": "wrong-token"}, "plex", "switch", "Kids", "--plex-tv-url", srv.PlexTVURL())
	if r.code != exitAPI || !strings.Contains(r.stderr, "plex switch: 401") || strings.Contains(r.stderr, "plex home") || strings.Contains(r.stderr, "plex.Authentication") {
		t.Fatalf("%+v", r)
	}
}

func TestInCommandsWords(t *testing.T) {
	for in, want := range map[string]string{
		"plex.Authentication.GetUserDetails: 401 Unauthorized":                            "plex user: 401 Unauthorized",
		"x: plex.Authentication.ExchangeDeviceJWT (nonce): 503; ziggeo.AuthTokens.Get: 1": "x: plex user: 503; plex user: 1",
		"plex: no token; see plex.tv and ziggeo.com":                                      "plex: no token; see plex.tv and ziggeo.com",
		"myplex.Authentication.Get: keep":                                                 "myplex.Authentication.Get: keep",
	} {
		if got := inCommandsWords(in, "plex user"); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
