// Package core is the machinery authsdk's API packages share: the HTTP doer
// that retries, Invoke, server URL validation, redaction and Retry-After
// parsing. Nothing here is public API; users see package sdk.
package core

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/authsdk/authsdk/internal/callopts"
	"github.com/authsdk/authsdk/sdk"
)

// MaxResponseBytes bounds every response body the SDK reads.
const MaxResponseBytes = 16 << 20

// maxRedirects matches net/http's default when the user's client sets no policy.
const maxRedirects = 10

// firstBufCap caps the buffer sized from Content-Length: a lying header
// must not make the SDK allocate what it says.
const firstBufCap = 64 << 10

// defaultUserAgent is "authsdk/<version> (<GOOS>/<GOARCH>; <go version>)".
var defaultUserAgent = "authsdk/" + sdk.Version + " (" + runtime.GOOS + "/" + runtime.GOARCH + "; " + runtime.Version() + ")"

// Config is what an API package passes to New.
type Config struct {
	// HTTPClient is copied (never modified); nil means a client on a shared
	// transport that keeps enough idle connections for concurrent callers.
	// Its Timeout acts as a per-attempt timeout.
	HTTPClient *http.Client
	// Retry replaces sdk.DefaultRetryConfig when non-nil.
	Retry *sdk.RetryConfig
	// Logger receives one Debug record per attempt; nil logs nothing.
	Logger *slog.Logger
	// UserAgent is appended to the default User-Agent.
	UserAgent string
	// Secrets are values (keys, tokens, credentials) scrubbed, in every
	// form, from every message the core builds.
	Secrets []string
	// MapError turns an APIError into an API package's typed error; nil keeps it.
	MapError func(*sdk.APIError) error
	// NeverRetry, when set, vetoes retrying an answer the retry
	// configuration would retry: one that a retry can only make worse (a
	// sign-in lockout, a wrong PIN).
	NeverRetry func(status int, contentType string, body []byte) bool
}

// Core sends requests for an API client: it retries, bounds and reads
// bodies, logs attempts and builds errors. Safe for concurrent use.
type Core struct {
	hc         *http.Client
	policy     *policy
	logger     *slog.Logger
	userAgent  []string // shared header value: set without allocating per request
	scrubber   *scrubber
	mapError   func(*sdk.APIError) error
	neverRetry func(status int, contentType string, body []byte) bool
}

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
}

// noRedirectsKey marks a request's context: its redirects are not followed.
type noRedirectsKey struct{}

// oneAttempt is the policy of CallInfo.OneAttempt, built once.
var oneAttempt = func() *policy {
	p, err := newPolicy(sdk.RetryConfig{Strategy: sdk.StrategyNone})
	if err != nil {
		panic(err)
	}
	return p
}()

// refreshError carries Refresh's error out of the doer unchanged.
type refreshError struct{ err error }

func (e *refreshError) Error() string { return e.err.Error() }
func (e *refreshError) Unwrap() error { return e.err }

var (
	sharedTransportOnce sync.Once
	sharedTransport     http.RoundTripper
)

// defaultTransport is http.DefaultTransport with room for 64 idle
// connections per host (Go keeps 2, so concurrent callers would open and
// close connections, each a TLS handshake, all the time).
func defaultTransport() http.RoundTripper {
	sharedTransportOnce.Do(func() {
		t, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			sharedTransport = http.DefaultTransport
			return
		}
		t = t.Clone()
		t.MaxIdleConnsPerHost = 64
		t.MaxIdleConns = max(t.MaxIdleConns, 256)
		sharedTransport = t
	})
	return sharedTransport
}

// New validates cfg and builds a Core.
func New(cfg Config) (*Core, error) {
	rc := sdk.DefaultRetryConfig()
	if cfg.Retry != nil {
		rc = *cfg.Retry
	}
	p, err := newPolicy(rc)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: defaultTransport()}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = checkRedirect(hc.CheckRedirect)
	ua := defaultUserAgent
	if s := strings.TrimSpace(cfg.UserAgent); s != "" {
		if err := CheckHeaderValue("user agent", s); err != nil {
			return nil, err
		}
		ua += " " + s
	}
	sc := &scrubber{}
	for _, s := range cfg.Secrets {
		sc.add(s, false)
	}
	return &Core{hc: hc, policy: p, logger: cfg.Logger, userAgent: []string{ua}, scrubber: sc, mapError: cfg.MapError, neverRetry: cfg.NeverRetry}, nil
}

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

// Invoke runs one operation: it resolves the call options, sends through
// the retrying doer, and decodes a 2xx JSON body into a T. Any other
// status becomes an *sdk.APIError (or the API's typed error). sec may be nil.
func Invoke[T any](ctx context.Context, c *Core, op *Operation, server string, opts []sdk.CallOption, sec *CallInfo, send Sender) (*T, error) {
	cl, err := c.call(ctx, op, server, opts, sec, send)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := cl.decode(v); err != nil {
		return nil, err
	}
	return v, nil
}

// InvokeNoContent is Invoke for operations whose 2xx body carries nothing
// the caller needs.
func InvokeNoContent(ctx context.Context, c *Core, op *Operation, server string, opts []sdk.CallOption, sec *CallInfo, send Sender) error {
	_, err := c.call(ctx, op, server, opts, sec, send)
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
	rsp, err := send(ctx, server, cl)
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
		apiErr := newAPIError(op.Name, rsp, cl.body, cl.scrub)
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

// Do sends req, retrying per the call's policy; it returns the final
// response with its body already read into c.body.
func (c *call) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	req.Header["User-Agent"] = c.core.userAgent
	p := c.policy
	start := time.Now()
	for attempt := 1; ; attempt++ {
		c.attempts = attempt
		r := req
		if c.sec.Refresh != nil {
			b, secret, err := c.sec.Refresh(ctx)
			if secret != c.sec.Secrets[1] {
				c.sec.Secrets[1], c.callSc = secret, nil
			}
			if err != nil {
				wait, ok := c.retryRefresh(ctx, err, attempt, start)
				if !ok {
					return nil, &refreshError{err}
				}
				if err := sleep(ctx, wait); err != nil {
					return nil, c.transportError(err)
				}
				continue
			}
			cp := *req
			cp.Body, cp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			cp.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
			r = &cp
		} else if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, c.transportError(errors.New("request body cannot be replayed"))
			}
			b, err := req.GetBody()
			if err != nil {
				return nil, c.transportError(err)
			}
			cp := *req
			cp.Body = b
			r = &cp
		}
		if c.sec.NoRedirects {
			r = r.WithContext(context.WithValue(r.Context(), noRedirectsKey{}, true))
		}
		rsp, err := c.core.hc.Do(r)
		var body []byte
		if err == nil {
			limit := MaxResponseBytes
			if c.sec.MaxBody > 0 {
				limit = min(limit, c.sec.MaxBody)
			}
			body, err = readBody(rsp, limit)
			if errors.Is(err, sdk.ErrResponseTooLarge) {
				c.log(ctx, req, rsp.StatusCode, err, 0)
				return nil, c.transportError(err)
			}
		}
		var wait time.Duration
		if err != nil {
			if ctx.Err() != nil || !c.retryableError(err) {
				c.log(ctx, req, 0, err, 0)
				return nil, c.transportError(err)
			}
			wait = p.backoff(attempt)
		} else {
			rsp.Body = http.NoBody
			c.rsp, c.body = rsp, body
			if !c.retryableAnswer(rsp.StatusCode, rsp.Header.Get("Content-Type"), body) {
				c.log(ctx, req, rsp.StatusCode, nil, 0)
				return rsp, nil
			}
			wait = p.backoff(attempt)
			if rsp.StatusCode == http.StatusTooManyRequests || rsp.StatusCode == http.StatusServiceUnavailable {
				if hint, ok := ParseRetryAfter(rsp.Header, time.Now()); ok {
					if hint > p.max {
						// Never retry earlier than asked; never sleep unbounded.
						c.log(ctx, req, rsp.StatusCode, nil, 0)
						return rsp, nil
					}
					wait = max(hint, minWait)
				}
			}
		}
		if p.exhausted(attempt, wait, start) || pastDeadline(ctx, wait) {
			c.log(ctx, req, statusOf(rsp, err), err, 0)
			if err != nil {
				return nil, c.transportError(err)
			}
			return rsp, nil
		}
		c.log(ctx, req, statusOf(rsp, err), err, wait)
		if err := sleep(ctx, wait); err != nil {
			return nil, c.transportError(err)
		}
	}
}

// retryRefresh decides whether a failed Refresh (the first request of a
// two-request attempt) may be followed by another attempt, and after what
// wait: the same rules as for the operation's own request.
func (c *call) retryRefresh(ctx context.Context, err error, attempt int, start time.Time) (time.Duration, bool) {
	c.attempts = attempt
	var api *sdk.APIError
	var te *sdk.TransportError
	switch {
	case ctx.Err() != nil:
		return 0, false
	case errors.As(err, &api):
		if !c.retryableAnswer(api.StatusCode, api.ContentType, api.Body) {
			return 0, false
		}
	case errors.As(err, &te):
		if errors.Is(err, sdk.ErrResponseTooLarge) || !c.retryableError(te.Err) {
			return 0, false
		}
	default:
		return 0, false
	}
	wait := c.policy.backoff(attempt)
	if c.policy.exhausted(attempt, wait, start) || pastDeadline(ctx, wait) {
		return 0, false
	}
	return wait, true
}

// pastDeadline reports whether waiting d would outlast ctx: then the last
// answer is worth more to the caller than a bare "deadline exceeded".
func pastDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < d
}

func statusOf(rsp *http.Response, err error) int {
	if err != nil || rsp == nil {
		return 0
	}
	return rsp.StatusCode
}

// retryableAnswer says whether an answer may be retried: its status is one
// the policy retries, the request was idempotent or certainly not
// processed, and the API does not veto it (NeverRetry).
func (c *call) retryableAnswer(code int, contentType string, body []byte) bool {
	if !c.policy.retriesStatus(code) {
		return false
	}
	// A non-idempotent request is retried only when it certainly was not processed.
	if !c.op.Idempotent && code != http.StatusTooManyRequests {
		return false
	}
	return c.core.neverRetry == nil || !c.core.neverRetry(code, contentType, body)
}

// retryableError says whether a transport failure may be retried. The cause
// inside *url.Error decides (every *url.Error is a net.Error). Only
// failures that may pass are retried: for any operation, a connection that
// could not be made; for idempotent ones also a dropped, reset or timed-out
// one. Certificate and TLS failures, refused redirects, bad schemes and
// invalid headers fail the same way every time.
func (c *call) retryableError(err error) bool {
	if !c.policy.retryConns {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if permanent(err) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	if !c.op.Idempotent {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func permanent(err error) bool {
	var (
		re  *redirectError
		cve *tls.CertificateVerificationError
		rhe tls.RecordHeaderError
		ae  tls.AlertError
		uae x509.UnknownAuthorityError
		he  x509.HostnameError
		cie x509.CertificateInvalidError
	)
	return errors.As(err, &re) || errors.As(err, &cve) || errors.As(err, &rhe) || errors.As(err, &ae) ||
		errors.As(err, &uae) || errors.As(err, &he) || errors.As(err, &cie)
}

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

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Logger is the client's logger (nil when none was given).
func (c *Core) Logger() *slog.Logger { return c.logger }

// SharedTransport is the pooled transport clients use when given no HTTP
// client: keep-alive connections for concurrent callers, shared.
func SharedTransport() http.RoundTripper { return defaultTransport() }
