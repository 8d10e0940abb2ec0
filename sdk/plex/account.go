package plex

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

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

// SignInRequest is a username/password sign-in, with the two-factor code
// when the account asks for one (ErrVerificationCodeRequired). The password
// and the code are secrets: printed or logged, they show as REDACTED.
type SignInRequest struct {
	Login            string     // user name or e-mail address
	Password         sdk.Secret // the account's password
	RememberMe       bool       // ask plex.tv for a long-lived token
	VerificationCode sdk.Secret // the 2FA code, when plex.tv asks for one
}

// GetUserDetails returns the plex.tv account that xPlexToken belongs to.
// Only that token is sent, never the client's own access token. A token
// plex.tv no longer accepts matches errors.Is(err, ErrInvalidToken).
func (a *Authentication) GetUserDetails(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) (*UserPlexAccount, error) {
	if err := checkToken(&opUser, xPlexToken); err != nil {
		return nil, err
	}
	acct, err := core.Invoke[UserPlexAccount](ctx, a.core, &opUser, a.base(&opUser), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetUserDetails(ctx, a.headers(xPlexToken))
	})
	if err == nil && acct.ID == 0 && acct.UUID == "" && acct.Username == "" {
		return nil, core.Incomplete(&opUser, "account")
	}
	return acct, err
}

// PostUsersSignInData signs in on plex.tv and returns the account with its
// AuthToken. A 401 asking for a two-factor code matches
// errors.Is(err, ErrVerificationCodeRequired): call again with VerificationCode.
func (a *Authentication) PostUsersSignInData(ctx context.Context, req SignInRequest, opts ...sdk.CallOption) (*UserPlexAccount, error) {
	if err := a.needClientID(&opSignIn); err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(req.Login) == "":
		return nil, fmt.Errorf("%s: empty login", opSignIn.Name)
	case req.Password == "":
		return nil, fmt.Errorf("%s: empty password", opSignIn.Name)
	}
	form := plexapi.PostUsersSignInDataFormdataRequestBody{Login: req.Login, Password: string(req.Password)}
	if req.RememberMe {
		form.RememberMe = &req.RememberMe
	}
	if req.VerificationCode != "" {
		code := string(req.VerificationCode)
		form.VerificationCode = &code
	}
	params := &plexapi.PostUsersSignInDataParams{XPlexClientIdentifier: a.clientID}
	sec := &core.CallInfo{Secrets: [2]string{string(req.Password), string(req.VerificationCode)}}
	acct, err := core.Invoke[UserPlexAccount](ctx, a.core, &opSignIn, a.base(&opSignIn), opts, sec, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).PostUsersSignInDataWithFormdataBody(ctx, params, form, a.setFixed)
	})
	if err == nil && acct.AuthToken == "" {
		return nil, core.Incomplete(&opSignIn, "authToken")
	}
	return acct, err
}
