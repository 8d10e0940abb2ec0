package main

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
)

func plexServersCommand() *command {
	return ownFlags(plexLeaf("plex servers", "list the servers the account reaches, their connections and tokens",
		fToken|fClientID|fPlexTV|fAPI, []string{"PLEX_TOKEN", "PLEX_CLIENT_IDENTIFIER"}, "authsdk plex servers --connect",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			pc, tok, err := f.accountClient(e, c)
			if err != nil {
				return err
			}
			rs, err := pc.Authentication.GetServerResources(ctx, tok)
			if err != nil {
				return apiError(err)
			}
			var servers []plex.Resource
			for _, r := range rs {
				if r.IsServer() {
					servers = append(servers, r)
				}
			}
			var conns []connectResult
			if f.connect {
				conns = connectAll(ctx, pc.Authentication, servers)
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
			if f.api.json {
				if err := printJSON(e.stdout, serversJSON(servers, conns, f.showTokens)); err != nil {
					return err
				}
				for _, c := range conns {
					if c.err != nil {
						return exitCode(exitAPI) // the failures are in the JSON
					}
				}
				return nil
			}
			if f.connect {
				return printConnected(e, servers, conns, f.showTokens)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			header := "NAME\tOWNED\tONLINE\tKIND\tURI"
			if f.showTokens {
				header += "\tACCESS TOKEN"
			}
			fmt.Fprintln(tw, header)
			for _, r := range servers {
				if len(r.Connections) == 0 {
					r.Connections = []plex.Connection{{}}
				}
				for i, conn := range r.Connections {
					kind := "remote"
					switch {
					case conn.URI == "":
						kind = "-"
					case conn.Relay:
						kind = "relay"
					case conn.Local:
						kind = "local"
					}
					name, owned, online := safe(r.Name), yesNo(r.Owned), yesNo(r.Presence)
					if i > 0 {
						name, owned, online = "", "", ""
					}
					line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", name, owned, online, kind, safe(conn.URI))
					if f.showTokens {
						t := ""
						if i == 0 {
							t = safe(string(r.AccessToken))
						}
						line += "\t" + t
					}
					fmt.Fprintln(tw, line)
				}
			}
			return tw.Flush()
		}), serversFlags)
}

// connectResult is Connect's answer for one server.
type connectResult struct {
	conn *plex.ServerConnection
	err  error
}

// connectAll connects to every server at once.
func connectAll(ctx context.Context, a *plex.Authentication, servers []plex.Resource) []connectResult {
	out := make([]connectResult, len(servers))
	var wg sync.WaitGroup
	for i, r := range servers {
		wg.Go(func() {
			conn, err := a.Connect(ctx, r)
			out[i] = connectResult{conn, err}
		})
	}
	wg.Wait()
	return out
}

// printConnected writes one row per server: the connection that answered
// and its latency; the causes of the failures follow on stderr.
func printConnected(e *env, servers []plex.Resource, conns []connectResult, showTokens bool) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	header := "NAME\tOWNED\tKIND\tLATENCY\tURL"
	if showTokens {
		header += "\tACCESS TOKEN"
	}
	fmt.Fprintln(tw, header)
	var failed, offline []string
	for i, r := range servers {
		kind, latency, url := "-", "-", "no connection answered"
		if sc := conns[i].conn; sc != nil {
			kind, latency, url = connKind(sc.Local, sc.Relay), sc.Latency.Round(time.Millisecond).String(), safe(sc.URL)
			if sc.Latency < time.Millisecond {
				latency = sc.Latency.Round(10 * time.Microsecond).String()
			}
		} else if !r.Presence {
			// plex.tv said so already: reported, not a failure.
			url = "offline (plex.tv lists it as not present)"
			offline = append(offline, conns[i].err.Error())
		} else {
			failed = append(failed, conns[i].err.Error())
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", safe(r.Name), yesNo(r.Owned), kind, latency, url)
		if showTokens {
			line += "\t" + safe(string(r.AccessToken))
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// One line per server that did not answer; exit 1 when any server
	// plex.tv lists as present did not.
	for _, msg := range offline {
		fmt.Fprintln(e.stderr, "authsdk: (offline) "+clip(safe(inCommandsWords(msg, "plex servers"))))
	}
	for _, msg := range failed {
		fmt.Fprintln(e.stderr, "authsdk: "+clip(safe(inCommandsWords(msg, "plex servers"))))
	}
	if len(failed) > 0 {
		return exitCode(exitAPI)
	}
	return nil
}

func connKind(local, relay bool) string {
	switch {
	case relay:
		return "relay"
	case local:
		return "local"
	}
	return "remote"
}

// serverJSON is a server in --json output: the resource, its token only
// with --show-tokens, and with --connect the connection that answered.
type serverJSON struct {
	plex.Resource
	AccessToken     string          `json:"accessToken,omitempty"` // shadows Resource's
	Connection      *connectionJSON `json:"connection,omitempty"`
	ConnectionError string          `json:"connectionError,omitempty"`
}

type connectionJSON struct {
	URL       string  `json:"url"`
	Kind      string  `json:"kind"`
	LatencyMS float64 `json:"latencyMs"`
	Version   string  `json:"version"`
}

func serversJSON(servers []plex.Resource, conns []connectResult, showTokens bool) []serverJSON {
	out := make([]serverJSON, len(servers))
	for i, r := range servers {
		out[i] = serverJSON{Resource: r}
		if showTokens {
			out[i].AccessToken = string(r.AccessToken)
		}
		if conns == nil {
			continue
		}
		if sc := conns[i].conn; sc != nil {
			out[i].Connection = &connectionJSON{URL: sc.URL, Kind: connKind(sc.Local, sc.Relay),
				LatencyMS: float64(sc.Latency.Microseconds()) / 1000, Version: sc.Version}
		} else {
			out[i].ConnectionError = conns[i].err.Error()
		}
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// serversFlags are the flags of "authsdk plex servers" beyond the plex flags it takes.
func serversFlags(fs *flag.FlagSet, f *plexFlags) {
	fs.BoolVar(&f.showTokens, "show-tokens", false, "show each server's access token (hidden by default, in --json too)")
	fs.BoolVar(&f.connect, "connect", false, "find the connection of each server that answers from here (no token sent), with its latency")
}
