package ziggeo

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
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

// floorEncrypt is what any generator must do per token: build the
// plaintext (the fields, known in advance here and so one copy, then the
// nonce: the time and a random number), pad it, a random IV, AES-256-CBC,
// hex. The key schedule and the buffers are ready-made (in f); nothing is
// allocated but the result.
func floorEncrypt(mode cipher.BlockMode, fields []byte, f *floorState) string {
	buf := append(f.buf[:0], fields...)
	buf = strconv.AppendInt(buf, time.Now().UnixMilli(), 10)
	buf = strconv.AppendUint(buf, mrand.Uint64N(1e9), 10)
	buf = append(buf, `"}`...)
	_, _ = rand.Read(f.ivRaw[:])
	iv := f.iv[:]
	hex.Encode(iv, f.ivRaw[:])
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

// BenchmarkGenerate compares Auth.Generate with the floor (the same
// plaintext built with its fields known in advance, then encrypted) and
// with the naive implementation above.
func BenchmarkGenerate(b *testing.B) {
	const app, key = "1a2b3c4d5e6f7a8b9c0d", "my-encryption-key"
	b.Run("floor=plaintext+aes-cbc+hex", func(b *testing.B) {
		block := newTokenCipher(key)
		mode := cipher.NewCBCEncrypter(block, make([]byte, 16))
		fields := append(benchParams.appendFields([]byte{'{'}), newAuth(app, block).tail...) // up to the nonce
		f := &floorState{buf: make([]byte, 0, 512), hex: make([]byte, 0, 1024)}
		b.ReportAllocs()
		for b.Loop() {
			_ = floorEncrypt(mode, fields, f)
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
