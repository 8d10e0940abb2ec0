//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package main

import "golang.org/x/sys/unix"

// echoOff turns the terminal's echo off, keeping line editing and Ctrl-C,
// as term.ReadPassword does, but before the prompt is printed: a secret
// typed as soon as the prompt shows is never echoed. The caller restores
// the state it saved.
func echoOff(fd int) error {
	t, err := unix.IoctlGetTermios(fd, ioctlReadTermios)
	if err != nil {
		return err
	}
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	return unix.IoctlSetTermios(fd, ioctlWriteTermios, t)
}
