"""Backends end to end: the real binary loads a framework's shared object only
when a model of that format is loaded (read from /proc/PID/maps; libcurl,
libarchive and SQLite are not mapped by a model already on disk either), a
missing or broken backend fails the load naming the format, the
file and the fix, and the PyTorch backend serves TorchScript over V2 and V1
with python3-torch's outputs (skipped where libferry_pytorch.so or
python3-torch is absent), and the gRPC module is mapped only when a gRPC port
opens.
Clients: python3-requests."""
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import FERRY_BIN, SEED_REQUEST, Serve  # noqa: E402

BACKENDS = os.path.join(os.path.dirname(FERRY_BIN), "lib", "ferry", "backends")
HAVE_TORCH = (os.path.exists(os.path.join(BACKENDS, "libferry_pytorch.so")) and
              subprocess.run([ferrytest.PYTHON, "-c", "import torch"],
                             capture_output=True).returncode == 0)


def mapped(pid):
    with open("/proc/%d/maps" % pid) as f:
        return f.read()


def serve_fails(model_dir, env_extra):
    """Runs `ferry serve` expecting it to exit non-zero; returns its output."""
    env = os.environ.copy()
    env.update(env_extra)
    p = subprocess.run([FERRY_BIN, "serve", "--model_name", "m", "--model_dir", model_dir,
                        "--http_port", str(ferrytest.free_port()), "--bind", "127.0.0.1"],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0, p.stdout + p.stderr
    return p.stdout + p.stderr


def close(got, want):
    return all(abs(g - w) <= max(1e-6 * abs(w), 1e-7) for g, w in zip(got, want)) and \
        len(got) == len(want)


class OnDemandTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = ferrytest.mlflow_models()

    def test_version_lists_backends(self):
        out = subprocess.run([FERRY_BIN, "--version"], capture_output=True, text=True).stdout
        for fmt in ("sklearn", "xgboost", "pytorch"):
            self.assertRegex(out, r"\n  %s  " % fmt, out)
        self.assertIn(os.path.join(BACKENDS, "libferry_sklearn.so"), out)

    def test_sklearn_model_maps_only_its_backend(self):
        with Serve(os.path.join(self.models, "iris_tensor"), name="irish-s3") as s:
            r = s.post("/v2/models/irish-s3/infer", json=SEED_REQUEST)
            self.assertEqual(r.status_code, 200, r.text)
            maps = mapped(s.proc.pid)
        self.assertIn("libferry_sklearn.so", maps)
        # libcurl, libarchive and SQLite are opened on first use
        # (common/lazy_library.h); OpenSSL too, but the gRPC module open here
        # links it (test_lazy_libraries.py checks it with gRPC off).
        for lib in ("libferry_xgboost.so", "libxgboost", "libgomp", "libtorch", "libcurl",
                    "libarchive", "libsqlite3"):
            self.assertNotIn(lib, maps)

    def test_missing_backend_names_format_file_and_fix(self):
        empty = tempfile.mkdtemp(prefix="ferry-nobackends-")
        try:
            out = serve_fails(os.path.join(self.models, "iris_tensor"),
                              {"FERRY_BACKEND_DIR": empty})
        finally:
            shutil.rmtree(empty)
        self.assertIn("model format sklearn (scikit-learn) needs the backend "
                      "libferry_sklearn.so, which is not in " + empty, out)
        self.assertIn("FERRY_BACKEND_DIR", out)

    def test_broken_backend_names_the_package(self):
        d = tempfile.mkdtemp(prefix="ferry-badbackends-")
        try:
            with open(os.path.join(d, "libferry_pytorch.so"), "wb") as f:
                f.write(b"not an ELF file")
            model = os.path.join(d, "m")
            os.makedirs(model)
            with open(os.path.join(model, "model.pt"), "wb") as f:
                f.write(b"PK")
            out = serve_fails(model, {"FERRY_BACKEND_DIR": d})
        finally:
            shutil.rmtree(d)
        self.assertIn("model format pytorch (PyTorch): cannot load the backend", out)
        self.assertIn("libferry_pytorch.so", out)
        self.assertIn("apt-get install libtorch1.13", out)


@unittest.skipUnless(HAVE_TORCH, "libferry_pytorch.so or python3-torch is not installed")
class PytorchServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fx = ferrytest.generate("tests/fixtures/pytorch/gen_pytorch.py", "pytorch")
        with open(os.path.join(cls.fx, "expected.json")) as f:
            cls.expected = json.load(f)

    def infer(self, s, inputs, **kw):
        return s.post("/v2/models/m/infer", json={"inputs": inputs}, **kw)

    def test_mlp_v2_v1_metadata_and_errors(self):
        with Serve(os.path.join(self.fx, "mlp"), name="m") as s:
            md = s.get("/v2/models/m").json()
            self.assertEqual([i["name"] for i in md["inputs"]], ["x"])
            self.assertEqual(md["outputs"][0]["name"], "output-0")
            for case in self.expected["mlp"]:
                r = self.infer(s, case["inputs"])
                self.assertEqual(r.status_code, 200, r.text)
                out = r.json()["outputs"][0]
                self.assertEqual(out["name"], "output-0")
                self.assertEqual(out["datatype"], "FP32")
                self.assertEqual(out["shape"], case["outputs"][0]["shape"])
                self.assertTrue(close(out["data"], case["outputs"][0]["data"]), out)
            # V1: the rows of the one input.
            case = self.expected["mlp"][1]
            rows = [case["inputs"][0]["data"][i * 4:(i + 1) * 4] for i in range(5)]
            r = s.post("/v1/models/m:predict", json={"instances": rows})
            self.assertEqual(r.status_code, 200, r.text)
            flat = [v for row in r.json()["predictions"] for v in row]
            self.assertTrue(close(flat, case["outputs"][0]["data"]), r.text)
            # Wrong shape: 400 naming the input, what was sent and libtorch's cause.
            r = self.infer(s, [{"name": "x", "datatype": "FP32", "shape": [1, 3],
                                "data": [1, 2, 3]}])
            self.assertEqual(r.status_code, 400, r.text)
            self.assertIn("x FP32 [1, 3]", r.text)
            self.assertIn("mat1 and mat2 shapes cannot be multiplied", r.text)
            maps = mapped(s.proc.pid)
        self.assertIn("libferry_pytorch.so", maps)
        self.assertIn("libtorch", maps)
        self.assertNotIn("libferry_sklearn.so", maps)

    def test_batcher_merges_one_row_requests_with_the_same_answers(self):
        case = self.expected["mlp"][1]  # 5 rows of 4
        out_per_row = len(case["outputs"][0]["data"]) // 5
        with Serve(os.path.join(self.fx, "mlp"), name="m",
                   extra=["--max_batch_size", "8", "--max_batch_delay_ms", "50"]) as s:
            def one(i):
                row = case["inputs"][0]["data"][i * 4:(i + 1) * 4]
                return self.infer(s, [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                                       "data": row}])
            with concurrent.futures.ThreadPoolExecutor(10) as pool:
                got = list(pool.map(one, [i % 5 for i in range(40)]))
        for i, r in enumerate(got):
            self.assertEqual(r.status_code, 200, r.text)
            want = case["outputs"][0]["data"][(i % 5) * out_per_row:(i % 5 + 1) * out_per_row]
            self.assertEqual(r.json()["outputs"][0]["shape"], [1, out_per_row])
            self.assertTrue(close(r.json()["outputs"][0]["data"], want), r.text)

    def test_two_inputs_two_outputs_and_output_selection(self):
        with Serve(os.path.join(self.fx, "two_io"), name="m") as s:
            md = s.get("/v2/models/m").json()
            self.assertEqual([i["name"] for i in md["inputs"]], ["a", "b"])
            case = self.expected["two_io"][1]
            r = self.infer(s, case["inputs"])
            self.assertEqual(r.status_code, 200, r.text)
            outs = r.json()["outputs"]
            self.assertEqual([o["name"] for o in outs], ["output-0", "output-1"])
            for got, want in zip(outs, case["outputs"]):
                self.assertEqual(got["datatype"], "FP64")
                self.assertTrue(close(got["data"], want["data"]), got)
            r = s.post("/v2/models/m/infer",
                       json={"inputs": case["inputs"], "outputs": [{"name": "output-1"}]})
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual([o["name"] for o in r.json()["outputs"]], ["output-1"])
            r = self.infer(s, case["inputs"][:1])
            self.assertEqual(r.status_code, 400, r.text)
            self.assertIn("takes 2 input tensor(s) (a, b)", r.text)

    def test_triton_layout(self):
        with Serve(os.path.join(self.fx, "triton", "mlp"), name="m") as s:
            md = s.get("/v2/models/m").json()
            self.assertEqual(md["platform"], "pytorch_libtorch")
            self.assertEqual(md["inputs"][0], {"name": "INPUT__0", "datatype": "FP32",
                                               "shape": [-1, 4]})
            case = self.expected["mlp"][0]
            inp = dict(case["inputs"][0], name="INPUT__0")
            r = self.infer(s, [inp])
            self.assertEqual(r.status_code, 200, r.text)
            out = r.json()["outputs"][0]
            self.assertEqual(out["name"], "OUTPUT__0")
            self.assertTrue(close(out["data"], case["outputs"][0]["data"]), out)

    def test_two_io_over_grpc(self):
        import struct
        import test_grpc
        pb, rpc = test_grpc.stubs()
        port = ferrytest.free_port()
        case = self.expected["two_io"][1]
        with Serve(os.path.join(self.fx, "two_io"), name="m", extra=["--grpc_port", str(port)]):
            stub = rpc.GRPCInferenceServiceStub(test_grpc.channel(port))
            md = stub.ModelMetadata(pb.ModelMetadataRequest(name="m"))
            self.assertEqual([t.name for t in md.inputs], ["a", "b"])
            req = pb.ModelInferRequest(model_name="m")
            for t in case["inputs"]:
                req.inputs.add(name=t["name"], datatype="FP64", shape=t["shape"])
                req.raw_input_contents.append(struct.pack("<%dd" % len(t["data"]), *t["data"]))
            resp = stub.ModelInfer(req)
            self.assertEqual([o.name for o in resp.outputs], ["output-0", "output-1"])
            for i, (out, want) in enumerate(zip(resp.outputs, case["outputs"])):
                self.assertEqual(list(out.shape), want["shape"])
                if resp.raw_output_contents:
                    raw = resp.raw_output_contents[i]
                    got = list(struct.unpack("<%dd" % (len(raw) // 8), raw))
                else:
                    got = list(out.contents.fp64_contents)
                self.assertTrue(close(got, want["data"]), got)

    def test_pickled_module_is_refused_with_the_export(self):
        out = serve_fails(os.path.join(self.fx, "bad", "pickled_module"), {})
        self.assertIn("not a TorchScript module", out)
        self.assertIn('torch.jit.save(torch.jit.script(model), "model.pt")', out)


class GrpcModuleTest(unittest.TestCase):
    """gRPC, protobuf and abseil live in lib/ferry/libferry_grpc.so, opened
    when a gRPC port opens (src/grpc/grpc_module.h); a missing, broken,
    foreign or mismatched module is refused naming the file and the fix."""

    @classmethod
    def setUpClass(cls):
        cls.models = ferrytest.mlflow_models()
        cls.module = os.path.join(os.path.dirname(FERRY_BIN), "lib", "ferry", "libferry_grpc.so")
        cls.foreign = os.path.join(os.path.dirname(FERRY_BIN), "tests", "fixtures",
                                   "libferry_grpc_foreign.so")

    def test_grpc_libraries_mapped_only_with_a_grpc_port(self):
        model = os.path.join(self.models, "iris_tensor")
        with Serve(model, name="nogrpc", extra=["--grpc_port", "0"]) as s:
            self.assertEqual(s.post("/v2/models/nogrpc/infer", json=SEED_REQUEST).status_code, 200)
            maps = mapped(s.proc.pid)
        for lib in ("libferry_grpc.so", "libgrpc", "libprotobuf", "libabsl"):
            self.assertNotIn(lib, maps)
        port = ferrytest.free_port()
        with Serve(model, name="withgrpc", extra=["--grpc_port", str(port)]) as s:
            # HTTP is ready first; the gRPC port opens just after.
            for _ in range(500):
                if "gRPC (inference.GRPCInferenceService) on" in s.output():
                    break
                time.sleep(0.02)
            self.assertIn("gRPC (inference.GRPCInferenceService) on", s.output())
            maps = mapped(s.proc.pid)
        for lib in ("libferry_grpc.so", "libgrpc++", "libprotobuf"):
            self.assertIn(lib, maps)

    def serve_copy(self, module_bytes):
        """`ferry serve --grpc_port N` of a copy of the binary whose lib/ferry
        holds `module_bytes` as libferry_grpc.so (none when None)."""
        d = tempfile.mkdtemp(prefix="ferry-grpcmodule-")
        try:
            shutil.copy2(FERRY_BIN, os.path.join(d, "ferry"))
            if module_bytes is not None:
                os.makedirs(os.path.join(d, "lib", "ferry"))
                with open(os.path.join(d, "lib", "ferry", "libferry_grpc.so"), "wb") as f:
                    f.write(module_bytes)
            env = os.environ.copy()
            env["FERRY_BACKEND_DIR"] = BACKENDS
            p = subprocess.run([os.path.join(d, "ferry"), "serve", "--model_name", "m",
                                "--model_dir", os.path.join(self.models, "iris_tensor"),
                                "--http_port", str(ferrytest.free_port()), "--bind", "127.0.0.1",
                                "--grpc_port", str(ferrytest.free_port())],
                               env=env, capture_output=True, text=True, timeout=60)
            self.assertNotEqual(p.returncode, 0, p.stderr)
            return p.stderr.replace(d, "DIR")
        finally:
            shutil.rmtree(d)

    def test_missing_module_names_the_file_and_the_fix(self):
        out = self.serve_copy(None)
        self.assertIn("gRPC needs libferry_grpc.so, which is not in DIR/lib/ferry", out)
        self.assertIn("--grpc_port 0", out)

    def test_broken_module(self):
        out = self.serve_copy(b"not an ELF file")
        self.assertIn("gRPC: cannot load DIR/lib/ferry/libferry_grpc.so", out)

    def test_foreign_shared_object(self):
        with open(os.path.join(BACKENDS, "libferry_sklearn.so"), "rb") as f:
            out = self.serve_copy(f.read())
        self.assertIn("is not Ferry's gRPC module (no ferry_grpc_module_v1)", out)

    def test_module_of_another_build(self):
        with open(self.foreign, "rb") as f:
            out = self.serve_copy(f.read())
        self.assertIn("was built for another Ferry binary (module interface 0000000000000000", out)
        self.assertIn("rebuild both from the same tree", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
