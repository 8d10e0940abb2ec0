package core

import (
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"

	"github.com/authsdk/authsdk/sdk"
)

// defaultUserAgent is "authsdk/<version> (<GOOS>/<GOARCH>; <go version>)".
var defaultUserAgent = "authsdk/" + sdk.Version + " (" + runtime.GOOS + "/" + runtime.GOARCH + "; " + runtime.Version() + ")"

// Config is what an API package passes to New.
type Config struct {
	// HTTPClient is copied (never modified); nil means a client on a shared
	// transport that keeps enough idle connections for concurrent callers.
	// Its Timeout acts as a per-attempt timeout.
	HTTPClient *http.Client
	// Retry replaces sdk.DefaultRetryConfig when non-nil.
	Retry *sdk.RetryConfig
	// Logger receives one Debug record per attempt; nil logs nothing.
	Logger *slog.Logger
	// UserAgent is appended to the default User-Agent.
	UserAgent string
	// Secrets are values (keys, tokens, credentials) scrubbed, in every
	// form, from every message the core builds.
	Secrets []string
	// MapError turns an APIError into an API package's typed error; nil keeps it.
	MapError func(*sdk.APIError) error
	// NeverRetry, when set, vetoes retrying an answer the retry
	// configuration would retry: one that a retry can only make worse (a
	// sign-in lockout, a wrong PIN).
	NeverRetry func(status int, contentType string, body []byte) bool
}

// Core sends requests for an API client: it retries, bounds and reads
// bodies, logs attempts and builds errors. Safe for concurrent use.
type Core struct {
	hc         *http.Client
	policy     *policy
	logger     *slog.Logger
	userAgent  []string // shared header value: set without allocating per request
	scrubber   *scrubber
	mapError   func(*sdk.APIError) error
	neverRetry func(status int, contentType string, body []byte) bool
}

var (
	sharedTransportOnce sync.Once
	sharedTransport     http.RoundTripper
)

// defaultTransport is http.DefaultTransport with room for 64 idle
// connections per host (Go keeps 2, so concurrent callers would open and
// close connections, each a TLS handshake, all the time).
func defaultTransport() http.RoundTripper {
	sharedTransportOnce.Do(func() {
		t, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			sharedTransport = http.DefaultTransport
			return
		}
		t = t.Clone()
		t.MaxIdleConnsPerHost = 64
		t.MaxIdleConns = max(t.MaxIdleConns, 256)
		sharedTransport = t
	})
	return sharedTransport
}

// New validates cfg and builds a Core.
func New(cfg Config) (*Core, error) {
	rc := sdk.DefaultRetryConfig()
	if cfg.Retry != nil {
		rc = *cfg.Retry
	}
	p, err := newPolicy(rc)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Transport: defaultTransport()}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
	}
	hc.CheckRedirect = checkRedirect(hc.CheckRedirect)
	ua := defaultUserAgent
	if s := strings.TrimSpace(cfg.UserAgent); s != "" {
		if err := CheckHeaderValue("user agent", s); err != nil {
			return nil, err
		}
		ua += " " + s
	}
	sc := &scrubber{}
	for _, s := range cfg.Secrets {
		sc.add(s, false)
	}
	return &Core{hc: hc, policy: p, logger: cfg.Logger, userAgent: []string{ua}, scrubber: sc, mapError: cfg.MapError, neverRetry: cfg.NeverRetry}, nil
}

// Logger is the client's logger (nil when none was given).
func (c *Core) Logger() *slog.Logger { return c.logger }

// HTTPClient is the client's own *http.Client (the one WithHTTPClient
// gave, or the SDK's), for building another transport from its settings.
func (c *Core) HTTPClient() *http.Client { return c.hc }

// SharedTransport is the pooled transport clients use when given no HTTP
// client: keep-alive connections for concurrent callers, shared.
func SharedTransport() http.RoundTripper { return defaultTransport() }
