package plex

import (
	"context"
	"fmt"
	"net/http"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
)

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
