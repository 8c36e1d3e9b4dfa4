"""kill -9 of `ferry up` in the middle of a burst of 100 applies, then a
restart on the same data dir: every write the API acknowledged (2xx) is
there, and every InferenceService among them serves again."""
import concurrent.futures
import json
import os
import signal
import sys
import threading
import time
import unittest

import requests
import urllib3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up  # noqa: E402

urllib3.disable_warnings()
NS = "durable"
TOTAL = 100


class Api:
    def __init__(self, up):
        self.up = up
        with open(os.path.join(up.data_dir, "admin-token")) as f:
            self.headers = {"Authorization": "Bearer " + f.read().strip()}
        self.base = "https://127.0.0.1:%d" % up.api_port

    def get(self, path):
        return requests.get(self.base + path, headers=self.headers, verify=False, timeout=10)

    def post(self, path, body):
        return requests.post(self.base + path, json=body, headers=self.headers, verify=False,
                             timeout=10)


def isvc(name, models):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"predictor": {"model": {
                "modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
                "storageUri": "file://%s/iris_tensor" % models}}}}


def configmap(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NS},
            "data": {"k": name}}


class DurabilityTest(unittest.TestCase):
    def test_kill9_during_burst(self):
        models = ferrytest.mlflow_models()
        up = Up(profile="none", extra=["--allow-local-models", models])
        try:
            api = Api(up)
            r = api.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": NS}})
            self.assertEqual(r.status_code, 201, r.text)
            # Every 4th object is a ConfigMap, the rest InferenceServices.
            objs = [configmap("cm-%03d" % i) if i % 4 == 3 else isvc("m-%03d" % i, models)
                    for i in range(TOTAL)]
            acked, lock = [], threading.Lock()
            killed = threading.Event()

            def apply(obj):
                path = ("/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices" % NS
                        if obj["kind"] == "InferenceService"
                        else "/api/v1/namespaces/%s/configmaps" % NS)
                try:
                    resp = api.post(path, obj)
                except requests.RequestException:
                    return
                if 200 <= resp.status_code < 300:
                    with lock:
                        acked.append(obj)
                        if len(acked) >= TOTAL // 2 and not killed.is_set():
                            killed.set()
                            up.proc.send_signal(signal.SIGKILL)

            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                list(pool.map(apply, objs))
            up.proc.wait()
            self.assertEqual(up.proc.returncode, -signal.SIGKILL)
            up.log.close()
            n_acked = len(acked)
            print("acknowledged before kill -9: %d of %d" % (n_acked, TOTAL), file=sys.stderr)
            self.assertGreaterEqual(n_acked, TOTAL // 2)
            self.assertLess(n_acked, TOTAL, "the kill came after the burst; nothing was tested")

            up.start()
            api = Api(up)
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    if requests.get(api.base + "/readyz", verify=False, timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.05)
            for obj in acked:
                name = obj["metadata"]["name"]
                path = ("/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices/%s"
                        if obj["kind"] == "InferenceService"
                        else "/api/v1/namespaces/%s/configmaps/%s") % (NS, name)
                r = api.get(path)
                self.assertEqual(r.status_code, 200, "acknowledged %s %s lost" % (obj["kind"], name))
            pending = [o["metadata"]["name"] for o in acked if o["kind"] == "InferenceService"]
            deadline = time.time() + 120
            while pending and time.time() < deadline:
                name = pending[0]
                r = up.internal("%s.%s.svc.cluster.local" % (name, NS),
                                "/v2/models/%s/infer" % name, json=SEED_REQUEST)
                if r.status_code == 200:
                    self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])
                    pending.pop(0)
                else:
                    time.sleep(0.05)
            self.assertEqual(pending, [], "not serving again after restart:\n" + up.output()[-3000:])
        finally:
            up.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
