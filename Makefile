# agentdesk — the two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
BIN     := bin
PKGS    := ./...
export GOFLAGS := -buildvcs=false

.PHONY: all build run test deps deps-build fmt-check vet check s3tools unit fuzz bench deb clean

all: build

## build: compile the three programs into bin/ (installs the C libraries cgo needs, when missing)
build: deps-build
	$(GO) build -o $(BIN)/ ./cmd/...

## run: the all-in-one demo (hub on loopback, simulated customers, the desktop)
run: build
	./$(BIN)/agentdesk demo

## deps: install the Debian packages the tests need, when missing
deps:
	@./.ci/deps.sh

deps-build:
	@./.ci/deps.sh build

## fmt-check: fail when gofmt would change a file
fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## vet: go vet
vet:
	$(GO) vet $(PKGS)

## check: static analysis of the hub and of the code that talks to it over
## the network: gosec (security findings) and staticcheck (bugs), pinned,
## installed into bin/tools from the Go module proxy. A finding that is
## not one is marked in the code with "#nosec RULE -- why". The test
## harnesses (hub/sim, hub/browsertest, hub/internal) are left to staticcheck.
GOSEC_VERSION       := v2.30.0
STATICCHECK_VERSION := v0.8.2
CHECK_PKGS := ./hub/... ./cmd/chathub/... ./session/hubclient/... ./uploader/hubsink/...
TOOLS := $(CURDIR)/$(BIN)/tools
check:
	@GOBIN=$(TOOLS) $(GO) install github.com/securego/gosec/v2/cmd/gosec@$(GOSEC_VERSION)
	@GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(TOOLS)/gosec -quiet -exclude-dir=hub/sim -exclude-dir=hub/browsertest -exclude-dir=hub/internal $(CHECK_PKGS)
	$(TOOLS)/staticcheck $(CHECK_PKGS)

## s3tools: the S3-compatible server the store's tests run (versitygw,
## its posix backend storing into a temp folder), pinned, built into
## bin/tools from the Go module proxy
VERSITYGW_VERSION := v1.8.0
s3tools:
	@test -x $(TOOLS)/versitygw -a -f $(TOOLS)/versitygw.$(VERSITYGW_VERSION) || { \
		GOBIN=$(TOOLS) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION) && \
		touch $(TOOLS)/versitygw.$(VERSITYGW_VERSION); }

## test: everything CI runs (installs what it needs first)
# The tests that measure real time (the 60 s audio/video sync, the paused
# recording's silence and slate, the pipe source's bursts) run on their
# own, after the rest, without the race detector: they must not share the
# 2 cores with the suite's kill -9 days and browsers.
TIMED := ^(TestSync60s|TestRealScreenRecording|TestPipeSourceBursts)$$
test: deps fmt-check vet check s3tools
	$(GO) test -count=1 -race -timeout 12m -skip '$(TIMED)' $(PKGS)
	$(GO) test -count=1 -p 1 -timeout 5m -run '$(TIMED)' -v ./capture/ ./capture/internal/pulse/
	@$(MAKE) --no-print-directory fuzz

## fuzz: a short run of each fuzz target: a number of runs each (about 10 s
## here), not a duration, because Go 1.26's fuzzer can fail a run of a
## duration at its end with "context deadline exceeded" and no crasher
## (go.dev/issue/75804, fixed in Go 1.27; it failed CI once). FUZZTIME=1m
## runs each target for a minute instead (such a failure is that bug).
## Each new input found is minimized for 2 s at most (Go's default is a
## minute, which a run of a number of runs does not cut short).
FUZZTIME ?=
fuzzfor = $(if $(FUZZTIME),$(FUZZTIME),$(1))
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRecorder$$' -fuzztime $(call fuzzfor,3000x) -fuzzminimizetime 2s ./session/
	$(GO) test -run '^$$' -fuzz '^FuzzFileName$$' -fuzztime $(call fuzzfor,300000x) -fuzzminimizetime 2s ./session/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(call fuzzfor,10000x) -fuzzminimizetime 2s ./ui/script/
	$(GO) test -run '^$$' -fuzz '^FuzzRecover$$' -fuzztime $(call fuzzfor,400000x) -fuzzminimizetime 2s ./capture/spool/
	$(GO) test -run '^$$' -fuzz '^FuzzParseFast$$' -fuzztime $(call fuzzfor,20000x) -fuzzminimizetime 2s ./hub/
	$(GO) test -run '^$$' -fuzz '^FuzzCustomerFrames$$' -fuzztime $(call fuzzfor,250x) -fuzzminimizetime 2s ./hub/
	$(GO) test -run '^$$' -fuzz '^FuzzAgentFrames$$' -fuzztime $(call fuzzfor,250x) -fuzzminimizetime 2s ./hub/

## unit: the tests without the Debian packages check
unit:
	$(GO) test -count=1 $(PKGS)

## bench: the benchmarks, figures printed
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./hub/... ./ui/... ./capture/... ./uploader/...

## deb: the Debian package of the desktop and the capture agent (units, default config, man pages) in dist/
deb: deps-build
	GO=$(GO) ./packaging/build-deb.sh dist

clean:
	rm -rf $(BIN) dist
