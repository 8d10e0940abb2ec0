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
	rc := newRace(ctx, a, r, cands, into != nil)
	defer rc.stop()
	i, err := rc.run()
	if err != nil {
		return nil, err
	}
	return a.connected(r, cands[i], rc.answered[i], into), nil
}

// race is one Connect's probes, as net's dialParallel is one dial's: the
// most preferred runs alone for headStart, then the rest (maxProbes at
// once); the most preferred answer wins once every more preferred probe
// failed, or when the grace after the first answer ends.
type race struct {
	a        *Authentication
	r        Resource
	cands    []candidate
	keep     bool // keep the winning probe's response (sdk.WithResponseInto)
	ctx      context.Context
	slots    []slot
	results  chan probe
	inFlight chan struct{}
	// firstGood is when a less preferred probe first answered as the server
	// (UnixNano; 0 = none yet).
	firstGood atomic.Int64
	once      sync.Once
	head      *time.Timer
	timers    []*time.Timer
	answered  []*probe
	failed    []error
}

func newRace(ctx context.Context, a *Authentication, r Resource, cands []candidate, keep bool) *race {
	n := len(cands)
	rc := &race{a: a, r: r, cands: cands, keep: keep, ctx: ctx, slots: make([]slot, n),
		results: make(chan probe, n), inFlight: make(chan struct{}, maxProbes), answered: make([]*probe, n), failed: make([]error, n)}
	for i := range rc.slots {
		s := &rc.slots[i]
		s.ctx, s.cancel = context.WithCancel(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotConn: func(httptrace.GotConnInfo) { s.connected.Store(true) },
		}))
	}
	return rc
}

// stop cancels every probe still running and the race's timers.
func (rc *race) stop() {
	for i := range rc.slots {
		rc.slots[i].cancel()
	}
	if rc.head != nil {
		rc.head.Stop()
	}
	for _, t := range rc.timers {
		t.Stop()
	}
}

// run probes and returns the index of the winning candidate.
func (rc *race) run() (int, error) {
	n := len(rc.cands)
	rc.inFlight <- struct{}{} // the first probe's
	if n > 1 {
		rc.head = time.AfterFunc(headStart, rc.startRest)
	}
	// The most preferred probe runs on this goroutine (its stack is grown
	// already: a new goroutine would copy its stack up to an HTTP call's
	// depth).
	first := rc.a.probe(rc.slots[0].ctx, 0, rc.cands[0], rc.r.ClientIdentifier, rc.keep)
	<-rc.inFlight
	if rc.record(first); first.err == nil {
		return 0, nil
	}
	if rc.ctx.Err() != nil {
		return -1, newNoConnectionError(rc.r, rc.cands, rc.failed, rc.ctx.Err())
	}
	rc.startRest()
	var short, grace <-chan time.Time
	for pending := n - 1; pending > 0; {
		if t0 := rc.firstGood.Load(); grace == nil && t0 != 0 {
			since := time.Since(time.Unix(0, t0))
			ts, tg := time.NewTimer(unconnectedGrace-since), time.NewTimer(connectGrace-since)
			rc.timers = append(rc.timers, ts, tg)
			short, grace = ts.C, tg.C
		}
		select {
		case p := <-rc.results:
			pending--
			rc.record(p)
			if i, final := rc.best(); final && i >= 0 {
				return i, nil
			}
		case <-short:
			short = nil
			rc.cancelUnconnected()
		case <-grace:
			if i := rc.drainAndPick(); i >= 0 {
				return i, nil
			}
		case <-rc.ctx.Done():
			return -1, newNoConnectionError(rc.r, rc.cands, rc.failed, rc.ctx.Err())
		}
	}
	return -1, newNoConnectionError(rc.r, rc.cands, rc.failed, nil)
}

// startRest starts the other probes, once: after headStart, or as soon as
// the first failed.
func (rc *race) startRest() {
	rc.once.Do(func() {
		go func() {
			for i := 1; i < len(rc.cands); i++ {
				select {
				case rc.inFlight <- struct{}{}:
					go rc.probeOne(i)
				case <-rc.ctx.Done():
					return
				}
			}
		}()
	})
}

// probeOne runs candidate i's probe and reports it. The first answer from
// a less preferred candidate starts the first probe's grace here: it is
// still pending on the caller's goroutine, and run's loop is not running yet.
func (rc *race) probeOne(i int) {
	p := rc.a.probe(rc.slots[i].ctx, i, rc.cands[i], rc.r.ClientIdentifier, rc.keep)
	<-rc.inFlight
	if p.err == nil && rc.firstGood.CompareAndSwap(0, time.Now().UnixNano()) {
		first := &rc.slots[0]
		time.AfterFunc(unconnectedGrace, func() {
			if !first.connected.Load() {
				first.cancel()
			}
		})
		time.AfterFunc(connectGrace, first.cancel)
	}
	rc.results <- p
}

func (rc *race) record(p probe) {
	if p.err != nil {
		rc.failed[p.i] = p.err
	} else {
		rc.answered[p.i] = &p
	}
}

// best is the most preferred answer; final when nothing more preferred is pending.
func (rc *race) best() (int, bool) {
	for i := range rc.cands {
		if rc.answered[i] != nil {
			return i, true
		}
		if rc.failed[i] == nil {
			return -1, false
		}
	}
	return -1, true
}

// cancelUnconnected gives up the more preferred probes that have not even
// connected when the short grace ends.
func (rc *race) cancelUnconnected() {
	for i := range rc.slots {
		if rc.answered[i] == nil && rc.failed[i] == nil && !rc.slots[i].connected.Load() {
			rc.slots[i].cancel()
		}
	}
}

// drainAndPick counts the answers already in but not yet read, and picks
// the most preferred answer (-1 when none).
func (rc *race) drainAndPick() int {
	for {
		select {
		case p := <-rc.results:
			rc.record(p)
			continue
		default:
		}
		break
	}
	for i := range rc.answered {
		if rc.answered[i] != nil {
			return i
		}
	}
	return -1
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
