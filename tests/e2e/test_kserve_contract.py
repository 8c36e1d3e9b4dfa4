#!/usr/bin/python3
"""Ferry as a KServe runtime: checks deploy/kserve/ and the Dockerfile against
KServe's contracts without a cluster.

- The ClusterServingRuntime's container is rendered the way KServe renders it
  (Go template over the container JSON with the InferenceService's ObjectMeta)
  and run as the pod would run it (image ENTRYPOINT `ferry` + args; FERRY_BIN
  replaces the entrypoint, the ports become free loopback ports), against a
  model directory laid out as /mnt/models (read-only). V1 and V2 REST (and V2
  gRPC when the binary has it) are called on the rendered ports; SIGTERM drains.
- The ClusterStorageContainer's container runs with KServe's S3 environment
  and must leave the model in DEST; `ferry serve` with STORAGE_URI and an empty
  --model_dir downloads first.
- Manifests: `kubectl apply --dry-run=client` and `--dry-run=server` against
  `ferry up` (kubectl needs API discovery for KServe's kinds). Schemas,
  admission, selection and the container merge against KServe's own
  artifacts are in test_kserve_artifacts.py.
- The Dockerfile: multi-stage, bookworm, non-root, ENTRYPOINT ferry, no build
  tools in the final stage. (The image itself: test_image.py.)

Run with /usr/bin/python3 (Debian's requests, yaml, boto3 via awscli).
"""
import copy
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
from ferrytest import (FERRY_BIN, REPO, SEED_REQUEST, Up, ensure_s3, free_port,  # noqa: E402
                       mlflow_models, s3_upload)

import kserve_rules as kr  # noqa: E402

DEPLOY = os.path.join(REPO, "deploy", "kserve")
DOCKERFILE = os.path.join(REPO, "Dockerfile")
ROWS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]


def load(*path):
    with open(os.path.join(DEPLOY, *path)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def runtime(name):
    """The ClusterServingRuntime `name` as deploy/kserve/runtimes ships it."""
    for f in sorted(os.listdir(os.path.join(DEPLOY, "runtimes"))):
        if f.endswith(".yaml") and f != "kustomization.yaml":
            for d in load("runtimes", f):
                if d["metadata"]["name"] == name:
                    return d
    raise AssertionError("no runtime %s in deploy/kserve/runtimes" % name)


def storage_container():
    return load("storage-initializer", "cluster-storage-container.yaml")[0]


def example_isvc(name="irish-s3"):
    isvc = [d for d in load("inferenceservice-%s.yaml" % name)][0]
    isvc = copy.deepcopy(isvc)
    isvc["metadata"].setdefault("namespace", "models")
    isvc["metadata"].setdefault("labels", {})["team"] = "fraud"
    isvc["metadata"].setdefault("annotations", {})["owner"] = "ml-platform"
    return isvc


def render_go_template(text, meta):
    return kr.render_go_template(text, meta)


def kserve_container(rt="ferry", isvc="irish-s3"):
    """The kserve-container KServe builds: runtime merged with the
    InferenceService's model container, then templated."""
    return kr.kserve_container(runtime(rt), example_isvc(isvc))


def isvc_meta():
    return example_isvc()["metadata"]


def entrypoint():
    with open(DOCKERFILE) as f:
        for line in f:
            if line.startswith("ENTRYPOINT"):
                return json.loads(line[len("ENTRYPOINT"):])
    raise AssertionError("Dockerfile has no ENTRYPOINT")


def pod_command(container, http_port, grpc_port, model_dir):
    """The kserve-container's argv with Ferry's image: ENTRYPOINT + args, the
    entrypoint resolved to FERRY_BIN, ports and /mnt/models replaced."""
    argv = container.get("command") or entrypoint()
    assert argv == ["ferry"], argv
    out = [FERRY_BIN]
    for a in container.get("args", []):
        a = a.replace("--http_port=8080", "--http_port=%d" % http_port)
        a = a.replace("--grpc_port=8081", "--grpc_port=%d" % grpc_port)
        a = a.replace("=/mnt/models", "=" + model_dir)
        out.append(a)
    return out + ["--bind=127.0.0.1"]


def mnt_models(tmp):
    """OUT/iris_tensor copied as KServe leaves it: /mnt/models, read-only."""
    dest = os.path.join(tmp, "mnt", "models")
    shutil.copytree(os.path.join(mlflow_models(), "iris_tensor"), dest)
    for root, dirs, files in os.walk(dest):
        for f in files:
            os.chmod(os.path.join(root, f), 0o444)
    for root, dirs, _ in os.walk(dest, topdown=False):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o555)
    os.chmod(dest, 0o555)
    return dest


def make_writable(path):
    for root, dirs, _ in os.walk(path):
        os.chmod(root, 0o755)


class Pod:
    """The rendered kserve-container running on loopback."""

    def __init__(self, argv, env_extra, http_port, grpc_port):
        self.http_port, self.grpc_port = http_port, grpc_port
        self.url = "http://127.0.0.1:%d" % http_port
        self.log = tempfile.NamedTemporaryFile(prefix="ferry-pod-", suffix=".log", delete=False)
        env = dict(os.environ, **env_extra)
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def output(self):
        with open(self.log.name) as f:
            return f.read()

    def wait_ready(self, path="/v2/health/ready", timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("pod exited %d:\n%s" % (self.proc.returncode, self.output()))
            try:
                if requests.get(self.url + path, timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.02)
        raise AssertionError("pod not ready in %ss:\n%s" % (timeout, self.output()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.unlink(self.log.name)
        return self.proc.returncode


def kserve_env(meta):
    # What KServe/Knative put in a serverless kserve-container's environment.
    return {"PORT": "8080", "K_SERVICE": meta["name"] + "-predictor",
            "K_REVISION": meta["name"] + "-predictor-00001", "PROTOCOL_VERSION": "v2"}


class TemplateTest(unittest.TestCase):
    def test_rendered_args_follow_custom_runtime_contract(self):
        c = kserve_container()
        self.assertEqual(c["name"], "kserve-container")
        self.assertEqual(c["args"][:5], ["serve", "--model_name=irish-s3",
                                         "--model_dir=/mnt/models", "--http_port=8080",
                                         "--grpc_port=0"])
        c = kserve_container("ferry-grpc", "irish-s3-grpc")
        self.assertEqual(c["args"][:5], ["serve", "--model_name=irish-s3-grpc",
                                         "--model_dir=/mnt/models", "--http_port=8080",
                                         "--grpc_port=8081"])

    def test_labels_and_annotations(self):
        meta = isvc_meta()
        self.assertEqual(render_go_template(
            "{{.Name}}.{{.Namespace}}/{{ .Labels.team }}/{{.Annotations.owner}}", meta),
            "irish-s3.models/fraud/ml-platform")
        # KServe executes html/template, which writes nothing for a missing key.
        self.assertEqual(render_go_template("{{.Labels.missing}}", meta), "")
        with self.assertRaises(ValueError):
            render_go_template("{{.Spec}}", meta)


class RuntimeContainerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ferry-kserve-")
        cls.meta = isvc_meta()
        cls.container = kserve_container()
        cls.http, cls.grpc = free_port(), free_port()
        argv = pod_command(cls.container, cls.http, cls.grpc, mnt_models(cls.tmp))
        env = {e["name"]: e["value"] for e in cls.container.get("env", [])}
        env.update(kserve_env(cls.meta), PORT=str(cls.http))
        cls.pod = Pod(argv, env, cls.http, cls.grpc)
        cls.pod.wait_ready(cls.container["readinessProbe"]["httpGet"]["path"])

    @classmethod
    def tearDownClass(cls):
        cls.pod.stop()
        make_writable(cls.tmp)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_probes(self):
        for probe in ("readinessProbe", "livenessProbe"):
            get = self.container[probe]["httpGet"]
            self.assertEqual(get["port"], 8080)
            r = requests.get(self.pod.url + get["path"], timeout=5)
            self.assertEqual(r.status_code, 200, (probe, r.text))

    def test_v1_predict(self):
        r = requests.post(self.pod.url + "/v1/models/irish-s3:predict",
                          json={"instances": ROWS}, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"predictions": [1, 1]})
        r = requests.get(self.pod.url + "/v1/models/irish-s3", timeout=5)
        self.assertEqual(r.json(), {"name": "irish-s3", "ready": True})

    def test_v2_infer(self):
        r = requests.post(self.pod.url + "/v2/models/irish-s3/infer", json=SEED_REQUEST, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        out = r.json()["outputs"][0]
        self.assertEqual((out["datatype"], out["shape"], out["data"]), ("INT64", [2, 1], [1, 1]))
        r = requests.get(self.pod.url + "/v2/models/irish-s3/ready", timeout=5)
        self.assertEqual(r.status_code, 200, r.text)

    def test_prometheus_annotation_points_at_metrics(self):
        ann = runtime("ferry")["spec"]["annotations"]
        self.assertEqual(ann["prometheus.kserve.io/port"], "8080")
        r = requests.get(self.pod.url + ann["prometheus.kserve.io/path"], timeout=5)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertIn("irish-s3", r.text)

    def test_model_dir_stays_untouched(self):
        # /mnt/models is mounted read-only: serving must not need to write there.
        self.assertEqual(requests.get(self.pod.url + "/v2/health/ready", timeout=5).status_code, 200)
        self.assertNotIn("Read-only", self.pod.output())

    def test_no_grpc_listener(self):
        # The REST runtime declares one port; it opens no other.
        self.assertIn("--grpc_port=0", self.container["args"])
        self.assertNotIn("gRPC", self.pod.output())


class GrpcRuntimeContainerTest(unittest.TestCase):
    """The ferry-grpc runtime: one h2c port, a TCP readiness probe on it."""

    def test_grpc_port_opens_when_the_model_is_ready(self):
        try:
            import test_grpc
            pb, rpc = test_grpc.stubs()
        except Exception as e:  # gRPC tools or proto not available
            self.skipTest("no gRPC client: %s" % e)
        tmp = tempfile.mkdtemp(prefix="ferry-kserve-")
        c = kserve_container("ferry-grpc", "irish-s3-grpc")
        self.assertEqual(c["ports"], [{"name": "h2c", "containerPort": 8081, "protocol": "TCP"}])
        self.assertEqual(c["readinessProbe"]["tcpSocket"], {"port": 8081})
        http, grpc_port = free_port(), free_port()
        meta = example_isvc("irish-s3-grpc")["metadata"]
        pod = Pod(pod_command(c, http, grpc_port, mnt_models(tmp)), kserve_env(meta), http,
                  grpc_port)
        try:
            deadline = time.time() + 60
            while True:  # the kubelet's / queue-proxy's TCP probe
                self.assertIsNone(pod.proc.poll(), pod.output())
                try:
                    socket.create_connection(("127.0.0.1", grpc_port), timeout=1).close()
                    break
                except OSError:
                    self.assertLess(time.time(), deadline, pod.output())
                    time.sleep(0.02)
            ch = test_grpc.channel(grpc_port)
            stub = rpc.GRPCInferenceServiceStub(ch)
            # Ready as soon as the port accepts: no window where it accepts but cannot serve.
            self.assertTrue(stub.ModelReady(pb.ModelReadyRequest(name="irish-s3-grpc"),
                                            timeout=10).ready)
            res = stub.ModelInfer(test_grpc.seed_request(pb, "irish-s3-grpc"), timeout=10)
            self.assertEqual(list(res.outputs[0].contents.int64_contents), [1, 1])
            ch.close()
            self.assertIn("gRPC (inference.GRPCInferenceService) on", pod.output())
        finally:
            pod.stop()
            make_writable(tmp)
            shutil.rmtree(tmp, ignore_errors=True)


class DrainTest(unittest.TestCase):
    def test_sigterm_drains_and_exits_zero(self):
        tmp = tempfile.mkdtemp(prefix="ferry-kserve-")
        try:
            c = kserve_container()
            drain = [a for a in c["args"] if a.startswith("--drain_seconds=")]
            self.assertTrue(drain, "the runtime must bound the drain below the grace period")
            self.assertLess(float(drain[0].split("=")[1]), 30)
            http = free_port()
            pod = Pod(pod_command(c, http, free_port(), mnt_models(tmp)), kserve_env(isvc_meta()),
                      http, 0)
            pod.wait_ready()
            t0 = time.time()
            pod.proc.send_signal(signal.SIGTERM)
            rc = pod.proc.wait(30)
            out = pod.output()
            pod.stop()
            self.assertEqual(rc, 0, out)
            self.assertLess(time.time() - t0, 25)
            self.assertIn("SIGTERM received, draining", out)
        finally:
            make_writable(tmp)
            shutil.rmtree(tmp, ignore_errors=True)


def storage_env():
    """The environment KServe gives the storage initializer for an S3 secret
    with s3-endpoint/s3-usehttps "0"/s3-region annotations (§6)."""
    endpoint, access, secret = ensure_s3()
    hostport = re.sub(r"^https?://", "", endpoint)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_"))}
    env.update(S3_ENDPOINT=hostport, AWS_ENDPOINT_URL="http://" + hostport, S3_USE_HTTPS="0",
               S3_VERIFY_SSL="0", AWS_DEFAULT_REGION="us-east-2", AWS_ACCESS_KEY_ID=access,
               AWS_SECRET_ACCESS_KEY=secret)
    return env


class StorageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ferry-kserve-si-")
        cls.src = os.path.join(mlflow_models(), "iris_tensor")
        cls.uri = "s3://mlflow/kserve-%s/artifacts/iris_model" % uuid.uuid4().hex[:8]
        s3_upload(cls.src, cls.uri)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertSameTree(self, want, got):
        def files(root):
            return sorted(os.path.relpath(os.path.join(r, f), root)
                          for r, _, fs in os.walk(root) for f in fs)
        # The storage library leaves a completion marker (re-runs skip the download).
        self.assertEqual(files(want), [f for f in files(got) if f != ".ferry-complete"])
        for rel in files(want):
            with open(os.path.join(want, rel), "rb") as a, open(os.path.join(got, rel), "rb") as b:
                self.assertEqual(a.read(), b.read(), rel)

    def test_cluster_storage_container_downloads_model(self):
        csc = storage_container()["spec"]
        self.assertIn({"prefix": "s3://"}, csc["supportedUriFormats"])
        dest = os.path.join(self.tmp, "mnt", "models")
        os.makedirs(dest)  # KServe mounts an emptyDir there
        c = csc["container"]
        # KServe's init container: args [SRC, DEST], this container merged over it.
        argv = (c.get("command") or entrypoint()) + c.get("args", [self.uri, dest])
        argv[0] = FERRY_BIN
        p = subprocess.run(argv, env=storage_env(), capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout + p.stderr, r"Model downloaded in [0-9.]+ seconds")
        self.assertSameTree(self.src, dest)

    def test_missing_model_exits_one(self):
        dest = os.path.join(self.tmp, "missing")
        p = subprocess.run([FERRY_BIN, "storage-initializer", self.uri + "-nope", dest],
                           env=storage_env(), capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(self.uri + "-nope", p.stderr)

    def test_serve_downloads_storage_uri_into_empty_model_dir(self):
        c = kserve_container()
        model_dir = os.path.join(self.tmp, "empty-models")
        http = free_port()
        argv = pod_command(c, http, free_port(), model_dir)
        env = dict(storage_env(), STORAGE_URI=self.uri, **kserve_env(isvc_meta()))
        pod = Pod(argv, {k: v for k, v in env.items()}, http, 0)
        try:
            pod.wait_ready()
            r = requests.post(pod.url + "/v1/models/irish-s3:predict", json={"instances": ROWS},
                              timeout=10)
            self.assertEqual(r.json(), {"predictions": [1, 1]})
            self.assertSameTree(self.src, model_dir)
        finally:
            pod.stop()


# --- Manifests with kubectl ----------------------------------------------------
# (Schemas, admission, selection and merges against KServe's own artifacts:
# test_kserve_artifacts.py.)

def manifest_files():
    out = []
    for root, _, files in os.walk(DEPLOY):
        for name in sorted(files):
            if name.endswith(".yaml") and name != "kustomization.yaml" and "overlays" not in root:
                out.append(os.path.join(root, name))
    return sorted(out)


class ManifestTest(unittest.TestCase):
    def test_kubectl_dry_run_client_and_server(self):
        # kubectl needs API discovery even for --dry-run=client; `ferry up`
        # serves KServe's kinds (ClusterStorageContainer included).
        if not shutil.which("kubectl"):
            self.skipTest("kubectl not installed")
        up = Up(profile="none")
        try:
            up.kubectl("create", "namespace", "models")
            args = sum((["-f", f] for f in manifest_files()), [])
            r = up.kubectl("apply", "--dry-run=client", "--validate=false", "-n", "models", *args)
            self.assertIn("clusterstoragecontainer.serving.kserve.io/ferry-storage-initializer "
                          "created (dry run)", r.stdout)
            # `ferry up` ships a ClusterServingRuntime named ferry itself.
            self.assertRegex(r.stdout, r"clusterservingruntime.serving.kserve.io/ferry "
                                       r"(created|configured) \(dry run\)")
            self.assertIn("clusterservingruntime.serving.kserve.io/ferry-grpc created (dry run)",
                          r.stdout)
            self.assertIn("servingruntime.serving.kserve.io/ferry created (dry run)", r.stdout)
            self.assertIn("inferenceservice.serving.kserve.io/irish-s3-grpc", r.stdout)
            r = up.kubectl("apply", "--dry-run=server", "--validate=strict", "-n", "models", *args)
            self.assertIn("(server dry run)", r.stdout)
            for d in ("", "storage-initializer", "overlays/auto-select", "overlays/image"):
                r = up.kubectl("apply", "--dry-run=client", "--validate=false", "-k",
                               os.path.join(DEPLOY, d))
                self.assertIn("(dry run)", r.stdout)
            r = up.kubectl("get", "clusterstoragecontainers", check=False)
            self.assertIn("No resources found", r.stderr)
        finally:
            up.stop()
            shutil.rmtree(up.data_dir, ignore_errors=True)

    def test_storage_container_contract(self):
        csc = storage_container()
        # KServe sets args to [SRC, DEST] and merges this container over them.
        self.assertEqual(csc["spec"]["container"]["command"], ["ferry", "storage-initializer"])
        self.assertNotIn("args", csc["spec"]["container"])
        # Only from KServe 0.14; the CRD defaults it to initContainer.
        self.assertNotIn("workloadType", csc["spec"])

    def test_example_isvc_is_the_seed_plus_runtime(self):
        isvc = load("inferenceservice-irish-s3.yaml")[0]
        with open(os.path.join(REPO, "tests", "e2e", "seed", "is_mlflow.yaml")) as f:
            seed = yaml.safe_load(f)
        ours = copy.deepcopy(isvc)
        self.assertEqual(ours["spec"]["predictor"]["model"].pop("runtime"), "ferry")
        self.assertEqual(ours, seed)


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DOCKERFILE) as f:
            text = re.sub(r"\\\n", " ", f.read())
        cls.lines = [ln.strip() for ln in text.splitlines()
                     if ln.strip() and not ln.strip().startswith("#")]
        args = dict(re.findall(r"^ARG (\w+)=(\S+)", "\n".join(cls.lines), re.M))
        cls.stages = []
        for ln in cls.lines:
            if ln.startswith("FROM "):
                image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), ln.split()[1])
                cls.stages.append({"image": image, "lines": []})
            elif cls.stages:
                cls.stages[-1]["lines"].append(ln)

    def test_multi_stage_bookworm(self):
        self.assertGreaterEqual(len(self.stages), 2)
        for s in self.stages:
            self.assertRegex(s["image"], r"^debian:bookworm(-slim)?$")

    def test_final_stage(self):
        final = self.stages[-1]["lines"]
        users = [ln.split()[1] for ln in final if ln.startswith("USER ")]
        self.assertTrue(users, "final stage must set USER")
        self.assertNotIn(users[-1].split(":")[0], ("root", "0"))
        self.assertEqual(entrypoint(), ["ferry"])
        self.assertTrue(any(ln.startswith("COPY --from=") for ln in final))
        installs = " ".join(ln for ln in final if ln.startswith("RUN "))
        for tool in ("build-essential", "cmake", "ninja-build", "g++", "gcc", "clang", "-dev ",
                     "install-deps.sh"):
            self.assertNotIn(tool, installs + " ", "build tool %r in the final stage" % tool)
        self.assertIn("rm -rf /var/lib/apt/lists/*", installs)

    def test_runtime_libraries_cover_the_binary(self):
        # Every library ferry links directly (ELF NEEDED) must come from a
        # package the final stage installs, or one those depend on (apt pulls
        # those in), as resolved by this machine's dpkg (same bookworm).
        direct = subprocess.run(["objdump", "-p", FERRY_BIN], capture_output=True, text=True)
        p = subprocess.run(["ldd", FERRY_BIN], capture_output=True, text=True)
        if direct.returncode != 0 or p.returncode != 0:
            self.skipTest("objdump/ldd failed: %s%s" % (direct.stderr, p.stderr))
        needed = set(re.findall(r"NEEDED\s+(\S+)", direct.stdout))
        if any(lib.startswith(("libasan", "libubsan", "libtsan")) for lib in needed):
            self.skipTest("a sanitizer build (make sanitize/tsan) is not what the image ships")
        final = " ".join(self.stages[-1]["lines"])
        installed = set(re.findall(r"\b([a-z0-9][a-z0-9.+-]+[a-z0-9])\b", final))
        q = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Depends},${Pre-Depends}\n"],
                           capture_output=True, text=True)
        depends = {}
        for line in q.stdout.splitlines():
            pkg, _, deps = line.partition("\t")
            depends[pkg] = [alt.split("|")[0].strip().split(" ")[0].split(":")[0]
                            for alt in deps.split(",")]
        closure, todo = set(), list(installed | {"libc6", "libgcc-s1", "libstdc++6"})
        while todo:
            pkg = todo.pop()
            if pkg and pkg not in closure:
                closure.add(pkg)
                todo += depends.get(pkg, [])
        libs = [(n, p) for n, p in re.findall(r"^\s*(\S+) => (/\S+)", p.stdout, re.M)
                if n in needed]
        paths = sorted({x for _, p in libs for x in (p, os.path.realpath(p))})
        owners = {}
        q = subprocess.run(["dpkg", "-S"] + paths, capture_output=True, text=True)
        for line in q.stdout.splitlines():
            pkgs, _, path = line.partition(": ")
            owners[path] = pkgs.split(",")[0].split(":")[0].strip()
        missing = [(n, owners.get(p) or owners.get(os.path.realpath(p), "?")) for n, p in libs
                   if (owners.get(p) or owners.get(os.path.realpath(p))) not in closure]
        self.assertFalse(missing, "add these packages to the Dockerfile's final stage")


if __name__ == "__main__":
    unittest.main(verbosity=2)
