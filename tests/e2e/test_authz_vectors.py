"""The reference vectors of ../shared/reference/istio-authz.md §7 (plus JWT
attack cases) as real HTTP requests against `ferry up`: policies applied with
kubectl, requests sent byte-exact with http.client to the external and
cluster-local listeners, status/body/headers compared with Envoy's.

Workload mapping: the reference's workload W in `foo` is the predictor of
InferenceService `w` in namespace `foo` (a second one, `other`, stands for
app=other); selectors use the KServe label serving.kserve.io/inferenceservice.
Calls to W go through the cluster-local listener (no peer identity) unless a
vector needs the gateway's identity (then the external listener).

Engine-level only (not expressible through HTTP listeners): 27 and 28 (plain
TCP connections), covered by src/gateway/engine_vectors_test.cc. Adapted to
loopback: 23 (the only mTLS identity a predictor sees is the ingress
gateway's), 25 (peer addresses are 127.0.0.1), 63 (same-namespace identity is
a ServiceAccount token, not mTLS). Vectors 54, 55 and 59 need a Dex login /
user token and stay engine-level.
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import sys
import threading
import time
import unittest

import requests
import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up  # noqa: E402

RBAC = "RBAC: access denied"
ISSUER_X = "https://issuer-x.example.com"
ISSUER_Y = "https://issuer-y.example.com"
NOW = int(time.time())


# ---------------------------------------------------------------- JWT helpers

def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Keys:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = self.key.public_key().public_numbers()
        self.jwks = {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
                               "n": b64u(pub.n.to_bytes((pub.n.bit_length() + 7) // 8, "big")),
                               "e": b64u(pub.e.to_bytes(3, "big"))}]}
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, payload, alg="RS256", kid="k1", header=None):
        h = dict({"alg": alg, "typ": "JWT", "kid": kid}, **(header or {}))
        signing_input = b64u(json.dumps(h)) + "." + b64u(json.dumps(payload))
        if alg == "RS256":
            sig = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        elif alg == "HS256":  # the classic confusion attack: HMAC keyed with the public key
            sig = hmac.new(self.public_pem, signing_input.encode(), hashlib.sha256).digest()
        else:
            sig = b""
        return signing_input + "." + b64u(sig)

    def token(self, iss=ISSUER_X, sub="u1", **claims):
        p = {"iss": iss, "sub": sub, "iat": NOW, "exp": NOW + 3600}
        p.update(claims)
        return self.sign(p)


# ------------------------------------------------------------ policy builders

def ap(name, ns, spec):
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def ra(name, ns, jwks, issuer=ISSUER_X, **extra):
    rule = dict({"issuer": issuer, "jwks": json.dumps(jwks)}, **extra)
    return {"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication",
            "metadata": {"name": name, "namespace": ns}, "spec": {"jwtRules": [rule]}}


GW_SELECTOR = {"matchLabels": {"app": "istio-ingressgateway", "istio": "ingressgateway"}}


# ----------------------------------------------------------- ext-authz server

class AuthzServer:
    """A minimal envoyExtAuthzHttp service: /admin/ok* -> 200 + x-user: a,
    /admin/redirect* -> 302 to /dex/auth, anything else 403."""

    def __init__(self):
        self.calls = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_any(self):
                outer.calls.append((self.command, self.path))
                if self.path.startswith("/admin/ok"):
                    self.send_response(200)
                    self.send_header("x-user", "a")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path.startswith("/admin/redirect"):
                    body = b"redirecting to login"
                    self.send_response(302)
                    self.send_header("Location", "/dex/auth")
                else:
                    body = b"denied by authz"
                    self.send_response(403)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = do_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


# ------------------------------------------------------------------- the rig

class Rig:
    """`ferry up` + InferenceServices w and other in foo + the check API."""

    def __init__(self, profile="none"):
        self.up = Up(profile=profile,
                     extra=["--allow-local-models", ferrytest.mlflow_models()])
        self.up.kubectl("create", "namespace", "istio-system", check=False)
        self.ca = os.path.join(self.up.data_dir, "ca-for-tests.pem")
        with open(self.up.kubeconfig) as f:
            for line in f:
                if "certificate-authority-data:" in line:
                    with open(self.ca, "wb") as out:
                        out.write(base64.b64decode(line.split(":", 1)[1].strip()))
        with open(os.path.join(self.up.data_dir, "admin-token")) as f:
            self.admin = f.read().strip()

    def deploy(self, ns, names):
        models = ferrytest.mlflow_models()
        self.up.kubectl("create", "namespace", ns, check=False)
        for name in names:
            isvc = ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
                    "metadata:\n  name: %s\nspec:\n  predictor:\n    model:\n"
                    "      modelFormat:\n        name: mlflow\n      protocolVersion: v2\n"
                    "      storageUri: file://%s/iris_tensor\n" % (name, models))
            self.up.kubectl("apply", "-n", ns, "-f", "-", input=isvc)
        for name in names:
            self.up.kubectl("wait", "--for=condition=Ready", "isvc/" + name, "-n", ns,
                            "--timeout=60s")

    def check(self, url, method="GET", headers=None, token=None):
        body = {"url": url, "method": method, "headers": headers or {}}
        if token:
            body["token"] = token
        r = requests.post("https://127.0.0.1:%d/ferry/v1/authz/check" % self.up.api_port,
                          json=body, verify=self.ca, timeout=10,
                          headers={"Authorization": "Bearer " + self.admin})
        assert r.status_code == 200, r.text
        return r.json()

    def apply(self, objects):
        if objects:
            self.up.kubectl("apply", "-f", "-",
                            input="---\n".join(yaml.safe_dump(o) for o in objects))

    def reset(self, namespaces=("foo", "istio-system")):
        for ns in namespaces:
            for kind in ("authorizationpolicies.security.istio.io",
                         "requestauthentications.security.istio.io"):
                self.up.kubectl("delete", kind, "--all", "-n", ns, check=False)
        self.up.kubectl("delete", "configmap", "istio", "-n", "istio-system", check=False)

    def wait_live(self, sentinel, url="http://w.foo.svc.cluster.local/"):
        """Waits until the snapshot holding `sentinel` (a policy name) is live:
        the authz check lists the policies that apply to each workload."""
        deadline = time.time() + 10
        while time.time() < deadline:
            text = json.dumps(self.check(url))
            if sentinel in text:
                return
            time.sleep(0.05)
        raise AssertionError("policy %s never became live:\n%s" % (sentinel, self.up.output()[-2000:]))

    def send(self, method, path, headers=None, gw="internal", host="w.foo.svc.cluster.local",
             body=None):
        port = self.up.internal_port if gw == "internal" else self.up.http_port
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        h = {"Host": host}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode(errors="replace")
        out = (r.status, data, {k.lower(): v for k, v in r.getheaders()})
        c.close()
        return out


def expect(test, resp, want, label):
    status, body, headers = resp
    msg = "%s: got %d %r %r" % (label, status, body[:200], headers)
    if want == "allow":
        test.assertNotIn(status, (401, 403), msg)
        test.assertNotEqual(body, RBAC, msg)
    elif want == "403R":
        test.assertEqual(status, 403, msg)
        test.assertEqual(body, RBAC, msg)
        test.assertTrue(headers.get("content-type", "").startswith("text/plain"), msg)
    elif isinstance(want, tuple) and want[0] == "401J":
        test.assertEqual(status, 401, msg)
        test.assertEqual(body, want[1], msg)
        test.assertIn('error="invalid_token"', headers.get("www-authenticate", ""), msg)
        test.assertTrue(headers["www-authenticate"].startswith('Bearer realm="http://'), msg)
    elif isinstance(want, tuple) and want[0] == "403J":
        test.assertEqual(status, 403, msg)
        test.assertEqual(body, want[1], msg)
    else:
        raise ValueError(want)


# ------------------------------------------------------------------ vectors

def vectors(keys, authz_port):
    """(id, policies, [(request kwargs, expected)]). Policies for W live in foo."""
    jwks = keys.jwks
    g = lambda path, **kw: dict(method="GET", path=path, **kw)  # noqa: E731
    bearer = lambda t: {"Authorization": "Bearer " + t}  # noqa: E731
    ext = dict(gw="external", host="w.foo.example.com")
    mesh = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "istio", "namespace": "istio-system"},
            "data": {"mesh": json.dumps({"extensionProviders": [
                {"name": "p", "envoyExtAuthzHttp": {
                    "service": "127.0.0.1", "port": authz_port,
                    "headersToUpstreamOnAllow": ["x-user"]}},
                {"name": "p-open", "envoyExtAuthzHttp": {
                    "service": "127.0.0.1", "port": ferrytest.free_port(), "failOpen": True}}]})}}
    custom = lambda prov, paths: ap("ext", "foo", {  # noqa: E731
        "action": "CUSTOM", "provider": {"name": prov}, "rules": [{"to": [{"operation": {
            "paths": paths}}]}]})
    expired = keys.sign({"iss": ISSUER_X, "sub": "u1", "exp": NOW - 3600})
    future = keys.sign({"iss": ISSUER_X, "sub": "u1", "nbf": NOW + 3600, "exp": NOW + 7200})
    good = keys.token()
    h, p, s = good.split(".")
    tampered_payload = b64u(json.dumps({"iss": ISSUER_X, "sub": "admin", "exp": NOW + 3600}))
    return [
        ("01", [], [(g("/"), "allow")]),
        ("02", [ap("deny-all", "foo", {})], [(g("/"), "403R")]),
        ("03", [ap("allow-all", "foo", {"rules": [{}]})],
         [(g("/"), "allow"), (dict(method="POST", path="/v2/models/w/infer"), "allow")]),
        ("04", [ap("a", "foo", {"rules": [{}]}), ap("d", "foo", {"action": "DENY", "rules": [{}]})],
         [(g("/"), "403R")]),
        ("05+06", [ap("d", "foo", {"action": "DENY", "rules": [{"to": [{"operation": {
            "methods": ["POST"]}}]}]})],
         [(g("/x"), "allow"), (dict(method="POST", path="/x"), "403R")]),
        ("07+08", [ap("a", "foo", {"rules": [{"to": [{"operation": {"paths": ["/info*"]}}]}]})],
         [(g("/info/a?x=1"), "allow"), (g("/data"), "403R")]),
        ("09", [ap("a", "foo", {"rules": [{"to": [{"operation": {"paths": ["/public/*"]}}]}]})],
         [(g("/public/../admin"), "403R"), (g("/public/a"), "allow")]),
        ("11", [ap("a", "foo", {"rules": [{"to": [{"operation": {"paths": ["*/healthz"]}}]}]})],
         [(g("/v1/healthz"), "allow"), (g("/v1/other"), "403R")]),
        ("12", [ap("a", "foo", {"rules": [{"to": [{"operation": {"paths": ["/foo/{*}"]}}]}]})],
         [(g("/foo/bar"), "allow"), (g("/foo/bar/baz"), "403R")]),
        ("13", [ap("a", "foo", {"rules": [{"to": [{"operation": {
            "paths": ["/foo/{*}/bar/{**}"]}}]}]})],
         [(g("/foo/buzz/bar/baz"), "allow"), (g("/foo/buzz/baz"), "403R")]),
        ("16", [ap("a", "foo", {"rules": [{"to": [{"operation": {"methods": ["GET"],
                                                               "paths": ["/a"]}}]}]})],
         [(dict(method="POST", path="/a"), "403R"), (g("/a"), "allow")]),
        ("17", [ap("a", "foo", {"rules": [{"to": [{"operation": {"methods": ["GET", "HEAD"]}}]}]})],
         [(dict(method="HEAD", path="/"), "allow"), (dict(method="POST", path="/"), "403R")]),
        ("18", [ap("a", "foo", {"rules": [{"from": [{"source": {"requestPrincipals": ["*"]}}]},
                                          {"to": [{"operation": {"paths": ["/healthz"]}}]}]})],
         [(g("/healthz"), "allow")]),
        ("19", [ap("a", "foo", {"rules": [{"from": [{"source": {"requestPrincipals": ["*"]}}]},
                                          {"to": [{"operation": {"paths": ["/healthz"]}}]}]}),
                ra("jwt", "foo", jwks)],
         [(g("/x"), "403R"), (g("/x", headers=bearer(good)), "allow")]),
        ("20", [ap("a", "foo", {"rules": [{"when": [{"key": "request.headers[x-token]",
                                                     "values": ["abc*"]}]}]})],
         [(g("/", headers={"x-token": "abcdef"}), "allow"), (g("/"), "403R")]),
        ("22", [ap("d", "foo", {"action": "DENY", "rules": [{"when": [{
            "key": "request.headers[authorization]", "notValues": ["*"]}]}]})],
         [(g("/"), "403R"), (g("/", headers={"Authorization": "x"}), "allow")]),
        ("23", [ap("a", "foo", {"rules": [{"from": [
            {"source": {"namespaces": ["istio-system"]}},
            {"source": {"principals": ["cluster.local/ns/default/sa/sleep"]}}]}]})],
         [(g("/", **ext), "allow"), (g("/"), "403R")]),
        ("24", [ap("d", "foo", {"action": "DENY", "rules": [{"from": [{"source": {
            "notNamespaces": ["foo"]}}]}]})],
         [(g("/"), "403R")]),
        ("25", [ap("a", "foo", {"rules": [{"from": [{"source": {"ipBlocks": ["127.0.0.0/8"]}}],
                                           "to": [{"operation": {"paths": ["/lo"]}}]},
                                          {"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}],
                                           "to": [{"operation": {"paths": ["/ten"]}}]}]})],
         [(g("/lo"), "allow"), (g("/ten"), "403R")]),
        ("29", [ap("global-deny-all", "istio-system", {})], [(g("/"), "403R")]),
        ("30", [ap("global-deny-all", "istio-system", {}),
                ap("a", "foo", {"selector": {"matchLabels": {
                    "serving.kserve.io/inferenceservice": "w"}}, "rules": [{}]})],
         [(g("/"), "allow"), (g("/", host="other.foo.svc.cluster.local"), "403R")]),
        ("31", [ra("jwt", "foo", jwks)], [(g("/"), "allow")]),
        ("32", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer(h + "." + p + "." + s[:-4] + "AAAA")),
           ("401J", "Jwt verification fails"))]),
        ("33", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer(keys.token(iss=ISSUER_Y))),
           ("401J", "Jwt issuer is not configured"))]),
        ("36", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer("abc")), ("401J", "Jwt is not in the form of "
                                            "Header.Payload.Signature with two dots and 3 sections"))]),
        ("37", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer(keys.sign({"iss": ISSUER_X, "sub": "u1"}, alg="none"))),
           ("401J", "Jwt header [alg] is not supported"))]),
        ("38", [ra("jwt", "foo", jwks), ap("a", "foo", {"rules": [{"from": [{"source": {
            "requestPrincipals": [ISSUER_X + "/*"]}}]}]})],
         [(g("/", headers=bearer(good)), "allow"), (g("/"), "403R")]),
        ("40", [ra("jwt", "foo", jwks), ap("a", "foo", {"rules": [{"when": [{
            "key": "request.auth.claims[groups]", "values": ["admins"]}]}]})],
         [(g("/", headers=bearer(keys.token(groups=["dev", "admins"]))), "allow"),
          (g("/", headers=bearer(keys.token(groups=["dev"]))), "403R")]),
        ("44", [mesh, custom("p", ["/admin/*"])], [(g("/public"), "allow")]),
        ("45", [mesh, custom("p", ["/admin/*"]),
                ap("needs-user", "foo", {"rules": [{"when": [{
                    "key": "request.headers[x-user]", "values": ["a"]}]}]})],
         [(g("/admin/ok"), "allow"), (g("/admin/other"), (403, "denied by authz"))]),
        ("46", [mesh, custom("p", ["/admin/*"])],
         [(g("/admin/redirect"), (302, "redirecting to login", {"location": "/dex/auth"}))]),
        ("48", [mesh, custom("p-open", ["/admin/*"])], [(g("/admin/x"), "allow")]),
        ("49", [mesh, custom("p", ["/admin/*"]),
                ap("d", "foo", {"action": "DENY", "rules": [{"to": [{"operation": {
                    "paths": ["/admin/*"]}}]}]})],
         [(g("/admin/ok"), "403R")]),
        # JWT attack cases (RA issuer X, jwks inline).
        ("jwt-hs256-confusion", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer(keys.sign({"iss": ISSUER_X, "sub": "u1", "exp": NOW + 3600},
                                           alg="HS256"))),
           ("401J", "Jwks doesn't have key to match kid or alg from Jwt"))]),
        ("jwt-unknown-kid", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer(keys.sign({"iss": ISSUER_X, "sub": "u1", "exp": NOW + 3600},
                                           kid="nope"))),
           ("401J", "Jwks doesn't have key to match kid or alg from Jwt"))]),
        ("jwt-expired", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer(expired)), ("401J", "Jwt is expired"))]),
        ("jwt-nbf-future", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer(future)), ("401J", "Jwt not yet valid"))]),
        ("jwt-wrong-aud", [ra("jwt", "foo", jwks, audiences=["ferry"])],
         [(g("/", headers=bearer(keys.token(aud="someone-else"))),
           ("403J", "Audiences in Jwt are not allowed")),
          (g("/", headers=bearer(keys.token(aud="ferry"))), "allow")]),
        ("jwt-signature-stripped", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer(h + "." + p + ".")), ("401J", "Jwt verification fails"))]),
        ("jwt-payload-tampered", [ra("jwt", "foo", jwks)],
         [(g("/", headers=bearer(h + "." + tampered_payload + "." + s)),
           ("401J", "Jwt verification fails"))]),
    ]


class VectorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rig = Rig(profile="none")
        cls.rig.deploy("foo", ["w", "other"])
        cls.keys = Keys()
        cls.authz = AuthzServer()

    @classmethod
    def tearDownClass(cls):
        cls.authz.stop()
        cls.rig.up.stop()

    def run_vector(self, vid, policies, cases):
        rig = self.rig
        rig.reset()
        sentinel = "zz-sentinel-" + vid.lower().replace("+", "-")
        rig.apply(policies + [ap(sentinel, "foo", {"action": "AUDIT", "rules": [{}]})])
        rig.wait_live(sentinel)
        for kwargs, want in cases:
            kwargs = dict(kwargs)
            resp = rig.send(kwargs.pop("method"), kwargs.pop("path"), **kwargs)
            label = "vector %s %s" % (vid, kwargs)
            if isinstance(want, tuple) and isinstance(want[0], int):
                self.assertEqual(resp[0], want[0], "%s: %r" % (label, resp))
                self.assertEqual(resp[1], want[1], "%s: %r" % (label, resp))
                for k, v in (want[2] if len(want) > 2 else {}).items():
                    self.assertEqual(resp[2].get(k), v, "%s: %r" % (label, resp))
            else:
                expect(self, resp, want, label)

    def test_vectors(self):
        table = vectors(self.keys, self.authz.port)
        ids = set()
        for vid, policies, cases in table:
            with self.subTest(vector=vid):
                self.run_vector(vid, policies, cases)
            ids.update(x for x in vid.split("+") if x.isdigit())
        # 44's "ext-authz not called": /public never reached the authz service.
        self.assertFalse([c for c in self.authz.calls if c[1].startswith("/public")],
                         self.authz.calls)
        print("HTTP vectors: %d reference ids + %d attack cases" % (
            len(ids), len([v for v in table if v[0].startswith("jwt-")])), file=sys.stderr)

    def test_real_request_carries_model_answer(self):
        """Allowed means the model really answers (not just 'not denied')."""
        self.rig.reset()
        self.rig.apply([ap("zz-sentinel-real", "foo", {"action": "AUDIT", "rules": [{}]})])
        self.rig.wait_live("zz-sentinel-real")
        status, body, _ = self.rig.send("POST", "/v2/models/w/infer",
                                        headers={"Content-Type": "application/json"},
                                        body=json.dumps(SEED_REQUEST))
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["outputs"][0]["data"], [1, 1])


class KubeflowVectorsTest(unittest.TestCase):
    """51-63 with `--profile kubeflow` (Kubeflow's default policy set)."""

    @classmethod
    def setUpClass(cls):
        cls.rig = Rig(profile="kubeflow")
        up = cls.rig.up
        cls.ns = "kubeflow-user-example-com"
        up.kubectl("apply", "-f", "-", input=(
            "apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
            "spec:\n  owner:\n    kind: User\n    name: user@example.com\n" % cls.ns))
        deadline = time.time() + 15
        while time.time() < deadline:
            if up.kubectl("get", "serviceaccount", "default-editor", "-n", cls.ns,
                          check=False).returncode == 0:
                break
            time.sleep(0.05)
        cls.rig.deploy(cls.ns, ["m"])

    @classmethod
    def tearDownClass(cls):
        cls.rig.up.stop()

    def ext(self, method, path, headers=None, body=None):
        return self.rig.send(method, path, headers=headers, body=body, gw="external",
                             host="m.%s.example.com" % self.ns)

    def test_51_browser_gets_sign_in_page(self):
        status, body, headers = self.ext("GET", "/", {"Accept": "text/html"})
        self.assertEqual(status, 403, body)
        self.assertIn("text/html", headers.get("content-type", ""))
        self.assertIn("Sign in", body)

    def test_52_api_client_gets_401_json(self):
        status, body, headers = self.ext("GET", "/api/x", {"Accept": "application/json"})
        self.assertEqual(status, 401, body)
        self.assertIn("json", headers.get("content-type", ""))

    def test_53_dex_paths_skip_ext_authz_and_require_jwt(self):
        # No ext-authz, no DENY: the request passes the gateway and is routed
        # (Ferry has no Dex behind this host, so the model router answers).
        status, body, _ = self.rig.send("GET", "/dex/auth", gw="external",
                                         host="kubeflow.example.com")
        self.assertNotIn(status, (401, 403), body)
        self.assertNotIn("Sign in", body)

    def test_57_service_account_token_allowed_at_gateway(self):
        token = self.rig.up.kubectl("create", "token", "default-editor", "-n",
                                    self.ns).stdout.strip()
        status, body, _ = self.ext("POST", "/v2/models/m/infer",
                                   {"Authorization": "Bearer " + token,
                                    "Content-Type": "application/json"}, json.dumps(SEED_REQUEST))
        self.assertEqual(status, 200, body)  # 63 adapted: same-namespace identity allowed

    def test_61_metrics_path_open_inside(self):
        status, body, _ = self.rig.send("GET", "/metrics", host="m.%s.svc.cluster.local" % self.ns)
        self.assertNotIn(status, (401, 403), body)

    def test_63_other_paths_inside_need_identity(self):
        status, body, _ = self.rig.send("POST", "/v2/models/m/infer",
                                        host="m.%s.svc.cluster.local" % self.ns,
                                        headers={"Content-Type": "application/json"},
                                        body=json.dumps(SEED_REQUEST))
        self.assertEqual((status, body), (403, RBAC))


if __name__ == "__main__":
    unittest.main(verbosity=2)
