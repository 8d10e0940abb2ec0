// Package fake is the machinery shared by the spec-validated fake servers
// (sdk/ziggeo/ziggeotest, sdk/plex/plextest): it validates every request and
// response against an OpenAPI document with kin-openapi's openapi3filter,
// records violations and requests, and injects faults.
package fake

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/sdktest"
)

// Fault and Request are the public fakes' types (sdktest), shared.
type (
	Fault   = sdktest.Fault
	Request = sdktest.Request
)

// Config describes one fake API.
type Config struct {
	Spec []byte // the OpenAPI document
	// Authenticate checks a security scheme's presence and form (the spec
	// level); credential values are the handlers' business.
	Authenticate openapi3filter.AuthenticationFunc
	// ErrorBody renders the API's error body for a status and message.
	ErrorBody func(status int, message string) []byte
}

// Server is an httptest server that validates traffic against a spec.
type Server struct {
	URL string // base URL of the loopback server, no trailing slash

	srv        *httptest.Server
	doc        *openapi3.T
	mux        *http.ServeMux
	cfg        Config
	mu         sync.Mutex
	faults     []Fault
	violations []string
	requests   []Request
	handled    map[string]bool // operationIds with a handler
}

// New loads and validates the spec; routes are added with Handle, then Start.
func New(cfg Config) (*Server, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(cfg.Spec)
	if err != nil {
		return nil, fmt.Errorf("fake: load spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("fake: spec invalid: %w", err)
	}
	s := &Server{doc: doc, mux: http.NewServeMux(), cfg: cfg}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.record(Request{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone()})
		s.violation("%s %s: no operation in the spec matches", r.Method, r.URL.EscapedPath())
		s.writeError(w, http.StatusNotFound, "no such endpoint")
	})
	return s, nil
}

// Handled reports whether the fake serves the operation with this operationId.
func (s *Server) Handled(operationID string) bool { return s.handled[operationID] }

// Start starts serving on loopback.
func (s *Server) Start() {
	s.srv = httptest.NewServer(s.mux)
	s.URL = s.srv.URL
}

// StartTLS starts serving https on loopback with cfg's certificates.
func (s *Server) StartTLS(cfg *tls.Config) {
	s.srv = httptest.NewUnstartedServer(s.mux)
	s.srv.TLS = cfg
	s.srv.StartTLS()
	s.URL = s.srv.URL
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Client returns an *http.Client that talks to the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

// HandleOperation serves the spec operation with this operationId at
// mount + its path: the fakes name operations as the spec does, and the
// method and path come from the spec alone.
func (s *Server) HandleOperation(operationID, mount string, h http.HandlerFunc) {
	for path, item := range s.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == operationID {
				s.Handle(method, mount, path, h)
				return
			}
		}
	}
	panic("fake: spec has no operation " + operationID)
}

// Handle serves the spec operation (method, specPath) at mount+specPath;
// mount is the server base path ("" or "/api/v2").
func (s *Server) Handle(method, mount, specPath string, h http.HandlerFunc) {
	item := s.doc.Paths.Value(specPath)
	if item == nil || item.GetOperation(method) == nil {
		panic("fake: spec has no operation " + method + " " + specPath)
	}
	op := item.GetOperation(method)
	if s.handled == nil {
		s.handled = map[string]bool{}
	}
	s.handled[op.OperationID] = true
	route := &routers.Route{Spec: s.doc, Path: specPath, PathItem: item, Method: method, Operation: op}
	var names []string
	for _, m := range pathParamRE.FindAllStringSubmatch(specPath, -1) {
		names = append(names, m[1])
	}
	pattern := method + " " + mount + specPath
	if strings.HasSuffix(specPath, "/") {
		pattern += "{$}"
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, route, names, h)
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, route *routers.Route, names []string, h http.HandlerFunc) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	opID := route.Operation.OperationID
	s.record(Request{Operation: opID, Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})

	params := make(map[string]string, len(names))
	for _, n := range names {
		params[n] = r.PathValue(n)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: s.cfg.Authenticate, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		s.violation("%s %s (%s): request: %v", r.Method, r.URL.EscapedPath(), opID, err)
		status := http.StatusBadRequest
		var se *openapi3filter.SecurityRequirementsError
		if errors.As(err, &se) {
			status = http.StatusUnauthorized
		}
		s.writeError(w, status, "request does not match the API: "+firstLine(err.Error()))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	if f, ok := s.nextFault(); ok {
		if !s.applyFault(w, r, f) {
			return
		}
	}
	rec := httptest.NewRecorder()
	h(rec, r)
	res := rec.Result()
	out := rec.Body.Bytes()
	rv := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: opts}
	rv.SetBodyBytes(out)
	if err := openapi3filter.ValidateResponse(r.Context(), rv); err != nil {
		s.violation("%s %s (%s): response %d: %v", r.Method, r.URL.EscapedPath(), opID, res.StatusCode, err)
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(out)
}

// applyFault shows f; it reports whether the normal answer should follow
// (a fault that is only a delay).
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return false
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.Status == 0 {
		return true // a pure delay: the normal answer follows
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body == "" && f.ContentType == "" {
		s.writeError(w, f.Status, http.StatusText(f.Status))
		return false
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Body)
	return false
}

func (s *Server) writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(s.cfg.ErrorBody(status, msg))
}

// FailNext makes the next n requests that reach an operation show fault f
// (after request validation). Calls queue up in order.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

func (s *Server) violation(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// Violations lists every request or response that broke the spec so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Requests lists the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RequestCount is how many requests the server received.
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// AssertNoViolations fails t if any request or response broke the spec.
func (s *Server) AssertNoViolations(t testing.TB) {
	t.Helper()
	if v := s.Violations(); len(v) > 0 {
		sort.Strings(v)
		t.Errorf("%d spec violation(s):\n%s", len(v), strings.Join(v, "\n"))
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// Violate records a violation the spec alone cannot detect (the SDK broke
// a rule of the API that the document cannot express).
func (s *Server) Violate(format string, args ...any) { s.violation(format, args...) }

// FastRetries is the default retry policy with millisecond waits, so fault
// tests against the fakes run fast while still honouring Retry-After up to 2 s.
func FastRetries() sdk.RetryConfig {
	c := sdk.DefaultRetryConfig()
	c.Backoff.InitialInterval = time.Millisecond
	c.Backoff.MaxInterval = 2 * time.Second
	return c
}

// RoundTrip serves req with the fake's handler in memory, on the caller's
// goroutine, with no network: tests under testing/synctest (whose clock
// only moves while every goroutine waits on it, never on a socket) send
// through it. It validates like the loopback server.
func (s *Server) RoundTrip(req *http.Request) (rsp *http.Response, err error) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			rsp, err = nil, io.ErrUnexpectedEOF // a dropped connection
			if cerr := req.Context().Err(); cerr != nil {
				err = cerr
			}
		}
	}()
	// The connection is up at once, as on loopback: a client tracing it
	// (Connect's probes do) sees it connected before the answer.
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil && tr.GotConn != nil {
		tr.GotConn(httptrace.GotConnInfo{})
	}
	rec := httptest.NewRecorder()
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	if r.Body == nil {
		r.Body = http.NoBody
	}
	s.mux.ServeHTTP(rec, r)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	rsp = rec.Result()
	rsp.Request = req
	return rsp, nil
}
