#!/usr/bin/python3
"""`ferry serve --grpc_port`: the Open Inference Protocol over gRPC
(inference.GRPCInferenceService), called with a Python client generated at
test time from proto/grpc_predict_v2.proto (Debian's protoc +
grpc_python_plugin, python3-grpcio, python3-protobuf).

Run with /usr/bin/python3.
"""
import importlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import FIXTURES_DIR, REPO, SEED_REQUEST, Serve, free_port, mlflow_models  # noqa: E402

PROTO = os.path.join(REPO, "proto", "grpc_predict_v2.proto")
ROWS = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6]


def stubs():
    """(pb2, pb2_grpc) generated into the build dir's fixtures (once per proto change)."""
    out = os.path.join(FIXTURES_DIR, "grpc_py")
    stamp = os.path.join(out, ".mtime")
    mtime = str(os.path.getmtime(PROTO))
    current = None
    if os.path.exists(stamp):
        with open(stamp) as f:
            current = f.read()
    if current != mtime:
        plugin = shutil.which("grpc_python_plugin")
        if not shutil.which("protoc") or not plugin:
            raise RuntimeError("protoc/grpc_python_plugin missing: scripts/install-deps.sh test")
        os.makedirs(out, exist_ok=True)
        subprocess.run(["protoc", "-I", os.path.dirname(PROTO), "--python_out=" + out,
                        "--grpc_out=" + out, "--plugin=protoc-gen-grpc=" + plugin, PROTO],
                       check=True)
        with open(stamp, "w") as f:
            f.write(mtime)
    if out not in sys.path:
        sys.path.insert(0, out)
    return (importlib.import_module("grpc_predict_v2_pb2"),
            importlib.import_module("grpc_predict_v2_pb2_grpc"))


def channel(port, timeout=20):
    import grpc
    ch = grpc.insecure_channel("127.0.0.1:%d" % port)
    grpc.channel_ready_future(ch).result(timeout=timeout)
    return ch


def seed_request(pb, name, raw=False):
    req = pb.ModelInferRequest(model_name=name)
    req.parameters["content_type"].string_param = "np"
    t = req.inputs.add(name="features", datatype="FP64", shape=[2, 4])
    if raw:
        req.raw_input_contents.append(struct.pack("<8d", *ROWS))
    else:
        t.contents.fp64_contents.extend(ROWS)
    return req


class GrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import grpc
        cls.grpc = grpc
        cls.pb, rpc = stubs()
        cls.port = free_port()
        cls.s = Serve(os.path.join(mlflow_models(), "iris_tensor"), name="irish-s3",
                      extra=["--grpc_port", str(cls.port)])
        cls.ch = channel(cls.port)
        cls.stub = rpc.GRPCInferenceServiceStub(cls.ch)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        cls.s.__exit__(None)

    def assertCode(self, fn, req, code, *fragments):
        with self.assertRaises(self.grpc.RpcError) as cm:
            fn(req, timeout=10)
        self.assertEqual(cm.exception.code(), code, cm.exception.details())
        for f in fragments:
            self.assertIn(f, cm.exception.details())

    def test_server_live_and_ready(self):
        self.assertTrue(self.stub.ServerLive(self.pb.ServerLiveRequest(), timeout=10).live)
        self.assertTrue(self.stub.ServerReady(self.pb.ServerReadyRequest(), timeout=10).ready)

    def test_server_metadata(self):
        md = self.stub.ServerMetadata(self.pb.ServerMetadataRequest(), timeout=10)
        self.assertEqual(md.name, "ferry")
        self.assertRegex(md.version, r"^\d+\.\d+")

    def test_model_ready(self):
        self.assertTrue(self.stub.ModelReady(self.pb.ModelReadyRequest(name="irish-s3"),
                                             timeout=10).ready)
        self.assertCode(self.stub.ModelReady, self.pb.ModelReadyRequest(name="nope"),
                        self.grpc.StatusCode.NOT_FOUND, "nope", "irish-s3")

    def test_model_metadata_matches_rest(self):
        md = self.stub.ModelMetadata(self.pb.ModelMetadataRequest(name="irish-s3"), timeout=10)
        rest = self.s.get("/v2/models/irish-s3").json()
        self.assertEqual(md.name, "irish-s3")
        self.assertEqual([(t.name, t.datatype, list(t.shape)) for t in md.inputs],
                         [(t["name"], t["datatype"], t["shape"]) for t in rest["inputs"]])
        self.assertEqual([(t.name, t.datatype, list(t.shape)) for t in md.outputs],
                         [(t["name"], t["datatype"], t["shape"]) for t in rest["outputs"]])
        self.assertCode(self.stub.ModelMetadata, self.pb.ModelMetadataRequest(name="x"),
                        self.grpc.StatusCode.NOT_FOUND)

    def test_infer_typed_contents(self):
        req = seed_request(self.pb, "irish-s3")
        req.id = "req-1"
        res = self.stub.ModelInfer(req, timeout=10)
        self.assertEqual((res.model_name, res.id), ("irish-s3", "req-1"))
        self.assertEqual(res.parameters["content_type"].string_param, "np")
        out = res.outputs[0]
        self.assertEqual((out.name, out.datatype, list(out.shape)), ("output-1", "INT64", [2, 1]))
        self.assertEqual(list(out.contents.int64_contents), [1, 1])
        self.assertEqual(len(res.raw_output_contents), 0)
        self.assertTrue(self.stub.ModelInfer(seed_request(self.pb, "irish-s3"), timeout=10).id)

    def test_infer_raw_contents(self):
        res = self.stub.ModelInfer(seed_request(self.pb, "irish-s3", raw=True), timeout=10)
        self.assertEqual(len(res.raw_output_contents), 1)
        self.assertEqual(struct.unpack("<2q", res.raw_output_contents[0]), (1, 1))
        self.assertEqual(len(res.outputs[0].contents.int64_contents), 0)
        self.assertEqual(list(res.outputs[0].shape), [2, 1])

    def test_predict_proba_matches_rest(self):
        req = seed_request(self.pb, "irish-s3")
        req.outputs.add(name="predict_proba")
        res = self.stub.ModelInfer(req, timeout=10)
        rest = self.s.post("/v2/models/irish-s3/infer",
                           json=dict(SEED_REQUEST, outputs=[{"name": "predict_proba"}])).json()
        out = res.outputs[0]
        self.assertEqual((out.name, list(out.shape)), ("predict_proba", [2, 3]))
        for a, b in zip(out.contents.fp64_contents, rest["outputs"][0]["data"]):
            self.assertAlmostEqual(a, b, places=12)

    def test_infer_errors(self):
        NOT_FOUND, INVALID = self.grpc.StatusCode.NOT_FOUND, self.grpc.StatusCode.INVALID_ARGUMENT
        self.assertCode(self.stub.ModelInfer, seed_request(self.pb, "nope"), NOT_FOUND, "irish-s3")
        self.assertCode(self.stub.ModelInfer, seed_request(self.pb, ""), INVALID, "model name")
        req = seed_request(self.pb, "irish-s3")
        req.inputs[0].contents.fp64_contents.append(1.0)
        self.assertCode(self.stub.ModelInfer, req, INVALID, "features", "fp64_contents")
        req = seed_request(self.pb, "irish-s3", raw=True)
        req.inputs[0].contents.fp64_contents.extend(ROWS)
        self.assertCode(self.stub.ModelInfer, req, INVALID, "raw_input_contents")
        req = seed_request(self.pb, "irish-s3", raw=True)
        req.raw_input_contents.append(b"")
        self.assertCode(self.stub.ModelInfer, req, INVALID, "one per input")
        req = seed_request(self.pb, "irish-s3", raw=True)
        req.raw_input_contents[0] = b"\0" * 10
        self.assertCode(self.stub.ModelInfer, req, INVALID, "64 bytes")
        req = seed_request(self.pb, "irish-s3")
        req.inputs[0].datatype = "FP16"
        self.assertCode(self.stub.ModelInfer, req, INVALID, "raw_input_contents")
        req.inputs[0].datatype = "FLOAT"
        self.assertCode(self.stub.ModelInfer, req, INVALID, "FLOAT")
        req = seed_request(self.pb, "irish-s3")
        req.outputs.add(name="no_such_output")
        self.assertCode(self.stub.ModelInfer, req, INVALID, "no_such_output")
        # The server is still healthy afterwards.
        self.assertTrue(self.stub.ServerReady(self.pb.ServerReadyRequest(), timeout=10).ready)

    def test_grpc_infers_are_counted_in_metrics(self):
        self.stub.ModelInfer(seed_request(self.pb, "irish-s3"), timeout=10)
        self.assertIn("irish-s3", self.s.get("/metrics").text)


class GrpcPortTest(unittest.TestCase):
    def test_explicit_busy_port_is_a_clear_error(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            s = Serve(os.path.join(mlflow_models(), "iris_tensor"), name="m", wait_ready=False,
                      extra=["--grpc_port", str(port)])
            try:
                rc = s.proc.wait(30)
                out = s.output()
            finally:
                s.__exit__(None)
        self.assertEqual(rc, 1, out)
        self.assertIn(str(port), out)
        self.assertIn("--grpc_port", out)

    def test_port_zero_disables_grpc(self):
        with Serve(os.path.join(mlflow_models(), "iris_tensor"), name="m",
                   extra=["--grpc_port", "0"]) as s:
            self.assertEqual(s.get("/v2/health/ready").status_code, 200)
            self.assertNotIn("gRPC", s.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
