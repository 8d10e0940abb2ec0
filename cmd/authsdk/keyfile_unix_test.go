//go:build linux || darwin

package main

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

// A key that cannot be written whole (here: no file may grow, ulimit -f 0)
// is an error, and no empty or partial key file is left behind.
func TestKeygenWriteFailureLeavesNoKey(t *testing.T) {
	key := t.TempDir() + "/device.pem"
	cmd := exec.Command("sh", "-c", `ulimit -f 0 && exec "$0" plex jwt keygen --key-file "$1"`, binary, key)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("exit %v, want 2: %s", err, out)
	}
	if _, err := os.Lstat(key); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was left: %v", err)
	}
}
