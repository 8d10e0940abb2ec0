package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/authsdk/authsdk/internal/callopts"
	"github.com/authsdk/authsdk/sdk"
)

// Operation names an API operation and says whether it may be retried freely.
type Operation struct {
	Name       string // "ziggeo.AuthTokens.Get"
	Idempotent bool
	// ID is the spec's operationId ("getAuthToken"); "" for a step that is
	// not one operation of the spec (Connect, a wait).
	ID string
	// SendsToken: the call carries the user's token, so a 401 means the
	// token is no good.
	SendsToken bool
	// Server is the server the operation goes to ("plex.tv", …).
	Server string
}

// HTTPDoer is what the generated clients send through (their HttpRequestDoer).
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// Sender builds and sends one operation's request through doer, with
// server as the base URL (trailing slash included). It calls gen/.
type Sender func(ctx context.Context, server string, doer HTTPDoer) (*http.Response, error)

// CallInfo is what one call adds to its operation: its own secrets, values
// scrubbed from its errors and logs (a password, a token passed to the
// call); path values (a Ziggeo auth token) shown with at most 4
// characters; and Refresh, for a request that must not be sent twice.
type CallInfo struct {
	Secrets   [2]string // "" = unused; an array, so a CallInfo costs no allocation
	PathValue string
	// Refresh, when set, makes the request body for every attempt, the
	// first included (a device JWT carries a single-use nonce, fetched by
	// Refresh with one request and no retries of its own). Its failure
	// counts as a failed attempt of the operation: one retry budget for the
	// whole operation. Its error, when the operation gives up, is returned
	// as it is.
	// Its secret (the device JWT in the body) is scrubbed like Secrets.
	Refresh func(ctx context.Context) (body []byte, secret string, err error)
	// OneAttempt sends the request once, whatever the retry config says (a
	// probe: a refused address has failed).
	OneAttempt bool
	// NoRedirects makes a 3xx the answer (a probe: an address that points
	// elsewhere has not answered as the server itself).
	NoRedirects bool
	// MaxBody, when set, bounds the answer below MaxResponseBytes.
	MaxBody int
	// Transport, when set, sends this call instead of the client's
	// transport (a probe pinned to one address); the client's redirect
	// policy and timeout still apply.
	Transport http.RoundTripper
}

// refreshError carries Refresh's error out of the doer unchanged.
type refreshError struct{ err error }

func (e *refreshError) Error() string { return e.err.Error() }

func (e *refreshError) Unwrap() error { return e.err }

// Invoke runs one operation: it resolves the call options, sends through
// the retrying doer, and decodes a 2xx JSON body into a T. Any other
// status becomes an *sdk.APIError (or the API's typed error). sec may be nil.
func Invoke[T any](ctx context.Context, c *Core, op *Operation, server string, opts []sdk.CallOption, sec *CallInfo, send Sender) (*T, error) {
	cl, err := c.call(ctx, op, server, opts, sec, send)
	if err != nil {
		return nil, err
	}
	v := new(T)
	err = cl.decode(v)
	cl.release()
	if err != nil {
		return nil, err
	}
	return v, nil
}

// InvokeNoContent is Invoke for operations whose 2xx body carries nothing
// the caller needs.
func InvokeNoContent(ctx context.Context, c *Core, op *Operation, server string, opts []sdk.CallOption, sec *CallInfo, send Sender) error {
	cl, err := c.call(ctx, op, server, opts, sec, send)
	if cl != nil {
		cl.release()
	}
	return err
}

// badAnswer is a 2xx answer that broke the operation's promise: not JSON,
// null, undecodable, or without what it promised (a token).
func badAnswer(op *Operation, status int, format string, args ...any) error {
	return &sdk.ResponseError{Operation: op.Name, StatusCode: status, Reason: fmt.Sprintf(format, args...)}
}

// Incomplete is the error for a 2xx answer that lacks what the operation
// promised (a token operation without a token).
func Incomplete(op *Operation, what string) error {
	return badAnswer(op, 0, "the answer has no %s", what)
}

func (c *Core) call(ctx context.Context, op *Operation, server string, opts []sdk.CallOption, sec *CallInfo, send Sender) (*call, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%s: nil context", op.Name)
	}
	cl := &call{core: c, op: op, policy: c.policy}
	if sec != nil {
		cl.sec = *sec
		if sec.OneAttempt {
			cl.policy = oneAttempt
		}
	}
	if len(opts) > 0 {
		o := callopts.Apply(opts)
		if rc, ok := o.Retry().(*sdk.RetryConfig); ok {
			p, err := newPolicy(*rc)
			if err != nil {
				return nil, fmt.Errorf("%s: sdk.WithRetries: %w", op.Name, err)
			}
			cl.policy = p
		}
		if o.ServerURL() != "" {
			s, err := ValidateServerURL("sdk.WithServerURL", o.ServerURL())
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op.Name, err)
			}
			server = s
		}
		cl.into = o.ResponseInto()
	}
	cl.ctx, cl.end = ctx, time.Now().Add(cl.policy.maxElapsed)
	first, cancel := cl.policy.attemptContext(ctx, cl.end)
	cl.first = first
	rsp, err := send(first, server, cl)
	cancel() // the answer is read; a failed call's error is built already
	if cl.into != nil && cl.rsp != nil {
		*cl.into = cl.rsp
	}
	if err != nil {
		var te *sdk.TransportError
		if errors.As(err, &te) {
			return nil, err
		}
		var re *refreshError
		if errors.As(err, &re) {
			return nil, re.err
		}
		// The generated code failed before sending (e.g. building the URL).
		return nil, fmt.Errorf("%s: %s", op.Name, cl.text(err.Error()))
	}
	if rsp.StatusCode < 200 || rsp.StatusCode > 299 {
		apiErr := newAPIError(op.Name, rsp, cl.body, cl.scrub) // copies what it keeps
		cl.release()
		if c.mapError != nil {
			return nil, c.mapError(apiErr)
		}
		return nil, apiErr
	}
	return cl, nil
}

// call is one invocation: the retrying HTTPDoer handed to the generated
// client, and where the final response and body end up.
type call struct {
	core     *Core
	op       *Operation
	policy   *policy
	sec      CallInfo
	callSc   *scrubber // built from sec on first use (error and log paths only)
	into     **http.Response
	rsp      *http.Response
	body     []byte
	attempts int
	// The call's time: its own ctx (the caller's), when it must end
	// (MaxElapsedTime), and the first attempt's context, which the request
	// is built with (so the first attempt needs no copy of it).
	ctx   context.Context
	end   time.Time
	first context.Context
}

// scrub removes the client's and this call's secrets from s.
func (c *call) scrub(s string) string {
	s = c.core.scrubber.scrub(s)
	if c.callSc == nil {
		c.callSc = &scrubber{}
		for _, v := range c.sec.Secrets {
			c.callSc.add(v, false)
		}
		c.callSc.add(c.sec.PathValue, true)
	}
	return c.callSc.scrub(s)
}

// text makes s fit for an error message: scrubbed first (cleaning would
// change a secret's spaces and hide it from the scrubber), then one clean
// line, bounded.
func (c *call) text(s string) string { return Clip(Clean(c.scrub(s))) }

func (c *call) log(ctx context.Context, req *http.Request, status int, err error, wait time.Duration) {
	l := c.core.logger
	if l == nil || !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("operation", c.op.Name),
		slog.String("method", req.Method),
		slog.String("url", c.scrub(RedactURL(req.URL))),
		slog.Int("attempt", c.attempts),
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.text(c.redactURLError(err).Error())))
	}
	if wait > 0 {
		attrs = append(attrs, slog.Duration("wait", wait))
	}
	l.LogAttrs(ctx, slog.LevelDebug, "authsdk: attempt", attrs...)
}

func (c *call) transportError(err error) error {
	e := c.redactURLError(err)
	return &sdk.TransportError{Operation: c.op.Name, Attempts: c.attempts, Err: &cleanError{msg: c.text(e.Error()), err: e}}
}

// cleanError is a cause whose text is scrubbed and one line; it unwraps to
// the cause, so errors.Is and errors.As still see it.
type cleanError struct {
	msg string
	err error
}

func (e *cleanError) Error() string { return e.msg }

func (e *cleanError) Unwrap() error { return e.err }

// redactURLError rewrites the URL inside a *url.Error so that secret query
// and path values never reach error text, even through errors.As.
func (c *call) redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue == err {
		return &url.Error{Op: ue.Op, URL: c.scrub(RedactURLString(ue.URL)), Err: ue.Err}
	}
	return err
}
