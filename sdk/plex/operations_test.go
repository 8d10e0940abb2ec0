package plex

import (
	"os"
	"regexp"
	"testing"
)

// specOperationIDs reads the operationIds of an api/ document (a plain
// scan: this package's tests link no YAML or OpenAPI library).
func specOperationIDs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range regexp.MustCompile(`(?m)^\s+operationId:\s*(\S+)\s*$`).FindAllSubmatch(b, -1) {
		ids = append(ids, string(m[1]))
	}
	if len(ids) == 0 {
		t.Fatalf("%s: no operationId found", path)
	}
	return ids
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
	for _, id := range specOperationIDs(t, "../../api/plex/openapi.yaml") {
		inSpec[id] = true
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
