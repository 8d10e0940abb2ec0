// Package plex is a client for Plex authentication:
//
//   - password-less sign-in with a PIN the user approves on plex.tv
//     (CreatePin, Pin.AuthURL, WaitForPin): the app never sees a password;
//   - username/password sign-in with two-factor codes (PostUsersSignInData);
//   - the account behind a token, and whether the token is still good
//     (GetUserDetails, ErrInvalidToken);
//   - the servers an account reaches, each with its own access token
//     (GetServerResources), and the connection to one that works from here,
//     proven before any token goes there (Resource.PreferredURLs, Connect,
//     ServerConnection.Client);
//   - JWT device authentication: an Ed25519 device key traded for Plex
//     JWTs, so no long-lived token sits on disk (DeviceKey,
//     RegisterDeviceKey, ExchangeDeviceJWT, JWTSource), and sign-in straight
//     to a Plex JWT with a PIN (CreateJWTPin, WaitForJWTPin);
//   - keeping a service signed in: TokenSource, Transport, Ping, SignOut;
//   - Plex Home profiles (GetHomeUsers, SwitchHomeUser);
//   - a transient token and source connection information from a Plex Media
//     Server.
//
// Sign in without a password:
//
//	c, err := plex.New(plex.WithClientIdentifier(installID), plex.WithClientInfo(plex.ClientInfo{Product: "My App"}))
//	pin, err := c.Authentication.CreatePin(ctx, true)
//	fmt.Println("Approve at", pin.AuthURL(""))
//	pin, err = c.Authentication.WaitForPin(ctx, pin, time.Second)
//	token := string(pin.AuthToken) // an sdk.Secret: string() is its value
//
// Tokens travel in the X-Plex-Token header, never in query strings — but
// for the two values Plex's own design puts there: a JWT PIN poll's device
// JWT and a Home profile's PIN, which are redacted from every error, log
// line and reported URL. Every credential in a result is an sdk.Secret, so
// results print and log whole with tokens shown as REDACTED. A client made
// WithIdentity is this installation's one Plex device (OpenIdentity).
// Requests go through the shared core (retries, per-call options,
// *sdk.APIError). For tests, sdk/plex/plextest is a spec-validated fake
// Plex Media Server, plex.tv and clients.plex.tv.
package plex
