package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/authsdk/authsdk/sdk"
)

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

func (o *optString) String() string { return "" }

func (o *optString) Set(s string) error { o.v, o.set = s, true; return nil }

// or returns the flag's value, or the environment variable when not given.
func (o *optString) or(e *env, name string) (string, bool) {
	if o.set {
		return o.v, true
	}
	v := e.getenv(name)
	return v, v != ""
}
