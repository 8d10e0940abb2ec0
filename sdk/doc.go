// Package sdk is the shared core of authsdk's API clients: retry policy,
// per-call options, server URL resolution, the error type, redaction of
// secrets, and the HTTP doer that the generated clients send through.
//
// Users meet it through [RetryConfig], the per-call options [WithRetries],
// [WithServerURL] and [WithResponseInto], and [APIError]. The API packages
// (sdk/ziggeo, sdk/plex) build a [Core] and call [Invoke] for each operation.
package sdk
