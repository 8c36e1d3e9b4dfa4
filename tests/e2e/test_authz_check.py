"""`ferry authz check` (and POST /ferry/v1/authz/check) on the seed's denials
against `ferry up --profile kubeflow`: an unauthenticated external call, the
internal call refused by RBAC, another namespace's ServiceAccount token, bad
tokens — each explained, and each answer equal to what the real listener
sends for the same request."""
import base64
import json
import os
import re
import subprocess
import sys
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST  # noqa: E402
from test_authz_vectors import RBAC, Rig, b64u  # noqa: E402

SEED_NS = "my-profile"
PROFILE_NS = "kubeflow-user-example-com"
PATH = "/v2/models/irish-s3/infer"


class AuthzCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rig = Rig(profile="kubeflow")
        up = cls.rig.up
        up.kubectl("apply", "-f", "-", input=(
            "apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
            "spec:\n  owner:\n    kind: User\n    name: user@example.com\n" % PROFILE_NS))
        deadline = time.time() + 15
        while time.time() < deadline:
            if up.kubectl("get", "serviceaccount", "default-editor", "-n", PROFILE_NS,
                          check=False).returncode == 0:
                break
            time.sleep(0.05)
        cls.rig.deploy(SEED_NS, ["irish-s3"])
        cls.rig.deploy(PROFILE_NS, ["irish-s3"])
        up.kubectl("create", "namespace", "other-team")
        up.kubectl("create", "serviceaccount", "robot", "-n", "other-team")

    @classmethod
    def tearDownClass(cls):
        cls.rig.up.stop()

    def authz(self, url, *args, data_dir=None):
        r = subprocess.run([ferrytest.FERRY_BIN, "authz", "check", url, "--data-dir",
                            data_dir or self.rig.up.data_dir] + list(args),
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout, r.stderr

    def real(self, url, token=None):
        """The same request through the real listener (HTTP_PROXY style)."""
        host = url.split("/")[2]
        path = "/" + url.split("/", 3)[3]
        internal = ".svc" in host
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        return self.rig.send("POST", path, headers=headers, body=json.dumps(SEED_REQUEST),
                             gw="internal" if internal else "external", host=host)

    def assert_same_as_listener(self, url, token=None):
        result = self.rig.check(url, method="POST",
                                headers={"Content-Type": "application/json"}, token=token)
        status, body, _ = self.real(url, token)
        if result["allowed"]:
            self.assertEqual(status, 200, body)
        else:
            # A sign-in page carries a fresh CSRF token each time it is rendered.
            def same(b):
                return re.sub(r'name="csrf" value="[0-9a-f]+"', 'name="csrf" value="TOKEN"', b)
            self.assertEqual((result["status"], same(result["body"])), (status, same(body)))
        return result

    def test_unauthenticated_external(self):
        url = "http://irish-s3.%s.example.com%s" % (SEED_NS, PATH)
        rc, out, err = self.authz(url, "-X", "POST", "-H", "Content-Type: application/json")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("denied at gateway `istio-ingressgateway` in `istio-system`", out)
        self.assertIn("istio-ingressgateway-oauth2-proxy", out)
        self.assert_same_as_listener(url)

    def test_internal_rbac(self):
        url = "http://irish-s3.%s.svc.cluster.local%s" % (SEED_NS, PATH)
        rc, out, err = self.authz(url, "-X", "POST")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("denied at predictor `irish-s3` in `%s`: ALLOW policies exist "
                      "(istio-system/global-deny-all) and none matched" % SEED_NS, out)
        self.assertIn("allow-nothing", out)
        self.assertIn(RBAC, out)
        r = self.assert_same_as_listener(url)
        self.assertEqual((r["status"], r["body"]), (403, RBAC))
        self.assertEqual(r["gateway"], "internal")
        self.assertEqual(len(r["workloads"]), 1)
        # A Profile namespace: its own ALLOW policies name what is missing.
        url = "http://irish-s3.%s.svc.cluster.local%s" % (PROFILE_NS, PATH)
        rc, out, err = self.authz(url, "-X", "POST")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("denied at predictor `irish-s3` in `%s`: ALLOW policies exist (" %
                      PROFILE_NS, out)
        self.assertIn("ns-owner-access-istio", out)
        self.assertRegex(out, r"and none matched: no rule allows [^\n]*source\.principal=<none>")
        self.assert_same_as_listener(url)

    def test_service_account_tokens(self):
        up = self.rig.up
        url = "http://irish-s3.%s.example.com%s" % (PROFILE_NS, PATH)
        own = up.kubectl("create", "token", "default-editor", "-n", PROFILE_NS).stdout.strip()
        rc, out, err = self.authz(url, "-X", "POST", "--token", own)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("ALLOWED", out)
        self.assertIn("allowed at predictor `irish-s3` in `%s`" % PROFILE_NS, out)
        self.assertIn("system:serviceaccount:%s:default-editor" % PROFILE_NS, out)
        self.assert_same_as_listener(url, own)

        other = up.kubectl("create", "token", "robot", "-n", "other-team").stdout.strip()
        rc, out, err = self.authz(url, "-X", "POST", "--token", other)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("allowed at gateway `istio-ingressgateway`", out)
        self.assertIn("denied at predictor `irish-s3` in `%s`" % PROFILE_NS, out)
        self.assertIn("system:serviceaccount:other-team:robot", out)
        r = self.assert_same_as_listener(url, other)
        self.assertEqual(len(r["workloads"]), 2)
        self.assertEqual([w["allowed"] for w in r["workloads"]], [True, False])

        h, p, s = own.split(".")
        claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
        claims["sub"] = "system:serviceaccount:%s:admin" % PROFILE_NS
        tampered = h + "." + b64u(json.dumps(claims)) + "." + s
        rc, out, err = self.authz(url, "-X", "POST", "--token", tampered, "-o", "json")
        self.assertEqual(rc, 1, out + err)
        r = json.loads(out)
        self.assertEqual(r["status"], 401)
        self.assertEqual(r["body"], "Jwt verification fails")
        self.assertIn('error="invalid_token"', r["headers"]["www-authenticate"])
        self.assertIn("RequestAuthentication rejected the token", r["explanation"][2])
        self.assert_same_as_listener(url, tampered)

    def test_unknown_host_and_errors(self):
        rc, out, _ = self.authz("http://nope.%s.svc.cluster.local/v2/models/x/infer" % SEED_NS)
        self.assertEqual(rc, 1)
        self.assertIn("NOT FOUND", out)
        rc, _, err = self.authz("ftp://x/y")
        self.assertEqual(rc, 2, err)
        rc, _, err = self.authz("http://x.y.example.com/", data_dir="/nonexistent-dir")
        self.assertEqual(rc, 2)
        # RBAC decides (non-resource URL /ferry/v1/authz/check, verb post): anonymous
        # callers are refused as Kubernetes words it, a bad token is 401.
        url = "https://127.0.0.1:%d/ferry/v1/authz/check" % self.rig.up.api_port
        r = requests.post(url, json={"url": "http://a.b.svc/"}, verify=self.rig.ca, timeout=10)
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.json()["message"], 'forbidden: User "system:anonymous" cannot post '
                                              'path "/ferry/v1/authz/check"')
        r = requests.post(url, json={"url": "http://a.b.svc/"}, verify=self.rig.ca, timeout=10,
                          headers={"Authorization": "Bearer wrong"})
        self.assertEqual(r.status_code, 401, r.text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
