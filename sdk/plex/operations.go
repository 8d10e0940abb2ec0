package plex

import (
	"strings"

	"github.com/authsdk/authsdk/internal/core"
)

// Where operations go: base maps each to the URL the client was made with.
const (
	serverPMS     = "Plex Media Server"
	serverPlexTV  = "plex.tv"
	serverClaim   = "plex.tv (outside /api/v2)"
	serverClients = "clients.plex.tv"
)

// base is the URL of op's server: the table says where an operation goes,
// the methods do not. Connect's probes go to each candidate URL instead.
func (a *Authentication) base(op *core.Operation) string {
	switch op.Server {
	case serverPMS:
		return a.pms
	case serverPlexTV:
		return a.plexTV
	case serverClaim:
		if root, ok := strings.CutSuffix(a.plexTV, "/v2/"); ok {
			return root + "/"
		}
		return a.plexTV
	case serverClients:
		return a.clients
	}
	panic("plex: operation " + op.Name + " has no server in the table")
}

// The Plex operations: the one place each is declared — its name in
// errors, whether it may be retried freely, whether it carries the user's
// token (so a 401 means the token is bad: ErrInvalidToken), and its server.
// TestOperationsCoverTheSpec walks api/plex/openapi.yaml against this table.
var (
	opTransient = core.Operation{ID: "getTransientToken", Name: "plex.Authentication.GetTransientToken", Idempotent: true, SendsToken: true, Server: serverPMS}
	opSources   = core.Operation{ID: "getSourceConnectionInformation", Name: "plex.Authentication.GetSourceConnectionInformation", Idempotent: true, SendsToken: true, Server: serverPMS}
	opIdentity  = core.Operation{ID: "getIdentity", Name: "plex.Authentication.Connect", Idempotent: true, Server: serverPMS}
	opUser      = core.Operation{ID: "getUserDetails", Name: "plex.Authentication.GetUserDetails", Idempotent: true, SendsToken: true, Server: serverPlexTV}
	opSignIn    = core.Operation{ID: "postUsersSignInData", Name: "plex.Authentication.PostUsersSignInData", Idempotent: true, Server: serverPlexTV}
	opCreatePin = core.Operation{ID: "createPin", Name: "plex.Authentication.CreatePin", Server: serverPlexTV}
	opGetPin    = core.Operation{ID: "getPin", Name: "plex.Authentication.GetPin", Idempotent: true, Server: serverPlexTV}
	opResources = core.Operation{ID: "getServerResources", Name: "plex.Authentication.GetServerResources", Idempotent: true, SendsToken: true, Server: serverPlexTV}
	opPing      = core.Operation{ID: "ping", Name: "plex.Authentication.Ping", Idempotent: true, SendsToken: true, Server: serverPlexTV}
	// Revoking is done once sent; a retry could only report a 401 for it.
	opSignOut   = core.Operation{ID: "signOut", Name: "plex.Authentication.SignOut", SendsToken: true, Server: serverPlexTV}
	opHomeUsers = core.Operation{ID: "getHomeUsers", Name: "plex.Authentication.GetHomeUsers", Idempotent: true, SendsToken: true, Server: serverPlexTV}
	// Each try with a PIN counts against the profile: retried only when
	// nothing was sent.
	opSwitchHome = core.Operation{ID: "switchHomeUser", Name: "plex.Authentication.SwitchHomeUser", SendsToken: true, Server: serverPlexTV}
	opLinkPin    = core.Operation{ID: "linkPin", Name: "plex.Authentication.LinkPin", Idempotent: true, SendsToken: true, Server: serverPlexTV}
	opClaimToken = core.Operation{ID: "getClaimToken", Name: "plex.Authentication.GetClaimToken", Idempotent: true, SendsToken: true, Server: serverClaim}
	// RegisterDeviceKey carries the user's token; the JWT steps carry none.
	opRegisterKey  = core.Operation{ID: "registerDeviceKey", Name: "plex.Authentication.RegisterDeviceKey", Idempotent: true, SendsToken: true, Server: serverClients}
	opNonce        = core.Operation{ID: "getDeviceNonce", Name: "plex.Authentication.ExchangeDeviceJWT (nonce)", Idempotent: true, Server: serverClients}
	opExchange     = core.Operation{ID: "exchangeDeviceJWT", Name: "plex.Authentication.ExchangeDeviceJWT", Idempotent: true, Server: serverClients} // each attempt carries a fresh nonce
	opCreateJWTPin = core.Operation{ID: "createPin", Name: "plex.Authentication.CreateJWTPin", Server: serverClients}
	opGetJWTPin    = core.Operation{ID: "getPin", Name: "plex.Authentication.WaitForJWTPin (poll)", Idempotent: true, Server: serverClients}

	// Steps made of other operations.
	opConnect    = opIdentity
	opWaitPin    = core.Operation{Name: "plex.Authentication.WaitForPin"}
	opWaitJWTPin = core.Operation{Name: "plex.Authentication.WaitForJWTPin"}
)

// operations lists every operation the SDK sends, for the spec walk and
// for the error mapping.
var operations = []*core.Operation{
	&opTransient, &opSources, &opIdentity, &opUser, &opSignIn, &opCreatePin, &opGetPin, &opResources,
	&opPing, &opSignOut, &opHomeUsers, &opSwitchHome, &opLinkPin, &opClaimToken,
	&opRegisterKey, &opNonce, &opExchange, &opCreateJWTPin, &opGetJWTPin,
}

// sendsToken reports, by operation name, whether a 401 there means the
// user's token is bad.
var sendsToken = func() map[string]bool {
	m := map[string]bool{}
	for _, op := range operations {
		if op.SendsToken {
			m[op.Name] = true
		}
	}
	return m
}()
