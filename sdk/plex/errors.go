package plex

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/authsdk/authsdk/sdk"
)

// CodeVerificationCodeRequired is the errors[].code plex.tv answers when a
// sign-in needs a two-factor code.
const CodeVerificationCodeRequired = 1029

// ErrVerificationCodeRequired matches (errors.Is) a 401 that asks for a
// two-factor verification code.
var ErrVerificationCodeRequired = errors.New("plex: two-factor verification code required")

// ErrorDetail is one entry of a Plex error body's errors[].
type ErrorDetail struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  int    `json:"status"`
}

// BadRequestError is a 400 with Plex's JSON error body.
type BadRequestError struct {
	Errors   []ErrorDetail
	APIError *sdk.APIError
}

// Error reports the operation, status and messages.
func (e *BadRequestError) Error() string { return e.APIError.Error() }

// Unwrap returns the underlying *sdk.APIError.
func (e *BadRequestError) Unwrap() error { return e.APIError }

// UnauthorizedError is a 401 with Plex's JSON error body.
type UnauthorizedError struct {
	Errors   []ErrorDetail
	APIError *sdk.APIError
}

// Error reports the operation, status and messages.
func (e *UnauthorizedError) Error() string { return e.APIError.Error() }

// Unwrap returns the underlying *sdk.APIError.
func (e *UnauthorizedError) Unwrap() error { return e.APIError }

// Is matches ErrVerificationCodeRequired when plex.tv asked for a 2FA code.
func (e *UnauthorizedError) Is(target error) bool {
	return target == ErrVerificationCodeRequired && HasCode(e.Errors, CodeVerificationCodeRequired)
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
// anything else (HTML, text, other JSON).
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
	return v.Errors, true
}

// mapError turns 400 and 401 with Plex's JSON error body into typed errors;
// everything else stays an *sdk.APIError with the raw body.
func mapError(e *sdk.APIError) error {
	if e.StatusCode != http.StatusBadRequest && e.StatusCode != http.StatusUnauthorized {
		return e
	}
	details, ok := ParseErrorBody(e.ContentType, e.Body)
	if !ok {
		return e
	}
	if e.StatusCode == http.StatusBadRequest {
		return &BadRequestError{Errors: details, APIError: e}
	}
	return &UnauthorizedError{Errors: details, APIError: e}
}
