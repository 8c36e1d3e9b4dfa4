#!/usr/bin/python3
"""InferenceGraph (serving.kserve.io/v1alpha1) through `ferry up` with kubectl: KServe's
documented Sequence, Switch, Ensemble and Splitter examples over an sklearn and an xgboost
InferenceService, answers checked against scikit-learn's and xgboost's own predictions; the
graph's external and cluster-local hosts, status url and printer columns; KServe's router error
bodies; admission refusals naming the field; each step's AuthorizationPolicy applied to the
router's identity (its ServiceAccount), so a step denied by policy fails as KServe's router
would see it (403)."""
import json
import os
import sys
import tempfile
import time
import unittest

import joblib
import numpy as np
import xgboost as xgb
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import Up  # noqa: E402

NS = "graphs"
ROWS = [[6.8, 2.8, 4.8, 1.4], [5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3], [4.9, 3.0, 1.4, 0.2]]


def models(root):
    """sklearn-iris answers the iris class + 10, xgboost-iris the class: who answered shows."""
    x, y = load_iris(return_X_y=True)
    sk_dir = os.path.join(root, "sklearn")
    os.makedirs(sk_dir)
    sk = LogisticRegression(max_iter=1000).fit(x, y + 10)
    joblib.dump(sk, os.path.join(sk_dir, "model.joblib"))
    xgb_dir = os.path.join(root, "xgboost")
    os.makedirs(xgb_dir)
    booster = xgb.train({"objective": "multi:softmax", "num_class": 3, "max_depth": 3},
                        xgb.DMatrix(x, label=y), num_boost_round=10)
    booster.save_model(os.path.join(xgb_dir, "model.bst"))
    return sk_dir, sk, xgb_dir, booster


def isvc(name, fmt, uri):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"predictor": {"model": {"modelFormat": {"name": fmt},
                                             "storageUri": "file://" + uri}}}}


def graph(name, nodes, extra=None):
    spec = {"nodes": nodes}
    spec.update(extra or {})
    return {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "InferenceGraph",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


class InferenceGraphTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="ferry-graph-models-")
        sk_dir, cls.sk, xgb_dir, cls.booster = models(cls.root)
        cls.up = Up(profile="none", extra=["--allow-local-models", cls.root])
        cls.up.kubectl("create", "namespace", NS)
        cls.up.kubectl("create", "serviceaccount", "graph-router", "-n", NS)
        cls.apply([isvc("sklearn-iris", "sklearn", sk_dir), isvc("xgboost-iris", "xgboost",
                                                                   xgb_dir)])
        cls.up.kubectl("wait", "--for=condition=Ready", "isvc/sklearn-iris", "isvc/xgboost-iris",
                       "-n", NS, "--timeout=60s")

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    @classmethod
    def apply(cls, objs, check=True):
        for obj in objs:
            r = cls.up.kubectl("apply", "-f", "-", input=json.dumps(obj), check=check)
        return r

    def ready_graph(self, obj):
        self.apply([obj])
        name = obj["metadata"]["name"]
        self.up.kubectl("wait", "--for=condition=Ready", "ig/" + name, "-n", NS,
                        "--timeout=30s")
        url = self.up.kubectl("get", "ig", name, "-n", NS, "-o",
                              "jsonpath={.status.url}").stdout
        self.assertTrue(url.startswith("http://%s.%s." % (name, NS)), url)
        return url[len("http://"):]

    def post(self, host, body, internal=False):
        call = self.up.internal if internal else self.up.external
        return call(host, "/", json=body)

    def sk_pred(self, rows):
        return [int(v) for v in self.sk.predict(np.array(rows))]

    def xgb_pred(self, rows):
        return [float(v) for v in self.booster.predict(xgb.DMatrix(np.array(rows)))]

    def test_sequence_example(self):
        # KServe's docs: model-chainer, the second step on the graph's own request.
        host = self.ready_graph(graph("model-chainer", {"root": {"routerType": "Sequence", "steps": [
            {"serviceName": "sklearn-iris", "name": "sklearn-iris"},
            {"serviceName": "xgboost-iris", "name": "xgboost-iris", "data": "$request"}]}}))
        r = self.post(host, {"instances": ROWS})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.headers["content-type"], "application/json")
        self.assertEqual(r.json(), {"predictions": self.xgb_pred(ROWS)})
        # The cluster-local host serves the same graph.
        r = self.post("model-chainer.%s.svc.cluster.local" % NS, {"instances": ROWS},
                      internal=True)
        self.assertEqual(r.json(), {"predictions": self.xgb_pred(ROWS)})
        # $response: the second step gets the first one's output, which a V1 predictor refuses;
        # a Soft step's failure is the graph's answer (its status and body), a Hard first step
        # that fails stops the sequence.
        host2 = self.ready_graph(graph("chain-response", {"root": {"routerType": "Sequence",
                                                                   "steps": [
            {"serviceName": "sklearn-iris"},
            {"serviceName": "xgboost-iris", "data": "$response"}]}}))
        r = self.post(host2, {"instances": ROWS})
        self.assertEqual(r.status_code, 400, r.text)
        self.assertIn("instances", r.text)
        described = self.up.kubectl("describe", "ig", "model-chainer", "-n", NS).stdout
        self.assertIn("InferenceGraphReady", described)
        self.assertIn("serviceName:", described.replace("Service Name:", "serviceName:"))
        table = self.up.kubectl("get", "ig", "-n", NS).stdout.splitlines()
        self.assertEqual(table[0].split(), ["NAME", "URL", "READY", "AGE"])
        self.assertTrue(any(l.split()[:3] == ["model-chainer", "http://" + host, "True"]
                            for l in table[1:]), table)

    def test_switch_example(self):
        host = self.ready_graph(graph("switch", {"root": {"routerType": "Switch", "steps": [
            {"serviceName": "sklearn-iris", "condition": "[@this].#(instances.0.0>6)"},
            {"serviceName": "xgboost-iris", "condition": "[@this].#(instances.0.0<=6)"}]}}))
        big, small = [ROWS[2]], [ROWS[3]]
        self.assertEqual(self.post(host, {"instances": big}).json(),
                         {"predictions": self.sk_pred(big)})
        self.assertEqual(self.post(host, {"instances": small}).json(),
                         {"predictions": self.xgb_pred(small)})
        r = self.post(host, {"inputs": []})
        self.assertEqual(r.status_code, 404)
        self.assertEqual(r.json(), {"error": "Failed to process request",
                                    "cause": "None of the routes matched with the switch "
                                             "condition"})

    def test_ensemble_example(self):
        host = self.ready_graph(graph("ensemble", {"root": {"routerType": "Ensemble", "steps": [
            {"serviceName": "sklearn-iris", "name": "sklearn-iris"},
            {"serviceName": "xgboost-iris", "name": "xgboost-iris"}]}}))
        r = self.post(host, {"instances": ROWS})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"sklearn-iris": {"predictions": self.sk_pred(ROWS)},
                                    "xgboost-iris": {"predictions": self.xgb_pred(ROWS)}})

    def test_splitter_example(self):
        host = self.ready_graph(graph("splitter", {"root": {"routerType": "Splitter", "steps": [
            {"serviceName": "sklearn-iris", "weight": 20},
            {"serviceName": "xgboost-iris", "weight": 80}]}}))
        row = [ROWS[0]]
        counts = {"sklearn": 0, "xgboost": 0}
        for _ in range(300):
            got = self.post(host, {"instances": row}).json()
            if got == {"predictions": self.sk_pred(row)}:
                counts["sklearn"] += 1
            else:
                self.assertEqual(got, {"predictions": self.xgb_pred(row)})
                counts["xgboost"] += 1
        # 20% of 300 is 60 (sd ~7): generous bounds.
        self.assertGreater(counts["sklearn"], 25, counts)
        self.assertLess(counts["sklearn"], 110, counts)

    def test_admission_refusals_name_the_field(self):
        cases = [
            (graph("bad-cond", {"root": {"routerType": "Switch", "steps": [
                {"serviceName": "sklearn-iris", "condition": "predictions.@reverse"}]}}),
             "spec.nodes.root.steps[0].condition"),
            (graph("outside", {"root": {"routerType": "Sequence", "steps": [
                {"serviceUrl": "http://example.com/v1/models/x:predict"}]}}),
             "spec.nodes.root.steps[0].serviceUrl"),
            (graph("no-root", {"main": {"routerType": "Sequence", "steps": [
                {"serviceName": "sklearn-iris"}]}}), "root node not found"),
            (graph("weights", {"root": {"routerType": "Splitter", "steps": [
                {"serviceName": "sklearn-iris", "weight": 30}]}}), "should be 100"),
        ]
        for obj, text in cases:
            r = self.apply([obj], check=False)
            self.assertNotEqual(r.returncode, 0, obj)
            self.assertIn(text, r.stderr)
            self.assertIn("Invalid", r.stderr)
        r = self.up.kubectl("get", "ig", "bad-cond", "-n", NS, check=False)
        self.assertIn("NotFound", r.stderr)
        r = self.apply([graph("warned", {"root": {"routerType": "Sequence", "steps": [
            {"serviceName": "sklearn-iris"}]}}, {"minReplicas": 2})])
        self.assertIn("spec.minReplicas has no effect", r.stderr)

    def test_not_ready_until_its_services_are(self):
        self.apply([graph("waiting", {"root": {"routerType": "Sequence", "steps": [
            {"serviceName": "missing"}]}})])
        for _ in range(100):
            obj = json.loads(self.up.kubectl("get", "ig", "waiting", "-n", NS, "-o",
                                             "json").stdout)
            conds = {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}
            if "Ready" in conds:
                break
            time.sleep(0.1)
        self.assertEqual(conds["Ready"]["status"], "False")
        self.assertEqual(conds["Ready"]["reason"], "ServiceNotFound")
        self.assertIn("missing", conds["Ready"]["message"])
        self.assertNotIn("url", obj["status"])
        domain_host = "waiting.%s.%s" % (NS, self.domain())
        r = self.post(domain_host, {"instances": ROWS})
        self.assertEqual(r.status_code, 503)
        self.assertIn("InferenceGraph graphs/waiting is not ready", r.text)
        self.up.kubectl("delete", "ig", "waiting", "-n", NS)
        for _ in range(50):
            if self.post(domain_host, {}).status_code == 404:
                break
            time.sleep(0.1)
        self.assertEqual(self.post(domain_host, {}).status_code, 404)

    def domain(self):
        url = self.up.kubectl("get", "isvc", "sklearn-iris", "-n", NS, "-o",
                              "jsonpath={.status.url}").stdout
        return url.split(".", 2)[2]

    def test_step_policies_see_the_router_identity(self):
        # Only the graph-router ServiceAccount may call xgboost-iris.
        self.apply([{"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                     "metadata": {"name": "xgb-only-router", "namespace": NS},
                     "spec": {"selector": {"matchLabels": {
                         "serving.kserve.io/inferenceservice": "xgboost-iris"}},
                         "action": "ALLOW",
                         "rules": [{"from": [{"source": {"principals": [
                             "cluster.local/ns/%s/sa/graph-router" % NS]}}]}]}}])
        try:
            steps = {"root": {"routerType": "Sequence", "steps": [
                {"serviceName": "xgboost-iris", "dependency": "Hard"},
                {"serviceName": "sklearn-iris", "data": "$request"}]}}
            allowed = self.ready_graph(graph("as-router", steps,
                                             {"serviceAccountName": "graph-router"}))
            denied = self.ready_graph(graph("as-default", steps))
            body = {"instances": ROWS}
            deadline = time.time() + 10
            while time.time() < deadline:  # the policy reaches the gateway's snapshot
                r = self.post(denied, body)
                if r.status_code == 403:
                    break
                time.sleep(0.1)
            self.assertEqual(r.status_code, 403, r.text)
            self.assertEqual(r.text, "RBAC: access denied")
            r = self.post(allowed, body)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual(r.json(), {"predictions": self.sk_pred(ROWS)})
            # The model itself refuses the ingress gateway's identity.
            host = "xgboost-iris.%s.%s" % (NS, self.domain())
            self.assertEqual(self.up.external(host, "/v1/models/xgboost-iris:predict",
                                              json=body).status_code, 403)
        finally:
            self.up.kubectl("delete", "authorizationpolicy", "xgb-only-router", "-n", NS)


if __name__ == "__main__":
    unittest.main()
