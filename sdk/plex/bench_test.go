package plex_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/authsdk/authsdk/sdk/plex"
)

// benchAgainstRaw runs one SDK call beside raw net/http + encoding/json
// decoding the same fixture into the same type, over loopback.
func benchAgainstRaw[T any](b *testing.B, fixture, path, name string, call func(context.Context, *plex.Client) (T, error), valid func(T) bool) {
	body, err := os.ReadFile("plextest/testdata/" + fixture)
	if err != nil {
		b.Fatal(err)
	}
	url := serveBody(b, 200, "application/json", body)
	ctx := context.Background()
	b.Run("baseline=net/http+encoding/json", func(b *testing.B) {
		hc := &http.Client{}
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+path, nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("X-Plex-Token", "tok")
			rsp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var v T
			err = json.NewDecoder(rsp.Body).Decode(&v)
			rsp.Body.Close()
			if err != nil || !valid(v) {
				b.Fatal(err)
			}
		}
	})
	b.Run(name, func(b *testing.B) {
		c, err := plex.New(plex.WithPlexTVURL(url))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			v, err := call(ctx, c)
			if err != nil || !valid(v) {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGetUserDetails: the realistic account fixture.
func BenchmarkGetUserDetails(b *testing.B) {
	benchAgainstRaw(b, "get_user_details.200.json", "/user", "plex.GetUserDetails",
		func(ctx context.Context, c *plex.Client) (*plex.UserPlexAccount, error) {
			return c.Authentication.GetUserDetails(ctx, "tok")
		}, func(u *plex.UserPlexAccount) bool { return u != nil && u.ID != 0 })
}

// BenchmarkGetServerResources: a realistic answer (3 servers and a player).
func BenchmarkGetServerResources(b *testing.B) {
	benchAgainstRaw(b, "get_server_resources.200.json", "/resources?includeHttps=1&includeRelay=1&includeIPv6=1", "plex.GetServerResources",
		func(ctx context.Context, c *plex.Client) ([]plex.Resource, error) {
			return c.Authentication.GetServerResources(ctx, "tok")
		}, func(rs []plex.Resource) bool { return len(rs) == 4 })
}
