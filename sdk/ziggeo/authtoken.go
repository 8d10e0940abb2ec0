package ziggeo

import (
	"bytes"
	"encoding/json"
	"fmt"

	"strings"

	"github.com/authsdk/authsdk/sdk"
)

// AuthToken is an auth token as the authtokens API returns it. Only Token
// is certain to be there; unknown fields are ignored. Its fields have the
// types of AuthTokenParams, so AuthTokenParams{Grants: tok.Grants} works.
// Token is an sdk.Secret: printed, logged or marshalled it shows REDACTED;
// string(tok.Token) is the value.
type AuthToken struct {
	// Token is the auth token itself, the value clients present.
	Token sdk.Secret `json:"token"`
	// Key is the optional name the token was created with; Get, Update and
	// Delete accept it in place of the token.
	Key string `json:"key,omitempty"`
	// Nonce is set by Ziggeo (read-only).
	Nonce string `json:"nonce,omitempty"`
	// Volatile tokens are deleted once expired or used up.
	Volatile *bool `json:"volatile,omitempty"`
	// Hidden tokens are left out of listings.
	Hidden *bool `json:"hidden,omitempty"`
	// ExpirationDate is the Unix time (seconds) after which the token is invalid.
	ExpirationDate *int64 `json:"expiration_date,omitempty"`
	// UsageExpirationTime is how many seconds the token stays valid after its first use.
	UsageExpirationTime *int64 `json:"usage_expiration_time,omitempty"`
	// SessionLimit is how many sessions may use the token.
	SessionLimit *int64 `json:"session_limit,omitempty"`
	// Grants says what the token may do.
	Grants *Grants `json:"grants,omitempty"`
}

// MarshalJSON writes the grants in the objects-per-action shape of the
// official SDKs: {"read":{"all":true}}.
func (g Grants) MarshalJSON() ([]byte, error) { return g.appendJSON(nil), nil }

// UnmarshalJSON reads grants in either shape Ziggeo's material shows:
// objects per action ({"read":{"all":true}}) or a scope string per action
// ({"read":"all"}); also the grants object sent as JSON text.
func (g *Grants) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var text string
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		if strings.TrimSpace(text) == "" {
			*g = Grants{}
			return nil
		}
		return g.UnmarshalJSON([]byte(text))
	}
	var m struct {
		Read, Create, Update, Destroy *Grant
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("ziggeo: grants: %w", err)
	}
	*g = Grants{Read: m.Read, Create: m.Create, Update: m.Update, Destroy: m.Destroy}
	return nil
}

// MarshalJSON writes the true scopes: {"all":true,"session_owned":true}.
func (g Grant) MarshalJSON() ([]byte, error) { return g.appendJSON(nil), nil }

// UnmarshalJSON reads a scope object ({"all":true}), a scope string
// ("all", "session", "owned", "session_owned", or several joined by
// commas), or true (= all).
func (g *Grant) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null" || string(b) == "false":
		*g = Grant{}
		return nil
	case string(b) == "true":
		*g = Grant{All: true}
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*g = Grant{}
		for _, scope := range strings.Split(s, ",") {
			switch strings.TrimSpace(scope) {
			case "all":
				g.All = true
			case "session":
				g.Session = true
			case "owned":
				g.Owned = true
			case "session_owned":
				g.SessionOwned = true
			}
		}
		return nil
	}
	var m struct {
		All          bool `json:"all"`
		Session      bool `json:"session"`
		Owned        bool `json:"owned"`
		SessionOwned bool `json:"session_owned"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("ziggeo: grant: %w", err)
	}
	*g = Grant(m)
	return nil
}
