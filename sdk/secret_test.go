package sdk_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/authsdk/authsdk/sdk"
)

func TestSecretNeverPrints(t *testing.T) {
	const v = "tok-3f9a-SECRET"
	s := sdk.Secret(v)
	type inner struct{ S sdk.Secret }
	type outer struct {
		In   inner
		P    *inner
		L    []sdk.Secret
		M    map[string]sdk.Secret
		A    any
		Name string
	}
	o := outer{In: inner{s}, P: &inner{s}, L: []sdk.Secret{s}, M: map[string]sdk.Secret{"k": s}, A: s, Name: "visible"}
	var out strings.Builder
	for _, x := range []any{s, &s, o, &o, []any{o}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
			if _, alone := x.(sdk.Secret); !alone && x != any(&s) && strings.ContainsAny(verb, "sqd") {
				continue // o.P is a nested pointer: see Secret's doc
			}
			fmt.Fprintf(&out, verb+"\n", x)
		}
		var b bytes.Buffer
		slog.New(slog.NewTextHandler(&b, nil)).Info("m", "x", x)
		slog.New(slog.NewJSONHandler(&b, nil)).Info("m", "x", x)
		out.Write(b.Bytes())
		j, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(j)
	}
	if strings.Contains(out.String(), "SECRET") || strings.Contains(out.String(), "3f9a") {
		t.Fatalf("a Secret printed its value:\n%s", out.String())
	}
	if !strings.Contains(out.String(), sdk.Redacted) || !strings.Contains(out.String(), "visible") {
		t.Fatalf("expected REDACTED beside the other fields:\n%s", out.String())
	}
	if string(s) != v {
		t.Fatal("string(s) is the way out")
	}
	if fmt.Sprint(sdk.Secret("")) != "" {
		t.Fatal("an empty Secret prints empty, so one can see it is unset")
	}
}

func TestSecretJSONRoundTrip(t *testing.T) {
	var got struct{ T sdk.Secret }
	for in, want := range map[string]string{`{"T":"abc"}`: "abc", `{"T":"a\u00e9\"b"}`: "aé\"b", `{"T":null}`: "", `{}`: ""} {
		got.T = ""
		if err := json.Unmarshal([]byte(in), &got); err != nil || string(got.T) != want {
			t.Errorf("%s: %q %v, want %q", in, got.T, err, want)
		}
	}
	// A store written by json.Marshal holds the marker: loading it fails loudly.
	b, _ := json.Marshal(struct{ T sdk.Secret }{"abc"})
	if err := json.Unmarshal(b, &got); !errors.Is(err, sdk.ErrRedactedSecret) {
		t.Fatalf("unmarshal of %s: %v, want ErrRedactedSecret", b, err)
	}
	for _, in := range []string{`{"T":1}`, `{"T":{}}`, `{"T":[]}`, `{"T":true}`} {
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("%s: decoded into a Secret", in)
		}
	}
}
