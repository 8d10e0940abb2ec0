// Command authsdk runs authsdk's operations from a shell: Ziggeo token
// generation and auth-token calls, and Plex sign-in (PIN or password),
// servers, tokens and JWT device keys. To try it offline, cmd/authsdk-demo
// runs every operation against fakes, or serves them for this command.
//
// Every command answers -h, --help and help. Exit codes: 0 ok, 1 API or
// network error, 2 usage or local validation error, 130 interrupted.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
)

// Exit codes.
const (
	exitOK          = 0
	exitAPI         = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// env is what a command reads from outside: streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// readSecret reads a secret without echo when stdin is a terminal; ctx
	// ends it at once (Ctrl-C at the prompt).
	readSecret func(ctx context.Context, prompt string) (string, error)
	// isTerminal reports whether stderr is a terminal (live countdowns).
	isTerminal bool
	// termSize is stderr's terminal size in columns and rows.
	termSize func() (width, height int, ok bool)
	// transport, when set, carries every API request (tests answer them in
	// memory, under testing/synctest); nil is the SDK's own.
	transport http.RoundTripper
}

// command is one node of the command tree: a group (subs) or a leaf (run).
type command struct {
	name    string   // full name, e.g. "ziggeo authtokens get"
	args    string   // positional arguments, e.g. "TOKEN"
	nargs   int      // how many positional arguments the leaf takes
	summary string   // one line
	env     []string // environment variables it reads
	example string
	flags   func(fs *flag.FlagSet) any // registers the flags; returns what run gets
	run     func(ctx context.Context, e *env, fl any, args []string) error
	subs    []*command
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: isTerminal(os.Stderr), termSize: terminalSize(os.Stderr)}
	e.readSecret = terminalSecretReader(e)
	os.Exit(run(ctx, os.Args[1:], e))
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	err := dispatch(ctx, root(), args, e)
	var code exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &code):
		return int(code)
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(e.stderr, "authsdk: interrupted")
		return exitInterrupted
	}
	// One line, no control or bidi characters from a server, bounded; the
	// SDK's operation names as a user says them.
	fmt.Fprintln(e.stderr, "authsdk: "+clip(safe(err.Error())))
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitAPI
}

func root() *command {
	return &command{name: "", summary: "authsdk: Ziggeo auth tokens and Plex sign-in from a shell", subs: []*command{
		ziggeoCommand(), plexCommand(), versionCommand(),
	}}
}

func dispatch(ctx context.Context, c *command, args []string, e *env) error {
	if c.subs != nil {
		if len(args) == 0 {
			return usagef("%sno command given (run %q)", at(c), prog(c)+" --help")
		}
		switch args[0] {
		case "help":
			// "authsdk help plex jwt" is "authsdk plex jwt --help".
			if len(args) > 1 {
				return dispatch(ctx, c, append(args[1:], "--help"), e)
			}
			printHelp(e.stdout, c)
			return flag.ErrHelp
		case "-h", "--help", "-help":
			printHelp(e.stdout, c)
			return flag.ErrHelp
		case "--version", "-version", "-v":
			if c.name == "" {
				return printVersion(e.stdout)
			}
		case "demo", "serve":
			if c.name == "" {
				return runDemoProgram(ctx, e, args)
			}
		}
		for _, s := range c.subs {
			if s.name == strings.TrimSpace(c.name+" "+args[0]) {
				return dispatch(ctx, s, args[1:], e)
			}
		}
		if strings.HasPrefix(args[0], "-") {
			return usagef("%sflags come after the command (run %q)", at(c), prog(c)+" --help")
		}
		if s := suggest(c, args[0]); s != "" {
			return usagef("%sunknown command %q; did you mean %q? (run %q)", at(c), args[0], s, prog(c)+" --help")
		}
		return usagef("%sunknown command %q (run %q)", at(c), args[0], prog(c)+" --help")
	}
	fs := flag.NewFlagSet(prog(c), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var fl any
	if c.flags != nil {
		fl = c.flags(fs)
	}
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) || (err == nil && len(pos) > 0 && pos[0] == "help") {
		printHelp(e.stdout, c)
		return flag.ErrHelp
	}
	if err != nil {
		msg := flagError(err)
		if strings.HasPrefix(msg, "unknown flag") {
			msg += fmt.Sprintf(" (run %q)", prog(c)+" --help")
		}
		return usageError{at(c) + msg}
	}
	switch {
	case len(pos) > c.nargs:
		return usagef("%sunexpected argument %q (run %q)", at(c), pos[c.nargs], prog(c)+" --help")
	case len(pos) < c.nargs:
		return usagef("%smissing %s (run %q)", at(c), c.args, prog(c)+" --help")
	}
	if h, ok := fl.(interface{ common() *apiFlags }); ok {
		if d, ok := h.common().commandBound(c.name); ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeoutCause(ctx, d, &commandTimeout{d})
			defer cancel()
		}
	}
	err = c.run(ctx, e, fl, pos)
	if err != nil && !errors.As(err, new(usageError)) {
		err = &commandError{c.name, err}
	}
	var ct *commandTimeout
	if err != nil && errors.As(context.Cause(ctx), &ct) {
		return fmt.Errorf("%s%w", at(c), ct) // what ran out, not the call it cut short
	}
	// Every validation error starts with the command: "plex servers: …".
	var ue usageError
	if errors.As(err, &ue) && !strings.HasPrefix(ue.msg, at(c)) {
		return usageError{at(c) + ue.msg}
	}
	return err
}

func prog(c *command) string { return strings.TrimSpace("authsdk " + c.name) }

// at prefixes an error message with the command's name ("ziggeo token: ").
func at(c *command) string {
	if c.name == "" {
		return ""
	}
	return c.name + ": "
}

// printJSON writes v as indented JSON with control and bidi characters
// escaped (json.Marshal leaves U+202E and DEL raw), so server text cannot
// rewrite the terminal.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	var out strings.Builder
	for _, r := range string(b) {
		if r != '\n' && unsafeRune(r) {
			fmt.Fprintf(&out, `\u%04x`, r)
			continue
		}
		out.WriteRune(r)
	}
	out.WriteByte('\n')
	_, err = io.WriteString(w, out.String())
	return err
}
