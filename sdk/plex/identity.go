package plex

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
