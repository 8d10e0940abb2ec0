package specops

import (
	"bytes"
	"slices"
	"testing"

	"github.com/authsdk/authsdk/api"
)

// Every operationId of both documents is read, and a path's servers go to
// its operations only.
func TestParseTheDocuments(t *testing.T) {
	for name, doc := range map[string][]byte{"plex": api.PlexSpec, "ziggeo": api.ZiggeoSpec} {
		ops, err := Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(doc, []byte("operationId:")); len(ops) != n {
			t.Errorf("%s: %d operations read, the document names %d", name, len(ops), n)
		}
	}
	ops, _ := Parse(api.PlexSpec)
	servers := map[string][]string{}
	for _, op := range ops {
		servers[op.ID] = op.Servers
	}
	if !slices.ContainsFunc(servers["exchangeDeviceJWT"], func(s string) bool { return bytes.Contains([]byte(s), []byte("clients.plex.tv")) }) {
		t.Errorf("exchangeDeviceJWT's servers: %v", servers["exchangeDeviceJWT"])
	}
	if len(servers["getTransientToken"]) != 0 {
		t.Errorf("getTransientToken (the document's own server) has %v", servers["getTransientToken"])
	}
	if _, err := Parse([]byte("openapi: 3.0.3\n")); err == nil {
		t.Error("a document without operations parsed")
	}
}
