package plextest_test

import (
	"reflect"
	"testing"

	"github.com/authsdk/authsdk/internal/specwalk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

var pinDropped = map[string]string{
	"expiresIn": "folded into Pin.ExpiresAt", "createdAt": "not needed to sign in", "trusted": "not needed to sign in",
	"qr": "AuthURL is the link to show", "location": "geo-IP of the request, not needed", "newRegistration": "not needed", "jwk": "the caller's own key",
}

// accountDropped: account properties no authentication flow needs.
var accountDropped = map[string]string{
	"adsConsent": "advertising consent", "anonymous": "guest sessions only", "attributionPartner": "marketing",
	"backupCodesCreated": "2FA backup codes: plex.tv's own pages", "certificateVersion": "plex.direct certificates: servers' business",
	"experimentalFeatures": "a UI setting", "mailingListActive": "MailingListStatus says it", "pastSubscriptions": "billing history",
	"pin": "a deprecated hashed account PIN, never needed", "scrobbleTypes": "a media setting", "services": "Plex's internal service endpoints",
	"trials": "billing",
}

var successResults = map[string]specwalk.Result{
	"getUserDetails":                 mapped[plex.UserPlexAccount]("get_user_details.200.json", accountDropped),
	"postUsersSignInData":            mapped[plex.UserPlexAccount]("post_users_sign_in_data.201.json", accountDropped),
	"switchHomeUser":                 mapped[plex.UserPlexAccount]("switch_home_user.201.json", accountDropped),
	"createPin":                      mapped[plex.Pin]("create_pin.201.json", pinDropped),
	"getPin":                         mapped[plex.Pin]("get_pin.200.json", pinDropped),
	"getServerResources":             mapped[plex.Resource]("get_server_resources.200.json", nil),
	"getTransientToken":              mapped[plex.TransientToken]("get_transient_token.200.json", sizeDropped, "MediaContainer"),
	"getSourceConnectionInformation": mapped[plex.SourceConnection]("get_source_connection_information.200.json", sizeDropped, "MediaContainer"),
	"getHomeUsers":                   mapped[plex.HomeUser]("get_home_users.200.json", nil, "users"),
	"getClaimToken":                  mapped[plex.ClaimToken]("get_claim_token.200.json", nil),
}

var sizeDropped = map[string]string{"size": "a count of nothing"}

// mapped: the answer (at path) decodes into T; fixture is in testdata.
func mapped[T any](fixture string, dropped map[string]string, path ...string) specwalk.Result {
	return specwalk.Result{Type: reflect.TypeFor[T](), Path: path, Fixture: fixture, Dropped: dropped}
}

// notResults: operations whose success answer the SDK reads no result
// type from, with why.
var notResults = map[string]string{
	"ping": "2xx is the answer", "signOut": "2xx is the answer", "linkPin": "2xx is the answer",
	"registerDeviceKey": "2xx is the answer", "getDeviceNonce": "a step of ExchangeDeviceJWT (nonce)",
	"exchangeDeviceJWT": "read into plex.JWT from its auth_token claims", "getIdentity": "Connect's probe (machineIdentifier, version)",
	"getPlexPublicKeys": "not sent by the SDK (the fake's verification keys)",
}

// The spec walk: every operation of api/plex/openapi.yaml has a fake
// handler, and its success answer is mapped: every schema property has a
// field in the SDK's result type (or is listed as dropped), and the
// fixture decodes into it.
func TestEveryOperationIsServedAndMapped(t *testing.T) {
	doc := loadDoc(t)
	srv := plextest.NewServer()
	defer srv.Close()
	ms := plextest.NewMediaServer("m", "t")
	defer ms.Close()
	handles := func(id string) bool { return plextest.Handles(srv, ms, id) }
	for _, p := range specwalk.Walk(doc, handles, successResults, notResults, "testdata") {
		t.Error(p)
	}
}
