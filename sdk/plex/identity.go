package plex

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/authsdk/authsdk/sdk"
)

// Identity is this installation's Plex device: one client identifier and
// one Ed25519 device key for as long as the installation lives. plex.tv
// keeps one token per account and client identifier: a sign-in under the
// same identifier rotates the previous token out, and a new identifier
// per run adds an "Authorized Device" every time. Open it once at start
// (OpenIdentity) and give it to New with WithIdentity.
type Identity struct {
	// ClientIdentifier is sent as X-Plex-Client-Identifier (a UUID).
	ClientIdentifier string
	// Key is the device key for JWT authentication (CreateJWTPin,
	// RegisterDeviceKey, NewJWTSource).
	Key *DeviceKey
	// Location says where the identity lives (a directory), for messages.
	Location string

	store IdentityStore
}

// IdentityStore is where an identity lives. DirStore keeps it in files,
// MemoryStore in memory; a service can keep it in a database or a secret
// manager shared by its replicas by implementing this interface.
type IdentityStore interface {
	// LoadOrCreate returns the stored identity. When there is none it
	// stores the one create makes — unless another writer stored one
	// first (another goroutine, process or replica): then it returns that
	// one, so every caller ends with the same identity. A stored identity
	// that cannot be read is an error, never replaced: a new one would be
	// a new device, and the tokens bound to the old one would stop working.
	LoadOrCreate(ctx context.Context, create func() (StoredIdentity, error)) (StoredIdentity, error)
	// LoadJWT returns the last Plex JWT stored, or "" when there is none.
	LoadJWT(ctx context.Context) (string, error)
	// StoreJWT keeps a Plex JWT, replacing the last one.
	StoreJWT(ctx context.Context, token string) error
	// Location says where the identity lives, for messages.
	Location() string
}

// SharedIdentityStore is an IdentityStore that lets the sources sharing it
// (goroutines, processes on one DirStore, replicas on a database) make one
// exchange between them: before exchanging, a JWTSource takes the refresh
// lease, re-reads the stored JWT and adopts it when another source already
// refreshed it; it writes its new JWT by compare-and-swap, so an older JWT
// never overwrites a newer one. MemoryStore and DirStore implement it. A
// store that implements only IdentityStore still works: each source then
// re-reads the store before exchanging, but sources that go stale at the
// same moment may each exchange (and plex.tv may rotate one out).
type SharedIdentityStore interface {
	IdentityStore
	// LockRefresh waits until this caller holds the store's refresh lease,
	// or ctx ends, and returns the function that releases it. The lease
	// lapses by itself after ttl, so a holder that dies does not block the
	// others for longer.
	LockRefresh(ctx context.Context, ttl time.Duration) (unlock func(), err error)
	// SwapJWT stores next only if the stored JWT is still prev ("" for
	// none), and reports whether it did.
	SwapJWT(ctx context.Context, prev, next string) (bool, error)
}

// StoredIdentity is an identity as a store keeps it.
type StoredIdentity struct {
	// ClientIdentifier is the installation's client identifier.
	ClientIdentifier string
	// KeyPEM is the device key as DeviceKey.MarshalPEM writes it (a secret).
	KeyPEM sdk.Secret
}

// OpenIdentity loads the identity kept in store, or creates it on first
// use: a random UUID and a new Ed25519 key. A nil store is DirStore("").
func OpenIdentity(ctx context.Context, store IdentityStore) (*Identity, error) {
	if ctx == nil {
		return nil, errors.New("plex.OpenIdentity: nil context")
	}
	if store == nil {
		store = DirStore("")
	}
	stored, err := store.LoadOrCreate(ctx, newStoredIdentity)
	if err != nil {
		return nil, fmt.Errorf("plex.OpenIdentity: %w", err)
	}
	if stored.ClientIdentifier == "" || stored.KeyPEM == "" {
		return nil, fmt.Errorf("plex.OpenIdentity: the identity in %s has no client identifier or no key", store.Location())
	}
	k, err := ParseDeviceKey([]byte(stored.KeyPEM))
	if err != nil {
		return nil, fmt.Errorf("plex.OpenIdentity: the device key in %s: %w", store.Location(), err)
	}
	return &Identity{ClientIdentifier: stored.ClientIdentifier, Key: k, Location: store.Location(), store: store}, nil
}

func newStoredIdentity() (StoredIdentity, error) {
	k, err := NewDeviceKey()
	if err != nil {
		return StoredIdentity{}, err
	}
	b, err := k.MarshalPEM()
	if err != nil {
		return StoredIdentity{}, err
	}
	return StoredIdentity{ClientIdentifier: uuid.NewString(), KeyPEM: sdk.Secret(b)}, nil
}

// DefaultIdentityDir is where DirStore("") keeps the identity:
// os.UserConfigDir()/authsdk/plex.
func DefaultIdentityDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("plex.DefaultIdentityDir: %w", err)
	}
	return filepath.Join(dir, "authsdk", "plex"), nil
}

// MemoryStore keeps an identity in memory: for tests, and for programs
// that get their identity elsewhere and hand it over once.
func MemoryStore() IdentityStore { return &memoryStore{} }

type memoryStore struct {
	mu    sync.Mutex
	id    *StoredIdentity
	jwt   *string       // behind a pointer: fmt never reaches the token
	lease chan struct{} // the refresh lease: held while it holds a value
}

func (m *memoryStore) LoadOrCreate(_ context.Context, create func() (StoredIdentity, error)) (StoredIdentity, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.id == nil {
		id, err := create()
		if err != nil {
			return StoredIdentity{}, err
		}
		m.id = &id
	}
	return *m.id, nil
}

func (m *memoryStore) LoadJWT(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.jwt == nil {
		return "", nil
	}
	return *m.jwt, nil
}

func (m *memoryStore) StoreJWT(_ context.Context, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.jwt = &token
	return nil
}

func (m *memoryStore) Location() string { return "memory" }

func (m *memoryStore) SwapJWT(_ context.Context, prev, next string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := ""
	if m.jwt != nil {
		cur = *m.jwt
	}
	if cur != prev {
		return false, nil
	}
	m.jwt = &next
	return true, nil
}

func (m *memoryStore) LockRefresh(ctx context.Context, ttl time.Duration) (func(), error) {
	m.mu.Lock()
	if m.lease == nil {
		m.lease = make(chan struct{}, 1)
	}
	lease := m.lease
	m.mu.Unlock()
	select {
	case lease <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	release := func() { once.Do(func() { <-lease }) }
	t := time.AfterFunc(ttl, release)
	return func() { t.Stop(); release() }, nil
}

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
