package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The tests run against a real PostgreSQL server they start themselves: a
// throwaway cluster in a temporary directory on a free loopback port, run
// as an unprivileged user when the tests run as root, stopped at the end.
// AUTHSDK_TEST_POSTGRES=<DSN> uses an existing server instead. When neither
// works the tests fail saying how to get one: never a silent skip.

// testDSN is the server every test and example uses.
var testDSN string

// testServer is the cluster the tests started (nil with AUTHSDK_TEST_POSTGRES).
var testServer *cluster

const needPostgres = "the pgstore tests need PostgreSQL: install it (Debian: apt-get install postgresql; initdb and pg_ctl are looked for in PATH and /usr/lib/postgresql/*/bin) or set AUTHSDK_TEST_POSTGRES to a DSN"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(childOpen(name))
	}
	if dsn := os.Getenv("AUTHSDK_TEST_POSTGRES"); dsn != "" {
		testDSN = dsn
		os.Exit(m.Run())
	}
	c, err := startCluster()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %s\n(%v)\n", needPostgres, err)
		os.Exit(1)
	}
	testServer, testDSN = c, c.dsn
	code := m.Run()
	c.stop()
	os.Exit(code)
}

// cluster is a PostgreSQL server the tests run.
type cluster struct {
	bin, dir, data string
	port           int
	dsn            string
	cred           *syscall.Credential // nil: run as ourselves
}

func startCluster() (*cluster, error) {
	bin, err := findPostgres()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "authsdk-pgstore-*")
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data")}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		if c.cred, err = unprivileged(); err != nil {
			return nil, err
		}
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	if out, err := c.run("initdb", "-D", c.data, "-U", "authsdk", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if err := c.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.dsn = fmt.Sprintf("postgres://authsdk@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c, nil
}

func (c *cluster) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", c.port, c.dir)
	if out, err := c.run("pg_ctl", "-D", c.data, "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	return nil
}

// restart stops the server (fast: sessions are cut) and starts it again.
func (c *cluster) restart() error {
	if out, err := c.run("pg_ctl", "-D", c.data, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return c.start()
}

func (c *cluster) stop() {
	_, _ = c.run("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop")
	_ = os.RemoveAll(c.dir)
}

func (c *cluster) run(prog string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, prog), args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

// findPostgres is the directory of initdb and pg_ctl: PATH first, then
// Debian's layout (the newest version).
func findPostgres() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "pg_ctl")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("no initdb in PATH or /usr/lib/postgresql/*/bin")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// unprivileged is a user PostgreSQL may run as: postgres, else nobody.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")
}

// pool is a connection pool to the test server, closed with the test.
func pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := pgxpool.New(ctx, testDSN)
	if err != nil {
		t.Fatalf("%s: %v", needPostgres, err)
	}
	if err := p.Ping(ctx); err != nil {
		t.Fatalf("%s: %v", needPostgres, err)
	}
	t.Cleanup(p.Close)
	return p
}

// table is a fresh table name, so tests (and runs against a shared
// AUTHSDK_TEST_POSTGRES server) never see each other's rows.
func table(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "t_" + strings.ToLower(hex.EncodeToString(b[:]))
}
