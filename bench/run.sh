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
{
  echo "## ferry up: apply → Ready, iris from the local S3 server ($(date -u +%F), $(nproc) cores, $(uname -m))"
  echo
  echo "POST of the seed's InferenceService (python3-requests, HTTPS API), then the watch stream until Ready=True; a new name per run."
  echo
  /usr/bin/python3 bench/apply_bench.py "$BUILD/ferry" "${APPLY_RUNS:-20}"
  echo
} > "$OUT"
cat "$OUT"
/usr/bin/python3 bench/record.py bench/RESULTS.md "$OUT"
rm -f "$OUT"
# Issue 9: dynamic batching (64 one-row clients, RandomForest 100 trees) and V2 gRPC unary calls.
OUT=$(mktemp)
{
  echo "## Dynamic batching: 64 one-row clients on a RandomForest of 100 trees ($(date -u +%F), $(nproc) cores, $(uname -m))"
  echo
  /usr/bin/python3 bench/batch_bench.py --ferry "$BUILD/ferry" --fixtures "$BUILD/bench-fixtures" --seconds "${BENCH_SECONDS:-10}"
  echo
} > "$OUT"
cat "$OUT"
/usr/bin/python3 bench/record.py bench/RESULTS.md "$OUT"
{
  echo "## gRPC: one-row unary ModelInfer calls, ferry serve ($(date -u +%F), $(nproc) cores, $(uname -m))"
  echo
  /usr/bin/python3 bench/grpc_bench.py --ferry "$BUILD/ferry" --client "$BUILD/bench/grpc_bench" --model_dir "$DEMO/iris_tensor" --seconds "${BENCH_SECONDS:-10}"
  echo
} > "$OUT"
cat "$OUT"
/usr/bin/python3 bench/record.py bench/RESULTS.md "$OUT"
rm -f "$OUT"
# Issue 6: gateway security cost (Kubeflow policy set + RS256 token vs no policies).
OUT=$(mktemp)
{
  echo "## Gateway security: one-row V2 iris via the external gateway, --profile kubeflow + RS256 token vs --profile none ($(date -u +%F), $(nproc) cores, $(uname -m))"
  echo
  echo "wrk -t2, ${AUTHZ_BENCH_SECONDS:-5} s per run, two ferry up instances with --workers 2 side by side, alternating twice (best run of each side), same run."
  echo
  /usr/bin/python3 bench/authz_bench.py --ferry "$BUILD/ferry" --model_dir "$DEMO/iris_tensor" --seconds "${AUTHZ_BENCH_SECONDS:-5}"
  echo
} > "$OUT"
cat "$OUT"
/usr/bin/python3 bench/record.py bench/RESULTS.md "$OUT"
rm -f "$OUT"
