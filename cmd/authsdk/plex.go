package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/authsdk/authsdk/sdk/plex"
)

func plexCommand(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		return usagef("plex: want signin, user, transient-token or sources")
	}
	verb := args[0]
	fs := newFlags("plex "+verb, e)
	var cf common
	cf.register(fs)
	clientID := fs.String("client-identifier", "", "X-Plex-Client-Identifier (or PLEX_CLIENT_IDENTIFIER)")
	token := fs.String("token", "", "X-Plex-Token (or PLEX_TOKEN)")
	var login, source *string
	var remember *bool
	switch verb {
	case "signin":
		login = fs.String("login", "", "username or email")
		remember = fs.Bool("remember-me", false, "ask for a long-lived token")
	case "sources":
		source = fs.String("source", "", "source, e.g. server://client-identifier")
	case "user", "transient-token":
	default:
		return usagef("plex: unknown command %q", verb)
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("plex %s: unexpected argument %q", verb, fs.Arg(0))
	}
	tok := orEnv(e, *token, "PLEX_TOKEN")
	cid := orEnv(e, *clientID, "PLEX_CLIENT_IDENTIFIER")
	if verb == "signin" && cid == "" {
		return usagef("plex signin: need --client-identifier or PLEX_CLIENT_IDENTIFIER")
	}
	opts := []plex.Option{plex.WithClientIdentifier(cid), plex.WithClientInfo(plex.ClientInfo{Product: "authsdk-cli"})}
	if rc, _ := cf.retryConfig(); rc != nil {
		opts = append(opts, plex.WithRetryConfig(*rc))
	}
	if cf.serverURL != "" {
		if verb == "signin" || verb == "user" {
			opts = append(opts, plex.WithPlexTVURL(cf.serverURL))
		} else {
			opts = append(opts, plex.WithServerURL(cf.serverURL))
		}
	}
	if verb == "transient-token" || verb == "sources" {
		if tok == "" {
			return usagef("plex %s: need --token or PLEX_TOKEN", verb)
		}
		if cf.serverURL == "" {
			return usagef("plex %s: need --server-url of the Plex Media Server", verb)
		}
		opts = append(opts, plex.WithAccessToken(tok))
	}
	c, err := plex.New(opts...)
	if err != nil {
		return usageError{err.Error()}
	}
	a := c.Authentication
	var out any
	switch verb {
	case "signin":
		acct, err := signIn(ctx, a, *login, *remember, e)
		if err != nil {
			return err
		}
		if cf.json {
			return printJSON(e.stdout, acct)
		}
		fmt.Fprintln(e.stdout, acct.AuthToken)
		return nil
	case "user":
		if tok == "" {
			return usagef("plex user: need --token or PLEX_TOKEN")
		}
		acct, err := a.GetUserDetails(ctx, tok)
		if err != nil {
			return err
		}
		if !cf.json {
			fmt.Fprintf(e.stdout, "%d %s %s\n", acct.ID, acct.Username, acct.Email)
			return nil
		}
		out = acct
	case "transient-token":
		tt, err := a.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
		if err != nil {
			return err
		}
		if !cf.json {
			fmt.Fprintln(e.stdout, tt.Token)
			return nil
		}
		out = tt
	case "sources":
		if *source == "" {
			return usagef("plex sources: need --source")
		}
		sc, err := a.GetSourceConnectionInformation(ctx, *source)
		if err != nil {
			return err
		}
		if !cf.json {
			for _, conn := range sc.Device.Connections {
				fmt.Fprintln(e.stdout, conn.URI)
			}
			return nil
		}
		out = sc
	}
	return printJSON(e.stdout, out)
}

// signIn prompts for the password (no echo) and, when plex.tv asks, the 2FA code.
func signIn(ctx context.Context, a *plex.Authentication, login string, remember bool, e *env) (*plex.UserPlexAccount, error) {
	if login == "" {
		return nil, usagef("plex signin: need --login")
	}
	password, err := e.readSecret("Password: ")
	if err != nil {
		return nil, usagef("plex signin: reading password: %v", err)
	}
	req := plex.SignInRequest{Login: login, Password: password, RememberMe: remember}
	acct, err := a.PostUsersSignInData(ctx, req)
	if errors.Is(err, plex.ErrVerificationCodeRequired) {
		code, rerr := e.readSecret("Two-factor code: ")
		if rerr != nil {
			return nil, usagef("plex signin: reading code: %v", rerr)
		}
		req.VerificationCode = code
		acct, err = a.PostUsersSignInData(ctx, req)
	}
	return acct, err
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
