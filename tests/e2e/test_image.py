#!/usr/bin/python3
"""Ferry's container image, run the way a kubelet would run KServe's pod
(`podman run` is refused by this sandbox, see docs/kubernetes.md): the image's
file system is exported, and its entrypoint started as the image's user in new
mount and PID namespaces (the process is PID 1, as in a container), chrooted,
inside a cgroup with a 1-CPU quota (a pod's `limits.cpu: 1`):

1. the storage-initializer container KServe builds (inferenceservice-config
   merged with deploy/kserve's ClusterStorageContainer: `ferry
   storage-initializer SRC /mnt/models`) downloads the seed model from the S3
   test server into an empty /mnt/models with KServe's S3 environment;
2. the kserve-container KServe builds from deploy/kserve's `ferry` runtime
   (MergeRuntimeContainers + the Go template) serves it with /mnt/models
   mounted read-only: probes, V1, V2 REST; SIGTERM drains and exits 0;
3. the same from the `ferry-grpc` runtime: the TCP readiness probe on its h2c
   port, then V2 gRPC.

Ports are replaced by free ones and --bind=127.0.0.1 is added (the test shares
the host's network). Needs root, podman, unshare/chroot and an image
(FERRY_IMAGE, default localhost/ferry:dev, built by `make image`); exits 77
(ctest: skipped) without them. Run with /usr/bin/python3.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

import requests
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kserve_rules as kr  # noqa: E402
from ferrytest import SEED_REQUEST, ensure_s3, free_port, mlflow_models, s3_upload  # noqa: E402

IMAGE = os.environ.get("FERRY_IMAGE", "localhost/ferry:dev")
DEPLOY = os.path.join(kr.REPO, "deploy", "kserve")
SKIP = 77
ROWS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


def skip_reason():
    if os.geteuid() != 0:
        return "needs root (mount and PID namespaces, chroot)"
    for tool in ("podman", "unshare", "chroot"):
        if not shutil.which(tool):
            return "%s is not installed (scripts/install-deps.sh image-test)" % tool
    if subprocess.run(["podman", "image", "exists", IMAGE]).returncode != 0:
        return "image %s not built (make image)" % IMAGE
    if not os.path.isdir("/sys/fs/cgroup"):
        return "no /sys/fs/cgroup"
    return None


def load(*path):
    with open(os.path.join(DEPLOY, *path)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def runtime(name):
    for f in ("cluster-serving-runtime.yaml", "cluster-serving-runtime-grpc.yaml"):
        for d in load("runtimes", f):
            if d["metadata"]["name"] == name:
                return d
    raise AssertionError(name)


def isvc(name):
    d = load("inferenceservice-%s.yaml" % name)[0]
    d["metadata"]["namespace"] = "my-profile"
    return d


class CpuCgroup:
    """A cgroup with a CPU quota for the pod's processes (v1 `cpu` or v2)."""

    def __init__(self, cpus=1):
        name = "ferry-image-test-%d" % os.getpid()
        v1 = "/sys/fs/cgroup/cpu"
        if os.path.exists(os.path.join(v1, "cpu.cfs_quota_us")):
            self.path = os.path.join(v1, name)
            os.makedirs(self.path)
            with open(os.path.join(self.path, "cpu.cfs_quota_us"), "w") as f:
                f.write(str(100000 * cpus))
        else:
            self.path = os.path.join("/sys/fs/cgroup", name)
            os.makedirs(self.path)
            with open(os.path.join(self.path, "cpu.max"), "w") as f:
                f.write("%d 100000" % (100000 * cpus))

    def enter(self):
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))

    def remove(self):
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return
            except OSError:
                time.sleep(0.1)


class Pod:
    """One container of the image as PID 1 of its own PID namespace, chrooted
    into the image's file system as the image's user, /mnt/models bind-mounted
    (read-only for the model server), in the CPU-limited cgroup."""

    SCRIPT = """set -e
root=$1; models=$2; mode=$3; user=$4; shift 4
mount --rbind /sys "$root/sys"
mount --bind "$models" "$root/mnt/models"
if [ "$mode" = ro ]; then mount -o remount,bind,ro "$root/mnt/models"; fi
exec chroot --userspec="$user" "$root" "$@"
"""

    def __init__(self, image, argv, env, models, read_only, cgroup):
        self.log = tempfile.NamedTemporaryFile(prefix="ferry-image-pod-", suffix=".log",
                                               delete=False)
        cmd = ["unshare", "-m", "-p", "-f", "--mount-proc=%s/proc" % image.root,
               "sh", "-c", self.SCRIPT, "pod", image.root, models,
               "ro" if read_only else "rw", image.userspec] + argv
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=cgroup.enter)

    def output(self):
        with open(self.log.name) as f:
            return f.read()

    def container_pid(self):
        """The host PID of the container's PID 1 (unshare's child)."""
        deadline = time.time() + 10
        while time.time() < deadline:
            kids = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                                  text=True).stdout.split()
            if kids:
                return int(kids[0])
            time.sleep(0.02)
        raise AssertionError("no container process:\n" + self.output())

    def wait(self, timeout=120):
        return self.proc.wait(timeout)

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.container_pid(), signal.SIGTERM)
                self.proc.wait(30)
            except (subprocess.TimeoutExpired, AssertionError, ProcessLookupError):
                self.proc.kill()
                self.proc.wait()
        os.unlink(self.log.name)


class Image:
    """The image's file system and configuration, as a kubelet sees them."""

    def __init__(self, tag, tmp):
        t0 = time.time()
        info = json.loads(subprocess.run(["podman", "image", "inspect", tag], check=True,
                                         capture_output=True, text=True).stdout)[0]
        self.config = info["Config"]
        self.root = os.path.join(tmp, "rootfs")
        os.makedirs(self.root)
        cid = subprocess.run(["podman", "create", tag], check=True, capture_output=True,
                             text=True).stdout.strip()
        try:
            tar = os.path.join(tmp, "rootfs.tar")
            subprocess.run(["podman", "export", cid, "-o", tar], check=True)
        finally:
            subprocess.run(["podman", "rm", cid], capture_output=True)
        subprocess.run(["tar", "-xf", tar, "--numeric-owner", "-C", self.root], check=True)
        os.unlink(tar)
        self.export_seconds = time.time() - t0
        user = self.config.get("User", "")
        uid, _, gid = user.partition(":")
        if not uid.isdigit():
            raise AssertionError("image USER %r is not numeric: runAsNonRoot cannot verify it"
                                 % user)
        if not gid:  # the user's primary group, from the image's /etc/passwd
            with open(os.path.join(self.root, "etc", "passwd")) as f:
                for line in f:
                    fields = line.split(":")
                    if fields[2] == uid:
                        gid = fields[3]
        self.uid, self.gid = int(uid), int(gid or 0)
        self.userspec = "%d:%d" % (self.uid, self.gid)
        self.env = dict(e.split("=", 1) for e in self.config.get("Env") or [])

    def argv(self, container):
        """ENTRYPOINT/CMD as Kubernetes combines them with command/args."""
        command = container.get("command") or self.config.get("Entrypoint") or []
        args = container.get("args")
        if args is None and not container.get("command"):
            args = self.config.get("Cmd") or []
        return list(command) + list(args or [])


def with_ports(argv, http, grpc):
    out = []
    for a in argv:
        a = re.sub(r"^--http_port=8080$", "--http_port=%d" % http, a)
        a = re.sub(r"^--grpc_port=8081$", "--grpc_port=%d" % grpc, a)
        out.append(a)
    return out + ["--bind=127.0.0.1"]


class ImagePodTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Class cleanups run even when this setup fails half-way.
        cls.tmp = tempfile.mkdtemp(prefix="ferry-image-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.image = Image(IMAGE, cls.tmp)
        cls.cgroup = CpuCgroup(cpus=1)
        cls.addClassCleanup(cls.cgroup.remove)
        cls.src = os.path.join(mlflow_models(), "iris_tensor")
        cls.uri = "s3://mlflow/image-%s/artifacts/iris_model" % uuid.uuid4().hex[:8]
        s3_upload(cls.src, cls.uri)
        # KServe's emptyDir for /mnt/models: a volume of its own (in a pod, another
        # file system than the container's overlay root), empty, writable by any uid.
        cls.models = os.path.join(cls.tmp, "kserve-provision-location")
        os.makedirs(cls.models)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m,mode=0777",
                        "kserve-provision-location", cls.models], check=True)
        cls.addClassCleanup(subprocess.run, ["umount", cls.models])
        cls.init_seconds = cls.run_storage_initializer()

    @classmethod
    def tearDownClass(cls):
        print("\nimage rootfs export %.1f s, storage initializer %.2f s"
              % (cls.image.export_seconds, cls.init_seconds), file=sys.stderr)

    @classmethod
    def run_storage_initializer(cls):
        csc = load("storage-initializer", "cluster-storage-container.yaml")[0]
        user = kr.kserve_container(runtime("ferry"), isvc("irish-s3"))
        init = kr.storage_initializer_container(kr.KServe("v0.15.0"), cls.uri, user, csc)
        cls.init_container = init
        endpoint, access, secret = ensure_s3()
        hostport = endpoint.split("://")[1]
        # What KServe injects from the seed's Secret (s3-endpoint, s3-usehttps "0", ...).
        env = dict(cls.image.env, S3_ENDPOINT=hostport, AWS_ENDPOINT_URL="http://" + hostport,
                   S3_USE_HTTPS="0", S3_VERIFY_SSL="0", AWS_DEFAULT_REGION="us-east-2",
                   AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret)
        t0 = time.time()
        pod = Pod(cls.image, cls.image.argv(init), env, cls.models, False, cls.cgroup)
        rc = pod.wait()
        cls.init_output = pod.output()
        pod.stop()
        if rc != 0:
            raise AssertionError("storage initializer exited %d:\n%s" % (rc, cls.init_output))
        return time.time() - t0

    def serve(self, rt, name):
        c = kr.kserve_container(runtime(rt), isvc(name))
        http, grpc = free_port(), free_port()
        # Knative/KServe's environment for the serving container.
        env = dict(self.image.env, PORT=str(http), K_SERVICE=name + "-predictor",
                   K_REVISION=name + "-predictor-00001", PROTOCOL_VERSION="v2")
        for e in c.get("env", []):
            env[e["name"]] = e["value"]
        pod = Pod(self.image, with_ports(self.image.argv(c), http, grpc), env, self.models, True,
                  self.cgroup)
        self.addCleanup(pod.stop)
        return c, pod, http, grpc

    def wait_http(self, pod, url, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.assertIsNone(pod.proc.poll(), pod.output())
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.02)
        self.fail("not ready:\n" + pod.output())

    def test_storage_initializer_filled_mnt_models_as_the_image_user(self):
        self.assertEqual(self.image.argv(self.init_container)[:4],
                         ["ferry", "storage-initializer", self.uri, "/mnt/models"])
        self.assertRegex(self.init_output, r"Model downloaded in [0-9.]+ seconds")
        self.assertIn("1 CPU (cgroup limit 1 from", self.init_output)
        want = sorted(os.path.relpath(os.path.join(r, f), self.src)
                      for r, _, fs in os.walk(self.src) for f in fs)
        got = sorted(os.path.relpath(os.path.join(r, f), self.models)
                     for r, _, fs in os.walk(self.models) for f in fs)
        self.assertEqual([g for g in got if g != ".ferry-complete"], want)
        for rel in want:
            st = os.stat(os.path.join(self.models, rel))
            self.assertEqual(st.st_uid, self.image.uid, rel)
            with open(os.path.join(self.src, rel), "rb") as a, \
                    open(os.path.join(self.models, rel), "rb") as b:
                self.assertEqual(a.read(), b.read(), rel)

    def test_rest_runtime_pod(self):
        c, pod, http, _ = self.serve("ferry", "irish-s3")
        url = "http://127.0.0.1:%d" % http
        t0 = time.time()
        self.wait_http(pod, url + c["readinessProbe"]["httpGet"]["path"])
        ready = time.time() - t0
        for probe in ("readinessProbe", "livenessProbe"):
            r = requests.get(url + c[probe]["httpGet"]["path"], timeout=5)
            self.assertEqual(r.status_code, 200, probe)
        r = requests.post(url + "/v1/models/irish-s3:predict", json={"instances": ROWS},
                          timeout=10)
        self.assertEqual(r.json(), {"predictions": [1, 1]}, r.text)
        r = requests.post(url + "/v2/models/irish-s3/infer", json=SEED_REQUEST, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])
        # PID 1 of its namespace, the image's user, the 1-CPU limit seen.
        pid = pod.container_pid()
        with open("/proc/%d/status" % pid) as f:
            uids = [ln.split()[1:] for ln in f if ln.startswith("Uid:")][0]
        self.assertEqual(set(uids), {str(self.image.uid)})
        self.assertIn("1 CPU (cgroup limit 1 from", pod.output())
        self.assertIn("1 I/O threads, 1 predict threads", pod.output())
        # /mnt/models is read-only for the model server, as KServe mounts it.
        probe = Pod(self.image, ["sh", "-c", "touch /mnt/models/x"], self.image.env,
                    self.models, True, self.cgroup)
        self.assertNotEqual(probe.wait(), 0)
        self.assertIn("Read-only file system", probe.output())
        probe.stop()
        # The kubelet's SIGTERM to PID 1: drain and exit 0.
        os.kill(pod.container_pid(), signal.SIGTERM)
        self.assertEqual(pod.wait(30), 0, pod.output())
        self.assertIn("SIGTERM received, draining", pod.output())
        print("\nREST pod ready in %.2f s" % ready, file=sys.stderr)

    def test_grpc_runtime_pod(self):
        try:
            import test_grpc
            pb, rpc = test_grpc.stubs()
        except Exception as e:  # gRPC tools or proto not available
            self.skipTest("no gRPC client: %s" % e)
        c, pod, _, grpc_port = self.serve("ferry-grpc", "irish-s3-grpc")
        self.assertEqual(c["readinessProbe"]["tcpSocket"]["port"], 8081)
        deadline = time.time() + 60
        while True:  # the TCP readiness probe on the h2c port
            self.assertIsNone(pod.proc.poll(), pod.output())
            try:
                socket.create_connection(("127.0.0.1", grpc_port), timeout=1).close()
                break
            except OSError:
                self.assertLess(time.time(), deadline, pod.output())
                time.sleep(0.02)
        ch = test_grpc.channel(grpc_port)
        stub = rpc.GRPCInferenceServiceStub(ch)
        self.assertTrue(stub.ModelReady(pb.ModelReadyRequest(name="irish-s3-grpc"),
                                        timeout=10).ready)
        res = stub.ModelInfer(test_grpc.seed_request(pb, "irish-s3-grpc"), timeout=10)
        self.assertEqual(list(res.outputs[0].contents.int64_contents), [1, 1])
        ch.close()


if __name__ == "__main__":
    reason = skip_reason()
    if reason:
        print("SKIP: " + reason)
        sys.exit(SKIP)
    unittest.main(verbosity=2)
