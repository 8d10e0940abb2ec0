// Package sdk holds what users of authsdk's API clients (sdk/ziggeo,
// sdk/plex) touch of their shared core: the retry policy ([RetryConfig],
// [BackoffStrategy]), per-call options ([WithRetries], [WithServerURL],
// [WithResponseInto]) and the errors a call returns ([APIError],
// [TransportError], [ErrResponseTooLarge]).
//
// A call that got an answer with an error status returns an *APIError
// (the API packages may wrap it in a typed error that unwraps to it); a call
// that got no usable answer returns a *TransportError that unwraps to its
// cause, so errors.Is(err, context.Canceled) works.
package sdk
