package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/sdk/ziggeo"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

// Every command that takes --json is run with it against the fakes: no
// token, key or JWT reaches stdout or stderr unless --show-tokens asks, or
// the token is what the command prints (login, signin, switch, jwt token,
// transient-token, the ziggeo token commands). A new --json command without
// an entry here fails the test.
func TestJSONCensus(t *testing.T) {
	ps := plextest.NewServer()
	defer ps.Close()
	zs := ziggeotest.NewServer()
	defer zs.Close()
	dir := t.TempDir()
	key := filepath.Join(dir, "device.pem")
	if r := runCLI(t, "", nil, "plex", "jwt", "keygen", "--key-file", key); r.code != 0 {
		t.Fatal(r)
	}
	pem, _ := os.ReadFile(key) // registered by "plex jwt register" below, before "plex jwt token"
	secrets := []string{plextest.UserToken, plextest.AccessToken, "srv1-access-token", "srv2-access-token", "srv3-shared-token",
		"transient-0a1b2c3d4e5f", plextest.HomeKidsToken, plextest.HomeTeenToken, ziggeotest.PrivateKey, ziggeotest.EncryptionKey,
		strings.Split(string(pem), "\n")[1]}
	plexEnv := map[string]string{"PLEX_TOKEN": plextest.UserToken, "PLEX_CLIENT_IDENTIFIER": plextest.ClientIdentifier,
		"PLEX_TV_URL": ps.PlexTVURL(), "PLEX_CLIENTS_URL": ps.ClientsURL(), "PLEX_SERVER_URL": ps.URL}
	pmsEnv := map[string]string{"PLEX_TOKEN": plextest.AccessToken, "PLEX_SERVER_URL": ps.URL}
	zigEnv := map[string]string{"ZIGGEO_APP_TOKEN": ziggeotest.AppToken, "ZIGGEO_PRIVATE_KEY": ziggeotest.PrivateKey,
		"ZIGGEO_ENCRYPTION_KEY": ziggeotest.EncryptionKey, "ZIGGEO_SERVER_URL": zs.URL}
	ztok := zs.AddToken(ziggeo.AuthToken{}).Token
	ps.SetResources(plextest.UserToken, ps.LoopbackResources())

	type run struct {
		env     map[string]string
		args    []string
		stdin   string
		output  string // a secret that is this command's output
		approve bool
		// linkPin: a device waits with a short PIN; its code replaces the argument.
		linkPin bool
		// outputPrefix: the output is a secret made on the fly, starting so.
		outputPrefix string
	}
	runs := map[string][]run{
		"plex user":                {{env: plexEnv}},
		"plex servers":             {{env: plexEnv}, {env: plexEnv, args: []string{"--connect"}}},
		"plex home":                {{env: plexEnv}},
		"plex ping":                {{env: plexEnv}},
		"plex sources":             {{env: pmsEnv, args: []string{"--source", plextest.Source}}},
		"plex transient-token":     {{env: pmsEnv}},
		"plex jwt register":        {{env: plexEnv, args: []string{"--key-file", key}}},
		"plex jwt token":           {{env: plexEnv, args: []string{"--key-file", key}}},
		"plex switch":              {{env: plexEnv, args: []string{"Teen"}, output: plextest.HomeTeenToken}},
		"plex signin":              {{env: plexEnv, args: []string{"--login", plextest.Login}, stdin: plextest.Password + "\n", output: plextest.UserToken}},
		"plex login":               {{env: plexEnv, output: plextest.UserToken, approve: true}},
		"plex signout":             {{env: map[string]string{"PLEX_TOKEN": plextest.TwoFactorToken, "PLEX_TV_URL": ps.PlexTVURL()}}},
		"plex device":              {{env: map[string]string{}}},
		"plex link":                {{env: plexEnv, args: []string{"WXYZ"}, linkPin: true}},
		"plex claim":               {{env: plexEnv, outputPrefix: "claim-"}},
		"ziggeo token":             {{env: zigEnv, args: []string{"--grant", "read=all"}}},
		"ziggeo authtokens get":    {{env: zigEnv, args: []string{string(ztok)}}},
		"ziggeo authtokens create": {{env: zigEnv, args: []string{"--session-limit", "1"}}},
		"ziggeo authtokens update": {{env: zigEnv, args: []string{string(ztok), "--session-limit", "2"}}},
		"ziggeo authtokens delete": {{env: zigEnv, args: []string{string(ztok)}}},
	}
	for _, c := range leaves(root()) {
		fs := flag.NewFlagSet("", flag.ContinueOnError)
		if c.flags == nil {
			continue
		}
		c.flags(fs)
		if fs.Lookup("json") == nil {
			continue
		}
		rs, ok := runs[c.name]
		if !ok {
			t.Errorf("%s takes --json but the census does not run it", c.name)
			continue
		}
		for _, r := range rs {
			if r.approve {
				approveWhenAsked(t, ps, plextest.UserToken)
			}
			if r.linkPin {
				pc, _ := ps.Client(plex.WithClientIdentifier("tv"))
				pin, err := pc.Authentication.CreatePin(context.Background(), false)
				if err != nil {
					t.Fatal(err)
				}
				r.args = []string{pin.Code}
			}
			args := append(append(words(c), r.args...), "--json")
			res := runCLI(t, r.stdin, r.env, args...)
			if res.code != 0 && !(c.name == "plex servers" && res.code == 1) { // --connect: two servers do not answer
				t.Errorf("%v: exit %d %q", args, res.code, res.stderr)
				continue
			}
			for _, s := range secrets {
				if s != r.output && s != "" && strings.Contains(res.stdout+res.stderr, s) {
					t.Errorf("%v: prints secret %q:\n%s%s", args, s, res.stdout, res.stderr)
				}
			}
			if r.outputPrefix != "" && !strings.Contains(res.stdout, `"`+r.outputPrefix) {
				t.Errorf("%v: its token is not in its output:\n%s", args, res.stdout)
			}
			if r.output != "" && !strings.Contains(res.stdout, r.output) {
				t.Errorf("%v: its token is not in its output:\n%s", args, res.stdout)
			}
		}
	}
	// --show-tokens shows them.
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{plexEnv, []string{"plex", "user", "--json", "--show-tokens"}, plextest.UserToken},
		{plexEnv, []string{"plex", "servers", "--json", "--show-tokens"}, plextest.AccessToken},
		{pmsEnv, []string{"plex", "sources", "--json", "--show-tokens", "--source", plextest.Source}, "transient-0a1b2c3d4e5f"},
	} {
		if r := runCLI(t, "", tc.env, tc.args...); r.code != 0 || !strings.Contains(r.stdout, tc.want) {
			t.Errorf("%v: %d %q", tc.args, r.code, r.stdout)
		}
	}
	ps.AssertNoViolations(t)
	zs.AssertNoViolations(t)
}
