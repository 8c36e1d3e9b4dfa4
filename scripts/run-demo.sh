#!/usr/bin/env bash
# `make run`: start `ferry up` with the seed tutorial's iris model (MLflow,
# generated locally with Debian's scikit-learn) deployed as an
# InferenceService from a local path, then print how to call it.
set -euo pipefail
BUILD=${1:-build}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FERRY="$REPO/$BUILD/ferry"
DEMO="$REPO/$BUILD/demo"
DATA=${FERRY_DATA_DIR:-$REPO/$BUILD/demo-data}
NS=kubeflow-user-example-com

if [ ! -f "$DEMO/.done" ]; then
  mkdir -p "$DEMO"
  /usr/bin/python3 "$REPO/tests/fixtures/mlflow/gen_mlflow.py" "$DEMO" >/dev/null
  touch "$DEMO/.done"
fi
port_free() { ! (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
API=6443; HTTP=8080; INTERNAL=8081
port_free $API || API=0; port_free $HTTP || HTTP=0; port_free $INTERNAL || INTERNAL=0

mkdir -p "$DATA"
LOG="$DATA/ferry-up.log"
: > "$LOG"
# The demo model is read with file://, so its directory is the one local root allowed.
"$FERRY" up --data-dir "$DATA" --api-port $API --http-port $HTTP --internal-port $INTERNAL \
  --allow-local-models "$DEMO" 2> >(tee -a "$LOG" >&2) &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 300); do
  grep -q "export KUBECONFIG" "$LOG" && break
  kill -0 $PID 2>/dev/null || exit 1
  sleep 0.05
done
export KUBECONFIG="$DATA/kubeconfig"
EXT=$(grep -o 'external gateway http://[0-9.]*:[0-9]*' "$LOG" | tail -1 | awk '{print $3}')
INT=$(grep -o 'cluster-local gateway http://[0-9.]*:[0-9]*' "$LOG" | tail -1 | awk '{print $3}')
K="kubectl --cache-dir $DATA/kubectl-cache"

$K apply -f - >/dev/null <<YAML
apiVersion: kubeflow.org/v1
kind: Profile
metadata:
  name: $NS
spec:
  owner:
    kind: User
    name: user@example.com
YAML
for _ in $(seq 1 100); do $K get sa default-editor -n $NS >/dev/null 2>&1 && break; sleep 0.05; done
$K apply -n $NS -f - >/dev/null <<YAML
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: irish-s3
spec:
  predictor:
    model:
      modelFormat:
        name: mlflow
      protocolVersion: v2
      storageUri: file://$DEMO/iris_tensor
YAML
$K wait --for=condition=Ready isvc/irish-s3 -n $NS --timeout=60s >/dev/null
$K get inferenceservice -A
BODY='{"parameters": {"content_type": "np"}, "inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP64", "data": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}]}'
cat <<MSG

Ferry is up (profile kubeflow: Kubeflow's default Istio policies are on, authentication stays on).
The seed tutorial's iris model is deployed as InferenceService irish-s3 in $NS.

  export KUBECONFIG=$KUBECONFIG
  TOKEN=\$(kubectl create token default-editor -n $NS)

External URL (istio-ingressgateway):
  curl -s $EXT/v2/models/irish-s3/infer -H 'Host: irish-s3.$NS.example.com' \\
    -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '$BODY'

Internal URL (cluster-local, as from a pod):
  curl -s $INT/v2/models/irish-s3/infer -H 'Host: irish-s3.$NS.svc.cluster.local' \\
    -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' -d '$BODY'

Or with the tutorial's Python code: HTTP_PROXY=$INT python3 send_request.py (URL http://irish-s3.$NS.svc.cluster.local/v2/models/irish-s3/infer)

Press Ctrl-C to stop.
MSG
wait $PID
