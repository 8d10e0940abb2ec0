package ziggeo

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

type vector struct {
	Name             string          `json:"name"`
	ApplicationToken string          `json:"application_token"`
	EncryptionKey    string          `json:"encryption_key"`
	Options          json.RawMessage `json:"options"`
	IV               string          `json:"iv"`
	Plaintext        string          `json:"plaintext"`
	Token            string          `json:"token"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	raw, err := os.ReadFile("testdata/token-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Vectors []vector }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return f.Vectors
}

// paramsFromOptions maps the Node SDK's options object onto AuthTokenParams.
func paramsFromOptions(t testing.TB, raw json.RawMessage) AuthTokenParams {
	t.Helper()
	var o struct {
		Grants              *string
		SessionLimit        *int64 `json:"session_limit"`
		ExpirationDate      *int64 `json:"expiration_date"`
		UsageExpirationTime *int64 `json:"usage_expiration_time"`
		Hidden, Volatile    *bool
	}
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
	}
	p := AuthTokenParams{SessionLimit: o.SessionLimit, ExpirationDate: o.ExpirationDate, UsageExpirationTime: o.UsageExpirationTime, Hidden: o.Hidden, Volatile: o.Volatile}
	if o.Grants != nil {
		var g map[string]map[string]bool
		if err := json.Unmarshal([]byte(*o.Grants), &g); err != nil {
			t.Fatal(err)
		}
		grant := func(m map[string]bool) *Grant {
			if m == nil {
				return nil
			}
			return &Grant{All: m["all"], Session: m["session"], Owned: m["owned"], SessionOwned: m["session_owned"]}
		}
		p.Grants = &Grants{Read: grant(g["read"]), Create: grant(g["create"]), Update: grant(g["update"]), Destroy: grant(g["destroy"])}
	}
	return p
}

// independentDecrypt is written from the wire description alone, sharing no
// code with DecryptToken: key = md5 hex text, IV = the 16 leading characters.
func independentDecrypt(t testing.TB, encKey, token string) string {
	t.Helper()
	sum := md5.Sum([]byte(encKey))
	block, err := aes.NewCipher([]byte(fmt.Sprintf("%x", sum)))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := hex.DecodeString(token[16:])
	if err != nil {
		t.Fatal(err)
	}
	cipher.NewCBCDecrypter(block, []byte(token[:16])).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	if pad < 1 || pad > 16 || !bytes.Equal(ct[len(ct)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		t.Fatalf("bad PKCS#7 padding in %x", ct)
	}
	return string(ct[:len(ct)-pad])
}

func TestVectorsDecrypt(t *testing.T) {
	for _, v := range loadVectors(t) {
		got, err := DecryptToken(v.EncryptionKey, v.Token)
		if err != nil || string(got) != v.Plaintext {
			t.Errorf("%s: DecryptToken = %q, %v; want %q", v.Name, got, err, v.Plaintext)
		}
	}
}

// With the Node SDK's randomness fixed, our tokens are byte-identical.
func TestVectorsEncryptByteIdentical(t *testing.T) {
	for _, v := range loadVectors(t) {
		var nonce struct{ Nonce string }
		if err := json.Unmarshal([]byte(v.Plaintext), &nonce); err != nil {
			t.Fatal(err)
		}
		c, err := New(v.ApplicationToken, "pk", WithEncryptionKey(v.EncryptionKey))
		if err != nil {
			t.Fatal(err)
		}
		var iv [16]byte
		copy(iv[:], v.IV)
		got := c.Auth.encrypt(paramsFromOptions(t, v.Options), []byte(nonce.Nonce), iv)
		if got != v.Token {
			t.Errorf("%s:\n got  %s\n want %s\n plaintext %s", v.Name, got, v.Token, independentDecrypt(t, v.EncryptionKey, got))
		}
	}
}

func TestGenerateRoundTripsThroughIndependentDecryption(t *testing.T) {
	c, err := New("r1appé😀<&>", "pk", WithEncryptionKey("k€y"))
	if err != nil {
		t.Fatal(err)
	}
	p := AuthTokenParams{
		Volatile: Bool(true), Hidden: Bool(false), ExpirationDate: Int64(1893456000), UsageExpirationTime: Int64(3600), SessionLimit: Int64(2),
		Grants: &Grants{Read: &Grant{All: true}, Update: &Grant{Owned: true, Session: true}},
	}
	seen := map[string]bool{}
	for range 20 {
		tok, err := c.Auth.Generate(p)
		if err != nil {
			t.Fatal(err)
		}
		if seen[tok] || strings.ToLower(tok) != tok || len(tok)%32 != 16 {
			t.Fatalf("token %q repeated, not lowercase hex or wrong length", tok)
		}
		seen[tok] = true
		plain := independentDecrypt(t, "k€y", tok)
		for _, r := range plain {
			if r > 0x7f {
				t.Fatalf("plaintext not ASCII: %s", plain)
			}
		}
		var got struct {
			Grants              string
			SessionLimit        int64 `json:"session_limit"`
			ExpirationDate      int64 `json:"expiration_date"`
			UsageExpirationTime int64 `json:"usage_expiration_time"`
			Hidden, Volatile    bool
			ApplicationToken    string `json:"application_token"`
			Nonce               string
		}
		if err := json.Unmarshal([]byte(plain), &got); err != nil {
			t.Fatal(err)
		}
		if got.ApplicationToken != "r1appé😀<&>" || got.Grants != `{"read":{"all":true},"update":{"session":true,"owned":true}}` ||
			got.SessionLimit != 2 || got.ExpirationDate != 1893456000 || got.UsageExpirationTime != 3600 || !got.Volatile || got.Hidden {
			t.Fatalf("decoded %+v from %s", got, plain)
		}
		if strings.Trim(got.Nonce, "0123456789") != "" || len(got.Nonce) < 14 {
			t.Fatalf("nonce %q is not a string of digits", got.Nonce)
		}
		if mine, err := DecryptToken("k€y", tok); err != nil || string(mine) != plain {
			t.Fatalf("DecryptToken disagrees: %q %v", mine, err)
		}
	}
}

func TestGenerateNeedsEncryptionKey(t *testing.T) {
	c, err := New("app", "pk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.Generate(AuthTokenParams{}); !errors.Is(err, ErrNoEncryptionKey) {
		t.Fatalf("err = %v", err)
	}
	c, _ = New("app", "pk", WithEncryptionKey("k"))
	if _, err := c.Auth.Generate(AuthTokenParams{SessionLimit: Int64(-1)}); err == nil {
		t.Fatal("negative session limit accepted")
	}
}

func TestDecryptTokenBadInput(t *testing.T) {
	v := loadVectors(t)[1]
	const key = "the-encryption-key-42"
	cases := map[string]string{
		"empty":      "",
		"short":      "abcd",
		"iv only":    v.Token[:16],
		"odd hex":    v.Token[:len(v.Token)-1],
		"not hex":    v.Token[:20] + "zz" + v.Token[22:],
		"iv not hex": "zz" + v.Token[2:],
		"wrong key":  v.Token,
		"truncated":  v.Token[:16+32],
		"flipped":    v.Token[:len(v.Token)-2] + "00",
	}
	for name, tok := range cases {
		_, err := DecryptToken(key, tok)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), key) {
			t.Errorf("%s: key in error %q", name, err)
		}
	}
	if _, err := DecryptToken("", v.Token); err == nil {
		t.Error("wrong (empty) key accepted")
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	for _, c := range []struct{ app, key string }{{"", "pk"}, {"  ", "pk"}, {"app\x00", "pk"}, {"app", "pk\x7f"}, {"app", "pk\n"}} {
		if _, err := New(c.app, c.key); err == nil {
			t.Errorf("New(%q, %q) accepted", c.app, c.key)
		}
	}
	if _, err := New("app", "pk", WithServerURL("ftp://x")); err == nil || !strings.Contains(err.Error(), "ziggeo.WithServerURL") {
		t.Errorf("bad server URL: %v", err)
	}
	if _, err := New("app", "pk", WithRetryConfig(sdkRetry("bogus"))); err == nil {
		t.Error("bad retry strategy accepted")
	}
}

func TestGeneratorOnlyClient(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c, err := New("app", "", WithEncryptionKey("k"), WithServerURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Auth.Generate(AuthTokenParams{SessionLimit: Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecryptToken("k", tok); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, errGet := c.AuthTokens.Get(ctx, "tok")
	_, errCreate := c.AuthTokens.Create(ctx, AuthTokenParams{})
	_, errUpdate := c.AuthTokens.Update(ctx, "tok", AuthTokenParams{})
	errDelete := c.AuthTokens.Delete(ctx, "tok")
	for _, err := range []error{errGet, errCreate, errUpdate, errDelete} {
		if err == nil || !strings.Contains(err.Error(), "no private key") {
			t.Errorf("call without a private key: %v", err)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests sent without a private key", hits.Load())
	}
}

func TestServerURLFor(t *testing.T) {
	for tok, want := range map[string]string{"r1abc": "https://srv-api-eu-west-1.ziggeo.com", "abc": DefaultServerURL, "1r": DefaultServerURL} {
		if got := ServerURLFor(tok); got != want {
			t.Errorf("%s: %s, want %s", tok, got, want)
		}
	}
}

func TestClientFormatHidesSecrets(t *testing.T) {
	c, err := New("app-token-1", "private-key-secret", WithEncryptionKey("encryption-key-secret"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{c, *c, c.AuthTokens, c.Auth, *c.AuthTokens, *c.Auth} {
			out := fmt.Sprintf(f, v)
			if strings.Contains(out, "secret") {
				t.Fatalf("%s of %T leaks: %s", f, v, out)
			}
		}
	}
}
