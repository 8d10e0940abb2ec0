package plex_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/ziggeo"
)

// decodeSlack is what decoding may allocate beyond the bound whatever the
// body: the result's own top-level storage and the decoder's state.
const decodeSlack = 16 << 10

// boundTypes are the result types the SDK decodes answers into.
var boundTypes = []reflect.Type{
	reflect.TypeFor[[]plex.Resource](),
	reflect.TypeFor[plex.UserPlexAccount](),
	reflect.TypeFor[struct{ MediaContainer plex.TransientToken }](),
	reflect.TypeFor[struct{ MediaContainer plex.SourceConnection }](),
	reflect.TypeFor[plex.ClaimToken](),
	reflect.TypeFor[plex.Pin](),
	reflect.TypeFor[struct{ Users []plex.HomeUser }](),
	reflect.TypeFor[ziggeo.AuthToken](),
}

// decodeAllocs is what encoding/json (whichever engine this binary was
// built with) allocates decoding body into a new t: the least of three
// runs, since the counter is the process's and other goroutines (the
// fuzzing engine's among them) allocate too.
func decodeAllocs(body []byte, t reflect.Type) uint64 {
	least := uint64(math.MaxUint64)
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	for range 3 {
		v := reflect.New(t).Interface()
		metrics.Read(s)
		before := s[0].Value.Uint64()
		_ = json.Unmarshal(body, v)
		metrics.Read(s)
		runtime.KeepAlive(v)
		least = min(least, s[0].Value.Uint64()-before)
	}
	return least
}

// boundSeeds: the shapes that talked the bound around before (escaped and
// Unicode-folded keys), and the shapes it was built for.
func boundSeeds() [][]byte {
	rep := func(s string, n int) string { return strings.TrimSuffix(strings.Repeat(s+",", n), ",") }
	conn := `{"protocol":"https","address":"10.0.0.1","port":32400,"uri":"https://x","local":true}`
	var seeds []string
	for _, key := range []string{`connections`, `\u0063onnections`, `connectionſ`, `CONNECTIONS`, `conne\u0063tions`,
		`connection\u017f`, `\u017fervices`, `conn\u0065ctions`} {
		seeds = append(seeds, `[{"`+key+`":[`+rep(`{}`, 2000)+`]}]`)
		seeds = append(seeds, `{"MediaContainer":{"Device":{"Connection":[`+rep(`{}`, 2000)+`]},"device":{"`+key+`":[`+rep(conn, 3)+`]}}}`)
	}
	seeds = append(seeds,
		`{"MediaContainer":{"\u0044evice":{"\u0043onnection":[`+rep(`{}`, 2000)+`]}}}`,
		`{"MediaContainer":{"Device":{"Connection":[`+rep(`{}`, 2000)+`]}}}`,
		`{"\u212Aey":"k","subscription":{"features":[`+rep(`"a"`, 50)+`]}}`, // K KELVIN SIGN folds to k
		`{"profile":{},"PROFILE":{},"pRoFiLe":{},"pro\u0066ile":{}}`,        // duplicate keys
		`[{"connections":[{}]},{"connections":[{}]},{"connections":[{}],"connections":[{},{}]}]`,
		`[`+rep(`{}`, 2000)+`]`,
		`[`+rep(`null`, 100)+`]`,
		`{"users":[`+rep(`{}`, 2000)+`]}`,
		`{"grants":{"read":{},"create":{},"update":{},"destroy":{}},"token":"`+strings.Repeat(`\u0041`, 200)+`"}`,
		`{"username":"`+strings.Repeat(`\ud83d\ude00`, 100)+`"}`,
		`{"username":"`+strings.Repeat("\xff", 300)+`"}`,
		strings.Repeat(`[`, 200)+strings.Repeat(`]`, 200),
		`{"subscription":{"features":`+strings.Repeat(`[`, 100)+strings.Repeat(`]`, 100)+`}}`,
		`{"\u00`, `{"a\x00":1}`, `[{"\ud800onnections":[{}]}]`,
	)
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = []byte(s)
	}
	for _, name := range []string{"get_server_resources.200.json", "get_user_details.200.json", "get_source_connection_information.200.json"} {
		if b, err := os.ReadFile("plextest/testdata/" + name); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// FuzzDecodeBound is the decode bound against its oracle, the decoder: for
// any body the scan accepts, what decoding it into each result type really
// allocates stays within 8× the body + decodeSlack, and within the scan's
// own estimate + decodeSlack. (The scan runs whatever the body's size
// here; calls skip it below core.ScanFreeBody.)
func FuzzDecodeBound(f *testing.F) {
	for _, s := range boundSeeds() {
		f.Add(s)
	}
	for _, t := range boundTypes { // the decoder's per-type caches, before measuring
		decodeAllocs([]byte(`{}`), t)
		decodeAllocs([]byte(`[]`), t)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, rt := range boundTypes {
			need, err := core.AnswerCost(body, rt)
			if err != nil || need > 8*int64(len(body)) {
				continue // refused
			}
			got := decodeAllocs(body, rt)
			if limit := uint64(min(need, 8*int64(len(body)))) + decodeSlack; got > limit {
				t.Errorf("%v: %d-byte body %s: decoding allocated %d bytes; the scan said %d (limit %d)", rt, len(body), clip(body), got, need, limit)
			}
		}
	})
}

func clip(b []byte) string {
	if len(b) > 200 {
		return fmt.Sprintf("%q…", b[:200])
	}
	return fmt.Sprintf("%q", b)
}

// Answers under their type's scan-free limit skip the cost scan, but a null
// where objects are promised is still refused (the decoder alone would turn
// it into an empty resource), and the bound still refuses past the limit.
func TestSmallAnswersSkipTheScanButNotTheNullCheck(t *testing.T) {
	objects := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("{},", n), ",") + "]" }
	limit := core.ScanFreeLimit(reflect.TypeFor[[]plex.Resource]())
	if fixture, _ := os.ReadFile("plextest/testdata/get_server_resources.200.json"); limit < len(fixture) {
		t.Fatalf("a realistic resources answer (%d bytes) is over the scan-free limit (%d)", len(fixture), limit)
	}
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`[null]`, false},
		{"[ \n\tnull ]", false},
		{`[{"name":"a"}, null]`, false},
		{`[{"name":"a","connections":[null]}]`, false},
		{`[{"name":"null","connections":null,"presence":null}]`, true},
		{`[{"name":"[null, ,null"}]`, true},
		{objects(limit/3 - 1), true},   // just under the limit: decoded directly
		{objects(limit/3 + 64), false}, // over it: scanned, and costs far more than 8×
	} {
		u := answer(t, 200, "application/json", tc.body)
		c, err := plex.New(plex.WithPlexTVURL(u))
		if err != nil {
			t.Fatal(err)
		}
		rs, err := c.Authentication.GetServerResources(context.Background(), "tok")
		if (err == nil) != tc.ok {
			t.Errorf("%s: %d resources, %v", clip([]byte(tc.body)), len(rs), err)
		}
	}
}

// Whatever its shape, an answer decoded without the scan (at most its
// type's ScanFreeLimit) costs at most core.ScanFreeWorst, under either
// engine: arrays of numbers, strings or empty objects where structs are
// promised, deep in any field.
func TestScanFreeAnswersStayUnderTheirBound(t *testing.T) {
	for _, rt := range boundTypes {
		n := core.ScanFreeLimit(rt)
		rep := func(open, elem, close string) []byte {
			k := (n - len(open) - len(close)) / (len(elem) + 1)
			return []byte(open + strings.TrimSuffix(strings.Repeat(elem+",", max(k, 0)), ",") + close)
		}
		for _, elem := range []string{"0", `""`, "{}", "[]", "1e9", `"\\u0000"`} {
			for _, shape := range [][]byte{
				rep("[", elem, "]"),
				rep(`[{"connections":[`, elem, `]}]`),
				rep(`{"MediaContainer":{"Device":{"Connection":[`, elem, `]}}}`),
				rep(`{"users":[`, elem, `]}`),
				rep(`{"subscription":{"features":[`, elem, `]}}`),
				rep(`{"grants":{"read":[`, elem, `]}}`),
				rep(`{"`, strings.Repeat("x", 8)+`":`+elem, `}`),
			} {
				if len(shape) > n {
					continue
				}
				if got := decodeAllocs(shape, rt); got > core.ScanFreeWorst+decodeSlack {
					t.Errorf("%v: a %d-byte answer (%s) allocated %d KiB decoding, over the %d KiB the scan-free limit allows",
						rt, len(shape), clip(shape), got>>10, core.ScanFreeWorst>>10)
				}
			}
		}
	}
}

// The cost scan matches fields as encoding/json does for plain exported
// fields with a name or tag; it does not model promoted fields of embedded
// structs or the ",string" option. A result type that gains one fails here
// before the bound could misjudge it.
func TestResultTypesHoldOnlyFieldsTheScanModels(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(rt reflect.Type, path string)
	walk = func(rt reflect.Type, path string) {
		if seen[rt] {
			return
		}
		seen[rt] = true
		switch rt.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			walk(rt.Elem(), path+"[]")
		case reflect.Struct:
			for i := range rt.NumField() {
				f := rt.Field(i)
				tag := f.Tag.Get("json")
				if f.Anonymous && f.IsExported() {
					t.Errorf("%s.%s: an embedded struct (its fields are promoted; the scan does not model that)", path, f.Name)
				}
				if _, opts, _ := strings.Cut(tag, ","); strings.Contains(","+opts+",", ",string,") {
					t.Errorf("%s.%s: the ,string option (the scan does not model it)", path, f.Name)
				}
				if f.IsExported() {
					walk(f.Type, path+"."+f.Name)
				}
			}
		}
	}
	for _, rt := range boundTypes {
		walk(rt, rt.String())
	}
}
