package ziggeo

import "github.com/authsdk/authsdk/internal/core"

// The Ziggeo operations: the one place each is declared — its name in
// errors, whether it may be retried freely, and that it carries the
// application's credentials. TestOperationsCoverTheSpec walks
// api/ziggeo/openapi.yaml against this table.
var (
	opGet    = core.Operation{ID: "getAuthToken", Name: "ziggeo.AuthTokens.Get", Idempotent: true, SendsToken: true, Server: "srv-api.ziggeo.com"}
	opCreate = core.Operation{ID: "createAuthToken", Name: "ziggeo.AuthTokens.Create", SendsToken: true, Server: "srv-api.ziggeo.com"}
	opUpdate = core.Operation{ID: "updateAuthToken", Name: "ziggeo.AuthTokens.Update", Idempotent: true, SendsToken: true, Server: "srv-api.ziggeo.com"}
	opDelete = core.Operation{ID: "deleteAuthToken", Name: "ziggeo.AuthTokens.Delete", Idempotent: true, SendsToken: true, Server: "srv-api.ziggeo.com"}
)

// operations lists every operation the SDK sends, for the spec walk.
var operations = []*core.Operation{&opGet, &opCreate, &opUpdate, &opDelete}
