// Package callopts holds one call's settings for package sdk, which names
// the type sdk.CallOptions: its CallOption functions set them, the core
// reads them, and neither exports a field users could depend on.
package callopts

import "net/http"

// Options are what a call's options asked for.
type Options struct {
	retry        any // *sdk.RetryConfig (this package cannot import sdk)
	serverURL    string
	responseInto **http.Response
}

// SetRetry asks for another retry config (a *sdk.RetryConfig).
func (o *Options) SetRetry(cfg any) { o.retry = cfg }

// SetServerURL asks for another base URL.
func (o *Options) SetServerURL(u string) { o.serverURL = u }

// SetResponseInto asks for the last raw response.
func (o *Options) SetResponseInto(dst **http.Response) { o.responseInto = dst }

// Retry is the asked-for retry config, or nil.
func (o *Options) Retry() any { return o.retry }

// ServerURL is the asked-for base URL, or "".
func (o *Options) ServerURL() string { return o.serverURL }

// ResponseInto is where to hand back the last raw response, or nil.
func (o *Options) ResponseInto() **http.Response { return o.responseInto }

// Apply runs a call's options in order (nil ones skipped).
func Apply[F ~func(*Options)](opts []F) Options {
	var o Options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}
