package sdk

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// Version is authsdk's version; it is sent in the User-Agent.
const Version = "0.3.0"

// ErrResponseTooLarge is returned (wrapped in a *TransportError) when a
// response body exceeds 16 MiB; such a call is not retried.
var ErrResponseTooLarge = errors.New("response body exceeds the 16 MiB limit")

// APIError is an answer whose status the operation does not treat as
// success. The API packages may wrap it in a typed error (plex's
// UnauthorizedError, for one) that unwraps to it: use errors.As.
type APIError struct {
	// Operation names the call, e.g. "ziggeo.AuthTokens.Get".
	Operation string
	// StatusCode is the HTTP status of the last answer.
	StatusCode int
	// ContentType is the answer's Content-Type header.
	ContentType string
	// Body is the answer body, at most 64 KiB of it, with the client's
	// secrets redacted (a server echoing a token gets "REDACTED" back). It
	// is otherwise the server's text, unsanitized: do not print it to a
	// terminal as it is.
	Body []byte
	// Message is the best human message found in the body: one line,
	// control and bidi characters removed, secrets redacted, at most about
	// 512 bytes.
	Message string
}

// Error reports the operation, the status and the message, e.g.
// "plex.Authentication.GetUserDetails: 401 Unauthorized: Invalid token".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Operation)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// TransportError is a call that got no usable answer: the connection
// failed, the context ended, a redirect was refused, or the body was too
// large. It unwraps to the cause, so errors.Is(err, context.Canceled) and
// errors.Is(err, ErrResponseTooLarge) work.
type TransportError struct {
	// Operation names the call, e.g. "plex.Authentication.GetUserDetails".
	Operation string
	// Attempts is how many times the request was sent (or tried to be).
	Attempts int
	// Err is the cause. Its text has secrets redacted and is one line.
	Err error
}

// Error reports the operation, the cause and the attempt count.
func (e *TransportError) Error() string {
	s := e.Operation + ": " + e.Err.Error()
	if e.Attempts > 1 {
		s += " (after " + strconv.Itoa(e.Attempts) + " attempts)"
	}
	return s
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// ResponseError is a success answer (2xx) the SDK cannot use: not JSON,
// null, undecodable, too costly to decode, or without what the operation
// promises (a token operation's token). It is the server's fault, not the
// caller's: retrying the same request may get a better answer.
type ResponseError struct {
	// Operation names the call, e.g. "plex.Authentication.GetUserDetails".
	Operation string
	// StatusCode is the answer's status (0 when the problem is not tied to one).
	StatusCode int
	// Reason says what was wrong: one line, sanitized, no secrets.
	Reason string
}

// Error reports the operation and the reason.
func (e *ResponseError) Error() string { return e.Operation + ": " + e.Reason }
