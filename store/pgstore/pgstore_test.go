package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/store/pgstore"
)

var ctx = context.Background()

// childEnv, when set, makes the test binary another process that opens the
// identity named by its value (in the table of childTableEnv) and prints it.
const (
	childEnv      = "PGSTORE_TEST_CHILD"
	childTableEnv = "PGSTORE_TEST_CHILD_TABLE"
	childDSNEnv   = "PGSTORE_TEST_CHILD_DSN"
)

func childOpen(name string) int {
	p, err := pgxpool.New(ctx, os.Getenv(childDSNEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer p.Close()
	s, err := pgstore.New(p, name, pgstore.WithTable(os.Getenv(childTableEnv)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	id, err := plex.OpenIdentity(ctx, s)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(id.ClientIdentifier, id.Key.KeyID())
	return 0
}

func open(t *testing.T, p *pgxpool.Pool, tbl, name string) (*pgstore.Store, *plex.Identity) {
	t.Helper()
	s, err := pgstore.New(p, name, pgstore.WithTable(tbl))
	if err != nil {
		t.Fatal(err)
	}
	id, err := plex.OpenIdentity(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return s, id
}

// 16 goroutines and 3 processes opening one name at once (none exists
// yet) end with one identity; other names get their own.
func TestOneIdentityPerName(t *testing.T) {
	p, tbl := pool(t), table(t)
	seen := make(chan string, 32)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"=installation", childTableEnv+"="+tbl, childDSNEnv+"="+testDSN)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("process: %v %s", err, out)
				return
			}
			seen <- strings.TrimSpace(string(out))
		})
	}
	for range 16 {
		wg.Go(func() {
			s, err := pgstore.New(p, "installation", pgstore.WithTable(tbl))
			if err != nil {
				t.Error(err)
				return
			}
			id, err := plex.OpenIdentity(ctx, s)
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
	n := 0
	for s := range seen {
		if first == "" {
			first = s
		}
		if s != first {
			t.Fatalf("two identities for one name: %q and %q", first, s)
		}
		n++
	}
	if n != 19 || len(strings.Fields(first)) != 2 {
		t.Fatalf("%d openers agreed on %q", n, first)
	}
	_, a := open(t, p, tbl, "user:1")
	_, b := open(t, p, tbl, "user:2")
	if a.ClientIdentifier == b.ClientIdentifier || a.Key.KeyID() == b.Key.KeyID() || a.ClientIdentifier+" "+a.Key.KeyID() == first {
		t.Fatal("different names share an identity")
	}
	if _, again := open(t, p, tbl, "user:1"); again.ClientIdentifier != a.ClientIdentifier {
		t.Fatal("reopening a name gave another identity")
	}
}

// The JWT write is a compare-and-swap: an older JWT never overwrites a
// newer one.
func TestJWTCompareAndSwap(t *testing.T) {
	p, tbl := pool(t), table(t)
	s, _ := open(t, p, tbl, "installation")
	if ok, err := s.SwapJWT(ctx, "", "jwt-1"); !ok || err != nil {
		t.Fatalf("first swap: %v %v", ok, err)
	}
	if ok, err := s.SwapJWT(ctx, "", "jwt-old"); ok || err != nil {
		t.Fatalf("a swap from a stale read went through: %v %v", ok, err)
	}
	if ok, err := s.SwapJWT(ctx, "jwt-1", "jwt-2"); !ok || err != nil {
		t.Fatalf("swap: %v %v", ok, err)
	}
	if got, err := s.LoadJWT(ctx); got != "jwt-2" || err != nil {
		t.Fatalf("stored %q, %v", got, err)
	}
}

// Replicas sharing one identity whose JWT goes stale together make one
// exchange between them against plextest, and all end with the same JWT.
func TestReplicasRefreshOnce(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	srv.SetJWTLifetime(time.Hour)
	tbl := table(t)
	const replicas = 3
	srcs := make([]*plex.JWTSource, replicas)
	for i := range replicas {
		_, id := open(t, pool(t), tbl, "installation") // each replica: its own pool, its own store
		c, err := srv.Client(plex.WithIdentity(id), plex.WithHTTPClient(srv.HTTPClient()))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := c.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, id.Key); err != nil {
				t.Fatal(err)
			}
		}
		srcs[i] = c.Authentication.NewJWTSource(id.Key)
		defer srcs[i].Close()
	}
	exchanges := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if strings.HasSuffix(r.Path, "/auth/token") {
				n++
			}
		}
		return n
	}
	// None holds a JWT: all wait for one exchange.
	tokens := make([]string, replicas)
	var wg sync.WaitGroup
	for i, s := range srcs {
		wg.Go(func() {
			j, err := s.Token(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			tokens[i] = string(j.Token)
		})
	}
	wg.Wait()
	if n := exchanges(); n != 1 || tokens[0] != tokens[1] || tokens[1] != tokens[2] {
		t.Fatalf("no JWT held: %d exchanges, same JWT %v; want 1 and one JWT", n, tokens[0] == tokens[1] && tokens[1] == tokens[2])
	}
	// All hold it as stale (10 minutes left of its hour): one refresh.
	now := time.Now()
	for _, s := range srcs {
		s.SetToken(&plex.JWT{Token: sdk.Secret(tokens[0]), IssuedAt: now.Add(-50 * time.Minute), ExpiresAt: now.Add(10 * time.Minute)})
	}
	for _, s := range srcs {
		wg.Go(func() {
			if _, err := s.Token(ctx); err != nil { // the held one at once; a refresh in the background
				t.Error(err)
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for {
		same, fresh := true, true
		var first string
		for i, s := range srcs {
			j, err := s.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = string(j.Token)
			}
			same = same && string(j.Token) == first
			fresh = fresh && time.Until(j.ExpiresAt) > 50*time.Minute
		}
		if same && fresh {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas never settled on one new JWT (same %v, fresh %v)", same, fresh)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := exchanges(); n != 2 {
		t.Fatalf("%d exchanges in all, want 2 (one per stale round)", n)
	}
	srv.AssertNoViolations(t)
}

// A server restart mid-run loses nothing: the next call reconnects.
func TestServerRestartLosesNothing(t *testing.T) {
	if testServer == nil {
		t.Skip("AUTHSDK_TEST_POSTGRES: the server is not ours to restart")
	}
	p, tbl := pool(t), table(t)
	s, id := open(t, p, tbl, "installation")
	if err := s.StoreJWT(ctx, "jwt-before"); err != nil {
		t.Fatal(err)
	}
	if err := testServer.restart(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.LoadJWT(ctx); got != "jwt-before" || err != nil {
		t.Fatalf("after the restart: %q, %v", got, err)
	}
	_, again := open(t, p, tbl, "installation")
	if again.ClientIdentifier != id.ClientIdentifier || again.Key.KeyID() != id.Key.KeyID() {
		t.Fatal("the restart changed the identity")
	}
}

// A row that cannot be read is an error naming it, and it is left as it
// is: a new identity would be a new Plex device.
func TestDamagedRowIsNeverReplaced(t *testing.T) {
	p, tbl := pool(t), table(t)
	_, id := open(t, p, tbl, "installation")
	if _, err := p.Exec(ctx, `UPDATE `+tbl+` SET key_pem = 'garbage' WHERE name = 'installation'`); err != nil {
		t.Fatal(err)
	}
	s, _ := pgstore.New(p, "installation", pgstore.WithTable(tbl))
	_, err := plex.OpenIdentity(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), `"installation"`) {
		t.Fatalf("damaged row: %v", err)
	}
	var cid string
	var key []byte
	if err := p.QueryRow(ctx, `SELECT client_identifier, key_pem FROM `+tbl+` WHERE name = 'installation'`).Scan(&cid, &key); err != nil {
		t.Fatal(err)
	}
	if cid != id.ClientIdentifier || string(key) != "garbage" {
		t.Fatal("the damaged row was replaced")
	}
}

// The key is sealed at rest with WithKeySealer, and never in an error.
func TestKeySealerAndNoSecretsInErrors(t *testing.T) {
	p, tbl := pool(t), table(t)
	flip := func(b []byte) ([]byte, error) {
		out := make([]byte, len(b))
		for i, c := range b {
			out[i] = c ^ 0x5a
		}
		return out, nil
	}
	s, err := pgstore.New(p, "sealed", pgstore.WithTable(tbl), pgstore.WithKeySealer(flip, flip))
	if err != nil {
		t.Fatal(err)
	}
	id, err := plex.OpenIdentity(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	var key []byte
	if err := p.QueryRow(ctx, `SELECT key_pem FROM `+tbl+` WHERE name = 'sealed'`).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(key), "PRIVATE KEY") {
		t.Fatal("the key is stored in clear despite the sealer")
	}
	pem, _ := id.Key.MarshalPEM()
	// Opened without the sealer, the row is damaged; the error shows no key.
	plain, _ := pgstore.New(p, "sealed", pgstore.WithTable(tbl))
	_, err = plex.OpenIdentity(ctx, plain)
	if err == nil || strings.Contains(err.Error(), string(key)) || strings.Contains(err.Error(), string(pem)) {
		t.Fatalf("unsealed read: %v", err)
	}
}

// Every call is bounded by its ctx, the refresh lease included.
func TestLeaseWaitsAndHonoursContext(t *testing.T) {
	p, tbl := pool(t), table(t)
	s, _ := open(t, p, tbl, "installation")
	unlock, err := s.LockRefresh(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := pgstore.New(pool(t), "installation", pgstore.WithTable(tbl))
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := other.LockRefresh(cctx, time.Minute); err == nil {
		t.Fatal("a second holder got the lease")
	}
	unlock()
	u2, err := other.LockRefresh(ctx, time.Minute)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	u2()
}
