package plex

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// flightLocked is the exchange in flight, started when there is none;
// st.mu is held.
func (s *JWTSource) flightLocked(ctx context.Context) *exchange {
	if f := s.st.flight; f != nil {
		return f
	}
	return s.start(ctx)
}

// start begins the one exchange in flight; st.mu is held. It is detached
// from ctx's cancellation (keeping its values), so a caller that gives up
// does not fail the exchange others wait on; Close cancels it.
func (s *JWTSource) start(ctx context.Context) *exchange {
	f := &exchange{done: make(chan struct{})}
	s.st.flight = f
	s.st.wg.Add(1)
	go s.run(context.WithoutCancel(ctx), f, s.st.gen)
	return f
}

func (s *JWTSource) run(ctx context.Context, f *exchange, gen uint64) {
	st := s.st
	defer st.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	stop := context.AfterFunc(st.life, cancel)
	defer stop()
	held := st.cur.Load()
	adopted, prev, unlock := s.fromStore(ctx, held)
	if adopted != nil {
		f.jwt = adopted // another source refreshed it: no exchange
	} else {
		f.jwt, f.err = s.a.ExchangeDeviceJWT(ctx, s.k)
	}
	if f.err != nil && st.closed.Load() {
		f.err = ErrSourceClosed
	}
	if f.err == nil && adopted == nil && st.store != nil {
		f.jwt = s.storeExchanged(ctx, prev, f.jwt)
	}
	if unlock != nil {
		unlock()
	}
	st.mu.Lock()
	now := time.Now()
	switch {
	case f.err == nil && gen != st.gen:
		// SetToken handed the source a JWT while this exchange ran: it wins.
		f.jwt = st.cur.Load()
		if f.jwt == nil {
			f.err = errors.New("plex.JWTSource: the JWT given to SetToken has expired")
		}
	case f.err == nil:
		st.cur.Store(f.jwt)
		st.failures, st.notBefore, st.lastRefresh, st.lastErr, st.warnedDue, st.needsSignIn = 0, time.Time{}, now, nil, false, false
	case !st.closed.Load():
		st.failures++
		st.lastErr = f.err
		wasSignIn := st.needsSignIn
		st.needsSignIn = needsPerson(f.err)
		wait := core.Backoff(st.failures, backoffFirst, backoffMax, 2)
		if st.needsSignIn {
			wait = backoffMax // a person must act: asking sooner cannot help
		}
		st.notBefore = now.Add(wait)
		attrs := []slog.Attr{slog.String("operation", opExchange.Name), slog.String("error", errText(f.err)),
			slog.Int("failures", st.failures), slog.Time("next_attempt", st.notBefore)}
		if held := st.cur.Load(); held != nil {
			attrs = append(attrs, slog.Duration("held_jwt_expires_in", held.ExpiresAt.Sub(now).Round(time.Second)))
		} else {
			attrs = append(attrs, slog.String("held_jwt", "none"))
		}
		switch {
		case st.needsSignIn && !wasSignIn:
			s.log(slog.LevelError, "authsdk: plex.tv refuses this device's JWT exchange; a person must sign in again", attrs...)
		case !st.needsSignIn:
			s.log(slog.LevelWarn, "authsdk: refreshing the Plex JWT failed", attrs...)
		}
	}
	st.flight = nil
	st.mu.Unlock()
	close(f.done)
}

// needsPerson reports an exchange error no retry can mend: the key is
// unknown, bound elsewhere, or refused.
func needsPerson(err error) bool {
	return errors.Is(err, ErrKeyNotRegistered) || errors.Is(err, ErrDeviceMismatch) || errors.Is(err, ErrInvalidToken)
}

// fromStore is what a source does before exchanging when it shares its
// identity store: take the store's refresh lease (when the store has one),
// then re-read the stored JWT. A fresh JWT another source stored is
// adopted instead of exchanging. prev is the stored JWT the exchange's
// result must replace (compare-and-swap); unlock releases the lease.
func (s *JWTSource) fromStore(ctx context.Context, held *JWT) (adopted *JWT, prev string, unlock func()) {
	st := s.st
	if st.store == nil {
		return nil, "", nil
	}
	if fs, ok := st.store.(SharedIdentityStore); ok {
		u, err := fs.LockRefresh(ctx, leaseTTL)
		if err != nil {
			s.log(slog.LevelWarn, "authsdk: the identity store's refresh lease could not be taken; exchanging without it", slog.String("error", errText(err)))
		} else {
			unlock = u
		}
	}
	stored, err := st.store.LoadJWT(ctx)
	if err != nil {
		s.log(slog.LevelWarn, "authsdk: the stored Plex JWT could not be read", slog.String("error", errText(err)))
		return nil, "", unlock
	}
	st.mu.Lock()
	refused := st.refused != nil && *st.refused == stored // plex.tv said no to it: exchange instead
	st.mu.Unlock()
	if j := parseStoredJWT(stored); j != nil && !refused && phase(j, time.Now()) == phaseFresh && (held == nil || j.Token != held.Token) {
		return j, stored, unlock
	}
	return nil, stored, unlock
}

// storeExchanged keeps a newly exchanged JWT in the store, never over a
// newer one: in a SharedIdentityStore by compare-and-swap against prev
// (what the store held before the exchange); if another source stored a
// JWT meanwhile, the one that expires later is kept by both.
func (s *JWTSource) storeExchanged(ctx context.Context, prev string, j *JWT) *JWT {
	st := s.st
	fs, ok := st.store.(SharedIdentityStore)
	if !ok {
		if err := st.store.StoreJWT(ctx, string(j.Token)); err != nil {
			s.log(slog.LevelWarn, "authsdk: storing the Plex JWT failed; it is still served", slog.String("error", errText(err)))
		}
		return j
	}
	for range 3 {
		swapped, err := fs.SwapJWT(ctx, prev, string(j.Token))
		if err != nil {
			s.log(slog.LevelWarn, "authsdk: storing the Plex JWT failed; it is still served", slog.String("error", errText(err)))
			return j
		}
		if swapped {
			return j
		}
		cur, err := st.store.LoadJWT(ctx)
		if err != nil {
			return j
		}
		if other := parseStoredJWT(cur); other != nil && other.ExpiresAt.After(j.ExpiresAt) {
			return other // a newer one is stored: hold that one too
		}
		prev = cur
	}
	return j
}

// parseStoredJWT is a stored token as a JWT with its times, or nil when
// it is empty, expired or unreadable.
func parseStoredJWT(tok string) *JWT {
	if tok == "" {
		return nil
	}
	exp, iat, err := jwtClaims(tok)
	if err != nil || !time.Now().Before(exp) {
		return nil
	}
	return &JWT{Token: sdk.Secret(tok), ExpiresAt: exp, IssuedAt: iat}
}

// backoffError is Token's answer inside the back-off window when no JWT is
// held: the last exchange's error, and when the next attempt will be.
type backoffError struct {
	err      error
	next     time.Time
	failures int
	signIn   bool
}

func (e *backoffError) Error() string {
	msg := fmt.Sprintf("%s: no Plex JWT; not retried before %s (in %v) after %d failed exchanges",
		opExchange.Name, e.next.Format(time.RFC3339), time.Until(e.next).Round(time.Second), e.failures)
	if e.signIn {
		msg += " (a person must sign in again)"
	}
	if e.err != nil {
		msg += ": " + e.err.Error()
	}
	return msg
}

func (e *backoffError) Unwrap() error { return e.err }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error() // the SDK's errors are scrubbed of secrets already
}

func (s *JWTSource) log(level slog.Level, msg string, attrs ...slog.Attr) {
	if s.a == nil || s.a.core == nil {
		return
	}
	if l := s.a.core.Logger(); l != nil {
		l.LogAttrs(context.Background(), level, msg, attrs...)
	}
}
