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

// TransientToken is a short-lived token from a Plex Media Server.
type TransientToken struct {
	// Token is the transient token (a secret), valid for a short time.
	Token sdk.Secret `json:"token"`
}

// SourceConnection is how to reach a source, as the Plex Media Server knows it.
type SourceConnection struct {
	// Device is the source's device and its connections.
	Device Device `json:"Device"`
}

// Device is a source device: its name, identifier, token and connections.
type Device struct {
	// Name is the device's display name.
	Name string `json:"name"`
	// ClientIdentifier is the device's unique identifier.
	ClientIdentifier string `json:"clientIdentifier"`
	// AccessToken is the token for talking to this device (a secret).
	AccessToken sdk.Secret `json:"accessToken"`
	// Connections are the addresses the device is reachable at.
	Connections []Connection `json:"Connection"`
}

// Connection is one way to reach a server.
type Connection struct {
	// Protocol is "http" or "https".
	Protocol string `json:"protocol"`
	// Address is an IP address or host name.
	Address string `json:"address"`
	// Port is the TCP port.
	Port int `json:"port"`
	// URI is the full base URL, usually https://<ip-with-dashes>.<hash>.plex.direct:32400.
	URI string `json:"uri"`
	// Local is true for an address on the server's own network.
	Local bool `json:"local"`
	// Relay is true for a connection through Plex's relay (slow, capped).
	Relay bool `json:"relay"`
	// IPv6 is true for an IPv6 address.
	IPv6 bool `json:"IPv6"`
}

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
