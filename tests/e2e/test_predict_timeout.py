#!/usr/bin/python3
"""A predict that runs past its deadline: `ferry serve --predict_timeout_seconds`
(KServe's spec.predictor.timeout) stops it and answers 504 naming the model and
the setting, the server keeps answering health checks and other requests
meanwhile, and the worker is free again right after (it does not keep
computing the abandoned batch). Real scikit-learn model, real HTTP client."""
import json
import os
import pickle
import sys
import tempfile
import threading
import time
import unittest

import numpy as np
import requests
from sklearn.ensemble import ExtraTreesClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import Serve  # noqa: E402

TIMEOUT_S = 0.4


def slow_model(d):
    # Fully grown trees on random labels: deep trees, a slow predict per row.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 8))
    y = rng.integers(0, 3, size=4000)
    model = ExtraTreesClassifier(n_estimators=100, random_state=0).fit(X, y)
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        pickle.dump(model, f, protocol=4)
    return model


def binary_infer(s, rows):
    """V2 binary extension: the rows go as raw FP64 bytes after the JSON head."""
    head = json.dumps({"inputs": [{"name": "input-0", "shape": list(rows.shape),
                                   "datatype": "FP64",
                                   "parameters": {"binary_data_size": rows.nbytes}}]}).encode()
    return requests.post(s.url + "/v2/models/slow/infer", data=head + rows.tobytes(),
                         headers={"Content-Type": "application/octet-stream",
                                  "Inference-Header-Content-Length": str(len(head))},
                         timeout=60)


class PredictTimeout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ferry-slow-")
        cls.model = slow_model(cls.dir)
        rng = np.random.default_rng(1)
        # Enough rows that the whole predict takes many times the timeout.
        cls.big = rng.normal(size=(400000, 8))
        cls.small = rng.normal(size=(3, 8))

    def test_stopped_at_deadline_server_lives_on(self):
        with Serve(self.dir, name="slow",
                   extra=["--predict_timeout_seconds", str(TIMEOUT_S), "--predict_threads", "1"]) as s:
            # Warm up: a small call answers and matches scikit-learn.
            r = s.post("/v2/models/slow/infer", json={"inputs": [
                {"name": "input-0", "shape": [3, 8], "datatype": "FP64",
                 "data": self.small.flatten().tolist()}]})
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["outputs"][0]["data"], self.model.predict(self.small).tolist())

            health = []
            stop = threading.Event()

            def probe():
                while not stop.is_set():
                    t = time.time()
                    code = s.get("/v2/health/live").status_code
                    health.append((code, time.time() - t))
                    time.sleep(0.02)

            prober = threading.Thread(target=probe)
            prober.start()
            try:
                for attempt in range(2):
                    t0 = time.time()
                    r = binary_infer(s, self.big)
                    elapsed = time.time() - t0
                    self.assertEqual(r.status_code, 504, r.text[:300])
                    err = r.json()["error"]
                    self.assertIn("model slow did not answer within its timeout of 400 ms", err)
                    self.assertIn("spec.predictor.timeout", err)
                    # Stopped near the deadline (body upload and parse included),
                    # not after the whole batch: the second call would otherwise
                    # queue behind the first one's abandoned work.
                    self.assertLess(elapsed, 5.0, "attempt %d took %.2fs" % (attempt, elapsed))
            finally:
                stop.set()
                prober.join()
            self.assertTrue(health and all(code == 200 for code, _ in health), health[:5])

            # The executor is free: a small request answers at once and right.
            r = s.post("/v2/models/slow/infer", json={"inputs": [
                {"name": "input-0", "shape": [3, 8], "datatype": "FP64",
                 "data": self.small.flatten().tolist()}]})
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json()["outputs"][0]["data"], self.model.predict(self.small).tolist())
            # V1 and /metrics record the 504s.
            metrics = s.get("/metrics").text
            self.assertRegex(metrics, r'code="504"')
            self.assertIsNone(s.proc.poll())

    def test_without_timeout_the_big_batch_completes(self):
        rows = self.big[:10000]
        with Serve(self.dir, name="slow", extra=["--predict_timeout_seconds", "0"]) as s:
            r = binary_infer(s, rows)
            self.assertEqual(r.status_code, 200, r.text[:300])
            got = r.json()["outputs"][0]["data"]
            self.assertEqual(got, self.model.predict(rows).tolist())


if __name__ == "__main__":
    unittest.main(verbosity=2)
