package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
)

func plexUserCommand() *command {
	return ownFlags(plexLeaf("plex user", "show the account a token belongs to (and whether the token is still good)",
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
		}), userFlags)
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
	return ownFlags(plexLeaf("plex sources", "show how a Plex Media Server reaches a source (PLEX_TOKEN goes to that server)",
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
		}), sourcesFlags)
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
	c := ownFlags(plexLeaf("plex switch", "switch to a Plex Home profile (by uuid or title) and print its token",
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
			return printAccountToken(e, f, acct)
		}), switchFlags)
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

// switchFlags are the flags of "authsdk plex switch" beyond the plex flags it takes.
func switchFlags(fs *flag.FlagSet, f *plexFlags) {
	fs.BoolVar(&f.pinStdin, "pin-stdin", false, "read the profile's PIN from stdin (for scripts)")
}

// sourcesFlags are the flags of "authsdk plex sources" beyond the plex flags it takes.
func sourcesFlags(fs *flag.FlagSet, f *plexFlags) {
	fs.StringVar(&f.source, "source", "", "the `source`, e.g. server://client-identifier (required)")
	fs.BoolVar(&f.showTokens, "show-tokens", false, "show the device's access token in --json")
}

// userFlags are the flags of "authsdk plex user" beyond the plex flags it takes.
func userFlags(fs *flag.FlagSet, f *plexFlags) {
	fs.BoolVar(&f.showTokens, "show-tokens", false, "show the account's token in --json")
}

// printAccountToken prints a signed-in account's token, or the account with
// its token in --json (sign-in and switch: the token is the output).
func printAccountToken(e *env, f *plexFlags, acct *plex.UserPlexAccount) error {
	if err := printableToken(string(acct.AuthToken)); err != nil {
		return err
	}
	if f.api.json {
		return printJSON(e.stdout, accountJSON(acct, true))
	}
	fmt.Fprintln(e.stdout, string(acct.AuthToken))
	return nil
}
