"""canaryTrafficPercent with `ferry up`: a second revision with a different
model gets about its share of the requests through the gateway, status shows
the split as KServe writes it, promotion moves all traffic, and no request
fails while revisions change (the old one serves until the new is Ready)."""
import json
import os
import sys
import tempfile
import threading
import time
import unittest

import joblib
import numpy as np
import requests
import urllib3
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import Up  # noqa: E402

urllib3.disable_warnings()
NS = "canary"
ROW = {"instances": [[6.8, 2.8, 4.8, 1.4]]}


def model_dir(root, label_offset):
    """A plain scikit-learn layout in `root` whose class labels are shifted by
    `label_offset`: same input, distinguishable answers per model."""
    x, y = load_iris(return_X_y=True)
    lr = LogisticRegression(max_iter=1000).fit(x, y + label_offset)
    d = tempfile.mkdtemp(prefix="canary-model-", dir=root)
    joblib.dump(lr, os.path.join(d, "model.joblib"))
    return d


def isvc(model, canary=None, extra=None):
    pred = {"model": {"modelFormat": {"name": "sklearn"}, "storageUri": "file://" + model}}
    if canary is not None:
        pred["canaryTrafficPercent"] = canary
    pred.update(extra or {})
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": "split", "namespace": NS}, "spec": {"predictor": pred}}


class CanaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = tempfile.mkdtemp(prefix="canary-models-")
        cls.up = Up(profile="none", extra=["--allow-local-models", cls.models])
        with open(os.path.join(cls.up.data_dir, "admin-token")) as f:
            cls.headers = {"Authorization": "Bearer " + f.read().strip()}
        cls.base = "https://127.0.0.1:%d" % cls.up.api_port
        cls.path = "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices" % NS
        r = requests.post(cls.base + "/api/v1/namespaces", headers=cls.headers, verify=False,
                          json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        assert r.status_code == 201, r.text
        cls.model_a, cls.model_b = model_dir(cls.models, 0), model_dir(cls.models, 10)

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def apply(self, body):
        for _ in range(20):  # a 409 means the controller wrote status in between: retry
            cur = requests.get(self.base + self.path + "/split", headers=self.headers,
                               verify=False)
            if cur.status_code == 404:
                r = requests.post(self.base + self.path, json=body, headers=self.headers,
                                  verify=False)
            else:
                body["metadata"]["resourceVersion"] = cur.json()["metadata"]["resourceVersion"]
                r = requests.put(self.base + self.path + "/split", json=body,
                                 headers=self.headers, verify=False)
            if r.status_code != 409:
                break
        self.assertIn(r.status_code, (200, 201), r.text)

    def status(self):
        return requests.get(self.base + self.path + "/split", headers=self.headers,
                            verify=False).json().get("status", {})

    def wait(self, pred, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.status()
            if pred(st):
                return st
            time.sleep(0.05)
        self.fail("timed out waiting for %s; status: %s" % (what, json.dumps(self.status())))

    def predict(self):
        r = self.up.internal("split.%s.svc.cluster.local" % NS, "/v1/models/split:predict",
                             json=ROW)
        return r.status_code, (r.json()["predictions"][0] if r.status_code == 200 else r.text)

    def count(self, n):
        seen = {}
        for _ in range(n):
            code, label = self.predict()
            self.assertEqual(code, 200, label)
            seen[label] = seen.get(label, 0) + 1
        return seen

    def revision_pods(self, rev):
        r = self.up.kubectl("get", "pods", "-n", NS, "-l", "serving.knative.dev/revision=" + rev,
                            "-o", "json")
        return json.loads(r.stdout)["items"]

    def delete_previous_pod(self, rev):
        """`kubectl delete pod` of the canary's previous revision restarts that revision: a new
        pod, the model loaded again (an Event says so), traffic served throughout."""
        pods = self.revision_pods(rev)
        self.assertEqual(len(pods), 1, pods)
        old = pods[0]["metadata"]["name"]
        self.up.kubectl("delete", "pod", old, "-n", NS)
        deadline = time.time() + 30
        while time.time() < deadline:
            events = self.up.kubectl("get", "events", "-n", NS, "--field-selector",
                                     "involvedObject.name=split").stdout
            if "revision %s loaded again (its pod was deleted)" % rev in events:
                break
            time.sleep(0.1)
        else:
            self.fail("no reload of %s after its pod was deleted:\n%s" % (rev, events))
        pods = self.revision_pods(rev)
        self.assertEqual(len(pods), 1, pods)
        self.assertNotEqual(pods[0]["metadata"]["name"], old)
        self.up.kubectl("wait", "--for=condition=Ready", "pod/" + pods[0]["metadata"]["name"],
                        "-n", NS, "--timeout=30s")

    def test_canary_split_and_promotion(self):
        self.apply(isvc(self.model_a))
        st = self.wait(lambda s: s.get("components", {}).get("predictor", {})
                       .get("latestReadyRevision"), "first revision")
        rev1 = st["components"]["predictor"]["latestReadyRevision"]
        self.assertEqual(self.count(20), {1: 20})

        # Background traffic during every revision change: none may fail.
        failures, stop = [], threading.Event()

        def traffic():
            while not stop.is_set():
                code, body = self.predict()
                if code != 200:
                    failures.append((code, body))
        t = threading.Thread(target=traffic)
        t.start()
        try:
            self.apply(isvc(self.model_b, canary=25))
            st = self.wait(lambda s: len(s.get("components", {}).get("predictor", {})
                                         .get("traffic", [])) == 2, "canary split")
            pred = st["components"]["predictor"]
            rev2 = pred["latestReadyRevision"]
            self.assertNotEqual(rev1, rev2)
            traffic_by_rev = {t["revisionName"]: t for t in pred["traffic"]}
            self.assertEqual(traffic_by_rev[rev2]["percent"], 25)
            self.assertTrue(traffic_by_rev[rev2]["latestRevision"])
            self.assertEqual(traffic_by_rev[rev2]["tag"], "latest")
            self.assertEqual(traffic_by_rev[rev1]["percent"], 75)
            self.assertFalse(traffic_by_rev[rev1]["latestRevision"])
            self.assertEqual(traffic_by_rev[rev1]["tag"], "prev")
            self.assertEqual(pred["previousRolledoutRevision"], rev1)

            seen = self.count(400)
            print("canary 25%%: %s of 400" % seen, file=sys.stderr)
            self.assertEqual(set(seen), {1, 11}, seen)
            share = seen[11] / 400.0
            self.assertTrue(0.15 <= share <= 0.35, "canary share %.2f (want ~0.25): %s" % (
                share, seen))
            self.delete_previous_pod(rev1)
            self.assertEqual(set(self.count(100)), {1, 11})

            # Promotion: no canaryTrafficPercent → 100% to the latest, no new revision.
            self.apply(isvc(self.model_b))
            st = self.wait(lambda s: len(s.get("components", {}).get("predictor", {})
                                         .get("traffic", [])) == 1, "promotion")
            pred = st["components"]["predictor"]
            self.assertEqual(pred["traffic"][0]["revisionName"], rev2)
            self.assertEqual(pred["traffic"][0]["percent"], 100)
            self.assertEqual(pred["latestReadyRevision"], rev2)
            self.assertEqual(self.count(50), {11: 50})

            # A plain rollout back to model A: all traffic moves once it is Ready.
            self.apply(isvc(self.model_a))
            self.wait(lambda s: s.get("components", {}).get("predictor", {})
                      .get("latestReadyRevision") not in (rev1, rev2), "rollout")
            self.assertEqual(self.count(50), {1: 50})
        finally:
            stop.set()
            t.join()
        self.assertEqual(failures, [], "requests failed during revision changes")


if __name__ == "__main__":
    unittest.main(verbosity=2)
