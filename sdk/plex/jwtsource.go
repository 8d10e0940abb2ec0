package plex

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ErrSourceClosed is returned by a JWTSource's Token after Close.
var ErrSourceClosed = errors.New("plex.JWTSource: the source is closed")

// JWTSource hands out Plex JWTs for a long-running program: a cache that
// refreshes ahead of expiry, rides out plex.tv outages and never makes a
// caller wait while it holds a JWT that is good for a while. With L the held
// JWT's lifetime (ExpiresAt − IssuedAt) and r the time it has left:
//
//   - fresh (r > min(24 h, L/2)): Token returns it; no request.
//   - stale (min(1 min, L/10) < r ≤ min(24 h, L/2)): Token returns it at
//     once and one background exchange replaces it (at most one in flight,
//     detached from every caller's ctx).
//   - due (none held, or r ≤ min(1 min, L/10)): callers wait for one shared
//     exchange, each until its own ctx ends.
//
// A held JWT that has not expired is never withheld because an exchange
// failed, and it is kept until it is replaced: only plex.tv refusing it
// (Invalidate, or Transport seeing plex.tv's 401/498) drops it. An expired
// one is never returned. Every exchange obeys the back-off (1 s doubling to
// 5 min, reset by a success): inside it, with no JWT to serve, Token
// answers at once with the last error instead of exchanging again. When
// the last exchange says a person must sign in again (ErrKeyNotRegistered,
// ErrDeviceMismatch, ErrInvalidToken), Status().NeedsSignIn is true and the
// source waits the longest back-off between tries.
//
// On a client made WithIdentity, every JWT it holds is stored (SetToken's
// too). Sources sharing a SharedIdentityStore make one exchange between
// them: each re-reads the store under the store's refresh lease and adopts
// a fresh JWT another source stored, and writes by compare-and-swap.
//
// It speaks: every failed exchange is logged at Warn through the client's
// logger (one Error instead when a person must sign in; never a secret),
// once at Error when the held JWT enters its due window after failures, and
// Status reports the last refresh, the last error, the next attempt and the
// held JWT's expiry. Close stops it.
// Safe for concurrent use; use it through Transport or PlexToken.
type JWTSource struct {
	a  *Authentication
	k  *DeviceKey
	st *jwtState // shared, so a JWTSource copied by value works safely
}

type jwtState struct {
	cur atomic.Pointer[JWT] // the held JWT, read without locking

	life   context.Context // ends at Close
	close  context.CancelFunc
	closed atomic.Bool
	wg     sync.WaitGroup // background exchanges
	store  IdentityStore  // where refreshed JWTs are kept; nil = nowhere

	mu          sync.Mutex
	flight      *exchange // the exchange in progress, shared by every caller
	gen         uint64    // bumped by SetToken: an older exchange's result is dropped
	failures    int       // exchanges failed in a row
	notBefore   time.Time // no background exchange before this (backoff)
	lastRefresh time.Time
	lastErr     error
	warnedDue   bool      // the Error-level "about to run out" was logged
	needsSignIn bool      // the last exchange said a person must act
	lastForced  time.Time // the last exchange a refusal from another host asked for
	refused     *string   // the last JWT plex.tv refused: never adopted from the store again
}

type exchange struct {
	done chan struct{}
	jwt  *JWT
	err  error
}

// Lifecycle bounds (README "Keep a service signed in").
const (
	staleBefore     = 24 * time.Hour  // at most this long before expiry a JWT turns stale
	dueBefore       = time.Minute     // at most this long before expiry callers wait
	backoffFirst    = time.Second     // wait after the first failed exchange
	backoffMax      = 5 * time.Minute // longest wait between failed exchanges
	exchangeTimeout = 2 * time.Minute // bounds an exchange that outlives its callers
	// refusedElsewhereEvery: refusals from hosts other than plex.tv make the
	// source refresh at most this often (a server that always answers 498
	// must not cost an exchange per request).
	refusedElsewhereEvery = time.Minute
	// storeTimeout bounds a write to the identity store that no caller's
	// context bounds (SetToken's).
	storeTimeout = 10 * time.Second
	// leaseTTL bounds the refresh lease a source holds in a shared store: a
	// holder that dies blocks the others at most this long.
	leaseTTL = time.Minute
)

// NewJWTSource returns a JWTSource that exchanges device JWTs signed by k
// (registered already). Seed it with SetToken to start from a JWT you have.
// On a client made WithIdentity whose key is k, the source starts from the
// identity's stored JWT (no request while it is fresh) and stores every
// JWT it gets (a failed write is logged at Warn, never a failed call).
func (a *Authentication) NewJWTSource(k *DeviceKey) *JWTSource {
	life, stop := context.WithCancel(context.Background())
	s := &JWTSource{a: a, k: k, st: &jwtState{life: life, close: stop}}
	if id := a.identity; id != nil && k != nil && id.Key != nil && id.Key.KeyID() == k.KeyID() && id.store != nil {
		s.st.store = id.store
		if tok, err := id.store.LoadJWT(life); err != nil {
			s.log(slog.LevelWarn, "authsdk: the stored Plex JWT could not be read; exchanging anew", slog.String("error", err.Error()))
		} else {
			s.seed(tok)
		}
	}
	return s
}

type jwtPhase int

const (
	phaseFresh jwtPhase = iota
	phaseStale
	phaseDue    // held and valid, but callers wait for its replacement
	phaseAbsent // none held, or expired
)

// window is the stale and due bounds of j: min(24 h, L/2), min(1 min, L/10).
func window(j *JWT) (stale, due time.Duration) {
	stale, due = staleBefore, dueBefore
	if !j.IssuedAt.IsZero() && j.IssuedAt.Before(j.ExpiresAt) {
		l := j.ExpiresAt.Sub(j.IssuedAt)
		stale, due = min(stale, l/2), min(due, l/10)
	}
	return stale, due
}

func phase(j *JWT, now time.Time) jwtPhase {
	if j == nil {
		return phaseAbsent
	}
	r := j.ExpiresAt.Sub(now)
	if r <= 0 {
		return phaseAbsent
	}
	stale, due := window(j)
	switch {
	case r > stale:
		return phaseFresh
	case r > due:
		return phaseStale
	}
	return phaseDue
}

// Token returns a Plex JWT under the rules of JWTSource: at once when it
// holds one that is fresh or stale; otherwise after one exchange shared by
// every caller. It fails only when it holds no unexpired JWT and the
// exchange failed — inside the back-off that follows, it returns that
// failure at once, saying when the next attempt is — or after Close
// (ErrSourceClosed).
func (s *JWTSource) Token(ctx context.Context) (*JWT, error) {
	if s == nil || s.st == nil {
		return nil, fmt.Errorf("%s: JWTSource not made by NewJWTSource", opExchange.Name)
	}
	if s.st.closed.Load() {
		return nil, ErrSourceClosed
	}
	j := s.st.cur.Load()
	if phase(j, time.Now()) == phaseFresh {
		return j, nil
	}
	return s.refresh(ctx)
}

func (s *JWTSource) refresh(ctx context.Context) (*JWT, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%s: nil context", opExchange.Name)
	}
	if s.k == nil {
		return nil, fmt.Errorf("%s: nil device key", opExchange.Name)
	}
	st := s.st
	st.mu.Lock()
	if st.closed.Load() {
		st.mu.Unlock()
		return nil, ErrSourceClosed
	}
	now := time.Now()
	j := st.cur.Load()
	ph := phase(j, now)
	backingOff := now.Before(st.notBefore)
	switch {
	case ph == phaseFresh:
		st.mu.Unlock()
		return j, nil
	case ph == phaseAbsent && backingOff && st.flight == nil:
		// Every exchange obeys the back-off: without a JWT to serve, say
		// so at once instead of asking clients.plex.tv again.
		err := &backoffError{err: st.lastErr, next: st.notBefore, failures: st.failures, signIn: st.needsSignIn}
		st.mu.Unlock()
		return nil, err
	case ph == phaseStale, ph == phaseDue && backingOff:
		// Served at once; refreshed in the background unless an exchange
		// runs already or the last one failed too recently.
		if ph == phaseDue && st.failures > 0 && !st.warnedDue {
			st.warnedDue = true
			s.log(slog.LevelError, "authsdk: the Plex JWT is about to expire and refreshing it keeps failing",
				slog.Duration("expires_in", j.ExpiresAt.Sub(now).Round(time.Second)),
				slog.Int("failures", st.failures), slog.String("last_error", errText(st.lastErr)))
		}
		if st.flight == nil && !backingOff {
			s.start(ctx)
		}
		st.mu.Unlock()
		return j, nil
	}
	f := s.flightLocked(ctx)
	st.mu.Unlock()
	select {
	case <-f.done:
		if f.err == nil {
			return f.jwt, nil
		}
		if held := st.cur.Load(); phase(held, time.Now()) != phaseAbsent {
			return held, nil
		}
		return nil, f.err
	case <-ctx.Done():
		if held := st.cur.Load(); phase(held, time.Now()) != phaseAbsent {
			return held, nil
		}
		return nil, fmt.Errorf("%s: %w", opExchange.Name, ctx.Err())
	}
}

// PlexToken returns Token(ctx).Token: a JWTSource is a TokenSource.
func (s *JWTSource) PlexToken(ctx context.Context) (string, error) {
	j, err := s.Token(ctx)
	if err != nil {
		return "", err
	}
	return string(j.Token), nil
}

// SetToken hands the source a Plex JWT obtained elsewhere (WaitForJWTPin, a
// file); it is served, refreshed and stored (on a client made WithIdentity,
// bounded by 10 s; a failed write is a Warn log) under the same rules, wins
// over an exchange already in flight, and clears NeedsSignIn. A zero ExpiresAt or IssuedAt is read from the
// JWT's claims; a JWT whose expiry cannot be known, or that has expired, is
// ignored (the next Token exchanges anew).
func (s *JWTSource) SetToken(j *JWT) {
	if s == nil || s.st == nil || j == nil || j.Token == "" {
		return
	}
	cp := *j
	if cp.ExpiresAt.IsZero() || cp.IssuedAt.IsZero() {
		exp, iat, err := jwtClaims(string(cp.Token))
		if cp.ExpiresAt.IsZero() {
			if err != nil {
				return
			}
			cp.ExpiresAt = exp
		}
		if cp.IssuedAt.IsZero() && err == nil && !iat.IsZero() {
			cp.IssuedAt = iat
		}
	}
	if !time.Now().Before(cp.ExpiresAt) {
		return
	}
	st := s.st
	st.mu.Lock()
	st.gen++
	st.cur.Store(&cp)
	st.needsSignIn = false
	st.notBefore, st.failures = time.Time{}, 0
	st.mu.Unlock()
	if st.store != nil && !st.closed.Load() {
		// Kept like an exchanged JWT, so a restart starts from it.
		ctx, cancel := context.WithTimeout(st.life, storeTimeout)
		defer cancel()
		if err := st.store.StoreJWT(ctx, string(cp.Token)); err != nil {
			s.log(slog.LevelWarn, "authsdk: storing the Plex JWT failed; it is still served", slog.String("error", errText(err)))
		}
	}
}

// seed holds a JWT read from the store at start, without writing it back.
func (s *JWTSource) seed(tok string) {
	if j := parseStoredJWT(tok); j != nil {
		s.st.cur.Store(j)
	}
}

// Invalidate drops j if it is still the held JWT (compared by Token), so the
// next Token exchanges anew. Transport does this itself on a 498, or a 401
// from plex.tv. A JWT a concurrent refresh already replaced is left alone.
func (s *JWTSource) Invalidate(j *JWT) {
	if j != nil {
		s.TokenRefused(string(j.Token))
	}
}

// TokenRefused drops token if it is still the held JWT: the TokenRefuser
// side of JWTSource, which Transport calls.
func (s *JWTSource) TokenRefused(token string) {
	if s == nil || s.st == nil || token == "" {
		return
	}
	for {
		held := s.st.cur.Load()
		if held == nil || string(held.Token) != token {
			return
		}
		if s.st.cur.CompareAndSwap(held, nil) {
			// plex.tv's word: the next Token exchanges at once, unless a
			// person must act first.
			s.st.mu.Lock()
			if !s.st.needsSignIn {
				s.st.notBefore = time.Time{}
			}
			s.st.refused = &token
			s.st.mu.Unlock()
			return
		}
	}
}

// refusedElsewhere is Transport's report that a host other than plex.tv
// refused token (a 498 from a server listed in Hosts). The token is kept:
// such a host cannot speak for plex.tv. At most once a minute (and within
// the back-off) it asks for a replacement and waits for it; it returns the
// token to replay with, which is token itself when there is no other.
func (s *JWTSource) refusedElsewhere(ctx context.Context, token string) string {
	st := s.st
	st.mu.Lock()
	held := st.cur.Load()
	now := time.Now()
	switch {
	case held == nil || st.closed.Load():
		st.mu.Unlock()
		return token
	case string(held.Token) != token:
		st.mu.Unlock()
		return string(held.Token) // replaced already
	case now.Sub(st.lastForced) < refusedElsewhereEvery || now.Before(st.notBefore) || st.needsSignIn:
		st.mu.Unlock()
		return token
	}
	st.lastForced = now
	f := s.flightLocked(ctx)
	st.mu.Unlock()
	select {
	case <-f.done:
		if f.err == nil && f.jwt != nil {
			return string(f.jwt.Token)
		}
	case <-ctx.Done():
	}
	return token
}
