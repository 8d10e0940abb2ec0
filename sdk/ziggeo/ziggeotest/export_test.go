package ziggeotest

// Handles reports whether the fake serves the operation: for the spec walk.
func Handles(s *Server, operationID string) bool { return s.f.Handled(operationID) }
