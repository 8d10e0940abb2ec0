package plex

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// ensurePrivateDir makes dir (and its parents) with mode 0700, or checks
// that the existing one is a directory of ours, narrowing a wider mode to
// 0700 (a fresh mkdir is 0755; making ours more private is always safe).
func ensurePrivateDir(dir string) error {
	if err := checkAncestors(dir); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create the identity directory %s: %w", dir, err)
		}
		fi, err = os.Lstat(dir)
	}
	if err != nil {
		return err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symlink: refusing to keep a device key behind one", dir)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case !ownedByMe(fi):
		return fmt.Errorf("%s belongs to another user", dir)
	case fi.Mode().Perm()&0o077 != 0:
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("%s has mode %#o and cannot be made 0700: %w", dir, fi.Mode().Perm(), err)
		}
	}
	return nil
}

// checkAncestors applies OpenSSH's StrictModes rule to every directory
// above dir, from the root down: each must belong to root or the user, and
// must not be writable by group or others unless it has the sticky bit
// (/tmp). Otherwise another user could rename the identity's directory
// away, and the next open would silently make a new device. Symlinks on
// the way are resolved first (macOS's /var, a home on another disk).
func checkAncestors(dir string) error {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		return nil // no owner or mode bits to check
	}
	parent := filepath.Dir(filepath.Clean(dir))
	for { // the deepest ancestor that exists
		if _, err := os.Stat(parent); err == nil {
			break
		}
		up := filepath.Dir(parent)
		if up == parent {
			return nil
		}
		parent = up
	}
	real, err := filepath.EvalSymlinks(parent)
	if err != nil {
		return err
	}
	for p := real; ; p = filepath.Dir(p) {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case !ownedByRootOrMe(fi):
			return fmt.Errorf("%s belongs to another user: it could move the Plex identity kept below it away (keep it where only you and root own the directories)", p)
		case fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0:
			return fmt.Errorf("%s is writable by others (mode %#o, no sticky bit): they could move the Plex identity kept below it away (chmod go-w %s, or keep it elsewhere)", p, fi.Mode().Perm(), p)
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// readPrivateFile reads a file that must be a regular file of ours, mode
// 0600 or narrower, and not a symlink; it is never changed.
func readPrivateFile(file string) ([]byte, error) {
	fi, err := os.Lstat(file)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return nil, fmt.Errorf("%s is a symlink: refused (replace it with the file itself)", file)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", file)
	case fi.Mode().Perm()&0o077 != 0:
		return nil, fmt.Errorf("%s has mode %#o: others may read it; make it 0600 (chmod 600 %s)", file, fi.Mode().Perm(), file)
	case !ownedByMe(fi):
		return nil, fmt.Errorf("%s belongs to another user: refused", file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// writeTemp writes b to a new 0600 file in dir and returns its name.
func writeTemp(dir string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".authsdk-*.tmp")
	if err != nil {
		return "", fmt.Errorf("write in %s: %w", dir, err)
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}
