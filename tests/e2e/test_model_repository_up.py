#!/usr/bin/python3
"""The model repository extension through `ferry up`'s gateways (kubeflow profile, kubectl-applied
YAML): REST (python3-requests) and gRPC on the InferenceService's host. Unload = the revision
scaled to zero and kept there (503, status condition Active=False/Unloaded), load = loaded again;
the gateway's policies apply as to every path (another namespace's token gets 403 and changes
nothing); only the host's own model can be named.

Run with /usr/bin/python3.
"""
import json
import os
import sys
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up, free_port  # noqa: E402
from test_grpc import seed_request, stubs  # noqa: E402

NS = "kubeflow-user-example-com"
HOST = "irish.%s.example.com" % NS


def isvc_yaml(name, models, model="iris_tensor", canary=None):
    return ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: %s\nspec:\n  predictor:\n" % name +
            ("    canaryTrafficPercent: %d\n" % canary if canary is not None else "") +
            "    model:\n      modelFormat:\n        name: mlflow\n      protocolVersion: v2\n"
            "      storageUri: file://%s/%s\n" % (models, model))


class RepositoryUpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import grpc
        cls.grpc = grpc
        cls.pb, cls.rpc = stubs()
        cls.models = os.path.abspath(ferrytest.mlflow_models())
        cls.grpc_port = free_port()
        cls.up = up = Up(profile="kubeflow", extra=["--grpc-port", str(cls.grpc_port),
                                                    "--allow-local-models", cls.models])
        up.kubectl("apply", "-f", "-", input=(
            "apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
            "spec:\n  owner:\n    kind: User\n    name: user@example.com\n" % NS))
        deadline = time.time() + 10
        while time.time() < deadline:
            if up.kubectl("get", "serviceaccount", "default-editor", "-n", NS,
                          check=False).returncode == 0:
                break
            time.sleep(0.05)
        for name in ("irish", "other"):
            up.kubectl("apply", "-n", NS, "-f", "-", input=isvc_yaml(name, cls.models))
        for name in ("irish", "other"):
            up.kubectl("wait", "--for=condition=Ready", "inferenceservice/" + name, "-n", NS,
                       "--timeout=60s")
        token = up.kubectl("create", "token", "default-editor", "-n", NS).stdout.strip()
        cls.auth = {"Authorization": "Bearer " + token}
        up.kubectl("create", "namespace", "other-team")
        up.kubectl("create", "serviceaccount", "robot", "-n", "other-team")
        robot = up.kubectl("create", "token", "robot", "-n", "other-team").stdout.strip()
        cls.stranger = {"Authorization": "Bearer " + robot}
        cls.ch = grpc.insecure_channel("127.0.0.1:%d" % cls.grpc_port,
                                       options=[("grpc.default_authority", HOST)])
        cls.stub = cls.rpc.GRPCInferenceServiceStub(cls.ch)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        cls.up.stop()

    def post(self, path, headers=None, **kw):
        return self.up.external(HOST, path, headers=headers or self.auth, **kw)

    def infer(self):
        return self.post("/v2/models/irish/infer", json=SEED_REQUEST)

    def condition(self, kind):
        st = json.loads(self.up.kubectl("get", "isvc", "irish", "-n", NS, "-o", "json").stdout)
        return next((c for c in st["status"].get("conditions", []) if c["type"] == kind), {})

    def wait_condition(self, kind, pred):
        deadline = time.time() + 10
        while time.time() < deadline:
            c = self.condition(kind)
            if pred(c):
                return c
            time.sleep(0.05)
        self.fail("condition %s: %s" % (kind, self.condition(kind)))

    def assertError(self, r, status, text):
        self.assertEqual(r.status_code, status, r.text)
        json_body = r.headers.get("content-type", "").startswith("application/json")
        self.assertIn(text, r.json()["error"] if json_body else r.text)

    def test_rest_unload_and_load_map_onto_the_revision(self):
        r = requests.get("http://127.0.0.1:%d/v2" % self.up.http_port,
                         headers=dict(self.auth, Host=HOST), timeout=10)
        self.assertIn("model_repository_extension", r.json()["extensions"])
        self.assertEqual(self.post("/v2/repository/index").json(),
                         [{"name": "irish", "state": "READY", "reason": ""}])
        r = self.post("/v2/repository/models/irish/unload")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"name": "irish", "unload": True})
        self.assertError(self.infer(), 503, "Model with name irish is not ready.")
        c = self.wait_condition("Active", lambda c: c.get("status") == "False")
        self.assertEqual(c["reason"], "Unloaded")
        self.assertEqual(self.condition("Ready")["status"], "True")
        idx = self.post("/v2/repository/index").json()
        self.assertEqual(idx[0]["state"], "UNAVAILABLE")
        self.assertIn("unloaded", idx[0]["reason"])
        self.assertEqual(self.post("/v2/repository/index", json={"ready": True}).json(), [])
        self.assertIn("Unloaded", self.up.kubectl("get", "events", "-n", NS).stdout)
        # Unloaded stays unloaded (no activator wake-up) until a load.
        self.assertEqual(self.infer().status_code, 503)
        r = self.post("/v2/repository/models/irish/load")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"name": "irish", "load": True})
        self.assertEqual(self.infer().status_code, 200)
        self.wait_condition("Active", lambda c: c.get("status") != "False")
        # Loading a loaded model: nothing to do.
        self.assertEqual(self.post("/v2/repository/models/irish/load").status_code, 200)

    def test_refusals(self):
        # The namespace's other model is not this host's: KServe's 404.
        self.assertError(self.post("/v2/repository/models/other/unload"), 404,
                         "Model with name other does not exist.")
        self.assertError(self.post("/v2/repository/models/nope/load"), 404,
                         "Model with name nope does not exist.")
        self.assertError(self.post("/v2/repository/index", data="{\"ready\": \"no\"}"), 400,
                         "\"ready\" must be a boolean")
        # The gateway's policies decide first: another namespace's identity is denied.
        self.assertError(self.post("/v2/repository/models/irish/unload", headers=self.stranger),
                         403, "RBAC: access denied")
        self.assertEqual(self.infer().status_code, 200)  # nothing was unloaded
        self.assertNotEqual(self.condition("Active").get("reason"), "Unloaded")

    def test_unload_during_a_canary_split_is_refused(self):
        up = self.up
        up.kubectl("apply", "-n", NS, "-f", "-", input=isvc_yaml("split", self.models))
        up.kubectl("wait", "--for=condition=Ready", "inferenceservice/split", "-n", NS,
                   "--timeout=60s")
        up.kubectl("apply", "-n", NS, "-f", "-",
                   input=isvc_yaml("split", self.models, "iris_columns", canary=50))
        deadline = time.time() + 30
        while time.time() < deadline:
            st = json.loads(up.kubectl("get", "isvc", "split", "-n", NS, "-o", "json").stdout)
            traffic = st["status"].get("components", {}).get("predictor", {}).get("traffic", [])
            if len(traffic) == 2:
                break
            time.sleep(0.05)
        self.assertEqual(len(traffic), 2, st["status"])
        host = "split.%s.example.com" % NS
        r = up.external(host, "/v2/repository/models/split/unload", headers=self.auth)
        self.assertError(r, 400, "canaryTrafficPercent: 50")
        r = up.external(host, "/v2/models/split/infer", headers=self.auth, json=SEED_REQUEST)
        self.assertEqual(r.status_code, 200, r.text)

    def test_grpc_unload_and_load(self):
        md = [("authorization", self.auth["Authorization"])]
        md_stranger = [("authorization", self.stranger["Authorization"])]
        with self.assertRaises(self.grpc.RpcError) as cm:
            self.stub.RepositoryModelUnload(
                self.pb.RepositoryModelUnloadRequest(model_name="irish"), timeout=20,
                metadata=md_stranger)
        self.assertEqual(cm.exception.code(), self.grpc.StatusCode.PERMISSION_DENIED)
        with self.assertRaises(self.grpc.RpcError) as cm:
            self.stub.RepositoryModelLoad(self.pb.RepositoryModelLoadRequest(model_name="other"),
                                          timeout=20, metadata=md)
        self.assertEqual(cm.exception.code(), self.grpc.StatusCode.NOT_FOUND)
        md_ = self.stub.ServerMetadata(self.pb.ServerMetadataRequest(), timeout=10, metadata=md)
        self.assertIn("model_repository_extension", list(md_.extensions))
        res = self.stub.RepositoryModelUnload(
            self.pb.RepositoryModelUnloadRequest(model_name="irish"), timeout=20, metadata=md)
        self.assertTrue(res.isUnloaded)
        with self.assertRaises(self.grpc.RpcError) as cm:
            self.stub.ModelInfer(seed_request(self.pb, "irish"), timeout=10, metadata=md)
        self.assertEqual(cm.exception.code(), self.grpc.StatusCode.UNAVAILABLE)
        idx = self.stub.RepositoryIndex(self.pb.RepositoryIndexRequest(), timeout=10, metadata=md)
        self.assertEqual([(m.name, m.state) for m in idx.models], [("irish", "UNAVAILABLE")])
        res = self.stub.RepositoryModelLoad(self.pb.RepositoryModelLoadRequest(model_name="irish"),
                                            timeout=20, metadata=md)
        self.assertTrue(res.isLoaded)
        out = self.stub.ModelInfer(seed_request(self.pb, "irish"), timeout=10, metadata=md)
        self.assertEqual(list(out.outputs[0].contents.int64_contents), [1, 1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
