#!/usr/bin/python3
"""spec.predictor.logger through `ferry up` with kubectl-applied InferenceServices: every
inference (V1 and V2 REST, V2 gRPC) is sent to a real HTTP receiver on 127.0.0.1 as KServe's
agent sends it — CloudEvents in binary mode, a request and its response sharing ce-id, ce-type
org.kubeflow.serving.inference.request/.response, ce-source the pod's name, the extensions
ce-inferenceservicename, ce-namespace, ce-component, ce-endpoint and ce-metadata (the
metadataHeaders the request carried), the request's Content-Type, the exact bodies — for each
mode (all, request, response). traceparent and x-request-id are copied onto the events. A
receiver that is down leaves inferences answered 200 and counts failed events in /metrics; a
receiver that takes seconds per event does not slow inferences down. Admission refuses a bad
mode or url naming the field.

Run with /usr/bin/python3.
"""
import datetime
import http.server
import json
import os
import sys
import threading
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up, free_port  # noqa: E402
from test_grpc import seed_request, stubs  # noqa: E402

NS = "logs"
V1_REQUEST = {"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}


class Receiver:
    """A CloudEvents sink: records every POST (path, headers, body); may answer slowly."""

    def __init__(self, delay=0.0):
        self.events = []
        self.cv = threading.Condition()
        self.delay = delay
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if outer.delay:
                    time.sleep(outer.delay)
                with outer.cv:
                    outer.events.append({"path": self.path, "body": body,
                                         "headers": {k.lower(): v for k, v in
                                                     self.headers.items()},
                                         "header_list": list(self.headers.items())})
                    outer.cv.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def wait(self, path, n, timeout=20, ce_id=None):
        """The events posted to `path` (with `ce_id`) once there are n or more, or at timeout."""
        deadline = time.time() + timeout
        with self.cv:
            while True:
                got = [e for e in self.events if e["path"] == path and
                       (ce_id is None or e["headers"].get("ce-id") == ce_id)]
                if len(got) >= n or time.time() > deadline:
                    return got
                self.cv.wait(0.1)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def isvc(name, logger, protocol="v2"):
    return json.dumps({
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"predictor": {"logger": logger, "model": {
            "modelFormat": {"name": "mlflow"}, "protocolVersion": protocol,
            "storageUri": "file://%s/iris_tensor" % ferrytest.mlflow_models()}}}})


class PayloadLoggingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.slow_rx = Receiver(delay=1.0)
        cls.models = os.path.abspath(ferrytest.mlflow_models())
        cls.grpc_port = free_port()
        cls.up = Up(profile="none", extra=["--allow-local-models", cls.models,
                                           "--grpc-port", str(cls.grpc_port)])
        cls.up.kubectl("create", "namespace", NS)
        dead = "http://127.0.0.1:%d/" % free_port()
        deployments = {
            "all": ({"mode": "all", "url": cls.rx.url("/all"),
                     "metadataHeaders": ["x-tenant", "X-Absent"]}, "v2"),
            "requests": ({"mode": "request", "url": cls.rx.url("/requests")}, "v2"),
            "responses": ({"mode": "response", "url": cls.rx.url("/responses")}, "v2"),
            "grpc": ({"url": cls.rx.url("/grpc"), "metadataHeaders": ["X-Tenant"]}, "grpc-v2"),
            "down": ({"url": dead}, "v2"),
            "slow": ({"mode": "request", "url": cls.slow_rx.url("/slow")}, "v2"),
        }
        for name, (logger, protocol) in deployments.items():
            cls.up.kubectl("apply", "-f", "-", input=isvc(name, logger, protocol))
        for name in deployments:
            cls.up.kubectl("wait", "--for=condition=Ready", "inferenceservice/" + name, "-n", NS,
                           "--timeout=60s")

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()
        cls.rx.stop()
        cls.slow_rx.stop()

    def post(self, name, path, **kw):
        return self.up.internal("%s.%s.svc.cluster.local" % (name, NS), path, **kw)

    def pod_name(self, name):
        r = self.up.kubectl("get", "pods", "-n", NS, "-l",
                            "serving.kserve.io/inferenceservice=" + name, "-o", "json")
        items = json.loads(r.stdout)["items"]
        self.assertEqual(len(items), 1)
        return items[0]["metadata"]["name"]

    def metric(self, name):
        text = requests.get("http://127.0.0.1:%d/metrics" % self.up.internal_port, timeout=10,
                            headers={"Host": "all.%s.svc.cluster.local" % NS}).text
        for line in text.splitlines():
            if line.startswith(name + " "):
                return int(line.split()[1])
        self.fail("%s is not in /metrics:\n%s" % (name, text))

    def assertEvent(self, event, isvc_name, kind, ce_id, content_type, metadata="{}"):
        h = event["headers"]
        self.assertEqual(h["ce-specversion"], "1.0")
        self.assertEqual(h["ce-id"], ce_id)
        self.assertEqual(h["ce-type"], "org.kubeflow.serving.inference." + kind)
        self.assertEqual(h["ce-source"], self.pod_name(isvc_name))
        self.assertEqual(h["ce-inferenceservicename"], isvc_name)
        self.assertEqual(h["ce-namespace"], NS)
        self.assertEqual(h["ce-component"], "predictor")
        self.assertEqual(h["ce-endpoint"], "default")
        self.assertEqual(json.loads(h["ce-metadata"]), json.loads(metadata))
        self.assertEqual(h.get("content-type"), content_type)
        when = datetime.datetime.fromisoformat(h["ce-time"][:26].rstrip("Z") + "+00:00")
        age = datetime.datetime.now(datetime.timezone.utc) - when
        self.assertLess(abs(age.total_seconds()), 60, h["ce-time"])

    def test_v2_rest_mode_all_with_metadata_headers(self):
        body = json.dumps(SEED_REQUEST).encode()
        r = self.post("all", "/v2/models/all/infer", data=body,
                      headers={"Content-Type": "application/json", "X-Tenant": "team-a",
                               "Ce-Id": "given-id-1", "traceparent":
                               "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                               "x-request-id": "req-77"})
        self.assertEqual(r.status_code, 200, r.text)
        events = self.rx.wait("/all", 2, ce_id="given-id-1")
        self.assertEqual(len(events), 2)
        by_type = {e["headers"]["ce-type"].rsplit(".", 1)[1]: e for e in events}
        for kind in ("request", "response"):
            self.assertEvent(by_type[kind], "all", kind, "given-id-1", "application/json",
                             '{"X-Tenant": ["team-a"]}')
            # The client's trace goes on in Ferry's span for this request (same trace-id and
            # flags, a span id of its own), the one both events of the call carry.
            version, trace_id, span_id, flags = by_type[kind]["headers"]["traceparent"].split("-")
            self.assertEqual((version, trace_id, flags),
                             ("00", "0af7651916cd43dd8448eb211c80319c", "01"))
            self.assertNotEqual(span_id, "b7ad6b7169203331")
            self.assertRegex(span_id, "^[0-9a-f]{16}$")
            self.assertEqual(by_type[kind]["headers"]["x-request-id"], "req-77")
        self.assertEqual(by_type["request"]["headers"]["traceparent"],
                         by_type["response"]["headers"]["traceparent"])
        self.assertEqual(r.headers["x-request-id"], "req-77")
        self.assertEqual(by_type["request"]["body"], body)
        self.assertEqual(by_type["response"]["body"], r.content)

    def test_v1_rest_shares_a_generated_id(self):
        with self.rx.cv:
            before = len([e for e in self.rx.events if e["path"] == "/all"])
        r = self.post("all", "/v1/models/all:predict", json=V1_REQUEST)
        self.assertEqual(r.status_code, 200, r.text)
        events = self.rx.wait("/all", before + 2)[before:]
        self.assertEqual(len(events), 2)
        ids = {e["headers"]["ce-id"] for e in events}
        self.assertEqual(len(ids), 1)
        ce_id = ids.pop()
        self.assertRegex(ce_id, r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                r"[0-9a-f]{12}$")
        by_type = {e["headers"]["ce-type"].rsplit(".", 1)[1]: e for e in events}
        self.assertEvent(by_type["request"], "all", "request", ce_id, "application/json")
        self.assertEvent(by_type["response"], "all", "response", ce_id, "application/json")
        self.assertEqual(json.loads(by_type["request"]["body"]), V1_REQUEST)
        self.assertEqual(by_type["response"]["body"], r.content)

    def test_mode_request_and_mode_response(self):
        body = json.dumps(SEED_REQUEST).encode()
        for name in ("requests", "responses"):
            r = self.post(name, "/v2/models/%s/infer" % name, data=body,
                          headers={"Content-Type": "application/json", "Ce-Id": "id-" + name})
            self.assertEqual(r.status_code, 200, r.text)
        req = self.rx.wait("/requests", 1, ce_id="id-requests")
        resp = self.rx.wait("/responses", 1, ce_id="id-responses")
        self.assertEvent(req[0], "requests", "request", "id-requests", "application/json")
        self.assertEqual(req[0]["body"], body)
        self.assertEvent(resp[0], "responses", "response", "id-responses", "application/json")
        self.assertEqual(json.loads(resp[0]["body"])["model_name"], "responses")
        time.sleep(1.0)  # nothing else comes
        self.assertEqual(len(self.rx.wait("/requests", 2, timeout=0, ce_id="id-requests")), 1)
        self.assertEqual(len(self.rx.wait("/responses", 2, timeout=0, ce_id="id-responses")), 1)

    def test_a_failed_inference_logs_its_request_only(self):
        r = self.post("requests", "/v2/models/requests/infer", json={"inputs": []},
                      headers={"Ce-Id": "bad-one"})
        self.assertEqual(r.status_code, 400)
        r = self.post("all", "/v2/models/all/infer", json={"inputs": []},
                      headers={"Ce-Id": "bad-two"})
        self.assertEqual(r.status_code, 400)
        deadline = time.time() + 20
        while time.time() < deadline:
            ids = [e["headers"]["ce-id"] for e in self.rx.events]
            if "bad-two" in ids and "bad-one" in ids:
                break
            time.sleep(0.05)
        time.sleep(0.5)
        bad = [e for e in self.rx.events if e["headers"]["ce-id"] == "bad-two"]
        self.assertEqual([e["headers"]["ce-type"] for e in bad],
                         ["org.kubeflow.serving.inference.request"])

    def test_grpc_v2_logs_protobuf_messages(self):
        import grpc
        pb, rpc = stubs()
        with grpc.insecure_channel("127.0.0.1:%d" % self.grpc_port, options=[
                ("grpc.default_authority", "grpc.%s.svc.cluster.local" % NS)]) as ch:
            req = seed_request(pb, "grpc")
            res = rpc.GRPCInferenceServiceStub(ch).ModelInfer(
                req, timeout=10, metadata=[("x-tenant", "t-grpc"), ("ce-id", "grpc-id")])
        events = self.rx.wait("/grpc", 2, ce_id="grpc-id")
        self.assertEqual(len(events), 2)
        by_type = {e["headers"]["ce-type"].rsplit(".", 1)[1]: e for e in events}
        for kind in ("request", "response"):
            self.assertEvent(by_type[kind], "grpc", kind, "grpc-id", "application/x-protobuf",
                             '{"X-Tenant": ["t-grpc"]}')
        self.assertEqual(pb.ModelInferRequest.FromString(by_type["request"]["body"]), req)
        self.assertEqual(pb.ModelInferResponse.FromString(by_type["response"]["body"]), res)

    def test_receiver_down_inference_still_answers_and_failures_count(self):
        failed, retries = (self.metric("ferry_payload_log_events_failed_total"),
                           self.metric("ferry_payload_log_retries_total"))
        for _ in range(3):
            r = self.post("down", "/v2/models/down/infer", json=SEED_REQUEST)
            self.assertEqual(r.status_code, 200, r.text)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.metric("ferry_payload_log_events_failed_total") >= failed + 6:
                break
            time.sleep(0.1)
        self.assertGreaterEqual(self.metric("ferry_payload_log_events_failed_total"), failed + 6)
        # Each event was tried three times (two retries with backoff) before it counted failed.
        self.assertGreaterEqual(self.metric("ferry_payload_log_retries_total"), retries + 12)
        self.metric("ferry_payload_log_events_dropped_total")  # exported
        self.metric("ferry_payload_log_events_queued")

    def test_slow_receiver_does_not_slow_inferences(self):
        worst = 0.0
        for _ in range(10):
            t0 = time.monotonic()
            r = self.post("slow", "/v2/models/slow/infer", json=SEED_REQUEST)
            worst = max(worst, time.monotonic() - t0)
            self.assertEqual(r.status_code, 200, r.text)
        # The receiver takes 1 s per event; ten of them queue behind it.
        self.assertLess(worst, 0.5)
        self.assertGreaterEqual(len(self.slow_rx.wait("/slow", 1, timeout=10)), 1)

    def test_admission_refuses_bad_mode_and_url(self):
        for logger, fragment in (
                ({"mode": "everything", "url": self.rx.url("/x")},
                 'spec.predictor.logger.mode is "everything"'),
                ({"mode": "all"}, "spec.predictor.logger.url is required"),
                ({"url": "ftp://127.0.0.1/x"}, "scheme ftp is not supported"),
                ({"url": "http://127.0.0.1/", "metadataHeaders": ["bad header"]},
                 "not an HTTP header name")):
            with self.subTest(logger=logger):
                r = self.up.kubectl("apply", "-f", "-", input=isvc("refused", logger),
                                    check=False)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("spec.predictor.logger", r.stderr)
                self.assertIn(fragment, r.stderr)
        r = self.up.kubectl("get", "isvc", "-n", NS, "refused", check=False)
        self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    unittest.main()
