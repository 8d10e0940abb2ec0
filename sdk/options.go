package sdk

import (
	"net/http"

	"github.com/authsdk/authsdk/internal/callopts"
)

// CallOptions holds one call's settings. Only the CallOption functions of
// this package set them; they are not meant to be read.
type CallOptions = callopts.Options

// CallOption changes one call's settings, e.g. sdk.WithRetries(cfg).
type CallOption func(*CallOptions)

// WithRetries replaces the client's retry config for one call.
func WithRetries(c RetryConfig) CallOption {
	return func(o *CallOptions) { o.SetRetry(&c) }
}

// WithServerURL sends one call to another base URL (absolute http or
// https, no query); a bad URL fails the call before anything is sent.
func WithServerURL(u string) CallOption {
	return func(o *CallOptions) { o.SetServerURL(u) }
}

// WithResponseInto hands back the last raw response of a call, success or
// not; its body has already been read and closed.
func WithResponseInto(dst **http.Response) CallOption {
	return func(o *CallOptions) { o.SetResponseInto(dst) }
}
