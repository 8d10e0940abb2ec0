package ziggeo

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Auth generates encrypted client auth tokens (the official SDKs' auth.generate).
type Auth struct {
	appToken string
	block    cipher.Block // AES-256 key schedule, built once from the encryption key
}

// ErrNoEncryptionKey is returned by Generate on a client made without WithEncryptionKey.
var ErrNoEncryptionKey = errors.New("ziggeo: no encryption key (use ziggeo.WithEncryptionKey)")

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Generate returns an encrypted client auth token carrying p's set fields,
// the application token and a nonce, as Ziggeo's official SDKs make it.
// It works offline; it needs the client's encryption key.
func (a *Auth) Generate(p AuthTokenParams) (string, error) {
	if a.block == nil {
		return "", ErrNoEncryptionKey
	}
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("ziggeo.Auth.Generate: %w", err)
	}
	var ivRaw [8]byte
	_, _ = rand.Read(ivRaw[:]) // crypto/rand.Read never fails
	var iv [16]byte
	hex.Encode(iv[:], ivRaw[:])
	var nonce [40]byte
	n := strconv.AppendInt(nonce[:0], time.Now().UnixMilli(), 10)
	n = strconv.AppendUint(n, mrand.Uint64N(1e9), 10)
	return a.encrypt(p, string(n), iv), nil
}

// encrypt is Generate with the randomness given: iv is the 16 ASCII hex
// characters used as the IV bytes.
func (a *Auth) encrypt(p AuthTokenParams, nonce string, iv [16]byte) string {
	bp := bufPool.Get().(*[]byte)
	buf := p.appendPlaintext((*bp)[:0], a.appToken, nonce)
	pad := aes.BlockSize - len(buf)%aes.BlockSize
	for range pad {
		buf = append(buf, byte(pad))
	}
	cipher.NewCBCEncrypter(a.block, iv[:]).CryptBlocks(buf, buf)
	out := make([]byte, 16+hex.EncodedLen(len(buf)))
	copy(out, iv[:])
	hex.Encode(out[16:], buf)
	*bp = buf
	bufPool.Put(bp)
	return string(out)
}

// DecryptToken decrypts a client auth token made by Generate or any
// official Ziggeo SDK and returns its plaintext JSON. It never panics; bad
// input or a wrong key is an error that does not contain the key. An empty
// key is valid (the official SDKs accept one).
func DecryptToken(encryptionKey, token string) ([]byte, error) {
	const ivLen = 16
	if len(token) < ivLen+2*aes.BlockSize {
		return nil, fmt.Errorf("ziggeo.DecryptToken: token is %d characters, want at least %d", len(token), ivLen+2*aes.BlockSize)
	}
	if (len(token)-ivLen)%(2*aes.BlockSize) != 0 {
		return nil, fmt.Errorf("ziggeo.DecryptToken: ciphertext is %d hex characters, not whole AES blocks", len(token)-ivLen)
	}
	if _, err := hex.DecodeString(token[:ivLen]); err != nil {
		return nil, errors.New("ziggeo.DecryptToken: IV (first 16 characters) is not hex")
	}
	ct, err := hex.DecodeString(token[ivLen:])
	if err != nil {
		return nil, errors.New("ziggeo.DecryptToken: ciphertext is not hex")
	}
	cipher.NewCBCDecrypter(newTokenCipher(encryptionKey), []byte(token[:ivLen])).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errors.New("ziggeo.DecryptToken: bad padding (wrong encryption key or damaged token)")
	}
	for _, b := range ct[len(ct)-pad:] {
		if int(b) != pad {
			return nil, errors.New("ziggeo.DecryptToken: bad padding (wrong encryption key or damaged token)")
		}
	}
	plain := ct[:len(ct)-pad]
	if !json.Valid(plain) {
		return nil, errors.New("ziggeo.DecryptToken: plaintext is not JSON (wrong encryption key or damaged token)")
	}
	return plain, nil
}
