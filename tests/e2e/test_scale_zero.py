"""minReplicas: 0 with `ferry up`: an idle model is unloaded after its grace
period (annotation autoscaling.knative.dev/scale-to-zero-pod-retention-period),
status says so (Active=False/NoTraffic, model Standby, Ready stays True), and
the next requests wait for the reload instead of failing."""
import concurrent.futures
import os
import sys
import time
import unittest

import requests
import urllib3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up  # noqa: E402

urllib3.disable_warnings()
NS = "zero"


class ScaleToZeroTest(unittest.TestCase):
    def test_idle_unload_and_wake(self):
        models = ferrytest.mlflow_models()
        up = Up(profile="none", extra=["--scale-to-zero-grace", "1h",
                                       "--allow-local-models", models])
        try:
            with open(os.path.join(up.data_dir, "admin-token")) as f:
                headers = {"Authorization": "Bearer " + f.read().strip()}
            base = "https://127.0.0.1:%d" % up.api_port
            r = requests.post(base + "/api/v1/namespaces", headers=headers, verify=False,
                              json={"apiVersion": "v1", "kind": "Namespace",
                                    "metadata": {"name": NS}})
            self.assertEqual(r.status_code, 201, r.text)
            path = "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices" % NS
            body = {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                    "metadata": {"name": "idle", "annotations": {
                        "autoscaling.knative.dev/scale-to-zero-pod-retention-period": "1s"}},
                    "spec": {"predictor": {"minReplicas": 0, "model": {
                        "modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
                        "storageUri": "file://%s/iris_tensor" % models}}}}
            r = requests.post(base + path, json=body, headers=headers, verify=False)
            self.assertEqual(r.status_code, 201, r.text)

            def status():
                return requests.get(base + path + "/idle", headers=headers,
                                    verify=False).json().get("status", {})

            def cond(st, kind):
                return next((c for c in st.get("conditions", []) if c["type"] == kind), {})

            def wait(pred, what, timeout):
                deadline = time.time() + timeout
                while time.time() < deadline:
                    st = status()
                    if pred(st):
                        return st
                    time.sleep(0.05)
                self.fail("timed out waiting for %s: %s\n%s" % (what, status(), up.output()[-2000:]))

            host = "idle.%s.svc.cluster.local" % NS
            infer = "/v2/models/idle/infer"
            st = wait(lambda s: cond(s, "Ready").get("status") == "True", "Ready", 30)
            self.assertEqual(cond(st, "Active").get("status"), "True")
            r = up.internal(host, infer, json=SEED_REQUEST)
            self.assertEqual(r.status_code, 200, r.text)

            t0 = time.time()
            st = wait(lambda s: cond(s, "Active").get("status") == "False", "scale to zero", 15)
            idle_for = time.time() - t0
            self.assertGreaterEqual(idle_for, 0.5, "unloaded before the grace period")
            self.assertEqual(cond(st, "Active")["reason"], "NoTraffic")
            self.assertEqual(cond(st, "Ready")["status"], "True")
            self.assertEqual(st["modelStatus"]["states"]["activeModelState"], "Standby")

            # Requests that arrive while scaled to zero wait for the reload.
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                results = list(pool.map(lambda _: up.internal(host, infer, json=SEED_REQUEST),
                                        range(16)))
            for r in results:
                self.assertEqual(r.status_code, 200, r.text)
                self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])
            st = wait(lambda s: cond(s, "Active").get("status") == "True", "active again", 10)
            self.assertEqual(st["modelStatus"]["states"]["activeModelState"], "Loaded")

            logs = requests.get(base + path + "/idle/log", headers=headers, verify=False).text
            self.assertIn("ScaledToZero", logs)
            self.assertIn("Activated", logs)
            self.assertIn("waiting request(s) resumed", logs)

            # Scales to zero again once idle, and wakes again.
            wait(lambda s: cond(s, "Active").get("status") == "False", "second scale to zero", 15)
            r = up.internal(host, infer, json=SEED_REQUEST)
            self.assertEqual(r.status_code, 200, r.text)
        finally:
            up.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
