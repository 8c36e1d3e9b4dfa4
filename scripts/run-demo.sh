#!/usr/bin/env bash
# `make run`: serve a demo iris model (the seed tutorial's MLflow model,
# generated locally with Debian's scikit-learn) and print how to call it.
set -euo pipefail
BUILD=${1:-build}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO="$REPO/$BUILD/demo"
PORT=${FERRY_PORT:-8080}

if [ ! -f "$DEMO/.done" ]; then
  mkdir -p "$DEMO"
  /usr/bin/python3 "$REPO/tests/fixtures/mlflow/gen_mlflow.py" "$DEMO" >/dev/null
  touch "$DEMO/.done"
fi
if (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then
  PORT=0  # 8080 is taken: let ferry pick a free port
fi
MODEL="$DEMO/iris_tensor"
LOG=$(mktemp)
"$REPO/$BUILD/ferry" serve --model_name irish-s3 --model_dir "$MODEL" --http_port "$PORT" \
  --bind 127.0.0.1 2> >(tee "$LOG" >&2) &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -f "$LOG"' EXIT INT TERM
for _ in $(seq 1 200); do
  grep -q "ready in" "$LOG" && break
  kill -0 $PID 2>/dev/null || exit 1
  sleep 0.05
done
URL=$(grep -o 'http://[0-9.]*:[0-9]*' "$LOG" | head -1)
cat <<MSG

Ferry is serving the seed tutorial's iris model (MLflow, sklearn LogisticRegression) as 'irish-s3'.
Call it with the tutorial's V2 request:

  curl -s -H 'Content-Type: application/json' $URL/v2/models/irish-s3/infer -d '{"parameters": {"content_type": "np"}, "inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP64", "data": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}]}'

KServe V1:   curl -s $URL/v1/models/irish-s3:predict -d '{"instances": [[6.8, 2.8, 4.8, 1.4]]}'
MLflow:      curl -s -H 'Content-Type: application/json' $URL/invocations -d '{"inputs": [[6.8, 2.8, 4.8, 1.4]]}'
Metadata:    curl -s $URL/v2/models/irish-s3        Metrics: curl -s $URL/metrics

Press Ctrl-C to stop.
MSG
wait $PID
