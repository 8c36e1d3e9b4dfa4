#!/usr/bin/python3
"""Do HTTP I/O threads stall while a backend loads? `ferry serve` of a PyTorch
model (libferry_pytorch.so + libtorch are dlopened while the listener is
already live) probed from 4 keep-alive connections, each sending
GET /v2/health/ready every ~1 ms from the moment the port accepts until the
model is ready; this build against a baseline binary (BASELINE_FERRY), runs
alternating, same machine, same time. A control model (scikit-learn iris,
whose backend is small) shows what the machine's own noise gives.

Per run: load time (exec -> first 200), probes answered during the load,
the slowest probe and how many took over 100 ms. Every run is printed.
Writes markdown to stdout (bench/run.sh records it). Traffic goes to
127.0.0.1 only; loops are bounded (10 s per run at most).
"""
import argparse
import os
import socket
import statistics
import subprocess
import threading
import time

from startup_bench import free_port, http

CONNECTIONS = 4


def run(ferry, model_dir, backend_dir):
    port = free_port()
    env = dict(os.environ, FERRY_BACKEND_DIR=backend_dir)
    t0 = time.perf_counter()
    p = subprocess.Popen([ferry, "serve", "--model_name", "m", "--model_dir", model_dir,
                          "--http_port", str(port), "--bind", "127.0.0.1", "--grpc_port", "0",
                          "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=env)
    socks = []
    try:
        while len(socks) < CONNECTIONS and time.perf_counter() - t0 < 10:
            try:
                socks.append(socket.create_connection(("127.0.0.1", port)))
            except OSError:
                time.sleep(0.0005)
        ready = [None]
        probes = []  # (start, seconds) during the load
        lock = threading.Lock()

        def probe(sock):
            while time.perf_counter() - t0 < 10 and ready[0] is None:
                a = time.perf_counter()
                try:
                    status, _ = http(sock, "GET", "/v2/health/ready")
                except OSError:
                    return  # the server exited (a failed load): "never" ready
                b = time.perf_counter()
                with lock:
                    if status == 200 and ready[0] is None:
                        ready[0] = b - t0
                    probes.append((a - t0, b - a, status))
                time.sleep(0.001)

        threads = [threading.Thread(target=probe, args=(s,)) for s in socks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for s in socks:
            s.close()
        p.terminate()
        p.wait()
    loading = [d for (a, d, st) in probes if st != 200]
    return {"ready": ready[0], "probes": len(loading),
            "max_ms": max(loading) * 1000 if loading else 0.0,
            "over_100ms": sum(1 for d in loading if d > 0.1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--model_dir", required=True, help="a PyTorch model directory")
    ap.add_argument("--control_dir", required=True, help="a scikit-learn model directory")
    ap.add_argument("--backend_dir", required=True,
                    help="FERRY_BACKEND_DIR for both binaries (one set of backends)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    sides = [("baseline", args.baseline), ("this build", args.ferry)]
    models = [("PyTorch MLP", args.model_dir), ("sklearn iris (control)", args.control_dir)]
    results = {(s, m): [] for s, _ in sides for m, _ in models}
    rows = []
    for i in range(args.runs):
        for m, mdir in models:
            for s, binary in (sides if i % 2 == 0 else sides[::-1]):
                r = run(binary, mdir, args.backend_dir)
                results[(s, m)].append(r)
                rows.append("| %d | %s | %s | %s | %d | %.1f | %d |" % (
                    i + 1, m, s, "%.0f" % (r["ready"] * 1000) if r["ready"] else "never",
                    r["probes"], r["max_ms"], r["over_100ms"]))
    print("Baseline: `%s`; this build: `%s`; %d connections probing /v2/health/ready every ~1 ms "
          "during the load; %d runs per side and model, alternating; 1-minute load average at the "
          "start: %.1f.\n" % (args.baseline, args.ferry, CONNECTIONS, args.runs,
                              os.getloadavg()[0]))
    print("| run | model | side | exec → ready (ms) | probes during load | slowest probe (ms) "
          "| probes > 100 ms |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n| model | side | median slowest probe (ms) | worst slowest probe (ms) "
          "| runs with a probe > 100 ms | median exec → ready (ms) |")
    print("|---|---|---|---|---|---|")
    for m, _ in models:
        for s, _ in sides:
            rs = results[(s, m)]
            print("| %s | %s | %.1f | %.1f | %d of %d | %.0f |" % (
                m, s, statistics.median(r["max_ms"] for r in rs), max(r["max_ms"] for r in rs),
                sum(1 for r in rs if r["over_100ms"]), len(rs),
                statistics.median((r["ready"] or 10) * 1000 for r in rs)))
    print("\n1-minute load average at the end: %.1f" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
