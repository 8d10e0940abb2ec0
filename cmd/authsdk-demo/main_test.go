package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

func TestDemo(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), "authsdk-demo", nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errb.String())
	}
	for _, op := range []string{"AuthTokens.Create", "AuthTokens.Get", "AuthTokens.Update", "AuthTokens.Delete", "Auth.Generate", "DecryptToken",
		"GetTransientToken", "GetSourceConnectionInfo", "GetUserDetails", "sign-in with 2FA", "JWT PIN sign-in", "Connect", "Home: list, switch",
		"17 operations, 0 failed, 0 spec violations"} {
		if !strings.Contains(out.String(), op) {
			t.Errorf("demo output lacks %q:\n%s", op, out.String())
		}
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line of %d columns (an 80-column terminal wraps it): %q", n, line)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"serve", "-h"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), "authsdk-demo", args, &out, &errb); code != 0 || !strings.Contains(out.String(), "Usage:") || errb.Len() > 0 {
			t.Errorf("%v: exit %d, %q %q", args, code, out.String(), errb.String())
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if n := utf8.RuneCountInString(line); n > 80 {
				t.Errorf("%v: help line of %d columns: %q", args, n, line)
			}
		}
	}
	for _, args := range [][]string{{"nope"}, {"serve", "--approve-after", "soon"}, {"demo", "stray"}, {"serve", "--approve-after", "-1s"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), "authsdk-demo", args, &out, &errb); code != 2 || out.Len() > 0 || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q %q", args, code, out.String(), errb.String())
		}
	}
}

// Run by authsdk (for "authsdk serve"), help and errors name authsdk's
// commands, never this program.
func TestUsageAsAuthsdk(t *testing.T) {
	for _, args := range [][]string{{"serve", "--help"}, {"help"}, {"serve", "--approve-after", "soon"}, {"demo", "stray"}} {
		var out, errb bytes.Buffer
		run(context.Background(), "authsdk", args, &out, &errb)
		if got := out.String() + errb.String(); strings.Contains(got, "authsdk-demo") || !strings.Contains(got, "authsdk serve") && !strings.Contains(got, "authsdk demo") {
			t.Errorf("%v: %q", args, got)
		}
	}
}

// lockedBuffer collects serve's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeThenCommands follows the README: start serve, paste its export
// lines into a shell, run authsdk commands; plex login is approved by serve.
func TestServeThenCommands(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "authsdk")
	if out, err := exec.Command("go", "build", "-o", bin, "../authsdk").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, "authsdk-demo", []string{"serve", "--approve-after", "300ms"}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "PLEX_TOKEN") {
		if time.Now().After(deadline) {
			t.Fatalf("no export lines: %q %q", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var environ []string
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			t.Fatalf("stdout line %q is not an export line", sc.Text())
		}
		k, v, _ := strings.Cut(line, "=")
		environ = append(environ, k+"="+strings.Trim(v, "'"))
	}
	authsdk := func(args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, environ...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, strings.NewReader("")
		if err := cmd.Run(); err != nil && !(args[1] == "servers" && cmd.ProcessState.ExitCode() == 1) {
			// (servers --connect exits 1: two of serve's servers are offline by design)
			t.Fatalf("authsdk %v: %v\n%s%s", args, err, out.String(), errb.String())
		}
		return out.String(), errb.String()
	}
	for range 2 { // two sign-ins: one device (this installation's identity)
		if out, _ := authsdk("plex", "login"); strings.TrimSpace(out) != plextest.UserToken {
			t.Errorf("plex login printed %q", out)
		}
	}
	dev, _ := authsdk("plex", "device")
	if !strings.Contains(dev, "client identifier") || !strings.Contains(dev, "key thumbprint") {
		t.Errorf("plex device:\n%s", dev)
	}
	if out, _ := authsdk("plex", "login", "--jwt"); strings.Count(strings.TrimSpace(out), ".") != 2 {
		t.Errorf("plex login --jwt with the installation's key: %q", out)
	}
	// The code the TV shows, as serve printed it.
	var code string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[0] == "authsdk" && f[1] == "plex" && f[2] == "link" {
			code = f[3]
		}
	}
	if out, _ := authsdk("plex", "link", code); !strings.Contains(out, "linked") {
		t.Errorf("plex link %q: %q", code, out)
	}
	if out, _ := authsdk("plex", "claim"); !strings.HasPrefix(out, "claim-") {
		t.Errorf("plex claim: %q", out)
	}
	key := filepath.Join(t.TempDir(), "new", "dir", "device.pem")
	if out, errb := authsdk("plex", "login", "--jwt", "--key-file", key); strings.Count(strings.TrimSpace(out), ".") != 2 || !strings.Contains(errb, "expires") {
		t.Errorf("plex login --jwt: %q %q", out, errb)
	}
	if out, _ := authsdk("plex", "servers", "--connect"); !strings.Contains(out, "Living Room PMS") || !strings.Contains(out, "local") {
		t.Errorf("plex servers --connect:\n%s", out)
	}
	if out, _ := authsdk("plex", "transient-token"); !strings.HasPrefix(out, "transient-") {
		t.Errorf("plex transient-token: %q", out)
	}
	if out, _ := authsdk("ziggeo", "authtokens", "create", "--grant", "read=all"); strings.TrimSpace(out) == "" {
		t.Errorf("ziggeo authtokens create printed nothing")
	}
	if out, _ := authsdk("ziggeo", "token", "--grant", "read=all"); len(strings.TrimSpace(out)) < 32 {
		t.Errorf("ziggeo token: %q", out)
	}
	cancel()
	if code := <-served; code != 0 {
		t.Errorf("serve exit %d", code)
	}
	if !strings.Contains(stderr.String(), "approved") || !strings.Contains(stderr.String(), "0 spec violations") || !strings.Contains(stderr.String(), "was linked") {
		t.Errorf("serve stderr:\n%s", stderr.String())
	}
}
