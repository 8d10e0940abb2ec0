package ziggeotest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

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
	ops := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			id := op.OperationID
			if !ziggeotest.Handles(srv, id) {
				t.Errorf("%s %s (%s): no fake handler", method, path, id)
			}
			res, ok := successResults[id]
			if !ok {
				if notResults[id] == "" {
					t.Errorf("%s: its success answer is not mapped to a result type (successResults) nor listed in notResults", id)
				}
				continue
			}
			b, err := os.ReadFile("testdata/" + res.Fixture)
			if err != nil {
				t.Fatal(err)
			}
			route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: httptest.NewRequest(method, path, nil), Route: route},
				Status:                 http.StatusOK,
				Header:                 http.Header{"Content-Type": {"application/json"}},
				Options:                &openapi3filter.Options{IncludeResponseStatus: true},
			}
			in.SetBodyBytes(b)
			if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
				t.Errorf("%s: %s does not validate: %v", id, res.Fixture, err)
			}
			for _, p := range specwalk.Check(op, res, b) {
				t.Errorf("%s: %s", id, p)
			}
		}
	}
	if ops != len(successResults)+len(notResults) {
		t.Errorf("%d operations in the spec, %d listed here", ops, len(successResults)+len(notResults))
	}
}
