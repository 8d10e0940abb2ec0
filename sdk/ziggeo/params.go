package ziggeo

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/authsdk/authsdk/gen/ziggeoapi"
)

// AuthTokenParams are the fields of an auth token to create, update or
// encrypt. Nil fields are left out.
type AuthTokenParams struct {
	Volatile, Hidden    *bool
	ExpirationDate      *int64 // Unix seconds after which the token is invalid
	UsageExpirationTime *int64 // seconds the token stays valid after first use
	SessionLimit        *int64 // sessions that may use the token
	Grants              *Grants
}

// Grants says what a token may do, per action.
type Grants struct {
	Read, Create, Update, Destroy *Grant
}

// Grant is the scope of one action.
type Grant struct {
	All, Session, Owned, SessionOwned bool
}

// Bool returns a pointer to v, for AuthTokenParams.
func Bool(v bool) *bool { return &v }

// Int64 returns a pointer to v, for AuthTokenParams.
func Int64(v int64) *int64 { return &v }

func (p AuthTokenParams) validate() error {
	switch {
	case p.ExpirationDate != nil && *p.ExpirationDate < 0:
		return fmt.Errorf("AuthTokenParams.ExpirationDate %w", errNegative)
	case p.UsageExpirationTime != nil && *p.UsageExpirationTime < 0:
		return fmt.Errorf("AuthTokenParams.UsageExpirationTime %w", errNegative)
	case p.SessionLimit != nil && *p.SessionLimit < 0:
		return fmt.Errorf("AuthTokenParams.SessionLimit %w", errNegative)
	}
	return nil
}

// form is the generated form body: flat, grants as JSON text.
func (p AuthTokenParams) form() (ziggeoapi.AuthTokenParams, error) {
	if err := p.validate(); err != nil {
		return ziggeoapi.AuthTokenParams{}, err
	}
	f := ziggeoapi.AuthTokenParams{
		Volatile:            p.Volatile,
		Hidden:              p.Hidden,
		ExpirationDate:      p.ExpirationDate,
		UsageExpirationTime: p.UsageExpirationTime,
		SessionLimit:        p.SessionLimit,
	}
	if p.Grants != nil {
		g := string(p.Grants.appendJSON(nil))
		f.Grants = &g
	}
	return f, nil
}

// appendJSON writes the grants as the official SDKs' demos do:
// {"read":{"all":true},"create":{"session_owned":true}} (set actions and
// true scopes only, in read/create/update/destroy order).
func (g *Grants) appendJSON(b []byte) []byte { return g.appendJSONQuoted(b, `"`) }

// appendJSONQuoted writes the grants with q as the quote: `\"` writes them
// already escaped for a JSON string (the token plaintext), in one pass.
func (g *Grants) appendJSONQuoted(b []byte, q string) []byte {
	keys := &actionKeys[0]
	if q == `\"` {
		keys = &actionKeys[1]
	}
	b = append(b, '{')
	first := true
	for i, grant := range [...]*Grant{g.Read, g.Create, g.Update, g.Destroy} {
		if grant == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		if q == `"` || q == `\"` {
			b = append(b, keys[i]...)
		} else {
			b = append(append(append(append(b, q...), actionNames[i]...), q...), ':')
		}
		b = grant.appendJSONQuoted(b, q)
	}
	return append(b, '}')
}

// actionNames are the grants' actions in order; actionKeys their JSON keys
// with the colon, [0] plain and [1] escaped for the plaintext's string.
var (
	actionNames = [...]string{"read", "create", "update", "destroy"}
	actionKeys  = func() (k [2][4]string) {
		for i, n := range actionNames {
			k[0][i], k[1][i] = `"`+n+`":`, `\"`+n+`\":`
		}
		return k
	}()
)

func (g *Grant) appendJSON(b []byte) []byte { return g.appendJSONQuoted(b, `"`) }

func (g *Grant) appendJSONQuoted(b []byte, q string) []byte {
	mask := 0
	for i, on := range [...]bool{g.All, g.Session, g.Owned, g.SessionOwned} {
		if on {
			mask |= 1 << i
		}
	}
	if q == `"` {
		return append(b, grantJSON[0][mask]...)
	}
	if q == `\"` {
		return append(b, grantJSON[1][mask]...)
	}
	return appendGrant(b, mask, q)
}

// grantJSON is every Grant's JSON, written once: [0] plain, [1] with its
// quotes escaped for the plaintext's grants string. Generate spent 15 % of
// its time writing these piece by piece.
var grantJSON = func() (t [2][16]string) {
	for mask := range 16 {
		t[0][mask] = string(appendGrant(nil, mask, `"`))
		t[1][mask] = string(appendGrant(nil, mask, `\"`))
	}
	return t
}()

// appendGrant writes the scopes set in mask (bit i: all, session, owned,
// session_owned) as a JSON object, q standing for each quote.
func appendGrant(b []byte, mask int, q string) []byte {
	b = append(b, '{')
	first := true
	for i, name := range [...]string{"all", "session", "owned", "session_owned"} {
		if mask&(1<<i) == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, q...)
		b = append(b, name...)
		b = append(b, q...)
		b = append(b, `:true`...)
	}
	return append(b, '}')
}

// appendFields writes the set fields, each followed by a comma, in the
// order the official SDKs' plaintexts have them.
func (p AuthTokenParams) appendFields(b []byte) []byte {
	if p.Grants != nil {
		b = append(b, `"grants":"`...)
		b = p.Grants.appendJSONQuoted(b, `\"`)
		b = append(b, `",`...)
	}
	b = appendIntField(b, "session_limit", p.SessionLimit)
	b = appendIntField(b, "expiration_date", p.ExpirationDate)
	b = appendIntField(b, "usage_expiration_time", p.UsageExpirationTime)
	b = appendBoolField(b, "hidden", p.Hidden)
	return appendBoolField(b, "volatile", p.Volatile)
}

func appendIntField(b []byte, name string, v *int64) []byte {
	if v == nil {
		return b
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	b = strconv.AppendInt(b, *v, 10)
	return append(b, ',')
}

func appendBoolField(b []byte, name string, v *bool) []byte {
	if v == nil {
		return b
	}
	b = append(b, '"')
	b = append(b, name...)
	b = append(b, `":`...)
	b = strconv.AppendBool(b, *v)
	return append(b, ',')
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string the way JSON.stringify and
// Python's json.dumps(ensure_ascii=True) agree on: no HTML escaping, control
// characters and every non-ASCII character as lowercase \uXXXX (UTF-16).
func appendJSONString(b []byte, s []byte) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		// Copy runs of plain ASCII in one append: the common case.
		start := i
		for i < len(s) && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\' {
			i++
		}
		b = append(b, s[start:i]...)
		if i == len(s) {
			break
		}
		c := s[i]
		if c < 0x80 {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			default:
				b = appendU(b, rune(c))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r > 0xFFFF {
			r -= 0x10000
			b = appendU(b, 0xD800+(r>>10))
			b = appendU(b, 0xDC00+(r&0x3FF))
		} else {
			b = appendU(b, r)
		}
		i += size
	}
	return append(b, '"')
}

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}
