//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// interruptGroup runs cmd in a process group of its own and makes Cancel
// interrupt the whole group: "go run" starts the program as its child, and
// an interrupt of the go command alone would leave that child running.
func interruptGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
}
