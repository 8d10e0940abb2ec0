package plex

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

// DirStore keeps the identity in a directory ("" = DefaultIdentityDir):
// device.pem holds the key (PKCS#8 PEM without headers: usable as a
// --key-file and readable by openssl pkey), client-identifier the client
// identifier, and plex-jwt the last Plex JWT. A device.pem written by 0.3.0
// (the client identifier in a PEM header, which OpenSSL refuses) is still
// read as it is: the same device. The directory is made 0700 and the files
// 0600; every file is written to a temporary file first, and the identity's
// files are created with a hard link, which fails if the name exists, so
// two processes opening an empty directory end with one identity. A
// symlink, a file of another owner or one that others may read is refused
// with an error naming it; so is a damaged file, which is never replaced
// (moving it away makes a new device).
func DirStore(dir string) IdentityStore { return &dirStore{dir: dir} }

type dirStore struct{ dir string }

const (
	keyFileName      = "device.pem"
	clientIDFileName = "client-identifier"
	jwtFileName      = "plex-jwt"
	clientIDHeader   = "Client-Identifier" // where 0.3.0 kept it, in device.pem
	privateKeyHeader = "PRIVATE KEY"
)

func (d *dirStore) path() (string, error) {
	if d.dir != "" {
		if !filepath.IsAbs(d.dir) {
			return "", fmt.Errorf("plex.DirStore: %q is a relative path: it would be another identity (another Plex device) in every working directory; give an absolute path", d.dir)
		}
		return filepath.Clean(d.dir), nil
	}
	return DefaultIdentityDir()
}

func (d *dirStore) Location() string {
	p, err := d.path()
	if err != nil {
		return "the default identity directory (" + err.Error() + ")"
	}
	return p
}

func (d *dirStore) LoadOrCreate(_ context.Context, create func() (StoredIdentity, error)) (StoredIdentity, error) {
	dir, err := d.path()
	if err != nil {
		return StoredIdentity{}, err
	}
	if err := ensurePrivateDir(dir); err != nil {
		return StoredIdentity{}, err
	}
	if id, err := readIdentity(dir); !errors.Is(err, fs.ErrNotExist) {
		return id, err
	}
	id, err := create()
	if err != nil {
		return StoredIdentity{}, err
	}
	block, _ := pem.Decode([]byte(id.KeyPEM))
	if block == nil {
		return StoredIdentity{}, errors.New("the new identity's key is not PEM")
	}
	block.Headers = nil
	// Each file is created only if its name is free (a hard link): the
	// first writer of each wins, and everyone reads what was written. The
	// client identifier goes first, so a device.pem never lacks one.
	for _, f := range []struct {
		name string
		data []byte
	}{{clientIDFileName, []byte(id.ClientIdentifier + "\n")}, {keyFileName, pem.EncodeToMemory(block)}} {
		if err := createOnce(dir, f.name, f.data); err != nil {
			return StoredIdentity{}, err
		}
	}
	return readIdentity(dir)
}

// createOnce writes data to dir/name unless the name exists already.
func createOnce(dir, name string, data []byte) error {
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}

// readIdentity reads device.pem and the client identifier (its own file, or
// 0.3.0's PEM header): fs.ErrNotExist when there is no device.pem.
func readIdentity(dir string) (StoredIdentity, error) {
	file := filepath.Join(dir, keyFileName)
	b, err := readPrivateFile(file)
	if err != nil {
		return StoredIdentity{}, err
	}
	block, rest := pem.Decode(b)
	damaged := func(file, what string) error {
		return fmt.Errorf("%s is damaged (%s); it was left as it is. Restore it from a backup, or move it away to create a new identity — a new Plex device: tokens and keys bound to the old one stop working", file, what)
	}
	switch {
	case block == nil:
		return StoredIdentity{}, damaged(file, "no PEM block")
	case block.Type != privateKeyHeader:
		return StoredIdentity{}, damaged(file, "the PEM block is not a PRIVATE KEY")
	case len(strings.TrimSpace(string(rest))) != 0:
		return StoredIdentity{}, damaged(file, "data after the key")
	}
	id := block.Headers[clientIDHeader]
	idFile := filepath.Join(dir, clientIDFileName)
	switch c, err := readPrivateFile(idFile); {
	case err == nil && strings.TrimSpace(string(c)) == "":
		return StoredIdentity{}, damaged(idFile, "empty")
	case err == nil && id != "" && strings.TrimSpace(string(c)) != id:
		return StoredIdentity{}, damaged(idFile, "it differs from the "+clientIDHeader+" header of "+keyFileName)
	case err == nil:
		id = strings.TrimSpace(string(c))
	case !errors.Is(err, fs.ErrNotExist):
		return StoredIdentity{}, err
	case id == "":
		return StoredIdentity{}, damaged(file, "no "+clientIDFileName+" file beside it and no "+clientIDHeader+" header")
	}
	block.Headers = nil
	key := pem.EncodeToMemory(block)
	if _, err := ParseDeviceKey(key); err != nil {
		return StoredIdentity{}, damaged(file, strings.TrimPrefix(err.Error(), "plex.ParseDeviceKey: "))
	}
	return StoredIdentity{ClientIdentifier: id, KeyPEM: sdk.Secret(key)}, nil
}

func (d *dirStore) LoadJWT(context.Context) (string, error) {
	dir, err := d.path()
	if err != nil {
		return "", err
	}
	b, err := readPrivateFile(filepath.Join(dir, jwtFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return strings.TrimSpace(string(b)), err
}

func (d *dirStore) StoreJWT(ctx context.Context, token string) error {
	dir, unlock, err := d.lock(ctx, jwtLockName)
	if err != nil {
		return err
	}
	defer unlock()
	return writeJWT(dir, token)
}

// writeJWT replaces the stored JWT (temp file, then rename); the caller
// holds the JWT lock.
func writeJWT(dir, token string) error {
	tmp, err := writeTemp(dir, []byte(token+"\n"))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, jwtFileName)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("store the Plex JWT in %s: %w", dir, err)
	}
	return nil
}

// lockPoll is how often a DirStore lock that is held elsewhere is tried again.
const lockPoll = 20 * time.Millisecond

// Lock files of a DirStore: the refresh lease, and the short lock around a
// compare-and-swap of the stored JWT.
const (
	refreshLockName = "refresh.lock"
	jwtLockName     = "plex-jwt.lock"
)

// lock takes the DirStore lock file name in the identity's directory.
func (d *dirStore) lock(ctx context.Context, name string) (dir string, unlock func(), err error) {
	if dir, err = d.path(); err != nil {
		return "", nil, err
	}
	if err := ensurePrivateDir(dir); err != nil {
		return "", nil, err
	}
	unlock, err = lockFile(ctx, filepath.Join(dir, name))
	return dir, unlock, err
}

func (d *dirStore) LockRefresh(ctx context.Context, ttl time.Duration) (func(), error) {
	_, unlock, err := d.lock(ctx, refreshLockName)
	if err != nil {
		return nil, err
	}
	t := time.AfterFunc(ttl, unlock) // the kernel frees it if this process dies
	return func() { t.Stop(); unlock() }, nil
}

func (d *dirStore) SwapJWT(ctx context.Context, prev, next string) (bool, error) {
	dir, unlock, err := d.lock(ctx, jwtLockName)
	if err != nil {
		return false, err
	}
	defer unlock()
	cur, err := d.LoadJWT(ctx)
	if err != nil {
		return false, err
	}
	if cur != prev {
		return false, nil
	}
	return true, writeJWT(dir, next)
}
