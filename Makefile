# Thin front end over CMake. `make run` and `make test` work on a fresh
# Debian bookworm machine: they install what is missing first.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
BUILD_TYPE ?= Release

.PHONY: all build deps run test unit e2e bench fuzz clean

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

clean:
	rm -rf $(BUILD)
