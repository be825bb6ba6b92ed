# Kabinet: `make run` starts the service fully embedded; `make test` runs every test.
# The module needs Go 1.27.3; the go command fetches it from the module proxy.
export GOTOOLCHAIN := go1.27.3
GO        ?= go
BIN       := bin/kabinet
DATA_DIR  ?= ./data
ADDR      ?= 127.0.0.1:8080
# Pure packages run plainly; everything with goroutines of its own runs
# under the race detector.
PLAIN_PKGS := ./domain/... ./platform/sqldb/... ./platform/schema/... ./platform/httpx/... ./platform/blobstore/... ./platform/tickets/... ./deploy/... ./docs/...
RACE_PKGS  := ./platform/delivery/... ./platform/eventstore/... ./platform/pii/... ./platform/journal/... ./platform/lease/... ./platform/ratelimit/... ./platform/secrets/... ./platform/auth/... \
              ./platform/observability/... ./projections/... ./commands/... ./readapi/... ./web/... ./cmd/...

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build run test vet staticcheck fmt-check contract-lint bench fuzz clean

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/kabinet

run: build
	$(BIN) serve --addr $(ADDR) --data-dir $(DATA_DIR)

vet:
	$(GO) vet ./...

# staticcheck at a pinned version (the go command fetches and caches it).
staticcheck:
	$(GO) run $(STATICCHECK) ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Redocly's recommended rules over the OpenAPI document, where npm is
# present (npx fetches the pinned CLI).
contract-lint:
	@if command -v npx >/dev/null 2>&1; then npx -y @redocly/cli@2.77.0 lint readapi/openapi.json; \
	  else echo "npx not found: the OpenAPI lint (make contract-lint) did not run"; fi

test: fmt-check vet staticcheck contract-lint
	@all=$$($(GO) list ./...); listed=$$($(GO) list $(PLAIN_PKGS) $(RACE_PKGS)); \
	  missing=$$(printf '%s\n%s\n%s\n' "$$listed" "$$listed" "$$all" | sort | uniq -u); \
	  if [ -n "$$missing" ]; then echo "packages in no test list (add them to the Makefile):"; echo "$$missing"; exit 1; fi
	$(GO) test -count=1 -timeout 15m $(PLAIN_PKGS)
	$(GO) test -count=1 -race -timeout 20m $(RACE_PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./platform/eventstore/sqlstore/ ./platform/pii/ ./platform/journal/... ./commands/journaling/ ./projections/... ./readapi/
	$(GO) test -run '^$$' -bench BenchmarkStart -benchtime 1x ./platform/eventstore/kurrent/
	$(GO) run ./cmd/kabinet bench --duration 10s --concurrency 32
	$(GO) run ./cmd/kabinet bench reads --duration 5s --accounts 50

fuzz:
	$(GO) test ./domain/ -run '^$$' -fuzz FuzzParsePhone -fuzztime 20s
	$(GO) test ./domain/ -run '^$$' -fuzz FuzzParseEmail -fuzztime 20s
	$(GO) test ./commands/signin/ -run '^$$' -fuzz FuzzDecodeSignIn -fuzztime 20s
	@# Hostile input over the real router, one target per route family
	@# (bodies, path and query parameters, headers, multipart parts).
	for t in FuzzRouteBodies FuzzRoutePathsAndQueries FuzzRouteHeaders FuzzRouteMultipart; do \
	  $(GO) test ./cmd/kabinet/ -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-20s} || exit 1; done

clean:
	rm -rf bin
