// Package pgstore keeps authsdk's Plex device identity in PostgreSQL: one
// lasting client identifier and device key, and the last Plex JWT, shared
// by every replica of a service, or one per user of a multi-user app.
//
// A Store implements plex.SharedIdentityStore: replicas whose JWT goes stale
// together make one exchange between them (an advisory-lock refresh lease,
// a re-read of the stored JWT, a compare-and-swap write), and an older JWT
// never overwrites a newer one.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	…
//	store, err := pgstore.New(pool, "installation") // or "user:42"
//	id, err := plex.OpenIdentity(ctx, store)
//	c, err := plex.New(plex.WithIdentity(id))
//	src := c.Authentication.NewJWTSource(id.Key)
//
// # Schema
//
// New's store creates its table on first use (CREATE TABLE IF NOT EXISTS,
// run under a transaction-level advisory lock so replicas starting together
// do not race), default name authsdk_plex_identity:
//
//	name              text PRIMARY KEY      -- the caller's partition: "installation", "user:42"
//	schema_version    integer NOT NULL      -- 1
//	client_identifier text NOT NULL         -- X-Plex-Client-Identifier (a UUID)
//	key_pem           bytea NOT NULL        -- the Ed25519 device key, PKCS#8 PEM (a secret; see WithKeySealer)
//	jwt               text                  -- the last Plex JWT (a secret), NULL when none
//	created_at, updated_at timestamptz NOT NULL
//
// An identity row is created once (INSERT … ON CONFLICT DO NOTHING, then
// read back): every replica ends with the same identity. A row that cannot
// be read (a damaged key, an empty client identifier) is an error naming
// the row, never replaced: a new identity would be a new Plex device.
//
// Every call is bounded by its ctx. No error or log carries a secret: the
// key and JWTs never enter an error message.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
)

// SchemaVersion is the version of the table layout this package writes.
const SchemaVersion = 1

// DefaultTable is the table a Store keeps identities in.
const DefaultTable = "authsdk_plex_identity"

// Store is a plex.SharedIdentityStore backed by one row of a PostgreSQL
// table. It is safe for concurrent use.
type Store struct {
	db    *pgxpool.Pool
	name  string
	table string
	seal  func([]byte) ([]byte, error)
	open  func([]byte) ([]byte, error)
	poll  time.Duration

	migrateMu sync.Mutex
	migrated  bool
}

var _ plex.SharedIdentityStore = (*Store)(nil)

// Option configures a Store.
type Option func(*Store) error

// WithTable keeps identities in table instead of DefaultTable (a plain
// lower-case SQL identifier, optionally schema-qualified: "auth.plex_ids").
func WithTable(table string) Option {
	return func(s *Store) error {
		if !tableRE.MatchString(table) {
			return fmt.Errorf("pgstore.WithTable: %q is not a plain table name (lower-case letters, digits, _; optionally schema.table)", table)
		}
		s.table = table
		return nil
	}
}

var tableRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$`)

// WithKeySealer encrypts the device key at rest: seal runs on the key PEM
// before it is written, open on what is read back (for example AES-GCM
// with a key from your KMS). The JWT is not sealed: it expires within days
// and is sent in clear to plex.tv anyway. Without a sealer the key PEM is
// stored as it is: keep the table's privileges tight.
func WithKeySealer(seal, open func([]byte) ([]byte, error)) Option {
	return func(s *Store) error {
		if seal == nil || open == nil {
			return errors.New("pgstore.WithKeySealer: seal and open are both required")
		}
		s.seal, s.open = seal, open
		return nil
	}
}

// New returns the store of the identity called name in db. The name is the
// partition: one per installation ("installation"), or one per user of a
// multi-user app ("user:42") — a device key registers with one Plex
// account only. Nothing is sent to the database until the first call.
func New(db *pgxpool.Pool, name string, opts ...Option) (*Store, error) {
	switch {
	case db == nil:
		return nil, errors.New("pgstore.New: nil pool")
	case name == "" || len(name) > 200:
		return nil, fmt.Errorf("pgstore.New: the identity name must be 1 to 200 bytes, not %d", len(name))
	}
	s := &Store{db: db, name: name, table: DefaultTable, poll: 50 * time.Millisecond}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Location says where the identity lives, for messages.
func (s *Store) Location() string {
	return fmt.Sprintf("PostgreSQL table %s, row %q", s.table, s.name)
}

// Migrate creates the table when it does not exist. The other methods call
// it on first use; call it yourself to fail fast at start.
func (s *Store) Migrate(ctx context.Context) error {
	s.migrateMu.Lock()
	defer s.migrateMu.Unlock()
	if s.migrated {
		return nil
	}
	err := s.retry(ctx, func() error {
		return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
			// Replicas starting at once would race on the catalog: one at a time.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(s.table, "")); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.table+` (
	name              text PRIMARY KEY,
	schema_version    integer NOT NULL,
	client_identifier text NOT NULL,
	key_pem           bytea NOT NULL,
	jwt               text,
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now()
)`)
			return err
		})
	})
	if err != nil {
		return s.fail("create the table", err)
	}
	s.migrated = true
	return nil
}

// LoadOrCreate returns the stored identity, storing the one create makes
// when there is none — unless another replica stored one first, which is
// then returned.
func (s *Store) LoadOrCreate(ctx context.Context, create func() (plex.StoredIdentity, error)) (plex.StoredIdentity, error) {
	if err := s.Migrate(ctx); err != nil {
		return plex.StoredIdentity{}, err
	}
	id, found, err := s.load(ctx)
	if err != nil || found {
		return id, err
	}
	made, err := create()
	if err != nil {
		return plex.StoredIdentity{}, err
	}
	key := []byte(made.KeyPEM)
	if s.seal != nil {
		if key, err = s.seal(key); err != nil {
			return plex.StoredIdentity{}, fmt.Errorf("pgstore: seal the device key of %q: %w", s.name, err)
		}
	}
	err = s.retry(ctx, func() error {
		_, err := s.db.Exec(ctx, `INSERT INTO `+s.table+` (name, schema_version, client_identifier, key_pem)
VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`, s.name, SchemaVersion, made.ClientIdentifier, key)
		return err
	})
	if err != nil {
		return plex.StoredIdentity{}, s.fail("store the new identity", err)
	}
	id, found, err = s.load(ctx) // ours, or the one another replica stored first
	if err == nil && !found {
		err = fmt.Errorf("pgstore: the identity %q vanished right after it was stored", s.name)
	}
	return id, err
}

// load reads the identity row; found is false when there is none.
func (s *Store) load(ctx context.Context) (id plex.StoredIdentity, found bool, err error) {
	var version int
	var key []byte
	err = s.retry(ctx, func() error {
		return s.db.QueryRow(ctx, `SELECT schema_version, client_identifier, key_pem FROM `+s.table+` WHERE name = $1`, s.name).
			Scan(&version, &id.ClientIdentifier, &key)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return plex.StoredIdentity{}, false, nil
	}
	if err != nil {
		return plex.StoredIdentity{}, false, s.fail("read the identity", err)
	}
	damaged := func(what string) error {
		return fmt.Errorf("pgstore: the identity %q in %s is damaged (%s); it was left as it is. Restore the row from a backup, or delete it to create a new identity — a new Plex device: tokens and keys bound to the old one stop working", s.name, s.table, what)
	}
	if version > SchemaVersion {
		return plex.StoredIdentity{}, false, fmt.Errorf("pgstore: the identity %q was written by a newer pgstore (schema %d, this one knows %d): upgrade", s.name, version, SchemaVersion)
	}
	if s.open != nil {
		if key, err = s.open(key); err != nil {
			return plex.StoredIdentity{}, false, damaged("the key does not open: " + err.Error())
		}
	}
	if id.ClientIdentifier == "" {
		return plex.StoredIdentity{}, false, damaged("no client identifier")
	}
	if _, err := plex.ParseDeviceKey(key); err != nil {
		return plex.StoredIdentity{}, false, damaged("the key does not parse")
	}
	id.KeyPEM = sdk.Secret(key)
	return id, true, nil
}

// LoadJWT returns the stored Plex JWT, or "" when there is none.
func (s *Store) LoadJWT(ctx context.Context) (string, error) {
	if err := s.Migrate(ctx); err != nil {
		return "", err
	}
	var jwt *string
	err := s.retry(ctx, func() error {
		return s.db.QueryRow(ctx, `SELECT jwt FROM `+s.table+` WHERE name = $1`, s.name).Scan(&jwt)
	})
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && jwt == nil) {
		return "", nil
	}
	if err != nil {
		return "", s.fail("read the JWT", err)
	}
	return *jwt, nil
}

// StoreJWT replaces the stored Plex JWT.
func (s *Store) StoreJWT(ctx context.Context, token string) error {
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	var tag pgconn.CommandTag
	err := s.retry(ctx, func() (err error) {
		tag, err = s.db.Exec(ctx, `UPDATE `+s.table+` SET jwt = $2, updated_at = now() WHERE name = $1`, s.name, token)
		return err
	})
	if err != nil {
		return s.fail("store the JWT", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: no identity %q to store a JWT with (open it first)", s.name)
	}
	return nil
}

// SwapJWT stores next only if the stored JWT is still prev ("" for none),
// in one statement, and reports whether it did.
func (s *Store) SwapJWT(ctx context.Context, prev, next string) (bool, error) {
	if err := s.Migrate(ctx); err != nil {
		return false, err
	}
	var tag pgconn.CommandTag
	err := s.retry(ctx, func() (err error) {
		tag, err = s.db.Exec(ctx, `UPDATE `+s.table+` SET jwt = $3, updated_at = now()
WHERE name = $1 AND coalesce(jwt, '') = $2`, s.name, prev, next)
		return err
	})
	if err != nil {
		return false, s.fail("swap the JWT", err)
	}
	return tag.RowsAffected() == 1, nil
}

// LockRefresh takes the identity's refresh lease: a session advisory lock
// on a connection held until unlock, or until ttl passes (then the lease
// lapses and the connection goes back), or until the process dies (then
// PostgreSQL ends the session and frees it). It waits, polling, until the
// lock is free or ctx ends.
func (s *Store) LockRefresh(ctx context.Context, ttl time.Duration) (func(), error) {
	var conn *pgxpool.Conn
	err := s.retry(ctx, func() (err error) {
		if conn, err = s.db.Acquire(ctx); err == nil {
			err = conn.Ping(ctx) // a connection the server cut is found here, not in the loop
			if err != nil {
				conn.Release()
			}
		}
		return err
	})
	if err != nil {
		return nil, s.fail("take a connection for the refresh lease", err)
	}
	key := lockKey(s.table, s.name)
	for {
		var ok bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
			conn.Release()
			return nil, s.fail("take the refresh lease", err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			conn.Release()
			return nil, ctx.Err()
		case <-time.After(s.poll):
		}
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
				// The session may still hold the lock: never hand it on.
				_ = conn.Conn().Close(ctx)
			}
			conn.Release()
		})
	}
	t := time.AfterFunc(ttl, release)
	return func() { t.Stop(); release() }, nil
}

// retry runs op, and again (up to three times in all, 50 ms then 200 ms
// apart) when it failed because the connection did (the server restarted,
// a connection in the pool was cut): every statement here may run twice.
// Errors of the statement itself are returned at once.
func (s *Store) retry(ctx context.Context, op func() error) error {
	var err error
	for i, wait := range []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, 0} {
		if err = op(); err == nil || !connectionLost(err) || ctx.Err() != nil || i == 2 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
	return err
}

// connectionLost reports an error of the connection, not of the statement:
// SQLSTATE class 08 (connection exception) or 57P (the server shutting
// down or starting), or no server answer at all.
func connectionLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pgx.ErrNoRows) {
		return false
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isNetError(err)
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// lockKey is the advisory-lock key of a table's identity row ("" for the
// table itself): 64 bits of FNV-1a over both names.
func lockKey(table, name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("authsdk/pgstore\x00" + table + "\x00" + name))
	return int64(h.Sum64())
}

// fail wraps a database error with what was being done; the statement's
// arguments (the key, a JWT) never enter it.
func (s *Store) fail(what string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Only the server's code and message: its Detail can quote a value.
		err = fmt.Errorf("%s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	return fmt.Errorf("pgstore: %s of %q in %s: %w", what, s.name, s.table, err)
}
