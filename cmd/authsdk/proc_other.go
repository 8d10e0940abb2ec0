//go:build !unix

package main

import (
	"os"
	"os/exec"
)

// interruptGroup makes Cancel interrupt cmd (the console delivers Ctrl-C
// to the child as well).
func interruptGroup(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
}
