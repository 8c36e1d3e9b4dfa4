#!/usr/bin/python3
"""The Open Inference Protocol's model repository extension of `ferry serve`: REST
(`POST /v2/repository/index`, `.../models/{name}/load|unload`, python3-requests) and gRPC
(RepositoryIndex, RepositoryModelLoad/Unload on inference.GRPCInferenceService; the client is
generated from proto/ as in test_grpc.py, and KServe's and Triton's request encodings are also
sent as raw bytes) over a multi-model directory (one directory per model) and over the single
model of a plain `ferry serve`.

Run with /usr/bin/python3.
"""
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import SEED_REQUEST, Serve, free_port, mlflow_models  # noqa: E402
from test_grpc import channel, seed_request, stubs  # noqa: E402

SERVICE = "/inference.GRPCInferenceService/"


def proto_string(field, text):
    """One length-delimited protobuf field (the wire form, independent of any generated code)."""
    data = text.encode()
    assert len(data) < 128
    return bytes([(field << 3) | 2, len(data)]) + data


class MultiModelServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import grpc
        cls.grpc = grpc
        cls.pb, rpc = stubs()
        cls.root = tempfile.mkdtemp(prefix="ferry-repo-")
        models = mlflow_models()
        shutil.copytree(os.path.join(models, "iris_tensor"), os.path.join(cls.root, "iris"))
        shutil.copytree(os.path.join(models, "iris_columns"), os.path.join(cls.root, "iris-cols"))
        os.makedirs(os.path.join(cls.root, ".cache"))  # hidden: no model
        with open(os.path.join(cls.root, "README.md"), "w") as f:
            f.write("two models\n")
        cls.grpc_port = free_port()
        # --model_name is not used for a repository: every model is named after its directory.
        cls.s = Serve(cls.root, name="ignored", extra=["--grpc_port", str(cls.grpc_port)])
        cls.ch = channel(cls.grpc_port)
        cls.stub = rpc.GRPCInferenceServiceStub(cls.ch)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        cls.s.__exit__(None)
        shutil.rmtree(cls.root)

    def infer(self, name):
        return self.s.post("/v2/models/%s/infer" % name, json=SEED_REQUEST)

    def index(self, body=None):
        r = self.s.post("/v2/repository/index", json=body) if body is not None else \
            self.s.post("/v2/repository/index")
        self.assertEqual(r.status_code, 200, r.text)
        return {e["name"]: e for e in r.json()}

    def assertError(self, r, status, text):
        self.assertEqual(r.status_code, status, r.text)
        self.assertIn(text, r.json()["error"])

    def assertCode(self, fn, req, code, *fragments):
        with self.assertRaises(self.grpc.RpcError) as cm:
            fn(req, timeout=20)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        for f in fragments:
            self.assertIn(f, cm.exception.details())

    def test_every_directory_is_a_model_under_its_name(self):
        self.assertEqual(sorted(self.s.get("/v2/models").json()["models"]), ["iris", "iris-cols"])
        for name in ("iris", "iris-cols"):
            r = self.infer(name)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["model_name"], name)
        self.assertError(self.infer("ignored"), 404, "Model with name ignored does not exist.")
        self.assertIn("model repository", self.s.output())

    def test_server_metadata_advertises_the_extension(self):
        self.assertIn("model_repository_extension", self.s.get("/v2").json()["extensions"])
        md = self.stub.ServerMetadata(self.pb.ServerMetadataRequest(), timeout=10)
        self.assertIn("model_repository_extension", list(md.extensions))

    def test_index_lists_models_with_state(self):
        idx = self.index()
        self.assertEqual(idx["iris"]["state"], "READY")
        self.assertEqual(idx["iris"]["reason"], "")
        self.assertNotIn(".cache", idx)
        self.assertEqual(self.index({})["iris"]["state"], "READY")
        g = self.stub.RepositoryIndex(self.pb.RepositoryIndexRequest(), timeout=10)
        self.assertEqual({m.name: m.state for m in g.models},
                         {n: e["state"] for n, e in idx.items()})

    def test_unload_then_load_over_rest(self):
        r = self.s.post("/v2/repository/models/iris-cols/unload")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"name": "iris-cols", "unload": True})
        self.assertError(self.infer("iris-cols"), 503, "Model with name iris-cols is not ready.")
        self.assertEqual(self.s.get("/v2/models/iris-cols/ready").status_code, 503)
        idx = self.index()
        self.assertEqual(idx["iris-cols"]["state"], "UNAVAILABLE")
        self.assertIn("unloaded", idx["iris-cols"]["reason"])
        self.assertNotIn("iris-cols", self.index({"ready": True}))
        # One unloaded model does not take the server out of its Service's endpoints.
        self.assertEqual(self.s.get("/v2/health/ready").status_code, 200)
        self.assertEqual(self.infer("iris").status_code, 200)
        # Unloading again has nothing to do; loading brings it back.
        self.assertEqual(self.s.post("/v2/repository/models/iris-cols/unload").status_code, 200)
        r = self.s.post("/v2/repository/models/iris-cols/load")
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"name": "iris-cols", "load": True})
        self.assertEqual(self.infer("iris-cols").status_code, 200)
        # Loading a loaded model reloads it; it keeps answering.
        self.assertEqual(self.s.post("/v2/repository/models/iris-cols/load").status_code, 200)
        self.assertEqual(self.infer("iris-cols").status_code, 200)

    def test_refusals_over_rest(self):
        for verb in ("load", "unload"):
            self.assertError(self.s.post("/v2/repository/models/nope/%s" % verb), 404,
                             "Model with name nope does not exist.")
            # Names are matched against the directory's entries, never joined onto a path.
            self.assertError(self.s.post("/v2/repository/models/..%%2Firis/%s" % verb), 404,
                             "does not exist")
            self.assertError(self.s.post("/v2/repository/models/.cache/%s" % verb), 404,
                             "Model with name .cache does not exist.")
        self.assertError(self.s.post("/v2/repository/index", data="{\"ready\": 1}"), 400,
                         "\"ready\" must be a boolean")
        self.assertError(self.s.post("/v2/repository/index", data="{not json"), 400,
                         "not valid JSON")
        self.assertError(self.s.post("/v2/repository/models/iris/load",
                                     json={"parameters": {"config": "{}"}}), 400,
                         "parameter \"config\" is not supported")
        self.assertEqual(self.s.get("/v2/repository/index").status_code, 405)
        self.assertEqual(self.infer("iris").status_code, 200)  # nothing was unloaded

    def test_a_directory_added_later_loads_and_a_broken_one_says_why(self):
        models = mlflow_models()
        late = os.path.join(self.root, "late")
        shutil.copytree(os.path.join(models, "iris_tensor"), late)
        broken = os.path.join(self.root, "broken")
        os.makedirs(broken)
        with open(os.path.join(broken, "model.joblib"), "w") as f:
            f.write("not a pickle")
        try:
            idx = self.index()
            self.assertEqual(idx["late"]["state"], "UNAVAILABLE")
            self.assertIn("not loaded", idx["late"]["reason"])
            self.assertEqual(self.s.post("/v2/repository/models/late/load").status_code, 200)
            self.assertEqual(self.infer("late").status_code, 200)
            r = self.s.post("/v2/repository/models/broken/load")
            self.assertError(r, 503, "Model with name broken is not ready: it failed to load")
            self.assertIn("model.joblib", r.json()["error"])
            idx = self.index()
            self.assertEqual(idx["broken"]["state"], "UNAVAILABLE")
            self.assertIn("model.joblib", idx["broken"]["reason"])
        finally:
            # Unloaded once their directories are gone, they leave the repository.
            shutil.rmtree(broken)
            shutil.rmtree(late)
            self.s.post("/v2/repository/models/broken/unload")
            self.s.post("/v2/repository/models/late/unload")
        self.assertNotIn("late", self.index())

    def test_unload_then_load_over_grpc(self):
        res = self.stub.RepositoryModelUnload(
            self.pb.RepositoryModelUnloadRequest(model_name="iris"), timeout=20)
        self.assertEqual((res.model_name, res.isUnloaded), ("iris", True))
        self.assertFalse(self.stub.ModelReady(self.pb.ModelReadyRequest(name="iris"),
                                              timeout=10).ready)
        self.assertCode(self.stub.ModelInfer, seed_request(self.pb, "iris"),
                        self.grpc.StatusCode.UNAVAILABLE, "iris")
        ready = self.stub.RepositoryIndex(self.pb.RepositoryIndexRequest(ready=True), timeout=10)
        self.assertNotIn("iris", [m.name for m in ready.models])
        res = self.stub.RepositoryModelLoad(self.pb.RepositoryModelLoadRequest(model_name="iris"),
                                            timeout=20)
        self.assertEqual((res.model_name, res.isLoaded), ("iris", True))
        self.assertEqual(len(self.stub.ModelInfer(seed_request(self.pb, "iris"),
                                                  timeout=10).outputs), 1)

    def test_kserve_and_triton_wire_forms(self):
        def call(method, payload):
            fn = self.ch.unary_unary(SERVICE + method)  # bytes in, bytes out
            return fn(payload, timeout=20)
        # KServe's RepositoryModelUnloadRequest: model_name = 1; answer model_name = 1, flag = 2.
        out = call("RepositoryModelUnload", proto_string(1, "iris-cols"))
        self.assertEqual(out, proto_string(1, "iris-cols") + b"\x10\x01")
        # Triton's RepositoryModelLoadRequest: repository_name = 1 (empty), model_name = 2.
        out = call("RepositoryModelLoad", proto_string(2, "iris-cols"))
        self.assertEqual(out, proto_string(1, "iris-cols") + b"\x10\x01")
        self.assertEqual(self.infer("iris-cols").status_code, 200)
        with self.assertRaises(self.grpc.RpcError) as cm:
            call("RepositoryModelLoad", proto_string(1, "other-repo") + proto_string(2, "iris"))
        self.assertEqual(cm.exception.code(), self.grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("repository 'other-repo' is unknown", cm.exception.details())

    def test_refusals_over_grpc(self):
        NOT_FOUND = self.grpc.StatusCode.NOT_FOUND
        self.assertCode(self.stub.RepositoryModelLoad,
                        self.pb.RepositoryModelLoadRequest(model_name="nope"), NOT_FOUND,
                        "Model with name nope does not exist.")
        self.assertCode(self.stub.RepositoryModelUnload,
                        self.pb.RepositoryModelUnloadRequest(model_name="nope"), NOT_FOUND,
                        "Model with name nope does not exist.")
        req = self.pb.RepositoryModelUnloadRequest(model_name="iris")
        req.parameters["unload_dependents"].bool_param = True
        self.assertCode(self.stub.RepositoryModelUnload, req,
                        self.grpc.StatusCode.INVALID_ARGUMENT,
                        "parameter \"unload_dependents\" is not supported")
        self.assertCode(self.stub.RepositoryModelLoad, self.pb.RepositoryModelLoadRequest(),
                        self.grpc.StatusCode.INVALID_ARGUMENT, "names no model")
        self.assertEqual(self.infer("iris").status_code, 200)


class SingleModelServeTest(unittest.TestCase):
    """A plain `ferry serve` keeps serving its one model as before, and answers the extension
    for that model (as KServe's model server does)."""

    def test_single_model(self):
        with Serve(os.path.join(mlflow_models(), "iris_tensor"), name="irish-s3") as s:
            r = s.post("/v2/repository/index")
            self.assertEqual(r.json(), [{"name": "irish-s3", "state": "READY", "reason": ""}])
            self.assertEqual(s.post("/v2/repository/models/irish-s3/unload").status_code, 200)
            r = s.post("/v2/models/irish-s3/infer", json=SEED_REQUEST)
            self.assertEqual(r.status_code, 503, r.text)
            self.assertEqual(s.get("/v2/health/ready").status_code, 503)  # nothing left to serve
            self.assertEqual(s.post("/v2/repository/models/irish-s3/load").status_code, 200)
            self.assertEqual(s.post("/v2/models/irish-s3/infer", json=SEED_REQUEST).status_code,
                             200)
            self.assertEqual(s.post("/v2/repository/models/iris_tensor/load").status_code, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
