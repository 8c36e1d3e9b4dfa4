#!/usr/bin/python3
"""Start time and memory of `ferry serve` on the seed model, this build against
a baseline binary (BASELINE_FERRY: e.g. main's build, which links every
runtime into the binary), measured alternately in the same run.

Per binary: exec -> ready (Popen until the first 200 from /v2/health/ready,
polled over one loopback connection every 0.2 ms), median of N runs; RSS
(VmRSS) after 1,000 one-row V2 requests on a keep-alive connection; peak RSS
of `ferry --version` (/usr/bin/time's %M) and its exec -> exit time; shared
libraries in `ldd`. The floor: the same harness starting a C program that
listens and answers 200 at once (Popen, exec, the polling client). Then what
linking libcurl + libarchive costs a process that never calls them (the
ceiling of loading them lazily): two C programs, identical but for those -l
flags, exec -> exit and peak RSS, median of 41.

Every run is printed. Writes markdown to stdout (bench/run.sh records it).
Traffic goes to 127.0.0.1 only; loops are bounded.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time

ONE_ROW = json.dumps({"parameters": {"content_type": "np"},
                      "inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP64",
                                  "data": [[6.8, 2.8, 4.8, 1.4]]}]}).encode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(sock, method, path, body=b""):
    req = ("%s %s HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
           "Content-Length: %d\r\n\r\n" % (method, path, len(body))).encode() + body
    sock.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split()[1]), rest


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0  # MB
    return 0.0


def cpu_ms(pid):
    """CPU time of every thread of `pid` so far (ms), from schedstat (ns): the
    figure that does not grow when other processes share the cores."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total / 1e6


def serve_once(binary, model_dir, requests_n):
    port = free_port()
    t0 = time.perf_counter()
    # The floor server (floor_server()) reads only --http_port.
    p = subprocess.Popen([binary, "serve", "--model_name", "irish-s3", "--model_dir", model_dir,
                          "--http_port", str(port), "--grpc_port", "0", "--bind", "127.0.0.1"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        sock = None
        deadline = t0 + 20
        while True:
            if time.perf_counter() > deadline or p.poll() is not None:
                raise RuntimeError("%s did not become ready" % binary)
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                status, _ = http(sock, "GET", "/v2/health/ready")
                if status == 200:
                    break
            except OSError:
                if sock is not None:
                    sock.close()
                sock = None
            time.sleep(0.0002)
        ready_ms = (time.perf_counter() - t0) * 1000
        ready_cpu = cpu_ms(p.pid)
        for _ in range(requests_n):
            status, _ = http(sock, "POST", "/v2/models/irish-s3/infer", ONE_ROW)
            assert status == 200, status
        rss = vm(p.pid, "VmRSS")
        sock.close()
        return ready_ms, rss, ready_cpu
    finally:
        p.terminate()
        p.wait(timeout=30)


def exit_once(argv):
    """exec -> exit (ms) and peak RSS (MB). The peak comes from /usr/bin/time
    (about 1 MB itself): Linux carries a forked parent's peak across exec, so
    the peak of a child of this Python process would be Python's."""
    with tempfile.NamedTemporaryFile("r") as out:
        t0 = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ms = (time.perf_counter() - t0) * 1000
        return ms, int(out.read().strip().splitlines()[-1]) / 1024.0


def ldd_count(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if line.strip())


FLOOR_C = r"""
/* Listens on 127.0.0.1:--http_port and answers every request 200 with a body
   the size of Ferry's one-row answer: the harness's own exec -> ready floor. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char** argv) {
  int port = 0, one = 1;
  for (int i = 1; i + 1 < argc; i++) if (!strcmp(argv[i], "--http_port")) port = atoi(argv[i + 1]);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr*)&a, sizeof a) || listen(s, 16)) return 1;
  for (;;) {
    int c = accept(s, 0, 0);
    char buf[65536];
    static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 15\r\n\r\n{\"ready\": true}";
    while (read(c, buf, sizeof buf) > 0 && write(c, r, sizeof r - 1) > 0) {
    }
    close(c);
  }
}
"""


def floor_server():
    """A C program that listens and answers 200 at once (no model, libc only)."""
    tmp = tempfile.mkdtemp(prefix="ferry-floor-")
    src, out = os.path.join(tmp, "floor.c"), os.path.join(tmp, "floor")
    with open(src, "w") as f:
        f.write(FLOOR_C)
    subprocess.run(["cc", "-O2", src, "-o", out], check=True)
    return out


def lazy_ceiling(runs):
    tmp = tempfile.mkdtemp(prefix="ferry-lazy-")
    src = os.path.join(tmp, "m.c")
    with open(src, "w") as f:
        f.write("int main(void) { return 0; }\n")
    plain, linked = os.path.join(tmp, "plain"), os.path.join(tmp, "linked")
    subprocess.run(["cc", "-O2", src, "-o", plain], check=True)
    subprocess.run(["cc", "-O2", src, "-o", linked, "-Wl,--no-as-needed", "-lcurl", "-larchive"],
                   check=True)
    rows = {"plain": [], "linked": []}
    for _ in range(runs):
        for name, path in (("plain", plain), ("linked", linked)):
            rows[name].append(exit_once([path]))
    return rows, ldd_count(linked) - ldd_count(plain)


def med(xs):
    return statistics.median(xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--model_dir", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--skip_lazy_ceiling", action="store_true",
                    help="leave out the libcurl/libarchive link-cost table")
    a = ap.parse_args()
    sides = (("baseline", a.baseline), ("this build", a.ferry))
    serve = {name: [] for name, _ in sides}
    version = {name: [] for name, _ in sides}
    floor_bin, floor = floor_server(), []
    for i in range(a.runs):
        for name, binary in (sides if i % 2 == 0 else sides[::-1]):
            serve[name].append(serve_once(binary, a.model_dir, a.requests))
            version[name].append(exit_once([binary, "--version"]))
        floor.append(serve_once(floor_bin, a.model_dir, 1))

    print("Baseline: `%s`; this build: `%s`; seed model `%s`; %d alternating runs per side."
          % (a.baseline, a.ferry, os.path.basename(a.model_dir.rstrip("/")), a.runs))
    print()
    print("| run | side | exec → ready (ms) | CPU until ready (ms) | RSS after %d requests (MB) "
          "| `--version` exec → exit (ms) | `--version` peak RSS (MB) |" % a.requests)
    print("|---|---|---|---|---|---|---|")
    for i in range(a.runs):
        for name, _ in sides:
            r, rss, cpu = serve[name][i]
            vt, vr = version[name][i]
            print("| %d | %s | %.1f | %.1f | %.1f | %.1f | %.1f |" % (i + 1, name, r, cpu, rss, vt,
                                                                      vr))
    print()
    print("| median | baseline | this build | this build / baseline |")
    print("|---|---|---|---|")
    rows = [
        ("exec → ready (ms)", [x[0] for x in serve["baseline"]], [x[0] for x in serve["this build"]]),
        ("CPU until ready (ms, all threads)", [x[2] for x in serve["baseline"]],
         [x[2] for x in serve["this build"]]),
        ("RSS after %d requests (MB)" % a.requests, [x[1] for x in serve["baseline"]],
         [x[1] for x in serve["this build"]]),
        ("`--version` exec → exit (ms)", [x[0] for x in version["baseline"]],
         [x[0] for x in version["this build"]]),
        ("`--version` peak RSS (MB)", [x[1] for x in version["baseline"]],
         [x[1] for x in version["this build"]]),
    ]
    for label, b, t in rows:
        print("| %s | %.1f | %.1f | %.2fx |" % (label, med(b), med(t), med(t) / med(b)))
    print("| floor: exec → ready of a C server answering 200 at once (ms) | %.1f | | |"
          % med([x[0] for x in floor]))
    print("| floor: its CPU until ready (ms) | %.1f | | |" % med([x[2] for x in floor]))
    print("| shared libraries (`ldd`) | %d | %d | %.2fx |"
          % (ldd_count(a.baseline), ldd_count(a.ferry), ldd_count(a.ferry) / ldd_count(a.baseline)))
    print()
    print("1-minute load average: %.1f (CPU time is the figure other processes do not inflate)."
          % os.getloadavg()[0])
    print()
    if a.skip_lazy_ceiling:
        return
    lazy, extra_libs = lazy_ceiling(41)
    print("Linking libcurl + libarchive into a program that never calls them (%d more shared "
          "libraries), median of 41 alternating runs:" % extra_libs)
    print()
    print("| | plain `main` | + `-lcurl -larchive` | difference |")
    print("|---|---|---|---|")
    pt, lt = med([x[0] for x in lazy["plain"]]), med([x[0] for x in lazy["linked"]])
    pr, lr = med([x[1] for x in lazy["plain"]]), med([x[1] for x in lazy["linked"]])
    print("| exec → exit (ms) | %.2f | %.2f | %+.2f |" % (pt, lt, lt - pt))
    print("| peak RSS (MB) | %.1f | %.1f | %+.1f |" % (pr, lr, lr - pr))


if __name__ == "__main__":
    main()
