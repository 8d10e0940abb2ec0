package plex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authsdk/authsdk/gen/plexapi"
	"github.com/authsdk/authsdk/internal/callopts"
	"github.com/authsdk/authsdk/internal/core"
	"github.com/authsdk/authsdk/sdk"
)

// ErrNoConnection matches Connect's error when no connection of the
// resource answered as that server. The error lists each URL's cause.
var ErrNoConnection = errors.New("plex: no connection to the server answered")

// Connect's timing and bounds: a probe gives up after probeTimeout; once
// one probe has answered as the server, more-preferred probes still
// pending get connectGrace to answer, or only unconnectedGrace when they
// have not even connected (a LAN address seen from outside the LAN never
// will); the most preferred probe runs alone for headStart; at most
// maxProbes are in flight; an /identity answer is read up to maxIdentity.
var (
	probeTimeout     = 10 * time.Second
	connectBudget    = 15 * time.Second
	connectGrace     = time.Second
	unconnectedGrace = 250 * time.Millisecond
	headStart        = 20 * time.Millisecond
)

const (
	maxProbes     = 8
	maxCandidates = 16
	maxIdentity   = 64 << 10
)

type identity struct {
	MachineIdentifier string `json:"machineIdentifier"`
	Version           string `json:"version"`
}

type probe struct {
	i         int
	id        identity
	latency   time.Duration
	rsp       *http.Response
	err       error
	transport http.RoundTripper // pinned to the candidate's dial address; nil = the client's
}

// slot is one candidate's probe while Connect runs: its cancel, and
// whether its connection (TCP, and TLS for https) is up.
type slot struct {
	ctx       context.Context
	cancel    context.CancelFunc
	connected atomic.Bool
}

// Connect finds the connection of r that works from here. It probes the
// PreferredURLs entries with GET {url}/identity, which needs no token and
// sends none: the server's token goes nowhere before the server is proven.
// The most preferred URL is asked first; the others (at most 8 probes in
// flight) when it fails or 20 ms later, so a LAN server that answers at
// once is the only address asked. An answer counts only if its
// machineIdentifier is r.ClientIdentifier (a reused LAN address may be
// another server); a redirect never counts and is never followed, and the
// URL returned is the one that answered. Connect returns the most
// preferred URL that answered once every more-preferred probe has failed;
// after the first answer that counts, a more-preferred probe still pending
// gets one second more, or 250 ms when it has not even connected (a LAN
// address seen from outside the LAN). The other probes are then cancelled.
// Each probe is one attempt, bounded by 10 s and by ctx, and reads at most
// 64 KiB. Connect probes at most the 16 most preferred URLs, and when ctx
// has no deadline it gives itself 15 s in all: a long list of addresses
// that accept and never answer cannot hold it longer.
//
// When none answers, the error names each URL (redacted) with its cause
// and matches errors.Is(err, ErrNoConnection). Of opts, only
// sdk.WithResponseInto applies (the winning probe's response).
func (a *Authentication) Connect(ctx context.Context, r Resource, opts ...sdk.CallOption) (*ServerConnection, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%s: nil context", opConnect.Name)
	}
	if r.ClientIdentifier == "" {
		return nil, fmt.Errorf("%s: resource %q has no clientIdentifier to check the server against", opConnect.Name, core.Clip(core.Clean(r.Name)))
	}
	cands := r.candidates()
	if len(cands) == 0 {
		return nil, fmt.Errorf("%s: resource %q has no connection to try: %w", opConnect.Name, core.Clip(core.Clean(r.Name)), ErrNoConnection)
	}
	cands = cands[:min(len(cands), maxCandidates)]
	o := callopts.Apply(opts)
	into := o.ResponseInto()
	var cancel context.CancelFunc
	if _, ok := ctx.Deadline(); ok {
		ctx, cancel = context.WithCancel(ctx)
	} else {
		ctx, cancel = context.WithTimeout(ctx, connectBudget)
	}
	defer cancel()
	n := len(cands)
	slots := make([]slot, n)
	for i := range slots {
		s := &slots[i]
		s.ctx, s.cancel = context.WithCancel(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotConn: func(httptrace.GotConnInfo) { s.connected.Store(true) },
		}))
		defer s.cancel()
	}
	results := make(chan probe, n)
	var firstGood atomic.Int64 // when a less preferred probe first answered as the server (UnixNano)
	inFlight := make(chan struct{}, maxProbes)
	inFlight <- struct{}{} // the first probe's
	run := func(i int) {
		p := a.probe(slots[i].ctx, i, cands[i], r.ClientIdentifier, into != nil)
		<-inFlight
		if p.err == nil && firstGood.CompareAndSwap(0, time.Now().UnixNano()) {
			// The first probe, still pending on the caller's goroutine, gets
			// its grace here: the loop below is not running yet.
			time.AfterFunc(unconnectedGrace, func() {
				if !slots[0].connected.Load() {
					slots[0].cancel()
				}
			})
			time.AfterFunc(connectGrace, slots[0].cancel)
		}
		results <- p
	}
	var once sync.Once
	startRest := func() {
		once.Do(func() {
			go func() {
				for i := 1; i < n; i++ {
					select {
					case inFlight <- struct{}{}:
						go run(i)
					case <-ctx.Done():
						return
					}
				}
			}()
		})
	}
	if n > 1 {
		t := time.AfterFunc(headStart, startRest)
		defer t.Stop()
	}
	answered := make([]*probe, n)
	failed := make([]error, n)
	// The most preferred probe runs on this goroutine (its stack is grown
	// already: a new goroutine would copy its stack up to an HTTP call's
	// depth).
	first := a.probe(slots[0].ctx, 0, cands[0], r.ClientIdentifier, into != nil)
	<-inFlight
	if first.err == nil {
		return a.connected(r, cands[0], &first, into), nil
	}
	failed[0] = first.err
	if ctx.Err() != nil {
		return nil, newNoConnectionError(r, cands, failed, ctx.Err())
	}
	startRest()

	record := func(p probe) {
		if p.err != nil {
			failed[p.i] = p.err
		} else {
			answered[p.i] = &p
		}
	}
	// best is the most preferred answer; final when nothing more preferred is pending.
	best := func() (int, bool) {
		for i := range cands {
			if answered[i] != nil {
				return i, true
			}
			if failed[i] == nil {
				return -1, false
			}
		}
		return -1, true
	}
	var short, grace <-chan time.Time
	for pending := n - 1; pending > 0; {
		if t0 := firstGood.Load(); grace == nil && t0 != 0 {
			since := time.Since(time.Unix(0, t0))
			ts := time.NewTimer(unconnectedGrace - since)
			defer ts.Stop()
			tg := time.NewTimer(connectGrace - since)
			defer tg.Stop()
			short, grace = ts.C, tg.C
		}
		select {
		case p := <-results:
			pending--
			record(p)
			if i, final := best(); final && i >= 0 {
				return a.connected(r, cands[i], answered[i], into), nil
			}
		case <-short:
			// More-preferred probes that have not connected by now give up.
			short = nil
			for i := range slots {
				if answered[i] == nil && failed[i] == nil && !slots[i].connected.Load() {
					slots[i].cancel()
				}
			}
		case <-grace:
			// Answers already in, but not yet read, count.
			for drained := false; !drained; {
				select {
				case p := <-results:
					record(p)
				default:
					drained = true
				}
			}
			for i := range answered {
				if answered[i] != nil {
					return a.connected(r, cands[i], answered[i], into), nil
				}
			}
		case <-ctx.Done():
			return nil, newNoConnectionError(r, cands, failed, ctx.Err())
		}
	}
	return nil, newNoConnectionError(r, cands, failed, nil)
}

// connected is the ServerConnection of the winning probe p.
func (a *Authentication) connected(r Resource, c candidate, p *probe, into **http.Response) *ServerConnection {
	if into != nil {
		*into = p.rsp
	}
	origin := a.origin
	origin.accessToken = "" // replaced by the server's own token in Client
	sc := &ServerConnection{
		URL: c.url, MachineIdentifier: p.id.MachineIdentifier, Version: p.id.Version,
		AccessToken: r.AccessToken, Local: c.local, Relay: c.relay, Latency: p.latency,
		origin: &origin, transport: p.transport,
	}
	if u, err := url.Parse(c.url); err == nil && strings.EqualFold(u.Scheme, "https") {
		sc.VerifiedName = strings.ToLower(u.Hostname())
	}
	if p.transport != nil {
		sc.DialAddress = c.dial
	}
	return sc
}

// probe asks c who it is: one attempt, no token. A plex.direct URL is
// reached by dialing c.dial, its certificate verified against the name.
func (a *Authentication) probe(ctx context.Context, i int, c candidate, want string, keep bool) probe {
	p := probe{i: i}
	server, err := core.ValidateServerURL("connection", c.url)
	if err != nil {
		p.err = err
		return p
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var opts []sdk.CallOption
	if keep {
		opts = []sdk.CallOption{sdk.WithResponseInto(&p.rsp)}
	}
	info := &core.CallInfo{OneAttempt: true, NoRedirects: true, MaxBody: maxIdentity}
	if c.dial != "" {
		if t, ok := pinnedTransport(a.core.HTTPClient().Transport, plexDirectName(c.url), c.dial); ok {
			info.Transport, p.transport = t, t
		}
	}
	start := time.Now()
	rsp, err := core.Invoke[struct{ MediaContainer identity }](ctx, a.core, &opConnect, server, opts, info, func(ctx context.Context, server string, d core.HTTPDoer) (*http.Response, error) {
		return (&plexapi.Client{Server: server, Client: d}).GetIdentity(ctx, a.setFixed)
	})
	p.latency = time.Since(start)
	if err != nil && p.transport != nil {
		p.transport.(*http.Transport).CloseIdleConnections()
		p.transport = nil
	}
	switch {
	case err != nil:
		p.err = err
	case rsp.MediaContainer.MachineIdentifier != want:
		p.err = fmt.Errorf("answered as another server (machineIdentifier %q)", core.Clip(core.Clean(rsp.MediaContainer.MachineIdentifier)))
	default:
		p.id = rsp.MediaContainer
	}
	return p
}

// noConnectionError lists each URL's cause in its message. It does not
// unwrap to the probes' errors: a 401 or 429 from some address asked
// anonymously says nothing about the caller's token or plex.tv's rate
// limit, so it must not match ErrInvalidToken or ErrThrottled. It keeps
// only its text (URLs redacted and sanitized) and the context's error:
// fmt reaches unexported fields by reflection (%#v), so no Resource and no
// secret may sit in one.
type noConnectionError struct {
	msg    string
	ctxErr error
}

func newNoConnectionError(r Resource, cands []candidate, failed []error, ctxErr error) *noConnectionError {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: no connection to %q (%s) answered as the server", opConnect.Name, core.Clip(core.Clean(r.Name)), core.Clip(core.Clean(r.ClientIdentifier)))
	if ctxErr != nil {
		fmt.Fprintf(&b, " before the context ended (%v)", ctxErr)
	}
	for i, c := range cands {
		cause := "no answer yet"
		if failed[i] != nil {
			cause = strings.TrimPrefix(failed[i].Error(), opConnect.Name+": ")
		}
		fmt.Fprintf(&b, "; %s: %s", core.Clean(core.RedactURLString(c.url)), cause)
	}
	return &noConnectionError{msg: b.String(), ctxErr: ctxErr}
}

func (e *noConnectionError) Error() string { return e.msg }

// Is matches ErrNoConnection, and the context's error when it ended the wait.
func (e *noConnectionError) Is(target error) bool {
	return target == ErrNoConnection || (e.ctxErr != nil && target == e.ctxErr)
}
