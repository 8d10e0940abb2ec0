package plex_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/authsdk/authsdk/sdk/plex"
)

// BenchmarkGetUserDetails compares the SDK with raw net/http +
// encoding/json decoding into the same type, on the realistic fixture over
// loopback.
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
			var u plex.UserPlexAccount
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

// BenchmarkGetServerResources compares the SDK with raw net/http +
// encoding/json on a realistic answer (3 servers and a player).
func BenchmarkGetServerResources(b *testing.B) {
	body, err := os.ReadFile("testdata/get_server_resources.200.json")
	if err != nil {
		b.Fatal(err)
	}
	url := serveBody(b, 200, "application/json", body)
	ctx := context.Background()
	b.Run("baseline=net/http+encoding/json", func(b *testing.B) {
		hc := &http.Client{}
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/resources?includeHttps=1&includeRelay=1&includeIPv6=1", nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Plex-Token", "tok")
			rsp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var rs []plex.Resource
			err = json.NewDecoder(rsp.Body).Decode(&rs)
			rsp.Body.Close()
			if err != nil || len(rs) != 4 {
				b.Fatal(err)
			}
		}
	})
	b.Run("plex.GetServerResources", func(b *testing.B) {
		c, err := plex.New(plex.WithPlexTVURL(url))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			rs, err := c.Authentication.GetServerResources(ctx, "tok")
			if err != nil || len(rs) != 4 {
				b.Fatal(err)
			}
		}
	})
}
