package plex

import (
	"os"
	"regexp"
	"slices"
	"strings"
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

// The table decides where each operation goes, and it agrees with the
// spec: a default client's URL for the operation is one of the servers the
// spec gives its path (or, with none, the document's: a Media Server).
func TestOperationServersMatchTheSpec(t *testing.T) {
	servers := specServers(t, "../../api/plex/openapi.yaml")
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

// specServers reads, per operationId, the servers its path declares (a
// plain scan of the document's layout: paths at two spaces, their servers
// at four).
func specServers(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pathLine := regexp.MustCompile(`^  /\S*:\s*$`)
	serverURL := regexp.MustCompile(`^      - url:\s*(\S+)\s*$`)
	opID := regexp.MustCompile(`^\s+operationId:\s*(\S+)\s*$`)
	out := map[string][]string{}
	var current []string
	inServers := false
	for line := range strings.Lines(string(b)) {
		line = strings.TrimRight(line, "\n")
		switch {
		case pathLine.MatchString(line):
			current, inServers = nil, false
		case line == "    servers:":
			inServers = true
		case inServers && serverURL.MatchString(line):
			current = append(current, serverURL.FindStringSubmatch(line)[1])
		case opID.MatchString(line):
			id := opID.FindStringSubmatch(line)[1]
			out[id] = append(out[id], current...)
		case strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "      "):
			inServers = false
		}
	}
	return out
}
