package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
)

// The commands of this installation's Plex device: where its identity
// lives, linking another device's code, claiming a new server.

func plexDeviceCommand() *command {
	return plexLeaf("plex device", "show this installation's Plex device: where its identity lives, its client identifier and key thumbprint",
		fClientID|fAPI, nil, "authsdk plex device",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			if f.clientID.set {
				// It shows the stored identity; another identifier is not one.
				return usagef("%s--client-identifier names no stored identity; plex device shows the one in --config-dir", at(c))
			}
			id, err := f.identity(e)
			if err != nil {
				return err
			}
			if f.api.json {
				return printJSON(e.stdout, map[string]string{"location": id.Location, "clientIdentifier": id.ClientIdentifier, "keyThumbprint": id.Key.KeyID()})
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "location\t%s\n", id.Location)
			fmt.Fprintf(tw, "client identifier\t%s\n", id.ClientIdentifier)
			fmt.Fprintf(tw, "key thumbprint\t%s\n", id.Key.KeyID())
			return tw.Flush()
		})
}

func plexLinkCommand() *command {
	c := plexLeaf("plex link", "approve the 4-character code another device shows (plex.tv/link) for your account",
		fToken|fClientID|fPlexTV|fAPI, []string{"PLEX_TOKEN", "PLEX_CLIENT_IDENTIFIER"}, "authsdk plex link AB12",
		func(ctx context.Context, e *env, c *command, f *plexFlags, args []string) error {
			pc, tok, err := f.accountClient(e, c)
			if err != nil {
				return err
			}
			code := strings.ToUpper(strings.TrimSpace(args[0]))
			if !isLinkCode(code) {
				return usagef("%sthe code is the 4 letters or digits the other device shows, e.g. AB12", at(c))
			}
			if err := pc.Authentication.LinkPin(ctx, tok, code); err != nil {
				return apiError(err)
			}
			if f.api.json {
				return printJSON(e.stdout, map[string]bool{"linked": true})
			}
			fmt.Fprintln(e.stdout, "linked: the other device is signed in to your account")
			return nil
		})
	c.args, c.nargs = "CODE", 1
	return c
}

func isLinkCode(code string) bool {
	if len(code) != 4 {
		return false
	}
	return strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
}

func plexClaimCommand() *command {
	return plexLeaf("plex claim", "print a claim token for setting up a new Plex Media Server (PLEX_CLAIM; it lasts minutes)",
		fToken|fClientID|fPlexTV|fAPI, []string{"PLEX_TOKEN", "PLEX_CLIENT_IDENTIFIER"}, "docker run -e PLEX_CLAIM=$(authsdk plex claim) plexinc/pms-docker",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			pc, tok, err := f.accountClient(e, c)
			if err != nil {
				return err
			}
			ct, err := pc.Authentication.GetClaimToken(ctx, tok)
			if err != nil {
				return apiError(err)
			}
			if err := printableToken(string(ct.Token)); err != nil {
				return err
			}
			if f.api.json {
				return printJSON(e.stdout, map[string]string{"token": string(ct.Token)}) // the command's result
			}
			fmt.Fprintln(e.stdout, string(ct.Token))
			return nil
		})
}
