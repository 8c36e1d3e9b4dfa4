"""`ferry serve` end to end: the seed's MLflow iris model over V2, V1 and
MLflow scoring, metadata, health, metrics, the bad inputs a user sends, and
SIGTERM drain. Clients: python3-requests and curl."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Serve  # noqa: E402

MODELS = None


def setUpModule():
    global MODELS
    MODELS = ferrytest.mlflow_models()


def model(kind):
    return os.path.join(MODELS, kind)


class SeedModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Serve(model("iris_tensor"), name="irish-s3")

    @classmethod
    def tearDownClass(cls):
        cls.s.__exit__(None)

    def test_seed_request_v2(self):
        r = self.s.post("/v2/models/irish-s3/infer", json=SEED_REQUEST)
        self.assertEqual(r.status_code, 200, r.text)
        body = r.json()
        self.assertEqual(body["model_name"], "irish-s3")
        self.assertTrue(body["id"])
        self.assertEqual(body["parameters"], {"content_type": "np"})
        out = body["outputs"][0]
        # MLServer's naming for MLflow models: output-1, 1-D results as [N, 1].
        self.assertEqual(out["name"], "output-1")
        self.assertEqual(out["datatype"], "INT64")
        self.assertEqual(out["shape"], [2, 1])
        self.assertEqual(out["data"], [1, 1])

    def test_seed_request_without_content_type_uses_signature(self):
        req = {"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP64",
                           "data": [6.8, 2.8, 4.8, 1.4, 5.1, 3.5, 1.4, 0.2]}], "id": "abc"}
        r = self.s.post("/v2/models/irish-s3/infer", json=req)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["id"], "abc")
        self.assertEqual(r.json()["outputs"][0]["data"], [1, 0])

    def test_predict_proba_by_output_name(self):
        req = dict(SEED_REQUEST, outputs=[{"name": "predict_proba"}])
        r = self.s.post("/v2/models/irish-s3/infer", json=req)
        self.assertEqual(r.status_code, 200, r.text)
        out = r.json()["outputs"][0]
        self.assertEqual(out["name"], "predict_proba")
        self.assertEqual(out["shape"], [2, 3])
        self.assertAlmostEqual(sum(out["data"][:3]), 1.0, places=9)

    def test_v1_predict(self):
        r = self.s.post("/v1/models/irish-s3:predict",
                        json={"instances": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"predictions": [1, 1]})

    def test_v1_flat_instance_says_to_send_rows(self):
        # One row sent flat: KServe reads it as 4 rows of 1 value; the error says how to send it.
        r = self.s.post("/v1/models/irish-s3:predict", json={"instances": [6.8, 2.8, 4.8, 1.4]})
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn('"instances": [[...]]', r.json()["error"])
        self.assertIn("shape [1, 4]", r.json()["error"])

    def test_v1_model_ready(self):
        r = self.s.get("/v1/models/irish-s3")
        self.assertEqual(r.json(), {"name": "irish-s3", "ready": True})

    def test_mlflow_invocations_forms(self):
        rows = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]
        for body in ({"instances": rows}, {"inputs": rows},
                     {"dataframe_split": {"data": rows}}):
            r = self.s.post("/invocations", json=body)
            self.assertEqual(r.status_code, 200, (body, r.text))
            self.assertEqual(r.json(), {"predictions": [1, 1]})
        r = self.s.post("/invocations", data="a,b,c,d\n6.8,2.8,4.8,1.4\n",
                        headers={"Content-Type": "text/csv"})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"predictions": [1]})

    def test_mlflow_errors(self):
        r = self.s.post("/invocations", data="x", headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status_code, 415)
        r = self.s.post("/invocations", json=[[1, 2, 3, 4]])
        self.assertEqual(r.status_code, 400)
        self.assertEqual(r.json()["error_code"], "BAD_REQUEST")

    def test_mlflow_health(self):
        self.assertEqual(self.s.get("/ping").status_code, 200)
        self.assertEqual(self.s.get("/health").text, "\n")
        self.assertRegex(self.s.get("/version").text, r"^\d+\.\d+")

    def test_health_and_metadata(self):
        self.assertEqual(self.s.get("/v2/health/live").json(), {"live": True})
        self.assertEqual(self.s.get("/v2/health/ready").json(), {"ready": True})
        self.assertEqual(self.s.get("/v2/models/irish-s3/ready").json(),
                         {"name": "irish-s3", "ready": True})
        md = self.s.get("/v2/models/irish-s3").json()
        self.assertEqual(md["name"], "irish-s3")
        self.assertEqual(md["inputs"][0]["datatype"], "FP64")
        self.assertEqual(md["inputs"][0]["shape"], [-1, 4])
        self.assertEqual(md["outputs"][0]["datatype"], "INT64")
        # The MLflow input example as a V2 request (what the dashboard's Try it starts from):
        # its first 5 rows, accepted by the model as they are.
        example = json.loads(md["parameters"]["input_example"])
        self.assertEqual(example["inputs"][0]["shape"], [5, 4])
        r = self.s.post("/v2/models/irish-s3/infer", json=example)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["outputs"][0]["shape"], [5, 1])
        server = self.s.get("/v2").json()
        self.assertIn("binary_tensor_data", server["extensions"])
        self.assertEqual(self.s.get("/v2/models").json(), {"models": ["irish-s3"]})

    def test_versioned_paths(self):
        # MLflow models are served unversioned (like MLServer): a version segment
        # is refused with a message that says so.
        for path in ("/v2/models/irish-s3/versions/1", "/v2/models/irish-s3/versions/1/ready"):
            r = self.s.get(path)
            self.assertEqual(r.status_code, 404, path)
            self.assertIn("not versioned", r.json()["error"])
        r = self.s.post("/v2/models/irish-s3/versions/1/infer", json=SEED_REQUEST)
        self.assertEqual(r.status_code, 404)
        self.assertIn("/versions/1", r.json()["error"])

    def test_curl_client(self):
        out = subprocess.run(
            ["curl", "-sS", "-H", "Content-Type: application/json", "-d", json.dumps(SEED_REQUEST),
             self.s.url + "/v2/models/irish-s3/infer"], capture_output=True, text=True, check=True)
        self.assertEqual(json.loads(out.stdout)["outputs"][0]["data"], [1, 1])

    def test_binary_extension(self):
        import struct
        header = json.dumps({"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP64",
                                         "parameters": {"binary_data_size": 64}}],
                             "parameters": {"binary_data_output": True}}).encode()
        data = struct.pack("<8d", 6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6)
        r = self.s.post("/v2/models/irish-s3/infer", data=header + data,
                        headers={"Inference-Header-Content-Length": str(len(header)),
                                 "Content-Type": "application/octet-stream"})
        self.assertEqual(r.status_code, 200, r.text)
        n = int(r.headers["Inference-Header-Content-Length"])
        meta = json.loads(r.content[:n])
        out = meta["outputs"][0]
        self.assertEqual(out["parameters"]["binary_data_size"], 16)
        self.assertEqual(list(struct.unpack("<2q", r.content[n:])), [1, 1])

    def test_metrics(self):
        self.s.post("/v2/models/irish-s3/infer", json=SEED_REQUEST)
        text = self.s.get("/metrics").text
        self.assertRegex(text, r'ferry_requests_total\{model="irish-s3",protocol="v2",code="200"\} \d+')
        self.assertIn("ferry_request_duration_seconds_bucket", text)
        self.assertIn('ferry_model_load_seconds{model="irish-s3"}', text)


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Serve(model("iris_tensor"), name="irish-s3", extra=["--max_body_bytes", "100000"])

    @classmethod
    def tearDownClass(cls):
        cls.s.__exit__(None)

    def infer(self, body, **kw):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.s.post("/v2/models/irish-s3/infer", data=data,
                           headers={"Content-Type": "application/json"}, **kw)

    def assertError(self, r, status, *needles):
        self.assertEqual(r.status_code, status, r.text)
        msg = r.json()["error"]
        for n in needles:
            self.assertIn(n, msg)

    def test_malformed_json(self):
        self.assertError(self.infer('{"inputs": [}'), 400)

    def test_shape_mismatch(self):
        body = {"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64", "data": [1, 2, 3]}]}
        self.assertError(self.infer(body), 400, "x")

    def test_wrong_datatype(self):
        body = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP99", "data": [1, 2, 3, 4]}]}
        self.assertError(self.infer(body), 400, "FP99")
        body = {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "INT8",
                            "data": [1, 2, 3, 400]}]}
        self.assertError(self.infer(body), 400)

    def test_wrong_feature_count(self):
        body = {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP64", "data": [1, 2, 3]}]}
        self.assertError(self.infer(body), 400, "4")

    def test_missing_inputs(self):
        self.assertError(self.infer({"id": "1"}), 400, "inputs")

    def test_v1_body_on_v2_route(self):
        self.assertError(self.infer({"instances": [[1, 2, 3, 4]]}), 400, "V1",
                         "/v1/models/irish-s3:predict")

    def test_v2_body_on_v1_route(self):
        r = self.s.post("/v1/models/irish-s3:predict", json=SEED_REQUEST)
        self.assertError(r, 400, "/v2/models/irish-s3/infer")

    def test_wrong_method(self):
        r = self.s.get("/v2/models/irish-s3/infer")
        self.assertEqual(r.status_code, 405)
        self.assertIn("POST", r.json()["error"])
        self.assertIn("POST", r.headers["Allow"])

    def test_unknown_model(self):
        r = self.s.post("/v2/models/nope/infer", json=SEED_REQUEST)
        self.assertError(r, 404, "nope", "irish-s3")

    def test_unknown_route_lists_routes(self):
        r = self.s.get("/v3/whatever")
        self.assertError(r, 404, "/v2/models/irish-s3/infer", "/v1/models/irish-s3:predict")

    def test_oversized_body(self):
        r = self.infer("[" + "1," * 60000 + "1]")
        self.assertEqual(r.status_code, 413)

    def test_server_survives_garbage(self):
        for junk in (b"\x00\xff" * 100, b"{" * 5000, b'{"inputs": 5}', b"[]", b"null"):
            r = self.s.post("/v2/models/irish-s3/infer", data=junk)
            self.assertEqual(r.status_code, 400, junk[:20])
        r = self.s.post("/v2/models/irish-s3/infer", json=SEED_REQUEST)
        self.assertEqual(r.status_code, 200)


class LifecycleTest(unittest.TestCase):
    def test_sigterm_drains_and_exits_zero(self):
        s = Serve(model("iris_tensor"), name="iris")
        results = []

        def load():
            sess = requests.Session()
            for _ in range(200):
                try:
                    results.append(sess.post(s.url + "/v2/models/iris/infer", json=SEED_REQUEST,
                                             timeout=5).status_code)
                except requests.ConnectionError:
                    results.append("closed")
                    return

        t = threading.Thread(target=load)
        t.start()
        time.sleep(0.05)
        rc = s.stop(signal.SIGTERM)
        t.join()
        self.assertEqual(rc, 0, s.output())
        self.assertIn("draining", s.output())
        # Every answered request succeeded; none got a broken response.
        self.assertTrue(all(x in (200, "closed") for x in results), results)
        os.unlink(s.log.name)

    def test_load_failure_names_file_and_cause(self):
        d = os.path.join(ferrytest.FIXTURES_DIR, "broken")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "model.bst"), "wb") as f:
            f.write(b"this is not an xgboost model")
        s = Serve(d, name="broken", wait_ready=False)
        rc = s.proc.wait(20)
        self.assertNotEqual(rc, 0)
        self.assertIn("model.bst", s.output())
        os.unlink(s.log.name)

    def test_unknown_layout_lists_files(self):
        d = os.path.join(ferrytest.FIXTURES_DIR, "unknown-layout")
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "weights.h5"), "w").close()
        s = Serve(d, name="x", wait_ready=False)
        self.assertNotEqual(s.proc.wait(20), 0)
        self.assertIn("weights.h5", s.output())
        os.unlink(s.log.name)

    def test_ready_only_after_load(self):
        s = Serve(model("iris_tensor"), name="iris", wait_ready=False)
        seen = set()
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                code = requests.get(s.url + "/v2/health/ready", timeout=1).status_code
                seen.add(code)
                if code == 200:
                    break
            except requests.ConnectionError:
                pass
        self.assertIn(200, seen)
        self.assertTrue(seen <= {200, 503}, seen)
        s.__exit__(None)


if __name__ == "__main__":
    unittest.main(verbosity=2)
