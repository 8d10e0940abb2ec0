package plextest

// The fake Plex Media Server: transient tokens, sources, /identity.

import (
	_ "embed"
	"net/http"
)

//go:embed testdata/get_source_connection_information.200.json
var sourceFixture []byte

// IsTransientToken reports whether the fake issued token.
func (s *Server) IsTransientToken(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transient[token]
}

// writeIdentity answers GET /identity as machine.
func writeIdentity(w http.ResponseWriter, machine string) {
	writeJSON(w, http.StatusOK, map[string]any{"MediaContainer": map[string]any{
		"size": 0, "claimed": true, "machineIdentifier": machine, "version": "1.41.3.9314"}})
}

func (s *Server) identity(w http.ResponseWriter, r *http.Request) {
	tokenBeforeProof(s.f, r)
	writeIdentity(w, MachineIdentifier)
}

func (s *Server) pmsAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Plex-Token")
		// The server's own token, a transient one, or its owner's account token (as on a real server).
		if tok != AccessToken && tok != UserToken && !s.IsTransientToken(tok) {
			writeErr(w, http.StatusUnauthorized, 1001, "User could not be authenticated")
			return
		}
		h(w, r)
	}
}

func (s *Server) transientToken(w http.ResponseWriter, r *http.Request) {
	tok := "transient-" + randomHex(16)
	s.mu.Lock()
	s.transient[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"MediaContainer": map[string]any{"size": 0, "token": tok}})
}

func (s *Server) sourceResources(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("source") != Source {
		writeErr(w, http.StatusBadRequest, 1000, "Unknown source")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(sourceFixture)
}
