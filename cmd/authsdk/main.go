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
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/authsdk/authsdk/sdk"
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

// usageError is a bad command line or a local validation error: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

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

// parseInterspersed parses flags before, between and after positional
// arguments (Go's flag package stops at the first positional one, which
// silently dropped every flag after it). "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest); i > 0 && args[i-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// flagError rewrites the flag package's errors as "--flag: problem".
// (Parsed by hand: regexp alone would add 0.3 MB to the binary.)
func flagError(err error) string {
	s := err.Error()
	if name, ok := strings.CutPrefix(s, "flag provided but not defined: "); ok {
		return "unknown flag --" + strings.TrimLeft(name, "-")
	}
	if name, ok := strings.CutPrefix(s, "flag needs an argument: "); ok {
		return "--" + strings.TrimLeft(name, "-") + " needs a value"
	}
	rest, isBool := strings.CutPrefix(s, "invalid boolean value ")
	if !isBool {
		var ok bool
		if rest, ok = strings.CutPrefix(s, "invalid value "); !ok {
			return s
		}
	}
	quoted, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return s
	}
	value, _ := strconv.Unquote(quoted)
	rest = strings.TrimPrefix(strings.TrimPrefix(rest[len(quoted):], " for flag -"), " for -")
	name, msg, ok := strings.Cut(rest, ": ")
	if !ok {
		return s
	}
	switch {
	case isBool:
		msg = fmt.Sprintf("%q is not true or false", value)
	case msg == "parse error" || msg == "invalid syntax":
		msg = fmt.Sprintf("%q is not valid", value)
	}
	return "--" + strings.TrimLeft(name, "-") + ": " + msg
}

// printHelp writes a command's help: usage with positional arguments, the
// commands or flags, environment variables and an example.
func printHelp(w io.Writer, c *command) {
	p := prog(c)
	if c.subs != nil {
		fmt.Fprintf(w, "%s\nUsage: %s <command> [flags]\n\nCommands:\n", wrap(c.summary), p)
		for _, s := range c.subs {
			fmt.Fprint(w, helpRow(strings.TrimPrefix(s.name, c.name+" "), 24, s.summary))
		}
		fmt.Fprintf(w, "\nRun \"%s <command> --help\" for a command's flags.\nExit codes: 0 ok, 1 API or network error, 2 usage error, 130 interrupted.\n", p)
		if c.name == "" {
			fmt.Fprintln(w, `Try it offline: "authsdk demo", or "authsdk serve" and paste its export lines.`)
		}
		return
	}
	usage := p + " [flags]"
	if c.args != "" {
		usage = p + " " + c.args + " [flags]"
	}
	fmt.Fprintf(w, "%s\nUsage: %s\n", wrap(c.summary), usage)
	fs := flag.NewFlagSet(p, flag.ContinueOnError)
	if c.flags != nil {
		c.flags(fs)
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if len(names) > 0 {
		sort.Strings(names)
		fmt.Fprintf(w, "\nFlags:\n")
		for _, n := range names {
			f := fs.Lookup(n)
			name, usage := flag.UnquoteUsage(f)
			left := "--" + n
			if name != "" {
				left += " " + name
			}
			fmt.Fprint(w, helpRow(left, 28, usage))
		}
	}
	if len(c.env) > 0 {
		fmt.Fprintf(w, "\nEnvironment:\n  %s\n", strings.Join(c.env, ", "))
	}
	if c.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", c.example)
	}
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

// retriesFlag is --retries: retries after the first attempt; -1 retries
// until the SDK's 2-minute budget ends.
type retriesFlag struct {
	n   int
	set bool
}

func (r *retriesFlag) String() string { return "" }
func (r *retriesFlag) Set(s string) error {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || fmt.Sprint(n) != s {
		return fmt.Errorf("%q is not a number", s)
	}
	if n < -1 {
		return fmt.Errorf("%d: want 0 or more retries, or -1 for no limit but the 2-minute budget", n)
	}
	r.n, r.set = n, true
	return nil
}

// apiFlags are the flags every API command takes.
type apiFlags struct {
	retries retriesFlag
	json    bool
	timeout optDuration
}

func (a *apiFlags) register(fs *flag.FlagSet) {
	fs.Var(&a.retries, "retries", "`N` retries after the first attempt (default 2; 0 = none; -1 = until the 2-minute budget ends)")
	fs.BoolVar(&a.json, "json", false, "print JSON")
	fs.Var(&a.timeout, "timeout", "`duration` the whole command may take, e.g. 30s (default 2m; 0 = no bound; plex login: the PIN's own lifetime)")
}

// defaultCommandTimeout bounds a command that calls an API when --timeout
// is not given: the SDK's own MaxElapsedTime, so a hung server never hangs
// a shell script.
const defaultCommandTimeout = 2 * time.Minute

// commandBound is how long command name may run: --timeout when given,
// else the default, except for commands that wait for a person (the PIN's
// lifetime bounds those).
func (a *apiFlags) commandBound(name string) (time.Duration, bool) {
	switch {
	case a.timeout.set:
		return a.timeout.d, a.timeout.d > 0
	case name == "plex login":
		return 0, false
	}
	return defaultCommandTimeout, true
}

// commandTimeout is the cause of a command ended by its --timeout.
type commandTimeout struct{ d time.Duration }

func (e *commandTimeout) Error() string {
	return fmt.Sprintf("no result within --timeout %v (give a longer --timeout, or 0 for none)", e.d)
}

// optDuration is a duration flag that remembers whether it was given.
type optDuration struct {
	d   time.Duration
	set bool
}

func (o *optDuration) String() string { return "" }
func (o *optDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration such as 30s or 2m", s)
	}
	o.d, o.set = d, true
	return nil
}

// retryConfig is nil when --retries was not given (the SDK's default).
func (a *apiFlags) retryConfig() *sdk.RetryConfig {
	switch {
	case !a.retries.set:
		return nil
	case a.retries.n == 0:
		return &sdk.RetryConfig{Strategy: sdk.StrategyNone}
	case a.retries.n < 0:
		return &sdk.RetryConfig{MaxAttempts: sdk.UnlimitedAttempts}
	}
	return &sdk.RetryConfig{MaxAttempts: a.retries.n + 1}
}

// optString is a string flag that remembers whether it was given, so an
// explicit "" (a valid Ziggeo encryption key) is told from no flag.
type optString struct {
	v   string
	set bool
}

func (o *optString) String() string     { return "" }
func (o *optString) Set(s string) error { o.v, o.set = s, true; return nil }

// or returns the flag's value, or the environment variable when not given.
func (o *optString) or(e *env, name string) (string, bool) {
	if o.set {
		return o.v, true
	}
	v := e.getenv(name)
	return v, v != ""
}

// inCommandsWords puts the command's name where an error names an SDK
// operation ("plex.Authentication.GetUserDetails", "plex.Authentication.
// ExchangeDeviceJWT (nonce)"): the CLI says the command the user typed, so
// no table has to follow the SDK's operations.
func inCommandsWords(msg, command string) string {
	var b strings.Builder
	for {
		i := operationAt(msg)
		if i < 0 {
			return b.String() + msg
		}
		b.WriteString(msg[:i])
		b.WriteString(command)
		msg = msg[i+operationLen(msg[i:]):]
	}
}

// operationAt is where the first SDK operation name in msg starts, or -1.
func operationAt(msg string) int {
	for i := 0; i < len(msg); i++ {
		if (strings.HasPrefix(msg[i:], "plex.") || strings.HasPrefix(msg[i:], "ziggeo.")) && (i == 0 || !isWordByte(msg[i-1])) && operationLen(msg[i:]) > 0 {
			return i
		}
	}
	return -1
}

// operationLen is the length of the operation name msg starts with
// (package.Type.Method, then an optional " (words)"), or 0.
func operationLen(msg string) int {
	n := 0
	for part := range 3 {
		start := n
		for n < len(msg) && isWordByte(msg[n]) {
			n++
		}
		if n == start || part > 0 && (msg[start] < 'A' || msg[start] > 'Z') {
			return 0
		}
		if part < 2 {
			if n >= len(msg) || msg[n] != '.' {
				return 0
			}
			n++
		}
	}
	if rest := msg[n:]; strings.HasPrefix(rest, " (") {
		if end := strings.IndexByte(rest, ')'); end > 2 && strings.Trim(rest[2:end], "abcdefghijklmnopqrstuvwxyz ") == "" {
			n += end + 1
		}
	}
	return n
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// commandError is a leaf command's error in the user's words; it unwraps
// to the error itself.
type commandError struct {
	command string
	err     error
}

func (e *commandError) Error() string { return inCommandsWords(e.err.Error(), e.command) }
func (e *commandError) Unwrap() error { return e.err }

// optionNames maps the SDK's option names in errors to the CLI's flags.
var optionNames = strings.NewReplacer(
	"ziggeo.WithServerURL", "--server-url",
	"plex.WithServerURL", "--server-url",
	"plex.WithPlexTVURL", "--plex-tv-url",
	"plex.WithClientsURL", "--clients-url",
	"plex.WithAccessToken", "--token",
	"plex.WithClientIdentifier", "--client-identifier",
	"sdk.WithRetries", "--retries",
)

// localError turns a client-construction or input error into a usage
// error that names flags, not Go options.
func localError(err error) error {
	if err == nil {
		return nil
	}
	return usageError{optionNames.Replace(err.Error())}
}

// suggest returns the subcommand of c closest to typed (at most 2 edits,
// or a prefix), or "".
func suggest(c *command, typed string) string {
	best, bestD := "", 3
	for _, s := range c.subs {
		name := strings.TrimPrefix(s.name, strings.TrimSpace(c.name+" "))
		name = strings.TrimSpace(name)
		d := editDistance(strings.ToLower(typed), name)
		if len(typed) >= 3 && strings.HasPrefix(name, strings.ToLower(typed)) {
			d = 1
		}
		if d < bestD {
			best, bestD = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

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

// exitCode ends the command with that code and no message (the demo
// program has printed its own).
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

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

// wrap is text wrapped at helpWidth, each line ended.
func wrap(text string) string {
	var b strings.Builder
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > helpWidth {
			b.WriteString(line + "\n")
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}

// helpWidth is the terminal width help text is wrapped to.
const helpWidth = 80

// helpRow is "  name  text" with text wrapped at helpWidth and its
// continuation lines indented under it; a name wider than its column puts
// the text on the next line.
func helpRow(name string, col int, text string) string {
	indent := strings.Repeat(" ", 2+col+1)
	var b strings.Builder
	line := fmt.Sprintf("  %-*s ", col, name)
	if len(name) > col {
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		line = indent
	}
	start := len(line)
	for _, word := range strings.Fields(text) {
		if len(line) > start && len(line)+1+len(word) > helpWidth {
			b.WriteString(line + "\n")
			line, start = indent, len(indent)
		}
		if len(line) > start {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}
