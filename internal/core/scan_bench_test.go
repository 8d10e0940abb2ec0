package core

import (
	"os"
	"reflect"
	"testing"

	"github.com/authsdk/authsdk/gen/plexapi"
)

// BenchmarkAnswerCost: the decode bound's scan of the resources fixture,
// against the spec's Resource (core cannot import sdk/plex's).
func BenchmarkAnswerCost(b *testing.B) {
	body, err := os.ReadFile("../../sdk/plex/plextest/testdata/get_server_resources.200.json")
	if err != nil {
		b.Fatal(err)
	}
	t := reflect.TypeFor[[]plexapi.Resource]()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := answerCost(body, t); err != nil {
			b.Fatal(err)
		}
	}
}
