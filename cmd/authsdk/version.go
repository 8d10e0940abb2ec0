package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

func versionCommand() *command {
	return &command{name: "version", summary: "print the module version and commit this binary was built from",
		example: "authsdk version",
		run:     func(_ context.Context, e *env, _ any, _ []string) error { return printVersion(e.stdout) }}
}

// printVersion prints the module version and, when built from a checkout,
// the commit (debug.ReadBuildInfo).
func printVersion(w io.Writer) error {
	version, commit, modified := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, kv := range bi.Settings {
			switch kv.Key {
			case "vcs.revision":
				commit = kv.Value
			case "vcs.modified":
				modified = kv.Value == "true"
			}
		}
	}
	line := "authsdk " + version + " (sdk " + sdk.Version
	if commit != "" {
		line += ", commit " + commit[:min(12, len(commit))]
		if modified {
			line += "+dirty"
		}
	}
	_, err := fmt.Fprintln(w, line+", "+runtime.Version()+")")
	return err
}

// demoProgram is the demo and serve program's package: a program of its
// own, so that authsdk links no fake and no OpenAPI validator.
const demoProgram = module + "/cmd/authsdk-demo"

// runDemoProgram runs "authsdk-demo ARGS": the binary beside this one or on
// PATH, else "go run" of its package (demoGoRun: from a clone's source, or
// at this binary's version).
func runDemoProgram(ctx context.Context, e *env, args []string) error {
	name, cmdArgs := "", args
	if self, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(self), "authsdk-demo"); isExecutable(p) {
			name = p
		}
	}
	if name == "" {
		if p, err := exec.LookPath("authsdk-demo"); err == nil {
			name = p
		}
	}
	if name == "" {
		goCmd, err := exec.LookPath("go")
		dir, _ := os.Getwd()
		run, ok := demoGoRun(dir, mainVersion())
		if err != nil || !ok {
			return usagef("%q needs the demo program: install it with \"go install %s@latest\", or run \"go run ./cmd/authsdk-demo\" in a clone", args[0], demoProgram)
		}
		name, cmdArgs = goCmd, append(run, args...)
	}
	// Ctrl-C (ctx) interrupts the demo program, which stops its servers;
	// it gets 10 s before it is killed.
	cmd := exec.CommandContext(ctx, name, cmdArgs...)
	interruptGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	cmd.Env = append(os.Environ(), "AUTHSDK_DEMO_PROG=authsdk") // its help and errors name "authsdk serve"
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err() // interrupted: 130
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return exitCode(ee.ExitCode())
	case err != nil:
		return fmt.Errorf("running %s: %w", demoProgram, err)
	}
	return nil
}

// demoGoRun is the go command that runs the demo program from dir: its
// source inside this module's tree (a clone); elsewhere the version this
// binary was built from (go run pkg@version needs no module), when that is
// a published version. ok is false when neither applies.
func demoGoRun(dir, version string) (args []string, ok bool) {
	if moduleAt(dir) == module {
		return []string{"run", demoProgram}, true
	}
	if strings.HasPrefix(version, "v") && !strings.Contains(version, "+") {
		return []string{"run", demoProgram + "@" + version}, true
	}
	return nil, false
}

// module is this program's module path.
const module = "github.com/authsdk/authsdk"

// mainVersion is the module version this binary was built from: "v…" when
// installed with go install, "(devel)" or a "+dirty" one from a checkout.
func mainVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Version
	}
	return ""
}

// moduleAt is the path of the module whose go.mod is in dir or the
// nearest parent, "" if none.
func moduleAt(dir string) string {
	for dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module"); ok && rest != strings.TrimLeft(rest, " \t") {
					return strings.Trim(strings.TrimSpace(rest), `"`)
				}
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
