# Thin front end over CMake. `make run` and `make test` work on a fresh
# Debian bookworm machine: they install what is missing first.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
BUILD_TYPE ?= Release

.PHONY: all build deps run test unit e2e bench fuzz fuzz-short chaos soak sanitize tsan image \
        image-test clean

all: build

deps:
	@scripts/install-deps.sh build

# Unit tests need fixtures made by Debian's Python (numpy, scikit-learn,
# xgboost: `make test` installs them); a bare `make` builds without them.
TESTS := $(shell /usr/bin/python3 -c 'import numpy, sklearn, xgboost' 2>/dev/null && echo ON || echo OFF)

build: deps
	@[ "$(TESTS)" = ON ] || echo "make: python3-numpy/sklearn/xgboost missing: building without unit tests (make test installs them)"
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DFERRY_BUILD_TESTS=$(TESTS) \
	  $(CMAKE_FLAGS) >/dev/null
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
# during applies, slowloris/oversized clients, secrets never logged, a predict
# past its deadline (504, the server keeps serving).
chaos:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build
	@CTEST_ARGS="-R e2e_(faults|limits|up_durability|secret_hygiene|predict_timeout)" scripts/test.sh $(BUILD)

# The whole test suite (units, corpus replays, e2e) on an ASan + UBSan build
# in build-asan/, and the multi-threaded unit tests (FERRY_TSAN_TESTS in
# CMakeLists.txt) on a ThreadSanitizer build in build-tsan/.
sanitize:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build BUILD=build-asan BUILD_TYPE=RelWithDebInfo \
	  CMAKE_FLAGS="-DFERRY_SANITIZE=ON -DFERRY_BUILD_BENCH=OFF"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  scripts/test.sh build-asan

tsan:
	@scripts/install-deps.sh test
	@$(MAKE) --no-print-directory build BUILD=build-tsan BUILD_TYPE=RelWithDebInfo \
	  CMAKE_FLAGS="-DFERRY_TSAN=ON -DFERRY_BUILD_BENCH=OFF"
	@# libgomp (XGBoost's OpenMP) is not instrumented either: one OpenMP thread,
	@# while the tests' own threads still predict concurrently.
	@OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1 \
	  suppressions=$(CURDIR)/tests/tsan.supp" CTEST_ARGS="-E ^(e2e_|browser_)" \
	  scripts/test.sh build-tsan

# Load + change: 60 s of wrk at 64 connections through the kubeflow gateway
# while the model is updated 20 times and its policies are edited; recorded in
# bench/RESULTS.md, fails on any unintended non-2xx.
soak:
	@scripts/install-deps.sh all
	@$(MAKE) --no-print-directory build
	@BENCH_SECTIONS=soak bench/run.sh $(BUILD)

# The container image, built for real with podman (chroot isolation) on a
# debian:bookworm-slim made locally by mmdebstrap (scripts/image.sh), and the
# pod test: the image's file system and user run the storage initializer and
# `ferry serve` with KServe's merged arguments (tests/e2e/test_image.py;
# docs/kubernetes.md records the times). Not part of `make test`.
IMAGE ?= localhost/ferry:dev
image:
	@scripts/install-deps.sh image
	@scripts/image.sh $(IMAGE)

image-test: image
	@scripts/install-deps.sh image-test
	@$(MAKE) --no-print-directory build
	@FERRY_IMAGE=$(IMAGE) CTEST_ARGS="-R ^e2e_image$$" scripts/test.sh $(BUILD)

clean:
	rm -rf $(BUILD)
