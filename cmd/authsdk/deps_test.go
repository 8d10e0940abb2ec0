package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fakes, their OpenAPI validator and package testing stay out of the
// authsdk binary: they cost startup time and megabytes to every command
// (the demo and serve live in cmd/authsdk-demo).
func TestBinaryDoesNotLinkTheFakes(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/fake", "/plextest", "/ziggeotest", "getkin/kin-openapi", "santhosh-tekuri/jsonschema"} {
			if strings.Contains(dep, banned) {
				t.Errorf("authsdk links %s", dep)
			}
		}
		if dep == "testing" {
			t.Errorf("authsdk links package testing")
		}
	}
}

// BenchmarkStartup runs "authsdk --help" and the same for a stdlib-only CLI
// that links net/http, encoding/json, crypto and log/slog (testdata/stdlibcli),
// alternating the two in every iteration; it reports each one's time per
// run and their ratio.
func BenchmarkStartup(b *testing.B) {
	base := filepath.Join(b.TempDir(), "stdlibcli")
	if out, err := exec.Command("go", "build", "-o", base, "./testdata/stdlibcli").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	var tBase, tSDK time.Duration
	runOnce := func(bin string) time.Duration {
		start := time.Now()
		if err := exec.Command(bin, "--help").Run(); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	for b.Loop() {
		tBase += runOnce(base)
		tSDK += runOnce(binary)
	}
	b.ReportMetric(float64(tBase.Nanoseconds())/float64(b.N), "stdlib-ns/run")
	b.ReportMetric(float64(tSDK.Nanoseconds())/float64(b.N), "authsdk-ns/run")
	b.ReportMetric(float64(tSDK)/float64(tBase), "ratio")
}
