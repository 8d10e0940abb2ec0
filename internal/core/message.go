package core

import (
	"bytes"
	"encoding/json"
	"html"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/authsdk/authsdk/sdk"
)

// maxErrorBodyBytes is how much of an error answer's body APIError keeps.
const maxErrorBodyBytes = 64 << 10

// newAPIError builds the error for a non-success answer. The message is
// scrubbed, cleaned, then clipped (in that order, so no prefix of a secret
// survives a cut); the kept body has the secrets replaced too.
func newAPIError(op string, rsp *http.Response, body []byte, scrub func(string) string) *sdk.APIError {
	// Scrub the whole body before cutting it, so no prefix of a secret
	// survives at the cut.
	kept := scrub(string(body))
	if len(kept) > maxErrorBodyBytes {
		kept = kept[:maxErrorBodyBytes]
	}
	ct := rsp.Header.Get("Content-Type")
	return &sdk.APIError{
		Operation:   op,
		StatusCode:  rsp.StatusCode,
		ContentType: Clip(Clean(scrub(ct))),
		Body:        []byte(kept),
		Message:     Clip(Clean(scrub(extractMessage(ct, body)))),
	}
}

// extractMessage finds a human message: JSON "errors[].message", "message",
// "error" or "detail"; XML <error> elements (plex.tv without Accept: JSON);
// an HTML <title>; else the first line of text. Only a bounded prefix of a
// huge body is looked at.
func extractMessage(contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return ""
	}
	if strings.Contains(mt, "json") || trimmed[0] == '{' {
		if m, ok := jsonMessage(trimmed); ok {
			return bounded(m)
		}
	}
	if trimmed[0] == '<' {
		if m := between(trimmed, "<error>", "</error>"); m != "" {
			return bounded(html.UnescapeString(m))
		}
		if m := between(trimmed, "<title>", "</title>"); m != "" || strings.Contains(mt, "html") {
			return bounded(html.UnescapeString(m))
		}
	}
	if !utf8.Valid(trimmed) {
		return ""
	}
	line, _, _ := bytes.Cut(trimmed, []byte("\n"))
	return bounded(string(line))
}

// bounded keeps only a prefix of s long enough for a message, so an 8 MiB
// body never turns into an 8 MiB string on its way to Clip.
func bounded(s string) string {
	const keep = 4 * maxTextLen
	if len(s) > keep {
		return s[:keep]
	}
	return s
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
			parts = append(parts, bounded(e.Message))
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

// between returns the text between the first open and close tags (case-insensitive).
func between(body []byte, open, close string) string {
	lower := bytes.ToLower(body)
	i := bytes.Index(lower, []byte(open))
	if i < 0 {
		return ""
	}
	rest := body[i+len(open):]
	j := bytes.Index(bytes.ToLower(rest), []byte(close))
	if j < 0 {
		return ""
	}
	return string(bytes.TrimSpace(rest[:j]))
}
