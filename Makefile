GO ?= go
BIN := bin/atrun

.PHONY: all build test deps vet demo bench fuzz lint golden clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/atrun

# deps installs what the tests need on a fresh Debian machine: Go modules and
# mosquitto (the real broker the end-to-end tests talk to).
deps:
	$(GO) mod download
	@command -v mosquitto >/dev/null 2>&1 || test -x /usr/sbin/mosquitto || { \
		echo "installing mosquitto (apt-get)"; \
		SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
		$$SUDO apt-get install -y mosquitto >/dev/null 2>&1 || \
		{ $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y mosquitto; }; }

vet:
	$(GO) vet ./...

test: deps vet
	$(GO) test -count=1 -timeout 15m ./...

# demo: the SIM7000 publish flow against a virtual SIM7000 (in-process) and an
# embedded MQTT broker; shows the step log and what the broker received.
demo: build
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

# bench-peers compares atrun with a C and a Go floor (write a command, block
# reading until OK), Tcl Expect and pexpect on one pty fake modem with a fixed
# latency (bench/peers). expect and python3-pexpect come from apt-get when
# missing; a tool that cannot be had is left out of the table.
# PEERSFLAGS: e.g. -n 50 -latency 20ms -baud 115200 -runs 5.
PEERSFLAGS ?=
.PHONY: bench-peers
bench-peers:
	@SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
	for want in "expect:command -v expect" "python3-pexpect:/usr/bin/python3 -c 'import pexpect'"; do \
		pkg=$${want%%:*}; eval "$${want#*:}" >/dev/null 2>&1 && continue; \
		echo "installing $$pkg (apt-get)"; \
		$$SUDO apt-get install -y $$pkg >/dev/null 2>&1 || \
		{ $$SUDO apt-get update >/dev/null 2>&1 && $$SUDO apt-get install -y $$pkg >/dev/null 2>&1; } || \
		echo "could not install $$pkg: left out"; \
	done
	$(GO) run ./bench/peers -python /usr/bin/python3 $(PEERSFLAGS)
