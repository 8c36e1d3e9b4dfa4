#!/usr/bin/python3
"""Payload logging cost: one-row V2 iris calls through `ferry up`'s external gateway to an
InferenceService with spec.predictor.logger (mode all: two CloudEvents per call, POSTed to a
local nginx that answers 200) vs an identical InferenceService without a logger, in the same
`ferry up` (--workers 2), same run. wrk -t2 -c16 alternates between the two over several
rounds; each side's median counts. Server CPU is the ferry process's user + system time over a
run divided by its requests (the receiver's CPU is not in it). The logger's counters
(sent/dropped/failed) are reported per logged run: a queue that fills drops events rather than
slowing inferences, and the figures say how many. Target: logged ≥ 0.85× unlogged req/s.

Writes a markdown section to stdout; bench/run.sh puts it in bench/RESULTS.md.
Traffic goes to 127.0.0.1 only; every wrk run is bounded in time.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from grpc_bench import cpu_seconds  # noqa: E402
from http_bench import ONE_ROW, start_nginx, wrk  # noqa: E402

NS = "bench"


def isvc(name, models, logger_url=None):
    text = ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: %s\nspec:\n  predictor:\n" % name)
    if logger_url:
        text += "    logger:\n      mode: all\n      url: %s\n" % logger_url
    return text + ("    model:\n      modelFormat:\n        name: mlflow\n"
                   "      protocolVersion: v2\n      storageUri: file://%s\n" % models)


def counters(up):
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % up.http_port,
                                 headers={"Host": "plain.%s.example.com" % NS})
    text = urllib.request.urlopen(req, timeout=5).read().decode()
    out = {}
    for key in ("sent", "dropped", "failed"):
        m = re.search(r"^ferry_payload_log_events_%s_total (\d+)$" % key, text, re.M)
        out[key] = int(m.group(1))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", default=os.path.join(REPO, "build", "ferry"))
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    os.environ["FERRY_BIN"] = os.path.abspath(args.ferry)
    import ferrytest  # noqa: E402  (reads FERRY_BIN at import)
    tmp = tempfile.mkdtemp(prefix="ferry-payload-log-bench-")
    nginx, receiver = start_nginx("", tmp)
    models = os.path.abspath(args.model_dir)
    up = ferrytest.Up(profile="none", extra=["--workers", "2", "--allow-local-models", models])
    runs = {"plain": [], "logged": []}
    try:
        up.kubectl("create", "namespace", NS)
        up.kubectl("apply", "-n", NS, "-f", "-", input=isvc("plain", models))
        up.kubectl("apply", "-n", NS, "-f", "-", input=isvc("logged", models, receiver + "/"))
        for name in ("plain", "logged"):
            up.kubectl("wait", "--for=condition=Ready", "isvc/" + name, "-n", NS,
                       "--timeout=60s")
        url = "http://127.0.0.1:%d/v2/models/%%s/infer" % up.http_port
        for _ in range(args.rounds):
            for name in ("plain", "logged"):
                before, cpu0 = counters(up), cpu_seconds(up.proc.pid)
                r = wrk(url % name, ONE_ROW, 16, args.seconds, tmp,
                        headers={"Host": "%s.%s.example.com" % (name, NS)})
                cpu = cpu_seconds(up.proc.pid) - cpu0
                after = counters(up)
                r["cpu_us"] = cpu * 1e6 / max(r["rps"] * args.seconds, 1)
                r["events"] = {k: after[k] - before[k] for k in after}
                r["calls"] = r["rps"] * args.seconds
                runs[name].append(r)
    finally:
        up.stop()
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    med = {side: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p99", "cpu_us")}
           for side, rs in runs.items()}
    print("| side | req/s (median) | p99 ms | server CPU µs/req |")
    print("|---|---|---|---|")
    for side, label in (("plain", "no logger"), ("logged", "logger mode all → local nginx")):
        m = med[side]
        print("| %s | %.0f | %.3f | %.1f |" % (label, m["rps"], m["p99"], m["cpu_us"]))
    ratio = med["logged"]["rps"] / med["plain"]["rps"]
    print()
    print("- throughput ratio logged / unlogged: **%.2f×** (target ≥ 0.85×): %s" % (
        ratio, "met" if ratio >= 0.85 else "NOT met"))
    print("- CPU per request logged / unlogged: %.2f×" % (
        med["logged"]["cpu_us"] / med["plain"]["cpu_us"]))
    for side in ("plain", "logged"):
        print("- every %s run (req/s, in order): %s" % (
            side, ", ".join("%.0f" % r["rps"] for r in runs[side])))
    sent = sum(r["events"]["sent"] for r in runs["logged"])
    dropped = sum(r["events"]["dropped"] for r in runs["logged"])
    failed = sum(r["events"]["failed"] for r in runs["logged"])
    calls = sum(r["calls"] for r in runs["logged"])
    print("- events during the logged runs: %d sent, %d dropped (queue full), %d failed, for "
          "about %.0f calls (2 events per call)" % (sent, dropped, failed, calls))
    bad = sum(r["non2xx"] for rs in runs.values() for r in rs)
    print("- non-2xx responses during the runs: %d" % bad)
    print("- 1-minute load average when done: %.2f (the machine is shared)" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
