package plex

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/sdk"
)

// TransientTokenType is the kind of transient token to ask for.
type TransientTokenType = plexapi.TransientTokenType

// Scope is the scope of a transient token.
type Scope = plexapi.Scope

// The only values the API accepts today.
const (
	TransientTokenTypeDelegation TransientTokenType = plexapi.TransientTokenTypeDelegation
	ScopeAll                     Scope              = plexapi.ScopeAll
)

// TransientToken is a short-lived token from the Plex Media Server (.Token).
type TransientToken = plexapi.TransientToken

// SourceConnection is a source's device and its connections (.Device).
type SourceConnection = plexapi.SourceConnection

// UserPlexAccount is a plex.tv account; AuthToken is its token.
type UserPlexAccount = plexapi.UserPlexAccount

// SignInRequest is a username/password sign-in, with the two-factor code
// when the account asks for one (ErrVerificationCodeRequired).
type SignInRequest struct {
	Login, Password  string
	RememberMe       bool
	VerificationCode string
}

// Format keeps the password out of fmt and slog output.
func (r SignInRequest) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "plex.SignInRequest{Login: %q, Password: REDACTED, RememberMe: %v, VerificationCode: %s}",
		r.Login, r.RememberMe, map[bool]string{true: "REDACTED", false: `""`}[r.VerificationCode != ""])
}

// Authentication calls the Plex authentication operations.
type Authentication struct {
	core        *sdk.Core
	pms, plexTV string
	accessToken string
	clientID    string
	fixed       http.Header // Accept and identification headers, built once
	pmsHeaders  plexapi.RequestEditorFn
}

var (
	opTransient = sdk.Operation{Name: "plex.Authentication.GetTransientToken", Idempotent: true}
	opSources   = sdk.Operation{Name: "plex.Authentication.GetSourceConnectionInformation", Idempotent: true}
	opUser      = sdk.Operation{Name: "plex.Authentication.GetUserDetails", Idempotent: true}
	opSignIn    = sdk.Operation{Name: "plex.Authentication.PostUsersSignInData", Idempotent: true}
)

// GetTransientToken asks the Plex Media Server for a short-lived token.
func (a *Authentication) GetTransientToken(ctx context.Context, t TransientTokenType, s Scope, opts ...sdk.CallOption) (*TransientToken, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("%s: token type %q is not %q", opTransient.Name, t, TransientTokenTypeDelegation)
	}
	if !s.Valid() {
		return nil, fmt.Errorf("%s: scope %q is not %q", opTransient.Name, s, ScopeAll)
	}
	if err := a.needAccessToken(&opTransient); err != nil {
		return nil, err
	}
	params := &plexapi.GetTransientTokenParams{Type: t, Scope: s}
	rsp, err := sdk.Invoke[plexapi.TransientTokenResponse](ctx, a.core, &opTransient, a.pms, opts, func(ctx context.Context, server string, d sdk.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetTransientToken(ctx, params, a.pmsHeaders)
	})
	if err != nil {
		return nil, err
	}
	return &rsp.MediaContainer, nil
}

// GetSourceConnectionInformation returns how to reach a source, e.g.
// "server://client-identifier", as the Plex Media Server knows it.
func (a *Authentication) GetSourceConnectionInformation(ctx context.Context, source string, opts ...sdk.CallOption) (*SourceConnection, error) {
	if strings.TrimSpace(source) == "" {
		return nil, fmt.Errorf("%s: empty source", opSources.Name)
	}
	if err := a.needAccessToken(&opSources); err != nil {
		return nil, err
	}
	params := &plexapi.GetSourceConnectionInformationParams{Source: source}
	rsp, err := sdk.Invoke[plexapi.SourceConnectionResponse](ctx, a.core, &opSources, a.pms, opts, func(ctx context.Context, server string, d sdk.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetSourceConnectionInformation(ctx, params, a.pmsHeaders)
	})
	if err != nil {
		return nil, err
	}
	return &rsp.MediaContainer, nil
}

// GetUserDetails returns the plex.tv account that xPlexToken belongs to. Only
// that token is sent, never the client's own access token.
func (a *Authentication) GetUserDetails(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) (*UserPlexAccount, error) {
	if xPlexToken == "" {
		return nil, fmt.Errorf("%s: empty X-Plex-Token", opUser.Name)
	}
	if strings.ContainsAny(xPlexToken, "\r\n") {
		return nil, fmt.Errorf("%s: X-Plex-Token contains a line break", opUser.Name)
	}
	return sdk.Invoke[UserPlexAccount](ctx, a.core, &opUser, a.plexTV, opts, func(ctx context.Context, server string, d sdk.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetUserDetails(ctx, a.headers(xPlexToken))
	})
}

// PostUsersSignInData signs in on plex.tv and returns the account with its
// AuthToken. A 401 asking for a two-factor code matches
// errors.Is(err, ErrVerificationCodeRequired): call again with VerificationCode.
func (a *Authentication) PostUsersSignInData(ctx context.Context, req SignInRequest, opts ...sdk.CallOption) (*UserPlexAccount, error) {
	switch {
	case a.clientID == "":
		return nil, fmt.Errorf("%s: sign-in needs a client identifier (plex.WithClientIdentifier)", opSignIn.Name)
	case strings.TrimSpace(req.Login) == "":
		return nil, fmt.Errorf("%s: empty login", opSignIn.Name)
	case req.Password == "":
		return nil, fmt.Errorf("%s: empty password", opSignIn.Name)
	}
	form := plexapi.PostUsersSignInDataFormdataRequestBody{Login: req.Login, Password: req.Password}
	if req.RememberMe {
		form.RememberMe = &req.RememberMe
	}
	if req.VerificationCode != "" {
		form.VerificationCode = &req.VerificationCode
	}
	params := &plexapi.PostUsersSignInDataParams{XPlexClientIdentifier: a.clientID}
	return sdk.Invoke[UserPlexAccount](ctx, a.core, &opSignIn, a.plexTV, opts, func(ctx context.Context, server string, d sdk.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).PostUsersSignInDataWithFormdataBody(ctx, params, form, a.setFixed)
	})
}

func (a *Authentication) needAccessToken(op *sdk.Operation) error {
	if a.accessToken == "" {
		return fmt.Errorf("%s: no access token for the Plex Media Server (plex.WithAccessToken)", op.Name)
	}
	return nil
}

// fixedHeaders are Accept (Plex answers XML without it) and the
// identification headers that are set; values are shared, never mutated.
func fixedHeaders(clientID string, info ClientInfo) http.Header {
	h := http.Header{"Accept": {"application/json"}}
	for k, v := range map[string]string{
		"X-Plex-Client-Identifier": clientID,
		"X-Plex-Product":           info.Product,
		"X-Plex-Version":           info.Version,
		"X-Plex-Platform":          info.Platform,
		"X-Plex-Device":            info.Device,
	} {
		if v != "" {
			h[k] = []string{v}
		}
	}
	return h
}

// setFixed is the request editor for calls without a token.
func (a *Authentication) setFixed(_ context.Context, req *http.Request) error {
	for k, v := range a.fixed {
		req.Header[k] = v
	}
	return nil
}

// headers returns the request editor that adds token in X-Plex-Token
// (header only, never the query string) to the fixed headers.
func (a *Authentication) headers(token string) plexapi.RequestEditorFn {
	value := []string{token}
	return func(ctx context.Context, req *http.Request) error {
		_ = a.setFixed(ctx, req)
		req.Header["X-Plex-Token"] = value
		return nil
	}
}
