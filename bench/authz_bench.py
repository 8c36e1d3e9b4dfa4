#!/usr/bin/python3
"""Gateway security cost: one-row V2 iris calls through the external gateway
of `ferry up --profile kubeflow` (Kubeflow's full policy set: CUSTOM
oauth2-proxy gate, require-jwt DENY, RequestAuthentications, global-deny-all,
the per-namespace allow policy) with an RS256 `kubectl create token
default-editor` token, vs `ferry up --profile none` (no policies) without a
token. Both instances run side by side; wrk alternates between them twice in
the same run and the best run of each side counts. Target: kubeflow ≥ 0.9× none.

Writes a markdown section to stdout; bench/run.sh puts it in bench/RESULTS.md.
Traffic goes to 127.0.0.1 only; every wrk run is bounded in time.
"""
import argparse
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from http_bench import ONE_ROW, rss_mb, wrk  # noqa: E402

NS = "kubeflow-user-example-com"
PROFILE = ("apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
           "spec:\n  owner:\n    kind: User\n    name: user@example.com\n" % NS)


def isvc(models):
    return ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: iris\nspec:\n  predictor:\n    model:\n"
            "      modelFormat:\n        name: mlflow\n      protocolVersion: v2\n"
            "      storageUri: file://%s\n" % models)


def create_profile(up):
    """Applies the Kubeflow Profile NS and waits for its default-editor ServiceAccount."""
    up.kubectl("apply", "-f", "-", input=PROFILE)
    deadline = time.time() + 15
    while up.kubectl("get", "serviceaccount", "default-editor", "-n", NS,
                     check=False).returncode != 0:
        if time.time() > deadline:
            sys.exit("Profile %s never got its default-editor ServiceAccount" % NS)
        time.sleep(0.05)


def start(ferrytest, profile, model_dir):
    up = ferrytest.Up(profile=profile, extra=["--workers", "2", "--allow-local-models", model_dir])
    if profile == "kubeflow":
        create_profile(up)
    else:
        up.kubectl("create", "namespace", NS)
    up.kubectl("apply", "-n", NS, "-f", "-", input=isvc(model_dir))
    up.kubectl("wait", "--for=condition=Ready", "isvc/iris", "-n", NS, "--timeout=60s")
    return up


def call(up, headers):
    req = urllib.request.Request("http://127.0.0.1:%d/v2/models/iris/infer" % up.http_port,
                                 data=json.dumps(ONE_ROW).encode(),
                                 headers=dict(headers, **{"Content-Type": "application/json"}))
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", default=os.path.join(REPO, "build", "ferry"))
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    args = ap.parse_args()
    os.environ["FERRY_BIN"] = os.path.abspath(args.ferry)
    import ferrytest  # noqa: E402  (reads FERRY_BIN at import)
    tmp = tempfile.mkdtemp(prefix="ferry-authz-bench-")
    open_up = start(ferrytest, "none", args.model_dir)
    kf_up = start(ferrytest, "kubeflow", args.model_dir)
    try:
        token = kf_up.kubectl("create", "token", "default-editor", "-n", NS).stdout.strip()
        host = "iris.%s.example.com" % NS
        kf_headers = {"Host": host, "Authorization": "Bearer " + token}
        # Sanity: the secured path answers 200 with the token and refuses without it.
        assert call(kf_up, kf_headers) == 200
        try:
            call(kf_up, {"Host": host})
            sys.exit("the kubeflow profile let an unauthenticated call through")
        except urllib.error.HTTPError as e:
            assert e.code in (401, 403), e.code
        assert call(open_up, {"Host": host}) == 200
        rows = []
        for conns in (16, 64):
            # Alternate twice and keep each side's best run: the machine is
            # shared, and a burst of other load should not decide the ratio.
            runs = {"o": [], "k": []}
            for _ in range(2):
                runs["o"].append(wrk("http://127.0.0.1:%d/v2/models/iris/infer" % open_up.http_port,
                                     ONE_ROW, conns, args.seconds, tmp, headers={"Host": host}))
                runs["k"].append(wrk("http://127.0.0.1:%d/v2/models/iris/infer" % kf_up.http_port,
                                     ONE_ROW, conns, args.seconds, tmp, headers=kf_headers))
            best = {side: max(r, key=lambda x: x["rps"]) for side, r in runs.items()}
            for side in ("o", "k"):
                best[side]["non2xx"] = sum(x["non2xx"] for x in runs[side])
            rows.append((conns, best["o"], best["k"]))
        rss = rss_mb(kf_up.proc.pid)
    finally:
        open_up.stop()
        kf_up.stop()

    print("| connections | none req/s | kubeflow + RS256 token req/s | ratio | none p50/p99 ms | kubeflow p50/p99 ms |")
    print("|---|---|---|---|---|---|")
    for conns, o, k in rows:
        print("| %d | %.0f | %.0f | **%.2f×** | %.3f / %.3f | %.3f / %.3f |" % (
            conns, o["rps"], k["rps"], k["rps"] / o["rps"], o["p50"], o["p99"], k["p50"],
            k["p99"]))
    print()
    print("- RSS of the kubeflow instance after the runs: %.1f MB" % rss)
    bad = sum(x["non2xx"] for _, o, k in rows for x in (o, k))
    print("- non-2xx responses during the runs: %d (target 0)" % bad)
    worst = min(k["rps"] / o["rps"] for _, o, k in rows)
    print("- worst ratio %.2f× (target ≥ 0.90×): %s" % (worst, "met" if worst >= 0.9 else "NOT met"))


if __name__ == "__main__":
    main()
