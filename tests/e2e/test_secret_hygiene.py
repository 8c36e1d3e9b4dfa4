#!/usr/bin/python3
"""Secrets never leak: with `ferry up`, a Secret whose S3 secret key
is wrong (so every step fails loudly) and then right, a ServiceAccount token
used on the gateway (accepted, rejected and tampered), then a grep of
everything a user or an operator can read — the process log (access log
included), Events, InferenceService status, `kubectl describe`, the API's error
bodies and the gateway's denial bodies — for the secret values, in plain text
and base64. Real kubectl, real S3 test server."""
import base64
import json
import os
import sys
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up  # noqa: E402
from test_up import RUN, sa_yaml, seed_file  # noqa: E402

NS = "kubeflow-user-example-com"
WRONG = "Wr0ng-Canary-Secret-8f3e1a"  # wrong S3 secret: failed signatures must not echo it


def setUpModule():
    ferrytest.s3_upload(os.path.join(ferrytest.mlflow_models(), "iris_tensor"),
                        "s3://mlflow/" + RUN + "/")


class SecretHygieneTest(unittest.TestCase):
    def test_no_secret_in_anything_readable(self):
        up = Up()
        try:
            self.run_flow(up)
        finally:
            up.stop()

    def run_flow(self, up):
        _, access, right = ferrytest.ensure_s3()
        profile = ("apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
                   "spec:\n  owner:\n    kind: User\n    name: user@example.com\n" % NS)
        up.kubectl("apply", "-f", "-", input=profile)
        deadline = time.time() + 10
        while up.kubectl("get", "serviceaccount", "default-editor", "-n", NS,
                         check=False).returncode != 0:
            self.assertLess(time.time(), deadline, "Profile did not create default-editor")
            time.sleep(0.05)
        up.kubectl("apply", "-n", NS, "-f", sa_yaml(secret=WRONG))
        up.kubectl("apply", "-n", NS, "-f", seed_file("is_mlflow.yaml"))
        deadline = time.time() + 15
        while True:
            obj = json.loads(up.kubectl("get", "isvc", "irish-s3", "-n", NS, "-o", "json").stdout)
            state = obj.get("status", {}).get("modelStatus", {}).get("states", {})
            if state.get("activeModelState") == "FailedToLoad":
                break
            self.assertLess(time.time(), deadline, "never FailedToLoad")
            time.sleep(0.05)
        up.kubectl("apply", "-n", NS, "-f", sa_yaml())  # the right secret
        up.kubectl("wait", "--for=condition=Ready", "inferenceservice/irish-s3", "-n", NS,
                   "--timeout=30s")

        token = up.kubectl("create", "token", "default-editor", "-n", NS).stdout.strip()
        host = "irish-s3.%s.example.com" % NS
        path = "/v2/models/irish-s3/infer"
        bodies = []
        r = up.external(host, path, json=SEED_REQUEST, headers={"Authorization": "Bearer " + token})
        self.assertEqual(r.status_code, 200, r.text)
        h, p, sig = token.split(".")
        for bad in (h + "." + p + ".", h + "." + p[:-1] + "A." + sig, token + "x"):
            r = up.external(host, path, json=SEED_REQUEST,
                            headers={"Authorization": "Bearer " + bad})
            self.assertIn(r.status_code, (401, 403))
            bodies.append(r.text + json.dumps(dict(r.headers)))
        # API errors: a wrong admin token and a bad object naming the secret field.
        api = "https://127.0.0.1:%d" % up.api_port
        # default-editor may list the profile's Secrets (kubeflow-edit, as in Kubeflow); the
        # namespace's `default` ServiceAccount is bound to nothing: its 403 must not leak.
        nobody = up.kubectl("create", "token", "default", "-n", NS).stdout.strip()
        r = requests.get(api + "/api/v1/namespaces/%s/secrets" % NS, verify=False,
                         headers={"Authorization": "Bearer " + nobody})
        self.assertEqual(r.status_code, 403, r.text)
        bodies.append(r.text)
        r = up.kubectl("get", "secret", "s3creds", "-n", NS, "-o", "json", check=False)
        self.assertEqual(r.returncode, 0)  # the admin can read it, as on Kubernetes

        readable = {
            "ferry up log": up.output(),
            "events": up.kubectl("get", "events", "-A", "-o", "json").stdout,
            "isvc": up.kubectl("get", "isvc", "-A", "-o", "json").stdout,
            "pods": up.kubectl("get", "pods,ksvc,revisions", "-A", "-o", "json").stdout,
            "describe": up.kubectl("describe", "isvc", "irish-s3", "-n", NS).stdout,
            "error bodies": "\n".join(bodies),
        }
        logs = up.kubectl("get", "--raw", "/apis/serving.kserve.io/v1beta1/namespaces/%s/"
                          "inferenceservices/irish-s3/log" % NS, check=False)
        if logs.returncode == 0:
            readable["model log"] = logs.stdout
        with open(os.path.join(up.data_dir, "admin-token")) as f:
            admin = f.read().strip()
        secrets = {"wrong S3 secret": WRONG, "S3 secret": right, "admin token": admin,
                   "SA token signature": sig}
        for label, value in list(secrets.items()):
            secrets[label + " (base64)"] = base64.b64encode(value.encode()).decode()
        for where, text in readable.items():
            for label, value in secrets.items():
                self.assertNotIn(value, text, "%s appears in %s" % (label, where))
        # The failure still said what to fix (not silenced by the redaction).
        self.assertIn("s3creds", readable["events"] + readable["isvc"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
