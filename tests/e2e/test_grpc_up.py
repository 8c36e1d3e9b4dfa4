#!/usr/bin/python3
"""`ferry up --grpc-port`: V2 gRPC (inference.GRPCInferenceService) through the
gateways — the channel's `:authority` selects the InferenceService like Host
does on HTTP, and every call meets the same AuthorizationPolicy /
RequestAuthentication checks (denials as PERMISSION_DENIED / UNAUTHENTICATED
with Envoy's body). Also: an InferenceService with KServe's `batcher` answers
concurrent calls correctly. Client generated at test time (see test_grpc.py).

Run with /usr/bin/python3.
"""
import concurrent.futures
import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import Up, free_port  # noqa: E402
from test_grpc import ROWS, seed_request, stubs  # noqa: E402

NS = "grpc-team"


def isvc_yaml(name, models, batcher=None):
    text = ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: %s\nspec:\n  predictor:\n" % name)
    if batcher:
        text += "    batcher:\n" + "".join("      %s: %s\n" % kv for kv in batcher.items())
    text += ("    model:\n      modelFormat:\n        name: mlflow\n      protocolVersion: grpc-v2\n"
             "      storageUri: file://%s/iris_tensor\n" % models)
    return text


def deploy(up, ns, name, models, batcher=None):
    up.kubectl("apply", "-n", ns, "-f", "-", input=isvc_yaml(name, models, batcher))
    up.kubectl("wait", "--for=condition=Ready", "inferenceservice/" + name, "-n", ns,
               "--timeout=60s")


class GrpcUpTestBase(unittest.TestCase):
    profile = "none"

    @classmethod
    def setUpClass(cls):
        import grpc
        cls.grpc = grpc
        cls.pb, cls.rpc = stubs()
        cls.models = os.path.abspath(ferrytest.mlflow_models())
        cls.grpc_port = free_port()
        cls.up = Up(profile=cls.profile, extra=["--grpc-port", str(cls.grpc_port),
                                                "--allow-local-models", cls.models])
        cls.channels = []

    @classmethod
    def tearDownClass(cls):
        for ch in cls.channels:
            ch.close()
        cls.up.stop()

    def stub(self, authority):
        ch = self.grpc.insecure_channel("127.0.0.1:%d" % self.grpc_port,
                                        options=[("grpc.default_authority", authority)])
        self.channels.append(ch)
        return self.rpc.GRPCInferenceServiceStub(ch)

    def assertCode(self, fn, req, code, *fragments, metadata=None):
        with self.assertRaises(self.grpc.RpcError) as cm:
            fn(req, timeout=10, metadata=metadata)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        for f in fragments:
            self.assertIn(f, cm.exception.details())
        return cm.exception


class GrpcUpNoneProfileTest(GrpcUpTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.up.kubectl("create", "namespace", NS)
        deploy(cls.up, NS, "irish", cls.models)
        deploy(cls.up, NS, "batched", cls.models, {"maxBatchSize": 16, "maxLatency": 2})

    def test_listener_is_announced(self):
        self.assertIn("V2 gRPC gateway 127.0.0.1:%d" % self.grpc_port, self.up.output())

    def test_all_rpcs_by_external_and_internal_authority(self):
        pb = self.pb
        for authority in ("irish.%s.example.com" % NS, "irish.%s.svc.cluster.local" % NS,
                          "irish.%s.example.com:80" % NS):
            with self.subTest(authority=authority):
                s = self.stub(authority)
                self.assertTrue(s.ServerLive(pb.ServerLiveRequest(), timeout=10).live)
                self.assertTrue(s.ServerReady(pb.ServerReadyRequest(), timeout=10).ready)
                self.assertEqual(s.ServerMetadata(pb.ServerMetadataRequest(), timeout=10).name,
                                 "ferry")
                self.assertTrue(s.ModelReady(pb.ModelReadyRequest(name="irish"), timeout=10).ready)
                md = s.ModelMetadata(pb.ModelMetadataRequest(name="irish"), timeout=10)
                self.assertEqual(md.name, "irish")
                self.assertEqual(md.inputs[0].datatype, "FP64")
                res = s.ModelInfer(seed_request(pb, "irish"), timeout=10)
                self.assertEqual(res.model_name, "irish")
                self.assertEqual(list(res.outputs[0].contents.int64_contents), [1, 1])
                raw = s.ModelInfer(seed_request(pb, "irish", raw=True), timeout=10)
                self.assertEqual(struct.unpack("<2q", raw.raw_output_contents[0]), (1, 1))

    def test_unknown_authority_and_model(self):
        NOT_FOUND = self.grpc.StatusCode.NOT_FOUND
        s = self.stub("nobody.%s.example.com" % NS)
        self.assertCode(s.ModelInfer, seed_request(self.pb, "irish"), NOT_FOUND,
                        "nobody.%s.example.com" % NS, "grpc.default_authority")
        s = self.stub("irish.%s.example.com" % NS)
        self.assertCode(s.ModelInfer, seed_request(self.pb, "other"), NOT_FOUND, "irish")

    def test_authorization_policy_denies_model_infer_only(self):
        policy = ("apiVersion: security.istio.io/v1beta1\nkind: AuthorizationPolicy\n"
                  "metadata:\n  name: no-grpc-infer\nspec:\n  action: DENY\n  rules:\n"
                  "  - to:\n    - operation:\n        paths: "
                  "[\"/inference.GRPCInferenceService/ModelInfer\"]\n")
        self.up.kubectl("apply", "-n", NS, "-f", "-", input=policy)
        try:
            s = self.stub("irish.%s.svc.cluster.local" % NS)
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    s.ModelInfer(seed_request(self.pb, "irish"), timeout=10)
                    time.sleep(0.05)
                except self.grpc.RpcError:
                    break
            self.assertCode(s.ModelInfer, seed_request(self.pb, "irish"),
                            self.grpc.StatusCode.PERMISSION_DENIED, "RBAC: access denied")
            self.assertTrue(s.ModelReady(self.pb.ModelReadyRequest(name="irish"),
                                         timeout=10).ready)
        finally:
            self.up.kubectl("delete", "authorizationpolicy", "no-grpc-infer", "-n", NS)

    def test_batched_isvc_answers_each_caller_its_own_rows(self):
        s = self.stub("batched.%s.example.com" % NS)
        plain = self.stub("irish.%s.example.com" % NS)
        rows = [[6.8, 2.8, 4.8, 1.4], [5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5],
                [6.0, 3.4, 4.5, 1.6], [4.9, 3.0, 1.4, 0.2], [7.7, 2.6, 6.9, 2.3]]

        def one(i):
            row = rows[i % len(rows)]
            req = self.pb.ModelInferRequest(model_name="batched")
            req.parameters["content_type"].string_param = "np"
            req.inputs.add(name="features", datatype="FP64", shape=[1, 4]).contents \
                .fp64_contents.extend(row)
            req.outputs.add(name="predict_proba")
            res = s.ModelInfer(req, timeout=20)
            req.model_name = "irish"
            want = plain.ModelInfer(req, timeout=20)
            return (list(res.outputs[0].contents.fp64_contents),
                    list(want.outputs[0].contents.fp64_contents))

        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            results = list(pool.map(one, range(192)))
        for got, want in results:
            self.assertEqual(got, want)
        self.assertEqual(len({tuple(g) for g, _ in results}), len(rows))


class GrpcUpKubeflowTest(GrpcUpTestBase):
    """Kubeflow's policies: a ServiceAccount token in `authorization` metadata."""
    profile = "kubeflow"
    ns = "kubeflow-user-example-com"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        up = cls.up
        manifest = ("apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
                    "spec:\n  owner:\n    kind: User\n    name: user@example.com\n" % cls.ns)
        up.kubectl("apply", "-f", "-", input=manifest)
        deadline = time.time() + 10
        while time.time() < deadline:
            if up.kubectl("get", "serviceaccount", "default-editor", "-n", cls.ns,
                          check=False).returncode == 0:
                break
            time.sleep(0.05)
        deploy(up, cls.ns, "irish", cls.models)
        cls.token = up.kubectl("create", "token", "default-editor", "-n", cls.ns).stdout.strip()

    def test_token_allows_every_rpc(self):
        s = self.stub("irish.%s.example.com" % self.ns)
        md = [("authorization", "Bearer " + self.token)]
        self.assertTrue(s.ServerLive(self.pb.ServerLiveRequest(), timeout=10, metadata=md).live)
        self.assertTrue(s.ModelReady(self.pb.ModelReadyRequest(name="irish"), timeout=10,
                                     metadata=md).ready)
        res = s.ModelInfer(seed_request(self.pb, "irish"), timeout=10, metadata=md)
        self.assertEqual(list(res.outputs[0].contents.int64_contents), [1, 1])

    def test_no_token_is_refused(self):
        s = self.stub("irish.%s.example.com" % self.ns)
        with self.assertRaises(self.grpc.RpcError) as cm:
            s.ModelInfer(seed_request(self.pb, "irish"), timeout=10)
        # Kubeflow's oauth2-proxy answers a sign-in page; gRPC gets what to send instead.
        self.assertIn(cm.exception.code(), (self.grpc.StatusCode.PERMISSION_DENIED,
                                            self.grpc.StatusCode.UNAUTHENTICATED),
                      cm.exception.details())
        self.assertIn("authorization: Bearer", cm.exception.details())
        self.assertNotIn("<html", cm.exception.details())

    def test_other_namespace_token_is_permission_denied(self):
        up = self.up
        up.kubectl("create", "namespace", "other-team", check=False)
        up.kubectl("create", "serviceaccount", "robot", "-n", "other-team", check=False)
        other = up.kubectl("create", "token", "robot", "-n", "other-team").stdout.strip()
        s = self.stub("irish.%s.example.com" % self.ns)
        self.assertCode(s.ModelInfer, seed_request(self.pb, "irish"),
                        self.grpc.StatusCode.PERMISSION_DENIED, "RBAC: access denied",
                        metadata=[("authorization", "Bearer " + other)])

    def test_tampered_token_is_unauthenticated(self):
        h, p, sig = self.token.split(".")
        tampered = h + "." + p[:-2] + ("A" if p[-2] != "A" else "B") + p[-1] + "." + sig
        s = self.stub("irish.%s.example.com" % self.ns)
        err = self.assertCode(s.ModelInfer, seed_request(self.pb, "irish"),
                              self.grpc.StatusCode.UNAUTHENTICATED, "Jwt",
                              metadata=[("authorization", "Bearer " + tampered)])
        trailers = dict(err.trailing_metadata() or ())
        self.assertIn("invalid_token", trailers.get("www-authenticate", ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
