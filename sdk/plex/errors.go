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
	CodePinExpired               = 1020 // PIN not found or expired (with 404)
	CodeVerificationCodeRequired = 1029 // a two-factor code is needed (with 401)
	CodeThrottled                = 1031 // too many requests from this address
)

// Sentinels for errors.Is. The error itself stays an *sdk.APIError (or a
// typed error that unwraps to one) with the status, body and message.
var (
	// ErrVerificationCodeRequired matches a 401 that asks for a two-factor
	// verification code (code 1029): call again with VerificationCode.
	ErrVerificationCodeRequired = errors.New("plex: two-factor verification code required")
	// ErrInvalidToken matches a call with a token that plex.tv refused: 401
	// (code 1001) or 422 "Invalid token". The token is revoked or wrong; a
	// 5xx or a network failure says nothing about the token and does not match.
	ErrInvalidToken = errors.New("plex: invalid or revoked token")
	// ErrThrottled matches 429 or errors[].code 1031: slow down.
	ErrThrottled = errors.New("plex: too many requests")
	// ErrPinExpired matches GetPin or WaitForPin after the PIN expired
	// (404 with code 1020, or past its expiry).
	ErrPinExpired = errors.New("plex: PIN expired")
)

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

// Is matches the sentinels that apply (ErrThrottled for code 1031).
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
// ErrInvalidToken when a token call was refused.
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

// tokenOperations send a user's token: a 401 there means the token is bad.
var tokenOperations = map[string]bool{
	opTransient.Name: true, opSources.Name: true, opUser.Name: true,
	opResources.Name: true, opRegisterKey.Name: true,
}

// mapError turns answers into typed errors and attaches the sentinels that
// match; everything stays unwrappable to the *sdk.APIError (its Body
// already has the client's secrets redacted).
func mapError(e *sdk.APIError) error {
	details, hasDetails := ParseErrorBody(e.ContentType, e.Body)
	var match []error
	switch {
	case e.StatusCode == http.StatusUnauthorized && HasCode(details, CodeVerificationCodeRequired):
		match = append(match, ErrVerificationCodeRequired)
	case e.StatusCode == http.StatusUnauthorized && tokenOperations[e.Operation]:
		match = append(match, ErrInvalidToken)
	case e.StatusCode == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(e.Message+" "+string(e.Body)), "invalid token"):
		match = append(match, ErrInvalidToken)
	case e.StatusCode == http.StatusNotFound && (HasCode(details, CodePinExpired) || e.Operation == opGetPin.Name):
		match = append(match, ErrPinExpired)
	}
	if e.StatusCode == http.StatusTooManyRequests || HasCode(details, CodeThrottled) {
		match = append(match, ErrThrottled)
	}
	switch {
	case e.StatusCode == http.StatusBadRequest && hasDetails:
		return &BadRequestError{Errors: details, APIError: e, match: match}
	case e.StatusCode == http.StatusUnauthorized && hasDetails:
		return &UnauthorizedError{Errors: details, APIError: e, match: match}
	case len(match) > 0:
		return &statusError{APIError: e, match: match}
	}
	return e
}
