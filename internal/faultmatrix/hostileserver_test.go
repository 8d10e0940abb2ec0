package faultmatrix

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// hostile is the hostile server: each request's answer is drawn from the
// case's seed and the request's number within the case.
type hostile struct {
	mu      sync.Mutex
	seed    uint64
	n       int // requests (attempts) of the current case, redirect hops aside
	drops   int // connections dropped in the current case
	largest int // the largest body answered in the current case
	other   string
	force   string            // a huge shape every answer of the case has (the sweep)
	huge    map[string][]byte // precomputed large bodies by shape
}

func (h *hostile) reset(seed uint64, force string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seed, h.n, h.drops, h.largest, h.force = seed, 0, 0, 0, force
}

func (h *hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if r.URL.Query().Get("hop") != "" {
		// A redirect's follow-up: answer as the server would, once.
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"errors":[{"code":1000,"message":"hop","status":404}]}`)
		return
	}
	h.mu.Lock()
	h.n++
	rng := rand.New(rand.NewPCG(h.seed, uint64(h.n)))
	force := h.force
	if force != "" {
		h.largest = max(h.largest, len(h.huge[strings.TrimSuffix(force, gzipSuffix)]))
	}
	h.mu.Unlock()
	if force != "" {
		w.Header().Set("Content-Type", "application/json")
		if shape, ok := strings.CutSuffix(force, gzipSuffix); ok {
			// 1 MiB of shape in a few KiB on the wire: the body cap and the
			// bound hold for what it decompresses to.
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(h.huge[shape+gzipSuffix])
			return
		}
		_, _ = w.Write(h.huge[force])
		return
	}
	echo := fmt.Sprintf("%s %s %v %s", r.Method, r.URL, r.Header, body)

	// Headers: Retry-After, a content type, and sometimes the echo.
	ras := []string{"", "", "0", "1", "-5", "2", "120", "99999999999999999999", "abc", time.Now().Add(time.Second).UTC().Format(http.TimeFormat), "Mon, 02 Jan 2006 15:04:05 GMT"}
	if ra := ras[rng.IntN(len(ras))]; ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	if rng.IntN(8) == 0 {
		w.Header().Set("Retry-After-Ms", strconv.Itoa(rng.IntN(3000)-100))
	}
	cts := []string{"application/json", "application/json; charset=utf-8", "text/html", "text/plain", "application/xml", "", "application/problem+json", "application/json; charset"}
	ct := cts[rng.IntN(len(cts))]
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if rng.IntN(6) == 0 {
		w.Header().Set("X-Echo", strings.ReplaceAll(strings.ReplaceAll(echo, "\r", " "), "\n", " "))
		w.Header().Set("WWW-Authenticate", `Basic realm="`+r.Header.Get("Authorization")+`"`)
	}

	switch rng.IntN(60) {
	case 0, 4, 5: // drop the connection
		h.mu.Lock()
		h.drops++
		h.mu.Unlock()
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case 1: // hang until the client gives up (or 3 s)
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
		return
	case 2, 6, 7: // redirect to itself, or to another host
		to := "/somewhere?hop=1&echo=" + strings.ReplaceAll(r.Header.Get("X-Plex-Token"), "&", "")
		if rng.IntN(2) == 0 {
			to = h.other + "/elsewhere?hop=1"
		}
		w.Header().Set("Location", to)
		w.WriteHeader([]int{301, 302, 303, 307, 308}[rng.IntN(5)])
		return
	case 3, 8, 9: // an informational answer first
		w.WriteHeader(103)
	}

	statuses := []int{200, 200, 200, 201, 204, 400, 401, 403, 404, 422, 429, 429, 498, 500, 502, 503, 503, 504, 418, 299}
	status := statuses[rng.IntN(len(statuses))]
	b := h.body(rng, echo, []string{r.Header.Get("X-Plex-Token"), r.Header.Get("Authorization"), r.URL.Path, string(body)})
	h.mu.Lock()
	h.largest = max(h.largest, len(b))
	h.mu.Unlock()
	if len(b) > 0 && rng.IntN(4) == 0 {
		// Content-Encoding: gzip, which net/http undoes before the SDK reads.
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write(b)
		_ = zw.Close()
		b = z.Bytes()
		w.Header().Set("Content-Encoding", "gzip")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// body draws an answer body: well-shaped with echoed secrets, broken,
// wrong-typed, huge, or the echo itself.
func (h *hostile) body(rng *rand.Rand, echo string, sent []string) []byte {
	j := func(v any) []byte { b, _ := json.Marshal(v); return b }
	// Only what this request carried is echoed: a client cannot scrub a
	// secret it never had.
	tok := append(sent, echo, "", "\x1b[2Jtok\u202e")[rng.IntN(len(sent)+3)]
	switch rng.IntN(14) {
	case 0:
		return j(map[string]any{"errors": []map[string]any{{"code": []int{1001, 1003, 1020, 1029, 1031, 1041, 1097}[rng.IntN(7)], "message": echo, "status": 401}}})
	case 1:
		return j(map[string]any{"token": tok, "authToken": tok, "auth_token": tok, "nonce": "n-" + tok, "id": rng.IntN(100), "code": "ABCD",
			"MediaContainer": map[string]any{"token": tok, "machineIdentifier": "machine-1", "Device": map[string]any{"accessToken": tok}}})
	case 2:
		return j([]map[string]any{{"name": echo, "accessToken": tok, "clientIdentifier": "x", "connections": []any{map[string]any{"uri": echo}}}})
	case 3:
		full := string(j(map[string]any{"authToken": tok, "id": 1, "uuid": "u", "token": tok}))
		return []byte(full[:rng.IntN(len(full))]) // truncated
	case 4:
		return []byte(`{"token": "` + tok + `", "id": [1,2,{]`) // invalid
	case 5:
		return []byte(echo)
	case 6:
		return nil
	case 7:
		return []byte(`null`)
	case 8:
		return j(map[string]any{"token": 12, "authToken": []int{1}, "id": "x", "expiresAt": true, "users": "no"}) // wrong types
	case 9, 10, 11:
		return h.huge[hugeShapes[rng.IntN(len(hugeShapes))]]
	default:
		return j(map[string]any{"message": echo, "error": echo, "errors": echo})
	}
}

var hugeShapes = []string{"nulls", "zeros", "strings", "objects", "deep", "longstring", "escapedkeys", "foldedkeys", "foldedsources"}

// gzipSuffix marks a forced shape sent gzip-encoded.
const gzipSuffix = "/gzip"

// makeHuge precomputes the large hostile bodies (so making them costs the
// measured calls nothing).
func makeHuge(n int) map[string][]byte {
	rep := func(open, elem, close string) []byte {
		return []byte(open + strings.Repeat(elem+",", n/(len(elem)+1)) + elem + close)
	}
	huge := map[string][]byte{
		"nulls":      rep("[", "null", "]"),
		"zeros":      rep("[", "0", "]"),
		"strings":    rep("[", `""`, "]"),
		"objects":    rep("[", "{}", "]"),
		"deep":       []byte(strings.Repeat("[", n/2) + strings.Repeat("]", n/2)),
		"longstring": []byte(`{"token":"` + strings.Repeat("a", n) + `","authToken":"x","MediaContainer":{"token":"y"}}`),
		// Keys the decoder resolves and a raw-byte lookup does not: an
		// escape, and folds (U+017F long s folds to s, U+212A KELVIN SIGN to k).
		"escapedkeys": rep(`[{"\u0063onnections":[`, "{}", `]}]`),
		"foldedkeys":  rep(`[{"connectionſ":[`, "{}", `],"users":[{}]}]`),
		"foldedsources": rep(`{"MediaContainer":{"\u0044evi\u0063e":{"\u0043onne\u0063tion":[`, "{}",
			`]},"Device":{"ConnectioN":[{}]},"\u212Aey":[{}]}}`),
	}
	for _, shape := range hugeShapes {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write(huge[shape])
		_ = zw.Close()
		huge[shape+gzipSuffix] = z.Bytes()
	}
	return huge
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
