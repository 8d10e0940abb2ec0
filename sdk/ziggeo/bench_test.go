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
	"strings"
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
// AES-256-CBC over the finished plaintext, hex. The key schedule, the
// plaintext and the buffers are ready-made (in f); nothing is allocated
// but the result.
func floorEncrypt(mode cipher.BlockMode, plain []byte, f *floorState) string {
	_, _ = rand.Read(f.ivRaw[:])
	iv := f.iv[:]
	hex.Encode(iv, f.ivRaw[:])
	buf := append(f.buf[:0], plain...)
	pad := aes.BlockSize - len(buf)%aes.BlockSize
	for range pad {
		buf = append(buf, byte(pad))
	}
	mode.(interface{ SetIV([]byte) }).SetIV(iv)
	mode.CryptBlocks(buf, buf)
	hx := hex.AppendEncode(f.hex[:0], buf)
	var sb strings.Builder
	sb.Grow(len(iv) + len(hx))
	sb.Write(iv)
	sb.Write(hx)
	f.buf, f.hex = buf, hx
	return sb.String()
}

// floorState holds the floor's reused buffers, the IV's too: passed
// through an interface (rand.Read, SetIV), a local array would escape.
type floorState struct {
	ivRaw    [8]byte
	iv       [16]byte
	buf, hex []byte
}

// BenchmarkGenerate compares Auth.Generate with the floor (encryption of
// a ready plaintext) and with the naive implementation above.
func BenchmarkGenerate(b *testing.B) {
	const app, key = "1a2b3c4d5e6f7a8b9c0d", "my-encryption-key"
	b.Run("floor=aes-cbc+hex", func(b *testing.B) {
		block := newTokenCipher(key)
		mode := cipher.NewCBCEncrypter(block, make([]byte, 16))
		plain := append(append(benchParams.appendFields([]byte{'{'}), newAuth(app, block).tail...), `1764000000000530242871"}`...)
		f := &floorState{buf: make([]byte, 0, 512), hex: make([]byte, 0, 1024)}
		b.ReportAllocs()
		for b.Loop() {
			_ = floorEncrypt(mode, plain, f)
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
