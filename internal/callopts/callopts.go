// Package callopts carries per-call settings from package sdk, which owns
// the public CallOption type, to the core, without exporting sdk's fields.
package callopts

import "net/http"

// Values are what a call's options asked for.
type Values struct {
	Retry        any // *sdk.RetryConfig, or nil
	ServerURL    string
	ResponseInto **http.Response
}

// Resolve applies a []sdk.CallOption; package sdk sets it at init.
var Resolve func(opts any) Values
