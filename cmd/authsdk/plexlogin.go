package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
)

func plexLoginCommand() *command {
	return ownFlags(plexLeaf("plex login", "sign in without a password: approve a PIN on plex.tv, get a token",
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
		}), loginFlags)
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
	return ownFlags(plexLeaf("plex signin", "sign in with user name and password (the password and 2FA code are prompted)",
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
			return printAccountToken(e, f, acct)
		}), signInFlags)
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

// signInFlags are the flags of "authsdk plex signin" beyond the plex flags it takes.
func signInFlags(fs *flag.FlagSet, f *plexFlags) {
	fs.StringVar(&f.login, "login", "", "user `name` or e-mail (required)")
	fs.BoolVar(&f.remember, "remember-me", false, "ask plex.tv for a long-lived token")
}

// loginFlags are the flags of "authsdk plex login" beyond the plex flags it takes.
func loginFlags(fs *flag.FlagSet, f *plexFlags) {
	fs.BoolVar(&f.link, "link", false, "show a 4-character code to type at https://plex.tv/link instead of a link")
	fs.BoolVar(&f.noQR, "no-qr", false, "show the link only, no QR code (there is none when stderr is not a terminal)")
	fs.BoolVar(&f.jwt, "jwt", false, "sign in straight to a Plex JWT with this installation's device key (no long-lived token)")
	fs.StringVar(&f.keyFile, "key-file", "", "device key `file` for --jwt instead of this installation's; made (mode 0600) when it does not exist")
	fs.BoolVar(&f.force, "force", false, "with --jwt, replace an existing key file with a new key")
}
