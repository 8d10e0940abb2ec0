package sdk

import "time"

// Retry strategies accepted in RetryConfig.Strategy.
const (
	StrategyBackoff = "backoff" // wait and try again (the default)
	StrategyNone    = "none"    // exactly one attempt
)

// UnlimitedAttempts in RetryConfig.MaxAttempts leaves the number of attempts
// unbounded: only Backoff.MaxElapsedTime (and the caller's context) end them.
const UnlimitedAttempts = -1

// RetryConfig says whether and how a failed call is attempted again.
//
// Every zero field means its default, so RetryConfig{MaxAttempts: 5}
// changes the attempt count and nothing else. A client validates its config
// at construction (a per-call config, when the call starts); an error names
// the field at fault.
type RetryConfig struct {
	// Strategy is StrategyBackoff ("backoff", the default when empty) or
	// StrategyNone ("none": one attempt, nothing retried).
	Strategy string

	// Backoff shapes the waits between attempts; nil, or any zero field,
	// means the default.
	Backoff *BackoffStrategy

	// StatusCodes lists the response statuses that are retried: exact codes
	// ("503") or classes ("5XX"). Nil means 429, 500, 502, 503 and 504.
	// Non-idempotent operations retry only 429, whatever this says.
	StatusCodes []string

	// DisableConnectionRetries stops retrying failed connections: refused,
	// reset or dropped connections and per-attempt timeouts. By default they
	// are retried for idempotent operations, and for the others only when
	// the connection could not be made at all.
	DisableConnectionRetries bool

	// MaxAttempts bounds the attempts, the first one included. 0 means 3;
	// UnlimitedAttempts means only Backoff.MaxElapsedTime bounds them.
	MaxAttempts int

	// AttemptTimeout bounds one attempt: connecting, the answer's headers
	// and reading its body. 0 means 30s; a negative value means no bound
	// per attempt (Backoff.MaxElapsedTime and the caller's context still
	// apply). An attempt that runs out is a failed connection: retried as
	// DisableConnectionRetries says. The error matches
	// errors.Is(err, context.DeadlineExceeded) and names this field.
	AttemptTimeout time.Duration
}

// BackoffStrategy shapes the wait before attempt n+1:
// d = min(MaxInterval, InitialInterval × Exponent^(n-1)), jittered into
// [d/2, d]. A Retry-After hint from the server replaces d.
type BackoffStrategy struct {
	// InitialInterval is the first wait; default 500ms. It must not exceed MaxInterval.
	InitialInterval time.Duration
	// MaxInterval caps every wait; default 30s. A server asking for a longer
	// wait (Retry-After) makes the call give up at once with that answer.
	MaxInterval time.Duration
	// Exponent multiplies the wait after each attempt; default 1.5, at least 1.
	Exponent float64
	// MaxElapsedTime bounds the whole call, waits and the attempt in flight
	// included; default 2m. A wait that would pass it ends the call with the
	// last error instead; an attempt still running when it passes is ended,
	// with an error that matches errors.Is(err, context.DeadlineExceeded)
	// and names this field.
	MaxElapsedTime time.Duration
}

// DefaultRetryConfig returns the defaults spelled out: backoff from 500ms
// to 30s by 1.5×, at most 2m in all, statuses 429, 500, 502, 503 and 504,
// failed connections retried, at most 3 attempts of at most 30s each.
func DefaultRetryConfig() RetryConfig {
	return RetryConfig{
		Strategy: StrategyBackoff,
		Backoff: &BackoffStrategy{
			InitialInterval: 500 * time.Millisecond,
			MaxInterval:     30 * time.Second,
			Exponent:        1.5,
			MaxElapsedTime:  2 * time.Minute,
		},
		StatusCodes:    []string{"429", "500", "502", "503", "504"},
		MaxAttempts:    3,
		AttemptTimeout: 30 * time.Second,
	}
}
