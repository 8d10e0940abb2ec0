// Command authsdk-demo tries authsdk with no network and no accounts: it
// runs every operation against the spec-validating fakes (demo, the
// default), or serves the fakes on loopback for the authsdk command to
// talk to (serve). It is a program of its own so that authsdk itself
// never links the fakes and their OpenAPI validator.
//
// Exit codes: 0 ok, 1 an operation failed, 2 usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

const usage = `authsdk-demo: try authsdk offline, against fakes that validate every request
and answer against api/ (no network, no accounts)

Usage:
  authsdk-demo [demo]        run every operation once and print what happened
  authsdk-demo serve         serve the fakes on loopback until Ctrl-C, after
                             printing the "export" lines that point authsdk
                             at them

Flags of serve:
  --approve-after DURATION   approve each pending Plex PIN after this long
                             (default 5s; 0 = never)

Example:
  authsdk serve              # then, in another shell, paste the export lines
  authsdk plex login         # approved by the fake after 5 s
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "demo"
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			fmt.Fprint(stdout, usage)
			return 0
		case "demo", "serve":
			cmd, args = args[0], args[1:]
		default:
			fmt.Fprintf(stderr, "authsdk-demo: unknown command %q (run \"authsdk-demo --help\")\n", args[0])
			return 2
		}
	}
	fs := flag.NewFlagSet("authsdk-demo "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	approveAfter := 5 * time.Second
	if cmd == "serve" {
		fs.DurationVar(&approveAfter, "approve-after", approveAfter, "")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "authsdk-demo %s: %v (run \"authsdk-demo --help\")\n", cmd, err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "authsdk-demo %s: unexpected argument %q (run \"authsdk-demo --help\")\n", cmd, fs.Arg(0))
		return 2
	}
	if approveAfter < 0 {
		fmt.Fprintf(stderr, "authsdk-demo serve: --approve-after %s is negative\n", approveAfter)
		return 2
	}
	var err error
	if cmd == "serve" {
		err = serve(ctx, stdout, stderr, approveAfter)
	} else {
		err = runDemo(ctx, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "authsdk-demo: "+err.Error())
		return 1
	}
	return 0
}
