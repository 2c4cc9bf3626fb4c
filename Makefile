# MCP Kernel — the two commands: `make run` and `make test`.
# Both work on a fresh Debian 12 machine as root: they install what is missing first.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# Debian packages the kernel, its plugins and its tests need. Areas add theirs here.
APT_PACKAGES := libjansson-dev libcurl4-openssl-dev git libuv1-dev libpq-dev libffi-dev libsqlite3-dev libsodium-dev libseccomp-dev libyaml-dev \
	libhttp-parser-dev libhiredis-dev pkg-config bubblewrap postgresql redis-server sqlite3 util-linux \
	chromium python3 python3-venv curl wrk esbuild nodejs node-typescript openssl ca-certificates

SWIFT ?= swift
BUILD_FLAGS ?=
BIN := .build/debug
TEST_PG_PORT ?= 55432
TEST_REDIS_PORT ?= 56379
# What `make test` shows of Swift Testing's output while it runs (all of it is in .build/test.log,
# the kernel and plugin logs of in-process tests in .build/test-stderr.log): suites, failures and crashes.
# A suite still running after this long (a normal run takes under 2 minutes) is aborted for backtraces.
TEST_HANG_SECONDS ?= 1200
TEST_CONSOLE_LINES := ^(✔ Suite|✘|↳ [^TV]|\*\*\*|Thread [0-9]+ .*crashed|(✔|✘) Test run with|[[:space:]]+Executed)

.PHONY: deps build runtime run test test-swift bench clean fuzz soak

## Install missing apt packages (only those not already installed; never upgrades).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
		$$SUDO apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-upgrade $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

## The runtime venv sandboxed steps run under (the pins of runtime/python/requirements.lock, from PyPI,
## through the wheelhouse ~/.cache/mcpk/pip/wheels that the kernel's own `mcpk runtime install` shares).
## Tests find it through MCPK_PYTHON_RUNTIME; `make run`'s kernel (home ./.mcpk) finds it by default.
RUNTIME_DIR ?= .mcpk/runtimes/python
export MCPK_PYTHON_RUNTIME ?= $(abspath $(RUNTIME_DIR))
runtime: deps
	scripts/python-runtime.sh "$(RUNTIME_DIR)"

## Coverage-guided fuzzing of the parsers and the C executors' config parsing (libFuzzer), FUZZ_SECONDS per target
## (default 60) or FUZZ_RUNS executions per target (the goal: FUZZ_RUNS=10000000), FUZZ_PARALLEL targets at once;
## not part of `make test`, which replays the corpus (fuzz/corpus) in the *FuzzReplayTests and scripts/fuzz-c.sh replay.
fuzz: deps
	scripts/fuzz.sh

## Soak (bench/soak/run.sh): SOAK_RUNS (default 10000) mixed runs with SOAK_CLIENTS (100) SSE clients reconnecting at
## random, on SQLite and on PostgreSQL (a private server on TEST_PG_PORT); fails when a check fails. Not in `make test`.
SOAK_MCPK ?= .build/release/mcpk
soak: build runtime
	[ "$(SOAK_MCPK)" != .build/release/mcpk ] || $(SWIFT) build -c release
	MCPK_TEST_PG_PORT=$(TEST_PG_PORT) scripts/pg-test.sh start >/dev/null
	trap 'MCPK_TEST_PG_PORT=$(TEST_PG_PORT) scripts/pg-test.sh stop' EXIT; \
	SOAK_PG_URL="$$(MCPK_TEST_PG_PORT=$(TEST_PG_PORT) scripts/pg-test.sh url)" bench/soak/run.sh "$(SOAK_MCPK)"

## Start the kernel on the embedded default (SQLite under ./.mcpk), console at http://127.0.0.1:8470/.
run: build runtime
	$(BIN)/mcpk serve

## Install, start what must run (PostgreSQL, Redis), run the whole suite, stop.
test: build runtime
	MCPK_TEST_PG_PORT=$(TEST_PG_PORT) scripts/pg-test.sh start >/dev/null
	MCPK_TEST_REDIS_PORT=$(TEST_REDIS_PORT) scripts/redis-test.sh start >/dev/null
	trap 'rc=$$?; MCPK_TEST_PG_PORT=$(TEST_PG_PORT) scripts/pg-test.sh stop; \
	      MCPK_TEST_REDIS_PORT=$(TEST_REDIS_PORT) scripts/redis-test.sh stop; \
	      [ $$rc -eq 0 ] || { echo "--- PostgreSQL server log (tail)"; tail -n 80 .build/pg-test-server.log 2>/dev/null; }; \
	      exit $$rc' EXIT; \
	export MCPK_TEST_PG_URL="$$(MCPK_TEST_PG_PORT=$(TEST_PG_PORT) scripts/pg-test.sh url)"; \
	export MCPK_TEST_REDIS_URL="$$(MCPK_TEST_REDIS_PORT=$(TEST_REDIS_PORT) scripts/redis-test.sh url)"; \
	export MCPK_BIN="$$PWD/$(BIN)/mcpk"; \
	export MCPK_TEST_ADBC_DRIVERS="$$PWD/$$(scripts/adbc-drivers.sh .build/adbc-drivers)"; \
	$(SWIFT) build --build-tests $(BUILD_FLAGS); \
	rm -f .build/test-results*.xml; \
	scripts/abort-hung-tests.sh $(TEST_HANG_SECONDS) mcpkPackageTest & hang=$$!; \
	set +e; SWIFT_BACKTRACE=enable=yes,interactive=no,color=no \
	$(SWIFT) test --skip-build --xunit-output .build/test-results.xml $(BUILD_FLAGS) 2>.build/test-stderr.log \
	  | tee .build/test.log | grep --line-buffered -E "$(TEST_CONSOLE_LINES)"; \
	rc=$${PIPESTATUS[0]}; set -e; kill $$hang 2>/dev/null || true; \
	if [ $$rc -ne 0 ]; then \
	  scripts/test-failures.sh .build/test.log .build/test-stderr.log; \
	  SWIFT="$(SWIFT)" BUILD_FLAGS="$(BUILD_FLAGS)" scripts/rerun-failed-tests.sh .build/test-results-swift-testing.xml; \
	fi
	scripts/fuzz-c.sh replay
	MCPK_BIN="$$PWD/$(BIN)/mcpk" scripts/schemathesis.sh
	scripts/console-lint.sh
	MCPK_BIN="$$PWD/$(BIN)/mcpk" MCPK_TEST_ADBC_DRIVERS="$$PWD/.build/adbc-drivers" Tests/ConsoleTests/run.sh

bench: build
	$(SWIFT) build -c release --product mcpk
	bench/run-all.sh

clean:
	rm -rf .build
