package main

import (
	"context"
	"errors"
	"fmt"
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

func demoCommand() *command {
	return &command{
		name: "demo", summary: "run every operation against embedded fakes (no network, no accounts)",
		example: "authsdk demo",
		run:     func(ctx context.Context, e *env, _ any, _ []string) error { return runDemo(ctx, e) },
	}
}

// runDemo starts both fakes on loopback and runs every operation through
// the public SDK, printing one row per operation.
func runDemo(ctx context.Context, e *env) error {
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
		token = t.Token
		return "token " + short(t.Token) + ", session_limit 5", nil
	})
	step(zs, "ziggeo AuthTokens.Get", func() (string, error) {
		t, err := zc.AuthTokens.Get(ctx, token)
		if err != nil {
			return "", err
		}
		return "token " + short(t.Token) + " found", nil
	})
	zs.FailNext(1, ziggeotest.Fault{Status: 503})
	step(zs, "ziggeo AuthTokens.Update (503 first)", func() (string, error) {
		t, err := zc.AuthTokens.Update(ctx, token, ziggeo.AuthTokenParams{SessionLimit: ziggeo.Int64(9), Volatile: ziggeo.Bool(true)})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("session_limit %d after a retried 503", *t.SessionLimit), nil
	})
	step(zs, "ziggeo AuthTokens.Delete", func() (string, error) {
		return "deleted", zc.AuthTokens.Delete(ctx, token)
	})
	var clientToken string
	step(offline, "ziggeo Auth.Generate", func() (string, error) {
		t, err := zc.Auth.Generate(ziggeo.AuthTokenParams{Grants: &ziggeo.Grants{Read: &ziggeo.Grant{All: true}}})
		clientToken = t
		return short(t) + " (" + fmt.Sprint(len(t)) + " hex chars)", err
	})
	step(offline, "ziggeo DecryptToken", func() (string, error) {
		p, err := ziggeo.DecryptToken(ziggeotest.EncryptionKey, clientToken)
		return string(p[:min(len(p), 48)]) + "…", err
	})
	step(ps, "plex GetTransientToken", func() (string, error) {
		t, err := pc.Authentication.GetTransientToken(ctx, plex.TransientTokenTypeDelegation, plex.ScopeAll)
		if err != nil {
			return "", err
		}
		return short(t.Token), nil
	})
	step(ps, "plex GetSourceConnectionInformation", func() (string, error) {
		s, err := pc.Authentication.GetSourceConnectionInformation(ctx, plextest.Source)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s, %d connections", s.Device.Name, len(s.Device.Connections)), nil
	})
	step(ps, "plex GetUserDetails", func() (string, error) {
		u, err := pc.Authentication.GetUserDetails(ctx, plextest.UserToken)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s <%s>, id %d", u.Username, u.Email, u.ID), nil
	})
	step(ps, "plex PostUsersSignInData (2FA)", func() (string, error) {
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
		return "2FA asked, code accepted, token " + short(u.AuthToken), nil
	})
	step(ps, "plex PIN sign-in (approved by the fake)", func() (string, error) {
		pin, err := pc.Authentication.CreatePin(ctx, true)
		if err != nil {
			return "", err
		}
		time.AfterFunc(30*time.Millisecond, func() { _ = ps.ApprovePin(pin.Code, plextest.UserToken) })
		done, err := pc.Authentication.WaitForPin(ctx, pin, 10*time.Millisecond)
		if err != nil {
			return "", err
		}
		return "PIN " + short(pin.Code) + " approved, token " + short(done.AuthToken), nil
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
	step(ps, "plex JWT: register key, exchange", func() (string, error) {
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
		return "Plex JWT until " + j.ExpiresAt.UTC().Format("2006-01-02"), nil
	})
	step(ps, "plex JWT PIN sign-in (no token ever)", func() (string, error) {
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
		return "Plex JWT until " + j.ExpiresAt.UTC().Format("2006-01-02"), nil
	})
	step(ps, "plex Ping", func() (string, error) {
		return "token kept alive", pc.Authentication.Ping(ctx, plextest.UserToken)
	})
	step(ps, "plex Home: list, switch with PIN", func() (string, error) {
		users, err := pc.Authentication.GetHomeUsers(ctx, plextest.UserToken)
		if err != nil {
			return "", err
		}
		acct, err := pc.Authentication.SwitchHomeUser(ctx, plextest.UserToken, plextest.HomeKidsUUID, plextest.HomeKidsPIN)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d profiles; %s: token %s", len(users), acct.Title, short(acct.AuthToken)), nil
	})

	fmt.Fprintf(e.stdout, "authsdk demo: every operation against the embedded fakes (ziggeo %s, plex %s)\n\n", zs.URL, ps.URL)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATION\tRESULT\tATTEMPTS\tTIME")
	failed := 0
	for _, r := range rows {
		if r.err != nil {
			failed++
		}
		attempts := fmt.Sprint(r.attempts)
		if r.attempts == 0 {
			attempts = "offline"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.op, r.result, attempts, r.took.Round(10*time.Microsecond))
	}
	_ = tw.Flush()
	violations := len(zs.Violations()) + len(ps.Violations())
	fmt.Fprintf(e.stdout, "\n%d operations, %d failed, %d spec violations\n", len(rows), failed, violations)
	if failed > 0 || violations > 0 {
		return fmt.Errorf("demo: %d failed, %d spec violations: %s", failed, violations, strings.Join(append(zs.Violations(), ps.Violations()...), "; "))
	}
	return nil
}

type offlineCounter struct{}

func (offlineCounter) RequestCount() int { return 0 }

func short(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:12] + "…"
}
