package core

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkCore compares one call through the core (retrying doer, bounded
// body read, status check) with a bare http.Client.Do + io.ReadAll against
// the same loopback server. Compare the two sub-benchmarks' ratios.
func BenchmarkCore(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	ctx := context.Background()
	send := func(ctx context.Context, server string, d HTTPDoer) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"op", nil)
		if err != nil {
			return nil, err
		}
		return d.Do(req)
	}
	b.Run("baseline=net/http", func(b *testing.B) {
		hc := &http.Client{}
		b.ReportAllocs()
		for b.Loop() {
			rsp, err := send(ctx, srv.URL+"/", hc)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadAll(rsp.Body); err != nil {
				b.Fatal(err)
			}
			rsp.Body.Close()
		}
	})
	b.Run("sdk.Core", func(b *testing.B) {
		c, err := New(Config{})
		if err != nil {
			b.Fatal(err)
		}
		op := &Operation{Name: "bench.Get", Idempotent: true}
		b.ReportAllocs()
		for b.Loop() {
			if err := InvokeNoContent(ctx, c, op, srv.URL+"/", nil, nil, send); err != nil {
				b.Fatal(err)
			}
		}
	})
}
