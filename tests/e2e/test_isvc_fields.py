#!/usr/bin/python3
"""Every InferenceService field is honoured, refused or warned about, with real
kubectl against `ferry up`: a transformer or an explainer is refused (422
naming the field, nothing stored); replica counts, resources and a node
selector are accepted with kubectl's `Warning:` lines and a status condition
listing them; the tutorial's InferenceService gets no warning at all.

And spec.predictor.containerConcurrency: with a limit of 1 and a slow model,
one request runs, ten wait (Knative's queue of 10 x containerConcurrency), the
twelfth is answered 503 naming the InferenceService and the limit, the others
all succeed; /metrics shows the requests in flight and queued."""
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
import urllib3
from sklearn.ensemble import ExtraTreesClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import Up  # noqa: E402

urllib3.disable_warnings()
NS = "fields"
HERE = os.path.dirname(os.path.abspath(__file__))


def isvc(name, predictor, extra_spec=None):
    spec = {"predictor": predictor}
    spec.update(extra_spec or {})
    return json.dumps({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                       "metadata": {"name": name, "namespace": NS}, "spec": spec})


def slow_model(d):
    # Fully grown trees on random labels: a slow predict per row (as in test_predict_timeout).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4000, 8))
    y = rng.integers(0, 3, size=4000)
    model = ExtraTreesClassifier(n_estimators=100, random_state=0).fit(X, y)
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        pickle.dump(model, f, protocol=4)


class FieldsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = ferrytest.mlflow_models()
        cls.slow_dir = tempfile.mkdtemp(prefix="ferry-slow-")
        slow_model(cls.slow_dir)
        cls.up = Up(profile="none", extra=["--allow-local-models", cls.models,
                                           "--allow-local-models", cls.slow_dir])
        cls.up.kubectl("create", "namespace", NS)
        cls.iris = {"modelFormat": {"name": "mlflow"}, "protocolVersion": "v2",
                    "storageUri": "file://%s/iris_tensor" % cls.models}

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def apply(self, manifest, check=True):
        return self.up.kubectl("apply", "-f", "-", input=manifest, check=check)

    def status(self, name):
        r = self.up.kubectl("get", "inferenceservice", "-n", NS, name, "-o", "json")
        return json.loads(r.stdout).get("status", {})

    def wait_condition(self, name, kind, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for c in self.status(name).get("conditions", []):
                if c["type"] == kind:
                    return c
            time.sleep(0.1)
        self.fail("no %s condition on %s: %s\n%s" % (kind, name, self.status(name),
                                                     self.up.output()[-2000:]))

    def assert_refused(self, name, manifest, field):
        r = self.apply(manifest, check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        # kubectl renders the 422's details.causes: field path, then the reason.
        self.assertIn('The InferenceService "%s" is invalid: %s: Forbidden: ' % (name, field),
                      r.stderr)
        # Nothing half-applied: the object does not exist.
        got = self.up.kubectl("get", "inferenceservice", "-n", NS, name, check=False)
        self.assertNotEqual(got.returncode, 0)
        self.assertIn("NotFound", got.stderr)
        return r.stderr

    def test_transformer_is_refused(self):
        err = self.assert_refused("with-transformer", isvc(
            "with-transformer", {"model": self.iris},
            {"transformer": {"containers": [{"name": "kserve-container",
                                             "image": "example/transformer:1"}]}}),
            "spec.transformer")
        self.assertIn("transformers", err)

    def test_refusal_is_kubernetes_422_with_causes(self):
        with open(os.path.join(self.up.data_dir, "admin-token")) as f:
            token = f.read().strip()
        body = json.loads(isvc("raw", {"model": self.iris}, {"transformer": {
            "containers": [{"image": "example/transformer:1"}]}}))
        r = requests.post("https://127.0.0.1:%d/apis/serving.kserve.io/v1beta1/namespaces/%s/"
                          "inferenceservices" % (self.up.api_port, NS), json=body, verify=False,
                          headers={"Authorization": "Bearer " + token})
        self.assertEqual(r.status_code, 422, r.text)
        st = r.json()
        self.assertEqual(st["reason"], "Invalid")
        self.assertEqual(st["details"]["kind"], "InferenceService")
        causes = st["details"]["causes"]
        self.assertEqual([c["field"] for c in causes], ["spec.transformer"])
        self.assertEqual(causes[0]["reason"], "FieldValueForbidden")

    def test_refused_update_changes_nothing(self):
        self.apply(isvc("kept", {"model": self.iris}))
        before = self.up.kubectl("get", "isvc", "-n", NS, "kept", "-o", "json").stdout
        r = self.apply(isvc("kept", {"model": self.iris, "logger": {"mode": "all"}}),
                       check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("spec.predictor.logger: Forbidden: ", r.stderr)
        spec = json.loads(self.up.kubectl("get", "isvc", "-n", NS, "kept", "-o",
                                          "json").stdout)["spec"]
        self.assertEqual(spec, json.loads(before)["spec"])

    def test_explainer_is_refused(self):
        err = self.assert_refused("with-explainer", isvc(
            "with-explainer", {"model": self.iris},
            {"explainer": {"containers": [{"name": "e", "image": "example/explainer:1"}]}}),
            "spec.explainer")
        self.assertIn(":explain", err)

    def test_custom_predictor_container_is_refused(self):
        self.assert_refused("custom", isvc("custom", {"containers": [
            {"name": "kserve-container", "image": "example/server:1"}]}),
            "spec.predictor.containers")

    def test_no_effect_fields_warn_and_show_in_status(self):
        predictor = {"minReplicas": 3, "maxReplicas": 5, "nodeSelector": {"gpu": "a100"},
                     "model": dict(self.iris, resources={"limits": {"cpu": "2",
                                                                    "memory": "1Gi"}})}
        r = self.apply(isvc("warned", predictor))
        fields = ["spec.predictor.minReplicas", "spec.predictor.maxReplicas",
                  "spec.predictor.nodeSelector", "spec.predictor.model.resources"]
        warnings = [l for l in r.stderr.splitlines() if l.startswith("Warning: ")]
        for f in fields:
            self.assertTrue(any(l.startswith("Warning: %s: has no effect in Ferry: " % f)
                                for l in warnings), "%s not warned about: %s" % (f, r.stderr))
        self.assertEqual(len(warnings), len(fields), r.stderr)
        cond = self.wait_condition("warned", "FieldsWithoutEffect")
        self.assertEqual(cond["status"], "True")
        self.assertEqual(cond["reason"], "NoEffectOnOneMachine")
        for f in fields:
            self.assertIn(f + ": has no effect in Ferry", cond["message"])
        # Accepted and serving: the warnings change nothing else.
        ready = self.wait_condition("warned", "Ready")
        deadline = time.time() + 30
        while ready["status"] != "True" and time.time() < deadline:
            time.sleep(0.1)
            ready = self.wait_condition("warned", "Ready")
        self.assertEqual(ready["status"], "True", self.status("warned"))

        # Taking the fields out takes the condition away.
        r = self.apply(isvc("warned", {"model": self.iris}))
        self.assertNotIn("Warning", r.stderr)
        deadline = time.time() + 30
        while time.time() < deadline:
            st = self.status("warned")
            if not any(c["type"] == "FieldsWithoutEffect" for c in st.get("conditions", [])):
                break
            time.sleep(0.1)
        else:
            self.fail("FieldsWithoutEffect stayed: %s" % self.status("warned"))

    def test_the_tutorials_service_gets_no_warning(self):
        with open(os.path.join(HERE, "seed", "is_mlflow.yaml")) as f:
            manifest = f.read()
        r = self.up.kubectl("apply", "-n", NS, "-f", "-", input=manifest)
        self.assertEqual(r.stderr.strip(), "")
        self.assertIn("created", r.stdout)
        self.wait_condition("irish-s3", "Ready")
        conds = [c["type"] for c in self.status("irish-s3").get("conditions", [])]
        self.assertNotIn("FieldsWithoutEffect", conds)

    def test_container_concurrency_bounds_the_model(self):
        predictor = {"containerConcurrency": 1, "model": {
            "modelFormat": {"name": "sklearn"}, "protocolVersion": "v2",
            "storageUri": "file://%s" % self.slow_dir}}
        r = self.apply(isvc("slow", predictor))
        self.assertNotIn("Warning", r.stderr)
        deadline = time.time() + 60
        while self.wait_condition("slow", "Ready")["status"] != "True":
            self.assertLess(time.time(), deadline, self.status("slow"))
            time.sleep(0.1)
        host = "slow.%s.svc.cluster.local" % NS
        base = "http://127.0.0.1:%d" % self.up.internal_port

        def infer(rows):
            head = json.dumps({"inputs": [{"name": "input-0", "shape": list(rows.shape),
                                           "datatype": "FP64",
                                           "parameters": {"binary_data_size": rows.nbytes}}]})
            return requests.post(base + "/v2/models/slow/infer",
                                 data=head.encode() + rows.tobytes(), timeout=120,
                                 headers={"Host": host,
                                          "Content-Type": "application/octet-stream",
                                          "Inference-Header-Content-Length": str(len(head))})

        def gauges():
            text = requests.get(base + "/metrics", headers={"Host": host}, timeout=10).text
            out = {}
            for line in text.splitlines():
                for g in ("in_flight", "queued", "concurrency_limit"):
                    prefix = 'ferry_model_%s{model="%s/slow"} ' % (
                        "requests_" + g if g != "concurrency_limit" else g, NS)
                    if line.startswith(prefix):
                        out[g] = int(line[len(prefix):])
            return out

        def wait_gauge(name, value):
            deadline = time.time() + 20
            while time.time() < deadline:
                g = gauges()
                if g.get(name) == value:
                    return
                time.sleep(0.01)
            self.fail("%s never reached %d: %s" % (name, value, gauges()))

        rng = np.random.default_rng(1)
        small = rng.normal(size=(3, 8))
        self.assertEqual(infer(small).status_code, 200)
        # One long request takes the only slot; calibrate it to outlast the rest of the test's
        # setup (a few seconds), whatever this machine's speed.
        rows = 20000
        t0 = time.time()
        self.assertEqual(infer(rng.normal(size=(rows, 8))).status_code, 200)
        per_row = (time.time() - t0) / rows
        long_rows = min(int(6.0 / max(per_row, 1e-7)), 3_000_000)
        results = {}

        def send(key, data):
            results[key] = infer(data)

        threads = [threading.Thread(target=send, args=("long", rng.normal(size=(long_rows, 8))))]
        threads[0].start()
        wait_gauge("in_flight", 1)
        for i in range(10):  # the queue: 10 x containerConcurrency
            t = threading.Thread(target=send, args=(i, small))
            t.start()
            threads.append(t)
        wait_gauge("queued", 10)
        self.assertEqual(gauges(), {"in_flight": 1, "queued": 10, "concurrency_limit": 1})
        refused = infer(small)  # the (1 + 10 + 1)th
        self.assertEqual(refused.status_code, 503, refused.text)
        self.assertIn("slow", refused.text)
        self.assertIn("containerConcurrency: 1", refused.text)
        self.assertTrue(threads[0].is_alive(), "the long request ended too early to test")
        for t in threads:
            t.join(180)
        for key, resp in results.items():
            self.assertEqual(resp.status_code, 200, "%s: %s" % (key, resp.text[:300]))
        self.assertEqual(len(results), 11)
        wait_gauge("in_flight", 0)
        self.assertEqual(gauges()["queued"], 0)


if __name__ == "__main__":
    unittest.main()
