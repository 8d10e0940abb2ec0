package ziggeotest_test

import (
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authsdk/authsdk/api"
	"github.com/authsdk/authsdk/internal/specwalk"
	"github.com/authsdk/authsdk/sdk/ziggeo"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

var authToken = specwalk.Result{Type: reflect.TypeFor[ziggeo.AuthToken](), Fixture: "auth_token.200.json"}

var successResults = map[string]specwalk.Result{
	"createAuthToken": authToken, "getAuthToken": authToken, "updateAuthToken": authToken,
}

// notResults: operations whose success answer the SDK reads no result from, with why.
var notResults = map[string]string{"deleteAuthToken": "2xx is the answer (Ziggeo's body is empty or not JSON)"}

// The spec walk: every operation of api/ziggeo/openapi.yaml has a fake
// handler, and its success answer is mapped: every schema property has a
// field in ziggeo.AuthToken, and the fixture validates against the spec
// and decodes into it.
func TestEveryOperationIsServedAndMapped(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.ZiggeoSpec)
	if err != nil {
		t.Fatal(err)
	}
	srv := ziggeotest.NewServer()
	defer srv.Close()
	handles := func(id string) bool { return ziggeotest.Handles(srv, id) }
	for _, p := range specwalk.Walk(doc, handles, successResults, notResults, "testdata") {
		t.Error(p)
	}
}
