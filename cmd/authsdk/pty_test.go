//go:build linux || darwin

package main

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

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
