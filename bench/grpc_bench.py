#!/usr/bin/python3
"""V2 gRPC benchmark: one-row unary ModelInfer calls (iris, typed contents)
against `ferry serve --grpc_port`, driven by the C++ closed-loop client
bench/grpc_bench.cc (threads × calls in flight, bounded duration).

Usage: grpc_bench.py --ferry BUILD/ferry --client BUILD/bench/grpc_bench --model_dir DIR
Writes a markdown section to stdout; bench/run.sh records it in bench/RESULTS.md.
"""
import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

TARGET = 20000  # calls/s


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """User + system CPU seconds used so far by process `pid` (all threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--depth", type=int, default=8)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ferry-grpc-bench-")
    http, grpc_port = free_port(), free_port()
    log = open(os.path.join(tmp, "ferry.log"), "w")
    proc = subprocess.Popen([args.ferry, "serve", "--model_name", "iris", "--model_dir",
                             args.model_dir, "--http_port", str(http), "--grpc_port",
                             str(grpc_port), "--bind", "127.0.0.1", "--workers", "2",
                             "--access_log_rate", "0"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while "ready in" not in open(log.name).read():
            if proc.poll() is not None or time.time() > deadline:
                sys.exit("ferry serve did not start: " + open(log.name).read())
            time.sleep(0.01)
        # Warm-up, then the measured run.
        subprocess.run([args.client, "127.0.0.1:%d" % grpc_port, "iris", "1", "1", "4"],
                       capture_output=True, timeout=60)
        server_cpu, client_cpu = cpu_seconds(proc.pid), children_cpu_seconds()
        out = subprocess.run([args.client, "127.0.0.1:%d" % grpc_port, "iris", str(args.seconds),
                              str(args.threads), str(args.depth)],
                             capture_output=True, text=True, timeout=args.seconds + 60)
        if not out.stdout.strip():
            sys.exit("grpc_bench failed: " + out.stderr)
        r = json.loads(out.stdout)
        server_cpu = cpu_seconds(proc.pid) - server_cpu
        client_cpu = children_cpu_seconds() - client_cpu
    finally:
        proc.terminate()
        proc.wait(30)
    calls = max(r["ok"] + r["errors"], 1)
    print("| client | calls/s | p50 ms | p99 ms | errors | server CPU µs/call | client CPU µs/call "
          "| target |")
    print("|---|---|---|---|---|---|---|---|")
    print("| %d threads × %d in flight, %d s | **%.0f** | %.2f | %.2f | %d | %.1f | %.1f "
          "| %d/s (%s) |" % (
              args.threads, args.depth, args.seconds, r["calls_per_second"], r["p50_ms"],
              r["p99_ms"], r["errors"], server_cpu * 1e6 / calls, client_cpu * 1e6 / calls,
              TARGET, "met" if r["calls_per_second"] >= TARGET else "not met"))
    print()
    print("Client and server share the machine's cores (loopback, no TLS, one channel per client "
          "thread; every response checked against the first); `ferry serve --workers 2`, gRPC's "
          "asynchronous server with one completion-queue thread per core answering one-row "
          "predicts inline.")


if __name__ == "__main__":
    main()
