#!/usr/bin/python3
"""Dynamic batching benchmark: 64 concurrent one-row V2 clients (wrk, Lua body,
bounded duration) against `ferry serve` on a RandomForest of 100 trees, with
batching off and on (--max_batch_size/--max_batch_delay_ms), in the same run,
one server at a time. Both servers must answer a probe row identically first.

Usage: batch_bench.py --ferry BUILD/ferry --fixtures BUILD/bench-fixtures
Writes a markdown section to stdout; bench/run.sh records it in bench/RESULTS.md.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_bench import ONE_ROW, free_port, post, wrk  # noqa: E402

GEN_RF = r"""
import sys, joblib
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
X, y = load_iris(return_X_y=True)
joblib.dump(RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y), sys.argv[1])
"""


def random_forest(fixtures):
    """<fixtures>/rf100/model.joblib, generated once with Debian's scikit-learn."""
    out = os.path.join(fixtures, "rf100")
    path = os.path.join(out, "model.joblib")
    if not os.path.exists(path):
        os.makedirs(out, exist_ok=True)
        subprocess.run(["/usr/bin/python3", "-c", GEN_RF, path], check=True)
    return out


def serve(ferry, model_dir, extra, tmp, tag):
    port = free_port()
    log = open(os.path.join(tmp, "ferry-%s.log" % tag), "w")
    proc = subprocess.Popen([ferry, "serve", "--model_name", "rf", "--model_dir", model_dir,
                             "--http_port", str(port), "--grpc_port", "0", "--bind", "127.0.0.1",
                             "--workers", "2", "--access_log_rate", "0"] + extra,
                            stdout=log, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/v2/health/ready", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except Exception:
            if proc.poll() is not None:
                break
            time.sleep(0.01)
    sys.exit("ferry serve (%s) did not start: %s" % (tag, open(log.name).read()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--max_batch_size", type=int, default=32)
    ap.add_argument("--delays_ms", default="0,1",
                    help="comma-separated --max_batch_delay_ms values to run with batching on")
    args = ap.parse_args()
    model_dir = random_forest(args.fixtures)
    tmp = tempfile.mkdtemp(prefix="ferry-batch-bench-")
    body = dict(ONE_ROW, outputs=[{"name": "predict_proba"}])
    runs = [("off", [])]
    for d in args.delays_ms.split(","):
        runs.append(("on: max %d rows, %s ms delay" % (args.max_batch_size, d),
                     ["--max_batch_size", str(args.max_batch_size), "--max_batch_delay_ms", d]))
    results, answers = {}, {}
    for tag, extra in runs:
        proc, url = serve(args.ferry, model_dir, extra, tmp, str(len(results)))
        try:
            infer = url + "/v2/models/rf/infer"
            answers[tag] = json.loads(post(infer, body))["outputs"]
            results[tag] = wrk(infer, body, args.connections, args.seconds, tmp)
        finally:
            proc.terminate()
            proc.wait(30)
    for tag, out in answers.items():
        if out != answers["off"]:
            sys.exit("batching changed the answer (%s): %s vs %s" % (tag, out, answers["off"]))
    off = results["off"]
    print("| batching | req/s | vs off | p50 ms | p99 ms | non-2xx | socket errors |")
    print("|---|---|---|---|---|---|---|")
    for tag, r in results.items():
        print("| %s | %.0f | **%.2f×** | %.2f | %.2f | %d | %s |" % (
            tag, r["rps"], r["rps"] / off["rps"], r["p50"], r["p99"], r["non2xx"],
            r["errors"] or "-"))
    print()
    print("Same run, one server at a time: %d connections, %d s each, wrk -t2, predict_proba on "
          "one iris row, RandomForestClassifier(n_estimators=100), `ferry serve --workers 2`; "
          "1-minute load average when done %.1f (machine shared with other work)." % (
              args.connections, args.seconds, os.getloadavg()[0]))
    print()
    print("With a 0 ms delay and predicts this fast, requests stay on the 2 I/O threads, so at most two callers meet and batches rarely exceed one request: a difference from `off` at 0 ms is not the merging (on a loaded shared machine it is scheduling noise); a delay > 0 moves predicts onto the executor threads, and the handoffs cost more than merging saves for a native forest.")


if __name__ == "__main__":
    main()
