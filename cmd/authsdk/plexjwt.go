package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
)

func plexJWTKeygenCommand() *command {
	return ownFlags(plexLeaf("plex jwt keygen", "make a new Ed25519 device key (file mode 0600)", 0, nil,
		"authsdk plex jwt keygen --key-file ~/.config/authsdk/plex-device.pem",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			if f.keyFile == "" {
				return usagef("%sneed --key-file", at(c))
			}
			k, err := makeKeyFile(c, f.keyFile, f.force)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, k.KeyID())
			return nil
		}), keygenFlags)
}

// loadKey reads the device key file.
func loadKey(c *command, path string) (*plex.DeviceKey, error) {
	if path == "" {
		return nil, usagef("%sneed --key-file", at(c))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("%s%v (make a key with \"authsdk plex jwt keygen --key-file %s\", or leave --key-file out to use this installation's)", at(c), err, path)
	}
	k, err := plex.ParseDeviceKey(b)
	if err != nil {
		return nil, usagef("%s%s: %v (make a new key with \"authsdk plex jwt keygen --key-file FILE\")", at(c), path, err)
	}
	return k, nil
}

func plexJWTRegisterCommand() *command {
	return ownFlags(plexLeaf("plex jwt register", "register the device key with your account (once per key)",
		fToken|fClientID|fClients|fAPI, []string{"PLEX_TOKEN", "PLEX_CLIENT_IDENTIFIER"},
		"authsdk plex jwt register --key-file plex-device.pem",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			k, err := f.deviceKey(e, c)
			if err != nil {
				return err
			}
			pc, tok, err := f.tokenClient(e, c, false)
			if err != nil {
				return err
			}
			if err := pc.Authentication.RegisterDeviceKey(ctx, tok, k); err != nil {
				return apiError(err)
			}
			if f.api.json {
				return printJSON(e.stdout, map[string]any{"registered": true, "kid": k.KeyID()})
			}
			fmt.Fprintln(e.stdout, "registered", k.KeyID())
			return nil
		}), keyFileFlag)
}

func plexJWTTokenCommand() *command {
	return ownFlags(plexLeaf("plex jwt token", "print a Plex JWT: the stored one while fresh, else trade a device-signed JWT for a new one (Plex sets its lifetime: 7 days today)",
		fClientID|fClients|fAPI, []string{"PLEX_CLIENT_IDENTIFIER"},
		"export PLEX_TOKEN=$(authsdk plex jwt token --key-file plex-device.pem)",
		func(ctx context.Context, e *env, c *command, f *plexFlags, _ []string) error {
			k, err := f.deviceKey(e, c)
			if err != nil {
				return err
			}
			pc, err := f.client(e, "")
			if err != nil {
				return err
			}
			// With this installation's key, the stored JWT while it is
			// fresh (a new one is exchanged and stored when it is due);
			// with a --key-file, a new exchange.
			src := pc.Authentication.NewJWTSource(k)
			defer src.Close()
			j, err := src.Token(ctx)
			if err != nil {
				return apiError(err)
			}
			if err := printableToken(string(j.Token)); err != nil {
				return err
			}
			if f.api.json {
				return printJSON(e.stdout, jwtJSON(j))
			}
			fmt.Fprintln(e.stdout, string(j.Token))
			fmt.Fprintf(e.stderr, "expires %s\n", j.ExpiresAt.Local().Format(time.RFC3339))
			return nil
		}), keyFileFlag)
}

// printableToken refuses a token that would reach the terminal with
// control, bidi or invisible characters: a hostile server's ESC or OSC
// sequence is an error, not output.
func printableToken(tok string) error {
	for _, r := range tok {
		if unsafeRune(r) || r == ' ' {
			return errors.New("the server answered a token with control or invisible characters; not printed")
		}
	}
	return nil
}

// makeKeyFile writes a new device key to path: parent directories are made
// (0700), a symlink is never followed, and the key is written to a
// temporary file (0600) renamed into place, so a crash leaves the old key
// or the new one, never half of one. An existing file is replaced only
// with force.
func makeKeyFile(c *command, path string, force bool) (*plex.DeviceKey, error) {
	if path == "" {
		return nil, usagef("%sneed --key-file", at(c))
	}
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			return nil, usagef("%s%s is a symbolic link; refusing to write a key through it", at(c), path)
		case !force:
			return nil, usagef("%s%s exists; use --force to replace it", at(c), path)
		case !fi.Mode().IsRegular():
			return nil, usagef("%s%s is not a regular file", at(c), path)
		}
	}
	k, err := plex.NewDeviceKey()
	if err != nil {
		return nil, err
	}
	pemBytes, err := k.MarshalPEM()
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, usagef("%s%v", at(c), err)
	}
	tmp, err := os.CreateTemp(dir, ".authsdk-key-*")
	if err != nil {
		return nil, usagef("%s%v", at(c), err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up on failure
	// One err throughout: a failed write must not be renamed into place.
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(pemBytes)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && !force {
		// Link fails if path appeared meanwhile: never replace without --force.
		err = os.Link(tmp.Name(), path)
	} else if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if errors.Is(err, os.ErrExist) {
		return nil, usagef("%s%s exists; use --force to replace it", at(c), path)
	}
	if err != nil {
		return nil, usagef("%s%v", at(c), err)
	}
	return k, nil
}

// loadOrMakeKey reads the key file, or makes it when it does not exist
// (plex login --jwt); --force makes a new one in its place.
func loadOrMakeKey(e *env, c *command, path string, force bool) (*plex.DeviceKey, error) {
	if path == "" {
		return nil, usagef("%s--jwt needs --key-file", at(c))
	}
	if _, err := os.Lstat(path); err == nil && !force {
		return loadKey(c, path)
	}
	k, err := makeKeyFile(c, path, force)
	if err == nil {
		fmt.Fprintf(e.stderr, "New device key %s written to %s (keep it secret).\n", k.KeyID(), path)
	}
	return k, err
}

// jwtJSON is a Plex JWT in --json output: the token is the command's result.
func jwtJSON(j *plex.JWT) any {
	return struct {
		*plex.JWT
		Token string `json:"token"` // shadows the JWT's (an sdk.Secret, redacted by json.Marshal)
	}{j, string(j.Token)}
}

// keygenFlags are the flags of "authsdk plex jwt keygen" beyond the plex flags it takes.
func keygenFlags(fs *flag.FlagSet, f *plexFlags) {
	fs.StringVar(&f.keyFile, "key-file", "", "`file` to write the private key to (mode 0600, required)")
	fs.BoolVar(&f.force, "force", false, "overwrite an existing key file")
}

// keyFileFlag are the flags of "authsdk plex jwt register" beyond the plex flags it takes.
func keyFileFlag(fs *flag.FlagSet, f *plexFlags) {
	fs.StringVar(&f.keyFile, "key-file", "", "device key `file` from \"plex jwt keygen\" (default: this installation's key)")
}
