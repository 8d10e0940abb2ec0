package main

import (
	"bufio"
	"fmt"
	"os"

	"golang.org/x/term"
)

// terminalSecretReader prompts on stderr and reads without echo from a
// terminal; from a pipe it reads one line.
func terminalSecretReader(e *env) func(string) (string, error) {
	var lines *bufio.Reader
	return func(prompt string) (string, error) {
		fmt.Fprint(e.stderr, prompt)
		if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(e.stderr)
			return string(b), err
		}
		if lines == nil {
			lines = bufio.NewReader(e.stdin)
		}
		return readLine(lines)
	}
}
