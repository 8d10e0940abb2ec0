package core

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

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
