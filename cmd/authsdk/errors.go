package main

import (
	"fmt"
	"strings"
)

// usageError is a bad command line or a local validation error: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

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

// exitCode ends the command with that code and no message (the demo
// program has printed its own).
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }
