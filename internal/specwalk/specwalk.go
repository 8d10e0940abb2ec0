// Package specwalk checks that an operation's success answer in an OpenAPI
// document maps onto the SDK's result type. The spec-walk tests of
// sdk/plex/plextest and sdk/ziggeo/ziggeotest use it; no SDK package does.
package specwalk

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Result says where an operation's success answer lands in the SDK.
type Result struct {
	// Type is the SDK's result type (for a list, its element type).
	Type reflect.Type
	// Path leads from the answer to the result (a wrapper such as MediaContainer).
	Path []string
	// Fixture is a recorded success answer, read from the test's testdata.
	Fixture string
	// Dropped lists the schema properties the SDK leaves out on purpose, with why.
	Dropped map[string]string
}

// Walk goes through every operation of doc and returns what is missing:
// a fake handler (handles reports one), a success answer neither mapped in
// results nor explained in notResults, a fixture (read from dir), and what
// check finds. Each fixture must also validate against the spec as the
// operation's success answer.
func Walk(doc *openapi3.T, handles func(operationID string) bool, results map[string]Result, notResults map[string]string, dir string) []string {
	var problems []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			id := op.OperationID
			if !handles(id) {
				problems = append(problems, fmt.Sprintf("%s %s (%s): no fake handler", method, path, id))
			}
			r, mapped := results[id]
			if !mapped {
				if notResults[id] == "" {
					problems = append(problems, id+": its success answer is not mapped to a result type nor listed as not one (with why)")
				}
				continue
			}
			if r.Fixture == "" {
				problems = append(problems, id+": no fixture for its success answer")
				continue
			}
			fixture, err := os.ReadFile(filepath.Join(dir, r.Fixture))
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", id, err))
				continue
			}
			if err := validate(doc, path, item, method, op, fixture); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s does not validate: %v", id, r.Fixture, err))
			}
			for _, p := range check(op, r, fixture) {
				problems = append(problems, id+": "+p)
			}
		}
	}
	return problems
}

// validate checks body as the operation's JSON success answer.
func validate(doc *openapi3.T, path string, item *openapi3.PathItem, method string, op *openapi3.Operation, body []byte) error {
	status := http.StatusOK
	if op.Responses.Status(http.StatusOK) == nil {
		status = http.StatusCreated
	}
	route := &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: httptest.NewRequest(method, path, nil), Route: route},
		Status:                 status,
		Header:                 http.Header{"Content-Type": {"application/json"}},
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// check returns what does not map: a schema property with no field in
// r.Type (and not dropped), and, in the fixture's answer objects, one that
// does not decode into r.Type or a property it sets that lands in no field
// (a mistyped json tag decodes silently to the zero value).
func check(op *openapi3.Operation, r Result, fixture []byte) []string {
	var problems []string
	schema := successSchema(op)
	if schema == nil {
		return []string{"no JSON success schema"}
	}
	for _, p := range r.Path {
		if schema = itemSchema(schema.Properties[p]); schema == nil {
			return []string{fmt.Sprintf("no %q in the answer", p)}
		}
	}
	schema = itemSchema(&openapi3.SchemaRef{Value: schema})
	for name := range schema.Properties {
		if _, dropped := r.Dropped[name]; dropped {
			continue
		}
		if _, ok := fieldByJSONName(r.Type, name); !ok {
			problems = append(problems, fmt.Sprintf("schema property %q has no field in %s (map it, or list it as dropped with why)", name, r.Type))
		}
	}
	return append(problems, checkFixture(r, fixture)...)
}

func checkFixture(r Result, fixture []byte) []string {
	var answer any
	if err := json.Unmarshal(fixture, &answer); err != nil {
		return []string{fmt.Sprintf("%s: %v", r.Fixture, err)}
	}
	for _, p := range r.Path {
		obj, _ := answer.(map[string]any)
		answer = obj[p]
	}
	items, isList := answer.([]any)
	if !isList {
		items = []any{answer}
	}
	if len(items) == 0 {
		return []string{r.Fixture + " holds no answer object"}
	}
	var problems []string
	for _, item := range items {
		obj, _ := item.(map[string]any)
		raw, _ := json.Marshal(obj)
		v := reflect.New(r.Type)
		if err := json.Unmarshal(raw, v.Interface()); err != nil {
			problems = append(problems, fmt.Sprintf("%s does not decode into %s: %v", r.Fixture, r.Type, err))
			continue
		}
		for name, val := range obj {
			if _, dropped := r.Dropped[name]; dropped || isZeroJSON(val) {
				continue
			}
			if f, ok := fieldByJSONName(r.Type, name); ok && v.Elem().FieldByIndex(f.Index).IsZero() {
				problems = append(problems, fmt.Sprintf("%s sets %q but %s.%s stays zero", r.Fixture, name, r.Type, f.Name))
			}
		}
	}
	return problems
}

func successSchema(op *openapi3.Operation) *openapi3.Schema {
	for _, code := range []int{200, 201} {
		if r := op.Responses.Status(code); r != nil && r.Value != nil {
			if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				return mt.Schema.Value
			}
		}
	}
	return nil
}

// itemSchema is the schema itself, or its items for an array.
func itemSchema(r *openapi3.SchemaRef) *openapi3.Schema {
	if r == nil || r.Value == nil {
		return nil
	}
	if r.Value.Items != nil {
		return r.Value.Items.Value
	}
	return r.Value
}

// isZeroJSON: null, false, 0, "", [] and {} decode to a zero field anyway.
func isZeroJSON(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// fieldByJSONName finds the field encoding/json fills from name (case folded, as it does).
func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "" {
			tag = f.Name
		}
		if f.IsExported() && tag != "-" && strings.EqualFold(tag, name) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}
