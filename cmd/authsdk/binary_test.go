package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/sdk/ziggeo"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

// binary is the authsdk command built once for the tests that run it as a
// user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authsdk-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "authsdk")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	// "authsdk demo" and "authsdk serve" run the demo program found beside the binary.
	if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "authsdk-demo"), "../authsdk-demo").CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// hangGuard is how long a test waits for a program that should end or
// print: a guard against a hang, never a timing check, so long enough that
// a loaded machine cannot trip it.
const hangGuard = 60 * time.Second

// exitWithin waits (up to hangGuard) for the started cmd to end and returns
// its exit code; a command still running then is killed and exited is false.
func exitWithin(cmd *exec.Cmd) (code int, exited bool) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, true
		case errors.As(err, &ee):
			return ee.ExitCode(), true
		}
		return -1, true
	case <-time.After(hangGuard):
		_ = cmd.Process.Kill()
		<-done
		return -1, false
	}
}

// runBinary runs the built command with only the given environment.
func runBinary(t *testing.T, environ []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AUTHSDK_CONFIG_DIR=" + testConfigDir(t)}, environ...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader("")
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// leaves lists every command that runs, with its positional arguments.
func leaves(c *command) []*command {
	if c.subs == nil {
		return []*command{c}
	}
	var out []*command
	for _, s := range c.subs {
		out = append(out, leaves(s)...)
	}
	return out
}

func groups(c *command) []*command {
	if c.subs == nil {
		return nil
	}
	out := []*command{c}
	for _, s := range c.subs {
		out = append(out, groups(s)...)
	}
	return out
}

func words(c *command) []string { return strings.Fields(c.name) }

func positional(c *command) []string {
	if c.nargs == 1 {
		return []string{"tok123"}
	}
	return nil
}

// badValue is a flag value each command must refuse before doing anything.
func badValue(c *command) []string {
	switch c.name {
	case "ziggeo token":
		return []string{"--session-limit", "abc"}
	case "ziggeo decrypt", "version":
		return []string{"--no-such-flag"}
	case "plex jwt keygen":
		return []string{"--force=maybe"}
	}
	return []string{"--retries", "abc"}
}

func oneLine(t *testing.T, what string, r result) {
	t.Helper()
	if r.stdout != "" && r.code != 0 {
		t.Errorf("%s: stdout on error: %q", what, r.stdout)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "authsdk: ") {
		t.Errorf("%s: stderr is not one line: %q", what, r.stderr)
	}
}

func TestEveryCommandBehavesLikeAUnixTool(t *testing.T) {
	for _, c := range leaves(root()) {
		t.Run(c.name, func(t *testing.T) {
			base := words(c)
			for _, h := range []string{"-h", "--help", "help"} {
				r := runBinary(t, nil, append(append([]string{}, base...), h)...)
				if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Usage: "+prog(c)) {
					t.Errorf("%s: exit %d, stdout %q, stderr %q", h, r.code, r.stdout, r.stderr)
				}
				if c.args != "" && !strings.Contains(r.stdout, c.args) {
					t.Errorf("%s: help does not show %s", h, c.args)
				}
				if len(c.env) > 0 && !strings.Contains(r.stdout, c.env[0]) {
					t.Errorf("%s: help does not name %s", h, c.env[0])
				}
				if !strings.Contains(r.stdout, "Example:") {
					t.Errorf("%s: help has no example", h)
				}
				fits80(t, h, r.stdout)
			}
			// -h after other flags and arguments still helps.
			r := runBinary(t, nil, append(append(append([]string{}, base...), positional(c)...), "--json", "-h")...)
			if c.name != "ziggeo token" && c.name != "ziggeo decrypt" && c.name != "version" && c.name != "plex jwt keygen" && r.code != 0 {
				t.Errorf("flags then -h: exit %d %q", r.code, r.stderr)
			}
			stray := append(append(append([]string{}, base...), positional(c)...), "stray")
			r = runBinary(t, nil, stray...)
			if r.code != 2 || !strings.Contains(r.stderr, `unexpected argument "stray"`) {
				t.Errorf("stray argument: exit %d, %q", r.code, r.stderr)
			}
			oneLine(t, "stray", r)
			r = runBinary(t, nil, append(append(append([]string{}, base...), positional(c)...), badValue(c)...)...)
			if r.code != 2 || !strings.Contains(r.stderr, "--") {
				t.Errorf("bad value %v: exit %d, %q", badValue(c), r.code, r.stderr)
			}
			oneLine(t, "bad value", r)
			if strings.Contains(r.stderr, "Usage") || strings.Contains(r.stderr, "-retries N") {
				t.Errorf("bad value printed usage: %q", r.stderr)
			}
			if c.name == "version" || c.name == "plex login" || c.name == "plex device" || c.name == "plex jwt token" {
				return // needs no credential (the installation's identity is one)
			}
			r = runBinary(t, nil, append(append([]string{}, base...), positional(c)...)...)
			if r.code != 2 || !strings.Contains(r.stderr, "need") {
				t.Errorf("missing credential: exit %d, %q", r.code, r.stderr)
			}
			oneLine(t, "missing credential", r)
		})
	}
	for _, g := range groups(root()) {
		for _, h := range []string{"-h", "--help", "help"} {
			r := runBinary(t, nil, append(words(g), h)...)
			if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, "Commands:") {
				t.Errorf("%s %s: exit %d %q %q", g.name, h, r.code, r.stdout, r.stderr)
			}
			fits80(t, g.name+" "+h, r.stdout)
		}
		r := runBinary(t, nil, append(words(g), "nope")...)
		if r.code != 2 {
			t.Errorf("%s nope: exit %d", g.name, r.code)
		}
		oneLine(t, g.name+" nope", r)
	}
}

func TestFlagsAfterArgumentsAndNoSilentLoss(t *testing.T) {
	srv := ziggeotest.NewServer()
	defer srv.Close()
	creds := []string{"ZIGGEO_APP_TOKEN=" + ziggeotest.AppToken, "ZIGGEO_PRIVATE_KEY=" + ziggeotest.PrivateKey}
	c := runBinary(t, creds, "ziggeo", "authtokens", "create", "--server-url", srv.URL, "--session-limit", "4")
	if c.code != 0 {
		t.Fatalf("create: %+v", c)
	}
	tok := strings.TrimSpace(c.stdout)
	g := runBinary(t, creds, "ziggeo", "authtokens", "get", tok, "--json", "--server-url", srv.URL)
	if g.code != 0 || !strings.Contains(g.stdout, `"session_limit": 4`) {
		t.Fatalf("get TOKEN --json: %+v", g)
	}
	// The stray x used to end parsing and silently drop the flags after it.
	r := runBinary(t, nil, "ziggeo", "token", "--app-token", "APP", "--encryption-key", "KEY", "x", "--session-limit", "5", "--grant", "read=all")
	if r.code != 2 {
		t.Fatalf("stray argument accepted: %+v", r)
	}
	tk := runBinary(t, nil, "ziggeo", "token", "--session-limit", "5", "--app-token", "APP", "--encryption-key", "", "--grant", "read=all")
	if tk.code != 0 {
		t.Fatalf("explicit empty encryption key: %+v", tk)
	}
	d := runBinary(t, nil, "ziggeo", "decrypt", strings.TrimSpace(tk.stdout), "--encryption-key", "")
	if d.code != 0 || !strings.Contains(d.stdout, `"session_limit":5`) || !strings.Contains(d.stdout, `read`) {
		t.Fatalf("decrypt TOKEN --encryption-key '': %+v", d)
	}
	w := runBinary(t, nil, "ziggeo", "decrypt", strings.TrimSpace(tk.stdout), "--encryption-key", "wrong")
	if w.code != 1 || strings.Count(strings.TrimSpace(w.stderr), "\n") != 0 {
		t.Fatalf("wrong key: exit %d %q, want 1: well-formed input that does not decrypt is no usage error", w.code, w.stderr)
	}
	// An update that names no field is a usage error, not a silent success.
	srvU := ziggeotest.NewServer()
	defer srvU.Close()
	utok := string(srvU.AddToken(ziggeo.AuthToken{}).Token)
	before := srvU.RequestCount()
	up := runBinary(t, []string{"ZIGGEO_APP_TOKEN=" + ziggeotest.AppToken, "ZIGGEO_PRIVATE_KEY=" + ziggeotest.PrivateKey}, "ziggeo", "authtokens", "update", utok, "--server-url", srvU.URL)
	if up.code != 2 || !strings.Contains(up.stderr, "nothing to update") || srvU.RequestCount() != before {
		t.Fatalf("update with no field: exit %d %q (%d requests)", up.code, up.stderr, srvU.RequestCount()-before)
	}
	// Error lines speak the CLI's words, not the SDK's identifiers; an
	// unknown flag points at --help; "help plex" helps with plex.
	if r := runBinary(t, nil, "plex", "user", "--nope"); r.code != 2 || !strings.Contains(r.stderr, `run "authsdk plex user --help"`) {
		t.Fatalf("unknown flag: %+v", r)
	}
	if r := runBinary(t, nil, "help", "plex"); r.code != 0 || !strings.Contains(r.stdout, "Usage: authsdk plex <command>") {
		t.Fatalf("help plex: %+v", r)
	}
	// A key file that is missing or not a key points at keygen.
	notKey := filepath.Join(t.TempDir(), "not-a-key.pem")
	_ = os.WriteFile(notKey, []byte("hello"), 0o600)
	for _, f := range []string{filepath.Join(t.TempDir(), "missing.pem"), notKey} {
		if r := runBinary(t, nil, "plex", "jwt", "token", "--key-file", f); r.code != 2 || !strings.Contains(r.stderr, "plex jwt keygen") {
			t.Fatalf("key file %s: %+v", f, r)
		}
	}
	ps := plextest.NewServer()
	defer ps.Close()
	if r := runBinary(t, []string{"PLEX_TV_URL=" + ps.PlexTVURL(), "PLEX_TOKEN=wrong-token"}, "plex", "user"); r.code != 1 ||
		!strings.Contains(r.stderr, "plex user: 401") || strings.Contains(r.stderr, "plex.Authentication") {
		t.Fatalf("an API error in the CLI's words: %+v", r)
	}
	neg := runBinary(t, creds, "ziggeo", "authtokens", "create", "--server-url", srv.URL, "--session-limit", "-1")
	neg2 := runBinary(t, nil, "ziggeo", "token", "--app-token", "A", "--encryption-key", "K", "--session-limit", "-1")
	if neg.code != 2 || neg2.code != 2 || neg.stderr[strings.Index(neg.stderr, "--"):] != neg2.stderr[strings.Index(neg2.stderr, "--"):] {
		t.Fatalf("negative session limit: create %+v, token %+v", neg, neg2)
	}
	for _, v := range []string{"-2", "x"} {
		if r := runBinary(t, creds, "ziggeo", "authtokens", "get", tok, "--retries", v); r.code != 2 {
			t.Errorf("--retries %s accepted", v)
		}
	}
	if r := runBinary(t, creds, "ziggeo", "authtokens", "get", tok, "--retries", "-1", "--server-url", srv.URL); r.code != 0 {
		t.Errorf("--retries -1: %+v", r)
	}
	u := runBinary(t, creds, "ziggeo", "authtokens", "get", tok, "--server-url", "ftp://x")
	if u.code != 2 || !strings.Contains(u.stderr, "--server-url") || strings.Contains(u.stderr, "ziggeo.With") {
		t.Fatalf("bad server URL: %+v", u)
	}
	srv.AssertNoViolations(t)
}
