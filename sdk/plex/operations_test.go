package plex

import (
	"slices"
	"strings"
	"testing"

	"github.com/authsdk/authsdk/internal/specops"
)

// specOperations reads api/plex/openapi.yaml's operations.
func specOperations(t *testing.T) []specops.Operation {
	t.Helper()
	ops, err := specops.Read("../../api/plex/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// notSent are spec operations the SDK never sends (the fake serves them
// for tests), each with its reason.
var notSent = map[string]string{
	"getPlexPublicKeys": "plex.tv's JWT signing keys: verifying a Plex JWT is plex.tv's business, not a client's",
}

// Every operation in api/plex/openapi.yaml has its entry in the operation
// table (operations.go) — the one place its retry, token and server
// behaviour is declared — and every entry is in the spec.
func TestOperationsCoverTheSpec(t *testing.T) {
	inSpec := map[string]bool{}
	for _, op := range specOperations(t) {
		inSpec[op.ID] = true
	}
	inTable := map[string]bool{}
	for _, op := range operations {
		if op.ID == "" || op.Name == "" || op.Server == "" {
			t.Errorf("table entry %+v lacks an id, a name or a server", *op)
		}
		if !inSpec[op.ID] {
			t.Errorf("%s: operationId %q is not in the spec", op.Name, op.ID)
		}
		inTable[op.ID] = true
	}
	for id := range inSpec {
		if !inTable[id] && notSent[id] == "" {
			t.Errorf("operationId %q has no entry in the operation table (sdk/plex/operations.go)", id)
		}
	}
	// The 401 mapping reads the table: a token operation's 401 is ErrInvalidToken.
	for _, op := range operations {
		if op.SendsToken != sendsToken[op.Name] {
			t.Errorf("%s: SendsToken %v but the 401 mapping says %v", op.Name, op.SendsToken, sendsToken[op.Name])
		}
	}
}

// The table decides where each operation goes, and it agrees with the
// spec: a default client's URL for the operation is one of the servers the
// spec gives its path (or, with none, the document's: a Media Server).
func TestOperationServersMatchTheSpec(t *testing.T) {
	servers := map[string][]string{}
	for _, op := range specOperations(t) {
		servers[op.ID] = append(servers[op.ID], op.Servers...)
	}
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range operations {
		got := strings.TrimSuffix(c.Authentication.base(op), "/")
		want := servers[op.ID]
		if len(want) == 0 {
			want = []string{"https://127.0.0.1:32400"} // the document's server, its variables at their defaults
		}
		if !slices.Contains(want, got) {
			t.Errorf("%s: the table sends it to %s, the spec to %v", op.Name, got, want)
		}
	}
}
