package plex

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// Codes plex.tv puts in errors[].code.
const (
	CodeBadCredentials           = 1001 // bad credentials or token (with 401)
	CodeRateLimited              = 1003 // "API rate limit exceeded" (with 429)
	CodePinExpired               = 1020 // PIN not found or expired (with 404)
	CodeInvalidVerificationCode  = 1028 // the two-factor code is wrong (with 401)
	CodeVerificationCodeRequired = 1029 // a two-factor code is needed (with 401)
	CodeSignInLocked             = 1031 // sign-in lockout after repeated failures (with 401); lasts hours
	CodePinRequired              = 1041 // a Home profile's PIN is missing or wrong (with 403)
	CodeDeviceMismatch           = 1097 // a device JWT's iss is not the device the key is bound to
)

// Sentinels for errors.Is. The error itself stays an *sdk.APIError (or a
// typed error that unwraps to one) with the status, body and message.
var (
	// ErrVerificationCodeRequired matches a 401 that asks for a two-factor
	// verification code (code 1029): call again with VerificationCode.
	ErrVerificationCodeRequired = errors.New("plex: two-factor verification code required")
	// ErrInvalidToken matches a call whose token was refused: 401 (code 1001
	// or no code), 422 "Invalid token", or 498 (a Plex JWT that expired). The
	// token is no good: get another. A lockout, a rate limit, a 5xx or a
	// network failure says nothing about the token and never matches, so a
	// service that drops its token on ErrInvalidToken never drops a good one.
	ErrInvalidToken = errors.New("plex: invalid or revoked token")
	// ErrThrottled matches 429, plex.tv's rate limit (code 1003, "API rate
	// limit exceeded"): slow down and try later.
	ErrThrottled = errors.New("plex: rate limited")
	// ErrSignInLocked matches code 1031 ("This IP appears to be having
	// trouble signing in"): plex.tv refuses sign-ins from this address after
	// repeated failures, for hours. It is never retried and matches neither
	// ErrThrottled nor ErrInvalidToken: wait, do not try again now.
	ErrSignInLocked = errors.New("plex: sign-in locked after repeated failures; wait before trying again")
	// ErrPinExpired matches GetPin, WaitForPin and WaitForJWTPin after the
	// PIN expired: 404 with code 1020, or past its expiry. A 404 without code
	// 1020 (an HTML page from a wrong base URL) is a plain *sdk.APIError.
	ErrPinExpired = errors.New("plex: PIN expired")
	// ErrKeyRegistered matches RegisterDeviceKey's 422 "Thumbprint Already
	// Taken": the key is registered already, by this client earlier or by
	// another device. It is not a success: use a new key, or go on
	// exchanging if this client registered it.
	ErrKeyRegistered = errors.New("plex: device key already registered")
	// ErrPinRequired matches SwitchHomeUser's 403 with code 1041: the
	// profile's PIN is missing or wrong. Ask the user for it; never retry
	// the same PIN.
	ErrPinRequired = errors.New("plex: the profile's PIN is missing or wrong")
	// ErrDeviceMismatch matches code 1097: the device key is bound to
	// another device, or the client identifier signing with it is not the
	// one it was registered for (as reported in 2026: POST /auth/jwk binds
	// the key to the device owning the token used). Never ErrInvalidToken:
	// sign with the client identifier the key was registered under, or
	// register a new key (JWT sign-in by PIN binds it to this device).
	ErrDeviceMismatch = errors.New("plex: the device key is bound to another device, or the client identifier does not match it")
	// ErrKeyNotRegistered matches an exchange (ExchangeDeviceJWT, a
	// JWTSource's refresh) that clients.plex.tv refused because it does not
	// know the device key: 422 other than "Thumbprint Already Taken" (its
	// message is "Unknown key"), or 401. The key was never registered, or
	// the user removed the device: a person must sign in again (JWT sign-in
	// by PIN, or RegisterDeviceKey with an account token). Retrying does not
	// help.
	ErrKeyNotRegistered = errors.New("plex: the device key is not registered with plex.tv; a person must sign in again")
	// ErrServerRefusesJWT matches a Plex Media Server's 401 to a Plex JWT
	// (WithAccessToken, or a resource's accessToken, shaped like a JWT):
	// for accounts signed in with a JWT, plex.tv can list a JWT as an owned
	// server's accessToken, and servers refuse it (field reports of 2026).
	// It says nothing about the token's worth elsewhere and does not match
	// ErrInvalidToken. Keep a legacy (non-JWT) token for server access — a
	// password or PIN sign-in's account token, or GetServerResources with
	// it — as streamarr does.
	ErrServerRefusesJWT = errors.New("plex: the Plex Media Server refuses Plex JWTs")
)

// serverRefusal turns a Plex Media Server's 401 to a JWT into
// ErrServerRefusesJWT: a plain 401 would read as "token invalid".
func (a *Authentication) serverRefusal(err error) error {
	var api *sdk.APIError
	if !looksLikeJWT(a.accessToken) || !errors.As(err, &api) || api.StatusCode != http.StatusUnauthorized {
		return err
	}
	return &jwtRefusedError{api}
}

// jwtRefusedError is ErrServerRefusesJWT; it unwraps to the server's answer
// (and so never to ErrInvalidToken).
type jwtRefusedError struct{ api *sdk.APIError }

func (e *jwtRefusedError) Error() string {
	return e.api.Error() + " (the server refuses Plex JWTs: use a legacy, non-JWT token for server access)"
}
func (e *jwtRefusedError) Is(target error) bool { return target == ErrServerRefusesJWT }
func (e *jwtRefusedError) Unwrap() error        { return e.api }

// ErrorDetail is one entry of a Plex error body's errors[]. Message is
// cleaned of control characters and secrets.
type ErrorDetail struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

// BadRequestError is a 400 with Plex's JSON error body.
type BadRequestError struct {
	Errors   []ErrorDetail
	APIError *sdk.APIError
	match    []error
}

// Error reports the operation, status and messages.
func (e *BadRequestError) Error() string { return e.APIError.Error() }

// Unwrap returns the underlying *sdk.APIError.
func (e *BadRequestError) Unwrap() error { return e.APIError }

// Is matches the sentinels that apply (ErrSignInLocked for code 1031).
func (e *BadRequestError) Is(target error) bool { return contains(e.match, target) }

// UnauthorizedError is a 401 with Plex's JSON error body.
type UnauthorizedError struct {
	Errors   []ErrorDetail
	APIError *sdk.APIError
	match    []error
}

// Error reports the operation, status and messages.
func (e *UnauthorizedError) Error() string { return e.APIError.Error() }

// Unwrap returns the underlying *sdk.APIError.
func (e *UnauthorizedError) Unwrap() error { return e.APIError }

// Is matches ErrVerificationCodeRequired when plex.tv asked for a 2FA code,
// ErrSignInLocked for a lockout, ErrInvalidToken when a token call was refused.
func (e *UnauthorizedError) Is(target error) bool { return contains(e.match, target) }

// statusError is any other status that a sentinel matches; it unwraps to
// the *sdk.APIError.
type statusError struct {
	*sdk.APIError
	match []error
}

func (e *statusError) Unwrap() error        { return e.APIError }
func (e *statusError) Is(target error) bool { return contains(e.match, target) }

func contains(list []error, target error) bool {
	for _, e := range list {
		if e == target {
			return true
		}
	}
	return false
}

// HasCode reports whether any detail carries code.
func HasCode(details []ErrorDetail, code int) bool {
	for _, d := range details {
		if d.Code == code {
			return true
		}
	}
	return false
}

// ParseErrorBody decodes Plex's {"errors":[…]} body; ok is false for
// anything else (HTML, text, other JSON). Messages come back cleaned: one
// line, no control or bidi characters, bounded.
func ParseErrorBody(contentType string, body []byte) (details []ErrorDetail, ok bool) {
	if mt, _, _ := mime.ParseMediaType(contentType); contentType != "" && !strings.Contains(mt, "json") {
		return nil, false
	}
	var v struct {
		Errors []ErrorDetail `json:"errors"`
	}
	if err := json.Unmarshal(body, &v); err != nil || len(v.Errors) == 0 {
		return nil, false
	}
	for i := range v.Errors {
		v.Errors[i].Message = core.Clip(core.Clean(v.Errors[i].Message))
	}
	return v.Errors, true
}

// statusInvalidJWT is plex.tv's answer to an expired Plex JWT.
const statusInvalidJWT = 498

// mapError turns answers into typed errors and attaches the sentinels that
// match; everything stays unwrappable to the *sdk.APIError (its Body
// already has the client's secrets redacted).
func mapError(e *sdk.APIError) error {
	details, hasDetails := ParseErrorBody(e.ContentType, e.Body)
	var match []error
	switch {
	case HasCode(details, CodeSignInLocked):
		match = append(match, ErrSignInLocked)
	case HasCode(details, CodeDeviceMismatch):
		match = append(match, ErrDeviceMismatch)
	case e.Operation == opExchange.Name && (e.StatusCode == http.StatusUnauthorized ||
		e.StatusCode == http.StatusUnprocessableEntity && !mentions(e, "thumbprint already taken")):
		match = append(match, ErrKeyNotRegistered)
	case e.StatusCode == http.StatusUnauthorized && HasCode(details, CodeVerificationCodeRequired):
		match = append(match, ErrVerificationCodeRequired)
	case e.StatusCode == http.StatusForbidden && HasCode(details, CodePinRequired):
		match = append(match, ErrPinRequired)
	case e.StatusCode == http.StatusTooManyRequests:
		match = append(match, ErrThrottled)
	case e.StatusCode == http.StatusUnauthorized && sendsToken[e.Operation] &&
		(!hasDetails || HasCode(details, CodeBadCredentials)):
		match = append(match, ErrInvalidToken)
	case e.StatusCode == statusInvalidJWT:
		match = append(match, ErrInvalidToken)
	case e.StatusCode == http.StatusUnprocessableEntity && mentions(e, "thumbprint already taken"):
		match = append(match, ErrKeyRegistered)
	case e.StatusCode == http.StatusUnprocessableEntity && mentions(e, "invalid token"):
		match = append(match, ErrInvalidToken)
	case e.StatusCode == http.StatusNotFound && HasCode(details, CodePinExpired):
		match = append(match, ErrPinExpired)
	}
	var typed error
	switch {
	case e.StatusCode == http.StatusBadRequest && hasDetails:
		typed = &BadRequestError{Errors: details, APIError: e, match: match}
	case e.StatusCode == http.StatusUnauthorized && hasDetails:
		typed = &UnauthorizedError{Errors: details, APIError: e, match: match}
	case len(match) > 0:
		typed = &statusError{APIError: e, match: match}
	default:
		return e
	}
	if contains(match, ErrKeyNotRegistered) {
		return &hintError{typed, "clients.plex.tv does not know this device key: sign in again (JWT sign-in by PIN) or register the key with an account token"}
	}
	if contains(match, ErrDeviceMismatch) {
		return &hintError{typed, "the device key is bound to another device, or the client identifier does not match the one it was registered under"}
	}
	return typed
}

// hintError adds what to do to an error's text; errors.Is and errors.As see
// the error it wraps.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + " (" + e.hint + ")" }
func (e *hintError) Unwrap() error { return e.err }

// mentions reports whether the answer's message or body says phrase (any
// case, any body format: plex.tv answers XML to some clients).
func mentions(e *sdk.APIError, phrase string) bool {
	return strings.Contains(strings.ToLower(e.Message), phrase) ||
		strings.Contains(strings.ToLower(string(e.Body)), phrase)
}

// neverRetry says which answers a retry cannot help, whatever the retry
// configuration: a sign-in lockout (each try prolongs it) and a wrong Home
// PIN (each try is one more wrong PIN).
func neverRetry(status int, contentType string, body []byte) bool {
	if status < 400 || status == http.StatusServiceUnavailable {
		return false
	}
	details, _ := ParseErrorBody(contentType, body)
	return HasCode(details, CodeSignInLocked) || HasCode(details, CodePinRequired)
}
