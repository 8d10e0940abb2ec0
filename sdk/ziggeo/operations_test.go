package ziggeo

import (
	"testing"

	"github.com/authsdk/authsdk/internal/specops"
)

// Every operation in api/ziggeo/openapi.yaml has its entry in the
// operation table (operations.go), and every entry is in the spec.
func TestOperationsCoverTheSpec(t *testing.T) {
	ops, err := specops.Read("../../api/ziggeo/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inSpec := map[string]bool{}
	for _, op := range ops {
		inSpec[op.ID] = true
	}
	inTable := map[string]bool{}
	for _, op := range operations {
		if !inSpec[op.ID] {
			t.Errorf("%s: operationId %q is not in the spec", op.Name, op.ID)
		}
		inTable[op.ID] = true
	}
	for id := range inSpec {
		if !inTable[id] {
			t.Errorf("operationId %q has no entry in the operation table (sdk/ziggeo/operations.go)", id)
		}
	}
	if len(inSpec) == 0 {
		t.Fatal("no operationId in the spec")
	}
}
