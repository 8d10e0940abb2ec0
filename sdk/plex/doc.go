// Package plex is a client for Plex authentication: a transient token and
// source connection information from a Plex Media Server, user details and
// username/password sign-in (with two-factor codes) on plex.tv.
//
//	c, err := plex.New(plex.WithClientIdentifier("my-app-install-id"))
//	acct, err := c.Authentication.PostUsersSignInData(ctx, plex.SignInRequest{Login: u, Password: p})
//	if errors.Is(err, plex.ErrVerificationCodeRequired) { /* ask for the 2FA code, sign in again */ }
//
// Tokens travel only in the X-Plex-Token header, never in query strings.
// Requests go through the shared core in package sdk (retries, per-call
// options, *sdk.APIError). For tests, sdk/plex/plextest is a spec-validated
// fake Plex Media Server and plex.tv.
package plex
