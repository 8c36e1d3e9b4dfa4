#!/usr/bin/python3
"""Explanations through `ferry up` with kubectl-applied InferenceServices: a scikit-learn forest,
an XGBoost booster (rows with missing values) and a scikit-learn logistic regression, from
tests/fixtures/explain/gen_explain.py. V1 `:explain` and the V2 output `contributions` are called
at each InferenceService's external host (status.url, the ingress gateway) and at its
cluster-local host, and checked against the Python oracles to 1e-9 (test_explain's helpers);
XGBoost's against xgboost's own pred_contribs too. The gateway's AuthorizationPolicies apply to
`:explain` as to `:predict`: a caller the policy does not allow gets 403 with Istio's body
`RBAC: access denied` on both paths, an allowed one 200 (V2 gRPC `contributions` at both hosts
too: PERMISSION_DENIED / answered); a DENY rule on the path suffix `:explain` refuses
explanations while predictions still answer.

Run with /usr/bin/python3 (python3-requests, python3-grpcio).
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import Up, explain_models, free_port  # noqa: E402
from test_grpc import stubs  # noqa: E402
from test_explain import TOL, assert_contributions, expected, instances, nested, v2_request  # noqa: E402,E501

NS = "explain-team"
CASES = {  # InferenceService name: (model format, fixture dir under explain_models())
    "forest": ("sklearn", "sklearn/rf_classifier"),
    "booster": ("xgboost", "xgboost/binary"),
    "logistic": ("sklearn", "sklearn/logistic_multinomial"),
}
ALLOWED = {"x-caller": "alice"}
DENIED = {"x-caller": "mallory"}


def isvc_yaml(name, fmt, uri):
    return ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: %s\n  namespace: %s\nspec:\n  predictor:\n    model:\n"
            "      modelFormat:\n        name: %s\n      storageUri: file://%s\n"
            % (name, NS, fmt, uri))


def policy_yaml(name, action, rule):
    return ("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\n"
            "metadata:\n  name: %s\n  namespace: %s\nspec:\n  action: %s\n  rules:\n%s"
            % (name, NS, action, rule))


# Only alice may call this namespace's models (any path).
ONLY_ALICE = policy_yaml("only-alice", "ALLOW",
                         "  - when:\n    - key: request.headers[x-caller]\n"
                         "      values: [\"alice\"]\n")
# Nobody may ask for explanations of the forest (V1 path suffix).
NO_FOREST_EXPLAIN = policy_yaml("no-forest-explain", "DENY",
                                "  - to:\n    - operation:\n        paths: [\"*/forest:explain\"]\n")


class ExplainUpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = os.path.abspath(explain_models())
        cls.grpc_port = free_port()
        cls.up = up = Up(profile="none", extra=["--allow-local-models", cls.models,
                                                "--grpc-port", str(cls.grpc_port)])
        up.kubectl("create", "namespace", NS)
        for name, (fmt, sub) in CASES.items():
            up.kubectl("apply", "-f", "-",
                       input=isvc_yaml(name, fmt, os.path.join(cls.models, sub)))
        up.kubectl("wait", "--for=condition=Ready", "-n", NS, "--timeout=60s",
                   *["inferenceservice/" + n for n in CASES])
        cls.hosts = {}
        for name in CASES:
            url = up.kubectl("get", "isvc", name, "-n", NS, "-o",
                             "jsonpath={.status.url}").stdout
            assert url.startswith("http://%s.%s." % (name, NS)), url
            cls.hosts[name] = url[len("http://"):]
        up.kubectl("apply", "-f", "-", input=ONLY_ALICE)
        cls.wait_policy("forest", DENIED, "/v1/models/forest:predict", 403)

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    @classmethod
    def call(cls, name, path, headers, internal=False, **kw):
        if internal:
            return cls.up.internal("%s.%s.svc.cluster.local" % (name, NS), path,
                                   headers=headers, **kw)
        return cls.up.external(cls.hosts[name], path, headers=headers, **kw)

    @classmethod
    def wait_policy(cls, name, headers, path, status):
        """Until the gateway's snapshot holds the policy just applied (or 10 s)."""
        e = expected(os.path.join(cls.models, CASES[name][1]))
        deadline = time.time() + 10
        while time.time() < deadline:
            if cls.call(name, path, headers, json={"instances": instances(e)}).status_code \
                    == status:
                return
            time.sleep(0.05)

    def check(self, name, internal):
        e = expected(os.path.join(self.models, CASES[name][1]))
        where = "%s (%s)" % (name, "cluster-local" if internal else "external")
        rows = {"instances": instances(e)}
        r = self.call(name, "/v1/models/%s:explain" % name, ALLOWED, internal, json=rows)
        self.assertEqual(r.status_code, 200, r.text)
        body = r.json()
        predict = self.call(name, "/v1/models/%s:predict" % name, ALLOWED, internal, json=rows)
        self.assertEqual(predict.status_code, 200, predict.text)
        self.assertEqual(body["predictions"], predict.json()["predictions"])
        assert_contributions(self, body["explanations"], e, where + " V1 :explain")

        r = self.call(name, "/v2/models/%s/infer" % name, ALLOWED, internal, json=v2_request(e))
        self.assertEqual(r.status_code, 200, r.text)
        out = r.json()["outputs"]
        self.assertEqual([(o["name"], o["datatype"]) for o in out], [("contributions", "FP64")])
        width = e["n_features"] + 1
        shape = ([len(e["X"]), width] if e["outputs"] == 1 else
                 [len(e["X"]), e["outputs"], width])
        self.assertEqual(out[0]["shape"], shape)
        got = nested(out[0]["data"], shape)
        assert_contributions(self, got, e, where + " V2 contributions")
        if "pred_contribs" in e:
            # xgboost computes in float32: Ferry is as far from its pred_contribs as the exact
            # oracle is (the oracle is within TOL of Ferry's values).
            rows_ = [[g] for g in got] if e["outputs"] == 1 else got
            for g_row, x_row in zip(rows_, e["pred_contribs"]):
                for g, x in zip(g_row, x_row):
                    for a, b in zip(g, x):
                        self.assertLessEqual(abs(a - b),
                                             e["max_abs_diff_vs_pred_contribs"] + TOL, where)

    def test_sklearn_forest(self):
        self.check("forest", internal=False)
        self.check("forest", internal=True)

    def test_xgboost_booster(self):
        self.check("booster", internal=False)
        self.check("booster", internal=True)

    def test_linear_model(self):
        self.check("logistic", internal=False)
        self.check("logistic", internal=True)

    def assertDenied(self, r):
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.text, "RBAC: access denied")

    def test_policies_apply_to_explain_like_predict(self):
        for name in CASES:
            e = expected(os.path.join(self.models, CASES[name][1]))
            rows = {"instances": instances(e)}
            for internal in (False, True):
                with self.subTest(name=name, internal=internal):
                    for path in ("/v1/models/%s:predict" % name, "/v1/models/%s:explain" % name):
                        self.assertDenied(self.call(name, path, DENIED, internal, json=rows))
                        self.assertDenied(self.call(name, path, {}, internal, json=rows))
                        r = self.call(name, path, ALLOWED, internal, json=rows)
                        self.assertEqual(r.status_code, 200, r.text)
                    self.assertDenied(self.call(name, "/v2/models/%s/infer" % name, DENIED,
                                                internal, json=v2_request(e)))

    def test_grpc_contributions_under_the_policies(self):
        import grpc
        pb, rpc = stubs()
        for name in CASES:
            e = expected(os.path.join(self.models, CASES[name][1]))
            rows, cols = len(e["X"]), len(e["X"][0])
            req = pb.ModelInferRequest(model_name=name)
            t = req.inputs.add(name="input-0", datatype="FP64", shape=[rows, cols])
            t.contents.fp64_contents.extend(
                float("nan") if v is None else v for row in e["X"] for v in row)
            req.outputs.add(name="contributions")
            for host in (self.hosts[name], "%s.%s.svc.cluster.local" % (name, NS)):
                with self.subTest(name=name, host=host), grpc.insecure_channel(
                        "127.0.0.1:%d" % self.grpc_port,
                        options=[("grpc.default_authority", host)]) as ch:
                    stub = rpc.GRPCInferenceServiceStub(ch)
                    res = stub.ModelInfer(req, timeout=10, metadata=list(ALLOWED.items()))
                    out = res.outputs[0]
                    self.assertEqual(out.name, "contributions")
                    shape = list(out.shape)
                    assert_contributions(self, nested(list(out.contents.fp64_contents), shape),
                                         e, "%s gRPC at %s" % (name, host))
                    with self.assertRaises(grpc.RpcError) as cm:
                        stub.ModelInfer(req, timeout=10, metadata=list(DENIED.items()))
                    self.assertEqual(cm.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
                    self.assertEqual(cm.exception.details(), "RBAC: access denied")

    def test_deny_rule_on_the_explain_path(self):
        self.up.kubectl("apply", "-f", "-", input=NO_FOREST_EXPLAIN)
        try:
            self.wait_policy("forest", ALLOWED, "/v1/models/forest:explain", 403)
            e = expected(os.path.join(self.models, CASES["forest"][1]))
            rows = {"instances": instances(e)}
            for internal in (False, True):
                self.assertDenied(self.call("forest", "/v1/models/forest:explain", ALLOWED,
                                            internal, json=rows))
                r = self.call("forest", "/v1/models/forest:predict", ALLOWED, internal, json=rows)
                self.assertEqual(r.status_code, 200, r.text)
            # Another model's :explain is not matched by the forest's rule.
            e = expected(os.path.join(self.models, CASES["logistic"][1]))
            r = self.call("logistic", "/v1/models/logistic:explain", ALLOWED,
                          json={"instances": instances(e)})
            self.assertEqual(r.status_code, 200, r.text)
        finally:
            self.up.kubectl("delete", "authorizationpolicy", "no-forest-explain", "-n", NS)
            self.wait_policy("forest", ALLOWED, "/v1/models/forest:explain", 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
