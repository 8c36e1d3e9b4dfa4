#!/usr/bin/python3
"""The same V2 infer cases through REST and gRPC of one `ferry serve`: both protocols must give
the same outcome — the same outputs for a good request, the same status (HTTP status and its
gRPC code) and the same message for a refused one. Both call one infer function
(src/serving/infer.h); this test is what keeps a protocol-specific shortcut from coming back.

Run with /usr/bin/python3.
"""
import json
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import Serve, free_port, mlflow_models  # noqa: E402
from test_grpc import ROWS, channel, stubs  # noqa: E402

MODEL = "irish-s3"
# HTTP status -> the gRPC code the same Status carries (common/status.h).
GRPC_CODE = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 500: "INTERNAL", 501: "UNIMPLEMENTED",
             503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
PACK = {"FP64": "d", "FP32": "f", "INT64": "q", "INT32": "i", "BOOL": "?"}
CONTENTS = {"FP64": "fp64_contents", "FP32": "fp32_contents", "INT64": "int64_contents",
            "INT32": "int_contents", "BOOL": "bool_contents", "BYTES": "bytes_contents"}


def case(name, model=MODEL, datatype="FP64", shape=(2, 4), data=ROWS, outputs=(), binary=False,
         code=None, same_message=True, fragments=()):
    """One request, transport-neutral, and what both protocols must answer (code None: OK)."""
    return dict(name=name, model=model, datatype=datatype, shape=list(shape), data=list(data),
                outputs=list(outputs), binary=binary, code=code, same_message=same_message,
                fragments=list(fragments))


CASES = [
    case("good"),
    case("good, binary tensors", binary=True),
    case("an output named by the model's own output name", outputs=["output-1"]),
    case("an estimator method as output", outputs=["predict_proba"]),
    case("unknown output", outputs=["no_such_output"], code="INVALID_ARGUMENT",
         fragments=["no_such_output", MODEL]),
    case("unknown output, binary tensors", outputs=["no_such_output"], binary=True,
         code="INVALID_ARGUMENT", fragments=["no_such_output", MODEL]),
    case("another estimator method", outputs=["decision_function"]),
    case("wrong shape", shape=(4, 2), code="INVALID_ARGUMENT", fragments=["features"]),
    case("wrong shape, binary tensors", shape=(1, 8), binary=True, code="INVALID_ARGUMENT",
         fragments=["features"]),
    case("wrong datatype", datatype="BYTES", data=["a"] * 8, code="INVALID_ARGUMENT",
         fragments=["needs numbers"]),
    # The model lookup is each transport's own (REST answers with its routes, gRPC with the
    # served names), so only the code and the name are the same.
    case("unknown model", model="nope", code="NOT_FOUND", same_message=False, fragments=["nope"]),
]


def rest_outcome(serve, c):
    """('OK', outputs) or (gRPC code name, message) for REST."""
    tensor = {"name": "features", "shape": c["shape"], "datatype": c["datatype"]}
    body = {"id": "parity", "parameters": {"content_type": "np"}, "inputs": [tensor]}
    if c["outputs"]:
        body["outputs"] = [{"name": n} for n in c["outputs"]]
    headers = {"Content-Type": "application/json"}
    if c["binary"]:
        raw = struct.pack("<%d%s" % (len(c["data"]), PACK[c["datatype"]]), *c["data"])
        tensor["parameters"] = {"binary_data_size": len(raw)}
        body["parameters"]["binary_data_output"] = True
        head = json.dumps(body).encode()
        payload = head + raw
        headers = {"Content-Type": "application/octet-stream",
                   "Inference-Header-Content-Length": str(len(head))}
    else:
        tensor["data"] = c["data"]
        payload = json.dumps(body).encode()
    r = serve.post("/v2/models/%s/infer" % c["model"], data=payload, headers=headers)
    if r.status_code != 200:
        return (GRPC_CODE.get(r.status_code, str(r.status_code)), r.json()["error"])
    n = int(r.headers.get("Inference-Header-Content-Length", len(r.content)))
    meta, tail = json.loads(r.content[:n]), r.content[n:]
    outputs = []
    for out in meta["outputs"]:
        data = out.get("data")
        if data is None:
            size = out["parameters"]["binary_data_size"]
            fmt = PACK[out["datatype"]]
            data = list(struct.unpack("<%d%s" % (size // struct.calcsize(fmt), fmt), tail[:size]))
            tail = tail[size:]
        outputs.append((out["name"], out["datatype"], out["shape"], data))
    return ("OK", (meta["id"], meta["model_name"], outputs))


def grpc_outcome(stub, pb, grpc, c):
    """('OK', outputs) or (gRPC code name, message) for gRPC."""
    req = pb.ModelInferRequest(model_name=c["model"], id="parity")
    req.parameters["content_type"].string_param = "np"
    t = req.inputs.add(name="features", datatype=c["datatype"], shape=c["shape"])
    if c["binary"]:
        req.raw_input_contents.append(
            struct.pack("<%d%s" % (len(c["data"]), PACK[c["datatype"]]), *c["data"]))
    else:
        data = [d.encode() if isinstance(d, str) else d for d in c["data"]]
        getattr(t.contents, CONTENTS[c["datatype"]]).extend(data)
    for n in c["outputs"]:
        req.outputs.add(name=n)
    try:
        res = stub.ModelInfer(req, timeout=10)
    except grpc.RpcError as e:
        return (e.code().name, e.details())
    outputs = []
    for i, out in enumerate(res.outputs):
        if len(res.raw_output_contents) > i:
            fmt = PACK[out.datatype]
            raw = res.raw_output_contents[i]
            data = list(struct.unpack("<%d%s" % (len(raw) // struct.calcsize(fmt), fmt), raw))
        else:
            data = list(getattr(out.contents, CONTENTS[out.datatype]))
        outputs.append((out.name, out.datatype, list(out.shape), data))
    return ("OK", (res.id, res.model_name, outputs))


class ProtocolParityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import grpc
        cls.grpc = grpc
        cls.pb, rpc = stubs()
        port = free_port()
        cls.s = Serve(os.path.join(mlflow_models(), "iris_tensor"), name=MODEL,
                      extra=["--grpc_port", str(port)])
        cls.ch = channel(port)
        cls.stub = rpc.GRPCInferenceServiceStub(cls.ch)

    @classmethod
    def tearDownClass(cls):
        cls.ch.close()
        cls.s.__exit__(None)

    def test_same_outcome_over_rest_and_grpc(self):
        for c in CASES:
            with self.subTest(c["name"]):
                rest = rest_outcome(self.s, c)
                rpc = grpc_outcome(self.stub, self.pb, self.grpc, c)
                self.assertEqual(rest[0], c["code"] or "OK", "REST: %r" % (rest,))
                self.assertEqual(rpc[0], c["code"] or "OK", "gRPC: %r" % (rpc,))
                if c["code"] is None:
                    self.assertEqual(rest, rpc)
                    self.assertEqual(rest[1][:2], ("parity", MODEL))
                    self.assertTrue(rest[1][2], "no outputs")
                    continue
                if c["same_message"]:
                    self.assertEqual(rest[1], rpc[1])
                for f in c["fragments"]:
                    self.assertIn(f, rest[1])
                    self.assertIn(f, rpc[1])

    def test_good_cases_agree_with_each_other(self):
        # Binary and JSON tensors, and the output named explicitly, give the same predictions.
        outs = [grpc_outcome(self.stub, self.pb, self.grpc, c)[1][2][0][3] for c in CASES[:3]]
        self.assertEqual(outs, [[1, 1]] * 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
