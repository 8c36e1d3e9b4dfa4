#!/usr/bin/python3
"""Server CPU time per request: `ferry serve` answering one-row V2 iris
requests vs nginx returning a fixed body of the same size.

CPU time, not req/s: other processes sharing the cores slow both servers'
clocks far more than the CPU each spends on a request. Per round and side:
wrk -t2 on the same number of keep-alive connections for the same time, and
the server's CPU time over the round divided by the requests it answered
(every thread of every process of the server: ferry's one process, nginx's
master and its workers; the ns sum of /proc/PID/task/TID/schedstat, i.e.
utime + stime). Both servers run the same number of workers (ferry --workers N
I/O threads, nginx worker_processes N; --workers 2,1 measures each count, all
sides in the same rounds), access logs off, keep-alive without a request
limit; ferry's gRPC port is off unless --grpc. One warm-up round per side is
not counted; the sides alternate. Every round is printed, then the medians
and their ratio. With several workers, nginx's busiest worker's share of its
CPU is printed per round: nginx's workers take connections as they wake
(the listening socket in every worker's epoll), so wrk's connections land
anywhere from evenly to all on one worker, round by round, which moves
nginx's figure; ferry packs connections onto the fewest I/O threads that
keep up (src/http/io_balance.h). --baseline (bench/run.sh: BASELINE_FERRY) runs an older ferry
binary as another side in the same rounds, at the first worker count.

Writes markdown to stdout (bench/run.sh records it). Traffic goes to
127.0.0.1 only; loops are bounded.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_bench import ONE_ROW, free_port, post, start_nginx  # noqa: E402
from startup_bench import cpu_ms  # noqa: E402


def start_ferry(ferry, model_dir, tmp, grpc, log_name="ferry.log", workers=2):
    port = free_port()
    log = open(os.path.join(tmp, log_name), "w")
    proc = subprocess.Popen([ferry, "serve", "--model_name", "iris", "--model_dir", model_dir,
                             "--http_port", str(port), "--bind", "127.0.0.1", "--workers", str(workers),
                             "--access_log_rate", "0",
                             "--grpc_port", str(free_port() if grpc else 0)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    for _ in range(2000):
        try:
            post(url + "/v2/models/iris/infer", ONE_ROW)
            return proc, url
        except Exception:
            if proc.poll() is not None:
                sys.exit("ferry exited: " + open(log.name).read())
            time.sleep(0.005)
    sys.exit("ferry serve did not become ready")


def process_cpu_ns(root_pid):
    """{pid: CPU time (ns) so far, every thread} of root_pid and its child processes."""
    pids = [root_pid]
    try:
        with open("/proc/%d/task/%d/children" % (root_pid, root_pid)) as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return {pid: cpu_ms(pid) * 1e6 for pid in pids}


def server_cpu_ns(root_pid):
    """CPU time (ns) so far of root_pid and its child processes, every thread."""
    return sum(process_cpu_ns(root_pid).values())


def wrk_round(url, body, conns, seconds, tmp):
    """wrk -t2 -cN POSTing `body` for `seconds`. Returns (answers, non-2xx)."""
    script = os.path.join(tmp, "post.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                "wrk.body = %s\n" % json.dumps(json.dumps(body)))
    out = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "-s", script, url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    done = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return done, int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workers", default="2",
                    help="worker counts, comma-separated (each measured on both sides)")
    ap.add_argument("--grpc", action="store_true", help="keep ferry's gRPC port open (idle)")
    ap.add_argument("--baseline", help="an older ferry binary measured in the same rounds")
    a = ap.parse_args()
    counts = [int(w) for w in a.workers.split(",")]
    tmp = tempfile.mkdtemp(prefix="ferry-cpu-bench-")
    procs, sides = [], []  # sides: (name, workers, pid, url)
    try:
        for w in counts:
            ferry, furl = start_ferry(a.ferry, a.model_dir, tmp, a.grpc, "ferry-%d.log" % w, w)
            procs.append(ferry)
            infer = furl + "/v2/models/iris/infer"
            body = post(infer, ONE_ROW).decode()
            nginx, nurl = start_nginx(body, tmp, w)
            procs.append(nginx)
            sides += [("nginx", w, nginx.pid, nurl + "/"), ("ferry", w, ferry.pid, infer)]
            if a.baseline and w == counts[0]:
                base, burl = start_ferry(a.baseline, a.model_dir, tmp, a.grpc, "baseline.log", w)
                procs.append(base)
                sides.append(("baseline", w, base.pid, burl + "/v2/models/iris/infer"))
        rows = {(name, w): [] for name, w, _, _ in sides}
        for i in range(a.rounds + 1):
            for name, w, pid, url in (sides if i % 2 == 0 else sides[::-1]):
                before = process_cpu_ns(pid)
                done, bad = wrk_round(url, ONE_ROW, a.connections, a.seconds, tmp)
                after = process_cpu_ns(pid)
                if bad:
                    sys.exit("%s answered %d non-2xx" % (name, bad))
                spent = {p: after[p] - before.get(p, 0) for p in after}
                total = sum(spent.values())
                workers = [v for p, v in spent.items() if p != pid]  # nginx: its worker processes
                busiest = max(workers) / total if workers else 1
                if i > 0:  # round 0 warms every side up
                    rows[(name, w)].append((total / 1000.0 / done, done, busiest))
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("`%s` (gRPC %s) vs nginx (a fixed %d-byte body), both at %s workers; "
          "wrk -t2 -c%d, %d s per round, %d alternating rounds after one warm-up round per side."
          % (a.ferry, "on, idle" if a.grpc else "off", len(body),
             " and ".join(str(w) for w in counts), a.connections, a.seconds, a.rounds))
    for w in counts:
        print_table(rows, w, a.rounds)
    print()
    print("Server CPU time = every thread of the server's processes (schedstat: user + system), "
          "over answered requests (wrk's count). 1-minute load average: %.1f." % os.getloadavg()[0])
    if a.baseline:
        n = statistics.median(x[0] for x in rows[("nginx", counts[0])])
        f = statistics.median(x[0] for x in rows[("ferry", counts[0])])
        b = statistics.median(x[0] for x in rows[("baseline", counts[0])])
        print()
        print("Baseline `%s` (%d workers) in the same rounds: median **%.2f** µs per request, "
              "**%.2fx** nginx's; this build / baseline: **%.2fx**."
              % (a.baseline, counts[0], b, b / n, f / b))


def print_table(rows, w, rounds):
    nginx, ferry = rows[("nginx", w)], rows[("ferry", w)]
    print()
    print("**%d worker%s** (ferry --workers %d, nginx worker_processes %d)"
          % (w, "s" if w > 1 else "", w, w))
    print()
    print("| round | nginx requests | nginx CPU µs/request | nginx busiest worker | ferry requests "
          "| ferry CPU µs/request | ferry / nginx |")
    print("|---|---|---|---|---|---|---|")
    for i in range(rounds):
        (n, nd, share), (f, fd, _) = nginx[i], ferry[i]
        print("| %d | %d | %.2f | %s | %d | %.2f | %.2fx |"
              % (i + 1, nd, n, "%.0f%%" % (100 * share) if w > 1 else "-", fd, f, f / n))
    n = statistics.median(x[0] for x in nginx)
    f = statistics.median(x[0] for x in ferry)
    print("| **median** | | **%.2f** | | | **%.2f** | **%.2fx** |" % (n, f, f / n))
    paired = statistics.median(fr[0] / nr[0] for fr, nr in zip(ferry, nginx))
    print("\nMedian of the per-round ratios (each round's ferry run beside the nginx run next to "
          "it): **%.2fx**." % paired)


if __name__ == "__main__":
    main()
