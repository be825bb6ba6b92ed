# Kabinet: `make run` starts the service fully embedded; `make test` runs every test.
GO        ?= go
BIN       := bin/kabinet
DATA_DIR  ?= ./data
ADDR      ?= 127.0.0.1:8080
# Packages with goroutines of their own: run under the race detector.
RACE_PKGS := ./platform/eventstore/... ./platform/journal/... ./projections/... ./commands/... ./readapi/... ./platform/auth/... ./platform/observability/... ./cmd/...

.PHONY: build run test vet fmt-check bench fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/kabinet

run: build
	$(BIN) serve --addr $(ADDR) --data-dir $(DATA_DIR)

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: fmt-check vet
	$(GO) test -count=1 -timeout 15m ./domain/... ./platform/sqldb/... ./platform/httpx/... ./platform/blobstore/...
	$(GO) test -count=1 -race -timeout 20m $(RACE_PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./platform/eventstore/sqlstore/ ./platform/journal/... ./projections/...

fuzz:
	$(GO) test ./domain/ -run '^$$' -fuzz FuzzParsePhone -fuzztime 20s
	$(GO) test ./domain/ -run '^$$' -fuzz FuzzParseEmail -fuzztime 20s

clean:
	rm -rf bin
