// Command authsdk runs authsdk's operations from a shell: a demo against
// embedded fakes (no network, no accounts), Ziggeo token generation and
// auth-token calls, and Plex sign-in and token operations.
//
// Exit codes: 0 ok, 1 API or network error, 2 usage error.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
)

const usage = `usage: authsdk <command> [flags]

commands:
  demo                                  every operation against embedded fakes (no network)
  ziggeo token    [token flags]         encrypted client auth token, offline
  ziggeo decrypt  TOKEN                 decrypt a client auth token
  ziggeo authtokens get|delete TOKEN    call the authtokens API
  ziggeo authtokens create              (token flags)
  ziggeo authtokens update TOKEN        (token flags)
  plex signin --login L                 sign in (password and 2FA code are prompted)
  plex user                             the account of PLEX_TOKEN / --token
  plex transient-token --server-url U   a transient token from a Plex Media Server
  plex sources --server-url U --source S

credentials come from flags or ZIGGEO_APP_TOKEN, ZIGGEO_PRIVATE_KEY,
ZIGGEO_ENCRYPTION_KEY, PLEX_TOKEN, PLEX_CLIENT_IDENTIFIER.
common flags: --server-url, --retries N, --json. Run "authsdk <command> -h" for flags.
`

// env is what a command reads from outside: streams and environment.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// readSecret reads a secret without echo when stdin is a terminal.
	readSecret func(prompt string) (string, error)
}

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	e.readSecret = terminalSecretReader(e)
	os.Exit(run(ctx, os.Args[1:], e))
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	err := dispatch(ctx, args, e)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintln(e.stderr, "authsdk:", msg)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func dispatch(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return usagef("no command")
	}
	switch args[0] {
	case "demo":
		return runDemo(ctx, e)
	case "ziggeo":
		return ziggeoCommand(ctx, args[1:], e)
	case "plex":
		return plexCommand(ctx, args[1:], e)
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	fmt.Fprint(e.stderr, usage)
	return usagef("unknown command %q", args[0])
}

// newFlags makes a flag set whose errors are usage errors and whose output goes to stderr.
func newFlags(name string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// orEnv returns v, or the environment variable when v is empty.
func orEnv(e *env, v, name string) string {
	if v != "" {
		return v
	}
	return e.getenv(name)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readLine reads one line from r (without the newline).
func readLine(r *bufio.Reader) (string, error) {
	s, err := r.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}
