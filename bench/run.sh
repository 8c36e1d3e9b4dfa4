#!/usr/bin/env bash
# `make bench`: runs the benchmarks and records their results, with the
# machine and date, in bench/RESULTS.md (newest run first in each section).
set -euo pipefail
BUILD=${1:-build}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
DEMO="$REPO/$BUILD/demo"
if [ ! -f "$DEMO/.done" ]; then
  mkdir -p "$DEMO"
  /usr/bin/python3 tests/fixtures/mlflow/gen_mlflow.py "$DEMO" >/dev/null
  touch "$DEMO/.done"
fi
OUT=$(mktemp)
{
  echo "## HTTP: one-row V2 iris request, ferry serve vs nginx fixed body ($(date -u +%F), $(nproc) cores, $(uname -m))"
  echo
  echo "wrk -t2, 10 s per run, both servers with 2 worker threads/processes, same machine, same run."
  echo
  /usr/bin/python3 bench/http_bench.py --ferry "$BUILD/ferry" --model_dir "$DEMO/iris_tensor" --seconds "${BENCH_SECONDS:-10}"
  echo
} > "$OUT"
cat "$OUT"
/usr/bin/python3 bench/record.py bench/RESULTS.md "$OUT"
{
  echo "## scikit-learn predict: Ferry native vs scikit-learn in Python ($(date -u +%F), $(nproc) cores, $(uname -m))"
  echo
  echo "Median of repeated predicts on the same pickled model and rows, one process each, same run."
  echo
  /usr/bin/python3 bench/sklearn_bench.py "$BUILD/bench/sklearn_predict_bench"
  echo
} > "$OUT"
cat "$OUT"
/usr/bin/python3 bench/record.py bench/RESULTS.md "$OUT"
eval "$(scripts/s3-test-server.sh start)"
trap 'scripts/s3-test-server.sh stop' EXIT
{
  echo "## Storage: S3 downloads from the local s3rver ($(date -u +%F), $(nproc) cores, $(uname -m))"
  echo
  /usr/bin/python3 bench/storage_bench.py "$BUILD/ferry"
  echo
} > "$OUT"
cat "$OUT"
/usr/bin/python3 bench/record.py bench/RESULTS.md "$OUT"
rm -f "$OUT"
