package main

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// silentServer accepts every request and never answers, until the
// request's context ends (as net/http's transport gives up).
type silentServer struct{ n int }

func (s *silentServer) RoundTrip(r *http.Request) (*http.Response, error) {
	s.n++
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// Every API command is bounded: --timeout, default 2 min (a silent server
// hung "authsdk plex user" until it was killed).
func TestTimeoutBoundsACommandAgainstASilentServer(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  time.Duration
		bound string
	}{
		{[]string{"plex", "user", "--timeout", "2s"}, 2 * time.Second, "--timeout 2s"},
		// The default: the command's 2 minutes and the SDK's MaxElapsedTime
		// end together; either may be named.
		{[]string{"plex", "user", "--retries", "-1"}, defaultCommandTimeout, "2m0s"},
		{[]string{"ziggeo", "authtokens", "get", "tok-1", "--timeout", "1500ms", "--server-url", "http://ziggeo.test"}, 1500 * time.Millisecond, "--timeout 1.5s"},
	} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			r := runCLIMem(t, &silentServer{}, "", map[string]string{"PLEX_TOKEN": "tok", "ZIGGEO_APP_TOKEN": "app", "ZIGGEO_PRIVATE_KEY": "key"}, tc.args...)
			took := time.Since(start)
			if r.code != exitAPI || took != tc.want {
				t.Fatalf("%v: exit %d after %v, want 1 after %v; stderr %q", tc.args, r.code, took, tc.want, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.bound) || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("%v: stderr %q, want one line naming %s", tc.args, r.stderr, tc.bound)
			}
		})
	}
	if r := runCLI(t, "", nil, "plex", "user", "--timeout", "soon"); r.code != exitUsage {
		t.Fatalf("--timeout soon: exit %d, %q", r.code, r.stderr)
	}
}

// A relative config directory would be another Plex device in every
// working directory: refused, from the flag and from the environment.
func TestRelativeConfigDirIsRefused(t *testing.T) {
	for _, r := range []result{
		runCLI(t, "", nil, "plex", "device", "--config-dir", "rel"),
		runCLI(t, "", map[string]string{"AUTHSDK_CONFIG_DIR": "rel/dir"}, "plex", "device"),
	} {
		if r.code != exitUsage || !strings.Contains(r.stderr, "relative path") {
			t.Fatalf("exit %d, %q; want a usage error saying the path is relative", r.code, r.stderr)
		}
	}
}
