package plex_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/authsdk/authsdk/sdk/plex"
)

// identityChild, when set, makes the test binary a second process that
// opens the identity in that directory and prints it (see
// TestIdentityOneForConcurrentOpeners).
const identityChild = "AUTHSDK_TEST_IDENTITY_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(identityChild); dir != "" {
		syscall.Umask(0) // the modes must not depend on the umask
		id, err := plex.OpenIdentity(context.Background(), plex.DirStore(dir))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(id.ClientIdentifier, id.Key.KeyID())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// 16 goroutines and 2 processes opening one empty directory at once end
// with one identity, in a 0700 directory and a 0600 file (under umask 000).
func TestIdentityOneForConcurrentOpeners(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deep", "plex")
	var wg sync.WaitGroup
	seen := make(chan string, 18)
	for range 2 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), identityChild+"="+dir)
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("child: %v %s", err, out)
				return
			}
			seen <- strings.TrimSpace(string(out))
		})
	}
	for range 16 {
		wg.Go(func() {
			id, err := plex.OpenIdentity(context.Background(), plex.DirStore(dir))
			if err != nil {
				t.Error(err)
				return
			}
			seen <- id.ClientIdentifier + " " + id.Key.KeyID()
		})
	}
	wg.Wait()
	close(seen)
	var first string
	for s := range seen {
		if first == "" {
			first = s
		}
		if s != first {
			t.Fatalf("two identities: %q and %q", first, s)
		}
	}
	if len(strings.Fields(first)) != 2 || len(strings.Fields(first)[0]) != 36 {
		t.Fatalf("identity %q: want a UUID client identifier and a key id", first)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "device.pem"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", path, fi.Mode().Perm(), want, err)
		}
	}
	// The key file is a --key-file too: ParseDeviceKey reads it.
	b, _ := os.ReadFile(filepath.Join(dir, "device.pem"))
	if _, err := plex.ParseDeviceKey(b); err != nil {
		t.Errorf("device.pem is not a usable key file: %v", err)
	}
}

// A symlinked, too-open or damaged file is an error naming it and saying
// how to recover; the file is left as it was (a new identity would be a new
// device, and the tokens bound to the old one would stop working).
func TestIdentityRefusesUnsafeOrDamagedFiles(t *testing.T) {
	good := t.TempDir()
	if _, err := plex.OpenIdentity(context.Background(), plex.DirStore(good)); err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := os.ReadFile(filepath.Join(good, "device.pem"))
	cases := map[string]func(dir, file string){
		"symlink": func(dir, file string) {
			_ = os.WriteFile(filepath.Join(dir, "real.pem"), pemBytes, 0o600)
			_ = os.Symlink(filepath.Join(dir, "real.pem"), file)
		},
		"mode 0644": func(_, file string) { _ = os.WriteFile(file, pemBytes, 0o644); _ = os.Chmod(file, 0o644) },
		"truncated": func(_, file string) { _ = os.WriteFile(file, pemBytes[:len(pemBytes)/2], 0o600) },
		"not a key": func(_, file string) { _ = os.WriteFile(file, []byte("hello\n"), 0o600) },
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "device.pem")
			damage(dir, file)
			before, _ := os.Lstat(file)
			content, _ := os.ReadFile(file)
			_, err := plex.OpenIdentity(context.Background(), plex.DirStore(dir))
			if err == nil || !strings.Contains(err.Error(), file) {
				t.Fatalf("want an error naming %s, got %v", file, err)
			}
			after, _ := os.Lstat(file)
			now, _ := os.ReadFile(file)
			if after.Mode() != before.Mode() || !bytes.Equal(now, content) {
				t.Fatalf("the file was changed: %v → %v", before.Mode(), after.Mode())
			}
		})
	}
	// A directory of ours that others may open is narrowed to 0700.
	wide := t.TempDir()
	_ = os.Chmod(wide, 0o755)
	if _, err := plex.OpenIdentity(context.Background(), plex.DirStore(wide)); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(wide); fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory left at %v", fi.Mode().Perm())
	}
}

func TestIdentityInMemoryAndDefaultDir(t *testing.T) {
	store := plex.MemoryStore()
	a, err := plex.OpenIdentity(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := plex.OpenIdentity(context.Background(), store)
	if a.ClientIdentifier != b.ClientIdentifier || a.Key.KeyID() != b.Key.KeyID() {
		t.Fatal("a memory store made two identities")
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	dir, err := plex.DefaultIdentityDir()
	if err != nil || !strings.HasSuffix(dir, filepath.Join("authsdk", "plex")) {
		t.Fatalf("default dir %q %v", dir, err)
	}
	c, err := plex.New(plex.WithIdentity(a))
	if err != nil || c == nil {
		t.Fatal(err)
	}
	if _, err := plex.New(plex.WithIdentity(nil)); err == nil {
		t.Fatal("a nil identity was accepted")
	}
}

// DirStore trusts no one above it: a directory on the way that others may
// write to (without the sticky bit) lets them move the identity away, so
// the next open would silently make a new device; a relative path would be
// another identity in every working directory. Both are refused.
func TestIdentityDirTrustsNoOneAboveIt(t *testing.T) {
	open := func(dir string) error {
		_, err := plex.OpenIdentity(context.Background(), plex.DirStore(dir))
		return err
	}
	base := t.TempDir()
	shared := filepath.Join(base, "shared")
	if err := os.Mkdir(shared, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	err := open(filepath.Join(shared, "me", "plex"))
	if err == nil || !strings.Contains(err.Error(), shared+" is writable by others") {
		t.Fatalf("world-writable parent: %v", err)
	}
	if _, statErr := os.Stat(filepath.Join(shared, "me")); !os.IsNotExist(statErr) {
		t.Fatalf("something was made below the refused directory: %v", statErr)
	}
	if err := os.Chmod(shared, os.ModeSticky|0o777); err != nil { // sticky, as /tmp: others cannot rename what is ours
		t.Fatal(err)
	}
	if err := open(filepath.Join(shared, "me", "plex")); err != nil {
		t.Fatalf("sticky parent: %v", err)
	}
	if err := os.Chmod(shared, 0o770); err != nil { // group-writable: refused too
		t.Fatal(err)
	}
	if err := open(filepath.Join(shared, "me", "plex")); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Fatalf("group-writable parent: %v", err)
	}
	if err := open(filepath.Join("relative", "plex")); err == nil || !strings.Contains(err.Error(), "relative path") {
		t.Fatalf("relative path: %v", err)
	}
}

// device.pem is a plain PKCS#8 key that OpenSSL reads (the client
// identifier lives in its own file); what 0.3.0 wrote — the identifier in
// a PEM header — still loads as the same device.
func TestIdentityFilesOpenSSLReadsAndOldLayoutLoads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plex")
	id, err := plex.OpenIdentity(context.Background(), plex.DirStore(dir))
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := os.ReadFile(filepath.Join(dir, "device.pem"))
	if bytes.Contains(pemBytes, []byte("Client-Identifier")) {
		t.Fatal("device.pem still carries a PEM header")
	}
	if cid, _ := os.ReadFile(filepath.Join(dir, "client-identifier")); strings.TrimSpace(string(cid)) != id.ClientIdentifier {
		t.Fatalf("client-identifier holds %q", cid)
	}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		if out, err := exec.Command(openssl, "pkey", "-in", filepath.Join(dir, "device.pem"), "-noout").CombinedOutput(); err != nil {
			t.Fatalf("openssl pkey refuses device.pem: %v %s", err, out)
		}
	} else {
		t.Log("no openssl here: its check was not run")
	}

	// The layout 0.3.0 wrote: one file, the identifier in a PEM header.
	old := filepath.Join(t.TempDir(), "plex")
	if err := os.Mkdir(old, 0o700); err != nil {
		t.Fatal(err)
	}
	header := bytes.Replace(pemBytes, []byte("-----BEGIN PRIVATE KEY-----\n"), []byte("-----BEGIN PRIVATE KEY-----\nClient-Identifier: 0-3-0-device\n\n"), 1)
	if err := os.WriteFile(filepath.Join(old, "device.pem"), header, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := plex.OpenIdentity(context.Background(), plex.DirStore(old))
	if err != nil || again.ClientIdentifier != "0-3-0-device" || again.Key.KeyID() != id.Key.KeyID() {
		t.Fatalf("0.3.0's layout: %v %+v", err, again)
	}
	// Both, disagreeing: damaged, left alone.
	if err := os.WriteFile(filepath.Join(old, "client-identifier"), []byte("someone-else\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := plex.OpenIdentity(context.Background(), plex.DirStore(old)); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("disagreeing identifiers: %v", err)
	}
}
