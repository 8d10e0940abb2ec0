package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
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
