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
import socket
import subprocess
import sys
import tempfile
import time

TARGET = 20000  # calls/s (issue 9)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        out = subprocess.run([args.client, "127.0.0.1:%d" % grpc_port, "iris", str(args.seconds),
                              str(args.threads), str(args.depth)],
                             capture_output=True, text=True, timeout=args.seconds + 60)
        if not out.stdout.strip():
            sys.exit("grpc_bench failed: " + out.stderr)
        r = json.loads(out.stdout)
    finally:
        proc.terminate()
        proc.wait(30)
    print("| client | calls/s | p50 ms | p99 ms | errors | target |")
    print("|---|---|---|---|---|---|")
    print("| %d threads × %d in flight, %d s | **%.0f** | %.2f | %.2f | %d | %d/s (%s) |" % (
        args.threads, args.depth, args.seconds, r["calls_per_second"], r["p50_ms"], r["p99_ms"],
        r["errors"], TARGET, "met" if r["calls_per_second"] >= TARGET else "not met"))
    print()
    print("Client and server share the machine's cores (loopback, no TLS, one channel per client "
          "thread); `ferry serve --workers 2`, gRPC's sync server.")


if __name__ == "__main__":
    main()
