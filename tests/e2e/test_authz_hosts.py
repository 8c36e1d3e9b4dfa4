#!/usr/bin/python3
"""AuthorizationPolicy `hosts` without a port (Istio's documented pitfall): the
API answers with a Warning header that the real kubectl prints, and the
gateway's semantics stay Istio's — "name" does not match "Host: name:port".
Runs `ferry up --profile none` on 127.0.0.1 with the seed's model from the S3
test server."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed")
RUN = "hosts/artifacts/iris_model"
NS = "my-profile"
HOST = "irish-s3.%s.example.com" % NS
INFER = "/v2/models/irish-s3/infer"


def policy(hosts):
    return ("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n"
            "  name: deny-by-host\n  namespace: istio-system\nspec:\n  selector:\n"
            "    matchLabels:\n      app: istio-ingressgateway\n  action: DENY\n  rules:\n"
            "  - to:\n    - operation:\n        hosts: [%s]\n"
            % ", ".join('"%s"' % h for h in hosts))


def setUpModule():
    ferrytest.s3_upload(os.path.join(ferrytest.mlflow_models(), "iris_tensor"),
                        "s3://mlflow/" + RUN + "/")


class HostsWithoutPortTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.up = Up(profile="none")
        up = cls.up
        up.kubectl("create", "namespace", NS)
        endpoint, access, secret = ferrytest.ensure_s3()
        with open(os.path.join(SEED, "sa.yaml")) as f:
            sa = (f.read().replace("S3_ENDPOINT_HOSTPORT", endpoint.split("://")[1])
                  .replace("S3_ACCESS_KEY", access).replace("S3_SECRET_KEY", secret))
        up.kubectl("apply", "-n", NS, "-f", "-", input=sa)
        with open(os.path.join(SEED, "is_mlflow.yaml")) as f:
            isvc = f.read()
        isvc = isvc[:isvc.index("storageUri:")] + "storageUri: s3://mlflow/%s\n" % RUN
        up.kubectl("apply", "-n", NS, "-f", "-", input=isvc)
        up.kubectl("wait", "--for=condition=Ready", "inferenceservice/irish-s3", "-n", NS,
                   "--timeout=60s")

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def status(self, host):
        return self.up.external(host, INFER, json=SEED_REQUEST).status_code

    def wait_status(self, host, want):
        deadline = time.time() + 10
        while self.status(host) != want and time.time() < deadline:
            time.sleep(0.05)
        return self.status(host)

    def test_warning_is_printed_and_semantics_are_istios(self):
        with_port = "%s:%d" % (HOST, self.up.http_port)
        self.assertEqual(self.status(HOST), 200)
        r = self.up.kubectl("apply", "-f", "-", input=policy([HOST]))
        self.assertIn("created", r.stdout)
        want = ('Warning: spec.rules[0].to[0].operation.hosts[0]: "%s" has no port, so a request '
                'with "Host: %s:8080" does not match it (Istio compares the whole Host header, '
                'port included); list both forms: ["%s", "%s:*"]' % (HOST, HOST, HOST, HOST))
        self.assertIn(want, r.stderr)
        # Unchanged semantics: the DENY matches the bare name only.
        self.assertEqual(self.wait_status(HOST, 403), 403)
        self.assertEqual(self.status(with_port), 200)
        # Both forms: no warning, and the port form is denied too.
        r = self.up.kubectl("apply", "-f", "-", input=policy([HOST, HOST + ":*"]))
        self.assertIn("configured", r.stdout)
        self.assertNotIn("Warning", r.stderr)
        self.assertEqual(self.wait_status(with_port, 403), 403)
        self.assertEqual(self.status(HOST), 403)
        # kubectl edit-style updates (patch) warn too.
        patch = '{"spec":{"rules":[{"to":[{"operation":{"notHosts":["a.example.com"]}}]}]}}'
        r = self.up.kubectl("patch", "authorizationpolicy", "deny-by-host", "-n", "istio-system",
                            "--type=merge", "-p", patch)
        self.assertIn('Warning: spec.rules[0].to[0].operation.notHosts[0]: "a.example.com" has no '
                      'port, so a request with "Host: a.example.com:8080" is not excluded by it',
                      r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
