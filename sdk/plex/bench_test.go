package plex_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/authsdk/authsdk/sdk/plex"
)

// rawUser mirrors the fields UserPlexAccount decodes, for the baseline.
type rawUser struct {
	ID                   int64    `json:"id"`
	UUID                 string   `json:"uuid"`
	Username             string   `json:"username"`
	Title                *string  `json:"title"`
	Email                string   `json:"email"`
	FriendlyName         *string  `json:"friendlyName"`
	Locale               *string  `json:"locale"`
	Confirmed            *bool    `json:"confirmed"`
	JoinedAt             *int64   `json:"joinedAt"`
	EmailOnlyAuth        *bool    `json:"emailOnlyAuth"`
	HasPassword          *bool    `json:"hasPassword"`
	Protected            *bool    `json:"protected"`
	Thumb                *string  `json:"thumb"`
	AuthToken            string   `json:"authToken"`
	MailingListStatus    *string  `json:"mailingListStatus"`
	MailingListActive    *bool    `json:"mailingListActive"`
	ScrobbleTypes        *string  `json:"scrobbleTypes"`
	Country              *string  `json:"country"`
	Subscription         *rawSub  `json:"subscription"`
	SubscriptionDesc     *string  `json:"subscriptionDescription"`
	Restricted           *bool    `json:"restricted"`
	Anonymous            *bool    `json:"anonymous"`
	Home                 *bool    `json:"home"`
	Guest                *bool    `json:"guest"`
	HomeSize             *int     `json:"homeSize"`
	HomeAdmin            *bool    `json:"homeAdmin"`
	MaxHomeSize          *int     `json:"maxHomeSize"`
	RememberExpiresAt    *int64   `json:"rememberExpiresAt"`
	Profile              *rawProf `json:"profile"`
	Entitlements         *[]string
	Roles                *[]string
	Services             *[]struct{ Identifier, Endpoint, Status, Token, Secret *string }
	AdsConsent           *bool `json:"adsConsent"`
	AdsConsentSetAt      any   `json:"adsConsentSetAt"`
	AdsConsentReminderAt any   `json:"adsConsentReminderAt"`
	ExperimentalFeatures *bool
	TwoFactorEnabled     *bool
	BackupCodesCreated   *bool
	Subscriptions        *[]rawSub
	AttributionPartner   *string
	CertificateVersion   *int
}

type rawSub struct {
	Active         *bool
	SubscribedAt   *string
	Status         *string
	PaymentService *string
	Plan           *string
	Features       *[]string
}

type rawProf struct {
	AutoSelectAudio                                                                                    *bool
	DefaultAudioLanguage, DefaultSubtitleLanguage                                                      *string
	AutoSelectSubtitle, DefaultSubtitleAccessibility, DefaultSubtitleForced, WatchedIndicator, MediaRV *int
}

// BenchmarkGetUserDetails compares the SDK with raw net/http + encoding/json
// on the realistic fixture over loopback.
func BenchmarkGetUserDetails(b *testing.B) {
	body, err := os.ReadFile("testdata/get_user_details.200.json")
	if err != nil {
		b.Fatal(err)
	}
	url := serveBody(b, 200, "application/json", body)
	ctx := context.Background()
	b.Run("baseline=net/http+encoding/json", func(b *testing.B) {
		hc := &http.Client{}
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/user", nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Plex-Token", "tok")
			rsp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var u rawUser
			err = json.NewDecoder(rsp.Body).Decode(&u)
			rsp.Body.Close()
			if err != nil || u.ID == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("plex.GetUserDetails", func(b *testing.B) {
		c, err := plex.New(plex.WithPlexTVURL(url))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			u, err := c.Authentication.GetUserDetails(ctx, "tok")
			if err != nil || u.ID == 0 {
				b.Fatal(err)
			}
		}
	})
}
