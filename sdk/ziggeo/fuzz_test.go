package ziggeo

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"testing"

	"github.com/oapi-codegen/runtime"
)

// FuzzDecryptToken: never panics; any token Generate makes round-trips.
func FuzzDecryptToken(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.EncryptionKey, v.Token, v.ApplicationToken, int64(1))
	}
	f.Add("k", "zz", "", int64(-1))
	f.Add("", "0000000000000000"+"00000000000000000000000000000000", "é\u2028\x00", int64(0))
	f.Fuzz(func(t *testing.T, key, token, app string, limit int64) {
		_, _ = DecryptToken(key, token)
		if app == "" {
			return
		}
		c, err := New(app, "pk", WithEncryptionKey(key))
		if err != nil {
			return
		}
		p := AuthTokenParams{SessionLimit: &limit, Grants: &Grants{Read: &Grant{All: limit%2 == 0}}}
		tok, err := c.Auth.Generate(p)
		if limit < 0 {
			if err == nil {
				t.Fatal("negative limit accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		plain, err := DecryptToken(key, tok)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			App   string `json:"application_token"`
			Limit int64  `json:"session_limit"`
		}
		if err := json.Unmarshal(plain, &got); err != nil || got.Limit != limit {
			t.Fatalf("%s: %v", plain, err)
		}
		if valid := []rune(app); string(valid) == app && got.App != app {
			t.Fatalf("app token %q came back as %q", app, got.App)
		}
	})
}

// FuzzParamsForm: the form encoding decodes back to the same values.
func FuzzParamsForm(f *testing.F) {
	f.Add(true, false, int64(1893456000), int64(3600), int64(5), uint8(0b1011))
	f.Add(false, true, int64(0), int64(0), int64(0), uint8(0))
	f.Fuzz(func(t *testing.T, vol, hid bool, exp, usage, limit int64, grantBits uint8) {
		p := AuthTokenParams{Volatile: &vol, Hidden: &hid, ExpirationDate: &exp, UsageExpirationTime: &usage, SessionLimit: &limit}
		if grantBits != 0 {
			p.Grants = &Grants{Read: &Grant{All: grantBits&1 != 0, Owned: grantBits&2 != 0}, Destroy: &Grant{SessionOwned: grantBits&4 != 0}}
		}
		form, err := p.form()
		if exp < 0 || usage < 0 || limit < 0 {
			if err == nil {
				t.Fatal("negative value accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		// Encode exactly as the generated client does, decode as a server would.
		v, err := runtime.MarshalForm(form, nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := url.ParseQuery(v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if back.Get("session_limit") != strconv.FormatInt(limit, 10) || back.Get("volatile") != strconv.FormatBool(vol) {
			t.Fatalf("round trip %v", back)
		}
		if p.Grants != nil {
			var g struct{ Read, Destroy map[string]bool }
			if err := json.Unmarshal([]byte(back.Get("grants")), &g); err != nil {
				t.Fatal(err)
			}
			if g.Read["all"] != p.Grants.Read.All || g.Read["owned"] != p.Grants.Read.Owned || g.Destroy["session_owned"] != p.Grants.Destroy.SessionOwned {
				t.Fatalf("grants %s", back.Get("grants"))
			}
		}
	})
}

// FuzzAuthTokenDecode: any answer body decodes or fails cleanly, and grants
// that decode write back as JSON that decodes to the same grants.
func FuzzAuthTokenDecode(f *testing.F) {
	for _, s := range []string{`{"token":"t","grants":{"read":{"all":true}}}`, `{"token":"t","grants":{"read":"all,session"}}`,
		`{"token":"t","grants":"{\"read\":{\"owned\":true}}"}`, `{"grants":true}`, `{"grants":{"read":1}}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var tok AuthToken
		if json.Unmarshal([]byte(body), &tok) != nil || tok.Grants == nil {
			return
		}
		b, err := json.Marshal(tok.Grants)
		if err != nil {
			t.Fatal(err)
		}
		var back Grants
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, *tok.Grants) {
			t.Fatalf("%s -> %s -> %+v (%v)", body, b, back, err)
		}
	})
}
