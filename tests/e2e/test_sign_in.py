#!/usr/bin/python3
"""Sign-in hardening of both login forms of `ferry up` (the dashboard's /login
on the API port and the built-in oauth2-proxy's /oauth2/sign_in on the
external gateway), driven with python3-requests like a browser: open
redirect vectors, the CSRF token, throttling to 429 with Retry-After, the
default password refused from a non-loopback client, and `ferry passwd`
while `ferry up` runs.

A non-loopback client without leaving 127.0.0.0/8: the client socket is bound
to this machine's own non-loopback address and connects to 127.0.0.1, so
Ferry sees that address as the peer (Ferry decides on the connection's peer
address, never on a header). Without such an address those checks are skipped
(the unit tests still cover them)."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import Up  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
VECTORS = ["/%09/evil.example", "//evil.example", "/%5Cevil.example", "/%2509/evil.example",
           "%2F%2Fevil.example", "/%252F%252Fevil.example", "https://evil.example/",
           "/%20/evil.example", "/.%2F%5Cevil.example", "javascript:alert(1)",
           "/%0d%0aSet-Cookie:%20x=1"]


def non_loopback_address():
    """An IPv4 address of this machine outside 127.0.0.0/8, or None."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True,
                         text=True).stdout
    for m in re.finditer(r"inet (\d+\.\d+\.\d+\.\d+)/", out):
        if not m.group(1).startswith("127."):
            try:  # usable as a source address towards 127.0.0.1?
                with socket.socket() as srv, socket.socket() as c:
                    srv.bind(("127.0.0.1", 0))
                    srv.listen(1)
                    c.bind((m.group(1), 0))
                    c.settimeout(2)
                    c.connect(srv.getsockname())
                return m.group(1)
            except OSError:
                continue
    return None


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a given local address (to 127.0.0.1)."""

    def __init__(self, source):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def session(source=None):
    s = requests.Session()
    s.trust_env = False
    if source:
        s.mount("http://", SourceAddressAdapter(source))
        s.mount("https://", SourceAddressAdapter(source))
    return s


def hidden_field(html, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, html)
    return m.group(1) if m else None


class SignInTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data_dir = tempfile.mkdtemp(prefix="ferry-signin-")
        with open(os.path.join(cls.data_dir, "users"), "w") as f:
            # The default user as `ferry up` creates it, and one more.
            f.write("user@example.com plain:12341234\ncarol@example.com plain:carol-pass\n")
        cls.up = Up(data_dir=cls.data_dir)
        cls.gw = "http://127.0.0.1:%d" % cls.up.http_port
        cls.api = "https://127.0.0.1:%d" % cls.up.api_port
        cls.ca = os.path.join(cls.data_dir, "ca.crt")
        cls.remote = non_loopback_address()

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    # --- the two forms, as a browser fills them ---

    def gateway_form(self, s, rd="/"):
        """Loads /oauth2/sign_in in session `s`; returns its CSRF token."""
        r = s.get(self.gw + "/oauth2/sign_in", params={"rd": rd}, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        return hidden_field(r.text, "csrf")

    def gateway_post(self, s, body, token=None):
        if token is None:
            token = self.gateway_form(s)
        if token:
            body += "&csrf=" + token
        return s.post(self.gw + "/oauth2/sign_in", data=body, headers=FORM,
                      allow_redirects=False, timeout=10)

    def dashboard_form(self, s):
        r = s.get(self.api + "/login", verify=self.ca, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        return hidden_field(r.text, "csrf")

    def dashboard_post(self, s, body, token=None):
        if token is None:
            token = self.dashboard_form(s)
        if token:
            body += "&csrf=" + token
        return s.post(self.api + "/login", data=body, headers=FORM, verify=self.ca,
                      allow_redirects=False, timeout=10)

    # --- tests, in order (the last one changes the users file) ---

    def test_1_open_redirect_vectors_fall_back_to_root(self):
        for v in VECTORS:
            with self.subTest(v):
                s = session()
                r = self.gateway_post(s, "username=user%40example.com&password=12341234&rd=" + v)
                self.assertEqual(r.status_code, 302, r.text)
                self.assertEqual(r.headers["location"], "/")
                r = self.dashboard_post(
                    session(), "email=user%40example.com&password=12341234&next=" + v)
                self.assertEqual(r.status_code, 303, r.text)
                self.assertEqual(r.headers["location"], "/")
                # The page does not carry it into its form, nor /oauth2/start.
                r = s.get(self.gw + "/oauth2/sign_in?rd=" + v, timeout=10)
                self.assertEqual(hidden_field(r.text, "rd"), "/")
                r = s.get(self.gw + "/oauth2/start?rd=" + v, allow_redirects=False, timeout=10)
                self.assertEqual(r.headers["location"], "/oauth2/sign_in?rd=/")
        # A same-origin path still works.
        r = self.gateway_post(session(), "username=user%40example.com&password=12341234"
                              "&rd=/v2/models/m/infer%3Fa%3D1")
        self.assertEqual(r.headers["location"], "/v2/models/m/infer?a=1")

    def test_2_csrf_token_missing_or_wrong_is_403(self):
        for post in (self.gateway_post, self.dashboard_post):
            with self.subTest(post.__name__):
                body = ("username=user%40example.com&email=user%40example.com&password=12341234"
                        "&rd=/x&next=/x")
                r = post(session(), body, token="")  # no token at all
                self.assertEqual(r.status_code, 403, r.text)
                self.assertIn("CSRF token is missing or wrong", r.text)
                self.assertFalse({"oauth2_proxy_kubeflow", "ferry_session"} & set(r.cookies.keys()))
                r = post(session(), body, token="0" * 64)  # a made-up one
                self.assertEqual(r.status_code, 403, r.text)
                # Another browser's token with this browser's cookie.
                other = session()
                foreign = (self.gateway_form if post == self.gateway_post
                           else self.dashboard_form)(other)
                s = session()
                (self.gateway_form if post == self.gateway_post else self.dashboard_form)(s)
                r = post(s, body, token=foreign)
                self.assertEqual(r.status_code, 403, r.text)
                # The token of its own page: signed in.
                r = post(session(), body)
                self.assertIn(r.status_code, (302, 303), r.text)
                self.assertEqual(r.headers["location"], "/x")

    def test_3_failed_passwords_are_throttled_then_reset_by_success(self):
        for post, user_field in ((self.gateway_post, "username"), (self.dashboard_post, "email")):
            with self.subTest(post.__name__):
                s = session()
                for i in range(5):
                    r = post(s, "%s=carol%%40example.com&password=nope-%d" % (user_field, i))
                    self.assertEqual(r.status_code, 401, r.text)
                r = post(s, "%s=carol%%40example.com&password=carol-pass" % user_field)
                self.assertEqual(r.status_code, 429, r.text)
                wait = int(r.headers["retry-after"])
                self.assertGreaterEqual(wait, 1)
                self.assertIn("try again in %d s" % wait, r.text)
                # Other accounts from this address are not blocked.
                r = post(s, "%s=user%%40example.com&password=12341234" % user_field)
                self.assertIn(r.status_code, (302, 303), r.text)
                time.sleep(wait)
                r = post(s, "%s=carol%%40example.com&password=carol-pass" % user_field)
                self.assertIn(r.status_code, (302, 303), r.text)
                # The success reset the account: one failure is a plain 401 again.
                r = post(s, "%s=carol%%40example.com&password=nope" % user_field)
                self.assertEqual(r.status_code, 401, r.text)
                r = post(s, "%s=carol%%40example.com&password=carol-pass" % user_field)
                self.assertIn(r.status_code, (302, 303), r.text)

    def test_4_default_password_refused_from_a_non_loopback_client(self):
        if not self.remote:
            self.skipTest("this machine has no non-loopback IPv4 address to connect from")
        far = session(self.remote)
        r = self.gateway_post(far, "username=user%40example.com&password=12341234")
        self.assertEqual(r.status_code, 403, r.text)
        self.assertIn("ferry passwd user@example.com --data-dir " + self.data_dir, r.text)
        self.assertNotIn("oauth2_proxy_kubeflow", r.cookies.keys())
        r = self.dashboard_post(session(self.remote),
                                "email=user%40example.com&password=12341234")
        self.assertEqual(r.status_code, 403, r.text)
        # The same password from this machine still works (the listener is loopback-only).
        r = self.gateway_post(session(), "username=user%40example.com&password=12341234")
        self.assertEqual(r.status_code, 302, r.text)
        # Other users' passwords are fine from anywhere.
        r = self.gateway_post(far, "username=carol%40example.com&password=carol-pass")
        self.assertEqual(r.status_code, 302, r.text)
        # Per address: 20 failures from that address (the two refused default
        # passwords were two), over any accounts, then 429.
        for i in range(18):
            r = self.gateway_post(far, "username=guess-%d%%40example.com&password=x" % i)
            self.assertEqual(r.status_code, 401, r.text)
        r = self.gateway_post(far, "username=carol%40example.com&password=carol-pass")
        self.assertEqual(r.status_code, 429, r.text)
        self.assertIn("retry-after", r.headers)
        r = self.gateway_post(session(), "username=carol%40example.com&password=carol-pass")
        self.assertEqual(r.status_code, 302, "loopback clients are another address: " + r.text)

    def test_5_exposed_listener_hides_default_password_and_passwd_sets_one(self):
        page = session().get(self.gw + "/oauth2/sign_in", timeout=10).text
        self.assertIn("12341234", page)
        self.up.kubectl("patch", "svc", "istio-ingressgateway", "-n", "istio-system", "-p",
                        '{"spec": {"type": "LoadBalancer"}}')
        deadline = time.time() + 10
        while "listener now on 0.0.0.0" not in self.up.output():
            self.assertLess(time.time(), deadline, self.up.output()[-2000:])
            time.sleep(0.05)
        self.assertIn("refused from other machines; set one: ferry passwd user@example.com",
                      self.up.output())
        cmd = "ferry passwd user@example.com --data-dir " + self.data_dir
        for url in (self.gw + "/oauth2/sign_in", self.api + "/login"):
            page = session().get(url, verify=self.ca, timeout=10).text
            self.assertNotIn("12341234", page, url)
            self.assertIn('id="set-password-note"', page, url)
            self.assertIn(cmd, page, url)
        # `ferry passwd` while `ferry up` runs; the password on stdin.
        r = subprocess.run([ferrytest.FERRY_BIN, "passwd", "user@example.com", "--data-dir",
                            self.data_dir], input="12341234\n", capture_output=True, text=True)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("well-known default", r.stderr)
        r = subprocess.run([ferrytest.FERRY_BIN, "passwd", "user@example.com", "--data-dir",
                            self.data_dir], input="short\n", capture_output=True, text=True)
        self.assertEqual(r.returncode, 1, r.stderr)
        r = subprocess.run([ferrytest.FERRY_BIN, "passwd", "user@example.com", "--data-dir",
                            self.data_dir], input="N3w-s3cret-pw\n", capture_output=True,
                           text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.data_dir, "users")) as f:
            users = f.read()
        self.assertRegex(users, r"user@example\.com pbkdf2-sha256\$\d+\$[0-9a-f]+\$[0-9a-f]{64}")
        self.assertNotIn("N3w-s3cret-pw", users)
        self.assertIn("carol@example.com plain:carol-pass", users)
        self.assertEqual(os.stat(os.path.join(self.data_dir, "users")).st_mode & 0o777, 0o600)
        # The running `ferry up` uses it: the new password signs in, the old one does not.
        r = self.gateway_post(session(), "username=user%40example.com&password=N3w-s3cret-pw"
                              "&rd=/v2/x")
        self.assertEqual(r.status_code, 302, r.text)
        self.assertEqual(r.headers["location"], "/v2/x")
        self.assertTrue(r.headers["set-cookie"].startswith("oauth2_proxy_kubeflow="))
        r = self.dashboard_post(session(), "email=user%40example.com&password=N3w-s3cret-pw")
        self.assertEqual(r.status_code, 303, r.text)
        r = self.gateway_post(session(), "username=user%40example.com&password=12341234")
        self.assertEqual(r.status_code, 401, r.text)
        page = session().get(self.gw + "/oauth2/sign_in", timeout=10).text
        self.assertNotIn("set-password-note", page)
        if self.remote:  # a real password is accepted from other machines
            r = self.gateway_post(session(self.remote),
                                  "username=user%40example.com&password=N3w-s3cret-pw")
            self.assertNotEqual(r.status_code, 403, r.text)


if __name__ == "__main__":
    # Many short-lived sessions: their unclosed-socket ResourceWarnings are noise.
    unittest.main(verbosity=2, warnings="ignore")
