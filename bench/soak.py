#!/usr/bin/python3
"""Load + change soak (`make soak`): wrk at 64 connections for 60 s
against one model through `ferry up`'s external gateway (--profile kubeflow,
RS256 `kubectl create token default-editor` token) while the model is updated
20 times with `kubectl apply` of a new storageUri (SigV4 S3 test server, the
seed's Secret + ServiceAccount) and a DENY AuthorizationPolicy on the predictor
is created, edited and deleted.

Pass criteria (exit 1 otherwise):
- 0 non-2xx responses and 0 socket errors in wrk's traffic: revision changes
  and policy edits must not fail a single request that stays allowed;
- the policy edits have exactly their intended effect on a probe client that
  sends the header the policy matches (403 `RBAC: access denied` while the
  rule covers it, 200 otherwise), within 3 s of kubectl returning;
- every update becomes the Ready revision, and the last one serves `[1]`.

Writes a markdown section to stdout (bench/run.sh records it). Traffic goes to
127.0.0.1 only; wrk is bounded by -d, the change loop by its count.
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time

import boto3
import requests
from botocore.client import Config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from authz_bench import NS, create_profile  # noqa: E402
from http_bench import ONE_ROW, wrk  # noqa: E402

UPDATES = 20


def isvc(version):
    return ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: iris\nspec:\n  predictor:\n    serviceAccountName: sa\n"
            "    model:\n      modelFormat:\n        name: mlflow\n      protocolVersion: v2\n"
            "      storageUri: s3://mlflow/soak/v%d/iris_model\n" % version)


def deny_policy(values):
    return ("apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\nmetadata:\n"
            "  name: soak-probe-deny\nspec:\n  selector:\n    matchLabels:\n"
            "      serving.kserve.io/inferenceservice: iris\n  action: DENY\n  rules:\n"
            "  - when:\n    - key: request.headers[x-soak-probe]\n      values: %s\n"
            % json.dumps(values))


def upload_versions(ferrytest, model_dir):
    endpoint, access, secret = ferrytest.ensure_s3()
    s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access,
                      aws_secret_access_key=secret, region_name="us-east-1",
                      config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    files = []
    for root, _, names in os.walk(model_dir):
        for n in names:
            full = os.path.join(root, n)
            files.append((full, os.path.relpath(full, model_dir)))
    for v in range(UPDATES + 1):
        for full, rel in files:
            s3.upload_file(full, "mlflow", "soak/v%d/iris_model/%s" % (v, rel))
    return endpoint, access, secret


def seed_secret(endpoint, access, secret):
    with open(os.path.join(REPO, "tests", "e2e", "seed", "sa.yaml")) as f:
        text = f.read()
    for k, v in {"S3_ENDPOINT_HOSTPORT": endpoint.split("://")[1], "S3_ACCESS_KEY": access,
                 "S3_SECRET_KEY": secret}.items():
        text = text.replace(k, v)
    return text


class Probe:
    """Sends the policy's header and waits for the expected status."""

    def __init__(self, up, headers):
        self.url = "http://127.0.0.1:%d/v2/models/iris/infer" % up.http_port
        self.headers = headers
        self.delays = []

    def expect(self, value, status, what):
        t0 = time.monotonic()
        while True:
            r = requests.post(self.url, json=ONE_ROW, timeout=5,
                              headers=dict(self.headers, **{"x-soak-probe": value}))
            if r.status_code == status and (status != 403 or r.text == "RBAC: access denied"):
                self.delays.append(time.monotonic() - t0)
                return
            if time.monotonic() - t0 > 3:
                sys.exit("policy edit '%s': probe with x-soak-probe: %s got %d %r, want %d"
                         % (what, value, r.status_code, r.text[:200], status))
            time.sleep(0.01)


def change_loop(up, probe, seconds, log):
    """20 storageUri updates spread over the run, a policy edit after each."""
    step = seconds / (UPDATES + 1)
    t_start = time.monotonic()
    for i in range(1, UPDATES + 1):
        time.sleep(max(0.0, t_start + i * step - time.monotonic()))
        up.kubectl("apply", "-n", NS, "-f", "-", input=isvc(i))
        phase = i % 4
        if phase == 1:
            up.kubectl("apply", "-n", NS, "-f", "-", input=deny_policy(["deny"]))
            probe.expect("deny", 403, "create")
            probe.expect("block", 200, "create")
        elif phase == 2:
            up.kubectl("apply", "-n", NS, "-f", "-", input=deny_policy(["deny", "block"]))
            probe.expect("block", 403, "edit")
        elif phase == 3:
            up.kubectl("apply", "-n", NS, "-f", "-", input=deny_policy(["block"]))
            probe.expect("deny", 200, "edit")
            probe.expect("block", 403, "edit")
        else:
            up.kubectl("delete", "authorizationpolicy", "soak-probe-deny", "-n", NS)
            probe.expect("block", 200, "delete")
        log.append(i)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", default=os.path.join(REPO, "build", "ferry"))
    ap.add_argument("--seconds", type=int, default=60)
    args = ap.parse_args()
    os.environ["FERRY_BIN"] = os.path.abspath(args.ferry)
    import ferrytest  # noqa: E402  (reads FERRY_BIN at import)
    model = os.path.join(ferrytest.mlflow_models(), "iris_tensor")
    endpoint, access, secret = upload_versions(ferrytest, model)
    tmp = tempfile.mkdtemp(prefix="ferry-soak-")
    up = ferrytest.Up(profile="kubeflow", extra=["--workers", "2"])
    try:
        create_profile(up)
        up.kubectl("apply", "-n", NS, "-f", "-", input=seed_secret(endpoint, access, secret))
        up.kubectl("apply", "-n", NS, "-f", "-", input=isvc(0))
        up.kubectl("wait", "--for=condition=Ready", "isvc/iris", "-n", NS, "--timeout=60s")
        token = up.kubectl("create", "token", "default-editor", "-n", NS).stdout.strip()
        headers = {"Host": "iris.%s.example.com" % NS, "Authorization": "Bearer " + token}
        probe = Probe(up, headers)
        probe.expect("none", 200, "before")
        done = []
        changer = threading.Thread(target=change_loop, args=(up, probe, args.seconds - 2, done))
        changer.start()
        result = wrk("http://127.0.0.1:%d/v2/models/iris/infer" % up.http_port, ONE_ROW, 64,
                     args.seconds, tmp, headers=headers)
        changer.join()
        up.kubectl("wait", "--for=condition=Ready", "isvc/iris", "-n", NS, "--timeout=60s")
        status = json.loads(up.kubectl("get", "isvc", "iris", "-n", NS, "-o", "json").stdout)
        pred = status["status"]["components"]["predictor"]
        r = requests.post("http://127.0.0.1:%d/v2/models/iris/infer" % up.http_port,
                          json=ONE_ROW, headers=headers, timeout=5)
        answer = r.json()["outputs"][0]["data"] if r.status_code == 200 else r.text
    finally:
        up.stop()

    ok = (result["non2xx"] == 0 and not result["errors"] and len(done) == UPDATES and
          pred.get("latestReadyRevision") == pred.get("latestCreatedRevision") and answer == [1])
    print("| wrk 64 conns, %d s | req/s | p50 ms | p99 ms | non-2xx | socket errors |" % args.seconds)
    print("|---|---|---|---|---|---|")
    print("| during %d updates + %d policy edits | %.0f | %.3f | **%.3f** | **%d** | %s |" % (
        len(done), len(done), result["rps"], result["p50"], result["p99"],
        result["non2xx"], result["errors"] or "0"))
    print()
    print("- storageUri updates applied: %d of %d; final revision %s (latest created %s), "
          "answers %s" % (len(done), UPDATES, pred.get("latestReadyRevision"),
                          pred.get("latestCreatedRevision"), answer))
    print("- policy edits (DENY created, edited twice, deleted; repeated) took effect for the "
          "probe within %.0f ms (max), every probe answer as intended" % (
              1000 * max(probe.delays)))
    print("- verdict: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
