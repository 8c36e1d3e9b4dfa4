#!/usr/bin/python3
"""1,000 InferenceServices applied at once to `ferry up --profile none`: the
seed's iris model (MLflow, file:// under --allow-local-models, so no network
storage is involved), POSTed through the HTTPS API by 8 client threads as
fast as it accepts them; then the list is read every 0.2 s until every one
is Ready. Measured: the last apply's time, all Ready after the last apply,
the process's RSS (VmRSS, VmHWM) once all are Ready, and the one-row V2 p99
through the external gateway to one InferenceService when it is the only
one and again with all 1,000 Ready (same process, same client: 2,000
sequential requests on one keep-alive connection each time).

Usage: many_isvc_bench.py --ferry FERRY --model_dir DIR [--count 1000]
Writes markdown to stdout. Traffic goes to 127.0.0.1 only; loops are bounded.
"""
import argparse
import concurrent.futures
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time

import requests
import urllib3

urllib3.disable_warnings()
NS = "bench"
ONE_ROW = {"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP64",
                       "data": [[6.8, 2.8, 4.8, 1.4]]}]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def isvc(name, uri):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "mlflow"},
                                             "protocolVersion": "v2", "storageUri": uri}}}}


def ready(obj):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in obj.get("status", {}).get("conditions", []))


def p99_ms(http_port, name, n=2000):
    s = requests.Session()
    s.trust_env = False
    url = "http://127.0.0.1:%d/v2/models/%s/infer" % (http_port, name)
    host = {"Host": "%s.%s.example.com" % (name, NS)}
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        r = s.post(url, json=ONE_ROW, headers=host, timeout=10)
        lat.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
    lat.sort()
    return lat[int(len(lat) * 0.99) - 1], statistics.median(lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--keep_log", help="copy ferry's output here at the end")
    ap.add_argument("--perf_data", help="also `perf record -g` the process from the first "
                    "apply until all are Ready, into this file")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ferry-many-")
    models = os.path.join(tmp, "models")
    shutil.copytree(a.model_dir, os.path.join(models, "iris"))
    uri = "file://" + os.path.join(models, "iris")
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    api, http_port = free_port(), free_port()
    log = open(os.path.join(tmp, "up.log"), "w")
    proc = subprocess.Popen([a.ferry, "up", "--data-dir", data, "--bind", "127.0.0.1",
                             "--api-port", str(api), "--http-port", str(http_port),
                             "--internal-port", str(free_port()), "--profile", "none",
                             "--allow-local-models", models], stdout=log, stderr=subprocess.STDOUT)
    base = "https://127.0.0.1:%d" % api
    local = threading.local()

    def session():
        if not hasattr(local, "s"):
            local.s = requests.Session()
            local.s.verify = False
            local.s.trust_env = False
            with open(os.path.join(data, "admin-token")) as f:
                local.s.headers["Authorization"] = "Bearer " + f.read().strip()
        return local.s

    try:
        deadline = time.time() + 30
        while True:
            try:
                if requests.get(base + "/readyz", verify=False, timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                raise RuntimeError("ferry up did not become ready")
            time.sleep(0.05)
        coll = base + "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices" % NS
        session().post(base + "/api/v1/namespaces", json={
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        # One alone first: the one-row p99 with one InferenceService.
        assert session().post(coll, json=isvc("iris-0000", uri)).status_code == 201
        deadline = time.time() + 60
        while not ready(session().get(coll + "/iris-0000").json()):
            if time.time() > deadline:
                raise RuntimeError("iris-0000 not Ready")
            time.sleep(0.05)
        p99_one, med_one = p99_ms(http_port, "iris-0000")
        rss_one = vm(proc.pid, "VmRSS")

        def apply(i):
            r = session().post(coll, json=isvc("iris-%04d" % i, uri))
            assert r.status_code == 201, r.text
            return time.perf_counter()

        perf = None
        if a.perf_data:
            perf = subprocess.Popen(["perf", "record", "-g", "-q", "-o", a.perf_data, "-p",
                                     str(proc.pid)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(0.5)
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            last_apply = max(pool.map(apply, range(1, a.count)))
        n_ready = 0
        all_ready = None
        while time.perf_counter() - last_apply < 300:
            items = session().get(coll).json()["items"]
            n_ready = sum(1 for o in items if ready(o))
            if n_ready == a.count:
                all_ready = time.perf_counter()
                break
            time.sleep(0.2)
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait(60)
        rss, hwm = vm(proc.pid, "VmRSS"), vm(proc.pid, "VmHWM")
        threads = int(vm(proc.pid, "Threads") * 1024)
        cpu = sum(int(x) for x in open("/proc/%d/stat" % proc.pid).read().rsplit(")", 1)[1]
                  .split()[11:13]) / os.sysconf("SC_CLK_TCK")
        p99_all, med_all = p99_ms(http_port, "iris-0000")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if a.keep_log:
            shutil.copy(os.path.join(tmp, "up.log"), a.keep_log)
        shutil.rmtree(tmp, ignore_errors=True)
    print("`ferry up --profile none`, %d InferenceServices of the seed's iris model (file://), "
          "applied by 8 client threads; 1-minute load average at the end: %.1f.\n"
          % (a.count, os.getloadavg()[0]))
    print("| metric | value | target |")
    print("|---|---|---|")
    print("| applies (first → last accepted) | %.2f s | |" % (last_apply - t0))
    print("| all Ready after the last apply | %s | ≤ 5 s: %s |" % (
        "%.2f s" % (all_ready - last_apply) if all_ready else "not in 300 s (%d Ready)" % n_ready,
        "met" if all_ready and all_ready - last_apply <= 5 else "NOT met"))
    print("| RSS with all Ready (VmRSS / VmHWM) | %.1f / %.1f MB | ≤ 300 MB: %s |" % (
        rss, hwm, "met" if hwm <= 300 else "NOT met"))
    print("| RSS with one InferenceService | %.1f MB | |" % rss_one)
    print("| threads with all Ready | %d | |" % threads)
    print("| process CPU time, start → all Ready (user + system) | %.1f s | |" % cpu)
    print("| one-row V2 via the gateway, 1 InferenceService: p99 / median | %.2f / %.2f ms | |"
          % (p99_one, med_one))
    print("| the same with %d Ready: p99 / median | %.2f / %.2f ms | p99 unchanged: %.2fx |"
          % (a.count, p99_all, med_all, p99_all / p99_one))


if __name__ == "__main__":
    main()
