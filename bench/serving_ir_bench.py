#!/usr/bin/python3
"""User-space instructions per one-row V2 request, this build against a baseline binary, counted
by valgrind's callgrind: a figure that does not move with whatever else the machine is running
(this box has no hardware counters, and wall-clock throughput on 2 shared cores swings by 20%).

Each side: `ferry serve` under callgrind, a warm-up, counters zeroed (callgrind_control -z),
N keep-alive REST requests (one client, sequential, each written with one send as wrk does) then N gRPC calls (bench/grpc_bench, fixed
count), a dump after each protocol; instructions of the server process divided by N. Kernel time
(syscalls) is not counted: both builds make the same socket calls per request.

Usage: serving_ir_bench.py --baseline OLD/ferry --ferry NEW/ferry --client BUILD/bench/grpc_bench
                           --model_dir DIR [--requests 2000]
Traffic goes to 127.0.0.1 only; the request counts are fixed.
"""
import argparse
import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grpc_bench import free_port  # noqa: E402
from http_bench import ONE_ROW  # noqa: E402


def rest_requests(port, n):
    """n sequential keep-alive requests, each written with one send (wrk's header set: Host,
    Content-Type, Content-Length). http.client writes the header section and the body with two
    sends, and whether the server's recv lands between them depends on timing; such a request is
    framed by Beast's parser instead of the fast one, which would make the count move with the
    machine's load."""
    body = json.dumps(ONE_ROW).encode()
    request = (b"POST /v2/models/iris/infer HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % (port, len(body))) + body
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(n):
            s.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    sys.exit("REST connection closed")
                data += chunk
            head, rest = data.split(b"\r\n\r\n", 1)
            if not head.startswith(b"HTTP/1.1 200 "):
                sys.exit("REST request failed: %r" % head.split(b"\r\n", 1)[0])
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            while len(rest) < length:
                chunk = s.recv(65536)
                if not chunk:
                    sys.exit("REST connection closed")
                rest += chunk


def grpc_calls(client, port, n):
    # grpc_bench TARGET MODEL SECONDS THREADS DEPTH AUTHORITY CALLS: one thread, one in flight.
    out = subprocess.run([client, "127.0.0.1:%d" % port, "iris", "600", "1", "1", "", str(n)],
                         capture_output=True, text=True, timeout=900)
    r = json.loads(out.stdout)
    if r["errors"] or r["ok"] != n:
        sys.exit("gRPC calls failed: %r %s" % (r, out.stderr))


def dumped_instructions(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:"):
                return int(line.split()[1])
    sys.exit("no summary in " + path)


def measure(binary, args):
    tmp = tempfile.mkdtemp(prefix="ferry-ir-bench-")
    http_port, grpc_port = free_port(), free_port()
    log = open(os.path.join(tmp, "ferry.log"), "w")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", "--dump-instr=no",
                             "--callgrind-out-file=" + os.path.join(tmp, "cg.%p"), binary,
                             "serve", "--model_name", "iris", "--model_dir", args.model_dir,
                             "--http_port", str(http_port), "--grpc_port", str(grpc_port),
                             "--bind", "127.0.0.1", "--workers", "2", "--access_log_rate", "0"],
                            stdout=log, stderr=subprocess.STDOUT)
    control = lambda *a: subprocess.run(["callgrind_control", *a, str(proc.pid)],  # noqa: E731
                                        capture_output=True, check=True, timeout=120)
    try:
        deadline = time.time() + 120
        while "ready in" not in open(log.name).read():
            if proc.poll() is not None or time.time() > deadline:
                sys.exit("ferry serve did not start under valgrind: " + open(log.name).read())
            time.sleep(0.1)
        rest_requests(http_port, 200)
        grpc_calls(args.client, grpc_port, 200)
        result = {}
        for protocol, run in (("REST", lambda: rest_requests(http_port, args.requests)),
                              ("gRPC", lambda: grpc_calls(args.client, grpc_port,
                                                          args.requests))):
            control("-z")
            run()
            before = set(glob.glob(os.path.join(tmp, "cg.*")))
            control("-d")
            for _ in range(600):
                new = set(glob.glob(os.path.join(tmp, "cg.*"))) - before
                if new:
                    break
                time.sleep(0.1)
            time.sleep(0.5)  # the dump is written by the server; let it finish
            result[protocol] = dumped_instructions(new.pop()) / args.requests
        return result
    finally:
        proc.terminate()
        proc.wait(60)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    base = measure(args.baseline, args)
    cand = measure(args.ferry, args)
    print("| protocol | baseline instructions/req | candidate instructions/req | ratio |")
    print("|---|---|---|---|")
    for protocol in ("REST", "gRPC"):
        print("| %s | %.0f | %.0f | %.3f |" % (protocol, base[protocol], cand[protocol],
                                              cand[protocol] / base[protocol]))


if __name__ == "__main__":
    main()
