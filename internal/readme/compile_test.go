package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// givens are the variables a README snippet may use without declaring
// them: what the surrounding program of a reader would have.
var givens = map[string]string{
	"ctx":           "context.Context",
	"installID":     "string",
	"login":         "string",
	"password":      "string",
	"token":         "string",
	"askUser":       "func() string",
	"key":           "*plex.DeviceKey",
	"req":           "*http.Request",
	"t":             "*testing.T",
	"c":             "*plex.Client",
	"err":           "error",
	"tok":           "string",
	"keyFile":       "string",
	"dir":           "string",
	"appToken":      "string",
	"privateKey":    "string",
	"encryptionKey": "string",
}

const snippetHeader = `package snippet

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/authsdk/authsdk/sdk"
	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/sdk/ziggeo"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

// Every import used, so that a snippet need not use them all.
var (
	_ = context.Background
	_ = errors.Is
	_ = fmt.Println
	_ = log.Fatal
	_ = slog.Info
	_ = http.Get
	_ = os.Exit
	_ testing.TB
	_ = time.Second
	_ = sdk.WithRetries
	_ = plex.New
	_ = plextest.NewServer
	_ = ziggeo.New
	_ = ziggeotest.NewServer
)
`

var undefinedRE = regexp.MustCompile(`undefined: (\w+)`)

// TestGoSnippetsCompile compiles every Go snippet of README.md exactly as
// printed, inside a function whose parameters are the givens it uses: an
// unused variable, a wrong name or a wrong type fails, as it would for a
// reader who pastes the snippet.
func TestGoSnippetsCompile(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(".", "snippet")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for i, b := range goBlock.FindAllStringSubmatch(string(readme), -1) {
		code := b[1]
		first, _, _ := strings.Cut(code, "\n")
		if m := mirrorRE.FindStringSubmatch(first); m != nil && strings.HasPrefix(m[1], "store/") {
			// Another module's snippet (its driver is not in this go.mod):
			// the Example it mirrors compiles and runs in that module.
			continue
		}
		var params []string
		for {
			var sig []string
			for _, p := range params {
				sig = append(sig, p+" "+givens[p])
			}
			src := snippetHeader + "\nfunc snippet(" + strings.Join(sig, ", ") + ") {\n" + code + "}\n"
			if err := os.WriteFile(filepath.Join(dir, "snippet.go"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("go", "build", "./"+dir).CombinedOutput()
			if err == nil {
				break
			}
			var added bool
			for _, m := range undefinedRE.FindAllStringSubmatch(string(out), -1) {
				if _, ok := givens[m[1]]; ok && !slices.Contains(params, m[1]) {
					params, added = append(params, m[1]), true
				}
			}
			if !added {
				t.Errorf("README snippet %d (%s) does not compile as printed:\n%s", i+1, first, strings.ReplaceAll(string(out), dir+"/", ""))
				break
			}
		}
	}
}
