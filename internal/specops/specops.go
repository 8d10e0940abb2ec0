// Package specops reads the operations of an api/ document — their
// operationIds and the servers their paths declare — for the tests that
// hold the SDK to the spec. It is the one reader of the documents' layout
// in tests, and links only the standard library, so that sdk/plex's and
// sdk/ziggeo's own tests stay free of YAML and OpenAPI libraries (a
// consumer's go mod tidy would download them); internal/specwalk checks
// schemas with kin-openapi where that does not matter.
package specops

import (
	"fmt"
	"os"
	"strings"
)

// Operation is one operation of a document.
type Operation struct {
	// ID is its operationId.
	ID string
	// Servers are the servers its path declares (none: the document's own).
	Servers []string
}

// Read parses the document at path.
func Read(path string) ([]Operation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse reads the operations of a document laid out as api/ writes them:
// paths at two spaces, a path's servers at four and their urls at six,
// operationIds anywhere below. It fails on a document without any.
func Parse(doc []byte) ([]Operation, error) {
	var ops []Operation
	var current []string
	inServers := false
	for line := range strings.Lines(string(doc)) {
		line = strings.TrimRight(line, "\r\n")
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "  /") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(trimmed, ":"):
			current, inServers = nil, false
		case line == "    servers:":
			inServers = true
		case inServers && strings.HasPrefix(line, "      - url:"):
			current = append(current, strings.TrimSpace(strings.TrimPrefix(line, "      - url:")))
		case strings.HasPrefix(trimmed, "operationId:") && line != trimmed:
			ops = append(ops, Operation{ID: strings.TrimSpace(strings.TrimPrefix(trimmed, "operationId:")), Servers: current})
		case strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "      "):
			inServers = false
		}
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("specops: no operationId in the document")
	}
	return ops, nil
}

// IDs lists the operationIds of ops.
func IDs(ops []Operation) []string {
	ids := make([]string, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	return ids
}
