#!/usr/bin/python3
"""Apply → Ready for the seed's iris InferenceService from the local S3 test
server, through `ferry up`'s HTTPS API with python3-requests: POST the
InferenceService, then read the watch stream until its Ready condition is
True. Each run uses a new InferenceService name (a new download and load;
the content cache is warm after the first). Prints a markdown table.

Usage: apply_bench.py FERRY_BIN [RUNS]   (S3_* env from scripts/s3-test-server.sh;
the model fixture is generated under a temp dir)."""
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import requests
import urllib3

urllib3.disable_warnings()
FERRY = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENDPOINT = os.environ["S3_ENDPOINT"]
AK = os.environ["AWS_ACCESS_KEY_ID"]
SK = os.environ["AWS_SECRET_ACCESS_KEY"]
RUN = "bench/apply/iris_model"
NS = "bench"
TARGET_MS = 150


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upload_model(tmp):
    subprocess.run(["/usr/bin/python3", os.path.join(REPO, "tests/fixtures/mlflow/gen_mlflow.py"),
                    tmp], check=True, stdout=subprocess.DEVNULL)
    env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1")
    subprocess.run(["/usr/bin/aws", "--endpoint-url", ENDPOINT, "s3", "cp", "--recursive",
                    "--only-show-errors", os.path.join(tmp, "iris_tensor"),
                    "s3://mlflow/" + RUN + "/"], check=True, env=env)


def start_up(data_dir):
    port = free_port()
    log = open(os.path.join(data_dir, "up.log"), "w")
    proc = subprocess.Popen([FERRY, "up", "--data-dir", data_dir, "--bind", "127.0.0.1",
                             "--api-port", str(port), "--http-port", str(free_port()),
                             "--internal-port", str(free_port()), "--profile", "none"],
                            stdout=log, stderr=subprocess.STDOUT)
    base = "https://127.0.0.1:%d" % port
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(base + "/readyz", verify=False, timeout=1).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError("ferry up did not become ready")


def isvc(name):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"predictor": {"serviceAccountName": "sa", "model": {
                "modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
                "storageUri": "s3://mlflow/" + RUN}}}}


def ready(obj):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in obj.get("status", {}).get("conditions", []))


def one_run(session, base, name):
    coll = base + "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices" % NS
    rv = session.get(coll).json()["metadata"]["resourceVersion"]
    watch = session.get(coll, stream=True, params={
        "watch": "true", "resourceVersion": rv, "fieldSelector": "metadata.name=" + name,
        "timeoutSeconds": "30"})
    t0 = time.perf_counter()
    r = session.post(coll, json=isvc(name))
    assert r.status_code == 201, r.text
    for line in watch.iter_lines():
        if line and ready(json.loads(line)["object"]):
            ms = (time.perf_counter() - t0) * 1000
            watch.close()
            return ms
    raise RuntimeError("no Ready event for " + name)


def main():
    tmp = tempfile.mkdtemp(prefix="ferry-apply-bench-")
    upload_model(tmp)
    data_dir = os.path.join(tmp, "data")
    os.makedirs(data_dir)
    proc, base = start_up(data_dir)
    try:
        s = requests.Session()
        s.verify = os.path.join(data_dir, "ca.crt")
        s.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        with open(os.path.join(data_dir, "admin-token")) as f:
            s.headers["Authorization"] = "Bearer " + f.read().strip()
        s.post(base + "/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                                  "metadata": {"name": NS}})
        s.post(base + "/api/v1/namespaces/%s/secrets" % NS, json={
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s3creds", "annotations": {
                "serving.kserve.io/s3-endpoint": ENDPOINT.split("://")[1],
                "serving.kserve.io/s3-usehttps": "0", "serving.kserve.io/s3-region": "us-east-2"}},
            "type": "Opaque", "stringData": {"AWS_ACCESS_KEY_ID": AK,
                                             "AWS_SECRET_ACCESS_KEY": SK}})
        s.post(base + "/api/v1/namespaces/%s/serviceaccounts" % NS, json={
            "apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"},
            "secrets": [{"name": "s3creds"}]})
        times = [one_run(s, base, "iris-%03d" % i) for i in range(RUNS)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    first, rest = times[0], times[1:]
    med = statistics.median(times)
    print("| metric | value |")
    print("|---|---|")
    print("| runs | %d |" % RUNS)
    print("| median apply → Ready | %.1f ms |" % med)
    print("| first run (cold content cache) | %.1f ms |" % first)
    print("| min / max | %.1f / %.1f ms |" % (min(times), max(times)))
    if rest:
        print("| median of runs 2..N (warm cache) | %.1f ms |" % statistics.median(rest))
    print("| target | ≤ %d ms: %s |" % (TARGET_MS, "met" if med <= TARGET_MS else "NOT met"))


if __name__ == "__main__":
    main()
