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
STAMP="($(date -u +%F), $(nproc) cores, $(uname -m))"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

# BENCH_SECTIONS="http storage ..." runs only those sections (default: all but
# soak, which `make soak` runs): http sklearn storage apply batch grpc authz rbac slowauthz treeshap
# payloadlog graph servingab servingir startup loadstall (these four need BASELINE_FERRY) torch soak
# (startup: STARTUP_RUNS alternating runs per side, default 5)
# manyisvc servecpu. payloadlog: PAYLOAD_LOG_BASELINE=OLD/ferry adds an older build's instruction counts.
SECTIONS=${BENCH_SECTIONS:-http sklearn storage apply batch grpc authz rbac slowauthz treeshap payloadlog graph servingab servingir startup loadstall torch servecpu}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }

# record TITLE INTRO CMD...: runs one benchmark, prints its section and puts
# it at the top of bench/RESULTS.md (record.py keeps the last three runs).
record() {
  local title=$1 intro=$2 rc=0
  shift 2
  {
    echo "## $title $STAMP"
    echo
    if [ -n "$intro" ]; then echo "$intro"; echo; fi
    "$@" || rc=$?
    echo
  } >"$OUT"
  cat "$OUT"
  /usr/bin/python3 bench/record.py bench/RESULTS.md "$OUT"
  return $rc
}

S=${BENCH_SECONDS:-10}
want http && record "HTTP: one-row V2 iris request, ferry serve vs nginx fixed body" \
  "wrk -t2, $S s per run, both servers with 2 worker threads/processes, same machine, same run; five alternating runs per side, the median run of each side counts." \
  /usr/bin/python3 bench/http_bench.py --ferry "$BUILD/ferry" --model_dir "$DEMO/iris_tensor" --seconds "$S"
want sklearn && record "scikit-learn predict: Ferry native vs scikit-learn in Python" \
  "Median of repeated predicts on the same pickled model and rows, one process each, same run." \
  /usr/bin/python3 bench/sklearn_bench.py "$BUILD/bench/sklearn_predict_bench"

if want storage || want apply || want soak; then
  eval "$(scripts/s3-test-server.sh start)"
  trap 'rm -f "$OUT"; scripts/s3-test-server.sh stop' EXIT
fi
want storage && record "Storage: S3 downloads from the local s3rver" "" \
  /usr/bin/python3 bench/storage_bench.py "$BUILD/ferry"
want apply && record "ferry up: apply → Ready, iris from the local S3 server" \
  "POST of the seed's InferenceService (python3-requests, HTTPS API), then the watch stream until Ready=True; a new name per run." \
  /usr/bin/python3 bench/apply_bench.py "$BUILD/ferry" "${APPLY_RUNS:-20}"
# Dynamic batching (64 one-row clients, RandomForest 100 trees) and V2 gRPC unary calls.
want batch && record "Dynamic batching: 64 one-row clients on a RandomForest of 100 trees" "" \
  /usr/bin/python3 bench/batch_bench.py --ferry "$BUILD/ferry" --fixtures "$BUILD/bench-fixtures" --seconds "$S"
want grpc && record "gRPC: one-row unary ModelInfer calls, ferry serve" "" \
  /usr/bin/python3 bench/grpc_bench.py --ferry "$BUILD/ferry" --client "$BUILD/bench/grpc_bench" \
  --model_dir "$DEMO/iris_tensor" --seconds "$S"
# Native explanations: one-row TreeSHAP (forest and booster) vs xgboost's pred_contribs.
want treeshap && record "TreeSHAP: one-row contributions, Ferry vs xgboost's own pred_contribs" \
  "Ferry's \`contributions\` (Model::Predict) and libxgboost's pred_contribs (C API, DMatrix built once), one thread each, same driver, same run." \
  /usr/bin/python3 bench/treeshap_bench.py "$BUILD/bench/treeshap_bench"
# Gateway security cost (Kubeflow policy set + RS256 token vs no policies).
A=${AUTHZ_BENCH_SECONDS:-5}
want authz && record "Gateway security: one-row V2 iris via the external gateway, --profile kubeflow + RS256 token vs --profile none" \
  "wrk -t2, $A s per run, two ferry up instances with --workers 2 side by side, alternating twice (best run of each side), same run." \
  /usr/bin/python3 bench/authz_bench.py --ferry "$BUILD/ferry" --model_dir "$DEMO/iris_tensor" --seconds "$A"
# One API authorization decision: 1,000 RoleBindings, 100 ClusterRoles.
want rbac && record "RBAC: one authorization decision, 1,000 RoleBindings and 100 ClusterRoles" \
  "Google Benchmark (bench/rbac_bench.cc), 15 repetitions, medians; the baseline resolves the same policy without an index (every binding visited), same process, same run." \
  /usr/bin/python3 bench/rbac_bench.py "$BUILD/bench/rbac_bench"
# A CUSTOM provider answering after 10 s must not stall the listener's other
# clients; BASELINE_FERRY (e.g. main's binary) is measured the same way.
want slowauthz && record "Slow ext-authz provider: other clients' p99 on the same listener, 16 calls parked on a 10 s CUSTOM provider" \
  "" \
  /usr/bin/python3 bench/slow_authz_bench.py --ferry "$BUILD/ferry" --model_dir "$DEMO/iris_tensor" \
  --seconds "${SLOW_AUTHZ_SECONDS:-4}" ${BASELINE_FERRY:+--baseline_ferry "$BASELINE_FERRY"}
# Payload logging (spec.predictor.logger, mode all, local nginx receiver) vs no logger.
want payloadlog && record "Payload logging: one-row V2 iris via the gateway, logger mode all vs no logger" \
  "ferry up --workers 2, two InferenceServices of the same model in the same process, one with spec.predictor.logger (mode all) to a local nginx answering 200; wrk -t2 -c16, $S s per run, sides alternating over ${PAYLOAD_LOG_ROUNDS:-5} rounds, medians; server CPU = the ferry process's user + system time per request, same run; then instructions per call under callgrind (${PAYLOAD_LOG_CALLS:-2000} calls per side${PAYLOAD_LOG_BASELINE:+, and the baseline build})." \
  /usr/bin/python3 bench/payload_log_bench.py --ferry "$BUILD/ferry" --model_dir "$DEMO/iris_tensor" \
  --seconds "$S" --rounds "${PAYLOAD_LOG_ROUNDS:-5}" --callgrind "${PAYLOAD_LOG_CALLS:-2000}" \
  ${PAYLOAD_LOG_BASELINE:+--baseline "$PAYLOAD_LOG_BASELINE"}
# The same with bench/lean_receiver.c as the receiver (one thread, one write per read's worth of
# pipelined events): on these shared cores nginx's own CPU per event caps the ratio above.
want payloadlog && record "Payload logging: one-row V2 iris via the gateway, logger mode all to a lean receiver vs no logger" \
  "As the section above, with bench/lean_receiver.c (one thread, epoll, the pipelined requests of one read answered in one write) instead of nginx as the receiver; no callgrind part." \
  /usr/bin/python3 bench/payload_log_bench.py --ferry "$BUILD/ferry" --model_dir "$DEMO/iris_tensor" \
  --seconds "$S" --rounds "${PAYLOAD_LOG_ROUNDS:-5}" --receiver lean
# InferenceGraph: a two-step Sequence vs its first step alone (target: ≥ 0.8× the throughput).
want graph && record "InferenceGraph: two-step Sequence vs its first step alone, one-row V1 iris via the external gateway" \
  "One ferry up --profile none --workers 2; wrk -t2 -c16, $S s per side per round, sides alternating, same run. Server CPU is user + system time of the ferry process over the measured window, divided by its requests." \
  /usr/bin/python3 bench/graph_bench.py --ferry "$BUILD/ferry" --seconds "$S" --rounds "${GRAPH_ROUNDS:-5}"
# Start time and memory of the seed model against BASELINE_FERRY (e.g. main's
# binary, or one built before the backend split); skipped without it.
if want startup && [ -n "${BASELINE_FERRY:-}" ]; then
  record "Start and memory: ferry serve of the seed model, this build vs a baseline binary" "" \
    /usr/bin/python3 bench/startup_bench.py --ferry "$BUILD/ferry" --baseline "$BASELINE_FERRY" \
    --model_dir "$DEMO/iris_tensor" --runs "${STARTUP_RUNS:-5}"
fi
# Server CPU per one-row V2 request against nginx's per fixed response.
want servecpu && record "Server CPU per request: one-row V2 iris, ferry serve vs nginx fixed body" \
  "CPU time of the server's processes (all threads) over what wrk answered, same client and connections, alternating rounds, at 2 and at 1 workers on both sides; the figure other processes on the machine do not inflate." \
  /usr/bin/python3 bench/serve_cpu_bench.py --ferry "$BUILD/ferry" --model_dir "$DEMO/iris_tensor" \
    --seconds "${SERVE_CPU_SECONDS:-5}" --rounds "${SERVE_CPU_ROUNDS:-5}" \
    --workers "${SERVE_CPU_WORKERS:-2,1}" ${BASELINE_FERRY:+--baseline "$BASELINE_FERRY"}
# HTTP probes while libtorch loads, against BASELINE_FERRY (PyTorch backend needed).
if want loadstall && [ -n "${BASELINE_FERRY:-}" ] && [ -f "$BUILD/lib/ferry/backends/libferry_pytorch.so" ]; then
  record "Backend load: HTTP probes while ferry serve loads a PyTorch model, this build vs BASELINE_FERRY" "" \
    /usr/bin/python3 bench/load_stall_bench.py --ferry "$BUILD/ferry" --baseline "$BASELINE_FERRY" \
    --model_dir "$BUILD/bench-fixtures/pytorch/mlp" --control_dir "$DEMO/iris_tensor" \
    --backend_dir "$BUILD/lib/ferry/backends"
fi
# The PyTorch backend (when built): V2 throughput and per-predict overhead.
if want torch && [ -x "$BUILD/bench/torch_predict_bench" ]; then
  record "PyTorch backend: TorchScript MLP over V2, and Ferry's per-predict overhead over libtorch" "" \
    /usr/bin/python3 bench/torch_bench.py --ferry "$BUILD/ferry" \
    --predict_bench "$BUILD/bench/torch_predict_bench" --fixtures "$BUILD/bench-fixtures/pytorch" \
    --iris "$DEMO/iris_tensor" --seconds "$S"
fi
# The V2 infer path before/after a change: one-row REST and gRPC against BASELINE_FERRY (e.g. a
# copy of main's binary) and this build, alternately, same run (skipped without a baseline).
if want servingab && [ -n "${BASELINE_FERRY:-}" ]; then
  record "V2 infer path: one-row REST and gRPC, this build vs BASELINE_FERRY" \
    "ferry serve --workers 2 each, started fresh per round, sides alternating; REST: wrk -t2 -c16; gRPC: bench/grpc_bench.cc, 2 threads × 8 in flight; $S s per protocol per round. Server CPU is user + system time of the ferry process over the measured window, divided by its requests; cold start is exec until the log says ready; RSS is read after both protocol runs." \
    /usr/bin/python3 bench/serving_ab_bench.py --baseline "$BASELINE_FERRY" --ferry "$BUILD/ferry" \
    --client "$BUILD/bench/grpc_bench" --model_dir "$DEMO/iris_tensor" --seconds "$S" \
    --rounds "${AB_ROUNDS:-5}"
fi
if want servingir && [ -n "${BASELINE_FERRY:-}" ]; then
  record "V2 infer path: user-space instructions per one-row request, this build vs BASELINE_FERRY" \
    "valgrind --tool=callgrind on ferry serve, counters zeroed after a warm-up, then 2,000 sequential keep-alive REST requests and 2,000 gRPC calls (one in flight); instructions of the server process / requests. Independent of machine load (no hardware counters here); system calls (kernel time) are not counted: the servecpu section's CPU time includes them." \
    /usr/bin/python3 bench/serving_ir_bench.py --baseline "$BASELINE_FERRY" --ferry "$BUILD/ferry" \
    --client "$BUILD/bench/grpc_bench" --model_dir "$DEMO/iris_tensor"
fi
# 1,000 InferenceServices applied at once (opt-in: BENCH_SECTIONS=manyisvc; minutes under load).
want manyisvc && record "ferry up: 1,000 InferenceServices applied at once" "" \
  /usr/bin/python3 bench/many_isvc_bench.py --ferry "$BUILD/ferry" --model_dir "$DEMO/iris_tensor" \
  --count "${MANY_ISVC:-1000}"
# Load + change soak (60 s of wrk at 64 connections while the model is
# updated 20 times and a DENY policy is created/edited/deleted).
want soak && record "Soak: 60 s of wrk (64 connections) through the kubeflow gateway during 20 model updates and 20 policy edits" \
  "ferry up --profile kubeflow --workers 2, RS256 default-editor token, storageUri on the SigV4 S3 test server; a probe client checks each policy edit's intended effect." \
  /usr/bin/python3 bench/soak.py --ferry "$BUILD/ferry" --seconds "${SOAK_SECONDS:-60}"
exit 0
