package plex

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// Default server settings, from the spec.
const (
	DefaultProtocol  = "https"
	DefaultIP        = "127.0.0.1"
	DefaultPort      = "32400"
	DefaultPlexTVURL = "https://plex.tv/api/v2"
	// DefaultClientsURL is where the JWT device operations go.
	DefaultClientsURL = "https://clients.plex.tv/api/v2"
)

// Client is a Plex authentication client. It is safe for concurrent use.
type Client struct {
	// Authentication calls the authentication operations.
	Authentication *Authentication
}

// ClientInfo identifies the calling application in X-Plex-* headers.
type ClientInfo struct {
	Product, Version, Platform, Device string
}

// Option configures a Client.
type Option func(*settings) error

type settings struct {
	core               core.Config
	accessToken        string
	clientID           string
	info               ClientInfo
	serverURL          string
	protocol, ip, port string
	varsSet            bool
	plexTVURL          string
	clientsURL         string
	identity           *Identity
}

// WithAccessToken sets the X-Plex-Token sent to the Plex Media Server.
func WithAccessToken(token string) Option {
	return func(s *settings) error { s.accessToken = token; return nil }
}

// WithClientIdentifier sets X-Plex-Client-Identifier, a stable unique id of
// this installation; sign-in requires it.
func WithClientIdentifier(id string) Option {
	return func(s *settings) error { s.clientID = id; return nil }
}

// WithIdentity makes the client this installation's Plex device: it sends
// the identity's client identifier (as WithClientIdentifier would), and a
// JWTSource made with the identity's key starts from its stored JWT and
// stores each new one. See OpenIdentity.
func WithIdentity(id *Identity) Option {
	return func(s *settings) error {
		if id == nil || id.ClientIdentifier == "" {
			return errors.New("plex.WithIdentity: no identity (use plex.OpenIdentity)")
		}
		s.clientID, s.identity = id.ClientIdentifier, id
		return nil
	}
}

// WithClientInfo sets X-Plex-Product, -Version, -Platform and -Device.
func WithClientInfo(info ClientInfo) Option {
	return func(s *settings) error { s.info = info; return nil }
}

// WithServerURL sets the Plex Media Server base URL, e.g. https://10.0.0.5:32400.
func WithServerURL(u string) Option {
	return func(s *settings) error { s.serverURL = u; return nil }
}

// WithServerVariables builds the Plex Media Server URL {protocol}://{ip}:{port};
// empty values take the defaults (https, 127.0.0.1, 32400).
func WithServerVariables(protocol, ip, port string) Option {
	return func(s *settings) error {
		if protocol != "" && protocol != "http" && protocol != "https" {
			return fmt.Errorf("plex.WithServerVariables: protocol %q must be http or https", protocol)
		}
		if port != "" {
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("plex.WithServerVariables: port %q is not a TCP port", port)
			}
		}
		if strings.ContainsAny(ip, "/?#@ ") {
			return fmt.Errorf("plex.WithServerVariables: ip %q is not a host", ip)
		}
		s.protocol, s.ip, s.port, s.varsSet = protocol, ip, port, true
		return nil
	}
}

// WithPlexTVURL replaces the plex.tv base URL (default https://plex.tv/api/v2).
func WithPlexTVURL(u string) Option {
	return func(s *settings) error { s.plexTVURL = u; return nil }
}

// WithClientsURL replaces the clients.plex.tv base URL used by the JWT
// device operations (default https://clients.plex.tv/api/v2).
func WithClientsURL(u string) Option {
	return func(s *settings) error { s.clientsURL = u; return nil }
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
			return errors.New("plex.WithHTTPClient: nil client")
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

// New creates a client; it sends nothing. Server URLs are validated here.
func New(opts ...Option) (*Client, error) {
	return newClient(&settings{}, opts)
}

// newClient applies opts over s and builds the client.
func newClient(s *settings, opts []Option) (*Client, error) {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	pms, err := s.pmsURL()
	if err != nil {
		return nil, err
	}
	plexTV, err := core.ValidateServerURL("plex.WithPlexTVURL", or(s.plexTVURL, DefaultPlexTVURL))
	if err != nil {
		return nil, err
	}
	clients, err := core.ValidateServerURL("plex.WithClientsURL", or(s.clientsURL, DefaultClientsURL))
	if err != nil {
		return nil, err
	}
	for _, h := range []struct{ option, what, v string }{
		{"plex.WithAccessToken", "token", s.accessToken},
		{"plex.WithClientIdentifier", "client identifier", s.clientID},
		{"plex.WithClientInfo", "Product", s.info.Product},
		{"plex.WithClientInfo", "Version", s.info.Version},
		{"plex.WithClientInfo", "Platform", s.info.Platform},
		{"plex.WithClientInfo", "Device", s.info.Device},
	} {
		if err := core.CheckHeaderValue(h.what, h.v); err != nil {
			return nil, fmt.Errorf("%s: %w", h.option, err)
		}
	}
	origin := *s
	if s.accessToken != "" {
		s.core.Secrets = append(slices.Clip(s.core.Secrets), s.accessToken)
	}
	s.core.MapError = mapError
	s.core.NeverRetry = neverRetry
	c, err := core.New(s.core)
	if err != nil {
		return nil, fmt.Errorf("plex.New: %w", err)
	}
	a := &Authentication{&authRef{&authState{
		core:        c,
		pms:         pms,
		plexTV:      plexTV,
		clients:     clients,
		product:     s.info.Product,
		accessToken: s.accessToken,
		clientID:    s.clientID,
		fixed:       fixedHeaders(s.clientID, s.info),
		origin:      origin,
		identity:    s.identity,
		learn:       newLearnedServer(pms),
	}}}
	a.pmsHeaders = a.headers(s.accessToken)
	return &Client{Authentication: a}, nil
}

// pmsURL applies the precedence WithServerURL > WithServerVariables > spec default.
func (s *settings) pmsURL() (string, error) {
	if s.serverURL != "" {
		return core.ValidateServerURL("plex.WithServerURL", s.serverURL)
	}
	protocol, ip, port := DefaultProtocol, DefaultIP, DefaultPort
	if s.protocol != "" {
		protocol = s.protocol
	}
	if s.ip != "" {
		ip = s.ip
	}
	if s.port != "" {
		port = s.port
	}
	host := ip
	if strings.Contains(ip, ":") && !strings.HasPrefix(ip, "[") {
		host = "[" + ip + "]" // IPv6 literal
	}
	option := "plex.New (default server)"
	if s.varsSet {
		option = "plex.WithServerVariables"
	}
	return core.ValidateServerURL(option, protocol+"://"+host+":"+port)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
