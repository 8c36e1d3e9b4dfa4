#!/usr/bin/python3
"""HTTP load benchmark: `ferry serve` vs nginx returning a fixed body of the
same size (the HTTP limit of this machine), measured with wrk in the same run.

Writes a markdown section to stdout; bench/run.sh puts it in bench/RESULTS.md.
Traffic goes to 127.0.0.1 only; every wrk run is bounded in time.

Fairness: both servers get 2 workers (nginx worker_processes 2, ferry --workers 2
I/O threads; Ferry's predict pool stays idle because a one-row predict runs
inline), access logs off on both, and nginx may keep a connection alive for as
many requests as Ferry does (keepalive_requests raised from nginx's default of
1000, which would make wrk reconnect and cost nginx a little). wrk -t2 shares
the same 2 cores with whichever server is measured.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONE_ROW = {"parameters": {"content_type": "np"},
           "inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP64",
                       "data": [[6.8, 2.8, 4.8, 1.4]]}]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.read()


def wrk(url, body, conns, seconds, tmp, headers=None, timeout_s=None):
    """POSTs `body` with wrk -t2; `headers` adds request headers (Host, Authorization);
    `timeout_s` replaces wrk's 2 s request timeout (slower answers count as errors)."""
    script = os.path.join(tmp, "post.lua")
    with open(script, "w") as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
        for k, v in (headers or {}).items():
            f.write("wrk.headers[%s] = %s\n" % (json.dumps(k), json.dumps(v)))
        f.write("wrk.body = %s\n" % json.dumps(json.dumps(body)))
    extra = ["--timeout", "%ds" % timeout_s] if timeout_s else []
    out = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "--latency"] + extra +
                         ["-s", script, url], capture_output=True, text=True,
                         timeout=seconds + 30 + (timeout_s or 0)).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)\b" % p, out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000.0 if unit == "us" else (v * 1000.0 if unit == "s" else v)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99),
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": errors.group(1) if errors else ""}


ROUNDS = 5


def median_run(runs):
    """The run with the median req/s (its own p50/p99 come with it)."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def start_ferry(ferry, model_dir, tmp):
    port = free_port()
    log = open(os.path.join(tmp, "ferry.log"), "w")
    t0 = time.monotonic()
    proc = subprocess.Popen([ferry, "serve", "--model_name", "iris", "--model_dir", model_dir,
                             "--http_port", str(port), "--bind", "127.0.0.1", "--workers", "2",
                             "--access_log_rate", "0"], stdout=log, stderr=subprocess.STDOUT)
    url = "http://127.0.0.1:%d" % port
    while True:
        try:
            with urllib.request.urlopen(url + "/v2/health/ready", timeout=1) as r:
                if r.status == 200:
                    break
        except Exception:
            if proc.poll() is not None:
                sys.exit("ferry exited: " + open(log.name).read())
            time.sleep(0.0005)
    ready_ms = (time.monotonic() - t0) * 1000
    return proc, url, ready_ms


def start_nginx(body, tmp, workers=2):
    port = free_port()
    conf = os.path.join(tmp, "nginx-%d.conf" % port)
    escaped = body.replace("\\", "\\\\").replace("'", "\\'")
    with open(conf, "w") as f:
        f.write("""worker_processes %(w)d; daemon off; pid %(t)s/nginx-%(p)d.pid; error_log %(t)s/nginx.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path %(t)s; proxy_temp_path %(t)s;
  fastcgi_temp_path %(t)s; uwsgi_temp_path %(t)s; scgi_temp_path %(t)s;
  server { listen 127.0.0.1:%(p)d; location / { default_type application/json;
    return 200 '%(b)s'; } } }
""" % {"t": tmp, "p": port, "b": escaped, "w": workers})
    proc = subprocess.Popen(["/usr/sbin/nginx", "-c", conf, "-p", tmp],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    for _ in range(500):
        try:
            urllib.request.urlopen(url + "/", timeout=1).read()
            return proc, url
        except Exception:
            time.sleep(0.01)
    sys.exit("nginx did not start")


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", default=os.path.join(REPO, "build", "ferry"))
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ferry-bench-")
    ferry, furl, ready_ms = start_ferry(args.ferry, args.model_dir, tmp)
    infer = furl + "/v2/models/iris/infer"
    body = post(infer, ONE_ROW).decode()
    # The fixed nginx body has the same size as Ferry's answer (ids differ per request).
    nginx, nurl = start_nginx(body, tmp)
    batch = {"parameters": {"content_type": "np"},
             "inputs": [{"name": "features", "shape": [64, 4], "datatype": "FP64",
                         "data": [[6.8, 2.8, 4.8, 1.4]] * 64}]}
    rows = []
    try:
        for conns in (16, 64):
            # Alternate five times and keep each side's median run (by req/s):
            # on 2 shared cores one run of either server swings by ±20%.
            ns, fs = [], []
            for _ in range(ROUNDS):
                ns.append(wrk(nurl + "/", ONE_ROW, conns, args.seconds, tmp))
                fs.append(wrk(infer, ONE_ROW, conns, args.seconds, tmp))
            n, f = median_run(ns), median_run(fs)
            n["non2xx"] = sum(x["non2xx"] for x in ns)
            f["non2xx"] = sum(x["non2xx"] for x in fs)
            rows.append((conns, n, f, ns, fs))
        fb = wrk(infer, batch, 64, args.seconds, tmp)
        rss = rss_mb(ferry.pid)
    finally:
        ferry.terminate()
        nginx.terminate()
        ferry.wait()
        nginx.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("| connections | nginx req/s | ferry req/s | ratio | nginx p50/p99 ms | ferry p50/p99 ms | p99 ratio |")
    print("|---|---|---|---|---|---|---|")
    for conns, n, f, _, _ in rows:
        print("| %d | %.0f | %.0f | **%.2f×** | %.3f / %.3f | %.3f / %.3f | **%.2f×** |" % (
            conns, n["rps"], f["rps"], f["rps"] / n["rps"], n["p50"], n["p99"], f["p50"], f["p99"],
            f["p99"] / n["p99"]))
    print()
    print("- 64-row batch, 64 connections: %.0f req/s (%.0f rows/s), p50 %.3f ms, p99 %.3f ms" % (
        fb["rps"], fb["rps"] * 64, fb["p50"], fb["p99"]))
    print("- start → ready (process spawn to first 200 on /v2/health/ready): %.1f ms" % ready_ms)
    print("- RSS after the load runs: %.1f MB" % rss)
    for conns, _, _, ns, fs in rows:
        print("- every run at %d connections (req/s, in order): nginx %s, ferry %s" % (
            conns, ", ".join("%.0f" % x["rps"] for x in ns), ", ".join("%.0f" % x["rps"] for x in fs)))
    errs = [x for _, n, f, _, _ in rows for x in (n, f)] + [fb]
    bad = sum(x["non2xx"] for x in errs)
    print("- non-2xx responses during the runs: %d" % bad)
    print("- 1-minute load average when done: %.2f" % os.getloadavg()[0])


if __name__ == "__main__":
    main()
