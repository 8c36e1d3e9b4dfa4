"""Ferry's own client verbs (apply/get/describe/delete/logs) against `ferry up`,
for users without kubectl; plus the per-InferenceService log endpoint and
/readyz."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import requests
import urllib3
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import FERRY_BIN, Up  # noqa: E402

urllib3.disable_warnings()
NS = "cli-test"


def write(text):
    fd, path = tempfile.mkstemp(suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def isvc_yaml(name, models, labels=""):
    return ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: %s\n%s"
            "spec:\n  predictor:\n    model:\n      modelFormat: {name: mlflow}\n"
            "      protocolVersion: v2\n      storageUri: file://%s/iris_tensor\n"
            % (name, labels, models))


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = ferrytest.mlflow_models()
        cls.up = Up(profile="none", extra=["--allow-local-models", cls.models])

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def ferry(self, *args, check=True, input=None):
        r = subprocess.run([FERRY_BIN] + list(args) + ["--data-dir", self.up.data_dir],
                           capture_output=True, text=True, input=input, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("ferry %s failed (%d):\n%s\n%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def api(self, path, token=True, **kw):
        headers = {}
        if token:
            with open(os.path.join(self.up.data_dir, "admin-token")) as f:
                headers["Authorization"] = "Bearer " + f.read().strip()
        return requests.get("https://127.0.0.1:%d%s" % (self.up.api_port, path),
                            headers=headers, verify=False, timeout=10, **kw)

    def wait_ready(self, name, ns=NS, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.ferry("get", "isvc", name, "-n", ns, "-o", "json", check=False)
            if r.returncode == 0:
                conds = json.loads(r.stdout).get("status", {}).get("conditions", [])
                if any(c["type"] == "Ready" and c["status"] == "True" for c in conds):
                    return json.loads(r.stdout)
            time.sleep(0.05)
        self.fail("%s never Ready" % name)

    def test_1_readyz(self):
        deadline = time.time() + 10
        while time.time() < deadline and self.api("/readyz", token=False).status_code != 200:
            time.sleep(0.05)
        self.assertEqual(self.api("/readyz", token=False).status_code, 200)

    def test_2_apply_get_describe_logs_delete(self):
        r = self.ferry("apply", "-f", "-", input="apiVersion: v1\nkind: Namespace\n"
                       "metadata:\n  name: %s\n" % NS)
        self.assertEqual(r.stdout, "namespace/%s created\n" % NS)
        path = write(isvc_yaml("iris", self.models))
        r = self.ferry("apply", "-n", NS, "-f", path)
        self.assertEqual(r.stdout, "inferenceservice.serving.kserve.io/iris created\n")
        self.wait_ready("iris")
        r = self.ferry("apply", "-n", NS, "-f", path)
        self.assertEqual(r.stdout, "inferenceservice.serving.kserve.io/iris unchanged\n")
        r = self.ferry("apply", "-n", NS, "-f",
                       write(isvc_yaml("iris", self.models, "  labels: {team: a}\n")))
        self.assertEqual(r.stdout, "inferenceservice.serving.kserve.io/iris configured\n")
        obj = json.loads(self.ferry("get", "isvc/iris", "-n", NS, "-o", "json").stdout)
        self.assertEqual(obj["metadata"]["labels"], {"team": "a"})
        # Removing the label from the manifest removes it from the object (3-way apply).
        self.ferry("apply", "-n", NS, "-f", path)
        obj = yaml.safe_load(self.ferry("get", "inferenceservices", "iris", "-n", NS, "-o",
                                        "yaml").stdout)
        self.assertNotIn("team", obj["metadata"].get("labels", {}))
        self.assertEqual(obj["spec"]["predictor"]["model"]["modelFormat"]["name"], "mlflow")

        r = self.ferry("get", "isvc", "-A")
        lines = r.stdout.splitlines()
        self.assertRegex(lines[0], r"^NAMESPACE\s+NAME\s+URL\s+READY")
        self.assertRegex(r.stdout, r"cli-test\s+iris\s+http://iris\.cli-test\.example\.com\s+True")
        r = self.ferry("get", "isvc", "-n", NS)
        self.assertRegex(r.stdout.splitlines()[0], r"^NAME\s+URL\s+READY")
        r = self.ferry("get", "isvc", "-n", "default")
        self.assertIn("No resources found in default namespace.", r.stderr)
        r = self.ferry("get", "clusterservingruntimes", "-o", "name")
        self.assertTrue(r.stdout.strip(), r.stderr)

        r = self.ferry("describe", "isvc", "iris", "-n", NS)
        self.assertIn("Name:         iris", r.stdout)
        self.assertIn("Events:", r.stdout)
        self.assertIn("RevisionReady", r.stdout)

        # The model server log: lifecycle lines, then a predictor error.
        host = "iris.%s.svc.cluster.local" % NS
        bad = self.up.internal(host, "/v2/models/iris/infer", json={"inputs": "nope"})
        self.assertEqual(bad.status_code, 400, bad.text)
        r = self.ferry("logs", "isvc", "iris", "-n", NS)
        self.assertIn("RevisionReady", r.stdout)
        # The download (storage-initializer) line, then the load (kserve-container).
        self.assertRegex(r.stdout, r"(downloaded|fetched) .* in \d+ ms\n.* loading the model from "
                         r"/mnt/models")
        self.assertIn("predictor: HTTP 400", r.stdout)
        r = self.ferry("logs", "isvc", "iris", "-n", NS, "--tail", "1")
        self.assertEqual(len(r.stdout.splitlines()), 1)
        self.assertIn("HTTP 400", r.stdout)
        resp = self.api("/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices/iris/log"
                        "?tailLines=2" % NS)
        self.assertEqual(resp.status_code, 200)
        self.assertTrue(resp.headers["content-type"].startswith("text/plain"))
        self.assertEqual(len(resp.text.splitlines()), 2)
        resp = self.api("/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices/iris/log"
                        % NS, token=False)
        self.assertEqual(resp.status_code, 403)  # system:anonymous, refused by RBAC
        resp = self.api("/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices/nope/log"
                        % NS)
        self.assertEqual(resp.status_code, 404)

        r = self.ferry("delete", "-n", NS, "-f", path)
        self.assertEqual(r.stdout, 'inferenceservice.serving.kserve.io "iris" deleted\n')
        r = self.ferry("get", "isvc", "iris", "-n", NS, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('Error from server (NotFound): inferenceservices.serving.kserve.io "iris" '
                      'not found', r.stderr)

    def test_3_errors(self):
        r = self.ferry("get", "nosuchkind", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('doesn\'t have a resource type "nosuchkind"', r.stderr)
        r = self.ferry("apply", "-f", "-", input="apiVersion: x/v1\nkind: Nope\nmetadata: {name: a}\n",
                       check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('no matches for kind "Nope"', r.stderr)
        r = subprocess.run([FERRY_BIN, "get", "isvc", "--data-dir", "/nonexistent"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no kubeconfig", r.stderr)
        # The same verbs with --kubeconfig.
        r = subprocess.run([FERRY_BIN, "delete", "secret", "nope", "-n", "default", "--kubeconfig",
                            self.up.kubeconfig], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("NotFound", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
