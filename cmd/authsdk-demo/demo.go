package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authsdk/authsdk/sdk/plex"
	"github.com/authsdk/authsdk/sdk/plex/plextest"
	"github.com/authsdk/authsdk/sdk/ziggeo"
	"github.com/authsdk/authsdk/sdk/ziggeo/ziggeotest"
)

// demoRow is one line of the demo table.
type demoRow struct {
	op, result string
	attempts   int
	took       time.Duration
	err        error
}

// counter is a fake whose requests can be counted.
type counter interface{ RequestCount() int }

// Widths of the demo table's columns: with TRIES and TIME it fits 80 columns.
const (
	opWidth     = 30
	resultWidth = 30
)

// runDemo starts both fakes on loopback and runs every operation through
// the public SDK, printing one row per operation.
func runDemo(ctx context.Context, stdout io.Writer) error {
	zs := ziggeotest.NewServer()
	defer zs.Close()
	ps := plextest.NewServer()
	defer ps.Close()
	zc, err := zs.Client()
	if err != nil {
		return err
	}
	pc, err := ps.Client()
	if err != nil {
		return err
	}
	var rows []demoRow
	step := func(srv counter, op string, f func() (string, error)) {
		before, start := srv.RequestCount(), time.Now()
		res, err := f()
		r := demoRow{op: op, result: res, attempts: srv.RequestCount() - before, took: time.Since(start), err: err}
		if err != nil {
			r.result = "error: " + err.Error()
		}
		rows = append(rows, r)
	}
	offline := offlineCounter{}

	var token string
	step(zs, "ziggeo AuthTokens.Create", func() (string, error) {
		t, err := zc.AuthTokens.Create(ctx, ziggeo.AuthTokenParams{SessionLimit: ziggeo.Int64(5), Grants: &ziggeo.Grants{Read: &ziggeo.Grant{All: true}}})
		if err != nil {
			return "", err
		}
		token = string(t.Token)
		return "token " + short(string(t.Token)), nil
	})
	step(zs, "ziggeo AuthTokens.Get", func() (string, error) {
		t, err := zc.AuthTokens.Get(ctx, token)
		if err != nil {
			return "", err
		}
		return "found, limit " + fmt.Sprint(*t.SessionLimit), nil
	})
	zs.FailNext(1, ziggeotest.Fault{Status: 503})
	step(zs, "ziggeo AuthTokens.Update", func() (string, error) {
		t, err := zc.AuthTokens.Update(ctx, token, ziggeo.AuthTokenParams{SessionLimit: ziggeo.Int64(9), Volatile: ziggeo.Bool(true)})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("limit %d, a 503 retried", *t.SessionLimit), nil
	})
	step(zs, "ziggeo AuthTokens.Delete", func() (string, error) {
		return "deleted", zc.AuthTokens.Delete(ctx, token)
	})
	var clientToken string
	step(offline, "ziggeo Auth.Generate", func() (string, error) {
		t, err := zc.Auth.Generate(ziggeo.AuthTokenParams{Grants: &ziggeo.Grants{Read: &ziggeo.Grant{All: true}}})
		clientToken = t
		return fmt.Sprint(len(t), " hex characters"), err
	})
	step(offline, "ziggeo DecryptToken", func() (string, error) {
		p, err := ziggeo.DecryptToken(ziggeotest.EncryptionKey, clientToken)
		return string(p), err
	})
	step(ps, "plex GetTransientToken", func() (string, error) {
		t, err := pc.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
		if err != nil {
			return "", err
		}
		return short(string(t.Token)), nil
	})
	step(ps, "plex GetSourceConnectionInfo", func() (string, error) {
		s, err := pc.Authentication.GetSourceConnectionInformation(ctx, plextest.Source)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d connections", len(s.Device.Connections)), nil
	})
	step(ps, "plex GetUserDetails", func() (string, error) {
		u, err := pc.Authentication.GetUserDetails(ctx, plextest.UserToken)
		if err != nil {
			return "", err
		}
		return u.Username + ", id " + fmt.Sprint(u.ID), nil
	})
	step(ps, "plex sign-in with 2FA", func() (string, error) {
		req := plex.SignInRequest{Login: plextest.TwoFactorLogin, Password: plextest.Password}
		_, err := pc.Authentication.PostUsersSignInData(ctx, req)
		if !errors.Is(err, plex.ErrVerificationCodeRequired) {
			return "", fmt.Errorf("expected a 2FA challenge, got %v", err)
		}
		req.VerificationCode = plextest.VerificationCode
		u, err := pc.Authentication.PostUsersSignInData(ctx, req)
		if err != nil {
			return "", err
		}
		return "code asked, token " + short(string(u.AuthToken)), nil
	})
	step(ps, "plex PIN sign-in", func() (string, error) {
		pin, err := pc.Authentication.CreatePin(ctx, true)
		if err != nil {
			return "", err
		}
		time.AfterFunc(30*time.Millisecond, func() { _ = ps.ApprovePin(pin.Code, plextest.UserToken) })
		done, err := pc.Authentication.WaitForPin(ctx, pin, 10*time.Millisecond)
		if err != nil {
			return "", err
		}
		return "approved, token " + short(string(done.AuthToken)), nil
	})
	step(ps, "plex GetServerResources", func() (string, error) {
		rs, err := pc.Authentication.GetServerResources(ctx, plextest.UserToken)
		if err != nil {
			return "", err
		}
		servers := 0
		for _, r := range rs {
			if r.IsServer() {
				servers++
			}
		}
		return fmt.Sprintf("%d devices, %d servers", len(rs), servers), nil
	})
	ps.SetResources(plextest.UserToken, ps.LoopbackResources())
	step(ps, "plex Connect (first server)", func() (string, error) {
		rs, err := pc.Authentication.GetServerResources(ctx, plextest.UserToken)
		if err != nil {
			return "", err
		}
		sc, err := pc.Authentication.Connect(ctx, rs[0])
		if err != nil {
			return "", err
		}
		return connKind(sc) + ", " + sc.Latency.Round(10*time.Microsecond).String(), nil
	})
	step(ps, "plex JWT: register, exchange", func() (string, error) {
		k, err := plex.NewDeviceKey()
		if err != nil {
			return "", err
		}
		if err := pc.Authentication.RegisterDeviceKey(ctx, plextest.UserToken, k); err != nil {
			return "", err
		}
		j, err := pc.Authentication.NewJWTSource(k).Token(ctx)
		if err != nil {
			return "", err
		}
		return "JWT until " + j.ExpiresAt.UTC().Format("2006-01-02"), nil
	})
	step(ps, "plex JWT PIN sign-in", func() (string, error) {
		k, err := plex.NewDeviceKey()
		if err != nil {
			return "", err
		}
		pin, err := pc.Authentication.CreateJWTPin(ctx, k, true)
		if err != nil {
			return "", err
		}
		time.AfterFunc(30*time.Millisecond, func() { _ = ps.ApprovePin(pin.Code, plextest.UserToken) })
		j, err := pc.Authentication.WaitForJWTPin(ctx, pin, k, 10*time.Millisecond)
		if err != nil {
			return "", err
		}
		return "JWT until " + j.ExpiresAt.UTC().Format("2006-01-02"), nil
	})
	step(ps, "plex Ping", func() (string, error) {
		return "token kept alive", pc.Authentication.Ping(ctx, plextest.UserToken)
	})
	step(ps, "plex Home: list, switch (PIN)", func() (string, error) {
		users, err := pc.Authentication.GetHomeUsers(ctx, plextest.UserToken)
		if err != nil {
			return "", err
		}
		acct, err := pc.Authentication.SwitchHomeUser(ctx, plextest.UserToken, plextest.HomeKidsUUID, plextest.HomeKidsPIN)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d profiles, to %s", len(users), acct.Title), nil
	})

	fmt.Fprintf(stdout, "authsdk demo: every operation against the fakes\n(Ziggeo at %s, Plex at %s)\n\n", zs.URL, ps.URL)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATION\tRESULT\tTRIES\tTIME")
	failed := 0
	for _, r := range rows {
		if r.err != nil {
			failed++
		}
		attempts := fmt.Sprint(r.attempts)
		if r.attempts == 0 {
			attempts = "offline"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", fit(r.op, opWidth), fit(r.result, resultWidth), attempts, took(r.took))
	}
	_ = tw.Flush()
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", r.op, r.err)
		}
	}
	violations := len(zs.Violations()) + len(ps.Violations())
	fmt.Fprintf(stdout, "\n%d operations, %d failed, %d spec violations\n", len(rows), failed, violations)
	if failed > 0 || violations > 0 {
		return fmt.Errorf("demo: %d failed, %d spec violations: %s", failed, violations, strings.Join(append(zs.Violations(), ps.Violations()...), "; "))
	}
	return nil
}

type offlineCounter struct{}

func (offlineCounter) RequestCount() int { return 0 }

// fit cuts s to n runes, marking the cut.
func fit(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func short(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:12] + "…"
}

func connKind(sc *plex.ServerConnection) string {
	switch {
	case sc.Relay:
		return "relay"
	case sc.Local:
		return "local"
	}
	return "remote"
}

// took shows a duration to 0.1 ms.
func took(d time.Duration) string {
	if d < 100*time.Microsecond {
		return "<0.1ms"
	}
	return d.Round(100 * time.Microsecond).String()
}
