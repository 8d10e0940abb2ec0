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

	"github.com/authsdk/authsdk/sdk"
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
// and nested in a user's struct, slice, map and any: fmt (every verb), slog
// (text and JSON) and json.Marshal never show the secret.
func TestNoValuePrintsItsSecret(t *testing.T) {
	k, _ := plex.NewDeviceKey()
	pemBytes, _ := k.MarshalPEM()
	der := strings.Join(strings.Split(string(pemBytes), "\n")[1:4], "")
	raw, _ := base64.StdEncoding.DecodeString(der)
	seed := raw[len(raw)-32:] // the Ed25519 seed at the end of the PKCS#8 DER
	c, _ := plex.New(plex.WithAccessToken(printSecret), plex.WithClientIdentifier("cid"))
	src := c.Authentication.NewJWTSource(k)
	jwt := fakeJWT(time.Now().Add(time.Hour))
	src.SetToken(&plex.JWT{Token: sdk.Secret(jwt)})
	if j, _ := src.Token(context.Background()); j == nil || string(j.Token) != jwt {
		t.Fatal("SetToken did not seed the source")
	}
	res := plex.Resource{Name: "pms", AccessToken: printSecret}
	values := map[string]any{
		"DeviceKey":        *k,
		"JWT":              plex.JWT{Token: sdk.Secret(jwt)},
		"JWTSource":        *src,
		"Transport":        plex.Transport{Source: plex.StaticToken(printSecret)},
		"TransportJWT":     plex.Transport{Source: src},
		"StaticToken":      plex.StaticToken(printSecret),
		"Resources":        []plex.Resource{res, res},
		"ServerConnection": plex.ServerConnection{URL: "https://x", AccessToken: printSecret},
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
	forbidden := []string{printSecret, jwt, fmt.Sprint([]byte(seed)[:4]), base64.StdEncoding.EncodeToString(seed)[:8], strings.Trim(fmt.Sprint(seed[:3]), "[]")}
	for name, v := range values {
		ptr := pointerTo(v)
		type holder struct {
			Name string
			V    any
		}
		forms := map[string]any{"value": v, "pointer": ptr, "nested": holder{"cfg", v}, "nested pointer": holder{"cfg", ptr},
			"in a slice": []any{v}, "in a map": map[string]any{"k": ptr}, "in a struct in a slice": []holder{{"cfg", v}}}
		for form, x := range forms {
			var out strings.Builder
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
				if badVerbOnNestedPointer(form, verb) {
					continue
				}
				fmt.Fprintf(&out, verb+"\n", x)
			}
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "v", x)
			// slog's JSON handler marshals a user's struct with encoding/json:
			// the secrets nested at any depth must still not show.
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "v", x)
			b, err := json.Marshal(x)
			if err == nil {
				buf.Write(b)
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

// badVerbOnNestedPointer: fmt prints a pointer nested in a value with %s or
// %q as "%!s(*T=&{…})", with every method (Secret's Format included)
// switched off, so no type can redact itself there. That is fmt's error
// output for a verb pointers do not take; %v, %+v, %#v and %x print the
// address.
func badVerbOnNestedPointer(form, verb string) bool {
	return (form == "nested pointer" || form == "in a map") && (verb == "%s" || verb == "%q")
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
	case []plex.Resource:
		return &x
	case plex.ServerConnection:
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
