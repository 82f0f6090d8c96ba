GO ?= go
BIN := bin/atrun

.PHONY: all build test deps vet demo bench fuzz lint golden clean cross small test386

all: build

# Static (no cgo): runs on any glibc, on musl (OpenWrt) and in scratch
# containers.
build:
	@echo "building $(BIN) (the first build compiles every dependency: a minute or so, silently)"
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/atrun

# cross builds every release target, static and stripped, into bin/cross/
# and prints each size. OS/ARCH[/variant]: GOARM for arm; mips and mipsle
# are softfloat, as routers without an FPU need.
CROSS_TARGETS := windows/amd64 windows/arm64 darwin/arm64 darwin/amd64 \
	linux/amd64 linux/arm64 linux/arm/6 linux/arm/7 linux/mipsle linux/mips freebsd/amd64
RELEASE_FLAGS := -trimpath -ldflags "-s -w"

cross:
	@rm -rf bin/cross && mkdir -p bin/cross
	@set -e; for t in $(CROSS_TARGETS); do \
		os=$${t%%/*}; arch=$${t#*/}; v=; \
		case $$arch in */*) v=$${arch#*/}; arch=$${arch%/*};; esac; \
		out=bin/cross/atrun-$$os-$$arch$${v:+v$$v}; [ $$os = windows ] && out=$$out.exe; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch GOARM=$$v GOMIPS=softfloat \
			$(GO) build $(RELEASE_FLAGS) -o $$out ./cmd/atrun; \
		printf '%-36s %9d bytes\n' $$out $$(wc -c <$$out); \
	done

# small: the router build (no virtual modems, no embedded broker) for
# linux/mipsle, beside the full one.
small:
	@mkdir -p bin/cross
	@set -e; for tags in atrun_small ""; do \
		out=bin/cross/atrun$${tags:+-small}-linux-mipsle; \
		CGO_ENABLED=0 GOOS=linux GOARCH=mipsle GOMIPS=softfloat \
			$(GO) build $(RELEASE_FLAGS) -tags "$$tags" -o $$out ./cmd/atrun; \
		printf '%-36s %9d bytes\n' $$out $$(wc -c <$$out); \
	done

# test386: the unit tests of the language, runtime and builtins compiled for
# a 32-bit CPU (int is 32 bits); .ci/test32 says how it runs them here.
test386:
	GO=$(GO) ./.ci/test32 ./lang ./runtime/... ./builtins/...

# deps installs what the tests need on a fresh Debian machine: Go modules,
# mosquitto (the real broker the end-to-end tests talk to), postgresql
# (the report tests start a throw-away server) and chromium (the dashboard
# test drives it headless). apt-get runs only for what is missing.
deps:
	$(GO) mod download
	@SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); missing=; \
	{ command -v mosquitto || test -x /usr/sbin/mosquitto; } >/dev/null 2>&1 || missing="$$missing mosquitto"; \
	{ ls /usr/lib/postgresql/*/bin/initdb || command -v initdb; } >/dev/null 2>&1 || missing="$$missing postgresql"; \
	{ command -v chromium || command -v chromium-browser; } >/dev/null 2>&1 || missing="$$missing chromium"; \
	[ -z "$$missing" ] || { echo "installing$$missing (apt-get)"; \
		$$SUDO apt-get install -y $$missing >/dev/null 2>&1 || \
		{ $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y $$missing; }; }

vet:
	@echo "go vet: compiles every package first (a minute or so the first time, silently)"
	$(GO) vet ./...

test: deps vet
	@echo "go test: compiles each package's tests, then runs them; a package prints one line when it is done (several minutes)"
	$(GO) test -count=1 -timeout 15m ./...

# demo: the SIM7000 publish flow against a virtual SIM7000 (in-process) and an
# embedded MQTT broker; shows the step log and what the broker received.
demo: build
	@echo "running the SIM7000 publish flow against a virtual SIM7000 and an embedded broker"
	./$(BIN) run scripts/sim7000/publish.at --sim sim7000 --broker embedded \
		-D topic=atrun/demo -D message="hello from a virtual SIM7000" -D qos=1

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fuzz runs each fuzz target in turn: the parser, the framer, the MQTT decoder.
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./lang -run '^$$' -fuzz FuzzParseFormat -fuzztime $(FUZZTIME)
	$(GO) test ./runtime/at -run '^$$' -fuzz FuzzFramer -fuzztime $(FUZZTIME)
	$(GO) test ./builtins/mqtt -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./builtins/mqtt -run '^$$' -fuzz FuzzRoundTrip -fuzztime $(FUZZTIME)

lint: vet
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) run honnef.co/go/tools/cmd/staticcheck@latest ./...

# golden refreshes golden files and the shipped flows' recorded sessions.
golden:
	$(GO) test ./lang -update
	$(GO) test ./scripts -run TestReplayRecordings -update

clean:
	rm -rf bin

# bench-peers compares atrun (as make build makes it) with a C and a Go floor
# (write a command, block reading until OK), Tcl Expect and pexpect on one pty
# fake modem with a fixed latency (bench/peers). expect and python3-pexpect
# come from apt-get when missing; a tool that cannot be had is left out.
# PEERSFLAGS: e.g. -n 50 -latency 20ms -baud 115200 -runs 5.
PEERSFLAGS ?=
.PHONY: bench-peers
bench-peers: build
	@SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
	for want in "expect:command -v expect" "python3-pexpect:/usr/bin/python3 -c 'import pexpect'"; do \
		pkg=$${want%%:*}; eval "$${want#*:}" >/dev/null 2>&1 && continue; \
		echo "installing $$pkg (apt-get)"; \
		$$SUDO apt-get install -y $$pkg >/dev/null 2>&1 || \
		{ $$SUDO apt-get update >/dev/null 2>&1 && $$SUDO apt-get install -y $$pkg >/dev/null 2>&1; } || \
		echo "could not install $$pkg: left out"; \
	done
	$(GO) run ./bench/peers -python /usr/bin/python3 -atrun $(BIN) $(PEERSFLAGS)

# vscode tests the TextMate grammar on the annotated scripts in
# editors/vscode/test (vscode-tmgrammar-test) and packs the VS Code
# extension into editors/vscode/atrun-VERSION.vsix (vsce). It installs
# with npm into editors/vscode/node_modules; without npm it says so and
# skips.
.PHONY: vscode
vscode:
	@if ! command -v npm >/dev/null 2>&1; then echo "make vscode: npm not found; skipped"; exit 0; fi; \
	set -e; cd editors/vscode; \
	npm ci --no-audit --no-fund --loglevel=error; \
	npm test; \
	npx --no-install vsce package
