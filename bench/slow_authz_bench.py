#!/usr/bin/python3
"""A slow CUSTOM (ext-authz) provider must not stall a listener: `ferry up
--profile none --workers 2` serves two InferenceServices on the cluster-local
listener — `slow`, behind a CUSTOM policy whose provider (a python
http.server, a thread per request, on 127.0.0.1) answers after 10 s, and
`fast`, whose policies need no ext-authz. wrk's 16 connections call `fast`
alone (baseline), then again while 16 other clients keep calling `slow`
(loaded). Target: the loaded p99 within 1.5× of the baseline p99, same run,
same --workers.

With --baseline_ferry (e.g. main's binary) the same scenario runs against it
too: there the ext-authz call holds an I/O thread for 10 s.

Writes a markdown section to stdout; bench/run.sh puts it in bench/RESULTS.md.
Traffic goes to 127.0.0.1 only; every run is bounded in time.
"""
import argparse
import http.server
import json
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from http_bench import ONE_ROW, wrk  # noqa: E402

NS = "bench"
DELAY_S = 10
CLIENTS = 16


class SlowProvider:
    """envoyExtAuthzHttp service answering 200 after DELAY_S seconds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.holding = 0
        self.answered = 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_any(self):
                with outer.lock:
                    outer.holding += 1
                time.sleep(DELAY_S)
                with outer.lock:
                    outer.holding -= 1
                    outer.answered += 1
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

            do_GET = do_POST = do_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def isvc(name, model_dir):
    return ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: %s\nspec:\n  predictor:\n    model:\n"
            "      modelFormat:\n        name: mlflow\n      protocolVersion: v2\n"
            "      storageUri: file://%s\n" % (name, model_dir))


def setup(ferrytest, binary, model_dir, provider_port):
    ferrytest.FERRY_BIN = binary
    up = ferrytest.Up(profile="none", extra=["--workers", "2"])
    up.kubectl("create", "namespace", "istio-system", check=False)
    up.kubectl("create", "namespace", NS)
    for name in ("slow", "fast"):
        up.kubectl("apply", "-n", NS, "-f", "-", input=isvc(name, model_dir))
    mesh = {"extensionProviders": [{"name": "slow", "envoyExtAuthzHttp": {
        "service": "127.0.0.1", "port": provider_port, "timeout": "60s"}}]}
    policy = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
              "metadata": {"name": "slow-gate", "namespace": NS},
              "spec": {"selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "slow"}},
                       "action": "CUSTOM", "provider": {"name": "slow"},
                       "rules": [{"to": [{"operation": {"paths": ["/v2/*"]}}]}]}}
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "istio", "namespace": "istio-system"},
                 "data": {"mesh": json.dumps(mesh)}}
    up.kubectl("apply", "-f", "-", input=json.dumps(configmap))
    up.kubectl("apply", "-f", "-", input=json.dumps(policy))
    for name in ("slow", "fast"):
        up.kubectl("wait", "--for=condition=Ready", "isvc/" + name, "-n", NS, "--timeout=60s")
    return up


def call(up, name, timeout):
    req = urllib.request.Request(
        "http://127.0.0.1:%d/v2/models/%s/infer" % (up.internal_port, name),
        data=json.dumps(ONE_ROW).encode(),
        headers={"Content-Type": "application/json",
                 "Host": "%s.%s.svc.cluster.local" % (name, NS)})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status


def wait_policy_live(up, provider):
    """The CUSTOM policy is live once a call to `slow` reaches the provider."""
    done = threading.Event()
    threading.Thread(target=lambda: (call(up, "slow", 60), done.set()), daemon=True).start()
    deadline = time.time() + 30
    while provider.holding == 0:
        if time.time() > deadline:
            sys.exit("the CUSTOM policy never reached the provider")
        time.sleep(0.05)
    done.wait(DELAY_S + 5)


def scenario(ferrytest, binary, model_dir, seconds, rounds, tmp):
    provider = SlowProvider()
    up = setup(ferrytest, binary, model_dir, provider.port)
    url = "http://127.0.0.1:%d/v2/models/fast/infer" % up.internal_port
    headers = {"Host": "fast.%s.svc.cluster.local" % NS}
    runs = []
    try:
        assert call(up, "fast", 5) == 200
        wait_policy_live(up, provider)
        for _ in range(rounds):
            base = wrk(url, ONE_ROW, CLIENTS, seconds, tmp, headers=headers, timeout_s=15)
            stop = threading.Event()
            slow_status = []

            def slow_client():
                while not stop.is_set():
                    try:
                        slow_status.append(call(up, "slow", 60))
                    except (urllib.error.URLError, OSError) as e:
                        slow_status.append(str(e))

            threads = [threading.Thread(target=slow_client, daemon=True) for _ in range(CLIENTS)]
            for t in threads:
                t.start()
            # Measure while the slow calls are in flight (on a blocking gateway
            # only as many reach the provider as there are I/O threads).
            deadline = time.time() + 3
            while provider.holding < CLIENTS and time.time() < deadline:
                time.sleep(0.02)
            held = provider.holding
            loaded = wrk(url, ONE_ROW, CLIENTS, seconds, tmp, headers=headers, timeout_s=15)
            stop.set()
            # The next baseline starts once every slow call has ended.
            deadline = time.time() + 120
            for t in threads:
                t.join(max(0.0, deadline - time.time()))
            runs.append({"base": base, "loaded": loaded, "held": held,
                         "slow_ok": sum(1 for s in slow_status if s == 200)})
    finally:
        up.stop()
        provider.stop()
    return runs


def median(values):
    return sorted(values)[len(values) // 2]


def report(label, runs):
    print("**%s**" % label)
    print()
    print("| round | baseline req/s | baseline p50/p99 ms | slow calls parked | loaded req/s "
          "| loaded p50/p99 ms | p99 ratio | non-2xx / socket errors (loaded) |")
    print("|---|---|---|---|---|---|---|---|")
    def p99(run):  # no request completed in the whole run: the listener stalled
        return run["p99"] if run["rps"] > 0 else float("inf")

    for i, r in enumerate(runs, 1):
        b, l = r["base"], r["loaded"]
        loaded = ("%.3f / %.3f" % (l["p50"], l["p99"]) if l["rps"] > 0
                  else "none answered (stalled)")
        print("| %d | %.0f | %.3f / %.3f | %d | %.0f | %s | %s | %d / %s |" % (
            i, b["rps"], b["p50"], b["p99"], r["held"], l["rps"], loaded,
            "%.2f×" % (p99(l) / p99(b)) if l["rps"] > 0 else "∞", l["non2xx"],
            l["errors"] or "none"))
    def fmt(x):
        return "%.2f×" % x if x != float("inf") else "∞ (stalled)"

    # Each round's baseline and loaded runs are adjacent in time, so their
    # ratio cancels the machine's slower load swings; the median of those
    # ratios is the headline (the ratio of the medians is shown too).
    paired = median([p99(r["loaded"]) / p99(r["base"]) for r in runs])
    of_medians = median([p99(r["loaded"]) for r in runs]) / median([p99(r["base"]) for r in runs])
    print()
    print("- median of the per-round p99 ratios: **%s** (target ≤ 1.5×): %s; ratio of the "
          "median p99s: %s" % (fmt(paired), "met" if paired <= 1.5 else "NOT met",
                               fmt(of_medians)))
    print()
    return paired


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", default=os.path.join(REPO, "build", "ferry"))
    ap.add_argument("--baseline_ferry", default="", help="e.g. main's binary, measured the same way")
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--baseline_rounds", type=int, default=1,
                    help="a blocking gateway stays stalled until every slow call drained")
    args = ap.parse_args()
    if args.seconds >= DELAY_S:
        sys.exit("--seconds must stay under the provider's %d s so the slow calls stay parked"
                 % DELAY_S)
    os.environ["FERRY_BIN"] = os.path.abspath(args.ferry)
    import ferrytest  # noqa: E402
    tmp = tempfile.mkdtemp(prefix="ferry-slow-authz-bench-")
    print("wrk -t2 -c%d --timeout 15s, %d s per run on `fast`; loaded runs while %d clients "
          "call `slow` (provider answers after %d s); ferry up --workers 2; rounds alternate a "
          "baseline and a loaded run (the next round starts once the slow calls ended); every "
          "run printed. The machine is shared (2 cores, other builds running): p99 swings with "
          "its load, hence many short rounds." % (CLIENTS, args.seconds, CLIENTS, DELAY_S))
    print()
    report("this build (%s)" % os.path.relpath(args.ferry, REPO),
           scenario(ferrytest, os.path.abspath(args.ferry), args.model_dir, args.seconds,
                    args.rounds, tmp))
    if args.baseline_ferry:
        report("before: %s" % args.baseline_ferry,
               scenario(ferrytest, os.path.abspath(args.baseline_ferry), args.model_dir,
                        args.seconds, args.baseline_rounds, tmp))


if __name__ == "__main__":
    main()
