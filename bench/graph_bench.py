#!/usr/bin/python3
"""InferenceGraph: a two-step Sequence graph (KServe's model-chainer example: the second step
on the graph's own request) against calling its first step alone, through the external gateway
of one `ferry up`, sides alternating over rounds in the same run. Reports throughput, p99 and
the server's CPU time per request (user + system of the ferry process over the measured window,
divided by the requests answered), and the load average (the machine may be shared).

Usage: graph_bench.py --ferry BUILD/ferry [--seconds 5] [--rounds 4]
Traffic goes to 127.0.0.1 only; every run is bounded in time.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from grpc_bench import cpu_seconds  # noqa: E402
from http_bench import wrk  # noqa: E402
from ferrytest import Up  # noqa: E402

NS = "bench"
ROW = {"instances": [[6.8, 2.8, 4.8, 1.4]]}


def setup(ferry, tmp):
    os.environ["FERRY_BIN"] = ferry
    model = os.path.join(tmp, "iris")
    os.makedirs(model)
    x, y = load_iris(return_X_y=True)
    joblib.dump(LogisticRegression(max_iter=1000).fit(x, y), os.path.join(model, "model.joblib"))
    up = Up(profile="none", extra=["--allow-local-models", tmp, "--workers", "2"])
    up.kubectl("create", "namespace", NS)
    for name in ("first", "second"):
        up.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"},
                                             "storageUri": "file://" + model}}}}))
    up.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "serving.kserve.io/v1alpha1", "kind": "InferenceGraph",
        "metadata": {"name": "chain", "namespace": NS},
        "spec": {"nodes": {"root": {"routerType": "Sequence", "steps": [
            {"serviceName": "first", "name": "first"},
            {"serviceName": "second", "name": "second", "data": "$request"}]}}}}))
    up.kubectl("wait", "--for=condition=Ready", "isvc/first", "isvc/second", "-n", NS,
               "--timeout=60s")
    up.kubectl("wait", "--for=condition=Ready", "ig/chain", "-n", NS, "--timeout=60s")
    return up


def host_of(up, kind, name):
    url = up.kubectl("get", kind, name, "-n", NS, "-o", "jsonpath={.status.url}").stdout
    return url[len("http://"):]


def run(up, host, path, seconds, tmp):
    url = "http://127.0.0.1:%d%s" % (up.http_port, path)
    cpu0 = cpu_seconds(up.proc.pid)
    r = wrk(url, ROW, 16, seconds, tmp, headers={"Host": host})
    cpu = cpu_seconds(up.proc.pid) - cpu0
    if r["non2xx"] or r["errors"]:
        sys.exit("run had errors: %r" % r)
    return {"rps": r["rps"], "p99": r["p99"], "cpu_us": cpu * 1e6 / max(r["rps"] * seconds, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ferry-graph-bench-")
    up = setup(args.ferry, tmp)
    try:
        sides = [("first step alone", host_of(up, "isvc", "first"), "/v1/models/first:predict"),
                 ("two-step Sequence graph", host_of(up, "ig", "chain"), "/")]
        for _, host, path in sides:  # warm-up, and both answer
            wrk("http://127.0.0.1:%d%s" % (up.http_port, path), ROW, 16, 1, tmp,
                headers={"Host": host})
        runs = {name: [] for name, _, _ in sides}
        load = [os.getloadavg()[0]]
        print("| round | side | req/s | p99 ms | server CPU µs/req |")
        print("|---|---|---|---|---|")
        for i in range(args.rounds):
            for name, host, path in (sides if i % 2 == 0 else sides[::-1]):
                r = run(up, host, path, args.seconds, tmp)
                runs[name].append(r)
                print("| %d | %s | %.0f | %.2f | %.1f |" % (i + 1, name, r["rps"], r["p99"],
                                                            r["cpu_us"]))
                sys.stdout.flush()
            load.append(os.getloadavg()[0])
    finally:
        up.stop()
    print()
    print("Medians over %d rounds (graph / first step alone):" % args.rounds)
    print()
    print("| figure | first step alone | two-step graph | ratio |")
    print("|---|---|---|---|")
    base, graph = runs[sides[0][0]], runs[sides[1][0]]
    for key, label in (("rps", "req/s"), ("p99", "p99 ms"), ("cpu_us", "server CPU µs/req")):
        b = statistics.median(r[key] for r in base)
        g = statistics.median(r[key] for r in graph)
        print("| %s | %.2f | %.2f | %.3f |" % (label, b, g, g / b))
    print()
    print("- Load average (1 min) during the run: %.1f to %.1f on %d cores." %
          (min(load), max(load), os.cpu_count()))


if __name__ == "__main__":
    main()
