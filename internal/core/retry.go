package core

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

// Defaults of zero RetryConfig fields (sdk.DefaultRetryConfig spells them out).
const (
	defaultInitialInterval = 500 * time.Millisecond
	defaultMaxInterval     = 30 * time.Second
	defaultExponent        = 1.5
	defaultMaxElapsedTime  = 2 * time.Minute
	defaultMaxAttempts     = 3
	// minWait keeps any configuration or server hint from spinning.
	minWait = time.Millisecond
	// forever stands for a wait too long to represent: longer than any budget.
	forever = time.Duration(math.MaxInt64)
)

var defaultStatusCodes = []string{"429", "500", "502", "503", "504"}

// policy is a validated sdk.RetryConfig with defaults filled in and the
// status list compiled, so per-attempt decisions allocate nothing.
type policy struct {
	none         bool
	initial, max time.Duration
	exponent     float64
	maxElapsed   time.Duration
	maxAttempts  int // 0 = unlimited
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

// backoff returns the jittered wait after attempt n (n ≥ 1): in [d/2, d]
// for d = min(max, initial × exponent^(n-1)), never below minWait. The
// arithmetic is done in float64 and compared before converting, so no
// configuration overflows into a negative wait.
func (p *policy) backoff(n int) time.Duration {
	full := p.max
	if d := float64(p.initial) * math.Pow(p.exponent, float64(n-1)); d < float64(p.max) {
		full = time.Duration(d)
	}
	half := full / 2
	return max(minWait, half+rand.N(full-half+1))
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
