"""The seed's step 0, verbatim: `kubectl patch svc istio-ingressgateway ...
LoadBalancer` and `kubectl apply -f serving-default-domain.yaml` (a local copy
of Knative's release file). Uses a loopback external address (127.0.0.2);
traffic stays on 127.0.0.0/8."""
import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed")


def listen_addresses(port):
    out = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    return sorted({m.group(1) for m in re.finditer(r"\s(\S+):%d\s" % port, out)})


def wait_for(check, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


class Step0Test(unittest.TestCase):
    def test_loadbalancer_patch_and_magic_dns(self):
        models = os.path.abspath(ferrytest.mlflow_models())
        up = Up(profile="none", extra=["--external-address", "127.0.0.2",
                                       "--allow-local-models", models])
        try:
            self.assertEqual(listen_addresses(up.http_port), ["127.0.0.1"])
            r = up.kubectl("patch", "svc", "istio-ingressgateway", "-n", "istio-system", "-p",
                           '{"spec": {"type": "LoadBalancer"}}')
            self.assertIn("patched", r.stdout)
            self.assertTrue(wait_for(lambda: "127.0.0.2" in up.kubectl(
                "get", "svc", "-n", "istio-system").stdout), up.output())
            self.assertTrue(wait_for(lambda: "0.0.0.0" in listen_addresses(up.http_port)),
                            listen_addresses(up.http_port))
            r = up.kubectl("apply", "-f", os.path.join(SEED, "serving-default-domain.yaml"))
            self.assertIn("job.batch/default-domain created", r.stdout)
            up.kubectl("wait", "--for=condition=Complete", "job/default-domain", "-n",
                       "knative-serving", "--timeout=30s")
            cm = json.loads(up.kubectl("get", "cm", "config-domain", "-n", "knative-serving",
                                       "-o", "json").stdout)
            self.assertIn("127.0.0.2.sslip.io", cm["data"])
            up.kubectl("create", "namespace", "my-profile")
            isvc = ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
                    "metadata:\n  name: irish-s3\nspec:\n  predictor:\n    model:\n"
                    "      modelFormat:\n        name: mlflow\n      protocolVersion: v2\n"
                    "      storageUri: file://%s/iris_tensor\n" % models)
            up.kubectl("apply", "-n", "my-profile", "-f", "-", input=isvc)
            up.kubectl("wait", "--for=condition=Ready", "isvc/irish-s3", "-n", "my-profile",
                       "--timeout=30s")
            r = up.kubectl("get", "isvc", "-A")
            self.assertIn("http://irish-s3.my-profile.127.0.0.2.sslip.io", r.stdout)
            resp = up.external("irish-s3.my-profile.127.0.0.2.sslip.io",
                               "/v2/models/irish-s3/infer", json=SEED_REQUEST)
            self.assertEqual(resp.status_code, 200, resp.text)
            self.assertEqual(resp.json()["outputs"][0]["data"], [1, 1])
            # Knative's per-label domain selectors, edited by hand.
            up.kubectl("patch", "cm", "config-domain", "-n", "knative-serving", "--type", "merge",
                       "-p", json.dumps({"data": {"nonprofit.example.org":
                                                  "selector:\n  app: nonprofit\n"}}))
            up.kubectl("label", "isvc", "irish-s3", "-n", "my-profile", "app=nonprofit")
            self.assertTrue(wait_for(lambda: "http://irish-s3.my-profile.nonprofit.example.org" in
                                     up.kubectl("get", "isvc", "-A").stdout),
                            up.kubectl("get", "isvc", "-A").stdout)
            resp = up.external("irish-s3.my-profile.nonprofit.example.org",
                               "/v2/models/irish-s3/infer", json=SEED_REQUEST)
            self.assertEqual(resp.status_code, 200, resp.text)
            # Any other Job is stored and reported as not runnable.
            job = ("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: other\nspec:\n  template:\n"
                   "    spec:\n      restartPolicy: Never\n      containers:\n      - name: x\n"
                   "        image: busybox\n")
            up.kubectl("apply", "-n", "default", "-f", "-", input=job)
            self.assertTrue(wait_for(lambda: "NotRunnable" in up.kubectl(
                "get", "job", "other", "-n", "default", "-o", "json").stdout))
            # Patch back: loopback only again.
            up.kubectl("patch", "svc", "istio-ingressgateway", "-n", "istio-system", "-p",
                       '{"spec": {"type": "ClusterIP"}}')
            self.assertTrue(wait_for(lambda: listen_addresses(up.http_port) == ["127.0.0.1"]),
                            listen_addresses(up.http_port))
        finally:
            up.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
