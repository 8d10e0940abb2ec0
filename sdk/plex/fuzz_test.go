package plex_test

import (
	"testing"

	"github.com/authsdk/authsdk/sdk/plex"
)

// FuzzParseErrorBody never panics and only accepts non-empty errors lists.
func FuzzParseErrorBody(f *testing.F) {
	f.Add("application/json", []byte(`{"errors":[{"code":1029,"message":"code","status":401}]}`))
	f.Add("text/html", []byte("<html><title>x</title></html>"))
	f.Add("", []byte(`{"errors":[{"code":"1001"}]}`))
	f.Add("application/json; charset=utf-8", []byte(`{"errors":null}`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		d, ok := plex.ParseErrorBody(ct, body)
		if ok && len(d) == 0 {
			t.Fatal("ok with no details")
		}
	})
}
