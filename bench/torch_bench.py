#!/usr/bin/python3
"""PyTorch backend: V2 throughput of the TorchScript MLP (4 -> 16 -> 3) served
by `ferry serve`, one-row and 64-row requests, against the seed's
scikit-learn iris model served the same way in the same run (the baseline);
and Ferry's per-predict overhead over libtorch called directly
(bench/torch_predict_bench.cc, in one process, alternating blocks).

  torch_bench.py --ferry build/ferry --predict_bench build/bench/torch_predict_bench \
      --fixtures DIR --iris DIR [--seconds 10]

wrk -t2 -c8 for `seconds` per run, three alternating runs per case, median
counts; every run is printed. Traffic goes to 127.0.0.1 only.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(ferry, model_dir):
    port = free_port()
    p = subprocess.Popen([ferry, "serve", "--model_name", "m", "--model_dir", model_dir,
                          "--http_port", str(port), "--grpc_port", "0", "--bind", "127.0.0.1",
                          "--workers", "2", "--access_log_rate", "0"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    for _ in range(600):
        try:
            with urllib.request.urlopen(url + "/v2/health/ready", timeout=2) as r:
                if r.status == 200:
                    return p, url
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("ferry serve of %s not ready" % model_dir)


def check(url, body):
    req = urllib.request.Request(url + "/v2/models/m/infer", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200


def wrk(url, body, seconds, tmp):
    script = os.path.join(tmp, "post.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                "wrk.body = %s\n" % json.dumps(json.dumps(body)))
    out = subprocess.run(["wrk", "-t2", "-c8", "-d%ds" % seconds, "-s", script,
                          url + "/v2/models/m/infer"], capture_output=True, text=True,
                         timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError("non-2xx responses:\n" + out)
    return rps


def mlp_body(rows):
    data = [((i % 7) * 0.25 - 0.5) for i in range(rows * 4)]
    return {"inputs": [{"name": "x", "datatype": "FP32", "shape": [rows, 4], "data": data}]}


IRIS = {"parameters": {"content_type": "np"},
        "inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP64",
                    "data": [[6.8, 2.8, 4.8, 1.4]]}]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--predict_bench", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--iris", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.fixtures, "expected.json")):
        subprocess.run(["/usr/bin/python3", os.path.join(REPO, "tests/fixtures/pytorch/gen_pytorch.py"),
                        a.fixtures], check=True, stdout=subprocess.DEVNULL)
    mlp = os.path.join(a.fixtures, "mlp")
    cases = [("scikit-learn iris (baseline), 1 row", a.iris, IRIS, 1),
             ("PyTorch MLP, 1 row", mlp, mlp_body(1), 1),
             ("PyTorch MLP, 64 rows", mlp, mlp_body(64), 64)]
    runs = {c[0]: [] for c in cases}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(3):
            for name, model_dir, body, _rows in cases:
                p, url = serve(a.ferry, model_dir)
                try:
                    check(url, body)
                    runs[name].append(wrk(url, body, a.seconds, tmp))
                finally:
                    p.terminate()
                    p.wait(timeout=30)

    print("`ferry serve --workers 2`, wrk -t2 -c8, %d s per run, JSON V2 requests; "
          "three alternating runs per case." % a.seconds)
    print()
    print("| case | runs (requests/s) | median requests/s | rows/s | vs baseline (requests/s) |")
    print("|---|---|---|---|---|")
    base = statistics.median(runs[cases[0][0]])
    for name, _d, _b, rows in cases:
        m = statistics.median(runs[name])
        print("| %s | %s | %.0f | %.0f | %.2fx |" % (
            name, ", ".join("%.0f" % r for r in runs[name]), m, m * rows, m / base))
    print()

    backends = os.path.join(os.path.dirname(os.path.abspath(a.ferry)), "lib", "ferry", "backends")
    print("Per predict, in one process, one intra-op thread, 11 alternating blocks "
          "(2,000 calls each; 500 at 64 rows); the first block is warm-up and not counted:")
    print()
    print("| rows | libtorch direct (µs, median) | Ferry PredictTensors (µs, median) | "
          "Ferry overhead (µs) | ratio | blocks, direct / Ferry (µs) |")
    print("|---|---|---|---|---|---|")
    for rows, calls in ((1, 2000), (64, 500)):
        out = subprocess.run([a.predict_bench, os.path.join(mlp, "model.pt"), backends, str(rows),
                              "11", str(calls)], capture_output=True, text=True, check=True,
                             timeout=600).stdout
        r = json.loads(out)
        d, f = r["direct_us"][1:], r["ferry_us"][1:]
        md, mf = statistics.median(d), statistics.median(f)
        print("| %d | %.2f | %.2f | %.2f | %.2fx | %s / %s |" % (
            rows, md, mf, mf - md, mf / md, " ".join("%.1f" % x for x in d),
            " ".join("%.1f" % x for x in f)))


if __name__ == "__main__":
    main()
