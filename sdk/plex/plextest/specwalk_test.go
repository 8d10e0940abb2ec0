package plextest_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// successResult says where an operation's success answer lands in the
// SDK: the result type, the path to it in the answer (a wrapper such as
// MediaContainer), its fixture, and the schema properties deliberately
// dropped (with why).
type successResult struct {
	typ     reflect.Type
	path    []string
	fixture string
	dropped map[string]string
}

var pinDropped = map[string]string{
	"expiresIn": "folded into Pin.ExpiresAt", "createdAt": "not needed to sign in", "trusted": "not needed to sign in",
	"qr": "AuthURL is the link to show", "location": "geo-IP of the request, not needed", "authToken": "", "newRegistration": "not needed", "jwk": "the caller's own key",
}

// accountDropped: account properties no authentication flow needs.
var accountDropped = map[string]string{
	"adsConsent": "advertising consent", "anonymous": "guest sessions only", "attributionPartner": "marketing",
	"backupCodesCreated": "2FA backup codes: plex.tv's own pages", "certificateVersion": "plex.direct certificates: servers' business",
	"experimentalFeatures": "a UI setting", "mailingListActive": "MailingListStatus says it", "pastSubscriptions": "billing history",
	"pin": "a deprecated hashed account PIN, never needed", "scrobbleTypes": "a media setting", "services": "Plex's internal service endpoints",
	"trials": "billing",
}

var successResults = map[string]successResult{
	"getUserDetails":      {reflect.TypeFor[plex.UserPlexAccount](), nil, "get_user_details.200.json", accountDropped},
	"postUsersSignInData": {reflect.TypeFor[plex.UserPlexAccount](), nil, "post_users_sign_in_data.201.json", accountDropped},
	"switchHomeUser":      {reflect.TypeFor[plex.UserPlexAccount](), nil, "", accountDropped},
	"createPin":           {reflect.TypeFor[plex.Pin](), nil, "create_pin.201.json", pinDropped},
	"getPin":              {reflect.TypeFor[plex.Pin](), nil, "get_pin.200.json", pinDropped},
	"getServerResources":  {reflect.TypeFor[plex.Resource](), nil, "get_server_resources.200.json", nil},
	"getTransientToken":   {reflect.TypeFor[plex.TransientToken](), []string{"MediaContainer"}, "get_transient_token.200.json", map[string]string{"size": "a count of nothing"}},
	"getSourceConnectionInformation": {reflect.TypeFor[plex.SourceConnection](), []string{"MediaContainer"}, "get_source_connection_information.200.json",
		map[string]string{"size": "a count of nothing"}},
	"getHomeUsers":  {reflect.TypeFor[plex.HomeUser](), []string{"users"}, "", nil},
	"getClaimToken": {reflect.TypeFor[plex.ClaimToken](), nil, "", nil},
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
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			id := op.OperationID
			if !plextest.Handles(srv, ms, id) {
				t.Errorf("%s %s (%s): no fake handler", method, path, id)
			}
			res, mapped := successResults[id]
			if !mapped {
				if notResults[id] == "" {
					t.Errorf("%s: its success answer is not mapped to a result type (successResults) nor listed in notResults", id)
				}
				continue
			}
			schema := successSchema(op)
			if schema == nil {
				t.Errorf("%s: no JSON success schema", id)
				continue
			}
			for _, p := range res.path {
				schema = itemSchema(schema.Properties[p])
				if schema == nil {
					t.Fatalf("%s: no %q in the answer", id, p)
				}
			}
			schema = itemSchema(&openapi3.SchemaRef{Value: schema})
			fields := jsonFields(res.typ)
			for name := range schema.Properties {
				if _, dropped := res.dropped[name]; dropped {
					continue
				}
				if !slices.ContainsFunc(fields, func(f string) bool { return strings.EqualFold(f, name) }) {
					t.Errorf("%s: schema property %q has no field in %s (map it, or list it as dropped with why)", id, name, res.typ)
				}
			}
			if res.fixture != "" {
				b, err := os.ReadFile("testdata/" + res.fixture)
				if err != nil {
					t.Fatal(err)
				}
				var into any = reflect.New(res.typ).Interface()
				if res.typ == reflect.TypeFor[plex.Resource]() {
					into = &[]plex.Resource{}
				}
				if len(res.path) == 1 && res.path[0] == "MediaContainer" {
					into = &struct{ MediaContainer any }{reflect.New(res.typ).Interface()}
				}
				if err := json.Unmarshal(b, into); err != nil {
					t.Errorf("%s: the fixture does not decode into %s: %v", id, res.typ, err)
				}
			}
		}
	}
}

func successSchema(op *openapi3.Operation) *openapi3.Schema {
	for _, code := range []int{200, 201} {
		if r := op.Responses.Status(code); r != nil && r.Value != nil {
			if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				return mt.Schema.Value
			}
		}
	}
	return nil
}

// itemSchema is the schema itself, or its items for an array.
func itemSchema(r *openapi3.SchemaRef) *openapi3.Schema {
	if r == nil || r.Value == nil {
		return nil
	}
	if r.Value.Items != nil {
		return r.Value.Items.Value
	}
	return r.Value
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
