package plex

import (
	"strings"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

// These are the results the operations return: the SDK's own types, decoded
// tolerantly (unknown fields ignored, absent fields left zero). Every
// credential is an sdk.Secret, so a result prints, logs and marshals whole
// with only its secrets shown as REDACTED; string(secret) is the value.

// TransientToken is a short-lived token from a Plex Media Server.
type TransientToken struct {
	// Token is the transient token (a secret), valid for a short time.
	Token sdk.Secret `json:"token"`
}

// SourceConnection is how to reach a source, as the Plex Media Server knows it.
type SourceConnection struct {
	// Device is the source's device and its connections.
	Device Device `json:"Device"`
}

// Device is a source device: its name, identifier, token and connections.
type Device struct {
	// Name is the device's display name.
	Name string `json:"name"`
	// ClientIdentifier is the device's unique identifier.
	ClientIdentifier string `json:"clientIdentifier"`
	// AccessToken is the token for talking to this device (a secret).
	AccessToken sdk.Secret `json:"accessToken"`
	// Connections are the addresses the device is reachable at.
	Connections []Connection `json:"Connection"`
}

// Connection is one way to reach a server.
type Connection struct {
	// Protocol is "http" or "https".
	Protocol string `json:"protocol"`
	// Address is an IP address or host name.
	Address string `json:"address"`
	// Port is the TCP port.
	Port int `json:"port"`
	// URI is the full base URL, usually https://<ip-with-dashes>.<hash>.plex.direct:32400.
	URI string `json:"uri"`
	// Local is true for an address on the server's own network.
	Local bool `json:"local"`
	// Relay is true for a connection through Plex's relay (slow, capped).
	Relay bool `json:"relay"`
	// IPv6 is true for an IPv6 address.
	IPv6 bool `json:"IPv6"`
}

// UserPlexAccount is a plex.tv account. AuthToken is its token (a secret).
type UserPlexAccount struct {
	ID                      int64          `json:"id"`                      // numeric account id
	UUID                    string         `json:"uuid"`                    // account UUID
	Username                string         `json:"username"`                // user name
	Title                   string         `json:"title"`                   // display title
	Email                   string         `json:"email"`                   // e-mail address
	FriendlyName            string         `json:"friendlyName"`            // name shown to others
	Locale                  string         `json:"locale"`                  // preferred locale, "" if none
	Confirmed               bool           `json:"confirmed"`               // e-mail confirmed
	JoinedAt                int64          `json:"joinedAt"`                // Unix time of sign-up
	EmailOnlyAuth           bool           `json:"emailOnlyAuth"`           // signs in by e-mail link only
	HasPassword             bool           `json:"hasPassword"`             // has a password set
	Protected               bool           `json:"protected"`               // protected by a PIN
	Thumb                   string         `json:"thumb"`                   // avatar URL
	AuthToken               sdk.Secret     `json:"authToken"`               // the account token (a secret)
	MailingListStatus       string         `json:"mailingListStatus"`       // "active", "unsubscribed", …
	Country                 string         `json:"country"`                 // ISO country code
	Subscription            *Subscription  `json:"subscription,omitempty"`  // Plex Pass, when plex.tv sends it
	SubscriptionDescription string         `json:"subscriptionDescription"` // e.g. "Lifetime Plex Pass"
	Restricted              bool           `json:"restricted"`              // a managed (restricted) user
	Home                    bool           `json:"home"`                    // member of a Plex Home
	Guest                   bool           `json:"guest"`                   // a guest account
	HomeSize                int            `json:"homeSize"`                // members of the Home
	HomeAdmin               bool           `json:"homeAdmin"`               // administers the Home
	MaxHomeSize             int            `json:"maxHomeSize"`             // Home size limit
	RememberExpiresAt       int64          `json:"rememberExpiresAt"`       // Unix time the sign-in ends
	Profile                 *UserProfile   `json:"profile,omitempty"`       // playback preferences
	Entitlements            []string       `json:"entitlements"`            // feature entitlements
	Roles                   []string       `json:"roles"`                   // account roles
	TwoFactorEnabled        bool           `json:"twoFactorEnabled"`        // 2FA is on
	Subscriptions           []Subscription `json:"subscriptions"`           // all subscriptions
}

// Subscription is a Plex Pass subscription.
type Subscription struct {
	Active         bool     `json:"active"`         // currently active
	SubscribedAt   string   `json:"subscribedAt"`   // RFC 3339 text, "" if unknown
	Status         string   `json:"status"`         // "Active", "Inactive", … (open set)
	PaymentService string   `json:"paymentService"` // e.g. "braintree"
	Plan           string   `json:"plan"`           // e.g. "lifetime"
	Features       []string `json:"features"`       // feature names (open set)
}

// UserProfile is an account's playback preferences.
type UserProfile struct {
	AutoSelectAudio              bool   `json:"autoSelectAudio"`
	DefaultAudioLanguage         string `json:"defaultAudioLanguage"`
	DefaultSubtitleLanguage      string `json:"defaultSubtitleLanguage"`
	AutoSelectSubtitle           int    `json:"autoSelectSubtitle"`           // 0 manual, 1 with foreign audio, 2 always
	DefaultSubtitleAccessibility int    `json:"defaultSubtitleAccessibility"` // 0 prefer non-SDH … 3 only non-SDH
	DefaultSubtitleForced        int    `json:"defaultSubtitleForced"`        // 0 prefer non-forced … 3 only non-forced
	WatchedIndicator             int    `json:"watchedIndicator"`
	MediaReviewsVisibility       int    `json:"mediaReviewsVisibility"`
}

// Pin is a PIN for password-less sign-in (CreatePin, GetPin, WaitForPin).
type Pin struct {
	// ID identifies the PIN in GetPin.
	ID int64 `json:"id"`
	// Code is what the user approves: on the consent page (AuthURL) for a
	// strong PIN, or typed at https://plex.tv/link for a short one.
	Code string `json:"code"`
	// ClientIdentifier is the client the PIN was made for.
	ClientIdentifier string `json:"clientIdentifier"`
	// Product is the product name shown to the user on the consent page.
	Product string `json:"product"`
	// ExpiresAt is when the PIN expires; zero when plex.tv did not say.
	ExpiresAt time.Time `json:"expiresAt"`
	// AuthToken is "" until the user approves; then the account token (a secret).
	AuthToken sdk.Secret `json:"authToken"`
}

// Resource is a device (a server, a player) the account reaches.
type Resource struct {
	Name             string       `json:"name"`             // display name
	Product          string       `json:"product"`          // e.g. "Plex Media Server"
	ProductVersion   string       `json:"productVersion"`   // product version
	Platform         string       `json:"platform"`         // e.g. "Linux"
	ClientIdentifier string       `json:"clientIdentifier"` // the device's unique id
	Provides         string       `json:"provides"`         // roles, comma-separated: "server", "player,controller"
	PublicAddress    string       `json:"publicAddress"`    // public IP address
	AccessToken      sdk.Secret   `json:"accessToken"`      // the token for this device (a secret)
	Owned            bool         `json:"owned"`            // the account owns it
	Home             bool         `json:"home"`             // shared within the Home
	Presence         bool         `json:"presence"`         // online now
	HTTPSRequired    bool         `json:"httpsRequired"`    // refuses plain http
	Relay            bool         `json:"relay"`            // reachable through the relay
	Connections      []Connection `json:"connections"`      // addresses it is reachable at

	Device          string    `json:"device"`          // hardware, e.g. "PC", "DS920+" ("" when plex.tv sends null)
	PlatformVersion string    `json:"platformVersion"` // e.g. "6.8.0-49-generic" ("" when null)
	SourceTitle     string    `json:"sourceTitle"`     // who shared it (servers not owned); "" when null
	OwnerID         int64     `json:"ownerId"`         // the owner's account id (servers not owned); 0 when null
	CreatedAt       time.Time `json:"createdAt"`       // when it was first registered
	LastSeenAt      time.Time `json:"lastSeenAt"`      // when plex.tv last heard from it

	Synced                 bool `json:"synced"`                 // a sync target
	PublicAddressMatches   bool `json:"publicAddressMatches"`   // its public address is the caller's: same network
	DNSRebindingProtection bool `json:"dnsRebindingProtection"` // its router blocks *.plex.direct names resolving to LAN addresses
	NATLoopbackSupported   bool `json:"natLoopbackSupported"`   // its router lets LAN clients reach the public address
}

// Access is what an account is to a server it reaches, and so what the
// server's token may do there (README "What a token may do").
type Access string

// The kinds of Access.
const (
	AccessOwner  Access = "owner"  // the account owns the server
	AccessHome   Access = "home"   // a member of the owner's Plex Home
	AccessShared Access = "shared" // a friend the server is shared with
)

// Access says whether the account owns the resource, reaches it as a
// member of the owner's Plex Home, or as a friend it is shared with (from
// the owned and home fields plex.tv lists).
func (r Resource) Access() Access {
	switch {
	case r.Owned:
		return AccessOwner
	case r.Home:
		return AccessHome
	}
	return AccessShared
}

// IsServer reports whether the resource provides "server".
func (r Resource) IsServer() bool {
	for _, p := range strings.Split(r.Provides, ",") {
		if strings.TrimSpace(p) == "server" {
			return true
		}
	}
	return false
}

// JWT is a Plex JWT: use Token like any Plex token (X-Plex-Token).
type JWT struct {
	// Token is the Plex JWT (a secret).
	Token sdk.Secret `json:"token"`
	// ExpiresAt is the JWT's exp claim.
	ExpiresAt time.Time `json:"expiresAt"`
	// IssuedAt is the JWT's iat claim (its arrival when it has none);
	// ExpiresAt − IssuedAt is its lifetime, which JWTSource refreshes by.
	IssuedAt time.Time `json:"issuedAt"`
}

// SignInRequest is a username/password sign-in, with the two-factor code
// when the account asks for one (ErrVerificationCodeRequired). The password
// and the code are secrets: printed or logged, they show as REDACTED.
type SignInRequest struct {
	Login            string     // user name or e-mail address
	Password         sdk.Secret // the account's password
	RememberMe       bool       // ask plex.tv for a long-lived token
	VerificationCode sdk.Secret // the 2FA code, when plex.tv asks for one
}
