package plex

import (
	"context"
	"sync"
	"time"
)

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
