#!/usr/bin/python3
"""Explanations through `ferry serve`: V1 `:explain` and the V2 output
`contributions` (REST and gRPC) for a scikit-learn forest, an XGBoost booster
and an MLflow sklearn-flavor model, against the Python oracles of
tests/fixtures/explain/gen_explain.py (brute-force Shapley values, to 1e-9;
they add up to the library's own raw output); and the refusal of a model that
cannot explain. Run with /usr/bin/python3 (python3-requests, python3-grpcio).
"""
import json
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import Serve, explain_models, free_port  # noqa: E402
from test_grpc import channel, stubs  # noqa: E402

TOL = 1e-9


def expected(case_dir):
    with open(os.path.join(case_dir, "expected.json")) as f:
        return json.load(f)


def instances(e):
    return e["X"]  # null = missing


def v2_request(e, outputs=("contributions",)):
    rows, cols = len(e["X"]), len(e["X"][0])
    data = [v for r in e["X"] for v in r]
    return {"inputs": [{"name": "input-0", "shape": [rows, cols], "datatype": "FP64",
                        "data": data}],
            "outputs": [{"name": n} for n in outputs]}


def nested(flat, shape):
    """A flat V2 data list as nested rows."""
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [nested(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def assert_contributions(tc, got, e, what):
    """got: per-row contributions in the API layout; e: the oracle's expected.json. Each value
    within TOL of the oracle's, each row's sum within TOL of the model's raw output."""
    want = e["contributions"]
    tc.assertEqual(len(got), len(want), what)
    for r, (g_row, w_row) in enumerate(zip(got, want)):
        if e["outputs"] == 1:
            g_row = [g_row]  # [F + 1] per instance for single-output models
        tc.assertEqual(len(g_row), len(w_row), what)
        for o, (g, w) in enumerate(zip(g_row, w_row)):
            tc.assertEqual(len(g), e["n_features"] + 1, what)
            for f, (a, b) in enumerate(zip(g, w)):
                tc.assertLessEqual(abs(a - b), TOL, "%s row %d output %d feature %d: %r vs %r"
                                   % (what, r, o, f, a, b))
            raw = e["raw"][r][o] if "raw" in e else e["exact_margin"][r][o]
            tc.assertLessEqual(abs(math.fsum(g) - raw), TOL, "%s: sum vs model output" % what)


class ExplainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = explain_models()

    def assertMatches(self, got, e, what):
        assert_contributions(self, got, e, what)

    def check_model(self, case_dir, name, grpc_too=False):
        e = expected(case_dir)
        extra = []
        if grpc_too:
            grpc_port = free_port()
            extra = ["--grpc_port", str(grpc_port)]
        with Serve(case_dir, name=name, extra=extra) as s:
            # V1 :explain: KServe's {"predictions": [...], "explanations": [...]}.
            r = s.post("/v1/models/%s:explain" % name, json={"instances": instances(e)})
            self.assertEqual(r.status_code, 200, r.text)
            body = r.json()
            predict = s.post("/v1/models/%s:predict" % name, json={"instances": instances(e)})
            self.assertEqual(body["predictions"], predict.json()["predictions"])
            self.assertMatches(body["explanations"], e, name + " V1 :explain")

            # V2: the output named "contributions".
            r = s.post("/v2/models/%s/infer" % name, json=v2_request(e))
            self.assertEqual(r.status_code, 200, r.text)
            out = r.json()["outputs"]
            self.assertEqual(len(out), 1)
            self.assertEqual((out[0]["name"], out[0]["datatype"]), ("contributions", "FP64"))
            rows, width = len(e["X"]), e["n_features"] + 1
            shape = [rows, width] if e["outputs"] == 1 else [rows, e["outputs"], width]
            self.assertEqual(out[0]["shape"], shape)
            self.assertMatches(nested(out[0]["data"], shape), e, name + " V2 REST")

            if grpc_too:
                pb, rpc = stubs()
                with channel(grpc_port) as ch:
                    req = pb.ModelInferRequest(model_name=name)
                    t = req.inputs.add(name="input-0", datatype="FP64",
                                       shape=[rows, len(e["X"][0])])
                    t.contents.fp64_contents.extend(
                        float("nan") if v is None else v for row in e["X"] for v in row)
                    req.outputs.add(name="contributions")
                    res = rpc.GRPCInferenceServiceStub(ch).ModelInfer(req, timeout=10)
                    self.assertEqual(res.outputs[0].name, "contributions")
                    self.assertEqual(list(res.outputs[0].shape), shape)
                    self.assertMatches(nested(list(res.outputs[0].contents.fp64_contents), shape),
                                       e, name + " V2 gRPC")

    def test_sklearn_forest(self):
        self.check_model(os.path.join(self.models, "sklearn", "rf_classifier"), "forest",
                         grpc_too=True)

    def test_xgboost_booster(self):
        # Rows with missing values; the oracle is also within float32 of xgboost's pred_contribs.
        self.check_model(os.path.join(self.models, "xgboost", "binary"), "booster", grpc_too=True)

    def test_mlflow_sklearn_flavor(self):
        self.check_model(os.path.join(self.models, "sklearn", "mlflow_forest"), "mlflow-forest")

    def test_model_that_cannot_explain_is_refused(self):
        d = os.path.join(self.models, "sklearn", "refused", "svc")
        row = [[0.1, -0.2, 0.3, 0.4, -0.5, 0.6]]
        grpc_port = free_port()
        with Serve(d, name="svc", extra=["--grpc_port", str(grpc_port)]) as s:
            r = s.post("/v1/models/svc:explain", json={"instances": row})
            self.assertEqual(r.status_code, 501, r.text)
            self.assertIn("cannot explain", r.json()["error"])
            self.assertIn("SVC", r.json()["error"])
            r = s.post("/v2/models/svc/infer", json={
                "inputs": [{"name": "input-0", "shape": [1, 6], "datatype": "FP64",
                            "data": row[0]}], "outputs": [{"name": "contributions"}]})
            self.assertEqual(r.status_code, 501, r.text)
            self.assertIn("docs/explanations.md", r.json()["error"])
            pb, rpc = stubs()
            import grpc
            with channel(grpc_port) as ch:
                req = pb.ModelInferRequest(model_name="svc")
                t = req.inputs.add(name="input-0", datatype="FP64", shape=[1, 6])
                t.contents.fp64_contents.extend(row[0])
                req.outputs.add(name="contributions")
                with self.assertRaises(grpc.RpcError) as cm:
                    rpc.GRPCInferenceServiceStub(ch).ModelInfer(req, timeout=10)
                self.assertEqual(cm.exception.code(), grpc.StatusCode.UNIMPLEMENTED)
                self.assertIn("cannot explain", cm.exception.details())
            # Predictions still work, and :explain is POST only.
            self.assertEqual(s.post("/v1/models/svc:predict", json={"instances": row}).status_code,
                             200)
            self.assertEqual(s.get("/v1/models/svc:explain").status_code, 405)


if __name__ == "__main__":
    unittest.main()
