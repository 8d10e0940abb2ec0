package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/ziggeo"
)

// optBool is a boolean flag that remembers whether it was given.
type optBool struct{ v *bool }

func (b *optBool) String() string {
	if b == nil || b.v == nil {
		return ""
	}
	return strconv.FormatBool(*b.v)
}
func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.v = &v
	return nil
}
func (b *optBool) IsBoolFlag() bool { return true }

// optInt is an int64 flag that remembers whether it was given.
type optInt struct{ v *int64 }

func (i *optInt) String() string {
	if i == nil || i.v == nil {
		return ""
	}
	return strconv.FormatInt(*i.v, 10)
}
func (i *optInt) Set(s string) error {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	i.v = &v
	return nil
}

// tokenFlags are the fields of an auth token, shared by token/create/update.
type tokenFlags struct {
	volatile, hidden                     optBool
	expiration, usageExpiration, session optInt
	grants                               *ziggeo.Grants
}

func (t *tokenFlags) register(fs *flag.FlagSet) {
	fs.Var(&t.volatile, "volatile", "delete the token once expired or used up")
	fs.Var(&t.hidden, "hidden", "hide the token from listings")
	fs.Var(&t.expiration, "expiration-date", "Unix time after which the token is invalid")
	fs.Var(&t.usageExpiration, "usage-expiration-time", "seconds the token stays valid after first use")
	fs.Var(&t.session, "session-limit", "how many sessions may use the token")
	fs.Func("grant", "a grant as action=scope, repeatable (actions read|create|update|destroy; scopes all|session|owned|session_owned)", t.addGrant)
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
		return fmt.Errorf("unknown action %q", action)
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
		return fmt.Errorf("unknown scope %q", scope)
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

// common are the flags every API command takes.
type common struct {
	serverURL string
	retries   int
	json      bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.serverURL, "server-url", "", "override the API server URL")
	fs.IntVar(&c.retries, "retries", -1, "total attempts per call (0 = no retries; default: the SDK's)")
	fs.BoolVar(&c.json, "json", false, "print JSON")
}

func (c *common) retryConfig() (*sdk.RetryConfig, error) {
	switch {
	case c.retries < 0:
		return nil, nil
	case c.retries <= 1:
		return &sdk.RetryConfig{Strategy: sdk.StrategyNone}, nil
	}
	rc := sdk.DefaultRetryConfig()
	rc.MaxAttempts = c.retries
	return &rc, nil
}

func ziggeoCommand(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		return usagef("ziggeo: want token, decrypt or authtokens")
	}
	switch args[0] {
	case "token":
		return ziggeoToken(args[1:], e)
	case "decrypt":
		return ziggeoDecrypt(args[1:], e)
	case "authtokens":
		return ziggeoAuthTokens(ctx, args[1:], e)
	}
	return usagef("ziggeo: unknown command %q", args[0])
}

func ziggeoToken(args []string, e *env) error {
	fs := newFlags("ziggeo token", e)
	app := fs.String("app-token", "", "application token (or ZIGGEO_APP_TOKEN)")
	key := fs.String("encryption-key", "", "encryption key (or ZIGGEO_ENCRYPTION_KEY)")
	var tf tokenFlags
	tf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	appToken, encKey := orEnv(e, *app, "ZIGGEO_APP_TOKEN"), orEnv(e, *key, "ZIGGEO_ENCRYPTION_KEY")
	if appToken == "" {
		return usagef("ziggeo token: need --app-token or ZIGGEO_APP_TOKEN")
	}
	if encKey == "" {
		return usagef("ziggeo token: need --encryption-key or ZIGGEO_ENCRYPTION_KEY")
	}
	// The private key is not needed offline; New requires one, so pass a placeholder.
	c, err := ziggeo.New(appToken, "unused-offline", ziggeo.WithEncryptionKey(encKey))
	if err != nil {
		return usageError{err.Error()}
	}
	tok, err := c.Auth.Generate(tf.params())
	if err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}

func ziggeoDecrypt(args []string, e *env) error {
	fs := newFlags("ziggeo decrypt", e)
	key := fs.String("encryption-key", "", "encryption key (or ZIGGEO_ENCRYPTION_KEY)")
	if err := parse(fs, args); err != nil {
		return err
	}
	encKey := orEnv(e, *key, "ZIGGEO_ENCRYPTION_KEY")
	if fs.NArg() != 1 || encKey == "" {
		return usagef("ziggeo decrypt: want --encryption-key (or ZIGGEO_ENCRYPTION_KEY) and one TOKEN")
	}
	plain, err := ziggeo.DecryptToken(encKey, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, string(plain))
	return nil
}

func ziggeoAuthTokens(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		return usagef("ziggeo authtokens: want get, create, update or delete")
	}
	verb := args[0]
	fs := newFlags("ziggeo authtokens "+verb, e)
	app := fs.String("app-token", "", "application token (or ZIGGEO_APP_TOKEN)")
	key := fs.String("private-key", "", "private key (or ZIGGEO_PRIVATE_KEY)")
	var cf common
	cf.register(fs)
	var tf tokenFlags
	if verb == "create" || verb == "update" {
		tf.register(fs)
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	wantArgs := 1
	switch verb {
	case "create":
		wantArgs = 0
	case "get", "update", "delete":
	default:
		return usagef("ziggeo authtokens: unknown command %q", verb)
	}
	if fs.NArg() != wantArgs {
		return usagef("ziggeo authtokens %s: want %d argument(s), got %d", verb, wantArgs, fs.NArg())
	}
	appToken, privateKey := orEnv(e, *app, "ZIGGEO_APP_TOKEN"), orEnv(e, *key, "ZIGGEO_PRIVATE_KEY")
	if appToken == "" || privateKey == "" {
		return usagef("ziggeo authtokens: need --app-token and --private-key (or ZIGGEO_APP_TOKEN, ZIGGEO_PRIVATE_KEY)")
	}
	opts := []ziggeo.Option{}
	if cf.serverURL != "" {
		opts = append(opts, ziggeo.WithServerURL(cf.serverURL))
	}
	if rc, _ := cf.retryConfig(); rc != nil {
		opts = append(opts, ziggeo.WithRetryConfig(*rc))
	}
	c, err := ziggeo.New(appToken, privateKey, opts...)
	if err != nil {
		return usageError{err.Error()}
	}
	var tok *ziggeo.AuthToken
	switch verb {
	case "get":
		tok, err = c.AuthTokens.Get(ctx, fs.Arg(0))
	case "create":
		tok, err = c.AuthTokens.Create(ctx, tf.params())
	case "update":
		tok, err = c.AuthTokens.Update(ctx, fs.Arg(0), tf.params())
	case "delete":
		if err = c.AuthTokens.Delete(ctx, fs.Arg(0)); err == nil {
			fmt.Fprintln(e.stdout, "deleted")
		}
		return err
	}
	if err != nil {
		return err
	}
	if cf.json {
		return printJSON(e.stdout, tok)
	}
	fmt.Fprintln(e.stdout, tok.Token)
	return nil
}
