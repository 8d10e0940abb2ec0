package sdk

import "net/http"

// CallOptions holds the per-call settings that CallOption functions set.
type CallOptions struct {
	// Retry replaces the client's retry config for this call when non-nil.
	Retry *RetryConfig
	// ServerURL replaces the operation's server URL for this call when set.
	ServerURL string
	// ResponseInto receives the last raw response, body already read.
	ResponseInto **http.Response
}

// CallOption changes one call's settings.
type CallOption func(*CallOptions)

// WithRetries replaces the client's retry config for one call.
func WithRetries(c RetryConfig) CallOption {
	return func(o *CallOptions) { o.Retry = &c }
}

// WithServerURL sends one call to another base URL (absolute http or https).
func WithServerURL(u string) CallOption {
	return func(o *CallOptions) { o.ServerURL = u }
}

// WithResponseInto hands back the last raw response of a call, success or
// not; its body has already been read and closed.
func WithResponseInto(dst **http.Response) CallOption {
	return func(o *CallOptions) { o.ResponseInto = dst }
}
