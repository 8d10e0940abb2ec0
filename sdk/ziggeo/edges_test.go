package ziggeo

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// DecryptToken answers bad padding and bad JSON alike: no padding oracle.
func TestDecryptTokenGivesOneErrorForPaddingAndJSON(t *testing.T) {
	const key = "k"
	iv := []byte("0123456789abcdef")
	encrypt := func(plain []byte) string {
		ct := append([]byte(nil), plain...)
		cipher.NewCBCEncrypter(newTokenCipher(key), iv).CryptBlocks(ct, ct)
		return string(iv) + hex.EncodeToString(ct)
	}
	badPadding := bytes.Repeat([]byte{'a'}, 2*aes.BlockSize) // last byte 'a' is no valid padding
	notJSON := append(bytes.Repeat([]byte{'x'}, aes.BlockSize+12), 4, 4, 4, 4)
	_, errPad := DecryptToken(key, encrypt(badPadding))
	_, errJSON := DecryptToken(key, encrypt(notJSON))
	if errPad == nil || errJSON == nil || errPad.Error() != errJSON.Error() {
		t.Fatalf("padding: %v; JSON: %v", errPad, errJSON)
	}
}

// A 2xx without a token is an error, not an empty success.
func TestAnswerWithoutTokenIsAnError(t *testing.T) {
	for _, body := range []string{"null", "{}", `{"token":""}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		c, err := New("app", "pk", WithServerURL(srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		if tok, err := c.AuthTokens.Get(context.Background(), "tok"); err == nil {
			t.Errorf("%s: got %v", body, tok)
		}
		if tok, err := c.AuthTokens.Create(context.Background(), AuthTokenParams{}); err == nil {
			t.Errorf("%s: created %v", body, tok)
		}
		srv.Close()
	}
}

// Grants decode in both shapes Ziggeo's material shows, into the type the
// params use, so a token's grants can be sent back as they are.
func TestGrantsDecodeBothShapes(t *testing.T) {
	for _, body := range []string{
		`{"token":"t","grants":{"read":{"all":true},"destroy":{"session_owned":true}}}`,
		`{"token":"t","grants":{"read":"all","destroy":"session_owned"}}`,
		`{"token":"t","grants":"{\"read\":{\"all\":true},\"destroy\":{\"session_owned\":true}}"}`,
	} {
		var tok AuthToken
		if err := json.Unmarshal([]byte(body), &tok); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if tok.Grants == nil || tok.Grants.Read == nil || !tok.Grants.Read.All || !tok.Grants.Destroy.SessionOwned || tok.Grants.Create != nil {
			t.Fatalf("%s: %+v", body, tok.Grants)
		}
		p := AuthTokenParams{Grants: tok.Grants}
		if f, _ := p.form(); *f.Grants != `{"read":{"all":true},"destroy":{"session_owned":true}}` {
			t.Fatalf("grants sent back as %s", *f.Grants)
		}
	}
}

// Values holding credentials never show them: fmt verbs, slog JSON and
// text, json.Marshal.
func TestCredentialsNeverPrint(t *testing.T) {
	c, err := New("app-token", "private-key-SECRET", WithEncryptionKey("encryption-key-SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	tok := AuthToken{Token: "auth-token-value-SECRET"}
	for _, v := range []any{c, *c, c.AuthTokens, *c.AuthTokens, c.Auth, *c.Auth, tok, &tok} {
		var b bytes.Buffer
		slog.New(slog.NewJSONHandler(&b, nil)).Info("v", "v", v)
		slog.New(slog.NewTextHandler(&b, nil)).Info("v", "v", v)
		j, _ := json.Marshal(v)
		if _, isTok := v.(AuthToken); isTok {
			j = nil // results marshal their token on purpose
		}
		if _, isTok := v.(*AuthToken); isTok {
			j = nil
		}
		out := b.String() + string(j)
		for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
			out += " " + fmt.Sprintf(f, v)
		}
		if strings.Contains(out, "SECRET") || strings.Contains(out, "cHJpdmF0ZS1rZXkt") {
			t.Errorf("%T leaks: %s", v, out)
		}
	}
}
