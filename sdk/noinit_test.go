package sdk_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Importing the public packages runs no code: nothing is wired together
// behind the user's back (call options used to reach the core through an
// init hook).
func TestPublicPackagesHaveNoInit(t *testing.T) {
	for _, dir := range []string{".", "plex", "ziggeo"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "init" {
					t.Errorf("%s: func init", name)
				}
			}
		}
	}
}
