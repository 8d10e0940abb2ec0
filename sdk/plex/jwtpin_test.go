package plex_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
)

// A PIN waited on for 12 minutes, scaled down: device JWTs live 2 s here
// instead of 5 minutes and are renewed with 1 s left, and the wait lasts
// 12/5 of a device JWT's life. No poll may carry an expired device JWT, and
// a nonce is fetched only when the held device JWT nears its end.
func TestWaitForJWTPinRenewsTheDeviceJWTOnlyNearItsEnd(t *testing.T) {
	defer plex.SetDeviceJWTTiming(2*time.Second, time.Second)()
	synctest.Test(t, waitForJWTPinRenews)
}

// handlerTransport answers in memory with h, so a synctest bubble's clock
// is the only one the test sees.
type handlerTransport struct{ h http.Handler }

func (rt handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	rt.h.ServeHTTP(rec, r)
	res := rec.Result()
	res.Request = r
	return res, nil
}

func waitForJWTPinRenews(t *testing.T) {
	var mu sync.Mutex
	nonces, polls, expired := 0, 0, 0
	seen := map[string]bool{}
	start := time.Now()
	approveAt := start.Add(12 * 2 * time.Second / 5)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/auth/nonce"):
			nonces++
			fmt.Fprintf(w, `{"nonce":"n%d"}`, nonces)
		case strings.HasSuffix(r.URL.Path, "/pins/42"):
			polls++
			dj := r.URL.Query().Get("deviceJWT")
			seen[dj] = true
			var claims struct{ Exp int64 }
			parts := strings.Split(dj, ".")
			b, _ := base64.RawURLEncoding.DecodeString(parts[1])
			_ = json.Unmarshal(b, &claims)
			if claims.Exp <= time.Now().Unix() {
				expired++
			}
			tok := ""
			if time.Now().After(approveAt) {
				tok = fakeJWT(time.Now().Add(time.Hour))
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"id": 42, "code": "c", "expiresAt": start.Add(30 * time.Minute).UTC().Format(time.RFC3339), "authToken": tok})
		default:
			http.NotFound(w, r)
		}
	})
	c, _ := plex.New(plex.WithClientsURL("https://clients.plex.test"), plex.WithClientIdentifier("cid"), plex.WithHTTPClient(&http.Client{Transport: handlerTransport{h}}))
	k, _ := plex.NewDeviceKey()
	j, err := c.Authentication.WaitForJWTPin(context.Background(), &plex.Pin{ID: 42, ExpiresAt: start.Add(30 * time.Minute)}, k, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if j.Token == "" || expired != 0 || polls < 50 {
		t.Fatalf("%d polls, %d with an expired device JWT", polls, expired)
	}
	// 4.8 s of polling with device JWTs used for 1 s each: about 5.
	if nonces < 4 || nonces > 6 || len(seen) != nonces {
		t.Fatalf("%d nonces and %d device JWTs for %d polls, want about 5 each", nonces, len(seen), polls)
	}
}
