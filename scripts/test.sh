#!/usr/bin/env bash
# Runs every test: GoogleTest units, fuzz-corpus replays and the black-box
# e2e flows (registered with CTest), against a real S3 server that this
# script starts on 127.0.0.1 and always stops.
set -euo pipefail
BUILD=${1:-build}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

eval "$(scripts/s3-test-server.sh start)"
trap 'scripts/s3-test-server.sh stop' EXIT

export FERRY_BIN="$REPO/$BUILD/ferry"
# CTEST_ARGS narrows the run (e.g. `make chaos`); word-splitting intended.
# shellcheck disable=SC2086
ctest --test-dir "$BUILD" --output-on-failure -j2 --timeout 600 ${CTEST_ARGS:-}
