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

// usage is the help of prog: "authsdk-demo", or "authsdk" when authsdk runs
// this program for its demo and serve commands.
func usage(prog string) string {
	title, demo := prog, prog+" [demo]"
	if prog != "authsdk-demo" {
		title, demo = prog+" demo and serve", prog+" demo"
	}
	return fmt.Sprintf(`%[1]s: try authsdk offline, against fakes that validate every request
and answer against api/ (no network, no accounts)

Usage:
  %-25[2]s  run every operation once and print what happened
  %-25[3]s  serve the fakes on loopback until Ctrl-C, after
`, title, demo, prog+" serve") + usageTail
}

const usageTail = `                             printing the "export" lines that point authsdk
                             at them

Flags of serve:
  --approve-after DURATION   approve each pending Plex PIN after this long
                             (default 5s; 0 = never)

Example:
  authsdk serve              # then, in another shell, paste the export lines
  authsdk plex login         # approved by the fake after 5 s
`

// progEnv names the program whose commands these are in help and errors:
// authsdk sets it when it runs this program for "authsdk demo|serve".
const progEnv = "AUTHSDK_DEMO_PROG"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	prog := "authsdk-demo"
	if os.Getenv(progEnv) == "authsdk" {
		prog = "authsdk"
	}
	os.Exit(run(ctx, prog, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	cmd := "demo"
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			fmt.Fprint(stdout, usage(prog))
			return 0
		case "demo", "serve":
			cmd, args = args[0], args[1:]
		default:
			fmt.Fprintf(stderr, "%s: unknown command %q (run \"%[1]s --help\")\n", prog, args[0])
			return 2
		}
	}
	fs := flag.NewFlagSet(prog+" "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	approveAfter := 5 * time.Second
	if cmd == "serve" {
		fs.DurationVar(&approveAfter, "approve-after", approveAfter, "")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage(prog))
			return 0
		}
		fmt.Fprintf(stderr, "%s %s: %v (run \"%[1]s %[2]s --help\")\n", prog, cmd, err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s %s: unexpected argument %q (run \"%[1]s %[2]s --help\")\n", prog, cmd, fs.Arg(0))
		return 2
	}
	if approveAfter < 0 {
		fmt.Fprintf(stderr, "%s serve: --approve-after %s is negative\n", prog, approveAfter)
		return 2
	}
	var err error
	if cmd == "serve" {
		err = serve(ctx, prog, stdout, stderr, approveAfter)
	} else {
		err = runDemo(ctx, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, prog+": "+err.Error())
		return 1
	}
	return 0
}
