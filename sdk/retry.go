package sdk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry strategies accepted in RetryConfig.Strategy.
const (
	StrategyBackoff = "backoff"
	StrategyNone    = "none"
)

// Defaults applied to zero fields of a RetryConfig and its BackoffStrategy.
const (
	DefaultInitialInterval = 500 * time.Millisecond
	DefaultMaxInterval     = 30 * time.Second
	DefaultExponent        = 1.5
	DefaultMaxElapsedTime  = 2 * time.Minute
	DefaultMaxAttempts     = 3
)

// DefaultStatusCodes are the statuses retried when RetryConfig.StatusCodes is nil.
var DefaultStatusCodes = []string{"429", "500", "502", "503", "504"}

// RetryConfig says whether and how a failed call is attempted again.
type RetryConfig struct {
	// Strategy is "backoff" (the default when empty) or "none" (one attempt).
	Strategy string
	// Backoff shapes the waits; nil or zero fields take the defaults.
	Backoff *BackoffStrategy
	// StatusCodes lists retried statuses: exact ("503") or a class ("5XX").
	// Nil means DefaultStatusCodes.
	StatusCodes []string
	// RetryConnectionErrors retries failures to connect, dropped connections
	// and per-attempt timeouts (for idempotent operations).
	RetryConnectionErrors bool
	// MaxAttempts bounds the attempts, the first included; 0 means only
	// Backoff.MaxElapsedTime bounds them.
	MaxAttempts int
}

// BackoffStrategy shapes the wait before attempt n+1:
// min(MaxInterval, InitialInterval × Exponent^(n-1)), jittered into [d/2, d].
type BackoffStrategy struct {
	InitialInterval time.Duration // default 500ms
	MaxInterval     time.Duration // default 30s
	Exponent        float64       // default 1.5
	MaxElapsedTime  time.Duration // default 2m
}

// DefaultRetryConfig is what a client without a retry option uses: backoff
// with the default intervals, the default statuses, connection errors
// retried, at most 3 attempts.
func DefaultRetryConfig() RetryConfig {
	return RetryConfig{
		Strategy:              StrategyBackoff,
		Backoff:               &BackoffStrategy{DefaultInitialInterval, DefaultMaxInterval, DefaultExponent, DefaultMaxElapsedTime},
		StatusCodes:           append([]string(nil), DefaultStatusCodes...),
		RetryConnectionErrors: true,
		MaxAttempts:           DefaultMaxAttempts,
	}
}

// retryPolicy is a validated RetryConfig with defaults filled in and the
// status list compiled, so the per-attempt decisions allocate nothing.
type retryPolicy struct {
	none          bool
	initial, max  time.Duration
	exponent      float64
	maxElapsed    time.Duration
	maxAttempts   int
	retryConnErrs bool
	classes       [6]bool // classes[4] = "4XX"
	codes         []int
}

func newRetryPolicy(c RetryConfig) (*retryPolicy, error) {
	p := &retryPolicy{retryConnErrs: c.RetryConnectionErrors, maxAttempts: c.MaxAttempts}
	switch c.Strategy {
	case "", StrategyBackoff:
	case StrategyNone:
		p.none = true
	default:
		return nil, fmt.Errorf("retry config: unknown strategy %q (want %q or %q)", c.Strategy, StrategyBackoff, StrategyNone)
	}
	if c.MaxAttempts < 0 {
		return nil, fmt.Errorf("retry config: MaxAttempts %d is negative", c.MaxAttempts)
	}
	b := BackoffStrategy{}
	if c.Backoff != nil {
		b = *c.Backoff
	}
	if b.InitialInterval < 0 || b.MaxInterval < 0 || b.MaxElapsedTime < 0 || b.Exponent < 0 || math.IsNaN(b.Exponent) || math.IsInf(b.Exponent, 0) {
		return nil, fmt.Errorf("retry config: backoff values must be positive")
	}
	p.initial = orDefault(b.InitialInterval, DefaultInitialInterval)
	p.max = orDefault(b.MaxInterval, DefaultMaxInterval)
	p.maxElapsed = orDefault(b.MaxElapsedTime, DefaultMaxElapsedTime)
	p.exponent = b.Exponent
	if p.exponent == 0 {
		p.exponent = DefaultExponent
	}
	codes := c.StatusCodes
	if codes == nil {
		codes = DefaultStatusCodes
	}
	for _, s := range codes {
		s = strings.ToUpper(strings.TrimSpace(s))
		if len(s) == 3 && s[1:] == "XX" && s[0] >= '1' && s[0] <= '5' {
			p.classes[s[0]-'0'] = true
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 || n > 599 {
			return nil, fmt.Errorf("retry config: status code %q is neither a status (503) nor a class (5XX)", s)
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

func (p *retryPolicy) retriesStatus(code int) bool {
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
func (p *retryPolicy) backoff(n int) time.Duration {
	d := float64(p.initial) * math.Pow(p.exponent, float64(n-1))
	if d > float64(p.max) || math.IsNaN(d) || math.IsInf(d, 0) {
		d = float64(p.max)
	}
	full := time.Duration(d)
	half := full / 2
	if full-half <= 0 {
		return full
	}
	return half + rand.N(full-half+1)
}

// ParseRetryAfter reads the server's wait hint from a response header set:
// Retry-After-Ms (milliseconds), else Retry-After as delta-seconds or an
// HTTP-date relative to now. ok is false when no valid hint is present;
// malformed or negative hints are ignored. A date in the past means 0.
func ParseRetryAfter(h http.Header, now time.Time) (wait time.Duration, ok bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && ms < float64(math.MaxInt64/int64(time.Millisecond)) {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 || secs > int64(math.MaxInt64/int64(time.Second)) {
			return 0, false
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
