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
	"strings"
	"sync"
	"time"
)

// Auth generates encrypted client auth tokens (the official SDKs' auth.generate).
type Auth struct {
	*authState // behind a pointer: fmt never reaches the key
}

type authState struct {
	block cipher.Block // AES-256 key schedule, built once from the encryption key
	// tail is the plaintext's constant end up to the nonce:
	// "application_token":"…","nonce":" — escaped once, not per token.
	tail  []byte
	state *sync.Pool // *encState, reused across tokens
}

// encState is what one token's encryption reuses: the plaintext buffer and
// a CBC encrypter whose IV is reset (NewCBCEncrypter allocates 512 bytes).
type encState struct {
	buf   []byte
	hex   []byte // buf in hex, copied into the token in one piece
	mode  cipher.BlockMode
	iv    ivSetter // mode's SetIV, nil if the standard library stops offering it
	ivBuf [16]byte // the IV handed to mode: here, not on the heap per call
}

// ivSetter is what the standard library's CBC encrypter offers to reuse it.
type ivSetter interface{ SetIV([]byte) }

func newAuth(appToken string, block cipher.Block) *Auth {
	a := &Auth{&authState{block: block, state: &sync.Pool{}}}
	a.tail = append(a.tail, `"application_token":`...)
	a.tail = appendJSONString(a.tail, []byte(appToken))
	a.tail = append(a.tail, `,"nonce":"`...)
	return a
}

// ErrNoEncryptionKey is returned by Generate on a client made without WithEncryptionKey.
var ErrNoEncryptionKey = errors.New("ziggeo: no encryption key (use ziggeo.WithEncryptionKey)")

var errWrongKey = errors.New("ziggeo.DecryptToken: wrong encryption key or damaged token")

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
	return a.encrypt(p, n, iv), nil
}

// encrypt is Generate with the randomness given: iv is the 16 ASCII hex
// characters used as the IV bytes.
func (a *Auth) encrypt(p AuthTokenParams, nonce []byte, iv [16]byte) string {
	st, _ := a.state.Get().(*encState)
	if st == nil {
		st = &encState{buf: make([]byte, 0, 512), ivBuf: iv}
		st.mode = cipher.NewCBCEncrypter(a.block, st.ivBuf[:])
		st.iv, _ = st.mode.(ivSetter)
	} else {
		st.ivBuf = iv
		st.iv.SetIV(st.ivBuf[:])
	}
	buf := p.appendFields(append(st.buf[:0], '{'))
	buf = append(append(append(buf, a.tail...), nonce...), `"}`...)
	pad := aes.BlockSize - len(buf)%aes.BlockSize
	for range pad {
		buf = append(buf, byte(pad))
	}
	st.mode.CryptBlocks(buf, buf)
	// The token is built in its final string's memory: one allocation; the
	// hex is written into it in one piece (a write per block cost 15 %).
	st.hex = hex.AppendEncode(st.hex[:0], buf)
	var out strings.Builder
	out.Grow(len(iv) + len(st.hex))
	out.Write(iv[:])
	out.Write(st.hex)
	st.buf = buf
	if st.iv != nil {
		a.state.Put(st)
	}
	return out.String()
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
	// One error for bad padding and bad JSON: telling them apart would make
	// this a padding oracle.
	pad := int(ct[len(ct)-1])
	ok := pad >= 1 && pad <= aes.BlockSize
	if ok {
		for _, b := range ct[len(ct)-pad:] {
			ok = ok && int(b) == pad
		}
	}
	if !ok || !json.Valid(ct[:len(ct)-pad]) {
		return nil, errWrongKey
	}
	plain := ct[:len(ct)-pad]
	return plain, nil
}
