package main

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The CLI is a user of the SDK like any other: what it needs, a library
// user can have, so it imports no internal package.
func TestCommandsImportNoInternalPackage(t *testing.T) {
	files, _ := filepath.Glob("../*/*.go")
	if len(files) == 0 {
		t.Fatal("no command sources found")
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.Contains(p, "authsdk/authsdk/internal/") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
