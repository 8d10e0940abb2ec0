package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/ziggeo"
)

// optBool is a boolean flag that remembers whether it was given.
type optBool struct{ v *bool }

func (b *optBool) String() string { return "" }
func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	b.v = &v
	return nil
}
func (b *optBool) IsBoolFlag() bool { return true }

// optCount is a non-negative int64 flag that remembers whether it was given.
type optCount struct{ v *int64 }

func (i *optCount) String() string { return "" }
func (i *optCount) Set(s string) error {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	if v < 0 {
		return fmt.Errorf("%d is negative", v)
	}
	i.v = &v
	return nil
}

// tokenFlags are the fields of an auth token, shared by token/create/update.
type tokenFlags struct {
	volatile, hidden                     optBool
	expiration, usageExpiration, session optCount
	grants                               *ziggeo.Grants
}

func (t *tokenFlags) register(fs *flag.FlagSet) {
	fs.Var(&t.volatile, "volatile", "delete the token once expired or used up")
	fs.Var(&t.hidden, "hidden", "hide the token from listings")
	fs.Var(&t.expiration, "expiration-date", "Unix `time` after which the token is invalid")
	fs.Var(&t.usageExpiration, "usage-expiration-time", "`seconds` the token stays valid after its first use")
	fs.Var(&t.session, "session-limit", "how many sessions (`N`) may use the token")
	fs.Func("grant", "`action=scope`, repeatable: actions read, create, update, destroy; scopes all, session, owned, session_owned", t.addGrant)
}

func (t *tokenFlags) addGrant(s string) error {
	action, scope, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("%q is not action=scope", s)
	}
	if t.grants == nil {
		t.grants = &ziggeo.Grants{}
	}
	var g **ziggeo.Grant
	switch action {
	case "read":
		g = &t.grants.Read
	case "create":
		g = &t.grants.Create
	case "update":
		g = &t.grants.Update
	case "destroy":
		g = &t.grants.Destroy
	default:
		return fmt.Errorf("unknown action %q (want read, create, update or destroy)", action)
	}
	if *g == nil {
		*g = &ziggeo.Grant{}
	}
	switch scope {
	case "all":
		(*g).All = true
	case "session":
		(*g).Session = true
	case "owned":
		(*g).Owned = true
	case "session_owned":
		(*g).SessionOwned = true
	default:
		return fmt.Errorf("unknown scope %q (want all, session, owned or session_owned)", scope)
	}
	return nil
}

func (t *tokenFlags) params() ziggeo.AuthTokenParams {
	return ziggeo.AuthTokenParams{
		Volatile: t.volatile.v, Hidden: t.hidden.v,
		ExpirationDate: t.expiration.v, UsageExpirationTime: t.usageExpiration.v, SessionLimit: t.session.v,
		Grants: t.grants,
	}
}

func ziggeoCommand() *command {
	return &command{name: "ziggeo", summary: "Ziggeo client auth tokens and the authtokens API", subs: []*command{
		ziggeoTokenCommand(), ziggeoDecryptCommand(), {
			name: "ziggeo authtokens", summary: "get, create, update or delete auth tokens (API calls)",
			subs: []*command{authTokensCommand("get"), authTokensCommand("create"), authTokensCommand("update"), authTokensCommand("delete")},
		},
	}}
}

type ziggeoTokenFlags struct {
	app, encKey optString
	token       tokenFlags
}

func ziggeoTokenCommand() *command {
	return &command{
		name: "ziggeo token", summary: "make an encrypted client auth token, offline (as the official SDKs' auth.generate)",
		env:     []string{"ZIGGEO_APP_TOKEN", "ZIGGEO_ENCRYPTION_KEY"},
		example: "authsdk ziggeo token --session-limit 1 --grant read=all   # keys from ZIGGEO_*",
		flags: func(fs *flag.FlagSet) any {
			f := &ziggeoTokenFlags{}
			fs.Var(&f.app, "app-token", "application `token` (or ZIGGEO_APP_TOKEN)")
			fs.Var(&f.encKey, "encryption-key", "encryption `key` (or ZIGGEO_ENCRYPTION_KEY); \"\" is a valid key")
			f.token.register(fs)
			return f
		},
		run: func(ctx context.Context, e *env, fl any, _ []string) error {
			f := fl.(*ziggeoTokenFlags)
			app, _ := f.app.or(e, "ZIGGEO_APP_TOKEN")
			key, ok := f.encKey.or(e, "ZIGGEO_ENCRYPTION_KEY")
			switch {
			case app == "":
				return usagef("ziggeo token: need --app-token or ZIGGEO_APP_TOKEN")
			case !ok:
				return usagef("ziggeo token: need --encryption-key or ZIGGEO_ENCRYPTION_KEY")
			}
			c, err := ziggeo.New(app, "", ziggeo.WithEncryptionKey(key))
			if err != nil {
				return localError(err)
			}
			tok, err := c.Auth.Generate(f.token.params())
			if err != nil {
				return localError(err)
			}
			fmt.Fprintln(e.stdout, tok)
			return nil
		},
	}
}

func ziggeoDecryptCommand() *command {
	return &command{
		name: "ziggeo decrypt", args: "TOKEN", nargs: 1, summary: "decrypt a client auth token and print its JSON",
		env:     []string{"ZIGGEO_ENCRYPTION_KEY"},
		example: "authsdk ziggeo decrypt 36710664d61b9295… --encryption-key KEY",
		flags: func(fs *flag.FlagSet) any {
			k := &optString{}
			fs.Var(k, "encryption-key", "encryption `key` (or ZIGGEO_ENCRYPTION_KEY); \"\" is a valid key")
			return k
		},
		run: func(ctx context.Context, e *env, fl any, args []string) error {
			key, ok := fl.(*optString).or(e, "ZIGGEO_ENCRYPTION_KEY")
			if !ok {
				return usagef("ziggeo decrypt: need --encryption-key or ZIGGEO_ENCRYPTION_KEY")
			}
			plain, err := ziggeo.DecryptToken(key, args[0])
			if err != nil {
				// The input was well formed: it does not decrypt (wrong key or
				// damaged token). Not a usage error: exit 1.
				return err
			}
			fmt.Fprintln(e.stdout, safe(string(plain)))
			return nil
		},
	}
}

type authTokensFlags struct {
	app, key, server optString
	api              apiFlags
	token            tokenFlags
}

func (f *authTokensFlags) common() *apiFlags { return &f.api }

func authTokensCommand(verb string) *command {
	c := &command{
		name: "ziggeo authtokens " + verb, args: "TOKEN", nargs: 1,
		env: []string{"ZIGGEO_APP_TOKEN", "ZIGGEO_PRIVATE_KEY", "ZIGGEO_SERVER_URL"},
	}
	switch verb {
	case "get":
		c.summary, c.example = "show an auth token", "authsdk ziggeo authtokens get TOKEN --json"
	case "create":
		c.args, c.nargs = "", 0
		c.summary, c.example = "create an auth token (not retried unless nothing was processed)", "authsdk ziggeo authtokens create --session-limit 5 --grant read=all"
	case "update":
		c.summary, c.example = "change an auth token's fields", "authsdk ziggeo authtokens update TOKEN --session-limit 9"
	case "delete":
		c.summary, c.example = "delete an auth token", "authsdk ziggeo authtokens delete TOKEN"
	}
	c.flags = func(fs *flag.FlagSet) any {
		f := &authTokensFlags{}
		fs.Var(&f.app, "app-token", "application `token` (or ZIGGEO_APP_TOKEN)")
		fs.Var(&f.key, "private-key", "private `key` (or ZIGGEO_PRIVATE_KEY)")
		fs.Var(&f.server, "server-url", "API server `URL` (or ZIGGEO_SERVER_URL; default: Ziggeo's, by the application token's region)")
		f.api.register(fs)
		if verb == "create" || verb == "update" {
			f.token.register(fs)
		}
		return f
	}
	c.run = func(ctx context.Context, e *env, fl any, args []string) error {
		f := fl.(*authTokensFlags)
		app, _ := f.app.or(e, "ZIGGEO_APP_TOKEN")
		key, _ := f.key.or(e, "ZIGGEO_PRIVATE_KEY")
		if app == "" || key == "" {
			return usagef("%sneed --app-token and --private-key (or ZIGGEO_APP_TOKEN and ZIGGEO_PRIVATE_KEY)", at(c))
		}
		if verb == "update" && f.token.params() == (ziggeo.AuthTokenParams{}) {
			return usagef("%snothing to update: give at least one field flag, e.g. --session-limit 5 (run %q)", at(c), prog(c)+" --help")
		}
		var opts []ziggeo.Option
		if u, ok := f.server.or(e, "ZIGGEO_SERVER_URL"); ok {
			opts = append(opts, ziggeo.WithServerURL(u))
		}
		if rc := f.api.retryConfig(); rc != nil {
			opts = append(opts, ziggeo.WithRetryConfig(*rc))
		}
		if e.transport != nil {
			opts = append(opts, ziggeo.WithHTTPClient(&http.Client{Transport: e.transport}))
		}
		zc, err := ziggeo.New(app, key, opts...)
		if err != nil {
			return localError(err)
		}
		var tok *ziggeo.AuthToken
		switch verb {
		case "get":
			tok, err = zc.AuthTokens.Get(ctx, args[0])
		case "create":
			tok, err = zc.AuthTokens.Create(ctx, f.token.params())
		case "update":
			tok, err = zc.AuthTokens.Update(ctx, args[0], f.token.params())
		case "delete":
			if err = zc.AuthTokens.Delete(ctx, args[0]); err == nil {
				if f.api.json {
					return printJSON(e.stdout, map[string]bool{"deleted": true})
				}
				fmt.Fprintln(e.stdout, "deleted")
			}
		}
		if err != nil || tok == nil {
			return apiError(err)
		}
		if f.api.json {
			return printJSON(e.stdout, struct {
				*ziggeo.AuthToken
				Token string `json:"token"` // shadows the sdk.Secret, which json.Marshal redacts
			}{tok, string(tok.Token)})
		}
		if verb == "get" {
			return printAuthToken(e.stdout, tok)
		}
		fmt.Fprintln(e.stdout, safe(string(tok.Token)))
		return nil
	}
	return c
}

// printAuthToken writes every field the token has, one per line.
func printAuthToken(w io.Writer, t *ziggeo.AuthToken) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	field := func(name, v string) { fmt.Fprintf(tw, "%s\t%s\n", name, safe(v)) }
	field("token", string(t.Token))
	if t.Key != "" {
		field("key", t.Key)
	}
	for _, b := range []struct {
		name string
		v    *bool
	}{{"volatile", t.Volatile}, {"hidden", t.Hidden}} {
		if b.v != nil {
			field(b.name, fmt.Sprint(*b.v))
		}
	}
	if t.ExpirationDate != nil {
		field("expiration_date", fmt.Sprintf("%d (%s)", *t.ExpirationDate, time.Unix(*t.ExpirationDate, 0).UTC().Format(time.RFC3339)))
	}
	if t.UsageExpirationTime != nil {
		field("usage_expiration_time", fmt.Sprintf("%ds", *t.UsageExpirationTime))
	}
	if t.SessionLimit != nil {
		field("session_limit", fmt.Sprint(*t.SessionLimit))
	}
	if t.Grants != nil {
		g, err := json.Marshal(t.Grants)
		if err != nil {
			return err
		}
		field("grants", string(g))
	}
	return tw.Flush()
}

// apiError keeps API and network errors (exit 1) and turns anything the
// SDK refused before sending into a usage error (exit 2).
func apiError(err error) error {
	var api *sdk.APIError
	var te *sdk.TransportError
	var bad *sdk.ResponseError
	switch {
	case errors.Is(err, plex.ErrSignInLocked):
		return fmt.Errorf("plex.tv has locked sign-ins from this address after repeated failures; wait (it lasts hours) before trying again: %w", err)
	case errors.Is(err, plex.ErrThrottled):
		return fmt.Errorf("rate limited by plex.tv; wait a minute before trying again: %w", err)
	case errors.Is(err, plex.ErrInvalidToken):
		return fmt.Errorf("the token was refused (wrong, expired or signed out); sign in again: %w", err)
	case errors.Is(err, plex.ErrKeyRegistered):
		return fmt.Errorf("this device key is registered already (by this client earlier, or by another device); make a new key with \"plex jwt keygen\" if it is not yours: %w", err)
	case errors.Is(err, plex.ErrDeviceMismatch):
		return fmt.Errorf("this device key is bound to another device or client identifier; sign in with \"authsdk plex login --jwt\" to bind this installation's key: %w", err)
	case errors.Is(err, plex.ErrPinRequired):
		return fmt.Errorf("the profile's PIN is missing or wrong: %w", err)
	}
	if err == nil || errors.As(err, &api) || errors.As(err, &te) || errors.As(err, &bad) || errors.Is(err, context.Canceled) {
		return err
	}
	return localError(err)
}
