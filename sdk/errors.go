package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxErrorBodyBytes is how much of an error response's body APIError keeps.
const MaxErrorBodyBytes = 64 << 10

// maxMessageLen bounds APIError.Message so one error stays one readable line.
const maxMessageLen = 300

// ErrResponseTooLarge is returned (wrapped) when a response body exceeds MaxResponseBytes.
var ErrResponseTooLarge = errors.New("response body exceeds the 16 MiB limit")

// APIError is a response with a status the operation does not treat as success.
type APIError struct {
	Operation   string // e.g. "ziggeo.AuthTokens.Get"
	StatusCode  int
	ContentType string
	Body        []byte // raw body, at most MaxErrorBodyBytes
	Message     string // the best human message found in the body
}

// Error reports the operation, the status and the message; never secrets.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Operation)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// newAPIError builds the error for a non-success response; scrub removes
// the client's secrets from the extracted message.
func newAPIError(op string, rsp *http.Response, body []byte, scrub func(string) string) *APIError {
	kept := body
	if len(kept) > MaxErrorBodyBytes {
		kept = kept[:MaxErrorBodyBytes]
	}
	ct := rsp.Header.Get("Content-Type")
	return &APIError{
		Operation:   op,
		StatusCode:  rsp.StatusCode,
		ContentType: ct,
		Body:        bytes.Clone(kept),
		Message:     scrub(extractMessage(ct, body)),
	}
}

// extractMessage finds a human message: JSON "errors[0].message", "message",
// "error" or "detail"; an HTML <title>; else the first line of text.
func extractMessage(contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return ""
	}
	if strings.Contains(mt, "json") || trimmed[0] == '{' {
		if m, ok := jsonMessage(trimmed); ok {
			return clip(m)
		}
	}
	if strings.Contains(mt, "html") || bytes.HasPrefix(trimmed, []byte("<")) {
		return clip(htmlTitle(trimmed))
	}
	if !utf8.Valid(trimmed) {
		return ""
	}
	line, _, _ := strings.Cut(string(trimmed), "\n")
	return clip(line)
}

func jsonMessage(body []byte) (string, bool) {
	var v struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
		Detail  string          `json:"detail"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "", false
	}
	var parts []string
	for _, e := range v.Errors {
		if e.Message != "" {
			parts = append(parts, e.Message)
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, "; "), true
	}
	if v.Message != "" {
		return v.Message, true
	}
	if len(v.Error) > 0 {
		var s string
		if json.Unmarshal(v.Error, &s) == nil && s != "" {
			return s, true
		}
		var o struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(v.Error, &o) == nil && o.Message != "" {
			return o.Message, true
		}
	}
	if v.Detail != "" {
		return v.Detail, true
	}
	return "", true
}

func htmlTitle(body []byte) string {
	lower := bytes.ToLower(body)
	i := bytes.Index(lower, []byte("<title>"))
	if i < 0 {
		return ""
	}
	rest := body[i+len("<title>"):]
	j := bytes.Index(bytes.ToLower(rest), []byte("</title>"))
	if j < 0 {
		return ""
	}
	return html.UnescapeString(string(bytes.TrimSpace(rest[:j])))
}

// clip makes s one printable line of bounded length.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxMessageLen {
		return s
	}
	cut := maxMessageLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
