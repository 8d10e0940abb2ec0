package plex_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
)

const printSecret = "SeCrEtToKeN-0123456789"

// fakeJWT is a JWT-shaped secret with readable claims.
func fakeJWT(exp time.Time) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"EdDSA"}`)) + "." +
		enc.EncodeToString(fmt.Appendf(nil, `{"exp":%d,"iat":%d,"x":%q}`, exp.Unix(), time.Now().Unix(), printSecret)) + ".c2ln"
}

// Every exported type that holds a secret, by value and by pointer, alone
// and nested by value in a user's struct: fmt (every verb) and slog (text
// and JSON) never show the secret; json.Marshal never shows a private key
// (results marshal their tokens on purpose).
func TestNoValuePrintsItsSecret(t *testing.T) {
	k, _ := plex.NewDeviceKey()
	pemBytes, _ := k.MarshalPEM()
	der := strings.Join(strings.Split(string(pemBytes), "\n")[1:4], "")
	raw, _ := base64.StdEncoding.DecodeString(der)
	seed := raw[len(raw)-32:] // the Ed25519 seed at the end of the PKCS#8 DER
	c, _ := plex.New(plex.WithAccessToken(printSecret), plex.WithClientIdentifier("cid"))
	src := c.Authentication.NewJWTSource(k)
	jwt := fakeJWT(time.Now().Add(time.Hour))
	src.SetToken(&plex.JWT{Token: jwt})
	if j, _ := src.Token(context.Background()); j == nil || j.Token != jwt {
		t.Fatal("SetToken did not seed the source")
	}
	res := plex.Resource{Name: "pms", AccessToken: printSecret}
	values := map[string]any{
		"DeviceKey":        *k,
		"JWT":              plex.JWT{Token: jwt},
		"JWTSource":        *src,
		"Transport":        plex.Transport{Source: plex.StaticToken(printSecret)},
		"TransportJWT":     plex.Transport{Source: src},
		"StaticToken":      plex.StaticToken(printSecret),
		"Resources":        plex.Resources{res, res},
		"Resource":         res,
		"Device":           plex.Device{AccessToken: printSecret},
		"SourceConnection": plex.SourceConnection{Device: plex.Device{AccessToken: printSecret}},
		"TransientToken":   plex.TransientToken{Token: printSecret},
		"UserPlexAccount":  plex.UserPlexAccount{AuthToken: printSecret},
		"Pin":              plex.Pin{AuthToken: printSecret},
		"SignInRequest":    plex.SignInRequest{Login: "me", Password: printSecret, VerificationCode: printSecret},
		"Client":           *c,
		"Authentication":   *c.Authentication,
	}
	results := map[string]bool{"JWT": true, "Resources": true, "Resource": true, "Device": true, "SourceConnection": true,
		"TransientToken": true, "UserPlexAccount": true, "Pin": true}
	forbidden := []string{printSecret, jwt, fmt.Sprint([]byte(seed)[:4]), base64.StdEncoding.EncodeToString(seed)[:8], strings.Trim(fmt.Sprint(seed[:3]), "[]")}
	for name, v := range values {
		ptr := pointerTo(v)
		type holder struct {
			Name string
			V    any
		}
		forms := map[string]any{"value": v, "pointer": ptr, "nested": holder{"cfg", v}, "nested pointer": holder{"cfg", ptr}}
		for form, x := range forms {
			var out strings.Builder
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
				fmt.Fprintf(&out, verb+"\n", x)
			}
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", x)
			// slog's JSON handler marshals a user's struct with
			// encoding/json, and results marshal their tokens on purpose
			// (documented): only non-results must survive that.
			if !results[name] || !strings.HasPrefix(form, "nested") {
				slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", x)
			}
			out.Write(buf.Bytes())
			for _, f := range forbidden {
				if strings.Contains(out.String(), f) {
					t.Errorf("%s (%s) shows %q:\n%s", name, form, f, out.String())
					break
				}
			}
		}
	}
	for name, v := range map[string]any{"DeviceKey": *k, "*DeviceKey": k, "JWTSource": src, "Transport": plex.Transport{Source: plex.StaticToken(printSecret)}, "Client": c, "SignInRequest": plex.SignInRequest{Password: printSecret}} {
		b, _ := json.Marshal(v)
		for _, f := range forbidden {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("json.Marshal(%s) shows a secret: %s", name, b)
			}
		}
	}
}

// pointerTo returns a pointer to a copy of v.
func pointerTo(v any) any {
	switch x := v.(type) {
	case plex.DeviceKey:
		return &x
	case plex.JWT:
		return &x
	case plex.JWTSource:
		return &x
	case plex.Transport:
		return &x
	case plex.Resources:
		return &x
	case plex.Resource:
		return &x
	case plex.Device:
		return &x
	case plex.SourceConnection:
		return &x
	case plex.TransientToken:
		return &x
	case plex.UserPlexAccount:
		return &x
	case plex.Pin:
		return &x
	case plex.SignInRequest:
		return &x
	case plex.Client:
		return &x
	case plex.Authentication:
		return &x
	}
	return &v
}
