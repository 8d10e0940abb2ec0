package plextest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// fleetChild, when set, makes the test binary a replica: it opens the
// identity in that directory, says it is ready, waits for the go file,
// asks its JWTSource for a token and prints it.
const fleetChild = "AUTHSDK_TEST_FLEET_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(fleetChild); dir != "" {
		if err := fleetReplica(dir, os.Getenv("AUTHSDK_TEST_FLEET_URL"), os.Getenv("AUTHSDK_TEST_FLEET_NAME")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func fleetReplica(dir, url, name string) error {
	ctx := context.Background()
	id, err := plex.OpenIdentity(ctx, plex.DirStore(filepath.Join(dir, "plex")))
	if err != nil {
		return err
	}
	c, err := plex.New(plex.WithIdentity(id), plex.WithPlexTVURL(url+plextest.PlexTVPath), plex.WithClientsURL(url+plextest.ClientsPath))
	if err != nil {
		return err
	}
	src := c.Authentication.NewJWTSource(id.Key)
	defer src.Close()
	if err := os.WriteFile(filepath.Join(dir, "ready-"+name), nil, 0o600); err != nil {
		return err
	}
	if err := waitFor(filepath.Join(dir, "go")); err != nil {
		return err
	}
	j, err := src.Token(ctx)
	if err != nil {
		return err
	}
	fmt.Println(string(j.Token))
	return nil
}

// waitFor polls for a file a test makes: the start line of the replicas.
func waitFor(file string) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(file); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%s never appeared", file)
}

// Three replicas in separate processes sharing one DirStore, none holding a
// JWT, ask for one at the same moment: one exchange between them (the
// refresh lease, then re-reading the store), and all hold the same JWT.
func TestReplicasInProcessesShareOneExchange(t *testing.T) {
	srv := plextest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	id, err := plex.OpenIdentity(context.Background(), plex.DirStore(filepath.Join(dir, "plex")))
	if err != nil {
		t.Fatal(err)
	}
	c, err := srv.Client(plex.WithIdentity(id))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Authentication.RegisterDeviceKey(context.Background(), plextest.UserToken, id.Key); err != nil {
		t.Fatal(err)
	}
	const replicas = 3
	var wg sync.WaitGroup
	tokens := make([]string, replicas)
	for i := range replicas {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), fleetChild+"="+dir, "AUTHSDK_TEST_FLEET_URL="+srv.URL, fmt.Sprintf("AUTHSDK_TEST_FLEET_NAME=%d", i))
			out, err := cmd.Output()
			if err != nil {
				var stderr string
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = string(ee.Stderr)
				}
				t.Errorf("replica %d: %v %s", i, err, stderr)
				return
			}
			tokens[i] = strings.TrimSpace(string(out))
		})
	}
	for i := range replicas {
		if err := waitFor(filepath.Join(dir, fmt.Sprintf("ready-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/auth/token") {
			n++
		}
	}
	for _, tok := range tokens {
		if tok != tokens[0] || strings.Count(tok, ".") != 2 {
			t.Fatalf("the replicas hold different JWTs")
		}
	}
	if n != 1 {
		t.Fatalf("%d exchanges for %d replicas, want 1", n, replicas)
	}
	srv.AssertNoViolations(t)
}
