package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

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
//
// When the caller's ctx ends first anyway, the attempt runs under ctx
// itself: no context, timer or child registration to pay for.
func (p *policy) attemptContext(ctx context.Context, callEnd time.Time) (context.Context, context.CancelFunc) {
	end, cause := callEnd, p.callEnded
	if p.attempt > 0 {
		if e := time.Now().Add(p.attempt); e.Before(callEnd) {
			end, cause = e, p.attemptEnded
		}
	}
	if dl, ok := ctx.Deadline(); ok && !dl.After(end) {
		return ctx, noCancel
	}
	return context.WithDeadlineCause(ctx, end, cause)
}

func noCancel() {}

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

func (e *boundError) Timeout() bool { return true }

func (e *boundError) Temporary() bool { return true }

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
