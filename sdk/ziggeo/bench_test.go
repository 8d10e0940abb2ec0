package ziggeo

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
)

var benchParams = AuthTokenParams{
	SessionLimit: Int64(1), Volatile: Bool(true),
	Grants: &Grants{Read: &Grant{All: true}, Create: &Grant{SessionOwned: true}, Destroy: &Grant{SessionOwned: true}},
}

// naiveGenerate is the straightforward port of the official SDKs: a map
// marshalled with encoding/json and a fresh AES key schedule per token.
func naiveGenerate(appToken, encKey string, grantsJSON string) string {
	m := map[string]any{
		"grants": grantsJSON, "session_limit": 1, "volatile": true,
		"application_token": appToken,
		"nonce":             strconv.FormatInt(time.Now().UnixMilli(), 10) + fmt.Sprint(time.Now().Nanosecond()),
	}
	plain, _ := json.Marshal(m)
	key := fmt.Sprintf("%x", md5.Sum([]byte(encKey)))
	block, _ := aes.NewCipher([]byte(key))
	ivRaw := make([]byte, 8)
	_, _ = rand.Read(ivRaw)
	iv := hex.EncodeToString(ivRaw)
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	for range pad {
		plain = append(plain, byte(pad))
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, []byte(iv)).CryptBlocks(out, plain)
	return iv + hex.EncodeToString(out)
}

// BenchmarkGenerate compares Auth.Generate with the naive implementation above.
func BenchmarkGenerate(b *testing.B) {
	const app, key = "1a2b3c4d5e6f7a8b9c0d", "my-encryption-key"
	b.Run("baseline=naive", func(b *testing.B) {
		grants := string(benchParams.Grants.appendJSON(nil))
		b.ReportAllocs()
		for b.Loop() {
			_ = naiveGenerate(app, key, grants)
		}
	})
	b.Run("Auth.Generate", func(b *testing.B) {
		c, err := New(app, "pk", WithEncryptionKey(key))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Auth.Generate(benchParams); err != nil {
				b.Fatal(err)
			}
		}
	})
}
