// Package core is the machinery authsdk's API packages share: the HTTP doer
// that retries, Invoke, server URL validation, redaction and Retry-After
// parsing. Nothing here is public API; users see package sdk.
package core
