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

// HomeUser is a profile of a Plex Home: the admin, other adults, managed
// (kids') profiles. Strings plex.tv sends as null are "".
type HomeUser struct {
	// ID is the profile's numeric account id.
	ID int64 `json:"id"`
	// UUID identifies the profile in SwitchHomeUser.
	UUID string `json:"uuid"`
	// Title is the name shown for the profile.
	Title string `json:"title"`
	// FriendlyName is the name the profile's owner chose to show; "" when none.
	FriendlyName string `json:"friendlyName"`
	// Username is the plex.tv user name; "" for a managed profile.
	Username string `json:"username"`
	// Email is the profile's e-mail address; "" for a managed profile.
	Email string `json:"email"`
	// Thumb is the avatar URL.
	Thumb string `json:"thumb"`
	// RestrictionProfile is the content restriction of a managed profile,
	// e.g. "little_kid", "older_kid", "teen"; "" when none.
	RestrictionProfile string `json:"restrictionProfile"`
	// Admin is true for the Home's administrator.
	Admin bool `json:"admin"`
	// Guest is true for the Home's guest profile.
	Guest bool `json:"guest"`
	// Restricted is true for a managed profile with content restrictions.
	Restricted bool `json:"restricted"`
	// Protected is true when switching to the profile needs its PIN.
	Protected bool `json:"protected"`
	// HasPassword is true when the profile has a plex.tv password.
	HasPassword bool `json:"hasPassword"`
}

// GetHomeUsers lists the profiles of the Plex Home of xPlexToken's account
// (GET https://plex.tv/api/v2/home/users). An account outside a Home gets
// an empty list and no error.
func (a *Authentication) GetHomeUsers(ctx context.Context, xPlexToken string, opts ...sdk.CallOption) ([]HomeUser, error) {
	if err := a.needTokenAndClientID(&opHomeUsers, xPlexToken); err != nil {
		return nil, err
	}
	params := &plexapi.GetHomeUsersParams{XPlexClientIdentifier: a.clientID}
	home, err := core.Invoke[struct {
		Users []HomeUser `json:"users"`
	}](ctx, a.core, &opHomeUsers, a.base(&opHomeUsers), opts, &core.CallInfo{Secrets: [2]string{xPlexToken}}, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetHomeUsers(ctx, params, a.headers(xPlexToken))
	})
	if err != nil {
		return nil, err
	}
	if home.Users == nil {
		return []HomeUser{}, nil
	}
	return home.Users, nil
}

// SwitchHomeUser switches to the Home profile uuid (POST
// https://plex.tv/api/v2/home/users/{uuid}/switch) and returns its
// account; AuthToken is a plex.tv token for that profile (for a server's
// token, call GetServerResources with it). pin is the profile's PIN, ""
// for none. A missing or wrong PIN matches errors.Is(err, ErrPinRequired)
// and is never retried. The PIN is never shown: every reported URL carries
// pin=REDACTED.
func (a *Authentication) SwitchHomeUser(ctx context.Context, xPlexToken, uuid, pin string, opts ...sdk.CallOption) (*UserPlexAccount, error) {
	if err := a.needTokenAndClientID(&opSwitchHome, xPlexToken); err != nil {
		return nil, err
	}
	if strings.TrimSpace(uuid) == "" {
		return nil, fmt.Errorf("%s: empty profile uuid", opSwitchHome.Name)
	}
	if err := core.CheckPathSegment(&opSwitchHome, "profile uuid", uuid); err != nil {
		return nil, err
	}
	params := &plexapi.SwitchHomeUserParams{XPlexClientIdentifier: a.clientID}
	if pin != "" {
		if strings.Trim(pin, "0123456789") != "" || len(pin) > 16 {
			return nil, fmt.Errorf("%s: the PIN must be digits", opSwitchHome.Name)
		}
		params.Pin = &pin
	}
	// A 4-digit PIN cannot be scrubbed from free text without blanking other
	// numbers; its query form can (a server echoing the URL).
	sec := &core.CallInfo{Secrets: [2]string{xPlexToken}}
	if pin != "" {
		sec.Secrets[1] = "pin=" + pin
	}
	acct, err := core.Invoke[UserPlexAccount](ctx, a.core, &opSwitchHome, a.base(&opSwitchHome), opts, sec, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).SwitchHomeUser(ctx, uuid, params, a.headers(xPlexToken))
	})
	if err != nil {
		return nil, err
	}
	if acct.AuthToken == "" {
		return nil, core.Incomplete(&opSwitchHome, "authToken")
	}
	return acct, nil
}
