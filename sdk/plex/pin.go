package plex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// AuthAppURL is the consent page a user approves a strong PIN on.
const AuthAppURL = "https://app.plex.tv/auth"

// LinkURL is where a user types a short (strong=false) PIN's code.
const LinkURL = "https://plex.tv/link"

// pinWire is a PIN as plex.tv sends it.
type pinWire struct {
	ID               int64  `json:"id"`
	Code             string `json:"code"`
	Product          string `json:"product"`
	ClientIdentifier string `json:"clientIdentifier"`
	ExpiresIn        *int64 `json:"expiresIn"`
	ExpiresAt        string `json:"expiresAt"`
	AuthToken        string `json:"authToken"`
}

// pin converts the wire form; ExpiresAt comes from expiresAt, else from
// expiresIn counted from now.
func (w *pinWire) pin(now time.Time) (*Pin, bool) {
	p := &Pin{ID: w.ID, Code: w.Code, Product: w.Product, ClientIdentifier: w.ClientIdentifier, AuthToken: sdk.Secret(w.AuthToken)}
	if t, err := time.Parse(time.RFC3339, w.ExpiresAt); err == nil {
		p.ExpiresAt = t
	} else if w.ExpiresIn != nil && *w.ExpiresIn > 0 {
		p.ExpiresAt = now.Add(time.Duration(*w.ExpiresIn) * time.Second)
	}
	expired := w.ExpiresIn != nil && *w.ExpiresIn <= 0
	return p, expired
}

// CreatePin starts a password-less sign-in. strong=true makes a long code
// for the consent page (send the user to pin.AuthURL); strong=false a
// 4-character code the user types at https://plex.tv/link. Then wait with
// WaitForPin. It needs a client identifier. It is not idempotent: it is
// retried only on 429 or when no connection could be made.
func (a *Authentication) CreatePin(ctx context.Context, strong bool, opts ...sdk.CallOption) (*Pin, error) {
	if err := a.needClientID(&opCreatePin); err != nil {
		return nil, err
	}
	params := &plexapi.CreatePinParams{Strong: &strong, XPlexClientIdentifier: a.clientID}
	w, err := core.Invoke[pinWire](ctx, a.core, &opCreatePin, a.base(&opCreatePin), opts, nil, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).CreatePinWithBody(ctx, params, "", nil, a.setFixed, noContentType)
	})
	if err != nil {
		return nil, err
	}
	return a.newPin(&opCreatePin, w)
}

// newPin checks and converts a created PIN.
func (a *Authentication) newPin(op *core.Operation, w *pinWire) (*Pin, error) {
	if w.ID <= 0 || w.Code == "" {
		return nil, core.Incomplete(op, "PIN id and code")
	}
	p, _ := w.pin(time.Now())
	if p.ClientIdentifier == "" {
		p.ClientIdentifier = a.clientID
	}
	if p.Product == "" {
		p.Product = a.product
	}
	return p, nil
}

// GetPin returns the PIN's current state: AuthToken is "" until the user
// approves. After the PIN expired it returns an error matching
// errors.Is(err, ErrPinExpired).
func (a *Authentication) GetPin(ctx context.Context, id int64, opts ...sdk.CallOption) (*Pin, error) {
	return a.getPin(ctx, &opGetPin, id, "", opts)
}

// getPin polls a PIN on server; deviceJWT is set for a JWT PIN (a secret
// in the query: scrubbed from errors and logs, redacted in URLs).
func (a *Authentication) getPin(ctx context.Context, op *core.Operation, id int64, deviceJWT string, opts []sdk.CallOption) (*Pin, error) {
	if err := a.needClientID(op); err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, fmt.Errorf("%s: PIN id %d is not positive", op.Name, id)
	}
	params := &plexapi.GetPinParams{XPlexClientIdentifier: a.clientID}
	if deviceJWT != "" {
		params.DeviceJWT = &deviceJWT
	}
	w, err := core.Invoke[pinWire](ctx, a.core, op, a.base(op), opts, &core.CallInfo{Secrets: [2]string{deviceJWT}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetPin(ctx, id, params, a.setFixed)
	})
	if err != nil {
		return nil, err
	}
	if w.ID == 0 && w.Code == "" {
		return nil, core.Incomplete(op, "PIN")
	}
	now := time.Now()
	p, expired := w.pin(now)
	if p.AuthToken == "" && (expired || !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt)) {
		return nil, fmt.Errorf("%s: PIN %d: %w", op.Name, id, ErrPinExpired)
	}
	return p, nil
}

// WaitForPin polls GetPin every `every` (0 means 1 s) until the user
// approves the PIN, and returns it with AuthToken set. It ends with an error
// matching ErrPinExpired once the PIN expired: it wakes at pin.ExpiresAt
// for a last look rather than sleeping past it (a zero ExpiresAt means
// unknown: plex.tv's 404 then ends it). A 5xx, a 429 or a dropped connection
// during one poll does not end the wait; ctx ends it at once. All polls go
// over one keep-alive connection.
func (a *Authentication) WaitForPin(ctx context.Context, pin *Pin, every time.Duration, opts ...sdk.CallOption) (*Pin, error) {
	return a.waitPin(ctx, &opWaitPin, pin, every, func(ctx context.Context) (*Pin, error) {
		return a.GetPin(ctx, pin.ID, opts...)
	})
}

// waitPin is the polling loop of WaitForPin and WaitForJWTPin.
func (a *Authentication) waitPin(ctx context.Context, op *core.Operation, pin *Pin, every time.Duration, poll func(context.Context) (*Pin, error)) (*Pin, error) {
	switch {
	case pin == nil:
		return nil, fmt.Errorf("%s: nil PIN", op.Name)
	case pin.ID <= 0:
		return nil, fmt.Errorf("%s: PIN id %d is not positive", op.Name, pin.ID)
	case every < 0:
		return nil, fmt.Errorf("%s: interval %v is negative", op.Name, every)
	case every == 0:
		every = time.Second
	}
	if err := a.needClientID(op); err != nil {
		return nil, err
	}
	expiresAt := pin.ExpiresAt
	throttled := 0 // polls answered 429 in a row
	for {
		p, err := poll(ctx)
		switch {
		case err == nil && p.AuthToken != "":
			return p, nil
		case err == nil:
			throttled = 0
			if !p.ExpiresAt.IsZero() {
				expiresAt = p.ExpiresAt
			}
		case errors.Is(err, ErrPinExpired), ctx.Err() != nil, !core.Transient(err):
			return nil, err
		case errors.Is(err, ErrThrottled):
			throttled++
		}
		if !expiresAt.IsZero() && !time.Now().Before(expiresAt) {
			return nil, fmt.Errorf("%s: PIN %d expired at %s: %w", op.Name, pin.ID, expiresAt.Format(time.RFC3339), ErrPinExpired)
		}
		wait := every
		if throttled > 0 { // slow down: doubling, up to 30 s (or every, if longer)
			wait = max(every, core.Backoff(throttled+1, every, max(every, 30*time.Second), 2))
		}
		if !expiresAt.IsZero() {
			wait = min(wait, time.Until(expiresAt))
		}
		if err := core.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s: %w", op.Name, err)
		}
	}
}

// AuthURL is the consent page where the user approves this PIN:
// https://app.plex.tv/auth#?clientID=…&code=…&context%5Bdevice%5D%5Bproduct%5D=…
// with every value percent-encoded, and &forwardUrl=… when forwardURL is
// not "" (plex.tv sends the user there after approving).
func (p *Pin) AuthURL(forwardURL string) string {
	var b strings.Builder
	b.WriteString(AuthAppURL)
	b.WriteString("#?clientID=")
	b.WriteString(fragmentEscape(p.ClientIdentifier))
	b.WriteString("&code=")
	b.WriteString(fragmentEscape(p.Code))
	if p.Product != "" {
		b.WriteString("&context%5Bdevice%5D%5Bproduct%5D=")
		b.WriteString(fragmentEscape(p.Product))
	}
	if forwardURL != "" {
		b.WriteString("&forwardUrl=")
		b.WriteString(fragmentEscape(forwardURL))
	}
	return b.String()
}

// fragmentEscape percent-encodes a value, a space as %20: "+" means a space
// only to some parsers of a fragment.
func fragmentEscape(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }

// noContentType removes the empty Content-Type the generated client sets
// for a request without a body (the classic PIN is created with none).
func noContentType(_ context.Context, req *http.Request) error {
	if req.Header.Get("Content-Type") == "" {
		req.Header.Del("Content-Type")
	}
	return nil
}

// Pin is a PIN for password-less sign-in (CreatePin, GetPin, WaitForPin).
type Pin struct {
	// ID identifies the PIN in GetPin.
	ID int64 `json:"id"`
	// Code is what the user approves: on the consent page (AuthURL) for a
	// strong PIN, or typed at https://plex.tv/link for a short one.
	Code string `json:"code"`
	// ClientIdentifier is the client the PIN was made for.
	ClientIdentifier string `json:"clientIdentifier"`
	// Product is the product name shown to the user on the consent page.
	Product string `json:"product"`
	// ExpiresAt is when the PIN expires; zero when plex.tv did not say.
	ExpiresAt time.Time `json:"expiresAt"`
	// AuthToken is "" until the user approves; then the account token (a secret).
	AuthToken sdk.Secret `json:"authToken"`
}
