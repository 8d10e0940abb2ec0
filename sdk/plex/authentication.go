package plex

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// TransientTokenType is the kind of transient token to ask for.
type TransientTokenType string

// Scope is the scope of a transient token.
type Scope string

// The only values the API accepts today.
const (
	TransientTokenTypeDelegation TransientTokenType = "delegation"
	ScopeAll                     Scope              = "all"
)

// Valid reports whether the API accepts t.
func (t TransientTokenType) Valid() bool { return t == TransientTokenTypeDelegation }

// Valid reports whether the API accepts s.
func (s Scope) Valid() bool { return s == ScopeAll }

// Authentication calls the Plex authentication operations.
type Authentication struct {
	*authRef
}

// authRef puts the state two pointers away from Authentication: fmt shows
// a bad verb's operand one level deep (%s of a *Authentication field), and
// must still find only an address there, never the token.
type authRef struct{ *authState }

type authState struct {
	core                 *core.Core
	pms, plexTV, clients string
	accessToken          string
	clientID             string
	product              string
	fixed                http.Header // Accept and identification headers, built once
	pmsHeaders           plexapi.RequestEditorFn
	origin               settings // what New was given, for ServerConnection.Client
	identity             *Identity
	learn                *learnedServer // an https IP server URL's learned plex.direct name; nil = none needed
}

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
	params := &plexapi.GetTransientTokenParams{Type: plexapi.TransientTokenType(t), Scope: plexapi.Scope(s)}
	rsp, err := onPMS(ctx, a, func(server string, info *core.CallInfo) (*struct{ MediaContainer TransientToken }, error) {
		return core.Invoke[struct{ MediaContainer TransientToken }](ctx, a.core, &opTransient, server, opts, info, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
			return (&plexapi.Client{Server: server, Client: d}).GetTransientToken(ctx, params, a.pmsHeaders)
		})
	})
	if err != nil {
		return nil, a.serverRefusal(err)
	}
	if rsp.MediaContainer.Token == "" {
		return nil, core.Incomplete(&opTransient, "token")
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
	rsp, err := onPMS(ctx, a, func(server string, info *core.CallInfo) (*struct{ MediaContainer SourceConnection }, error) {
		return core.Invoke[struct{ MediaContainer SourceConnection }](ctx, a.core, &opSources, server, opts, info, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
			return (&plexapi.Client{Server: server, Client: d}).GetSourceConnectionInformation(ctx, params, a.pmsHeaders)
		})
	})
	if err != nil {
		return nil, a.serverRefusal(err)
	}
	if d := rsp.MediaContainer.Device; d.ClientIdentifier == "" && d.Name == "" && len(d.Connections) == 0 {
		return nil, core.Incomplete(&opSources, "device")
	}
	return &rsp.MediaContainer, nil
}

// GetUserDetails returns the plex.tv account that xPlexToken belongs to.
// Only that token is sent, never the client's own access token. A token
// plex.tv no longer accepts matches errors.Is(err, ErrInvalidToken).
func (a *Authentication) GetUserDetails(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) (*UserPlexAccount, error) {
	if err := checkToken(&opUser, xPlexToken); err != nil {
		return nil, err
	}
	acct, err := core.Invoke[UserPlexAccount](ctx, a.core, &opUser, a.base(&opUser), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetUserDetails(ctx, a.headers(xPlexToken))
	})
	if err == nil && acct.ID == 0 && acct.UUID == "" && acct.Username == "" {
		return nil, core.Incomplete(&opUser, "account")
	}
	return acct, err
}

// PostUsersSignInData signs in on plex.tv and returns the account with its
// AuthToken. A 401 asking for a two-factor code matches
// errors.Is(err, ErrVerificationCodeRequired): call again with VerificationCode.
func (a *Authentication) PostUsersSignInData(ctx context.Context, req SignInRequest, opts ...sdk.CallOption) (*UserPlexAccount, error) {
	if err := a.needClientID(&opSignIn); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(req.Login) == "":
		return nil, fmt.Errorf("%s: empty login", opSignIn.Name)
	case req.Password == "":
		return nil, fmt.Errorf("%s: empty password", opSignIn.Name)
	}
	form := plexapi.PostUsersSignInDataFormdataRequestBody{Login: req.Login, Password: string(req.Password)}
	if req.RememberMe {
		form.RememberMe = &req.RememberMe
	}
	if req.VerificationCode != "" {
		code := string(req.VerificationCode)
		form.VerificationCode = &code
	}
	params := &plexapi.PostUsersSignInDataParams{XPlexClientIdentifier: a.clientID}
	sec := &core.CallInfo{Secrets: [2]string{string(req.Password), string(req.VerificationCode)}}
	acct, err := core.Invoke[UserPlexAccount](ctx, a.core, &opSignIn, a.base(&opSignIn), opts, sec, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).PostUsersSignInDataWithFormdataBody(ctx, params, form, a.setFixed)
	})
	if err == nil && acct.AuthToken == "" {
		return nil, core.Incomplete(&opSignIn, "authToken")
	}
	return acct, err
}

func (a *Authentication) needAccessToken(op *core.Operation) error {
	if a.accessToken == "" {
		return fmt.Errorf("%s: no access token for the Plex Media Server (plex.WithAccessToken)", op.Name)
	}
	return nil
}

func (a *Authentication) needClientID(op *core.Operation) error {
	if a.clientID == "" {
		return fmt.Errorf("%s: needs a client identifier (plex.WithClientIdentifier)", op.Name)
	}
	return nil
}

// needTokenAndClientID is checkToken and needClientID, for the plex.tv
// calls that send both.
func (a *Authentication) needTokenAndClientID(op *core.Operation, token string) error {
	if err := checkToken(op, token); err != nil {
		return err
	}
	return a.needClientID(op)
}

// checkToken refuses, before sending, a token a call cannot send.
func checkToken(op *core.Operation, token string) error {
	if token == "" {
		return fmt.Errorf("%s: empty X-Plex-Token", op.Name)
	}
	if err := core.CheckHeaderValue("X-Plex-Token", token); err != nil {
		return fmt.Errorf("%s: %w", op.Name, err)
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
