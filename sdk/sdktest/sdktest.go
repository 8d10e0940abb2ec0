// Package sdktest holds what the spec-validating fakes of authsdk's API
// packages (plextest, ziggeotest) share: the misbehaviour a test injects
// and the requests a fake records. Those packages name these types as
// their own (plextest.Fault is sdktest.Fault).
package sdktest

import (
	"net/http"
	"time"
)

// Fault is a misbehaviour injected with a fake's FailNext: it answers with
// it instead of (or, for a Delay alone, before) its normal answer.
type Fault struct {
	// Status answers with this status instead of the normal answer, with
	// Body (the API's JSON error body when Body and ContentType are empty).
	Status int
	// RetryAfter is sent as the Retry-After header with Status.
	RetryAfter string
	// Delay waits before answering (ending early if the client goes away);
	// alone, the normal answer follows it.
	Delay time.Duration
	// Drop closes the connection without answering.
	Drop bool
	// Body is sent with Status.
	Body string
	// ContentType is Body's content type; application/json when empty.
	ContentType string
}

// Request is one request a fake received.
type Request struct {
	Operation string      // the spec's operationId, or "" when none matched
	Method    string      // HTTP method
	Path      string      // escaped path as sent
	RawQuery  string      // query string as sent
	Header    http.Header // request headers
	Body      []byte      // request body (at most 1 MiB)
}
