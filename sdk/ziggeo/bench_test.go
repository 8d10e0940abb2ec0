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

// floorEncrypt is what any generator must do per token: a random IV, pad,
// AES-256-CBC over the finished plaintext, hex. The key schedule and the
// plaintext are ready-made; nothing is allocated but the result.
func floorEncrypt(block cipher.Block, mode cipher.BlockMode, plain []byte, buf []byte) string {
	var ivRaw [8]byte
	_, _ = rand.Read(ivRaw[:])
	var iv [16]byte
	hex.Encode(iv[:], ivRaw[:])
	buf = append(buf[:0], plain...)
	pad := aes.BlockSize - len(buf)%aes.BlockSize
	for range pad {
		buf = append(buf, byte(pad))
	}
	mode.(interface{ SetIV([]byte) }).SetIV(iv[:])
	mode.CryptBlocks(buf, buf)
	out := make([]byte, 16+hex.EncodedLen(len(buf)))
	copy(out, iv[:])
	hex.Encode(out[16:], buf)
	return string(out)
}

// BenchmarkGenerate compares Auth.Generate with the floor (encryption of
// a ready plaintext) and with the naive implementation above.
func BenchmarkGenerate(b *testing.B) {
	const app, key = "1a2b3c4d5e6f7a8b9c0d", "my-encryption-key"
	b.Run("floor=aes-cbc+hex", func(b *testing.B) {
		block := newTokenCipher(key)
		mode := cipher.NewCBCEncrypter(block, make([]byte, 16))
		plain := append(append(benchParams.appendFields([]byte{'{'}), newAuth(app, block).tail...), `1764000000000530242871"}`...)
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			_ = floorEncrypt(block, mode, plain, buf)
		}
	})
	b.Run("naive", func(b *testing.B) {
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
