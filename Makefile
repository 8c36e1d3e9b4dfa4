# Thin front end over CMake. `make run` and `make test` work on a fresh
# Debian bookworm machine: they install what is missing first.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
BUILD_TYPE ?= Release

.PHONY: all build deps run test unit e2e bench fuzz fuzz-short chaos clean

all: build

deps:
	@scripts/install-deps.sh build

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: deps
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build
	@scripts/run-demo.sh $(BUILD)

test:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build
	@scripts/test.sh $(BUILD)

bench:
	@scripts/install-deps.sh all
	@$(MAKE) --no-print-directory build
	@bench/run.sh $(BUILD)

# libFuzzer + ASan/UBSan on every parser of untrusted bytes (clang build in
# build-fuzz/): 10M executions per target, recorded in bench/RESULTS.md.
fuzz:
	@scripts/install-deps.sh all
	@scripts/fuzz.sh long

fuzz-short:
	@scripts/install-deps.sh all
	@scripts/fuzz.sh short

# Fault and limit flows: S3 500s/truncation/slowness/outage, disk full, kill -9
# during applies, slowloris/oversized clients, secrets never logged.
chaos:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build
	@CTEST_ARGS="-R e2e_(faults|limits|up_durability|secret_hygiene)" scripts/test.sh $(BUILD)

clean:
	rm -rf $(BUILD)
