package plextest

// Handles reports whether the fake (plex.tv, clients.plex.tv or the Plex
// Media Server) serves the operation: for the spec walk.
func Handles(s *Server, m *MediaServer, operationID string) bool {
	return s.f.Handled(operationID) || m.f.Handled(operationID)
}
