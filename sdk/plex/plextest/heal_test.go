package plextest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
)

// The tests of the token lifecycle run under testing/synctest: the fake
// answers in memory (Server.RoundTrip), so the clock is synctest's and
// JWT lifetimes, back-offs and timeouts pass in no wall time.

// inMemory starts a fake (outside the bubble: its listener is a real
// socket) whose requests are answered in memory.
func inMemory(t *testing.T) *plextest.Server {
	t.Helper()
	srv := plextest.NewServer()
	t.Cleanup(func() {
		srv.AssertNoViolations(t)
		srv.Close()
	})
	return srv
}

// bubbleSource is a client talking to srv in memory and a JWTSource on a
// key srv knows; call it inside the bubble.
func bubbleSource(t *testing.T, srv *plextest.Server, lifetime time.Duration, opts ...plex.Option) (*plex.Client, *plex.JWTSource) {
	t.Helper()
	srv.SetJWTLifetime(lifetime)
	c, err := srv.Client(append([]plex.Option{plex.WithHTTPClient(&http.Client{Transport: srv})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := plex.NewDeviceKey()
	if err := c.Authentication.RegisterDeviceKey(context.Background(), plextest.UserToken, k); err != nil {
		t.Fatal(err)
	}
	src := c.Authentication.NewJWTSource(k)
	t.Cleanup(func() { _ = src.Close() })
	return c, src
}

// resourceServer stands for a plex.tv resource endpoint: it refuses the
// JWTs in refused with status, accepts any other, and sends the JWT
// exchange to the fake.
type resourceServer struct {
	fake    *plextest.Server
	status  int
	mu      sync.Mutex
	refused map[string]bool
	hits    atomic.Int32
}

func (rs *resourceServer) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/resource") {
		return rs.fake.RoundTrip(req)
	}
	rs.hits.Add(1)
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	rs.mu.Lock()
	refused := rs.refused[req.Header.Get("X-Plex-Token")]
	rs.mu.Unlock()
	status := http.StatusOK
	if refused || req.Header.Get("X-Plex-Token") == "" {
		status = rs.status
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
}

func (rs *resourceServer) refuse(tok string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.refused == nil {
		rs.refused = map[string]bool{}
	}
	rs.refused[tok] = true
}

// exchanges counts the Plex JWT exchanges the fake has answered.
func exchanges(srv *plextest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/auth/token") {
			n++
		}
	}
	return n
}

func TestTransportHealsARefusedJWTOnce(t *testing.T) {
	for _, c := range []struct {
		name   string
		url    string
		status int
		heals  bool
		hosts  []string
	}{
		{"498 from plex.tv", "https://plex.tv/api/v2/resource", 498, true, nil},
		{"401 from plex.tv", "https://plex.tv/api/v2/resource", 401, true, nil},
		// A JWT goes to a server only when Hosts names it; the first 498
		// from such a server still heals.
		{"498 from a server", "https://10-0-0-5.abc.plex.direct:32400/resource", 498, true, []string{"*.plex.direct"}},
		{"401 from a server", "https://10-0-0-5.abc.plex.direct:32400/resource", 401, false, []string{"*.plex.direct"}}, // PMS refuses JWTs by design
		{"a server not in Hosts gets no JWT", "https://10-0-0-5.abc.plex.direct:32400/resource", 498, false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := inMemory(t)
			synctest.Test(t, func(t *testing.T) {
				_, src := bubbleSource(t, srv, time.Hour)
				old, err := src.Token(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				rs := &resourceServer{fake: srv, status: c.status}
				rs.refuse(string(old.Token))
				hc := &http.Client{Transport: &plex.Transport{Source: src, Base: rs, Hosts: c.hosts}}
				before := exchanges(srv)
				rsp, err := hc.Get(c.url)
				if err != nil {
					t.Fatal(err)
				}
				rsp.Body.Close()
				wantStatus, wantHits, wantExchanges := 200, int32(2), 1
				if !c.heals {
					wantStatus, wantHits, wantExchanges = c.status, 1, 0
				}
				if rsp.StatusCode != wantStatus || rs.hits.Load() != wantHits || exchanges(srv)-before != wantExchanges {
					t.Errorf("status %d, %d requests, %d exchanges; want %d, %d, %d",
						rsp.StatusCode, rs.hits.Load(), exchanges(srv)-before, wantStatus, wantHits, wantExchanges)
				}
			})
		})
	}
}

// 100 concurrent requests refused with the same JWT cause one exchange,
// and each is replayed once.
func TestTransportHealsConcurrentRefusalsWithOneExchange(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		_, src := bubbleSource(t, srv, time.Hour)
		old, _ := src.Token(context.Background())
		rs := &resourceServer{fake: srv, status: 498}
		rs.refuse(string(old.Token))
		hc := &http.Client{Transport: &plex.Transport{Source: src, Base: rs}}
		before := exchanges(srv)
		var wg sync.WaitGroup
		var ok atomic.Int32
		for range 100 {
			wg.Go(func() {
				rsp, err := hc.Get("https://plex.tv/api/v2/resource")
				if err == nil {
					if rsp.StatusCode == 200 {
						ok.Add(1)
					}
					rsp.Body.Close()
				}
			})
		}
		wg.Wait()
		if n := exchanges(srv) - before; n != 1 || ok.Load() != 100 {
			t.Errorf("%d exchanges, %d of 100 healed; want 1 exchange, 100 healed", n, ok.Load())
		}
		if h := rs.hits.Load(); h > 200 {
			t.Errorf("%d requests for 100 calls: a request was replayed more than once", h)
		}
	})
}

// A body that cannot be rebuilt is never replayed: the caller gets the
// refusal, and the source has dropped the refused JWT for the next call.
func TestTransportDoesNotReplayABodyItCannotRebuild(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		_, src := bubbleSource(t, srv, time.Hour)
		old, _ := src.Token(context.Background())
		rs := &resourceServer{fake: srv, status: 498}
		rs.refuse(string(old.Token))
		hc := &http.Client{Transport: &plex.Transport{Source: src, Base: rs}}
		req, _ := http.NewRequest(http.MethodPost, "https://plex.tv/api/v2/resource", io.NopCloser(strings.NewReader("a=1")))
		rsp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rsp.Body.Close()
		if rsp.StatusCode != 498 || rs.hits.Load() != 1 {
			t.Fatalf("status %d after %d requests: a POST without GetBody was replayed", rsp.StatusCode, rs.hits.Load())
		}
		// With GetBody, the same POST is replayed once.
		req, _ = http.NewRequest(http.MethodPost, "https://plex.tv/api/v2/resource", strings.NewReader("a=1"))
		now, _ := src.Token(context.Background())
		rs.refuse(string(now.Token))
		rsp, err = hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rsp.Body.Close()
		if rsp.StatusCode != 200 || rs.hits.Load() != 3 {
			t.Fatalf("status %d after %d requests: a rebuildable POST was not replayed once", rsp.StatusCode, rs.hits.Load())
		}
	})
}

// Close cancels the exchange in flight and ends the source's goroutines
// before it returns; Token then says the source is closed. The exchange
// hangs for an hour of the fake clock: nothing waits for it.
func TestJWTSourceClose(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		_, src := bubbleSource(t, srv, time.Hour)
		srv.FailNext(1, plextest.Fault{Delay: time.Hour}) // the nonce hangs
		start := time.Now()
		done := make(chan error)
		go func() {
			_, err := src.Token(context.Background())
			done <- err
		}()
		synctest.Wait() // the exchange is in flight, its caller waiting
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // every goroutine the source started has ended
		if err := <-done; !errors.Is(err, plex.ErrSourceClosed) {
			t.Errorf("the waiting caller got %v, want ErrSourceClosed", err)
		}
		if _, err := src.Token(context.Background()); !errors.Is(err, plex.ErrSourceClosed) || !strings.Contains(err.Error(), "closed") {
			t.Errorf("Token after Close: %v", err)
		}
		if took := time.Since(start); took != 0 {
			t.Errorf("Close took %v of the fake clock: it waited for the hanging exchange", took)
		}
		if !src.Status().Closed {
			t.Error("Status does not say closed")
		}
	})
}

// SetToken wins over an exchange that was already in flight.
func TestJWTSourceSetTokenWinsOverAnExchangeInFlight(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		_, src := bubbleSource(t, srv, time.Hour)
		mine := &plex.JWT{Token: "mine", ExpiresAt: time.Now().Add(2 * time.Hour), IssuedAt: time.Now()}
		srv.FailNext(1, plextest.Fault{Delay: time.Second}) // a slow nonce
		got := make(chan *plex.JWT)
		go func() {
			j, _ := src.Token(context.Background())
			got <- j
		}()
		synctest.Wait()
		src.SetToken(mine)
		j := <-got
		if j == nil || j.Token != "mine" {
			t.Fatalf("the waiting caller got %v", j)
		}
		if j, _ := src.Token(context.Background()); j.Token != "mine" {
			t.Fatal("the exchange in flight overwrote the JWT handed to SetToken")
		}
	})
}

// Background failures speak: a Warn line per failure (no secret), a Status
// that says how it goes, and one Error line when the held JWT enters its
// due window after failures.
func TestJWTSourceSpeaksWhenRefreshesFail(t *testing.T) {
	srv := inMemory(t)
	synctest.Test(t, func(t *testing.T) {
		var logs bytes.Buffer
		var mu sync.Mutex
		h := slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelWarn})
		_, src := bubbleSource(t, srv, 10*time.Minute, plex.WithLogger(slog.New(h)))
		held, err := src.Token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		srv.FailNext(1000, plextest.Fault{Status: 503})
		time.Sleep(6 * time.Minute) // stale: half the life gone
		if j, _ := src.Token(context.Background()); j.Token != held.Token {
			t.Fatal("the stale JWT was not served")
		}
		time.Sleep(30 * time.Second) // the exchange's own retries give up within this
		st := src.Status()
		if st.Failures != 1 || st.LastError == nil || !st.ExpiresAt.Equal(held.ExpiresAt) || st.LastRefresh.IsZero() {
			t.Fatalf("status after one failure: %+v", st)
		}
		// Into the due window (1 min = L/10 left): callers still get the held JWT, and the source says so loudly.
		time.Sleep(2*time.Minute + 45*time.Second) // 45 s left
		for range 3 {
			if j, err := src.Token(context.Background()); err != nil || j.Token != held.Token {
				t.Fatalf("a valid JWT was withheld: %v", err)
			}
			synctest.Wait()
			time.Sleep(2 * time.Second)
		}
		mu.Lock()
		out := logs.String()
		mu.Unlock()
		if n := strings.Count(out, "level=WARN"); n < 2 || !strings.Contains(out, "refreshing the Plex JWT failed") || !strings.Contains(out, "next_attempt=") || !strings.Contains(out, "held_jwt_expires_in=") {
			t.Errorf("want a Warn line per failed refresh with its cause, next attempt and the time left:\n%s", out)
		}
		if n := strings.Count(out, "level=ERROR"); n != 1 {
			t.Errorf("%d Error lines, want exactly one when the JWT enters its due window after failures:\n%s", n, out)
		}
		if strings.Contains(out, string(held.Token)[:20]) {
			t.Errorf("a log line shows the JWT:\n%s", out)
		}
	})
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// With Base nil, Transport reuses connections like the SDK's own clients:
// 32 goroutines × 100 calls open at most 64 (http.DefaultTransport keeps 2
// idle per host and opened thousands).
func TestTransportPoolsConnectionsByDefault(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	hc := &http.Client{Transport: &plex.Transport{Source: plex.StaticToken("t"), Hosts: []string{host}}}
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range 100 {
				rsp, err := hc.Get(srv.URL)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, rsp.Body)
				rsp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := conns.Load(); n > 64 {
		t.Errorf("%d connections for 32 goroutines × 100 calls, want ≤ 64", n)
	}
}

// A request to a host that gets no token is logged at Debug, once per host.
func TestTransportSaysWhenAHostGetsNoToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Plex-Token") != "" {
			t.Error("a token went to a host not in Hosts")
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	l := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hc := &http.Client{Transport: &plex.Transport{Source: plex.StaticToken("tok-secret"), Logger: l}}
	for range 3 {
		rsp, err := hc.Get(srv.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		rsp.Body.Close()
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	if n := strings.Count(logs.String(), "sends no token"); n != 1 || !strings.Contains(logs.String(), host) || strings.Contains(logs.String(), "tok-secret") {
		t.Errorf("want one Debug line naming %s:\n%s", host, logs.String())
	}
}
