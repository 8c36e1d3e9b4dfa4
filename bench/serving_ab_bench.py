#!/usr/bin/python3
"""Before/after benchmark of the V2 infer path: one-row iris requests over REST (wrk) and gRPC
(bench/grpc_bench.cc) against `ferry serve`, a baseline binary (e.g. a copy of main's) and the
candidate measured alternately in the same run. Reports every run and the medians: throughput,
p99 and the server's CPU time per request (user + system of the ferry process over the
measured window) — the steadiest figure on a small shared machine, where throughput follows
whatever else is running.

Usage: serving_ab_bench.py --baseline OLD/ferry --ferry NEW/ferry --client BUILD/bench/grpc_bench
                           --model_dir DIR [--seconds 5] [--rounds 5]
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grpc_bench import cpu_seconds, free_port  # noqa: E402
from http_bench import ONE_ROW, wrk  # noqa: E402


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(ferry, model_dir, tmp):
    """Starts `ferry serve` and returns (proc, http_port, grpc_port, exec-to-ready ms): the time
    from exec until the log says the model is ready, the cold start a user waits for."""
    http_port, grpc_port = free_port(), free_port()
    log = open(os.path.join(tmp, "ferry-%d.log" % http_port), "w")
    proc = subprocess.Popen([ferry, "serve", "--model_name", "iris", "--model_dir", model_dir,
                             "--http_port", str(http_port), "--grpc_port", str(grpc_port),
                             "--bind", "127.0.0.1", "--workers", "2", "--access_log_rate", "0"],
                            stdout=log, stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    deadline = time.time() + 30
    while "ready in" not in open(log.name).read():
        if proc.poll() is not None or time.time() > deadline:
            sys.exit("ferry serve did not start: " + open(log.name).read())
        time.sleep(0.001)
    return proc, http_port, grpc_port, (time.monotonic() - t0) * 1e3


def rest_run(proc, port, seconds, tmp):
    url = "http://127.0.0.1:%d/v2/models/iris/infer" % port
    wrk(url, ONE_ROW, 16, 1, tmp)  # warm-up
    cpu0 = cpu_seconds(proc.pid)
    r = wrk(url, ONE_ROW, 16, seconds, tmp)
    cpu = cpu_seconds(proc.pid) - cpu0
    if r["non2xx"] or r["errors"]:
        sys.exit("REST run had errors: %r" % r)
    return {"rps": r["rps"], "p99": r["p99"], "cpu_us": cpu * 1e6 / max(r["rps"] * seconds, 1)}


def grpc_run(proc, port, client, seconds):
    target = "127.0.0.1:%d" % port
    subprocess.run([client, target, "iris", "1", "1", "4"], capture_output=True, timeout=60)
    cpu0 = cpu_seconds(proc.pid)
    out = subprocess.run([client, target, "iris", str(seconds), "2", "8"], capture_output=True,
                         text=True, timeout=seconds + 60)
    cpu = cpu_seconds(proc.pid) - cpu0
    if not out.stdout.strip():
        sys.exit("grpc_bench failed: " + out.stderr)
    r = json.loads(out.stdout)
    if r["errors"]:
        sys.exit("gRPC run had errors: %r" % r)
    calls = max(r["ok"], 1)
    return {"rps": r["calls_per_second"], "p99": r["p99_ms"], "cpu_us": cpu * 1e6 / calls}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ferry-ab-bench-")
    sides = [("baseline", args.baseline), ("candidate", args.ferry)]
    runs = {(s, p): [] for s, _ in sides for p in ("REST", "gRPC", "start")}
    print("| round | side | protocol | req/s | p99 ms | server CPU µs/req |")
    print("|---|---|---|---|---|---|")
    for i in range(args.rounds):
        order = sides if i % 2 == 0 else sides[::-1]
        for side, binary in order:
            proc, http_port, grpc_port, ready_ms = start(binary, args.model_dir, tmp)
            try:
                results = [("REST", rest_run(proc, http_port, args.seconds, tmp)),
                           ("gRPC", grpc_run(proc, grpc_port, args.client, args.seconds))]
                rss = rss_kb(proc.pid) / 1024.0
                results.append(("start", {"ready_ms": ready_ms, "rss_mb": rss}))
            finally:
                proc.terminate()
                proc.wait(30)
            for protocol, r in results:
                runs[(side, protocol)].append(r)
                if protocol == "start":
                    continue
                print("| %d | %s | %s | %.0f | %.2f | %.1f |" % (i + 1, side, protocol, r["rps"],
                                                                 r["p99"], r["cpu_us"]))
            sys.stdout.flush()
    print()
    print("Medians over %d rounds (candidate / baseline: ≥ 1 is better for req/s, ≤ 1 for p99 "
          "and CPU):" % args.rounds)
    print()
    print("| protocol | figure | baseline | candidate | ratio |")
    print("|---|---|---|---|---|")
    for protocol in ("REST", "gRPC"):
        for key, name in (("rps", "req/s"), ("p99", "p99 ms"), ("cpu_us", "server CPU µs/req")):
            b = statistics.median(r[key] for r in runs[("baseline", protocol)])
            c = statistics.median(r[key] for r in runs[("candidate", protocol)])
            print("| %s | %s | %.2f | %.2f | %.3f |" % (protocol, name, b, c, c / b))
    for key, name in (("ready_ms", "exec → ready ms (cold start)"),
                      ("rss_mb", "RSS MB after the REST and gRPC runs")):
        b = statistics.median(r[key] for r in runs[("baseline", "start")])
        c = statistics.median(r[key] for r in runs[("candidate", "start")])
        print("| process | %s | %.2f | %.2f | %.3f |" % (name, b, c, c / b))


if __name__ == "__main__":
    main()
