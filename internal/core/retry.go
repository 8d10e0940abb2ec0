package core

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

// Defaults of zero RetryConfig fields: sdk.DefaultRetryConfig is the one
// place they are written.
var (
	defaults               = sdk.DefaultRetryConfig()
	defaultInitialInterval = defaults.Backoff.InitialInterval
	defaultMaxInterval     = defaults.Backoff.MaxInterval
	defaultExponent        = defaults.Backoff.Exponent
	defaultMaxElapsedTime  = defaults.Backoff.MaxElapsedTime
	defaultMaxAttempts     = defaults.MaxAttempts
	defaultStatusCodes     = defaults.StatusCodes
	defaultAttemptTimeout  = defaults.AttemptTimeout
)

const (
	// minWait keeps any configuration or server hint from spinning.
	minWait = time.Millisecond
	// forever stands for a wait too long to represent: longer than any budget.
	forever = time.Duration(math.MaxInt64)
)

// policy is a validated sdk.RetryConfig with defaults filled in and the
// status list compiled, so per-attempt decisions allocate nothing.
type policy struct {
	none         bool
	initial, max time.Duration
	exponent     float64
	maxElapsed   time.Duration
	maxAttempts  int           // 0 = unlimited
	attempt      time.Duration // bounds one attempt; 0 = no bound
	attemptEnded *boundError   // the cause when attempt ends one
	callEnded    *boundError   // the cause when maxElapsed ends one
	retryConns   bool
	classes      [6]bool // classes[4] = "4XX"
	codes        []int
}

func newPolicy(c sdk.RetryConfig) (*policy, error) {
	p := &policy{retryConns: !c.DisableConnectionRetries}
	switch c.Strategy {
	case "", sdk.StrategyBackoff:
	case sdk.StrategyNone:
		p.none = true
	default:
		return nil, fmt.Errorf("RetryConfig.Strategy: unknown strategy %q (want %q or %q)", c.Strategy, sdk.StrategyBackoff, sdk.StrategyNone)
	}
	switch {
	case c.MaxAttempts == 0:
		p.maxAttempts = defaultMaxAttempts
	case c.MaxAttempts == sdk.UnlimitedAttempts:
		p.maxAttempts = 0
	case c.MaxAttempts < 0:
		return nil, fmt.Errorf("RetryConfig.MaxAttempts: %d is negative (0 means 3; sdk.UnlimitedAttempts means no limit)", c.MaxAttempts)
	default:
		p.maxAttempts = c.MaxAttempts
	}
	switch {
	case c.AttemptTimeout == 0:
		p.attempt = defaultAttemptTimeout
	case c.AttemptTimeout > 0:
		p.attempt = c.AttemptTimeout
	}
	var b sdk.BackoffStrategy
	if c.Backoff != nil {
		b = *c.Backoff
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"InitialInterval", b.InitialInterval}, {"MaxInterval", b.MaxInterval}, {"MaxElapsedTime", b.MaxElapsedTime}} {
		if d.v < 0 {
			return nil, fmt.Errorf("RetryConfig.Backoff.%s: %v is negative", d.name, d.v)
		}
	}
	p.initial = orDefault(b.InitialInterval, defaultInitialInterval)
	p.max = orDefault(b.MaxInterval, defaultMaxInterval)
	p.maxElapsed = orDefault(b.MaxElapsedTime, defaultMaxElapsedTime)
	p.exponent = b.Exponent
	if p.exponent == 0 {
		p.exponent = defaultExponent
	}
	if !(p.exponent >= 1) || math.IsInf(p.exponent, 0) { // also catches NaN
		return nil, fmt.Errorf("RetryConfig.Backoff.Exponent: %v (want a finite number of at least 1)", b.Exponent)
	}
	if p.initial > p.max {
		return nil, fmt.Errorf("RetryConfig.Backoff.InitialInterval: %v exceeds MaxInterval %v", p.initial, p.max)
	}
	p.attemptEnded = &boundError{"RetryConfig.AttemptTimeout", p.attempt, "no complete answer within"}
	p.callEnded = &boundError{"RetryConfig.Backoff.MaxElapsedTime", p.maxElapsed, "the call ran past"}
	codes := c.StatusCodes
	if codes == nil {
		codes = defaultStatusCodes
	}
	for _, s := range codes {
		s = strings.ToUpper(strings.TrimSpace(s))
		if len(s) == 3 && s[1:] == "XX" && s[0] >= '1' && s[0] <= '5' {
			p.classes[s[0]-'0'] = true
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			return nil, fmt.Errorf("RetryConfig.StatusCodes: %q is neither a status (503) nor a class (5XX)", s)
		}
		p.codes = append(p.codes, n)
	}
	return p, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func (p *policy) retriesStatus(code int) bool {
	if code >= 100 && code <= 599 && p.classes[code/100] {
		return true
	}
	for _, c := range p.codes {
		if c == code {
			return true
		}
	}
	return false
}

// backoff returns the jittered wait after attempt n (n ≥ 1).
func (p *policy) backoff(n int) time.Duration { return Backoff(n, p.initial, p.max, p.exponent) }

// Backoff is the SDK's one back-off formula, for retries, failed token
// refreshes and throttled polls: the wait after the n-th failure in a row
// (n ≥ 1), jittered in [d/2, d] for d = min(maxWait, initial ×
// exponent^(n-1)), never below 1 ms. Jitter keeps many clients that failed
// together from retrying together. The arithmetic is done in float64 and
// compared before converting, so no configuration overflows into a
// negative wait.
func Backoff(n int, initial, maxWait time.Duration, exponent float64) time.Duration {
	full := maxWait
	if d := float64(initial) * math.Pow(exponent, float64(max(n, 1)-1)); d < float64(maxWait) {
		full = time.Duration(d)
	}
	half := full / 2
	return max(minWait, half+rand.N(full-half+1))
}

// Transient reports whether a call that failed with err may succeed if
// made again later: no answer at all (not an answer too large), a 5xx, or
// throttling (429). Loops above single calls (PIN polls, token refreshes)
// decide with it; the attempt loop itself follows the call's RetryConfig.
func Transient(err error) bool {
	var api *sdk.APIError
	if errors.As(err, &api) {
		return api.StatusCode >= 500 || api.StatusCode == http.StatusTooManyRequests
	}
	var te *sdk.TransportError
	return errors.As(err, &te) && !errors.Is(err, sdk.ErrResponseTooLarge)
}

// ParseRetryAfter reads the server's wait hint: Retry-After-Ms
// (milliseconds), else Retry-After as delta-seconds or an HTTP-date relative
// to now. ok is false when no valid hint is present (malformed or negative
// hints are ignored). A number too large to represent is a valid hint of
// "longer than any budget" and comes back as the largest Duration.
func ParseRetryAfter(h http.Header, now time.Time) (wait time.Duration, ok bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); (err == nil || isRange(err)) && ms >= 0 {
			if ms >= float64(forever/time.Millisecond) {
				return forever, true
			}
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if allDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs >= int64(forever/time.Second) {
			return forever, true // only digits, so the error is "out of range"
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// exhausted reports whether the budget allows no attempt after attempt,
// given the wait before it and when the call started.
func (p *policy) exhausted(attempt int, wait time.Duration, start time.Time) bool {
	return p.none || (p.maxAttempts > 0 && attempt >= p.maxAttempts) || wait > p.maxElapsed-time.Since(start)
}

// oneAttempt is the policy of CallInfo.OneAttempt, built once.
var oneAttempt = func() *policy {
	p, err := newPolicy(sdk.RetryConfig{Strategy: sdk.StrategyNone})
	if err != nil {
		panic(err)
	}
	return p
}()

// Do sends req, retrying per the call's policy; it returns the final
// response with its body already read into c.body. Each attempt runs under
// its own context, bounded by AttemptTimeout and by the call's end
// (MaxElapsedTime): a silent server or a trickled body cannot hold a call
// past either.
func (c *call) Do(req *http.Request) (*http.Response, error) {
	ctx, callEnd := c.ctx, c.end
	if ctx == nil || req.Context() != c.first { // a request not built by this call's Sender
		ctx, callEnd = req.Context(), time.Now().Add(c.policy.maxElapsed)
	}
	req.Header["User-Agent"] = c.core.userAgent
	p := c.policy
	start := callEnd.Add(-p.maxElapsed)
	for attempt := 1; ; attempt++ {
		c.attempts = attempt
		actx, cancel := req.Context(), context.CancelFunc(nil)
		if attempt > 1 || actx != c.first {
			actx, cancel = p.attemptContext(ctx, callEnd)
		}
		rsp, body, err := c.attempt(actx, req, attempt)
		if err != nil && ctx.Err() == nil && actx.Err() != nil {
			err = context.Cause(actx) // one of the call's own bounds ended it: say which
		}
		if cancel != nil {
			cancel() // the body is read: nothing of the attempt is left to end
		}
		var re *refreshError
		if errors.As(err, &re) {
			wait, ok := c.retryRefresh(ctx, re.err, attempt, start)
			if !ok {
				return nil, re
			}
			if err := Sleep(ctx, wait); err != nil {
				return nil, c.transportError(err)
			}
			continue
		}
		var ae *attemptError
		if errors.As(err, &ae) {
			return nil, c.transportError(ae.err) // not worth another attempt
		}
		if errors.Is(err, sdk.ErrResponseTooLarge) {
			c.log(ctx, req, rsp.StatusCode, err, 0)
			return nil, c.transportError(err)
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
			c.release() // the previous attempt's answer, if any
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
		if err := Sleep(ctx, wait); err != nil {
			return nil, c.transportError(err)
		}
	}
}

// attempt sends req once under actx and reads the answer's body. A
// failed Refresh comes back as a *refreshError, a request that cannot be
// sent again as an *attemptError.
func (c *call) attempt(actx context.Context, req *http.Request, attempt int) (*http.Response, []byte, error) {
	r := req
	if c.sec.Refresh != nil {
		b, secret, err := c.sec.Refresh(actx)
		if secret != c.sec.Secrets[1] {
			c.sec.Secrets[1], c.callSc = secret, nil
		}
		if err != nil {
			return nil, nil, &refreshError{err}
		}
		cp := *req
		cp.Body, cp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		cp.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		r = &cp
	} else if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, nil, &attemptError{errors.New("request body cannot be replayed")}
		}
		b, err := req.GetBody()
		if err != nil {
			return nil, nil, &attemptError{err}
		}
		cp := *req
		cp.Body = b
		r = &cp
	}
	if c.sec.NoRedirects {
		actx = context.WithValue(actx, noRedirectsKey{}, true)
	}
	if r.Context() != actx {
		r = r.WithContext(actx)
	}
	hc := c.core.hc
	if c.sec.Transport != nil {
		cp := *hc
		cp.Transport = c.sec.Transport
		hc = &cp
	}
	rsp, err := hc.Do(r)
	if err != nil {
		return nil, nil, err
	}
	limit := MaxResponseBytes
	if c.sec.MaxBody > 0 {
		limit = min(limit, c.sec.MaxBody)
	}
	body, err := readBody(rsp, limit)
	if err != nil && !errors.Is(err, sdk.ErrResponseTooLarge) {
		return nil, nil, err
	}
	return rsp, body, err
}

// attemptError is a request that cannot be sent again.
type attemptError struct{ err error }

func (e *attemptError) Error() string { return e.err.Error() }

// attemptContext bounds one attempt: AttemptTimeout from now, and the end
// of the call (MaxElapsedTime), whichever comes first. The cause says which.
func (p *policy) attemptContext(ctx context.Context, callEnd time.Time) (context.Context, context.CancelFunc) {
	if p.attempt > 0 {
		if end := time.Now().Add(p.attempt); end.Before(callEnd) {
			return context.WithDeadlineCause(ctx, end, p.attemptEnded)
		}
	}
	return context.WithDeadlineCause(ctx, callEnd, p.callEnded)
}

// boundError is an attempt ended by one of the call's own time bounds. It
// is a timeout (retried like a failed connection, when time is left) and
// matches context.DeadlineExceeded.
type boundError struct {
	field string
	d     time.Duration
	what  string
}

func (e *boundError) Error() string {
	return fmt.Sprintf("%s %s (%v): %v", e.what, e.field, e.d, context.DeadlineExceeded)
}
func (e *boundError) Is(target error) bool { return target == context.DeadlineExceeded }
func (e *boundError) Timeout() bool        { return true }
func (e *boundError) Temporary() bool      { return true }

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

// Sleep waits d, or until ctx ends (then it returns ctx's error): the one
// context-aware wait of the SDK.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
