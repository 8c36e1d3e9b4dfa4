"""Helpers for Ferry's black-box e2e tests: start the real binary on free
loopback ports and talk to it with real clients (python3-requests, curl).

Only Debian's python3 packages are used (run with /usr/bin/python3).
"""
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FERRY_BIN = os.environ.get("FERRY_BIN", os.path.join(REPO, "build", "ferry"))
PYTHON = "/usr/bin/python3"
FIXTURES_DIR = os.environ.get(
    "FERRY_E2E_FIXTURES", os.path.join(os.path.dirname(FERRY_BIN), "e2e-fixtures"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(script, subdir):
    """Runs a fixture generator once per build dir; returns its output dir."""
    out = os.path.join(FIXTURES_DIR, subdir)
    stamp = os.path.join(out, ".done")
    if not os.path.exists(stamp):
        os.makedirs(out, exist_ok=True)
        # Tests run in parallel processes: one generates, the others wait.
        with open(os.path.join(FIXTURES_DIR, ".%s.lock" % subdir), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.exists(stamp):
                subprocess.run([PYTHON, os.path.join(REPO, script), out], check=True,
                               stdout=subprocess.DEVNULL)
                open(stamp, "w").close()
    return out


def mlflow_models():
    return generate("tests/fixtures/mlflow/gen_mlflow.py", "mlflow")


def explain_models():
    """Models with their contributions oracles (tests/fixtures/explain/gen_explain.py)."""
    return generate("tests/fixtures/explain/gen_explain.py", "explain")


class Serve:
    """`ferry serve` on a free port; use as a context manager."""

    def __init__(self, model_dir, name="model", extra=(), wait_ready=True, env=None):
        self.port = free_port()
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix="ferry-serve-", suffix=".log", delete=False)
        cmd = [FERRY_BIN, "serve", "--model_name", name, "--model_dir", str(model_dir),
               "--http_port", str(self.port), "--bind", "127.0.0.1"] + list(extra)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env if env is not None else os.environ.copy())
        self.url = "http://127.0.0.1:%d" % self.port
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ferry serve exited %d:\n%s" % (self.proc.returncode, self.output()))
            try:
                if requests.get(self.url + "/v2/health/ready", timeout=1).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # a backend being dlopened (libtorch: ~1 s) may hold the answer up
            time.sleep(0.01)
        raise RuntimeError("ferry serve not ready in %ss:\n%s" % (timeout, self.output()))

    def output(self):
        with open(self.log.name) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        os.unlink(self.log.name)

    def get(self, path, **kw):
        return requests.get(self.url + path, timeout=10, **kw)

    def post(self, path, **kw):
        return requests.post(self.url + path, timeout=10, **kw)


SEED_REQUEST = {
    "parameters": {"content_type": "np"},
    "inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP64",
                "data": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}],
}


def ensure_s3():
    """Returns (endpoint, access, secret) of the S3 test server; starts one when
    the test runs outside `make test` (which starts it)."""
    if not os.environ.get("S3_ENDPOINT"):
        out = subprocess.run([os.path.join(REPO, "scripts", "s3-test-server.sh"), "start"],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("export "):
                k, v = line[len("export "):].split("=", 1)
                os.environ[k] = v
    return (os.environ["S3_ENDPOINT"], os.environ.get("AWS_ACCESS_KEY_ID", "AKIAMLFLOWTEST"),
            os.environ.get("AWS_SECRET_ACCESS_KEY", "mlflow-secret-123"))


def s3_upload(local_dir, s3_uri):
    endpoint, access, secret = ensure_s3()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION="us-east-1")
    subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint, "s3", "cp", "--recursive",
                    "--only-show-errors", local_dir, s3_uri], check=True, env=env)


class Up:
    """`ferry up` on free loopback ports with its own data dir."""

    def __init__(self, data_dir=None, profile="kubeflow", extra=()):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="ferry-up-")
        self.api_port, self.http_port, self.internal_port = free_port(), free_port(), free_port()
        self.log_path = os.path.join(self.data_dir, "ferry-up.log")
        self.cache_dir = tempfile.mkdtemp(prefix="kubectl-cache-")
        self.profile = profile
        self.extra = list(extra)
        self.start()

    def start(self):
        self.log = open(self.log_path, "a")
        cmd = [FERRY_BIN, "up", "--data-dir", self.data_dir, "--bind", "127.0.0.1",
               "--api-port", str(self.api_port), "--http-port", str(self.http_port),
               "--internal-port", str(self.internal_port), "--profile", self.profile] + self.extra
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ferry up exited:\n" + self.output())
            if "export KUBECONFIG" in self.output():
                return
            time.sleep(0.02)
        raise RuntimeError("ferry up did not start:\n" + self.output())

    @property
    def kubeconfig(self):
        return os.path.join(self.data_dir, "kubeconfig")

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def kubectl(self, *args, check=True, input=None, env=None, timeout=60):
        e = dict(os.environ, KUBECONFIG=self.kubeconfig)
        if env:
            e.update(env)
        r = subprocess.run(["kubectl", "--cache-dir", self.cache_dir] + list(args),
                           capture_output=True, text=True, input=input, env=e, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("kubectl %s failed (%d):\n%s\n%s\n--- ferry log ---\n%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr, self.output()[-3000:]))
        return r

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def external(self, host, path, **kw):
        return requests.post("http://127.0.0.1:%d%s" % (self.http_port, path),
                             headers=dict(kw.pop("headers", {}), Host=host), timeout=10, **kw)

    def internal(self, host, path, **kw):
        return requests.post("http://127.0.0.1:%d%s" % (self.internal_port, path),
                             headers=dict(kw.pop("headers", {}), Host=host), timeout=10, **kw)


def form_token(html):
    """The CSRF token of a Ferry sign-in page (its hidden `csrf` field)."""
    m = re.search(r'name="csrf" value="([^"]*)"', html)
    if not m:
        raise AssertionError("no CSRF token in the sign-in page:\n" + html[:2000])
    return m.group(1)


def oauth2_sign_in(base, username, password, rd="/", host=None, session=None):
    """Signs in at the built-in oauth2-proxy of the gateway at `base` the way a
    browser does: loads /oauth2/sign_in (CSRF cookie + hidden token), then
    posts the form. Returns the POST's response (302 with the session cookie
    on success); no redirect is followed."""
    s = session or requests.Session()
    headers = {"Host": host} if host else {}
    page = s.get(base + "/oauth2/sign_in", params={"rd": rd}, headers=headers, timeout=10)
    return s.post(base + "/oauth2/sign_in", headers=headers, allow_redirects=False, timeout=10,
                  data={"username": username, "password": password, "rd": rd,
                        "csrf": form_token(page.text)})


def user_role_binding(name, ns, cluster_role, user):
    """A RoleBinding of `user` to `cluster_role` in `ns` as YAML, for `kubectl apply` (the
    same binding made again by a profile controller is then no conflict)."""
    return ("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
            "metadata:\n  name: %s\n  namespace: %s\n"
            "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: %s\n"
            "subjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: %s\n"
            % (name, ns, cluster_role, user))
