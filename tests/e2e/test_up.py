"""The seed tutorial, as a user lives it, against `ferry up` with the real
kubectl, the S3 test server (SigV4-verifying) and python3-requests."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed")
RUN = "1/d9a3dd7164bd423b9482ab8a77316c33/artifacts/iris_model"
NS = "my-profile"


def seed_file(name, replace=None):
    with open(os.path.join(SEED, name)) as f:
        text = f.read()
    for k, v in (replace or {}).items():
        text = text.replace(k, v)
    path = os.path.join(tempfile.mkdtemp(prefix="seed-"), name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sa_yaml(secret=None):
    endpoint, access, key = ferrytest.ensure_s3()
    return seed_file("sa.yaml", {"S3_ENDPOINT_HOSTPORT": endpoint.split("://")[1],
                                 "S3_ACCESS_KEY": access, "S3_SECRET_KEY": secret or key})


def setUpModule():
    models = ferrytest.mlflow_models()
    ferrytest.s3_upload(os.path.join(models, "iris_tensor"), "s3://mlflow/" + RUN + "/")


class SeedFlowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Up()
        cls.up.kubectl("create", "namespace", NS)

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def wait_ready(self, name, timeout="60s"):
        return self.up.kubectl("wait", "--for=condition=Ready", "inferenceservice/" + name,
                               "-n", NS, "--timeout=" + timeout)

    def test_1_seed_flow(self):
        up = self.up
        r = up.kubectl("apply", "-n", NS, "-f", sa_yaml())
        self.assertIn("secret/s3creds created", r.stdout)
        self.assertIn("serviceaccount/sa created", r.stdout)
        t0 = time.time()
        r = up.kubectl("apply", "-n", NS, "-f", seed_file("is_mlflow.yaml"))
        self.assertIn("inferenceservice.serving.kserve.io/irish-s3 created", r.stdout)
        self.wait_ready("irish-s3")
        print("apply -> Ready: %.0f ms" % ((time.time() - t0) * 1000), file=sys.stderr)
        r = up.kubectl("get", "inferenceservice", "-A")
        self.assertRegex(r.stdout, r"my-profile\s+irish-s3\s+http://irish-s3\.my-profile\.example\.com\s+True")
        r = up.kubectl("describe", "inferenceservice", "irish-s3", "-n", NS)
        self.assertIn("RevisionReady", r.stdout)

        ext_host = "irish-s3.my-profile.example.com"
        int_host = "irish-s3.my-profile.svc.cluster.local"
        path = "/v2/models/irish-s3/infer"
        # Kubeflow's closed defaults: refused outside, RBAC inside.
        r = up.external(ext_host, path, json=SEED_REQUEST)
        self.assertIn(r.status_code, (401, 403), r.text)
        r = up.internal(int_host, path, json=SEED_REQUEST)
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.text, "RBAC: access denied")

        # The tutorial's three holes.
        up.kubectl("apply", "-f", seed_file("ap_path.yaml"))
        up.kubectl("apply", "-f", seed_file("ap.yaml"))
        script = os.path.join(tempfile.mkdtemp(), "editor.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\ngrep -q -- '- /v1/\\*' \"$1\" || sed -i 's|^\\(\\s*\\)- /oauth2/\\*$|\\1- /oauth2/*\\n\\1- /v1/*\\n\\1- /v2/*|' \"$1\"\n")
        os.chmod(script, 0o755)
        r = up.kubectl("edit", "authorizationpolicy", "istio-ingressgateway-require-jwt",
                       "-n", "istio-system", env={"EDITOR": script})
        self.assertIn("edited", r.stdout)
        deadline = time.time() + 5
        while time.time() < deadline:
            r = up.internal(int_host, path, json=SEED_REQUEST)
            if r.status_code == 200:
                break
            time.sleep(0.05)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])
        # The notebook's code, unchanged, through HTTP_PROXY.
        for port, host in ((up.internal_port, int_host), (up.http_port, ext_host)):
            env = dict(os.environ, HTTP_PROXY="http://127.0.0.1:%d" % port, NO_PROXY="")
            out = subprocess.run(["/usr/bin/python3", os.path.join(SEED, "send_request.py"),
                                  "http://%s%s" % (host, path)], capture_output=True, text=True,
                                 env=env, timeout=30)
            self.assertIn("200", out.stdout, out.stdout + out.stderr)
            body = json.loads(out.stdout.splitlines()[1])
            self.assertEqual(body["outputs"][0]["data"], [1, 1])

    def test_2_wrong_credentials_then_fix(self):
        up = self.up
        ns = "creds-test"
        up.kubectl("create", "namespace", ns)
        up.kubectl("apply", "-n", ns, "-f", sa_yaml(secret="wrong-secret"))
        up.kubectl("apply", "-n", ns, "-f", seed_file("is_mlflow.yaml"))
        deadline = time.time() + 10
        info = None
        while time.time() < deadline:
            obj = json.loads(up.kubectl("get", "isvc", "irish-s3", "-n", ns, "-o", "json").stdout)
            ms = obj.get("status", {}).get("modelStatus", {})
            if ms.get("states", {}).get("activeModelState") == "FailedToLoad":
                info = ms["lastFailureInfo"]
                break
            time.sleep(0.05)
        self.assertIsNotNone(info, "never FailedToLoad")
        self.assertEqual(info["reason"], "ModelLoadFailed")
        self.assertIn("s3creds", info["message"])
        # Fix the Secret: the deployment heals without re-applying the InferenceService.
        up.kubectl("apply", "-n", ns, "-f", sa_yaml())
        self.up.kubectl("wait", "--for=condition=Ready", "inferenceservice/irish-s3", "-n", ns,
                        "--timeout=30s")


    def test_3_delete(self):
        up = self.up
        ns = "delete-test"
        up.kubectl("create", "namespace", ns)
        up.kubectl("apply", "-n", ns, "-f", sa_yaml())
        up.kubectl("apply", "-n", ns, "-f", seed_file("is_mlflow.yaml"))
        up.kubectl("wait", "--for=condition=Ready", "inferenceservice/irish-s3", "-n", ns,
                   "--timeout=30s")
        r = up.kubectl("delete", "-n", ns, "-f", seed_file("is_mlflow.yaml"))
        self.assertIn('"irish-s3" deleted', r.stdout)
        host = "irish-s3.%s.svc.cluster.local" % ns
        deadline = time.time() + 5
        while time.time() < deadline:
            if up.internal(host, "/v2/models/irish-s3/infer", json=SEED_REQUEST).status_code == 404:
                break
            time.sleep(0.05)
        self.assertEqual(up.internal(host, "/v2/models/irish-s3/infer",
                                     json=SEED_REQUEST).status_code, 404)


class SecurePathTest(unittest.TestCase):
    """Authentication stays on: Kubeflow's policies, no bypass, tokens from
    `kubectl create token`. (A fresh instance: the seed's allowlist-by-paths
    is mesh-wide and would open every predictor.)"""

    @classmethod
    def setUpClass(cls):
        cls.up = Up()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def test_service_account_tokens(self):
        up = self.up
        ns = "kubeflow-user-example-com"
        manifest = ("apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
                    "spec:\n  owner:\n    kind: User\n    name: user@example.com\n" % ns)
        up.kubectl("apply", "-f", "-", input=manifest)
        deadline = time.time() + 10
        while time.time() < deadline:
            if up.kubectl("get", "serviceaccount", "default-editor", "-n", ns,
                          check=False).returncode == 0:
                break
            time.sleep(0.05)
        up.kubectl("apply", "-n", ns, "-f", sa_yaml())
        up.kubectl("apply", "-n", ns, "-f", seed_file("is_mlflow.yaml"))
        up.kubectl("wait", "--for=condition=Ready", "inferenceservice/irish-s3", "-n", ns,
                   "--timeout=30s")
        host = "irish-s3.%s.example.com" % ns
        path = "/v2/models/irish-s3/infer"
        token = up.kubectl("create", "token", "default-editor", "-n", ns).stdout.strip()
        r = up.external(host, path, json=SEED_REQUEST, headers={"Authorization": "Bearer " + token})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])
        # Another namespace's ServiceAccount: authenticated, but not allowed here.
        up.kubectl("create", "namespace", "other-team")
        up.kubectl("create", "serviceaccount", "robot", "-n", "other-team")
        other = up.kubectl("create", "token", "robot", "-n", "other-team").stdout.strip()
        r = up.external(host, path, json=SEED_REQUEST, headers={"Authorization": "Bearer " + other})
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.text, "RBAC: access denied")
        # A tampered token: Envoy's exact 401.
        h, p, sig = token.split(".")
        tampered = h + "." + p[:-2] + ("A" if p[-2] != "A" else "B") + p[-1] + "." + sig
        r = up.external(host, path, json=SEED_REQUEST,
                        headers={"Authorization": "Bearer " + tampered})
        self.assertEqual(r.status_code, 401, r.text)
        self.assertIn("invalid_token", r.headers.get("www-authenticate", ""))



if __name__ == "__main__":
    unittest.main(verbosity=2)
