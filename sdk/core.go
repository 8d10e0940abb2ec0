package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Version is authsdk's version, sent in the User-Agent.
const Version = "0.1.0"

// MaxResponseBytes bounds every response body the SDK reads.
const MaxResponseBytes = 16 << 20

// maxRedirects matches net/http's default when the user's client sets no policy.
const maxRedirects = 10

// defaultUserAgent is "authsdk/<version> (<GOOS>/<GOARCH>; <go version>)".
var defaultUserAgent = "authsdk/" + Version + " (" + runtime.GOOS + "/" + runtime.GOARCH + "; " + runtime.Version() + ")"

// Config is what an API package passes to NewCore.
type Config struct {
	// HTTPClient is copied (never modified); nil means a client on http.DefaultTransport.
	// Its Timeout acts as a per-attempt timeout.
	HTTPClient *http.Client
	// Retry replaces DefaultRetryConfig when non-nil.
	Retry *RetryConfig
	// Logger receives one Debug record per attempt; nil logs nothing.
	Logger *slog.Logger
	// UserAgent is appended to the default User-Agent.
	UserAgent string
	// Secrets are values (keys, tokens, passwords) scrubbed from every
	// message the core builds.
	Secrets []string
	// MapError turns an APIError into an API package's typed error; nil keeps it.
	MapError func(*APIError) error
}

// Core sends requests for an API client: it retries, bounds and reads
// bodies, logs attempts and builds errors. Safe for concurrent use.
type Core struct {
	hc        *http.Client
	policy    *retryPolicy
	logger    *slog.Logger
	userAgent []string // shared header value: set without allocating per request
	scrubber  *scrubber
	mapError  func(*APIError) error
}

// Operation names an API operation and says whether it may be retried freely.
type Operation struct {
	Name       string // "ziggeo.AuthTokens.Get"
	Idempotent bool
}

// HTTPDoer is what the generated clients send through (their HttpRequestDoer).
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// Sender builds and sends one operation's request through doer, with
// server as the base URL (trailing slash included). It calls gen/.
type Sender func(ctx context.Context, server string, doer HTTPDoer) (*http.Response, error)

// NewCore validates cfg and builds a Core.
func NewCore(cfg Config) (*Core, error) {
	rc := DefaultRetryConfig()
	if cfg.Retry != nil {
		rc = *cfg.Retry
	}
	policy, err := newRetryPolicy(rc)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = stripSecretsOnRedirect(hc.CheckRedirect)
	ua := defaultUserAgent
	if s := strings.TrimSpace(cfg.UserAgent); s != "" {
		ua += " " + s
	}
	if strings.ContainsAny(ua, "\r\n") {
		return nil, errors.New("user agent must not contain line breaks")
	}
	return &Core{hc: hc, policy: policy, logger: cfg.Logger, userAgent: []string{ua}, scrubber: newScrubber(cfg.Secrets), mapError: cfg.MapError}, nil
}

// Scrub removes the core's secrets from text.
func (c *Core) Scrub(s string) string { return c.scrubber.scrub(s) }

// Format keeps the core's internals (and any secret) out of fmt output.
func (c *Core) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "sdk.Core{REDACTED}") }

// stripSecretsOnRedirect removes credentials from a redirect that leaves
// the original host or drops to plain http, then applies the user's policy.
func stripSecretsOnRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 {
			first := via[0].URL
			if !strings.EqualFold(req.URL.Host, first.Host) || (first.Scheme == "https" && req.URL.Scheme != "https") {
				req.Header.Del("Authorization")
				req.Header.Del("X-Plex-Token")
				req.Header.Del("Cookie")
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		return nil
	}
}

// Invoke runs one operation: it resolves the call options, sends through
// the retrying doer, and decodes a 2xx JSON body into a T. Any other
// status becomes an *APIError (or the API's typed error).
func Invoke[T any](ctx context.Context, c *Core, op *Operation, server string, opts []CallOption, send Sender) (*T, error) {
	cl, err := c.call(ctx, op, server, opts, send)
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
func InvokeNoContent(ctx context.Context, c *Core, op *Operation, server string, opts []CallOption, send Sender) error {
	_, err := c.call(ctx, op, server, opts, send)
	return err
}

func (c *Core) call(ctx context.Context, op *Operation, server string, opts []CallOption, send Sender) (*call, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%s: nil context", op.Name)
	}
	cl := &call{core: c, op: op, policy: c.policy}
	if len(opts) > 0 {
		var o CallOptions
		for _, f := range opts {
			if f != nil {
				f(&o)
			}
		}
		if o.Retry != nil {
			p, err := newRetryPolicy(*o.Retry)
			if err != nil {
				return nil, fmt.Errorf("%s: sdk.WithRetries: %w", op.Name, err)
			}
			cl.policy = p
		}
		if o.ServerURL != "" {
			s, err := ValidateServerURL("sdk.WithServerURL", o.ServerURL)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", op.Name, err)
			}
			server = s
		}
		cl.into = o.ResponseInto
	}
	rsp, err := send(ctx, server, cl)
	if cl.into != nil && cl.rsp != nil {
		*cl.into = cl.rsp
	}
	if err != nil {
		var te *TransportError
		if errors.As(err, &te) {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %s", op.Name, c.Scrub(err.Error()))
	}
	if rsp.StatusCode < 200 || rsp.StatusCode > 299 {
		apiErr := newAPIError(op.Name, rsp, cl.body, c.Scrub)
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
	policy   *retryPolicy
	into     **http.Response
	rsp      *http.Response
	body     []byte
	attempts int
}

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
		if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
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
		rsp, err := c.core.hc.Do(r)
		var body []byte
		if err == nil {
			body, err = readBody(rsp)
			if errors.Is(err, ErrResponseTooLarge) {
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
			if !c.retryableStatus(rsp.StatusCode) {
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
					wait = hint
				}
			}
		}
		if p.none || (p.maxAttempts > 0 && attempt >= p.maxAttempts) || time.Since(start)+wait > p.maxElapsed {
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

func statusOf(rsp *http.Response, err error) int {
	if err != nil || rsp == nil {
		return 0
	}
	return rsp.StatusCode
}

func (c *call) retryableStatus(code int) bool {
	if !c.policy.retriesStatus(code) {
		return false
	}
	// A non-idempotent request is retried only when it certainly was not processed.
	return c.op.Idempotent || code == http.StatusTooManyRequests
}

// retryableError says whether a transport failure may be retried: for
// idempotent operations any network failure (refused, reset, dropped
// mid-body, per-attempt timeout); otherwise only a failure to connect.
func (c *call) retryableError(err error) bool {
	if !c.policy.retryConnErrs {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	if !c.op.Idempotent {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func (c *call) log(ctx context.Context, req *http.Request, status int, err error, wait time.Duration) {
	l := c.core.logger
	if l == nil || !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("operation", c.op.Name),
		slog.String("method", req.Method),
		slog.String("url", RedactURL(req.URL)),
		slog.Int("attempt", c.attempts),
	}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", c.core.Scrub(redactURLError(err).Error())))
	}
	if wait > 0 {
		attrs = append(attrs, slog.Duration("wait", wait))
	}
	l.LogAttrs(ctx, slog.LevelDebug, "authsdk: attempt", attrs...)
}

func (c *call) transportError(err error) error {
	return &TransportError{Operation: c.op.Name, Attempts: c.attempts, Err: redactURLError(err), scrub: c.core.scrubber}
}

// TransportError is a call that got no usable response: the connection
// failed, the context ended, or the body was too large. It unwraps to the
// cause, so errors.Is(err, context.Canceled) and the like work.
type TransportError struct {
	Operation string
	Attempts  int
	Err       error
	scrub     *scrubber
}

// Error reports the operation, the cause and the attempt count.
func (e *TransportError) Error() string {
	msg := e.Err.Error()
	if e.scrub != nil {
		msg = e.scrub.scrub(msg)
	}
	s := e.Operation + ": " + msg
	if e.Attempts > 1 {
		s += " (after " + strconv.Itoa(e.Attempts) + " attempts)"
	}
	return s
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }

// redactURLError rewrites the URL inside a *url.Error so that secret query
// values never reach error text.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue == err {
		return &url.Error{Op: ue.Op, URL: RedactURLString(ue.URL), Err: ue.Err}
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

// readBody reads and closes a response body, refusing more than MaxResponseBytes.
func readBody(rsp *http.Response) ([]byte, error) {
	defer rsp.Body.Close()
	if rsp.ContentLength > MaxResponseBytes {
		return nil, ErrResponseTooLarge
	}
	if rsp.ContentLength >= 0 {
		buf := make([]byte, rsp.ContentLength)
		if _, err := io.ReadFull(rsp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	b, err := io.ReadAll(io.LimitReader(rsp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxResponseBytes {
		return nil, ErrResponseTooLarge
	}
	return b, nil
}

// decode unmarshals a 2xx JSON body into v.
func (c *call) decode(v any) error {
	ct := c.rsp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if ct != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return fmt.Errorf("%s: %d response has content type %q, want application/json", c.op.Name, c.rsp.StatusCode, ct)
	}
	if len(c.body) == 0 {
		return fmt.Errorf("%s: %d response has an empty body", c.op.Name, c.rsp.StatusCode)
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return fmt.Errorf("%s: decode %d response: %w", c.op.Name, c.rsp.StatusCode, err)
	}
	return nil
}
