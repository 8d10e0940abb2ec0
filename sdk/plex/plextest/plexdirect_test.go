package plextest_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// tlsClient is a plex client whose transport trusts m's test CA.
func tlsClient(t *testing.T, m *plextest.MediaServer) *plex.Client {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: m.TLSRoots()}}}
	c, err := plex.New(plex.WithClientIdentifier("plexdirect-test"), plex.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A server whose only connection is its plex.direct name — a name that
// resolves nowhere here, as behind a router blocking DNS rebinding — is
// reached by dialing the connection's address, its certificate verified
// against the name; its Client and HTTPClient reach it the same way.
func TestConnectVerifiesTLSByAddress(t *testing.T) {
	m := plextest.NewTLSMediaServer(homeMachine, homeToken)
	defer m.Close()
	defer m.AssertNoViolations(t)
	c := tlsClient(t, m)
	conn := m.Connection(true, false)
	if _, err := net.LookupHost(strings.Split(strings.TrimPrefix(conn.URI, "https://"), ":")[0]); err == nil {
		t.Log("the plex.direct name resolves here; the test still proves the dial goes to the address")
	}
	r := plextest.Resource("Home", homeMachine, homeToken, conn)
	sc, err := c.Authentication.Connect(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(m.URL)
	if sc.URL != m.PlexDirectURL() || sc.DialAddress != u.Host || sc.VerifiedName != strings.Split(strings.TrimPrefix(m.PlexDirectURL(), "https://"), ":")[0] {
		t.Fatalf("connected %s via %q verified %q", sc.URL, sc.DialAddress, sc.VerifiedName)
	}
	pms, err := sc.Client()
	if err != nil {
		t.Fatal(err)
	}
	if tt, err := pms.Authentication.GetTransientToken(context.Background(), plex.TransientTokenTypeDelegation, plex.ScopeAll); err != nil || tt.Token == "" {
		t.Fatalf("sc.Client(): %v", err)
	}
	rsp, err := sc.HTTPClient().Get(sc.URL + "/security/token?type=delegation&scope=all")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rsp.Body)
	rsp.Body.Close()
	if rsp.StatusCode != 200 || !strings.Contains(string(b), "transient-") {
		t.Fatalf("sc.HTTPClient(): %d %s", rsp.StatusCode, b)
	}
	if m.TokensSeen() != 0 {
		t.Fatal("a token reached /identity")
	}
}

// A certificate for another hash is refused: no connection, no token sent,
// and never plain http instead.
func TestConnectRefusesAnotherServersCertificate(t *testing.T) {
	m := plextest.NewTLSMediaServer(homeMachine, homeToken)
	defer m.Close()
	c := tlsClient(t, m)
	conn := m.Connection(true, false)
	conn.URI = strings.Replace(conn.URI, m.Hash(), strings.Repeat("0", 32), 1)
	r := plextest.Resource("Home", homeMachine, homeToken, conn)
	r.HTTPSRequired = true // else its address is also tried over plain http, as plex.tv allows
	_, err := c.Authentication.Connect(context.Background(), r)
	if !errors.Is(err, plex.ErrNoConnection) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("another hash's name: %v", err)
	}
	if len(m.Requests()) != 0 {
		t.Fatalf("%d requests reached the server", len(m.Requests()))
	}
	// The right name but a client that does not trust the CA: refused too.
	r.Connections = []plex.Connection{m.Connection(true, false)}
	plain, _ := plex.New(plex.WithClientIdentifier("plexdirect-test"))
	if _, err := plain.Authentication.Connect(context.Background(), r); !errors.Is(err, plex.ErrNoConnection) {
		t.Fatalf("unknown CA: %v", err)
	}
}

// HTTPClient's token goes to the server's host only.
func TestServerConnectionHTTPClientKeepsTheTokenHome(t *testing.T) {
	m := plextest.NewTLSMediaServer(homeMachine, homeToken)
	defer m.Close()
	c := tlsClient(t, m)
	sc, err := c.Authentication.Connect(context.Background(), plextest.Resource("Home", homeMachine, homeToken, m.Connection(true, false)))
	if err != nil {
		t.Fatal(err)
	}
	other := mediaServer(t, "elsewhere", 0)
	req, _ := http.NewRequest(http.MethodGet, other.URL+"/identity", nil)
	req.Header.Set("Accept", "application/json")
	rsp, err := sc.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	if other.TokensSeen() != 0 {
		t.Fatal("the server's token went to another host")
	}
}

// A Plex Media Server's 401 to a JWT is ErrServerRefusesJWT (plex.tv lists
// a JWT as an owned server's accessToken for JWT accounts), not
// ErrInvalidToken; a legacy token's 401 stays ErrInvalidToken.
func TestServerRefusesJWT(t *testing.T) {
	m := mediaServer(t, homeMachine, 0)
	jwt := "eyJhbGciOiJFZERTQSJ9.eyJleHAiOjE4MDAwMDAwMDB9.c2lnbmF0dXJl"
	c, err := plex.New(plex.WithServerURL(m.URL), plex.WithAccessToken(jwt))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Authentication.GetTransientToken(context.Background(), plex.TransientTokenTypeDelegation, plex.ScopeAll)
	if !errors.Is(err, plex.ErrServerRefusesJWT) || errors.Is(err, plex.ErrInvalidToken) || !strings.Contains(err.Error(), "legacy") {
		t.Fatalf("JWT refused: %v", err)
	}
	if strings.Contains(err.Error(), jwt) {
		t.Fatal("the JWT is in the error")
	}
	legacy, _ := plex.New(plex.WithServerURL(m.URL), plex.WithAccessToken("not-the-servers-token"))
	_, err = legacy.Authentication.GetTransientToken(context.Background(), plex.TransientTokenTypeDelegation, plex.ScopeAll)
	if errors.Is(err, plex.ErrServerRefusesJWT) || !errors.Is(err, plex.ErrInvalidToken) {
		t.Fatalf("legacy token refused: %v", err)
	}
}

// Owner, Home member or friend, from the resources plex.tv lists.
func TestResourceAccess(t *testing.T) {
	_, c := setup(t)
	rs, err := c.Authentication.GetServerResources(context.Background(), plextest.UserToken)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]plex.Access{"Living Room PMS": plex.AccessOwner, "Cabin NAS": plex.AccessOwner, "Friend's Server": plex.AccessShared}
	seen := 0
	for _, r := range rs {
		if w, ok := want[r.Name]; ok {
			seen++
			if r.Access() != w {
				t.Errorf("%s: %s, want %s", r.Name, r.Access(), w)
			}
		}
	}
	if seen != 3 {
		t.Fatalf("%d of the fixture's servers listed", seen)
	}
	if a := (plex.Resource{Home: true}).Access(); a != plex.AccessHome {
		t.Fatalf("a Home member's server: %s", a)
	}
}

// A server URL given as https://<IP>:PORT learns the certificate's
// plex.direct name from the account's resources (the connection at that
// address and port), then dials the IP and verifies the name; a name that
// stops matching is learned again once, by machine identifier.
func TestServerURLByAddressLearnsTheName(t *testing.T) {
	srv, _ := setup(t)
	m := plextest.NewTLSMediaServer(homeMachine, plextest.UserToken) // an owned server takes the account's token
	defer m.Close()
	defer m.AssertNoViolations(t)
	wrong := m.Connection(true, false)
	wrong.URI = strings.Replace(wrong.URI, m.Hash(), strings.Repeat("a", 32), 1)
	srv.SetResources(plextest.UserToken, []plex.Resource{plextest.Resource("Home", homeMachine, plextest.UserToken, wrong)})
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: m.TLSRoots()}}}
	c, err := plex.New(plex.WithServerURL(m.URL), plex.WithAccessToken(plextest.UserToken), plex.WithPlexTVURL(srv.PlexTVURL()), plex.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	resources := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Operation == "getServerResources" {
				n++
			}
		}
		return n
	}
	// plex.tv lists a name the certificate is not for: refused, naming both.
	_, err = c.Authentication.GetTransientToken(context.Background(), plex.TransientTokenTypeDelegation, plex.ScopeAll)
	if err == nil || !strings.Contains(err.Error(), "the address itself") || !strings.Contains(err.Error(), strings.Repeat("a", 32)) {
		t.Fatalf("a wrong name: %v", err)
	}
	// The right name: learned, and kept for the next calls.
	srv.SetResources(plextest.UserToken, []plex.Resource{plextest.Resource("Home", homeMachine, plextest.UserToken, m.Connection(true, false))})
	for range 2 {
		tt, err := c.Authentication.GetTransientToken(context.Background(), plex.TransientTokenTypeDelegation, plex.ScopeAll)
		if err != nil || tt.Token == "" {
			t.Fatalf("learned: %v", err)
		}
	}
	if n := resources(); n != 2 {
		t.Fatalf("%d resource lookups, want 2 (the address failed: learned the wrong name; it failed: learned again, right)", n)
	}
	// Without the account's token the name cannot be learned, and the error says how to give it.
	other, _ := plex.New(plex.WithServerURL(m.URL), plex.WithAccessToken("a-server-token"), plex.WithPlexTVURL(srv.PlexTVURL()), plex.WithHTTPClient(hc))
	_, err = other.Authentication.GetTransientToken(context.Background(), plex.TransientTokenTypeDelegation, plex.ScopeAll)
	if err == nil || !strings.Contains(err.Error(), "account's token") {
		t.Fatalf("no account token: %v", err)
	}
}

// A connection listed with its plex.direct URI alone (no address or port
// fields) is dialed at the address and port the URI itself carries.
func TestConnectByTheAddressInTheName(t *testing.T) {
	m := plextest.NewTLSMediaServer(homeMachine, homeToken)
	defer m.Close()
	c := tlsClient(t, m)
	conn := plex.Connection{Protocol: "https", URI: m.PlexDirectURL(), Local: true}
	sc, err := c.Authentication.Connect(context.Background(), plextest.Resource("Home", homeMachine, homeToken, conn))
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := url.Parse(m.URL); sc.DialAddress != u.Host {
		t.Fatalf("dialed %q, want %s", sc.DialAddress, u.Host)
	}
}
