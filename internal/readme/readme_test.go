// Package readme checks that README.md shows what the code does: every Go
// snippet is mirrored line for line by an Example or test that runs, and
// the CLI section is the binary's own help text.
package readme

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const root = "../.."

var (
	goBlock   = regexp.MustCompile("(?s)```go\n(.*?)```")
	textBlock = regexp.MustCompile("(?s)```text\n\\$ authsdk ([^\n]*)\n(.*?)```")
	mirrorRE  = regexp.MustCompile(`^// mirrored by (\S+) (\w+)$`)
	// The mirror may add the options that aim a client at a fake.
	fakeURLOption = regexp.MustCompile(`,\s*(plex|ziggeo)\.With(ServerURL|PlexTVURL|ClientsURL)\(srv\.\w+(\(\))?\)`)
	spaces        = regexp.MustCompile(`\s+`)
)

func normalize(line string) string { return strings.TrimSpace(spaces.ReplaceAllString(line, " ")) }

// funcBody returns the lines of func name in the Go file at path.
func funcBody(t *testing.T, path, name string) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(src, []byte("\nfunc "+name+"("))
	if start < 0 {
		t.Fatalf("%s has no func %s", path, name)
	}
	end := bytes.Index(src[start:], []byte("\n}\n"))
	var lines []string
	for _, l := range strings.Split(string(src[start:start+end]), "\n") {
		lines = append(lines, normalize(fakeURLOption.ReplaceAllString(l, "")))
	}
	return lines
}

func TestGoSnippetsAreMirrored(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 6 {
		t.Fatalf("only %d Go snippets found", len(blocks))
	}
	for _, b := range blocks {
		lines := strings.Split(strings.TrimRight(b[1], "\n"), "\n")
		m := mirrorRE.FindStringSubmatch(lines[0])
		if m == nil {
			t.Errorf("snippet without a mirror line:\n%s", b[1])
			continue
		}
		body := funcBody(t, m[1], m[2])
		at := 0
		for _, l := range lines[1:] {
			want := normalize(l)
			if want == "" {
				continue
			}
			for at < len(body) && body[at] != want {
				at++
			}
			if at == len(body) {
				t.Errorf("%s %s does not have (in order) the README line %q", m[1], m[2], want)
				break
			}
			at++
		}
	}
}

func TestCLISectionIsTheHelpText(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := textBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 3 {
		t.Fatalf("only %d CLI help blocks found", len(blocks))
	}
	updated := string(readme)
	for _, b := range blocks {
		args := strings.Fields(b[1])
		out, err := runCLI(context.Background(), args)
		if err != nil {
			t.Fatal(err)
		}
		if out == b[2] {
			continue
		}
		if *update {
			updated = strings.Replace(updated, b[0], "```text\n$ authsdk "+b[1]+"\n"+out+"```", 1)
			continue
		}
		t.Errorf("README's `authsdk %s` is not the binary's (go test ./internal/readme -update rewrites it):\n--- README\n%s--- binary\n%s", b[1], b[2], out)
	}
	if *update {
		if err := os.WriteFile(filepath.Join(root, "README.md"), []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var update = flag.Bool("update", false, "rewrite README.md's CLI help blocks from the binary")
