package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

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
