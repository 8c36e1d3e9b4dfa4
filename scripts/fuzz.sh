#!/usr/bin/env bash
# fuzz.sh: builds every libFuzzer target (clang, ASan + UBSan) and runs it.
#
#   scripts/fuzz.sh short [BUILD]   # `make test`: FUZZ_SECONDS (default 10) per target
#   scripts/fuzz.sh long  [BUILD]   # `make fuzz`: FUZZ_RUNS (default 10,000,000) executions per
#                                   # target, figures recorded in bench/RESULTS.md
#   FUZZ_TARGETS="a b" scripts/fuzz.sh ...   # only these targets
#   FUZZ_MAX_SECONDS=600 scripts/fuzz.sh long  # at most this long per target
#   FUZZ_MAX_LEN=4096 scripts/fuzz.sh long     # longest input for every target (default:
#                                              # the target's MAX_LEN in CMake, else 65536)
#
# Each target starts from its committed seed corpus (tests/fuzz/<name>) plus
# what earlier runs found (BUILD/fuzz-corpus/<target>, not committed). A crash
# leaves its input in BUILD/fuzz-artifacts/ and fails the run: add the input to
# the target's committed corpus as a regression seed once fixed.
set -euo pipefail
MODE=${1:-long}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${2:-$REPO/build-fuzz}
JOBS=${JOBS:-2}
cd "$REPO"

CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFERRY_FUZZ=ON \
  -DFERRY_BUILD_TESTS=OFF -DFERRY_BUILD_BENCH=OFF >/dev/null
mapfile -t ALL <"$BUILD/fuzz_targets.txt"
# FUZZ_TARGETS="a b": only these targets (default: all).
LINES=()
for l in "${ALL[@]}"; do
  if [ -z "${FUZZ_TARGETS:-}" ] || [[ " $FUZZ_TARGETS " == *" ${l%% *} "* ]]; then LINES+=("$l"); fi
done
TARGETS=()
for l in "${LINES[@]}"; do TARGETS+=("${l%% *}"); done
cmake --build "$BUILD" -j"$JOBS" --target "${TARGETS[@]}"

# Above half of -rss_limit_mb, libFuzzer purges ASan's allocator every second
# (madvise, TLB shootdowns, refaults): a long run whose RSS crept past 1 GB
# (mlmodel_fuzz: the 256 MB quarantine plus allocation stacks) fell from
# 5,000 to 700 executions/s. A 64 MB quarantine keeps it under; freed memory
# is still poisoned and use-after-free still caught within that window.
# mlmodel_fuzz still crept past 1 GB after 7M executions (corpus, allocation
# stacks), so the RSS limit is 4 GB (purging above 2 GB) while any single
# allocation above 2 GB still counts as a crash (-malloc_limit_mb).
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64}
# UBSan findings stop the run and leave their input like any crash (by default
# UBSan only prints "runtime error" and the run would count as clean).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$BUILD/fuzz-artifacts" "$BUILD/fuzz-logs"
TABLE=$(mktemp)
failed=0
for l in "${LINES[@]}"; do
  read -r name bin seeds max_len <<<"$l"
  work="$BUILD/fuzz-corpus/$name"
  mkdir -p "$work"
  if [ "$MODE" = long ]; then
    limit=(-runs="${FUZZ_RUNS:-10000000}")
    # FUZZ_MAX_SECONDS: stop a target earlier (the table shows what it reached).
    if [ -n "${FUZZ_MAX_SECONDS:-}" ]; then limit+=(-max_total_time="$FUZZ_MAX_SECONDS"); fi
  else
    limit=(-max_total_time="${FUZZ_SECONDS:-10}")
  fi
  log="$BUILD/fuzz-logs/$name.log"
  start=$(date +%s)
  set +e
  "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 -max_len="${FUZZ_MAX_LEN:-${max_len:-65536}}" -print_final_stats=1 \
    -artifact_prefix="$BUILD/fuzz-artifacts/$name-" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  secs=$(($(date +%s) - start))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  if [ $rc -eq 0 ] && grep -q 'runtime error:' "$log"; then rc=1; fi
  if [ $rc -ne 0 ]; then
    failed=1
    verdict="**FAILED** (rc $rc, see $log)"
    grep -m3 -E 'ERROR|SUMMARY|Test unit written' "$log" >&2 || true
  else
    verdict="0 crashes"
  fi
  printf '| %s | %s | %s s | %s | %s |\n' "$name" "$execs" "$secs" "$cov" "$verdict" | tee -a "$TABLE"
done

if [ "$MODE" = long ]; then
  OUT=$(mktemp)
  {
    echo "## Fuzzing: libFuzzer + ASan + UBSan, every parser of untrusted bytes ($(date -u +%F), $(nproc) cores, $(uname -m))"
    echo
    echo "\`make fuzz\` (scripts/fuzz.sh long${FUZZ_TARGETS:+, FUZZ_TARGETS=\"$FUZZ_TARGETS\"}): clang $(clang --version | head -1 | grep -o '[0-9][0-9.]*' | head -1), up to ${FUZZ_RUNS:-10000000} executions${FUZZ_MAX_SECONDS:+ or $FUZZ_MAX_SECONDS s} per target from the committed seeds plus earlier finds."
    echo
    echo "| target | executions | time | coverage (edges) | result |"
    echo "|---|---|---|---|---|"
    cat "$TABLE"
    echo
  } >"$OUT"
  /usr/bin/python3 bench/record.py bench/RESULTS.md "$OUT"
  rm -f "$OUT"
fi
rm -f "$TABLE"
exit $failed
