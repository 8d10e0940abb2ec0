package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

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

// plexLeaf builds a plex command that takes the given flags.
func plexLeaf(name, summary string, which int, vars []string, example string, run func(ctx context.Context, e *env, c *command, f *plexFlags, args []string) error) *command {
	for _, v := range []struct {
		flag int
		env  string
	}{{fServer, "PLEX_SERVER_URL"}, {fPlexTV, "PLEX_TV_URL"}, {fClients, "PLEX_CLIENTS_URL"}} {
		if which&v.flag != 0 {
			vars = append(vars, v.env)
		}
	}
	c := &command{name: name, summary: summary, env: vars, example: example}
	c.flags = func(fs *flag.FlagSet) any {
		f := &plexFlags{}
		f.register(fs, which)
		switch name {
		case "plex signin":
			fs.StringVar(&f.login, "login", "", "user `name` or e-mail (required)")
			fs.BoolVar(&f.remember, "remember-me", false, "ask plex.tv for a long-lived token")
		case "plex login":
			fs.BoolVar(&f.link, "link", false, "show a 4-character code to type at https://plex.tv/link instead of a link")
			fs.BoolVar(&f.noQR, "no-qr", false, "show the link only, no QR code (there is none when stderr is not a terminal)")
			fs.BoolVar(&f.jwt, "jwt", false, "sign in straight to a Plex JWT with this installation's device key (no long-lived token)")
			fs.StringVar(&f.keyFile, "key-file", "", "device key `file` for --jwt instead of this installation's; made (mode 0600) when it does not exist")
			fs.BoolVar(&f.force, "force", false, "with --jwt, replace an existing key file with a new key")
		case "plex switch":
			fs.BoolVar(&f.pinStdin, "pin-stdin", false, "read the profile's PIN from stdin (for scripts)")
		case "plex servers":
			fs.BoolVar(&f.showTokens, "show-tokens", false, "show each server's access token (hidden by default, in --json too)")
			fs.BoolVar(&f.connect, "connect", false, "find the connection of each server that answers from here (no token sent), with its latency")
		case "plex sources":
			fs.StringVar(&f.source, "source", "", "the `source`, e.g. server://client-identifier (required)")
			fs.BoolVar(&f.showTokens, "show-tokens", false, "show the device's access token in --json")
		case "plex user":
			fs.BoolVar(&f.showTokens, "show-tokens", false, "show the account's token in --json")
		case "plex jwt keygen":
			fs.StringVar(&f.keyFile, "key-file", "", "`file` to write the private key to (mode 0600, required)")
			fs.BoolVar(&f.force, "force", false, "overwrite an existing key file")
		case "plex jwt register", "plex jwt token":
			fs.StringVar(&f.keyFile, "key-file", "", "device key `file` from \"plex jwt keygen\" (default: this installation's key)")
		}
		return f
	}
	c.run = func(ctx context.Context, e *env, fl any, args []string) error {
		return run(ctx, e, c, fl.(*plexFlags), args)
	}
	return c
}

func plexLoginCommand() *command {
	return plexLeaf("plex login", "sign in without a password: approve a PIN on plex.tv, get a token",
		fClientID|fPlexTV|fClients|fAPI, []string{"PLEX_CLIENT_IDENTIFIER"}, "export PLEX_TOKEN=$(authsdk plex login)",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			var key *plex.DeviceKey
			if f.jwt {
				var err error
				if f.keyFile != "" {
					key, err = loadOrMakeKey(e, c, f.keyFile, f.force)
				} else if f.force {
					return usagef("%s--force replaces a --key-file; this installation's own key is kept (it is its Plex device)", at(c))
				} else {
					key, err = f.deviceKey(e, c)
				}
				if err != nil {
					return err
				}
			} else if f.keyFile != "" || f.force {
				return usagef("%s--key-file and --force go with --jwt", at(c))
			}
			pc, err := f.client(e, "")
			if err != nil {
				return err
			}
			a := pc.Authentication
			var pin *plex.Pin
			if key != nil {
				pin, err = a.CreateJWTPin(ctx, key, !f.link)
			} else {
				pin, err = a.CreatePin(ctx, !f.link)
			}
			if err != nil {
				return apiError(err)
			}
			if f.link {
				fmt.Fprintf(e.stderr, "Go to %s and enter the code:\n\n    %s\n\n", plex.LinkURL, safe(pin.Code))
			}
			var status func(string)
			if !f.link {
				u := pin.AuthURL("")
				if e.isTerminal && !f.noQR && e.termSize != nil {
					if w, h, ok := e.termSize(); ok {
						status = signInScreen(e.stderr, u, w, h)
						if status == nil {
							// Without the product name (plex.tv knows it from the
							// PIN's headers) the link is 36 characters shorter:
							// a UUID identity's code then fits 80×24.
							short := *pin
							short.Product = ""
							if su := short.AuthURL(""); su != u {
								if status = signInScreen(e.stderr, su, w, h); status != nil {
									u = su
								}
							}
						}
					}
				}
				if status == nil {
					fmt.Fprintf(e.stderr, "Open this link and approve the sign-in:\n\n%s\n\n", u)
					if e.isTerminal && !f.noQR {
						fmt.Fprintln(e.stderr, "(A larger terminal shows a QR code of the link to scan with a phone.)")
					}
				}
			}
			stop := showTimeLeft(e, pin.ExpiresAt, status)
			var done *plex.Pin
			var jwt *plex.JWT
			if key != nil {
				jwt, err = a.WaitForJWTPin(ctx, pin, key, time.Second)
			} else {
				done, err = a.WaitForPin(ctx, pin, time.Second)
			}
			stop()
			switch {
			case errors.Is(err, plex.ErrPinExpired):
				again := "authsdk plex login"
				if key != nil {
					again += " --jwt"
				}
				if f.keyFile != "" {
					again += " --key-file " + f.keyFile
				}
				return fmt.Errorf("the PIN expired before it was approved; run %q again", again)
			case err != nil:
				return apiError(err)
			}
			if jwt != nil {
				if err := printableToken(string(jwt.Token)); err != nil {
					return err
				}
				// Kept with this installation's identity (when the key is
				// its own), so "plex jwt token" and services start from it.
				src := a.NewJWTSource(key)
				src.SetToken(jwt)
				_ = src.Close()
				if f.api.json {
					return printJSON(e.stdout, jwtJSON(jwt))
				}
				fmt.Fprintln(e.stdout, string(jwt.Token))
				refresh := "authsdk plex jwt token"
				if f.keyFile != "" {
					refresh += " --key-file " + f.keyFile
				}
				fmt.Fprintf(e.stderr, "Plex JWT expires %s; refresh it with \"%s\"\n", jwt.ExpiresAt.Local().Format(time.RFC3339), refresh)
				return nil
			}
			if err := printableToken(string(done.AuthToken)); err != nil {
				return err
			}
			if !f.api.json {
				fmt.Fprintln(e.stdout, string(done.AuthToken))
				return nil
			}
			acct, err := a.GetUserDetails(ctx, string(done.AuthToken))
			if err != nil {
				return apiError(err)
			}
			return printJSON(e.stdout, accountJSON(acct, true))
		})
}

// showTimeLeft counts down to the PIN's expiry on stderr while waiting: in
// status (beside the QR code) or a live line on a terminal, one line
// otherwise. The returned func stops it.
func showTimeLeft(e *env, expiresAt time.Time, status func(string)) func() {
	if status != nil {
		done, finished := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(finished)
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				if !expiresAt.IsZero() {
					status(fmt.Sprintf("Waiting… %s left", max(time.Until(expiresAt).Round(time.Second), 0)))
				}
				select {
				case <-done:
					status("")
					fmt.Fprint(e.stderr, "\n")
					return
				case <-t.C:
				}
			}
		}()
		return func() { close(done); <-finished }
	}
	if expiresAt.IsZero() {
		return func() {}
	}
	if !e.isTerminal {
		fmt.Fprintf(e.stderr, "Waiting for approval (the PIN expires at %s)…\n", expiresAt.Local().Format("15:04:05"))
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			left := time.Until(expiresAt).Round(time.Second)
			fmt.Fprintf(e.stderr, "\rWaiting for approval… %s left ", max(left, 0))
			select {
			case <-done:
				fmt.Fprint(e.stderr, "\r\033[K")
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func plexSignInCommand() *command {
	return plexLeaf("plex signin", "sign in with user name and password (the password and 2FA code are prompted)",
		fClientID|fPlexTV|fAPI, []string{"PLEX_CLIENT_IDENTIFIER"}, "authsdk plex signin --login me@example.com",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			if strings.TrimSpace(f.login) == "" {
				return usagef("plex signin: need --login")
			}
			pc, err := f.client(e, "")
			if err != nil {
				return err
			}
			password, err := e.readSecret(ctx, "Password: ")
			if err != nil {
				return secretError(ctx, c, err, "pipe the password on stdin")
			}
			if password == "" {
				return usagef("plex signin: empty password")
			}
			req := plex.SignInRequest{Login: f.login, Password: sdk.Secret(password), RememberMe: f.remember}
			acct, err := pc.Authentication.PostUsersSignInData(ctx, req)
			if errors.Is(err, plex.ErrVerificationCodeRequired) {
				code, rerr := e.readSecret(ctx, "Two-factor code: ")
				if rerr != nil {
					return secretError(ctx, c, rerr, "pipe the password and then the code on stdin, one per line")
				}
				req.VerificationCode = sdk.Secret(code)
				acct, err = pc.Authentication.PostUsersSignInData(ctx, req)
			}
			if err != nil {
				return apiError(err)
			}
			if err := printableToken(string(acct.AuthToken)); err != nil {
				return err
			}
			if f.api.json {
				return printJSON(e.stdout, accountJSON(acct, true))
			}
			fmt.Fprintln(e.stdout, string(acct.AuthToken))
			return nil
		})
}

// secretError is a prompt that got no answer. hint says how to give one
// without a terminal.
func secretError(ctx context.Context, c *command, err error, hint string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, errNoInput) {
		return usagef("%s%v (%s)", at(c), err, hint)
	}
	return usagef("%sreading from the terminal: %v", at(c), err)
}

func plexUserCommand() *command {
	return plexLeaf("plex user", "show the account a token belongs to (and whether the token is still good)",
		fToken|fPlexTV|fAPI, []string{"PLEX_TOKEN"}, "authsdk plex user --json",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			pc, tok, err := f.tokenClient(e, c, false)
			if err != nil {
				return err
			}
			acct, err := pc.Authentication.GetUserDetails(ctx, tok)
			if errors.Is(err, plex.ErrInvalidToken) {
				return fmt.Errorf("the token is invalid or revoked: %w", err)
			}
			if err != nil {
				return apiError(err)
			}
			if f.api.json {
				return printJSON(e.stdout, accountJSON(acct, f.showTokens))
			}
			fmt.Fprintf(e.stdout, "%d %s %s\n", acct.ID, safe(acct.Username), safe(acct.Email))
			return nil
		})
}

func plexServersCommand() *command {
	return plexLeaf("plex servers", "list the servers the account reaches, their connections and tokens",
		fToken|fClientID|fPlexTV|fAPI, []string{"PLEX_TOKEN", "PLEX_CLIENT_IDENTIFIER"}, "authsdk plex servers --connect",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			pc, tok, err := f.accountClient(e, c)
			if err != nil {
				return err
			}
			rs, err := pc.Authentication.GetServerResources(ctx, tok)
			if err != nil {
				return apiError(err)
			}
			var servers []plex.Resource
			for _, r := range rs {
				if r.IsServer() {
					servers = append(servers, r)
				}
			}
			var conns []connectResult
			if f.connect {
				conns = connectAll(ctx, pc.Authentication, servers)
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
			if f.api.json {
				if err := printJSON(e.stdout, serversJSON(servers, conns, f.showTokens)); err != nil {
					return err
				}
				for _, c := range conns {
					if c.err != nil {
						return exitCode(exitAPI) // the failures are in the JSON
					}
				}
				return nil
			}
			if f.connect {
				return printConnected(e, servers, conns, f.showTokens)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			header := "NAME\tOWNED\tONLINE\tKIND\tURI"
			if f.showTokens {
				header += "\tACCESS TOKEN"
			}
			fmt.Fprintln(tw, header)
			for _, r := range servers {
				if len(r.Connections) == 0 {
					r.Connections = []plex.Connection{{}}
				}
				for i, conn := range r.Connections {
					kind := "remote"
					switch {
					case conn.URI == "":
						kind = "-"
					case conn.Relay:
						kind = "relay"
					case conn.Local:
						kind = "local"
					}
					name, owned, online := safe(r.Name), yesNo(r.Owned), yesNo(r.Presence)
					if i > 0 {
						name, owned, online = "", "", ""
					}
					line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", name, owned, online, kind, safe(conn.URI))
					if f.showTokens {
						t := ""
						if i == 0 {
							t = safe(string(r.AccessToken))
						}
						line += "\t" + t
					}
					fmt.Fprintln(tw, line)
				}
			}
			return tw.Flush()
		})
}

// connectResult is Connect's answer for one server.
type connectResult struct {
	conn *plex.ServerConnection
	err  error
}

// connectAll connects to every server at once.
func connectAll(ctx context.Context, a *plex.Authentication, servers []plex.Resource) []connectResult {
	out := make([]connectResult, len(servers))
	var wg sync.WaitGroup
	for i, r := range servers {
		wg.Go(func() {
			conn, err := a.Connect(ctx, r)
			out[i] = connectResult{conn, err}
		})
	}
	wg.Wait()
	return out
}

// printConnected writes one row per server: the connection that answered
// and its latency; the causes of the failures follow on stderr.
func printConnected(e *env, servers []plex.Resource, conns []connectResult, showTokens bool) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	header := "NAME\tOWNED\tKIND\tLATENCY\tURL"
	if showTokens {
		header += "\tACCESS TOKEN"
	}
	fmt.Fprintln(tw, header)
	var failed, offline []string
	for i, r := range servers {
		kind, latency, url := "-", "-", "no connection answered"
		if sc := conns[i].conn; sc != nil {
			kind, latency, url = connKind(sc.Local, sc.Relay), sc.Latency.Round(time.Millisecond).String(), safe(sc.URL)
			if sc.Latency < time.Millisecond {
				latency = sc.Latency.Round(10 * time.Microsecond).String()
			}
		} else if !r.Presence {
			// plex.tv said so already: reported, not a failure.
			url = "offline (plex.tv lists it as not present)"
			offline = append(offline, conns[i].err.Error())
		} else {
			failed = append(failed, conns[i].err.Error())
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", safe(r.Name), yesNo(r.Owned), kind, latency, url)
		if showTokens {
			line += "\t" + safe(string(r.AccessToken))
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// One line per server that did not answer; exit 1 when any server
	// plex.tv lists as present did not.
	for _, msg := range offline {
		fmt.Fprintln(e.stderr, "authsdk: (offline) "+clip(safe(inCommandsWords(msg, "plex servers"))))
	}
	for _, msg := range failed {
		fmt.Fprintln(e.stderr, "authsdk: "+clip(safe(inCommandsWords(msg, "plex servers"))))
	}
	if len(failed) > 0 {
		return exitCode(exitAPI)
	}
	return nil
}

func connKind(local, relay bool) string {
	switch {
	case relay:
		return "relay"
	case local:
		return "local"
	}
	return "remote"
}

// serverJSON is a server in --json output: the resource, its token only
// with --show-tokens, and with --connect the connection that answered.
type serverJSON struct {
	plex.Resource
	AccessToken     string          `json:"accessToken,omitempty"` // shadows Resource's
	Connection      *connectionJSON `json:"connection,omitempty"`
	ConnectionError string          `json:"connectionError,omitempty"`
}

type connectionJSON struct {
	URL       string  `json:"url"`
	Kind      string  `json:"kind"`
	LatencyMS float64 `json:"latencyMs"`
	Version   string  `json:"version"`
}

func serversJSON(servers []plex.Resource, conns []connectResult, showTokens bool) []serverJSON {
	out := make([]serverJSON, len(servers))
	for i, r := range servers {
		out[i] = serverJSON{Resource: r}
		if showTokens {
			out[i].AccessToken = string(r.AccessToken)
		}
		if conns == nil {
			continue
		}
		if sc := conns[i].conn; sc != nil {
			out[i].Connection = &connectionJSON{URL: sc.URL, Kind: connKind(sc.Local, sc.Relay),
				LatencyMS: float64(sc.Latency.Microseconds()) / 1000, Version: sc.Version}
		} else {
			out[i].ConnectionError = conns[i].err.Error()
		}
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func plexTransientCommand() *command {
	return plexLeaf("plex transient-token", "get a short-lived token from a Plex Media Server (PLEX_TOKEN goes to that server)",
		fToken|fServer|fAPI, []string{"PLEX_TOKEN"}, "authsdk plex transient-token --server-url https://10.0.0.5:32400",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			pc, _, err := f.tokenClient(e, c, true)
			if err != nil {
				return err
			}
			tt, err := pc.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
			if err != nil {
				return apiError(err)
			}
			if err := printableToken(string(tt.Token)); err != nil {
				return err
			}
			if f.api.json {
				return printJSON(e.stdout, struct {
					Token string `json:"token"`
				}{string(tt.Token)})
			}
			fmt.Fprintln(e.stdout, string(tt.Token))
			return nil
		})
}

func plexSourcesCommand() *command {
	return plexLeaf("plex sources", "show how a Plex Media Server reaches a source (PLEX_TOKEN goes to that server)",
		fToken|fServer|fAPI, []string{"PLEX_TOKEN"}, "authsdk plex sources --server-url https://10.0.0.5:32400 --source server://ID",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			if strings.TrimSpace(f.source) == "" {
				return usagef("%sneed --source", at(c))
			}
			pc, _, err := f.tokenClient(e, c, true)
			if err != nil {
				return err
			}
			sc, err := pc.Authentication.GetSourceConnectionInformation(ctx, f.source)
			if err != nil {
				return apiError(err)
			}
			if f.api.json {
				return printJSON(e.stdout, sourceJSON(sc, f.showTokens))
			}
			for _, conn := range sc.Device.Connections {
				fmt.Fprintln(e.stdout, safe(conn.URI))
			}
			return nil
		})
}

func plexJWTKeygenCommand() *command {
	return plexLeaf("plex jwt keygen", "make a new Ed25519 device key (file mode 0600)", 0, nil,
		"authsdk plex jwt keygen --key-file ~/.config/authsdk/plex-device.pem",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			if f.keyFile == "" {
				return usagef("%sneed --key-file", at(c))
			}
			k, err := makeKeyFile(c, f.keyFile, f.force)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, k.KeyID())
			return nil
		})
}

// loadKey reads the device key file.
func loadKey(c *command, path string) (*plex.DeviceKey, error) {
	if path == "" {
		return nil, usagef("%sneed --key-file", at(c))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("%s%v (make a key with \"authsdk plex jwt keygen --key-file %s\", or leave --key-file out to use this installation's)", at(c), err, path)
	}
	k, err := plex.ParseDeviceKey(b)
	if err != nil {
		return nil, usagef("%s%s: %v (make a new key with \"authsdk plex jwt keygen --key-file FILE\")", at(c), path, err)
	}
	return k, nil
}

func plexJWTRegisterCommand() *command {
	return plexLeaf("plex jwt register", "register the device key with your account (once per key)",
		fToken|fClientID|fClients|fAPI, []string{"PLEX_TOKEN", "PLEX_CLIENT_IDENTIFIER"},
		"authsdk plex jwt register --key-file plex-device.pem",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			k, err := f.deviceKey(e, c)
			if err != nil {
				return err
			}
			pc, tok, err := f.tokenClient(e, c, false)
			if err != nil {
				return err
			}
			if err := pc.Authentication.RegisterDeviceKey(ctx, tok, k); err != nil {
				return apiError(err)
			}
			if f.api.json {
				return printJSON(e.stdout, map[string]any{"registered": true, "kid": k.KeyID()})
			}
			fmt.Fprintln(e.stdout, "registered", k.KeyID())
			return nil
		})
}

func plexJWTTokenCommand() *command {
	return plexLeaf("plex jwt token", "print a Plex JWT: the stored one while fresh, else trade a device-signed JWT for a new one (Plex sets its lifetime: 7 days today)",
		fClientID|fClients|fAPI, []string{"PLEX_CLIENT_IDENTIFIER"},
		"export PLEX_TOKEN=$(authsdk plex jwt token --key-file plex-device.pem)",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			k, err := f.deviceKey(e, c)
			if err != nil {
				return err
			}
			pc, err := f.client(e, "")
			if err != nil {
				return err
			}
			// With this installation's key, the stored JWT while it is
			// fresh (a new one is exchanged and stored when it is due);
			// with a --key-file, a new exchange.
			src := pc.Authentication.NewJWTSource(k)
			defer src.Close()
			j, err := src.Token(ctx)
			if err != nil {
				return apiError(err)
			}
			if err := printableToken(string(j.Token)); err != nil {
				return err
			}
			if f.api.json {
				return printJSON(e.stdout, jwtJSON(j))
			}
			fmt.Fprintln(e.stdout, string(j.Token))
			fmt.Fprintf(e.stderr, "expires %s\n", j.ExpiresAt.Local().Format(time.RFC3339))
			return nil
		})
}

// printableToken refuses a token that would reach the terminal with
// control, bidi or invisible characters: a hostile server's ESC or OSC
// sequence is an error, not output.
func printableToken(tok string) error {
	for _, r := range tok {
		if unsafeRune(r) || r == ' ' {
			return errors.New("the server answered a token with control or invisible characters; not printed")
		}
	}
	return nil
}

// makeKeyFile writes a new device key to path: parent directories are made
// (0700), a symlink is never followed, and the key is written to a
// temporary file (0600) renamed into place, so a crash leaves the old key
// or the new one, never half of one. An existing file is replaced only
// with force.
func makeKeyFile(c *command, path string, force bool) (*plex.DeviceKey, error) {
	if path == "" {
		return nil, usagef("%sneed --key-file", at(c))
	}
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			return nil, usagef("%s%s is a symbolic link; refusing to write a key through it", at(c), path)
		case !force:
			return nil, usagef("%s%s exists; use --force to replace it", at(c), path)
		case !fi.Mode().IsRegular():
			return nil, usagef("%s%s is not a regular file", at(c), path)
		}
	}
	k, err := plex.NewDeviceKey()
	if err != nil {
		return nil, err
	}
	pemBytes, err := k.MarshalPEM()
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, usagef("%s%v", at(c), err)
	}
	tmp, err := os.CreateTemp(dir, ".authsdk-key-*")
	if err != nil {
		return nil, usagef("%s%v", at(c), err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up on failure
	// One err throughout: a failed write must not be renamed into place.
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(pemBytes)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && !force {
		// Link fails if path appeared meanwhile: never replace without --force.
		err = os.Link(tmp.Name(), path)
	} else if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if errors.Is(err, os.ErrExist) {
		return nil, usagef("%s%s exists; use --force to replace it", at(c), path)
	}
	if err != nil {
		return nil, usagef("%s%v", at(c), err)
	}
	return k, nil
}

// loadOrMakeKey reads the key file, or makes it when it does not exist
// (plex login --jwt); --force makes a new one in its place.
func loadOrMakeKey(e *env, c *command, path string, force bool) (*plex.DeviceKey, error) {
	if path == "" {
		return nil, usagef("%s--jwt needs --key-file", at(c))
	}
	if _, err := os.Lstat(path); err == nil && !force {
		return loadKey(c, path)
	}
	k, err := makeKeyFile(c, path, force)
	if err == nil {
		fmt.Fprintf(e.stderr, "New device key %s written to %s (keep it secret).\n", k.KeyID(), path)
	}
	return k, err
}

func plexPingCommand() *command {
	return plexTokenAction("plex ping", "keep a plex.tv token alive (unused tokens stop working after weeks)",
		(*plex.Authentication).Ping, "ok", "ok")
}

func plexSignOutCommand() *command {
	return plexTokenAction("plex signout", "revoke a plex.tv token (sign out); it stops working at once",
		(*plex.Authentication).SignOut, "signedOut", "signed out; the token no longer works")
}

// plexTokenAction is a command that does one thing with the account's
// token and says it is done: as text, or as {"<jsonKey>": true}.
func plexTokenAction(name, summary string, do func(*plex.Authentication, context.Context, string, ...sdk.CallOption) error, jsonKey, done string) *command {
	return plexLeaf(name, summary,
		fToken|fClientID|fPlexTV|fAPI, []string{"PLEX_TOKEN", "PLEX_CLIENT_IDENTIFIER"}, "authsdk "+name,
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			pc, tok, err := f.accountClient(e, c)
			if err != nil {
				return err
			}
			if err := do(pc.Authentication, ctx, tok); err != nil {
				return apiError(err)
			}
			if f.api.json {
				return printJSON(e.stdout, map[string]bool{jsonKey: true})
			}
			fmt.Fprintln(e.stdout, done)
			return nil
		})
}

func plexHomeCommand() *command {
	return plexLeaf("plex home", "list the profiles of the account's Plex Home",
		fToken|fClientID|fPlexTV|fAPI, []string{"PLEX_TOKEN", "PLEX_CLIENT_IDENTIFIER"}, "authsdk plex home",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			pc, tok, err := f.accountClient(e, c)
			if err != nil {
				return err
			}
			users, err := pc.Authentication.GetHomeUsers(ctx, tok)
			if err != nil {
				return apiError(err)
			}
			if f.api.json {
				return printJSON(e.stdout, users)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "TITLE\tUUID\tADMIN\tPROTECTED\tRESTRICTED")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", safe(u.Title), safe(u.UUID), yesNo(u.Admin), yesNo(u.Protected), yesNo(u.Restricted))
			}
			return tw.Flush()
		})
}

func plexSwitchCommand() *command {
	c := plexLeaf("plex switch", "switch to a Plex Home profile (by uuid or title) and print its token",
		fToken|fClientID|fPlexTV|fAPI, []string{"PLEX_TOKEN", "PLEX_CLIENT_IDENTIFIER"}, "authsdk plex switch Kids",
		func(ctx context.Context, e *env, c *command, f *plexFlags, args []string) error {
			pc, tok, err := f.accountClient(e, c)
			if err != nil {
				return err
			}
			a := pc.Authentication
			users, err := a.GetHomeUsers(ctx, tok)
			if err != nil {
				return apiError(err)
			}
			var profile *plex.HomeUser
			for i, u := range users {
				if u.UUID == args[0] || strings.EqualFold(u.Title, args[0]) {
					profile = &users[i]
					break
				}
			}
			if profile == nil {
				return usagef("%sno profile %q in this Home (see \"authsdk plex home\")", at(c), args[0])
			}
			pin := ""
			if f.pinStdin {
				if pin, err = readLine(e.stdin); err == io.EOF {
					return usagef("%s--pin-stdin: stdin is empty (pipe the profile's PIN into it)", at(c))
				} else if err != nil {
					return usagef("%sreading the PIN from stdin: %v", at(c), err)
				}
			} else if profile.Protected {
				if pin, err = e.readSecret(ctx, "PIN for "+safe(profile.Title)+": "); err != nil {
					return secretError(ctx, c, err, "run it in a terminal, or pipe the PIN with --pin-stdin")
				}
			}
			acct, err := a.SwitchHomeUser(ctx, tok, profile.UUID, pin)
			if errors.Is(err, plex.ErrPinRequired) && pin == "" && !f.pinStdin {
				// plex.tv asks for a PIN the profile's flags did not announce.
				if pin, err = e.readSecret(ctx, "PIN for "+safe(profile.Title)+": "); err != nil {
					return secretError(ctx, c, err, "run it in a terminal, or pipe the PIN with --pin-stdin")
				}
				acct, err = a.SwitchHomeUser(ctx, tok, profile.UUID, pin)
			}
			if err != nil {
				return apiError(err)
			}
			if err := printableToken(string(acct.AuthToken)); err != nil {
				return err
			}
			if f.api.json {
				return printJSON(e.stdout, accountJSON(acct, true))
			}
			fmt.Fprintln(e.stdout, string(acct.AuthToken))
			return nil
		})
	c.args, c.nargs = "PROFILE", 1
	return c
}

// readLine reads one line (a PIN from a script), without its line end.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 256)).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// jwtJSON is a Plex JWT in --json output: the token is the command's result.
func jwtJSON(j *plex.JWT) any {
	return struct {
		*plex.JWT
		Token string `json:"token"` // shadows the JWT's (an sdk.Secret, redacted by json.Marshal)
	}{j, string(j.Token)}
}

// accountJSON is an account in --json output, its token only with --show-tokens.
func accountJSON(a *plex.UserPlexAccount, showTokens bool) any {
	out := struct {
		*plex.UserPlexAccount
		AuthToken string `json:"authToken,omitempty"` // shadows the account's
	}{UserPlexAccount: a}
	if showTokens {
		out.AuthToken = string(a.AuthToken)
	}
	return out
}

// sourceJSON is a source connection in --json output, the device's token
// only with --show-tokens.
func sourceJSON(sc *plex.SourceConnection, showTokens bool) any {
	type device struct {
		plex.Device
		AccessToken string `json:"accessToken,omitempty"` // shadows the device's
	}
	d := device{Device: sc.Device}
	if showTokens {
		d.AccessToken = string(sc.Device.AccessToken)
	}
	return struct {
		Device device `json:"Device"`
	}{d}
}
