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

var successResults = map[string]successResult{
	"getUserDetails":      {reflect.TypeFor[plex.UserPlexAccount](), nil, "get_user_details.200.json", accountDropped},
	"postUsersSignInData": {reflect.TypeFor[plex.UserPlexAccount](), nil, "post_users_sign_in_data.201.json", accountDropped},
	"switchHomeUser":      {reflect.TypeFor[plex.UserPlexAccount](), nil, "switch_home_user.201.json", accountDropped},
	"createPin":           {reflect.TypeFor[plex.Pin](), nil, "create_pin.201.json", pinDropped},
	"getPin":              {reflect.TypeFor[plex.Pin](), nil, "get_pin.200.json", pinDropped},
	"getServerResources":  {reflect.TypeFor[plex.Resource](), nil, "get_server_resources.200.json", nil},
	"getTransientToken":   {reflect.TypeFor[plex.TransientToken](), []string{"MediaContainer"}, "get_transient_token.200.json", map[string]string{"size": "a count of nothing"}},
	"getSourceConnectionInformation": {reflect.TypeFor[plex.SourceConnection](), []string{"MediaContainer"}, "get_source_connection_information.200.json",
		map[string]string{"size": "a count of nothing"}},
	"getHomeUsers":  {reflect.TypeFor[plex.HomeUser](), []string{"users"}, "get_home_users.200.json", nil},
	"getClaimToken": {reflect.TypeFor[plex.ClaimToken](), nil, "get_claim_token.200.json", nil},
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
			if res.fixture == "" {
				t.Errorf("%s: no fixture for its success answer", id)
				continue
			}
			checkFixture(t, id, res)
		}
	}
}

// checkFixture decodes each answer object of the fixture (at res.path)
// into res.typ, and fails where a property the fixture sets lands in no
// field: a mistyped json tag decodes silently to the zero value.
func checkFixture(t *testing.T, id string, res successResult) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + res.fixture)
	if err != nil {
		t.Fatal(err)
	}
	var answer any
	if err := json.Unmarshal(b, &answer); err != nil {
		t.Fatalf("%s: %v", res.fixture, err)
	}
	for _, p := range res.path {
		obj, _ := answer.(map[string]any)
		answer = obj[p]
	}
	items, isList := answer.([]any)
	if !isList {
		items = []any{answer}
	}
	if len(items) == 0 {
		t.Errorf("%s: %s holds no answer object", id, res.fixture)
	}
	for _, item := range items {
		obj, _ := item.(map[string]any)
		raw, _ := json.Marshal(obj)
		v := reflect.New(res.typ)
		if err := json.Unmarshal(raw, v.Interface()); err != nil {
			t.Errorf("%s: %s does not decode into %s: %v", id, res.fixture, res.typ, err)
			continue
		}
		for name, val := range obj {
			if _, dropped := res.dropped[name]; dropped || isZeroJSON(val) {
				continue
			}
			f, ok := fieldByJSONName(res.typ, name)
			if ok && v.Elem().FieldByIndex(f.Index).IsZero() {
				t.Errorf("%s: %s sets %q but %s.%s stays zero", id, res.fixture, name, res.typ, f.Name)
			}
		}
	}
}

// isZeroJSON: null, false, 0, "", [] and {} decode to a zero field anyway.
func isZeroJSON(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "" {
			tag = f.Name
		}
		if f.IsExported() && strings.EqualFold(tag, name) {
			return f, true
		}
	}
	return reflect.StructField{}, false
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
