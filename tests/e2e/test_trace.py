"""Request IDs and W3C trace context, end to end, with real clients (python3-requests, curl,
grpcio, kubectl) and a real ext-authz server: every answer of `ferry serve` and of `ferry up`'s
gateways (errors and denials included, REST and gRPC) carries x-request-id — the client's when
well-formed, else a fresh UUIDv4, unique per request; a valid traceparent is continued (same
trace-id, Ferry's own span id) and forwarded with the request id to the ext-authz provider, an
invalid one starts a new trace; both appear in the access log (gRPC calls too: the method path,
the code as REST answers it) and, for a failing request (REST or gRPC), in
`kubectl logs POD -c kserve-container`.

Run with /usr/bin/python3.
"""
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import unittest

import requests
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Serve, Up, free_port  # noqa: E402
from test_grpc import seed_request, stubs  # noqa: E402

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TRACEPARENT = "00-%s-%s-01" % (TRACE, PARENT)
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
OUR_PARENT = re.compile(r"^00-" + TRACE + r"-([0-9a-f]{16})-01$")
NS = "trace"


def curl_headers(*args):
    """The response head of `curl -si ARGS` as {lower-case name: value}."""
    out = subprocess.run(["curl", "-s", "-i", "--max-time", "10"] + list(args),
                         capture_output=True, check=True).stdout.decode()
    head = out.split("\r\n\r\n", 1)[0].split("\r\n")
    return {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in head[1:])}


class ServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.grpc_port = free_port()
        cls.s = Serve(os.path.join(ferrytest.mlflow_models(), "iris_tensor"), name="iris",
                      extra=["--grpc_port", str(cls.grpc_port), "--access_log_rate", "-1"])

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def infer(self, **kw):
        return self.s.post("/v2/models/iris/infer", json=SEED_REQUEST, **kw)

    def test_generated_ids_are_uuid4_and_unique(self):
        ids = set()
        for _ in range(200):
            r = self.infer()
            self.assertEqual(r.status_code, 200, r.text)
            self.assertRegex(r.headers["x-request-id"], UUID4)
            ids.add(r.headers["x-request-id"])
        self.assertEqual(len(ids), 200)

    def test_client_id_kept_malformed_replaced(self):
        r = self.infer(headers={"x-request-id": "client-id-1"})
        self.assertEqual(r.headers["x-request-id"], "client-id-1")
        for bad in ("has space", "x" * 129, "quote\"d"):
            r = self.infer(headers={"x-request-id": bad})
            self.assertEqual(r.status_code, 200)
            self.assertRegex(r.headers["x-request-id"], UUID4, bad)
        h = curl_headers("-H", "X-Request-Id: curl-id-7", self.s.url + "/v2/models/iris")
        self.assertEqual(h["x-request-id"], "curl-id-7")

    def test_errors_carry_the_id(self):
        r = self.s.post("/v2/models/iris/infer", data="{not json",
                        headers={"x-request-id": "bad-body-1"})
        self.assertEqual(r.status_code, 400)
        self.assertEqual(r.headers["x-request-id"], "bad-body-1")
        r = self.s.get("/v2/models/nope", headers={"x-request-id": "no-model-1"})
        self.assertEqual(r.status_code, 404)
        self.assertEqual(r.headers["x-request-id"], "no-model-1")
        h = curl_headers(self.s.url + "/no/such/route")
        self.assertRegex(h["x-request-id"], UUID4)

    def test_access_log_has_id_and_traceparent(self):
        self.infer(headers={"x-request-id": "logged-1", "traceparent": TRACEPARENT})
        self.infer(headers={"x-request-id": "logged-2",
                            "traceparent": TRACEPARENT.upper()})  # invalid: upper case
        ferrytest_wait(lambda: "x-request-id=logged-2" in self.s.output(), self.s.output)
        lines = self.s.output().splitlines()
        first = [l for l in lines if "x-request-id=logged-1" in l]
        self.assertEqual(len(first), 1, lines[-5:])
        self.assertIn('"POST /v2/models/iris/infer" 200', first[0])
        m = re.search(r"traceparent=(\S+)", first[0])
        span = OUR_PARENT.match(m.group(1))
        self.assertIsNotNone(span, first[0])
        self.assertNotEqual(span.group(1), PARENT)  # Ferry's own span
        second = [l for l in lines if "x-request-id=logged-2" in l][0]
        tp = re.search(r"traceparent=(\S+)", second).group(1)
        self.assertRegex(tp, r"^00-[0-9a-f]{32}-[0-9a-f]{16}-00$")
        self.assertNotIn(TRACE, tp)  # a new trace, the request still served

    def test_grpc_initial_metadata(self):
        import grpc
        pb, rpc = stubs()
        with grpc.insecure_channel("127.0.0.1:%d" % self.grpc_port) as ch:
            stub = rpc.GRPCInferenceServiceStub(ch)
            _, call = stub.ModelInfer.with_call(seed_request(pb, "iris"), timeout=10,
                                                metadata=[("x-request-id", "grpc-id-1")])
            self.assertEqual(dict(call.initial_metadata())["x-request-id"], "grpc-id-1")
            _, call = stub.ModelInfer.with_call(seed_request(pb, "iris"), timeout=10)
            self.assertRegex(dict(call.initial_metadata())["x-request-id"], UUID4)
            with self.assertRaises(grpc.RpcError) as cm:
                stub.ModelInfer(seed_request(pb, "nope"), timeout=10,
                                metadata=[("x-request-id", "grpc-err-1")])
            self.assertEqual(dict(cm.exception.initial_metadata())["x-request-id"], "grpc-err-1")
        # Both calls are in the access log like REST ones: the gRPC method path, the code as
        # the REST route answers it (NOT_FOUND: 404), the request id and trace.
        ferrytest_wait(lambda: "x-request-id=grpc-err-1" in self.s.output(), self.s.output)
        lines = self.s.output().splitlines()
        ok = [l for l in lines if "x-request-id=grpc-id-1 " in l]
        self.assertEqual(len(ok), 1, lines[-5:])
        self.assertRegex(ok[0], r'^\S+Z 127\.0\.0\.1 "POST /inference\.GRPCInferenceService/'
                                r'ModelInfer" 200 \d+ [0-9.]+ms x-request-id=grpc-id-1 '
                                r'traceparent=00-[0-9a-f]{32}-[0-9a-f]{16}-00$')
        err = [l for l in lines if "x-request-id=grpc-err-1 " in l]
        self.assertEqual(len(err), 1, lines[-5:])
        self.assertIn('"POST /inference.GRPCInferenceService/ModelInfer" 404 ', err[0])


def ferrytest_wait(pred, output, timeout=10):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out; output:\n" + output()[-3000:])


class AuthzPeer:
    """An ext-authz provider that records the headers of every check and allows all but
    /deny/... ."""

    def __init__(self):
        self.seen = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_any(self):
                outer.seen.append({"path": self.path,
                                   "headers": {k.lower(): v for k, v in self.headers.items()}})
                code = 403 if self.path.startswith("/deny") else 200
                body = b"denied by authz" if code == 403 else b""
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def isvc(name, models):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"predictor": {"model": {
                "modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
                "storageUri": "file://%s/iris_tensor" % models}}}}


def custom_policy(name, isvc_name, provider):
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"selector": {"matchLabels": {
                "serving.kserve.io/inferenceservice": isvc_name}},
                "action": "CUSTOM", "provider": {"name": provider}, "rules": [{}]}}


class UpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.peer = AuthzPeer()
        cls.grpc_port = free_port()
        models = os.path.abspath(ferrytest.mlflow_models())
        cls.up = Up(profile="none", extra=["--allow-local-models", models,
                                           "--grpc-port", str(cls.grpc_port)])
        up = cls.up
        up.kubectl("create", "namespace", "istio-system", check=False)
        up.kubectl("create", "namespace", NS)
        providers = [{"name": n, "envoyExtAuthzHttp": {
            "service": "127.0.0.1", "port": cls.peer.port, "pathPrefix": prefix}}
            for n, prefix in (("allow", "/allow"), ("deny", "/deny"))]
        objs = [{"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "istio", "namespace": "istio-system"},
                 "data": {"mesh": json.dumps({"extensionProviders": providers})}},
                isvc("gated", models), isvc("closed", models),
                custom_policy("ext-allow", "gated", "allow"),
                custom_policy("ext-deny", "closed", "deny")]
        up.kubectl("apply", "-f", "-", input="---\n".join(yaml.safe_dump(o) for o in objs))
        for name in ("gated", "closed"):
            up.kubectl("wait", "--for=condition=Ready", "isvc/" + name, "-n", NS,
                       "--timeout=60s")

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()
        cls.peer.stop()

    def infer(self, name, headers=None, body=None, external=False):
        host = "%s.%s.svc.cluster.local" % (name, NS)
        port = self.up.internal_port
        if external:
            host, port = "%s.%s.example.com" % (name, NS), self.up.http_port
        return requests.post("http://127.0.0.1:%d/v2/models/%s/infer" % (port, name),
                             json=SEED_REQUEST if body is None else body, timeout=30,
                             headers=dict(headers or {}, Host=host))

    def checks_with(self, request_id):
        return [s for s in self.peer.seen if s["headers"].get("x-request-id") == request_id]

    def test_ext_authz_gets_id_and_trace(self):
        ferrytest_wait(lambda: self.infer("gated").status_code == 200, self.up.output, 30)
        r = self.infer("gated", {"x-request-id": "up-1", "traceparent": TRACEPARENT,
                                 "tracestate": "congo=t61rcWkgMzE"})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers["x-request-id"], "up-1")
        seen = self.checks_with("up-1")
        self.assertEqual(len(seen), 1, self.peer.seen[-3:])
        tp = seen[0]["headers"]["traceparent"]
        self.assertRegex(tp, OUR_PARENT)
        self.assertNotEqual(OUR_PARENT.match(tp).group(1), PARENT)
        self.assertEqual(seen[0]["headers"]["tracestate"], "congo=t61rcWkgMzE")
        # No id, no trace: both generated and still sent to the provider.
        r = self.infer("gated")
        rid = r.headers["x-request-id"]
        self.assertRegex(rid, UUID4)
        self.assertRegex(self.checks_with(rid)[0]["headers"]["traceparent"],
                         r"^00-[0-9a-f]{32}-[0-9a-f]{16}-00$")
        # The access log line of that request joins both.
        ferrytest_wait(lambda: "x-request-id=up-1 traceparent=00-" + TRACE in self.up.output(),
                       self.up.output)

    def test_denials_and_unknown_hosts_carry_the_id(self):
        r = self.infer("closed", {"x-request-id": "denied-1", "traceparent": TRACEPARENT})
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.headers["x-request-id"], "denied-1")
        self.assertEqual(len(self.checks_with("denied-1")), 1)
        ferrytest_wait(lambda: "x-request-id=denied-1" in self.up.output(), self.up.output)
        r = self.infer("nosuch", {"x-request-id": "unknown-1"})
        self.assertEqual(r.status_code, 404)
        self.assertEqual(r.headers["x-request-id"], "unknown-1")
        h = curl_headers("-H", "Host: nosuch.example.com",
                         "http://127.0.0.1:%d/" % self.up.http_port)
        self.assertRegex(h["x-request-id"], UUID4)

    def test_grpc_through_the_gateway(self):
        import grpc
        pb, rpc = stubs()
        with grpc.insecure_channel("127.0.0.1:%d" % self.grpc_port, options=[
                ("grpc.default_authority", "gated.%s.svc.cluster.local" % NS)]) as ch:
            stub = rpc.GRPCInferenceServiceStub(ch)
            _, call = stub.ModelInfer.with_call(
                seed_request(pb, "gated"), timeout=30,
                metadata=[("x-request-id", "grpc-up-1"), ("traceparent", TRACEPARENT)])
        self.assertEqual(dict(call.initial_metadata())["x-request-id"], "grpc-up-1")
        seen = self.checks_with("grpc-up-1")
        self.assertEqual(len(seen), 1)
        self.assertRegex(seen[0]["headers"]["traceparent"], OUR_PARENT)
        # The gateway's access log has the call, as it has REST ones.
        ferrytest_wait(lambda: "x-request-id=grpc-up-1 " in self.up.output(), self.up.output)
        line = [l for l in self.up.output().splitlines() if "x-request-id=grpc-up-1 " in l][0]
        self.assertIn('"POST /inference.GRPCInferenceService/ModelInfer" 200 ', line)
        self.assertRegex(line, r"traceparent=00-" + TRACE + r"-[0-9a-f]{16}-01$")

    def test_failing_request_in_kubectl_logs(self):
        r = self.infer("gated", {"x-request-id": "failing-1", "traceparent": TRACEPARENT},
                       body={"inputs": [{"name": "features", "shape": [1, 3],
                                         "datatype": "FP64", "data": [1, 2, 3]}]})
        self.assertEqual(r.status_code, 400, r.text)
        self.assertEqual(r.headers["x-request-id"], "failing-1")
        pod = self.up.kubectl("get", "pods", "-n", NS, "-l",
                              "serving.kserve.io/inferenceservice=gated",
                              "-o", "name").stdout.strip()
        self.assertTrue(pod.startswith("pod/"), pod)
        logs = self.up.kubectl("logs", pod, "-n", NS, "-c", "kserve-container").stdout
        lines = [l for l in logs.splitlines() if "x-request-id=failing-1" in l]
        self.assertEqual(len(lines), 1, logs[-2000:])
        self.assertIn("HTTP 400", lines[0])
        self.assertRegex(lines[0], r"traceparent=00-" + TRACE + r"-[0-9a-f]{16}-01")

    def test_failing_grpc_call_in_kubectl_logs(self):
        import grpc
        pb, rpc = stubs()
        req = pb.ModelInferRequest(model_name="gated")
        t = req.inputs.add(name="features", datatype="FP64", shape=[1, 3])
        t.contents.fp64_contents.extend([1, 2, 3])
        with grpc.insecure_channel("127.0.0.1:%d" % self.grpc_port, options=[
                ("grpc.default_authority", "gated.%s.svc.cluster.local" % NS)]) as ch:
            with self.assertRaises(grpc.RpcError) as cm:
                rpc.GRPCInferenceServiceStub(ch).ModelInfer(
                    req, timeout=30, metadata=[("x-request-id", "grpc-failing-1"),
                                               ("traceparent", TRACEPARENT)])
        self.assertEqual(cm.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        pod = self.up.kubectl("get", "pods", "-n", NS, "-l",
                              "serving.kserve.io/inferenceservice=gated",
                              "-o", "name").stdout.strip()
        logs = self.up.kubectl("logs", pod, "-n", NS, "-c", "kserve-container").stdout
        lines = [l for l in logs.splitlines() if "x-request-id=grpc-failing-1" in l]
        self.assertEqual(len(lines), 1, logs[-2000:])
        self.assertIn("predictor: HTTP 400: gRPC INVALID_ARGUMENT: ", lines[0])
        self.assertIn(cm.exception.details()[:60], lines[0])
        self.assertRegex(lines[0], r"traceparent=00-" + TRACE + r"-[0-9a-f]{16}-01")
        # And the access log has the call with the code as REST answers it.
        ferrytest_wait(lambda: "x-request-id=grpc-failing-1 " in self.up.output(),
                       self.up.output)
        line = [l for l in self.up.output().splitlines() if "x-request-id=grpc-failing-1 " in l]
        self.assertIn('"POST /inference.GRPCInferenceService/ModelInfer" 400 ', line[0])


if __name__ == "__main__":
    unittest.main()
