package plex

import "time"

// JWTStatus is what a JWTSource can say about itself.
type JWTStatus struct {
	// ExpiresAt is when the held JWT expires; zero when none is held.
	ExpiresAt time.Time
	// LastRefresh is when an exchange last succeeded; zero if never.
	LastRefresh time.Time
	// LastError is the last exchange's error; nil after a success.
	LastError error
	// Failures counts the exchanges failed in a row.
	Failures int
	// NextAttempt is the earliest next background exchange after
	// failures; zero when not backing off.
	NextAttempt time.Time
	// Closed reports whether Close was called.
	Closed bool
	// NeedsSignIn is true while the last exchange failed because plex.tv
	// does not take this device (ErrKeyNotRegistered, ErrDeviceMismatch or
	// ErrInvalidToken): a person must sign in again. The source then tries
	// only at the longest back-off (5 min) and logs one Error, not one line
	// per call. SetToken or a successful exchange clears it.
	NeedsSignIn bool
}

// Status reports the held JWT's expiry and how refreshing it goes.
func (s *JWTSource) Status() JWTStatus {
	if s == nil || s.st == nil {
		return JWTStatus{}
	}
	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	out := JWTStatus{LastRefresh: st.lastRefresh, LastError: st.lastErr, Failures: st.failures, Closed: st.closed.Load(), NeedsSignIn: st.needsSignIn}
	if time.Now().Before(st.notBefore) {
		out.NextAttempt = st.notBefore
	}
	if j := st.cur.Load(); j != nil {
		out.ExpiresAt = j.ExpiresAt
	}
	return out
}

// Close stops the source: an exchange in flight is cancelled, every
// background goroutine has ended when Close returns, and later calls to
// Token return ErrSourceClosed. Closing twice is harmless.
func (s *JWTSource) Close() error {
	if s == nil || s.st == nil {
		return nil
	}
	st := s.st
	st.mu.Lock()
	st.closed.Store(true)
	st.mu.Unlock()
	st.close()
	st.wg.Wait()
	return nil
}
