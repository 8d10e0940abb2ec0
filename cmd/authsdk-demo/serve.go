package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

// serve runs both fakes on loopback until ctx ends (Ctrl-C): the export
// lines go to stdout, what happens to stderr. Pending Plex PINs are
// approved for plextest.UserToken's account after approveAfter.
func serve(ctx context.Context, prog string, stdout, stderr io.Writer, approveAfter time.Duration) error {
	zs := ziggeotest.NewServer()
	defer zs.Close()
	ps := plextest.NewServer()
	defer ps.Close()
	// A server as a real home has one: https under *.<hash>.plex.direct (a
	// name that resolves nowhere here), its certificate from a test CA.
	home := plextest.NewTLSMediaServer("home-tls-server-0000000000000000000000", plextest.UserToken)
	defer home.Close()
	rs := append(ps.LoopbackResources(), plextest.Resource("Home (TLS by address)", home.MachineIdentifier, plextest.UserToken, home.Connection(true, false)))
	ps.SetResources(plextest.UserToken, rs) // plex servers --connect finds the fake's own servers
	// The commands keep this installation's Plex identity in a directory of
	// the demo's own, so trying the fakes leaves the real one alone.
	configDir, err := os.MkdirTemp("", "authsdk-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(configDir)
	caFile := filepath.Join(configDir, "plextest-ca.pem")
	if err := os.WriteFile(caFile, home.TLSRootPEM(), 0o600); err != nil {
		return err
	}
	// A "TV" waits with a short PIN for "authsdk plex link CODE".
	tv, err := ps.Client(plex.WithClientIdentifier("living-room-tv"), plex.WithClientInfo(plex.ClientInfo{Product: "Plex for TV"}))
	if err != nil {
		return err
	}
	tvPin, err := tv.Authentication.CreatePin(ctx, false)
	if err != nil {
		return err
	}

	fmt.Fprintf(stderr, "%s serve: fake Ziggeo and Plex APIs on loopback until Ctrl-C.\nPaste these lines into another shell to point authsdk at them:\n\n", prog)
	for _, kv := range [][2]string{
		{"ZIGGEO_SERVER_URL", zs.URL},
		{"ZIGGEO_APP_TOKEN", ziggeotest.AppToken},
		{"ZIGGEO_PRIVATE_KEY", ziggeotest.PrivateKey},
		{"ZIGGEO_ENCRYPTION_KEY", ziggeotest.EncryptionKey},
		{"PLEX_TV_URL", ps.PlexTVURL()},
		{"PLEX_CLIENTS_URL", ps.ClientsURL()},
		{"PLEX_SERVER_URL", ps.URL},
		{"PLEX_TOKEN", plextest.UserToken},
		{"AUTHSDK_CONFIG_DIR", configDir},
		{"SSL_CERT_FILE", caFile}, // trust the test CA (in that shell only)
	} {
		fmt.Fprintf(stdout, "export %s='%s'\n", kv[0], kv[1])
	}
	approval := "never approved (--approve-after 0)"
	if approveAfter > 0 {
		approval = fmt.Sprintf("approved after %s", approveAfter)
	}
	fmt.Fprintf(stderr, `
Then try:
  authsdk plex login                   # the PIN is %s
  authsdk plex login --jwt             # a Plex JWT for this installation's key
  authsdk plex device                  # where that identity lives
  authsdk plex servers --connect       # "Home (TLS by address)": verified against its plex.direct name
  authsdk plex transient-token --server-url %s   # learns that name from your servers
  authsdk plex link %s                 # a TV shows this code
  authsdk plex switch Kids             # the Kids profile's PIN is %s
  authsdk ziggeo authtokens create --grant read=all

`, approval, home.URL, tvPin.Code, plextest.HomeKidsPIN)
	tvLinked := false

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	seen := map[string]time.Time{}
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(stderr, "%s serve: stopped (%d Ziggeo and %d Plex requests, %d spec violations)\n",
				prog, zs.RequestCount(), ps.RequestCount(), len(zs.Violations())+len(ps.Violations()))
			return nil
		case now := <-tick.C:
			if !tvLinked {
				if p, err := tv.Authentication.GetPin(ctx, tvPin.ID); err == nil && p.AuthToken != "" {
					tvLinked = true
					fmt.Fprintf(stderr, "The TV's code %s was linked: it is signed in to %s\n", tvPin.Code, plextest.Login)
				}
			}
			if approveAfter <= 0 {
				continue
			}
			for _, code := range ps.PendingPins() {
				if code == tvPin.Code {
					continue // the TV waits for "plex link"
				}
				first, ok := seen[code]
				if !ok {
					seen[code] = now
					fmt.Fprintf(stderr, "PIN %s waiting; approving it in %s\n", short(code), approveAfter)
					continue
				}
				if now.Sub(first) >= approveAfter {
					if err := ps.ApprovePin(code, plextest.UserToken); err == nil {
						fmt.Fprintf(stderr, "PIN %s approved for %s\n", short(code), plextest.Login)
					}
					delete(seen, code)
				}
			}
		}
	}
}
