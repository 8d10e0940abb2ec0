//go:build linux || darwin

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// TestCtrlCAtPrompts runs plex signin on a pseudo-terminal and presses
// Ctrl-C at the password prompt and at the 2FA prompt: the command ends at
// once with 130 and the terminal echoes again.
func TestCtrlCAtPrompts(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	for _, at := range []string{"Password: ", "Two-factor code: "} {
		t.Run(at, func(t *testing.T) {
			cmd, ptmx, tty, out := startOnPTY(t, nil, []string{"PLEX_CLIENT_IDENTIFIER=pty-test"},
				"plex", "signin", "--login", plextest.TwoFactorLogin, "--plex-tv-url", srv.PlexTVURL())
			out.waitFor(t, "Password: ")
			echoIsOff(t, tty, "Password: ")
			if at == "Two-factor code: " {
				_, _ = ptmx.Write([]byte(plextest.Password + "\r"))
				out.waitFor(t, at)
				echoIsOff(t, tty, at)
			}
			_, _ = ptmx.Write([]byte{3}) // Ctrl-C
			code, exited := exitWithin(cmd)
			if !exited {
				t.Fatalf("Ctrl-C at %q did not end the command; terminal: %q", at, out.String())
			}
			if code != 130 {
				t.Fatalf("exit %d, want 130; terminal: %q", code, out.String())
			}
			tio, err := unix.IoctlGetTermios(int(tty.Fd()), ioctlReadTermios)
			if err != nil {
				t.Fatal(err)
			}
			if tio.Lflag&unix.ECHO == 0 {
				t.Fatal("terminal left without echo")
			}
			if strings.Contains(out.String(), plextest.Password) {
				t.Fatal("password echoed")
			}
		})
	}
}

// echoIsOff fails t unless echo is already off when the prompt shows: a
// secret typed at once must not be echoed (it was, on a loaded machine,
// while echo went off only after the prompt was printed).
func echoIsOff(t *testing.T, tty *os.File, prompt string) {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), ioctlReadTermios)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO != 0 {
		t.Fatalf("%q shows while the terminal still echoes", prompt)
	}
}

// startOnPTY starts the binary with args on a new pseudo-terminal (of size
// ws when given) as its controlling terminal, with only PATH and environ
// set, and collects what it writes there. It skips t where there is none.
func startOnPTY(t *testing.T, ws *pty.Winsize, environ []string, args ...string) (*exec.Cmd, *os.File, *os.File, *ptyOutput) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { _ = ptmx.Close(); _ = tty.Close() })
	if ws != nil {
		if err := pty.Setsize(ptmx, ws); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "AUTHSDK_CONFIG_DIR=" + testConfigDir(t)}, environ...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := &ptyOutput{}
	go func() { _, _ = io.Copy(out, ptmx) }()
	return cmd, ptmx, tty, out
}

// ptyOutput collects what a running command writes (a terminal, a pipe).
type ptyOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (p *ptyOutput) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.Write(b)
}

func (p *ptyOutput) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

func (p *ptyOutput) waitFor(t *testing.T, s string) {
	t.Helper()
	p.waitForCount(t, s, 1)
}

// waitForCount waits until s has been written n times.
func (p *ptyOutput) waitForCount(t *testing.T, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for strings.Count(p.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in %q", s, p.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// "authsdk serve" runs the demo program's serve; Ctrl-C (an interrupt of
// authsdk alone, as a supervisor would send) stops both, servers included.
func TestServeThroughAuthsdk(t *testing.T) {
	cmd := exec.Command(binary, "serve", "--approve-after", "0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var stdout, stderr ptyOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdout.waitFor(t, "export PLEX_TOKEN=")
	var tvURL string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if v, ok := strings.CutPrefix(l, "export PLEX_TV_URL="); ok {
			tvURL = strings.Trim(v, "'")
		}
	}
	if r := runBinary(t, []string{"PLEX_TV_URL=" + tvURL, "PLEX_TOKEN=" + plextest.UserToken}, "plex", "user"); r.code != 0 {
		t.Fatalf("plex user against serve: %+v", r)
	}
	_ = cmd.Process.Signal(os.Interrupt)
	code, exited := exitWithin(cmd)
	if !exited {
		t.Fatal("serve did not stop on interrupt")
	}
	if code != 130 || !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	if r := runBinary(t, []string{"PLEX_TV_URL=" + tvURL, "PLEX_TOKEN=" + plextest.UserToken, "PLEX_CLIENT_IDENTIFIER=x"}, "plex", "user", "--retries", "0"); r.code != 1 {
		t.Errorf("the fake still answers after serve stopped: %+v", r)
	}
	d := runBinary(t, nil, "demo")
	if d.code != 0 || !strings.Contains(d.stdout, "0 failed, 0 spec violations") {
		t.Errorf("authsdk demo: %+v", d)
	}
	// The demo program's help and errors name the command the user typed.
	for _, args := range [][]string{{"serve", "--help"}, {"demo", "-h"}, {"serve", "--approve-after", "soon"}} {
		h := runBinary(t, nil, args...)
		if out := h.stdout + h.stderr; strings.Contains(out, "authsdk-demo") || !strings.Contains(out, "authsdk "+args[0]) {
			t.Errorf("authsdk %v names the demo program, not the command: %+v", args, h)
		}
	}
}

// fits80 fails t for a help line an 80-column terminal would wrap.
func fits80(t *testing.T, what, help string) {
	t.Helper()
	for _, l := range strings.Split(help, "\n") {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("%s: help line of %d columns: %q", what, n, l)
		}
	}
}

// Without the demo program beside it or on PATH, authsdk demo runs it with
// go run: from source inside a clone, at the binary's own version
// elsewhere (a plain "go run pkg" fails outside this module), or not at all.
func TestDemoGoRun(t *testing.T) {
	clone, _ := os.Getwd() // cmd/authsdk of this module
	other := t.TempDir()
	_ = os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/mine\n\ngo 1.25\n"), 0o644)
	fork := filepath.Join(t.TempDir(), "authsdk")
	_ = os.MkdirAll(filepath.Join(fork, "cmd"), 0o755)
	_ = os.WriteFile(filepath.Join(fork, "go.mod"), []byte("// a fork\nmodule   \"github.com/authsdk/authsdk\"\n"), 0o644)
	plain := []string{"run", demoProgram}
	cases := []struct {
		dir, version string
		want         []string
	}{
		{clone, "(devel)", plain},
		{filepath.Join(fork, "cmd"), "", plain},
		{t.TempDir(), "v0.3.0", []string{"run", demoProgram + "@v0.3.0"}},
		{other, "v0.0.0-20261129040000-5234887abcde", []string{"run", demoProgram + "@v0.0.0-20261129040000-5234887abcde"}},
		{t.TempDir(), "(devel)", nil},
		{t.TempDir(), "v0.0.0-20261129040000-5234887abcde+dirty", nil},
		{t.TempDir(), "", nil},
	}
	for _, c := range cases {
		got, ok := demoGoRun(c.dir, c.version)
		if ok != (c.want != nil) || strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s at %q: %v %v, want %v", c.dir, c.version, got, ok, c.want)
		}
	}

	// The built binary alone, outside any module, with a go that records
	// its arguments: never a plain "go run pkg" there.
	bin := filepath.Join(t.TempDir(), "authsdk")
	b, _ := os.ReadFile(binary)
	_ = os.WriteFile(bin, b, 0o755)
	tools := t.TempDir()
	record := filepath.Join(tools, "args")
	_ = os.WriteFile(filepath.Join(tools, "go"), []byte("#!/bin/sh\necho \"$@\" > "+record+"\n"), 0o755)
	cmd := exec.Command(bin, "demo")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + tools}
	out, err := cmd.CombinedOutput()
	args, _ := os.ReadFile(record)
	var ee *exec.ExitError
	switch {
	case err == nil && strings.HasPrefix(string(args), "run "+demoProgram+"@v"):
	case errors.As(err, &ee) && ee.ExitCode() == 2 && len(args) == 0 && strings.Contains(string(out), "go install "+demoProgram+"@latest"):
	default:
		t.Fatalf("authsdk demo outside the module: %v, go %q, output %q", err, args, out)
	}
}
