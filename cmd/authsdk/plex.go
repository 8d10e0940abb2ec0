package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
)

// plexFlags are the flags of the plex commands; each command registers
// only those it uses.
type plexFlags struct {
	api                           apiFlags
	token, clientID               optString
	serverURL, plexTVURL, clients optString
	login, source, keyFile        string
	configDir                     optString
	remember, link, showTokens    bool
	force, jwt, pinStdin, connect bool
	noQR                          bool
	id                            *plex.Identity // opened once per command
}

func (f *plexFlags) common() *apiFlags { return &f.api }

// The plex flags a command may take.
const (
	fToken = 1 << iota
	fClientID
	fServer
	fPlexTV
	fClients
	fAPI
)

func (f *plexFlags) register(fs *flag.FlagSet, which int) {
	switch {
	case which&fToken != 0 && which&fServer != 0:
		fs.Var(&f.token, "token", "`token` for the Plex Media Server (or PLEX_TOKEN): its access token (\"plex servers --show-tokens\") or its owner's account token; sent to --server-url only")
	case which&fToken != 0:
		fs.Var(&f.token, "token", "plex.tv account `token` (or PLEX_TOKEN); sent to plex.tv only")
	}
	if which&fClientID != 0 {
		fs.Var(&f.clientID, "client-identifier", "`id` to send instead of this installation's (or PLEX_CLIENT_IDENTIFIER)")
	}
	if which&(fClientID|fAPI) != 0 { // every command that talks to Plex opens the identity
		fs.Var(&f.configDir, "config-dir", "`dir` holding this installation's Plex identity in DIR/plex (or AUTHSDK_CONFIG_DIR; default: your config directory/authsdk)")
	}
	if which&fServer != 0 {
		fs.Var(&f.serverURL, "server-url", "Plex Media Server `URL`, e.g. https://10.0.0.5:32400 (or PLEX_SERVER_URL; required)")
	}
	if which&fPlexTV != 0 {
		fs.Var(&f.plexTVURL, "plex-tv-url", "plex.tv API `URL` (or PLEX_TV_URL; default https://plex.tv/api/v2)")
	}
	if which&fClients != 0 {
		fs.Var(&f.clients, "clients-url", "clients.plex.tv API `URL` (or PLEX_CLIENTS_URL; default https://clients.plex.tv/api/v2)")
	}
	if which&fAPI != 0 {
		f.api.register(fs)
	}
}

// client builds the plex client the flags describe.
func (f *plexFlags) client(e *env, accessToken string) (*plex.Client, error) {
	opts := []plex.Option{plex.WithClientInfo(plex.ClientInfo{Product: "authsdk CLI", Version: sdk.Version})}
	if cid, _ := f.clientID.or(e, "PLEX_CLIENT_IDENTIFIER"); cid != "" {
		opts = append(opts, plex.WithClientIdentifier(cid))
	} else {
		id, err := f.identity(e)
		if err != nil {
			return nil, err
		}
		opts = append(opts, plex.WithIdentity(id))
	}
	if accessToken != "" {
		opts = append(opts, plex.WithAccessToken(accessToken))
	}
	for _, o := range []struct {
		v   optString
		env string
		opt func(string) plex.Option
	}{{f.serverURL, "PLEX_SERVER_URL", plex.WithServerURL}, {f.plexTVURL, "PLEX_TV_URL", plex.WithPlexTVURL}, {f.clients, "PLEX_CLIENTS_URL", plex.WithClientsURL}} {
		if u, ok := o.v.or(e, o.env); ok {
			opts = append(opts, o.opt(u))
		}
	}
	if rc := f.api.retryConfig(); rc != nil {
		opts = append(opts, plex.WithRetryConfig(*rc))
	}
	if e.transport != nil {
		opts = append(opts, plex.WithHTTPClient(&http.Client{Transport: e.transport}))
	}
	c, err := plex.New(opts...)
	return c, localError(err)
}

func (f *plexFlags) needToken(e *env, c *command) (string, error) {
	tok, _ := f.token.or(e, "PLEX_TOKEN")
	if tok == "" {
		return "", usagef("%sneed --token or PLEX_TOKEN (get one with \"authsdk plex login\")", at(c))
	}
	return tok, nil
}

// tokenClient is needToken then client. For a Plex Media Server command
// (pms) it also wants --server-url, and the token goes to that server.
func (f *plexFlags) tokenClient(e *env, c *command, pms bool) (*plex.Client, string, error) {
	tok, err := f.needToken(e, c)
	if err != nil {
		return nil, "", err
	}
	access := ""
	if pms {
		if _, ok := f.serverURL.or(e, "PLEX_SERVER_URL"); !ok {
			return nil, "", usagef("%sneed --server-url (or PLEX_SERVER_URL) of the Plex Media Server", at(c))
		}
		access = tok
	}
	pc, err := f.client(e, access)
	return pc, tok, err
}

// identity opens this installation's Plex device identity (made on first
// use): one client identifier and one device key for every command, so
// two sign-ins show one device on the account, not two.
func (f *plexFlags) identity(e *env) (*plex.Identity, error) {
	if f.id != nil {
		return f.id, nil
	}
	dir, err := identityDir(e, f.configDir)
	if err != nil {
		return nil, err
	}
	_, statErr := os.Lstat(filepath.Join(dir, "device.pem"))
	id, err := plex.OpenIdentity(context.Background(), plex.DirStore(dir))
	if err != nil {
		return nil, fmt.Errorf("%w (or set PLEX_CLIENT_IDENTIFIER and --key-file)", err)
	}
	if errors.Is(statErr, os.ErrNotExist) && e.isTerminal {
		fmt.Fprintf(e.stderr, "This installation's Plex device identity was created in %s (client identifier %s).\n", dir, id.ClientIdentifier)
	}
	f.id = id
	return id, nil
}

// identityDir is --config-dir, AUTHSDK_CONFIG_DIR or the user's config
// directory, plus /plex. It reads the environment through e (tests give
// their own), as os.UserConfigDir would read the process's.
func identityDir(e *env, flagDir optString) (string, error) {
	if d, ok := flagDir.or(e, "AUTHSDK_CONFIG_DIR"); ok {
		if !filepath.IsAbs(d) {
			// Relative, it would be another identity (another Plex device)
			// in every working directory.
			return "", usagef("--config-dir (or AUTHSDK_CONFIG_DIR) %q is a relative path: give an absolute one, so every command finds the same identity wherever it runs", d)
		}
		return filepath.Join(d, "plex"), nil
	}
	var base string
	switch runtime.GOOS {
	case "windows":
		base = e.getenv("AppData")
	case "darwin", "ios":
		if h := e.getenv("HOME"); h != "" {
			base = filepath.Join(h, "Library", "Application Support")
		}
	default:
		base = e.getenv("XDG_CONFIG_HOME")
		if base == "" || !filepath.IsAbs(base) {
			base = ""
			if h := e.getenv("HOME"); h != "" {
				base = filepath.Join(h, ".config")
			}
		}
	}
	if base == "" {
		return "", usagef("no config directory to keep this installation's Plex identity in: set --config-dir or AUTHSDK_CONFIG_DIR (or PLEX_CLIENT_IDENTIFIER)")
	}
	return filepath.Join(base, "authsdk", "plex"), nil
}

// deviceKey is --key-file's key, or this installation's.
func (f *plexFlags) deviceKey(e *env, c *command) (*plex.DeviceKey, error) {
	if f.keyFile != "" {
		return loadKey(c, f.keyFile)
	}
	id, err := f.identity(e)
	if err != nil {
		return nil, err
	}
	return id.Key, nil
}

// accountClient is tokenClient for a plex.tv call on an existing token.
func (f *plexFlags) accountClient(e *env, c *command) (*plex.Client, string, error) {
	return f.tokenClient(e, c, false)
}

func plexCommand() *command {
	return &command{name: "plex", summary: "Plex sign-in, tokens, servers and JWT device keys", subs: []*command{
		plexLoginCommand(), plexSignInCommand(), plexUserCommand(), plexPingCommand(), plexSignOutCommand(),
		plexServersCommand(), plexHomeCommand(), plexSwitchCommand(),
		plexTransientCommand(), plexSourcesCommand(),
		plexDeviceCommand(), plexLinkCommand(), plexClaimCommand(), {
			name: "plex jwt", summary: "JWT device authentication: no long-lived token on disk",
			subs: []*command{plexJWTKeygenCommand(), plexJWTRegisterCommand(), plexJWTTokenCommand()},
		},
	}}
}

// ownFlags gives a command its own flags, beside the plex flags it takes:
// each command declares them where it is written.
func ownFlags(c *command, add func(fs *flag.FlagSet, f *plexFlags)) *command {
	base := c.flags
	c.flags = func(fs *flag.FlagSet) any {
		f := base(fs).(*plexFlags)
		add(fs, f)
		return f
	}
	return c
}

// plexLeaf builds a plex command that takes the given flags.
func plexLeaf(name, summary string, which int, vars []string, example string, run func(ctx context.Context, e *env, c *command, f *plexFlags, args []string) error) *command {
	for _, v := range []struct {
		flag int
		env  string
	}{{fServer, "PLEX_SERVER_URL"}, {fPlexTV, "PLEX_TV_URL"}, {fClients, "PLEX_CLIENTS_URL"}, {fClientID | fAPI, "AUTHSDK_CONFIG_DIR"}} {
		if which&v.flag != 0 {
			vars = append(vars, v.env)
		}
	}
	c := &command{name: name, summary: summary, env: vars, example: example}
	c.flags = func(fs *flag.FlagSet) any {
		f := &plexFlags{}
		f.register(fs, which)
		return f
	}
	c.run = func(ctx context.Context, e *env, fl any, args []string) error {
		return run(ctx, e, c, fl.(*plexFlags), args)
	}
	return c
}
