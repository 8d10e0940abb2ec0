package ziggeo

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strings"

	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// DefaultServerURL is Ziggeo's API server for application tokens without a region prefix.
const DefaultServerURL = "https://srv-api.ziggeo.com"

// regionServerURLs maps an application-token prefix to its regional API
// server, as the official SDKs do. It is fixed: a region not listed here is
// reached with WithServerURL.
var regionServerURLs = map[string]string{
	"r1": "https://srv-api-eu-west-1.ziggeo.com",
}

// RegionServerURLs returns a copy of the regional API servers by
// application-token prefix ("r1" → https://srv-api-eu-west-1.ziggeo.com).
func RegionServerURLs() map[string]string { return maps.Clone(regionServerURLs) }

// ServerURLFor returns the API server an application token belongs to.
func ServerURLFor(appToken string) string {
	best := ""
	for prefix := range regionServerURLs {
		if strings.HasPrefix(appToken, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best == "" {
		return DefaultServerURL
	}
	return regionServerURLs[best]
}

// Client is a Ziggeo API client. It is safe for concurrent use.
type Client struct {
	// AuthTokens calls the authtokens REST resource.
	AuthTokens *AuthTokens
	// Auth generates encrypted client auth tokens offline.
	Auth *Auth
}

// Option configures a Client.
type Option func(*settings) error

type settings struct {
	core          core.Config
	serverURL     string
	encryptionKey *string
}

// WithEncryptionKey sets the application's encryption key, needed by
// Auth.Generate. An empty key is accepted, as the official SDKs accept it.
func WithEncryptionKey(key string) Option {
	return func(s *settings) error { s.encryptionKey = &key; return nil }
}

// WithServerURL replaces the default and regional server URL.
func WithServerURL(u string) Option {
	return func(s *settings) error { s.serverURL = u; return nil }
}

// WithRetryConfig replaces sdk.DefaultRetryConfig for every call of the
// client; its zero fields take the defaults. It is validated by New.
func WithRetryConfig(c sdk.RetryConfig) Option {
	return func(s *settings) error { s.core.Retry = &c; return nil }
}

// WithHTTPClient sends requests through hc (copied, never modified); its
// Timeout acts per attempt.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
		if hc == nil {
			return errors.New("ziggeo.WithHTTPClient: nil client")
		}
		s.core.HTTPClient = hc
		return nil
	}
}

// WithLogger logs every attempt at Debug level, secrets redacted.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error { s.core.Logger = l; return nil }
}

// WithUserAgent appends ua to the default User-Agent.
func WithUserAgent(ua string) Option {
	return func(s *settings) error { s.core.UserAgent = ua; return nil }
}

// New creates a client for the application identified by appToken and
// authenticated with privateKey. It sends nothing. privateKey may be "" for
// a client that only generates client auth tokens (Auth.Generate): its
// AuthTokens calls then fail before sending.
func New(appToken, privateKey string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(appToken) == "" {
		return nil, errors.New("ziggeo.New: empty application token")
	}
	if err := core.CheckHeaderValue("application token", appToken); err != nil {
		return nil, fmt.Errorf("ziggeo.New: %w", err)
	}
	if err := core.CheckHeaderValue("private key", privateKey); err != nil {
		return nil, fmt.Errorf("ziggeo.New: %w", err)
	}
	s := &settings{}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	option := "ziggeo.WithServerURL"
	raw := s.serverURL
	if raw == "" {
		option, raw = "ziggeo.New (regional server for the application token)", ServerURLFor(appToken)
	}
	server, err := core.ValidateServerURL(option, raw)
	if err != nil {
		return nil, err
	}
	// The Basic credential is a secret in each of its forms (the scrubber
	// adds base64 and URL-encoded forms of every value).
	s.core.Secrets = append(s.core.Secrets, appToken+":"+privateKey, privateKey)
	if s.encryptionKey != nil {
		s.core.Secrets = append(s.core.Secrets, *s.encryptionKey)
	}
	c, err := core.New(s.core)
	if err != nil {
		return nil, fmt.Errorf("ziggeo.New: %w", err)
	}
	var block cipher.Block
	if s.encryptionKey != nil {
		block = newTokenCipher(*s.encryptionKey)
	}
	auth := newAuth(appToken, block)
	tokens := &AuthTokens{&tokensRef{&authTokens{core: c, server: server}}}
	if privateKey != "" {
		tokens.authorization = []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(appToken+":"+privateKey))}
	}
	return &Client{AuthTokens: tokens, Auth: auth}, nil
}

// newTokenCipher derives the AES-256 key the official SDKs use: the 32
// ASCII characters of the lowercase hex MD5 of the encryption key.
func newTokenCipher(encryptionKey string) cipher.Block {
	sum := md5.Sum([]byte(encryptionKey))
	var key [32]byte
	hex.Encode(key[:], sum[:])
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err) // unreachable: the key is always 32 bytes
	}
	return block
}
