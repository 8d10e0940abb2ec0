package sdk

import (
	"net/http"

	"github.com/authsdk/authsdk/internal/callopts"
)

// CallOptions holds one call's settings. Only the CallOption functions of
// this package set them; they are not meant to be read.
type CallOptions struct {
	retry        *RetryConfig
	serverURL    string
	responseInto **http.Response
}

// CallOption changes one call's settings, e.g. sdk.WithRetries(cfg).
type CallOption func(*CallOptions)

// WithRetries replaces the client's retry config for one call.
func WithRetries(c RetryConfig) CallOption {
	return func(o *CallOptions) { o.retry = &c }
}

// WithServerURL sends one call to another base URL (absolute http or
// https, no query); a bad URL fails the call before anything is sent.
func WithServerURL(u string) CallOption {
	return func(o *CallOptions) { o.serverURL = u }
}

// WithResponseInto hands back the last raw response of a call, success or
// not; its body has already been read and closed.
func WithResponseInto(dst **http.Response) CallOption {
	return func(o *CallOptions) { o.responseInto = dst }
}

// The core (under internal/) reads call options through this hook, so that
// CallOptions need not export its fields.
func init() {
	callopts.Resolve = func(opts any) callopts.Values {
		var o CallOptions
		for _, f := range opts.([]CallOption) {
			if f != nil {
				f(&o)
			}
		}
		v := callopts.Values{ServerURL: o.serverURL, ResponseInto: o.responseInto}
		if o.retry != nil {
			v.Retry = o.retry
		}
		return v
	}
}
