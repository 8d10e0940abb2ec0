# authsdk — `make` alone runs check-generated + test.
GO        ?= go
GEN       := $(GO) run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen
SPECS     := $(wildcard api/*/oapi-codegen.yaml)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0
REDOCLY   := @redocly/cli@2.77.0
FUZZTIME  ?= 30s
HOSTILETIME ?= 5m
BENCHCOUNT ?= 6

.PHONY: all generate check-generated test lint bench bench-jsonv2 bench-node fuzz demo
all: check-generated test

# Regenerate gen/ from every api/<name>/oapi-codegen.yaml (output path is in each config).
generate:
	@set -e; for cfg in $(SPECS); do \
		dir=$$(dirname $$cfg); \
		out=$$(sed -n 's/^output: *//p' $$cfg); \
		mkdir -p $$(dirname $$out); \
		$(GEN) -config $$cfg $$dir/openapi.yaml; \
		gofmt -w $$out; \
	done

# Regenerate into a temp copy and diff against gen/: non-zero on any difference.
check-generated:
	@./scripts/check-generated.sh

test: check-generated
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	# encoding/json on the v2 engine (GOEXPERIMENT=jsonv2): the SDK must decode the same.
	GOEXPERIMENT=jsonv2 $(GO) test -count=1 ./...
	./scripts/check-tracked.sh
	./scripts/check-deps.sh
	./scripts/check-generated-selftest.sh
	# The PostgreSQL identity store, its own module: its tests start a server
	# themselves (or use AUTHSDK_TEST_POSTGRES), and fail saying how to get one.
	cd store/pgstore && $(GO) mod tidy -diff && $(GO) vet ./... && $(GO) test -race -count=1 ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) $$($(GO) list ./... | grep -v /gen/)
	./scripts/govulncheck.sh $(GOVULNCHECK)
	npx --yes $(REDOCLY) lint --format=summary

bench:
	./scripts/bench.sh $(BENCHCOUNT)

# encoding/json's default engine against GOEXPERIMENT=jsonv2, alternating runs.
bench-jsonv2:
	./scripts/bench-jsonv2.sh $(BENCHCOUNT)

# Ziggeo's official Node SDK beside Auth.Generate, measured here (needs node + npm).
bench-node:
	./scripts/bench-node.sh

# The Go fuzz targets for FUZZTIME each, then the hostile-server harness
# for HOSTILETIME from a random seed (a violation prints its replay seed).
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)
	HOSTILE_DURATION=$(HOSTILETIME) $(GO) test -count=1 -timeout 0 -run '^TestHostileServers$$' -v ./internal/faultmatrix

demo:
	$(GO) run ./cmd/authsdk-demo
