"""Kubeflow's login, built in: the `oauth2-proxy` ext-authz provider and its
/oauth2/... pages on the external gateway of `ferry up --profile kubeflow`,
driven with python3-requests like a browser and like an API client."""
import gzip
import os
import sys
import tempfile
import time
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed")
KUBEFLOW = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures",
                        "kubeflow-1.9.1")
RUN = "1/d9a3dd7164bd423b9482ab8a77316c33/artifacts/iris_model"
NS = "kubeflow-user-example-com"
HOST = "irish-s3.%s.example.com" % NS
INFER = "/v2/models/irish-s3/infer"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
           "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) test"}


def seed_text(name):
    with open(os.path.join(SEED, name)) as f:
        return f.read()


def setUpModule():
    ferrytest.s3_upload(os.path.join(ferrytest.mlflow_models(), "iris_tensor"),
                        "s3://mlflow/" + RUN + "/")


class Oauth2LoginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Static users (Dex's staticPasswords): the profile owner and someone else.
        data_dir = tempfile.mkdtemp(prefix="ferry-oauth2-")
        with open(os.path.join(data_dir, "users"), "w") as f:
            f.write("user@example.com plain:12341234\nbob@example.com plain:bobpass\n")
        cls.up = Up(data_dir=data_dir)
        up = cls.up
        cls.base = "http://127.0.0.1:%d" % up.http_port
        up.kubectl("apply", "-f", "-", input=(
            "apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
            "spec:\n  owner:\n    kind: User\n    name: user@example.com\n" % NS))
        deadline = time.time() + 10
        while up.kubectl("get", "namespace", NS, check=False).returncode != 0:
            assert time.time() < deadline, "the Profile's namespace never appeared"
            time.sleep(0.05)
        # The owner's RoleBinding as Kubeflow's profile controller makes it: the
        # dashboard reads the profile's models as the user, so RBAC must allow it.
        for f in ("common/kubeflow-roles/base/cluster-roles.yaml",
                  "contrib/kserve/kserve/aggregated-roles.yaml"):
            up.kubectl("apply", "-f", os.path.join(KUBEFLOW, f))
        up.kubectl("apply", "-f", "-", input=ferrytest.user_role_binding(
            "namespaceAdmin", NS, "kubeflow-admin", "user@example.com"))
        endpoint, access, secret = ferrytest.ensure_s3()
        sa = (seed_text("sa.yaml").replace("S3_ENDPOINT_HOSTPORT", endpoint.split("://")[1])
              .replace("S3_ACCESS_KEY", access).replace("S3_SECRET_KEY", secret))
        up.kubectl("apply", "-n", NS, "-f", "-", input=sa)
        up.kubectl("apply", "-n", NS, "-f", "-", input=seed_text("is_mlflow.yaml"))
        up.kubectl("wait", "--for=condition=Ready", "inferenceservice/irish-s3", "-n", NS,
                   "--timeout=60s")

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    def get(self, path, host=HOST, **kw):
        return requests.get(self.base + path, headers=dict(kw.pop("headers", {}), Host=host),
                            allow_redirects=False, timeout=10, **kw)

    def sign_in(self, password="12341234", rd=INFER, host=HOST, user="user@example.com"):
        # As a browser: the page's CSRF cookie and token, then the form.
        return ferrytest.oauth2_sign_in(self.base, user, password, rd=rd, host=host)

    def test_browser_gets_the_sign_in_page(self):
        r = self.get(INFER, headers=BROWSER)
        # Kubeflow's oauth2-proxy (skip_provider_button=false): 403 with the sign-in page.
        self.assertEqual(r.status_code, 403, r.text)
        self.assertIn("text/html", r.headers["content-type"])
        self.assertIn('action="/oauth2/sign_in"', r.text)
        self.assertIn('value="%s"' % INFER, r.text)
        # The denied page carries a working sign-in form: CSRF cookie and token.
        self.assertTrue(r.headers["set-cookie"].startswith("oauth2_proxy_kubeflow_csrf="))
        self.assertTrue(ferrytest.form_token(r.text))
        # The sign-in page itself, and /oauth2/start redirecting to it.
        r = self.get("/oauth2/sign_in?rd=/x", headers=BROWSER)
        self.assertEqual(r.status_code, 200)
        self.assertIn('name="password"', r.text)
        r = self.get("/oauth2/start?rd=" + INFER, headers=BROWSER)
        self.assertEqual(r.status_code, 302)
        self.assertTrue(r.headers["location"].startswith("/oauth2/sign_in?rd="), r.headers)

    def test_api_client_gets_401_json(self):
        r = self.get("/apis/kubeflow.org/v1/profiles", headers={"Accept": "application/json"})
        self.assertEqual(r.status_code, 401, r.text)
        self.assertIn("application/json", r.headers["content-type"])
        self.assertIn("error", r.json())

    def test_wrong_password_is_refused(self):
        r = self.sign_in(password="wrong")
        self.assertEqual(r.status_code, 401)
        self.assertIn('id="login-error"', r.text)
        self.assertNotIn("set-cookie", {k.lower() for k in r.headers})
        # Without the page's CSRF token the form is refused before the password.
        r = requests.post(self.base + "/oauth2/sign_in", headers={"Host": HOST},
                          data={"username": "user@example.com", "password": "12341234"},
                          allow_redirects=False, timeout=10)
        self.assertEqual(r.status_code, 403, r.text)
        self.assertIn("CSRF", r.text)

    def test_login_then_seed_request_with_the_cookie(self):
        r = self.sign_in()
        self.assertEqual(r.status_code, 302, r.text)
        self.assertEqual(r.headers["location"], INFER)
        set_cookie = r.headers["set-cookie"]
        self.assertTrue(set_cookie.startswith("oauth2_proxy_kubeflow="), set_cookie)
        self.assertIn("HttpOnly", set_cookie)
        self.assertIn("SameSite=Lax", set_cookie)
        cookie = set_cookie.split(";")[0]
        r = requests.post(self.base + INFER, json=SEED_REQUEST, timeout=10,
                          headers={"Host": HOST, "Cookie": cookie})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])
        # The same through HTTP_PROXY with the external URL, like the seed notebook.
        with requests.Session() as s:
            s.trust_env = False
            r = s.post("http://%s%s" % (HOST, INFER), json=SEED_REQUEST, timeout=10,
                       headers={"Cookie": cookie}, proxies={"http": self.base})
        self.assertEqual(r.status_code, 200, r.text)
        # Signing out ends the session.
        r = self.get("/oauth2/sign_out", headers={"Cookie": cookie})
        self.assertEqual(r.status_code, 302)
        r = requests.post(self.base + INFER, json=SEED_REQUEST, timeout=10,
                          headers={"Host": HOST, "Cookie": cookie})
        self.assertEqual(r.status_code, 403, r.text)

    def test_another_user_is_not_the_profile_owner(self):
        r = self.sign_in(user="bob@example.com", password="bobpass", rd="/")
        self.assertEqual(r.status_code, 302, r.text)
        cookie = r.headers["set-cookie"].split(";")[0]
        r = requests.post(self.base + INFER, json=SEED_REQUEST, timeout=10,
                          headers={"Host": HOST, "Cookie": cookie})
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.text, "RBAC: access denied")

    def test_dashboard_on_the_gateway_host(self):
        host = "127.0.0.1:%d" % self.up.http_port
        # The dashboard sits behind the gateway's policies, as Kubeflow's central
        # dashboard does: without a session the oauth2-proxy CUSTOM policy answers
        # with its sign-in page (pages) or 401 JSON (API routes).
        r = self.get("/", host=host, headers=BROWSER)
        self.assertEqual(r.status_code, 403, r.text)
        self.assertIn("text/html", r.headers["content-type"])
        self.assertIn('action="/oauth2/sign_in"', r.text)
        self.assertIn('value="/"', r.text)
        r = self.get("/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices" % NS,
                     host=host)
        self.assertEqual(r.status_code, 401)
        r = self.sign_in(rd="/", host=host)
        self.assertEqual(r.status_code, 302)
        cookie = r.headers["set-cookie"].split(";")[0]
        r = self.get("/", host=host, headers=dict(BROWSER, Cookie=cookie))
        self.assertEqual(r.status_code, 200)
        self.assertIn("app.js", r.text)
        r = self.get("/ferry/whoami", host=host, headers={"Cookie": cookie})
        self.assertEqual(r.json()["user"], "user@example.com")
        # The dashboard's list, gzip-compressed when the client allows it.
        r = self.get("/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices" % NS,
                     host=host, headers={"Cookie": cookie, "Accept-Encoding": "gzip"},
                     stream=True)
        self.assertEqual(r.status_code, 200)
        self.assertEqual(r.headers.get("content-encoding"), "gzip")
        raw = r.raw.read(decode_content=False)
        self.assertIn(b"irish-s3", gzip.decompress(raw))
        r = self.get("/app.js", host=host, headers={"Cookie": cookie, "Accept-Encoding": "gzip"})
        self.assertEqual(r.headers.get("content-encoding"), "gzip")
        # Try it from the gateway dashboard: through the external gateway as the user.
        r = requests.post(self.base + "/ferry/try/external/%s%s" % (HOST, INFER),
                          json=SEED_REQUEST, timeout=10, headers={"Host": host, "Cookie": cookie})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
