package core

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects matches net/http's default when the user's client sets no policy.
const maxRedirects = 10

// noRedirectsKey marks a request's context: its redirects are not followed.
type noRedirectsKey struct{}

// redirectError is a redirect refused by policy (ours or the user's): it
// fails the same way every time, so it is never retried.
type redirectError struct{ err error }

func (e *redirectError) Error() string { return e.err.Error() }

func (e *redirectError) Unwrap() error { return e.err }

// checkRedirect keeps credentials on their origin. A redirect to another
// origin (scheme, host or port) loses Authorization, X-Plex-Token and
// cookies; one that would replay the request body there (307/308: a
// sign-in's password) is refused. Then the user's policy applies.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if req.Context().Value(noRedirectsKey{}) != nil {
			return http.ErrUseLastResponse
		}
		if len(via) > 0 && (!sameOrigin(req.URL, via[0].URL) || !PlainHost(req.URL.Host)) {
			if req.Body != nil && req.Body != http.NoBody {
				return &redirectError{fmt.Errorf("refusing to send the request body to another origin (%s)", req.URL.Host)}
			}
			req.Header.Del("Authorization")
			req.Header.Del("X-Plex-Token")
			req.Header.Del("Cookie")
		}
		if next != nil {
			err := next(req, via)
			if err == nil || err == http.ErrUseLastResponse {
				return err
			}
			return &redirectError{err}
		}
		if len(via) >= maxRedirects {
			return &redirectError{fmt.Errorf("stopped after %d redirects", maxRedirects)}
		}
		return nil
	}
}

func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}
