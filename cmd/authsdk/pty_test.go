//go:build linux || darwin

package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
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
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal here: %v", err)
			}
			defer ptmx.Close()
			defer tty.Close()
			cmd := exec.Command(binary, "plex", "signin", "--login", plextest.TwoFactorLogin, "--plex-tv-url", srv.PlexTVURL())
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PLEX_CLIENT_IDENTIFIER=pty-test"}
			cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var out ptyOutput
			go func() { _, _ = io.Copy(&out, ptmx) }()
			out.waitFor(t, "Password: ")
			if at == "Two-factor code: " {
				_, _ = ptmx.Write([]byte(plextest.Password + "\r"))
				out.waitFor(t, at)
			}
			time.Sleep(50 * time.Millisecond) // let the prompt turn echo off
			_, _ = ptmx.Write([]byte{3})      // Ctrl-C
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(3 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("Ctrl-C at %q did not end the command; terminal: %q", at, out.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Fatalf("exit %v, want 130; terminal: %q", err, out.String())
			}
			tio, err := unix.IoctlGetTermios(int(tty.Fd()), ioctlGetTermios)
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
