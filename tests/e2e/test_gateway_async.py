"""The gateway never waits on a network peer: `ferry up --workers 1` (one I/O
thread per listener) with a real ext-authz service and a real JWKS endpoint
in python (http.server, a thread per request) that hold their answers until
the test lets them go. While requests are parked on them, other requests on
the same listener are answered; the parked ones then complete with the
model's answer. Also: the provider's timeout with failOpen / statusOnError,
a client that hangs up while parked (the ext-authz call is cancelled), the
first JWKS fetch, V2 gRPC through the same pipeline (CUSTOM + JWT), routing
after every MeshConfig pathNormalization mode, and — with Kubeflow's own
pinned policies — /oauth2/* and the dashboard behind the ingress gateway's
AuthorizationPolicies.

Run with /usr/bin/python3.
"""
import base64
import concurrent.futures
import http.client
import http.server
import json
import os
import select
import socket
import sys
import threading
import time
import unittest

import requests
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import REPO, SEED_REQUEST, Up, free_port  # noqa: E402
from test_authz_vectors import Keys, ap  # noqa: E402
from test_grpc import seed_request, stubs  # noqa: E402

RBAC = "RBAC: access denied"
ISSUER = "https://issuer-x.example.com"
NS = "foo"


class Peer:
    """ext-authz provider + JWKS endpoint on 127.0.0.1, a thread per request.
    Paths (after the provider's pathPrefix): /hold/... and /jwks-hold... answer
    only once release() is called (a caller that hangs up meanwhile is
    recorded in `abandoned`); /slow/... after 3 s; /boom/... 503; /deny/...
    403 with a body; anything else 200 with x-user."""

    def __init__(self, jwks):
        self.released = threading.Event()
        self.released.set()
        self.lock = threading.Lock()
        self.holding = 0
        self.abandoned = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def wait_release(self):
                with outer.lock:
                    outer.holding += 1
                try:
                    while not outer.released.wait(0.02):
                        ready, _, _ = select.select([self.connection], [], [], 0)
                        if ready:
                            try:
                                data = self.connection.recv(1, socket.MSG_PEEK)
                            except OSError:
                                data = b""
                            if data == b"":
                                with outer.lock:
                                    outer.abandoned.append(self.path)
                                return False
                    return True
                finally:
                    with outer.lock:
                        outer.holding -= 1

            def reply(self, code, body=b"", headers=()):
                try:
                    self.send_response(code)
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def do_any(self):
                p = self.path
                if "hold" in p and not self.wait_release():
                    self.close_connection = True
                    return
                if p.startswith("/jwks"):
                    return self.reply(200, json.dumps(jwks).encode(),
                                      [("Content-Type", "application/json")])
                if p.startswith("/slow"):
                    time.sleep(3)
                if p.startswith("/boom"):
                    return self.reply(503, b"internal")
                if p.startswith("/deny"):
                    return self.reply(403, b"denied by authz", [("Content-Type", "text/plain")])
                self.reply(200, b"", [("x-user", "alice")])

            do_GET = do_POST = do_HEAD = do_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def hold(self):
        self.released.clear()

    def release(self):
        self.released.set()

    def wait_holding(self, n):
        wait_until(lambda: self.holding >= n, "the peer never held %d requests" % n)

    def stop(self):
        self.release()
        self.server.shutdown()


def wait_until(pred, message, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(message)


def kubeflow_reference():
    """Kubeflow 1.9.1's istio-system policies, pinned in tests/fixtures/kubeflow-1.9.1."""
    return os.path.join(REPO, "tests", "fixtures", "kubeflow-1.9.1")


class Cluster:
    """`ferry up --workers 1` with the admin token and CA for the check API."""

    def __init__(self, profile, extra=(), users=None):
        data_dir = None
        if users:
            import tempfile
            data_dir = tempfile.mkdtemp(prefix="ferry-gw-async-")
            with open(os.path.join(data_dir, "users"), "w") as f:
                f.write(users)
        self.up = Up(data_dir=data_dir, profile=profile, extra=["--workers", "1", "--allow-local-models",
                                   os.path.abspath(ferrytest.mlflow_models())] + list(extra))
        self.ca = os.path.join(self.up.data_dir, "ca-for-tests.pem")
        with open(self.up.kubeconfig) as f:
            for line in f:
                if "certificate-authority-data:" in line:
                    with open(self.ca, "wb") as out:
                        out.write(base64.b64decode(line.split(":", 1)[1].strip()))
        with open(os.path.join(self.up.data_dir, "admin-token")) as f:
            self.admin = f.read().strip()

    def apply(self, *objects):
        self.up.kubectl("apply", "-f", "-",
                        input="---\n".join(yaml.safe_dump(o) for o in objects))

    def check(self, url):
        r = requests.post("https://127.0.0.1:%d/ferry/v1/authz/check" % self.up.api_port,
                          json={"url": url}, verify=self.ca, timeout=30,
                          headers={"Authorization": "Bearer " + self.admin})
        assert r.status_code == 200, r.text
        return json.dumps(r.json())

    def wait_check(self, url, needle, present=True):
        """Waits until the listeners' snapshot shows (or no longer shows) `needle`
        in the authz check of `url` (policy names, normalization lines)."""
        wait_until(lambda: (needle in self.check(url)) == present,
                   "%r never %s in the check of %s:\n%s" % (
                       needle, "appeared" if present else "went away", url,
                       self.up.output()[-2000:]))


def isvc(name, models):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"predictor": {"model": {
                "modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
                "storageUri": "file://%s/iris_tensor" % models}}}}


class Raw:
    def __init__(self, status, text):
        self.status_code, self.text = status, text

    def json(self):
        return json.loads(self.text)


class ParkedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys = Keys()
        cls.peer = Peer(cls.keys.jwks)
        cls.grpc_port = free_port()
        cls.c = Cluster("none", ["--grpc-port", str(cls.grpc_port)])
        up = cls.c.up
        up.kubectl("create", "namespace", "istio-system", check=False)
        up.kubectl("create", "namespace", NS)
        models = os.path.abspath(ferrytest.mlflow_models())
        cls.c.apply(isvc("gated", models), isvc("m", models))
        for name in ("gated", "m"):
            up.kubectl("wait", "--for=condition=Ready", "isvc/" + name, "-n", NS,
                       "--timeout=60s")
        provider = lambda name, prefix, **extra: {  # noqa: E731
            "name": name, "envoyExtAuthzHttp": dict({
                "service": "127.0.0.1", "port": cls.peer.port, "pathPrefix": prefix,
                "headersToUpstreamOnAllow": ["x-user"]}, **extra)}
        cls.providers = [
            provider("hold", "/hold"),
            provider("slow-503", "/slow", timeout="500ms", statusOnError="503"),
            provider("slow-open", "/slow", timeout="500ms", failOpen=True),
            provider("boom", "/boom"),
            provider("deny", "/deny"),
        ]
        cls.mesh()

    @classmethod
    def tearDownClass(cls):
        cls.c.up.stop()
        cls.peer.stop()

    @classmethod
    def mesh(cls, normalization=None):
        mesh = {"extensionProviders": cls.providers}
        if normalization:
            mesh["pathNormalization"] = {"normalization": normalization}
        cls.c.apply({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "istio", "namespace": "istio-system"},
                     "data": {"mesh": json.dumps(mesh)}})

    def setUp(self):
        self.peer.release()
        for kind in ("authorizationpolicies.security.istio.io",
                     "requestauthentications.security.istio.io"):
            self.c.up.kubectl("delete", kind, "--all", "-n", NS)

    def gate(self, name, action="CUSTOM", **spec):
        """A policy for the `gated` predictor only; waits until it is live."""
        body = dict({"selector": {"matchLabels": {"serving.kserve.io/inferenceservice": "gated"}},
                     "action": action, "rules": [{}]}, **spec)
        self.c.apply(ap(name, NS, body))
        self.c.wait_check("http://gated.%s.svc.cluster.local/" % NS, name)

    def infer(self, name, path=None, headers=None, timeout=30):
        return requests.post(
            "http://127.0.0.1:%d%s" % (self.c.up.internal_port,
                                       path or "/v2/models/%s/infer" % name),
            json=SEED_REQUEST, timeout=timeout,
            headers=dict(headers or {}, Host="%s.%s.svc.cluster.local" % (name, NS)))

    def raw_infer(self, name, path):
        """The path byte for byte (python-requests would decode %6d itself)."""
        c = http.client.HTTPConnection("127.0.0.1", self.c.up.internal_port, timeout=30)
        c.request("POST", path, body=json.dumps(SEED_REQUEST), headers={
            "Host": "%s.%s.svc.cluster.local" % (name, NS), "Content-Type": "application/json"})
        r = c.getresponse()
        out = Raw(r.status, r.read().decode(errors="replace"))
        c.close()
        return out

    def assertModelAnswer(self, r):
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])

    def test_parked_ext_authz_does_not_stall_the_listener(self):
        self.gate("ext-hold", provider={"name": "hold"})
        self.peer.hold()
        pool = concurrent.futures.ThreadPoolExecutor(4)
        parked = [pool.submit(self.infer, "gated") for _ in range(4)]
        self.peer.wait_holding(4)
        for _ in range(20):  # the one I/O thread answers while 4 requests are parked
            self.assertModelAnswer(self.infer("m", timeout=5))
        self.assertFalse(any(f.done() for f in parked))
        self.peer.release()
        for f in parked:
            self.assertModelAnswer(f.result(timeout=30))
        pool.shutdown()

    def test_client_gone_while_parked_cancels_the_ext_authz_call(self):
        self.gate("ext-hold-gone", provider={"name": "hold"})
        self.peer.hold()
        before = len(self.peer.abandoned)
        body = json.dumps(SEED_REQUEST).encode()
        s = socket.create_connection(("127.0.0.1", self.c.up.internal_port))
        s.sendall(b"POST /v2/models/gated/infer HTTP/1.1\r\nHost: gated.%s.svc.cluster.local\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
                      NS.encode(), len(body), body))
        self.peer.wait_holding(1)
        s.close()
        # Ferry notices, cancels its call, and the provider sees it hang up.
        wait_until(lambda: len(self.peer.abandoned) > before,
                   "the ext-authz call outlived its client")
        self.peer.release()
        self.assertModelAnswer(self.infer("m", timeout=5))
        self.assertIsNone(self.c.up.proc.poll())

    def test_timeout_fail_open_status_on_error_and_only_200_allows(self):
        cases = [("slow-503", 503, ""), ("slow-open", 200, None), ("boom", 403, ""),
                 ("deny", 403, "denied by authz")]
        for provider, status, body in cases:
            with self.subTest(provider=provider):
                self.setUp()
                self.gate("ext-" + provider, provider={"name": provider})
                r = self.infer("gated")
                if status == 200:
                    self.assertModelAnswer(r)
                    continue
                self.assertEqual(r.status_code, status, r.text)
                self.assertEqual(r.text, body)

    def test_first_jwks_fetch_parks_token_requests(self):
        self.c.apply({"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication",
                      "metadata": {"name": "jwt", "namespace": NS},
                      "spec": {"selector": {"matchLabels": {
                          "serving.kserve.io/inferenceservice": "gated"}},
                          "jwtRules": [{"issuer": ISSUER, "jwksUri": "http://127.0.0.1:%d/jwks-hold"
                                        % self.peer.port}]}})
        self.gate("require-jwt", action="ALLOW",
                  rules=[{"from": [{"source": {"requestPrincipals": ["*"]}}]}])
        self.peer.hold()
        pool = concurrent.futures.ThreadPoolExecutor(2)
        bearer = {"Authorization": "Bearer " + self.keys.token(iss=ISSUER, sub="u1")}
        parked = [pool.submit(self.infer, "gated", headers=bearer) for _ in range(2)]
        self.peer.wait_holding(1)
        for _ in range(10):
            self.assertModelAnswer(self.infer("m", timeout=5))
        self.assertEqual(self.infer("gated", timeout=5).text, RBAC)  # no token: nothing to wait for
        self.assertFalse(any(f.done() for f in parked))
        self.peer.release()
        for f in parked:
            self.assertModelAnswer(f.result(timeout=30))
        other = {"Authorization": "Bearer " + self.keys.token(iss=ISSUER, sub="u2")}
        self.peer.hold()  # the keys are cached now: nothing waits on the peer
        self.assertModelAnswer(self.infer("gated", headers=other, timeout=5))
        self.peer.release()

    def test_grpc_calls_park_on_custom_and_jwks(self):
        import grpc
        pb, rpc = stubs()
        channels = []

        def stub(name):
            ch = grpc.insecure_channel("127.0.0.1:%d" % self.grpc_port, options=[
                ("grpc.default_authority", "%s.%s.svc.cluster.local" % (name, NS))])
            channels.append(ch)
            return rpc.GRPCInferenceServiceStub(ch)

        gated, m = stub("gated"), stub("m")
        self.gate("ext-hold-grpc", provider={"name": "hold"})
        self.peer.hold()
        pool = concurrent.futures.ThreadPoolExecutor(4)
        parked = [pool.submit(gated.ModelInfer, seed_request(pb, "gated"), timeout=30)
                  for _ in range(2)]
        self.peer.wait_holding(2)
        for _ in range(10):
            res = m.ModelInfer(seed_request(pb, "m"), timeout=5)
            self.assertEqual(list(res.outputs[0].contents.int64_contents), [1, 1])
        self.peer.release()
        for f in parked:
            self.assertEqual(list(f.result().outputs[0].contents.int64_contents), [1, 1])
        # JWT with keys whose first fetch is held (another URI: a first fetch).
        self.setUp()
        self.c.apply({"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication",
                      "metadata": {"name": "jwt-grpc", "namespace": NS},
                      "spec": {"jwtRules": [{"issuer": ISSUER, "jwksUri":
                                             "http://127.0.0.1:%d/jwks-hold-grpc"
                                             % self.peer.port}]}})
        self.gate("require-jwt-grpc", action="ALLOW",
                  rules=[{"from": [{"source": {"requestPrincipals": ["*"]}}]}])
        self.peer.hold()
        token = [("authorization", "Bearer " + self.keys.token(iss=ISSUER, sub="g1"))]
        call = pool.submit(gated.ModelInfer, seed_request(pb, "gated"), timeout=30,
                           metadata=token)
        self.peer.wait_holding(1)
        res = m.ModelInfer(seed_request(pb, "m"), timeout=5)
        self.assertEqual(list(res.outputs[0].contents.int64_contents), [1, 1])
        self.peer.release()
        self.assertEqual(list(call.result().outputs[0].contents.int64_contents), [1, 1])
        with self.assertRaises(grpc.RpcError) as cm:
            gated.ModelInfer(seed_request(pb, "gated"), timeout=10)
        self.assertEqual(cm.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        pool.shutdown()
        for ch in channels:
            ch.close()

    def test_routing_follows_path_normalization(self):
        base = "http://m.%s.svc.cluster.local" % NS
        try:
            # BASE (the default): %6d is `m`, so the model answers; the query is kept.
            self.mesh()
            self.c.wait_check(base + "/v2/models/%6d/infer", "path normalized to")
            self.assertModelAnswer(self.raw_infer("m", "/v2/models/%6d/infer?x=%6d"))
            self.assertEqual(self.raw_infer("m", "//v2//models/m/infer").status_code, 404)
            # NONE: the path is served as sent: no model is called `%6d`.
            self.mesh("NONE")
            self.c.wait_check(base + "/v2/models/%6d/infer", "path normalized to", present=False)
            r = self.raw_infer("m", "/v2/models/%6d/infer")
            self.assertEqual(r.status_code, 404, r.text)
            self.assertIn("%6d", r.text)
            # MERGE_SLASHES: // merged before routing.
            self.mesh("MERGE_SLASHES")
            self.c.wait_check(base + "//v2//models/m/infer", "path normalized to")
            self.assertModelAnswer(self.raw_infer("m", "//v2//models/m/infer"))
            self.assertEqual(self.raw_infer("m", "/v2/models%2Fm/infer").status_code, 404)
            # DECODE_AND_MERGE_SLASHES: %2F decoded too.
            self.mesh("DECODE_AND_MERGE_SLASHES")
            self.c.wait_check(base + "/v2%2Fmodels%2Fm/infer", "path normalized to")
            self.assertModelAnswer(self.raw_infer("m", "/v2%2Fmodels%2Fm//infer"))
        finally:
            self.mesh()


class DrainTest(unittest.TestCase):
    """SIGTERM answers requests still parked on a provider, then exits 0."""

    def test_sigterm_answers_parked_requests(self):
        peer = Peer({"keys": []})
        c = Cluster("none")
        try:
            c.up.kubectl("create", "namespace", "istio-system", check=False)
            c.apply({"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "istio", "namespace": "istio-system"},
                     "data": {"mesh": json.dumps({"extensionProviders": [{
                         "name": "hold", "envoyExtAuthzHttp": {
                             "service": "127.0.0.1", "port": peer.port,
                             "pathPrefix": "/hold"}}]})}},
                    ap("gate", "istio-system", {
                        "selector": {"matchLabels": {"app": "istio-ingressgateway"}},
                        "action": "CUSTOM", "provider": {"name": "hold"}, "rules": [{}]}))
            c.wait_check("http://anything.example.com/", "gate")
            peer.hold()
            pool = concurrent.futures.ThreadPoolExecutor(2)
            parked = [pool.submit(requests.get, "http://127.0.0.1:%d/x" % c.up.http_port,
                                  headers={"Host": "anything.example.com"}, timeout=60)
                      for _ in range(2)]
            peer.wait_holding(2)
            self.assertEqual(c.up.stop(), 0)
            for f in parked:
                r = f.result(timeout=30)
                self.assertEqual(r.status_code, 503, r.text)
                self.assertIn("shutting down", r.text)
            pool.shutdown()
        finally:
            c.up.stop()
            peer.stop()


class KubeflowFrontTest(unittest.TestCase):
    """/oauth2/* and the dashboard host meet the ingress gateway's policies,
    with Kubeflow 1.9.1's own istio-system policies applied from the pinned
    manifests."""

    @classmethod
    def setUpClass(cls):
        cls.user, cls.password = "user@example.com", "gw-async-pass"
        cls.c = Cluster("kubeflow", users="%s plain:%s\n" % (cls.user, cls.password))
        ref = kubeflow_reference()
        for rel in ("common/istio-1-22/istio-install/base/deny_all_authorizationpolicy.yaml",
                    "common/istio-1-22/istio-install/base/gateway_authorizationpolicy.yaml",
                    "common/oauth2-proxy/components/istio-external-auth/"
                    "authorizationpolicy.istio-ingressgateway-oauth2-proxy.yaml",
                    "common/oauth2-proxy/components/istio-external-auth/"
                    "authorizationpolicy.istio-ingressgateway-require-jwt.yaml"):
            cls.c.up.kubectl("apply", "-f", os.path.join(ref, rel))
        cls.base = "http://127.0.0.1:%d" % cls.c.up.http_port
        cls.host = "127.0.0.1:%d" % cls.c.up.http_port

    @classmethod
    def tearDownClass(cls):
        cls.c.up.stop()

    def get(self, path, **kw):
        return requests.get(self.base + path, allow_redirects=False, timeout=10,
                            headers=dict(kw.pop("headers", {}), Host=self.host), **kw)

    def sign_in(self):
        return ferrytest.oauth2_sign_in(self.base, self.user, self.password, host=self.host)

    def test_deny_all_on_the_ingress_gateway_blocks_sign_in_and_the_dashboard(self):
        # Kubeflow's policies exclude /oauth2/* from oauth2-proxy and require-jwt:
        # signing in works, and the session opens the dashboard.
        r = self.get("/oauth2/sign_in?rd=/")
        self.assertEqual(r.status_code, 200, r.text)
        r = self.sign_in()
        self.assertEqual(r.status_code, 302, r.text)
        cookie = r.headers["set-cookie"].split(";")[0]
        self.assertEqual(self.get("/", headers={"Cookie": cookie}).status_code, 200)
        self.assertEqual(self.get("/").status_code, 403)  # oauth2-proxy's sign-in page

        deny = ap("deny-everything", "istio-system", {
            "selector": {"matchLabels": {"app": "istio-ingressgateway"}},
            "action": "DENY", "rules": [{}]})
        self.c.apply(deny)
        self.c.wait_check(self.base + "/oauth2/sign_in", "deny-everything")
        try:
            for path in ("/oauth2/sign_in", "/", "/apis/kubeflow.org/v1/profiles"):
                with self.subTest(path=path):
                    r = self.get(path, headers={"Cookie": cookie})
                    self.assertEqual(r.status_code, 403)
                    self.assertEqual(r.text, RBAC)
            # The page (and its CSRF token) is denied too: the POST is denied before
            # the form is looked at.
            r = requests.post(self.base + "/oauth2/sign_in", allow_redirects=False, timeout=10,
                              headers={"Host": self.host},
                              data={"username": self.user, "password": self.password, "rd": "/"})
            self.assertEqual((r.status_code, r.text), (403, RBAC))
        finally:
            self.c.up.kubectl("delete", "authorizationpolicy", "deny-everything", "-n",
                              "istio-system")
        self.c.wait_check(self.base + "/oauth2/sign_in", "deny-everything", present=False)
        self.assertEqual(self.sign_in().status_code, 302)


if __name__ == "__main__":
    unittest.main(verbosity=2)
