package core

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

type benchConn struct {
	Protocol string `json:"protocol"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	URI      string `json:"uri"`
	Local    bool   `json:"local"`
	Relay    bool   `json:"relay"`
	IPv6     bool   `json:"IPv6"`
}

// benchResource has plex.Resource's fields and tags (core cannot import sdk/plex).
type benchResource struct {
	Name                   string      `json:"name"`
	Product                string      `json:"product"`
	ProductVersion         string      `json:"productVersion"`
	Platform               string      `json:"platform"`
	ClientIdentifier       string      `json:"clientIdentifier"`
	Provides               string      `json:"provides"`
	PublicAddress          string      `json:"publicAddress"`
	AccessToken            sdk.Secret  `json:"accessToken"`
	Owned                  bool        `json:"owned"`
	Home                   bool        `json:"home"`
	Presence               bool        `json:"presence"`
	HTTPSRequired          bool        `json:"httpsRequired"`
	Relay                  bool        `json:"relay"`
	Connections            []benchConn `json:"connections"`
	Device                 string      `json:"device"`
	PlatformVersion        string      `json:"platformVersion"`
	SourceTitle            string      `json:"sourceTitle"`
	OwnerID                int64       `json:"ownerId"`
	CreatedAt              time.Time   `json:"createdAt"`
	LastSeenAt             time.Time   `json:"lastSeenAt"`
	Synced                 bool        `json:"synced"`
	PublicAddressMatches   bool        `json:"publicAddressMatches"`
	DNSRebindingProtection bool        `json:"dnsRebindingProtection"`
	NATLoopbackSupported   bool        `json:"natLoopbackSupported"`
}

func BenchmarkAnswerCost(b *testing.B) {
	body, err := os.ReadFile("../../sdk/plex/plextest/testdata/get_server_resources.200.json")
	if err != nil {
		b.Fatal(err)
	}
	t := reflect.TypeFor[[]benchResource]()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := answerCost(body, t); err != nil {
			b.Fatal(err)
		}
	}
}
