package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// terminalSize reports f's terminal size when it is one.
func terminalSize(f *os.File) func() (int, int, bool) {
	return func() (int, int, bool) {
		w, h, err := term.GetSize(int(f.Fd()))
		return w, h, err == nil && w > 0 && h > 0
	}
}

// errNoInput is a prompt's answer when stdin is not a terminal and is empty
// (/dev/null, a closed pipe): there is no terminal to blame.
var errNoInput = errors.New("stdin is not a terminal and has no line to read")

// terminalSecretReader prompts on stderr and reads without echo from a
// terminal; from a pipe it reads one line. Ctrl-C (ctx) ends the prompt at
// once and restores the terminal: term.ReadPassword alone would block
// until Enter, the interrupt swallowed by signal.NotifyContext.
func terminalSecretReader(e *env) func(context.Context, string) (string, error) {
	var lines *bufio.Reader
	return func(ctx context.Context, prompt string) (string, error) {
		if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			fd := int(f.Fd())
			saved, err := term.GetState(fd)
			if err != nil {
				return "", err
			}
			// Echo goes off before the prompt shows, and comes back whatever
			// happens (ReadPassword restores only the state it found: off).
			if err := echoOff(fd); err != nil {
				return "", err
			}
			defer func() { _ = term.Restore(fd, saved) }()
			fmt.Fprint(e.stderr, prompt)
			type result struct {
				b   []byte
				err error
			}
			ch := make(chan result, 1)
			go func() {
				b, err := term.ReadPassword(fd)
				ch <- result{b, err}
			}()
			select {
			case r := <-ch:
				fmt.Fprintln(e.stderr)
				return string(r.b), r.err
			case <-ctx.Done():
				fmt.Fprintln(e.stderr)
				return "", ctx.Err()
			}
		}
		fmt.Fprint(e.stderr, prompt)
		if lines == nil {
			lines = bufio.NewReader(e.stdin)
		}
		type result struct {
			s   string
			err error
		}
		ch := make(chan result, 1)
		go func() {
			s, err := lines.ReadString('\n')
			switch {
			case err == io.EOF && s != "":
				err = nil
			case err == io.EOF:
				err = errNoInput
			}
			ch <- result{strings.TrimRight(s, "\r\n"), err}
		}()
		select {
		case r := <-ch:
			if r.err != nil {
				fmt.Fprintln(e.stderr) // the error starts its own line, not after the prompt
			}
			return r.s, r.err
		case <-ctx.Done():
			fmt.Fprintln(e.stderr)
			return "", ctx.Err()
		}
	}
}
