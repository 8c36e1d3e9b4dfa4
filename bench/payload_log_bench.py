#!/usr/bin/python3
"""Payload logging cost: one-row V2 iris calls through `ferry up`'s external gateway to an
InferenceService with spec.predictor.logger (mode all: two CloudEvents per call, POSTed to a
local nginx that answers 200) vs an identical InferenceService without a logger, in the same
`ferry up` (--workers 2), same run. wrk -t2 -c16 alternates between the two over several
rounds; each side's median counts. Server CPU is the ferry process's user + system time over a
run divided by its requests; the receiver's CPU (nginx workers' user + system time) is reported
per event separately, since on a shared 2-core box it competes with Ferry for the same cores. The logger's counters
(sent/dropped/failed) are reported per logged run: a queue that fills drops events rather than
slowing inferences, and the figures say how many. Target: logged ≥ 0.85× unlogged req/s.

--receiver lean replaces nginx with bench/lean_receiver.c (compiled here): one thread that answers
the pipelined requests of one read with one write, so the receiver's share of the shared cores
is small and the ratio shows mostly what the logger costs Ferry.

With --callgrind N, a second part counts user-space instructions per request, which do not
move with the machine's load: `ferry up` under valgrind's callgrind, N one-row calls to each
InferenceService (8 client threads, fixed count), the logged side measured until its 2N events
were answered by the receiver (the sender threads' work is in the count). --baseline OLD/ferry
measures an older build the same way (same run), for a before/after of the logger itself.

Writes a markdown section to stdout; bench/run.sh puts it in bench/RESULTS.md.
Traffic goes to 127.0.0.1 only; every wrk run is bounded in time, every count fixed.
"""
import argparse
import glob
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
from grpc_bench import children_cpu_seconds, cpu_seconds  # noqa: E402
from http_bench import ONE_ROW, free_port, start_nginx, wrk  # noqa: E402

NS = "bench"


def isvc(name, models, logger_url=None):
    text = ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: %s\nspec:\n  predictor:\n" % name)
    if logger_url:
        text += "    logger:\n      mode: all\n      url: %s\n" % logger_url
    return text + ("    model:\n      modelFormat:\n        name: mlflow\n"
                   "      protocolVersion: v2\n      storageUri: file://%s\n" % models)


def deploy(up, models, receiver, timeout, then=None):
    """The two InferenceServices, `plain` and `logged` (to `receiver`), applied and Ready."""
    up.kubectl("create", "namespace", NS)
    up.kubectl("apply", "-n", NS, "-f", "-", input=isvc("plain", models))
    up.kubectl("apply", "-n", NS, "-f", "-", input=isvc("logged", models, receiver + "/"))
    for name in ("plain", "logged"):
        up.kubectl("wait", "--for=condition=Ready", "isvc/" + name, "-n", NS,
                   "--timeout=" + timeout)
        if then:
            then(name)


def counters(up):
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % up.http_port,
                                 headers={"Host": "plain.%s.example.com" % NS})
    text = urllib.request.urlopen(req, timeout=5).read().decode()
    out = {}
    for key in ("sent", "dropped", "failed"):
        m = re.search(r"^ferry_payload_log_events_%s_total (\d+)$" % key, text, re.M)
        out[key] = int(m.group(1))
    return out


def start_lean_receiver(tmp):
    """bench/lean_receiver.c, compiled into tmp and listening on a free port."""
    binary = os.path.join(tmp, "lean_receiver")
    subprocess.run(["gcc", "-O2", "-o", binary, os.path.join(REPO, "bench", "lean_receiver.c")],
                   check=True)
    port = free_port()
    proc = subprocess.Popen([binary, str(port)], stdout=subprocess.PIPE)
    if proc.stdout.readline().strip() != b"ready":
        sys.exit("lean_receiver did not start")
    return proc, "http://127.0.0.1:%d" % port


def nginx_workers(master_pid):
    """The nginx worker processes (children of the master)."""
    with open("/proc/%d/task/%d/children" % (master_pid, master_pid)) as f:
        return [int(p) for p in f.read().split()]


def workers_cpu(pids):
    return sum(cpu_seconds(p) for p in pids)


def calls(port, name, n, threads=8):
    """n one-row V2 calls to `name`, spread over `threads` keep-alive connections."""
    body = json.dumps(ONE_ROW)
    headers = {"Content-Type": "application/json", "Host": "%s.%s.example.com" % (name, NS)}
    errors = []

    def run(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(count):
            conn.request("POST", "/v2/models/%s/infer" % name, body, headers)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                errors.append(r.status)
    ts = [threading.Thread(target=run, args=(n // threads,)) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        sys.exit("calls to %s failed: %r" % (name, errors[:5]))
    return (n // threads) * threads


def instructions(binary, models, receiver, n, keep=None):
    """User-space instructions per call of each side, `ferry up` under callgrind; `keep` is a
    directory that gets the dumps (callgrind_annotate reads them), else they are removed."""
    import ferrytest  # noqa: E402
    tmp = keep or tempfile.mkdtemp(prefix="ferry-payload-log-ir-")
    os.makedirs(tmp, exist_ok=True)
    wrapper = os.path.join(tmp, "ferry")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec valgrind --tool=callgrind --dump-instr=no --compress-strings=no "
                "--callgrind-out-file=%s/cg.%%p %s \"$@\"\n" % (tmp, os.path.abspath(binary)))
    os.chmod(wrapper, 0o755)

    class SlowUp(ferrytest.Up):
        """ferrytest.Up with the wrapper and a start-up wait fit for valgrind."""

        def start(self):
            self.log = open(self.log_path, "a")
            self.proc = subprocess.Popen(
                [wrapper, "up", "--data-dir", self.data_dir, "--bind", "127.0.0.1",
                 "--api-port", str(self.api_port), "--http-port", str(self.http_port),
                 "--internal-port", str(self.internal_port), "--profile", self.profile] +
                self.extra, stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.time() + 300
            while "export KUBECONFIG" not in self.output():
                if self.proc.poll() is not None or time.time() > deadline:
                    sys.exit("ferry up did not start under valgrind:\n" + self.output())
                time.sleep(0.1)

    up = SlowUp(profile="none", extra=["--workers", "2", "--allow-local-models", models])
    control = lambda *a: subprocess.run(["callgrind_control", *a, str(up.proc.pid)],  # noqa
                                        capture_output=True, check=True, timeout=300)
    result = {}
    try:
        deploy(up, models, receiver, "300s",
               lambda name: calls(up.http_port, name, 400))  # warm-up: connections, caches
        time.sleep(1)
        for name in ("plain", "logged"):
            before = counters(up)
            control("-z")
            done = calls(up.http_port, name, n)
            if name == "logged":
                deadline = time.time() + 120
                while True:  # until the receiver answered every event of these calls
                    c = counters(up)
                    if sum(c[k] - before[k] for k in c) >= 2 * done or time.time() > deadline:
                        break
                    time.sleep(0.2)
            dumps = set(glob.glob(os.path.join(tmp, "cg.*")))
            control("-d")
            for _ in range(600):
                new = set(glob.glob(os.path.join(tmp, "cg.*"))) - dumps
                if new:
                    break
                time.sleep(0.1)
            time.sleep(0.5)
            dumped = new.pop()
            with open(dumped) as f:
                total = next(int(line.split()[1]) for line in f if line.startswith("summary:"))
            after = counters(up)
            if keep:
                os.rename(dumped, os.path.join(keep, "%s.callgrind" % name))
            result[name] = {"ir": total / done,
                            "events": {k: after[k] - before[k] for k in after}}
    finally:
        up.stop()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", default=os.path.join(REPO, "build", "ferry"))
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--callgrind", type=int, default=0,
                    help="also count instructions over this many calls per side")
    ap.add_argument("--baseline", help="an older ferry binary counted the same way")
    ap.add_argument("--callgrind_dir", help="keep the callgrind dumps here (this build's)")
    ap.add_argument("--receiver", choices=("nginx", "lean"), default="nginx",
                    help="nginx (2 workers) or bench/lean_receiver.c (one thread)")
    args = ap.parse_args()
    os.environ["FERRY_BIN"] = os.path.abspath(args.ferry)
    import ferrytest  # noqa: E402  (reads FERRY_BIN at import)
    tmp = tempfile.mkdtemp(prefix="ferry-payload-log-bench-")
    if args.receiver == "lean":
        nginx, receiver = start_lean_receiver(tmp)
    else:
        nginx, receiver = start_nginx("", tmp)
    models = os.path.abspath(args.model_dir)
    up = ferrytest.Up(profile="none", extra=["--workers", "2", "--allow-local-models", models])
    runs = {"plain": [], "logged": []}
    workers = [nginx.pid] if args.receiver == "lean" else nginx_workers(nginx.pid)
    ir = {}
    try:
        deploy(up, models, receiver, "60s")
        url = "http://127.0.0.1:%d/v2/models/%%s/infer" % up.http_port
        for _ in range(args.rounds):
            for name in ("plain", "logged"):
                before, cpu0 = counters(up), cpu_seconds(up.proc.pid)
                ncpu0, wcpu0 = workers_cpu(workers), children_cpu_seconds()
                r = wrk(url % name, ONE_ROW, 16, args.seconds, tmp,
                        headers={"Host": "%s.%s.example.com" % (name, NS)})
                cpu = cpu_seconds(up.proc.pid) - cpu0
                ncpu = workers_cpu(workers) - ncpu0
                after = counters(up)
                r["cpu_us"] = cpu * 1e6 / max(r["rps"] * args.seconds, 1)
                r["nginx_cpu"] = ncpu
                r["wrk_us"] = (children_cpu_seconds() - wcpu0) * 1e6 / max(
                    r["rps"] * args.seconds, 1)
                r["events"] = {k: after[k] - before[k] for k in after}
                r["calls"] = r["rps"] * args.seconds
                runs[name].append(r)
        up.stop()
        if args.callgrind:
            ir["candidate"] = instructions(args.ferry, models, receiver, args.callgrind,
                                          args.callgrind_dir)
            if args.baseline:
                ir["baseline"] = instructions(args.baseline, models, receiver, args.callgrind)
    finally:
        up.stop()
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    med = {side: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p99", "cpu_us")}
           for side, rs in runs.items()}
    print("| side | req/s (median) | p99 ms | server CPU µs/req |")
    print("|---|---|---|---|")
    receiver_name = "lean_receiver, one thread" if args.receiver == "lean" else \
        "nginx, 2 workers"
    for side, label in (("plain", "no logger"),
                        ("logged", "logger mode all → local " + receiver_name.split(",")[0])):
        m = med[side]
        print("| %s | %.0f | %.3f | %.1f |" % (label, m["rps"], m["p99"], m["cpu_us"]))
    ratio = med["logged"]["rps"] / med["plain"]["rps"]
    print()
    print("- throughput ratio logged / unlogged: **%.2f×** (target ≥ 0.85×): %s" % (
        ratio, "met" if ratio >= 0.85 else "NOT met"))
    print("- Ferry's CPU per request logged / unlogged: **%.2f×** (%.1f → %.1f µs)" % (
        med["logged"]["cpu_us"] / med["plain"]["cpu_us"], med["plain"]["cpu_us"],
        med["logged"]["cpu_us"]))
    print("- every run's ratios, logged / the unlogged run before it (req/s; CPU/req): %s" % (
        ", ".join("%.2f; %.2f" % (l["rps"] / p["rps"], l["cpu_us"] / p["cpu_us"])
                  for p, l in zip(runs["plain"], runs["logged"]))))
    nginx_cpu = sum(r["nginx_cpu"] for r in runs["logged"])
    nginx_events = sum(r["events"]["sent"] for r in runs["logged"])
    print("- the receiver (%s) during the logged runs: %.1f µs CPU per event, "
          "%.1f µs per logged call (on the same 2 cores as Ferry and wrk)" % (receiver_name,
              nginx_cpu * 1e6 / max(nginx_events, 1),
              nginx_cpu * 1e6 / max(sum(r["calls"] for r in runs["logged"]), 1)))
    # If every event got through, the 2 cores would be shared per call by Ferry, the load
    # generator and the receiver: the throughput ratio CPU alone allows.
    wrk_us = statistics.median(r["wrk_us"] for rs in runs.values() for r in rs)
    per_event = nginx_cpu * 1e6 / max(nginx_events, 1)
    bound = (med["plain"]["cpu_us"] + wrk_us) / (
        med["logged"]["cpu_us"] + wrk_us + 2 * per_event)
    print("- wrk's CPU per request: %.1f µs. With no event dropped, CPU alone would allow at most "
          "(Ferry + wrk) / (Ferry logged + wrk + 2 × receiver per event) = **%.2f×** on cores "
          "shared with the receiver; with the receiver elsewhere, Ferry's CPU ratio alone: %.2f×"
          % (wrk_us, bound, med["plain"]["cpu_us"] / med["logged"]["cpu_us"]))
    for side in ("plain", "logged"):
        print("- every %s run (req/s, in order): %s" % (
            side, ", ".join("%.0f" % r["rps"] for r in runs[side])))
    sent = sum(r["events"]["sent"] for r in runs["logged"])
    dropped = sum(r["events"]["dropped"] for r in runs["logged"])
    failed = sum(r["events"]["failed"] for r in runs["logged"])
    calls = sum(r["calls"] for r in runs["logged"])
    print("- events during the logged runs: %d sent, %d dropped (queue full), %d failed, for "
          "about %.0f calls (2 events per call)" % (sent, dropped, failed, calls))
    bad = sum(r["non2xx"] for rs in runs.values() for r in rs)
    print("- non-2xx responses during the runs: %d" % bad)
    print("- 1-minute load average when done: %.2f (the machine is shared)" % os.getloadavg()[0])
    if ir:
        print()
        print("Instructions per call (callgrind, user space of the ferry process: I/O threads, "
              "executors and the logger's senders; %d calls per side, 8 client connections):"
              % args.callgrind)
        print()
        print("| build | no logger | logger mode all | ratio | events sent |")
        print("|---|---|---|---|---|")
        for build in ("baseline", "candidate"):
            if build in ir:
                m = ir[build]
                print("| %s | %.0f | %.0f | %.3f× | %d |" % (
                    "this build" if build == "candidate" else "baseline (%s)" % args.baseline,
                    m["plain"]["ir"], m["logged"]["ir"], m["logged"]["ir"] / m["plain"]["ir"],
                    m["logged"]["events"]["sent"]))


if __name__ == "__main__":
    main()
