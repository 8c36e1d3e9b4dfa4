"""The dashboard acts as the signed-in user: its API calls go through the API's
authentication and RBAC as that user (never with the admin credential), on the
HTTPS API port and on the read-only dashboard behind the external gateway.

Users set with `ferry passwd`; a Profile, Kubeflow's pinned ClusterRoles and the
RoleBindings the profile controller and KFAM make (owner `namespaceAdmin`,
contributor `user-<mangled>-clusterrole-view`) created with kubectl as the
admin. Driven with python3-requests like the browser: sign-in form with its
CSRF token, then the session cookie only.

Run with /usr/bin/python3; FERRY_BIN names the binary.
"""
import base64
import json
import os
import subprocess
import sys
import textwrap
import time
import unittest

import requests
import urllib3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import FERRY_BIN, Up  # noqa: E402

KUBEFLOW = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures",
                        "kubeflow-1.9.1")
ROLE_FILES = ["common/kubeflow-roles/base/cluster-roles.yaml",
              "contrib/kserve/kserve/aggregated-roles.yaml"]
NS = "kubeflow-alice"
OWNER, VIEWER, OUTSIDER = "alice@example.com", "carol@example.com", "eve@example.com"
PASSWORDS = {OWNER: "alice-pass-1", VIEWER: "carol-pass-1", OUTSIDER: "eve-pass-1",
             "admin": "not-the-admin-1"}
SECRET = "hunter2-s3-key"
ISVC = textwrap.dedent("""\
    apiVersion: serving.kserve.io/v1beta1
    kind: InferenceService
    metadata:
      name: shared
      namespace: %s
    spec:
      predictor:
        model:
          modelFormat:
            name: sklearn
          storageUri: s3://nowhere/model
    """ % NS)


def forbidden(user, verb, resource, group, ns=None, name=None):
    """Kubernetes' 403 message (responsewriters.forbiddenMessage + NewForbidden)."""
    q = resource.split("/")[0] + ("." + group if group else "")
    head = q + (' "%s"' % name if name else "") + " is forbidden: "
    where = ' in the namespace "%s"' % ns if ns else " at the cluster scope"
    return head + 'User "%s" cannot %s resource "%s" in API group "%s"%s' % (
        user, verb, resource, group, where)


def send_raw(s, method, url, **kw):
    """Sends `url` byte for byte: requests itself would turn %73 into "s"."""
    p = s.prepare_request(requests.Request(method, url, **kw))
    p.url = url
    return s.send(p, verify=False, timeout=10, allow_redirects=False)


class DashboardUserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        urllib3.disable_warnings()
        cls.up = up = Up()
        cls.api_base = "https://127.0.0.1:%d" % up.api_port
        cls.ext_base = "http://127.0.0.1:%d" % up.http_port
        for email, password in PASSWORDS.items():
            subprocess.run([FERRY_BIN, "passwd", email, "--data-dir", up.data_dir],
                           input=password + "\n", text=True, check=True, capture_output=True)
        for f in ROLE_FILES:
            up.kubectl("apply", "-f", os.path.join(KUBEFLOW, f))
        up.kubectl("apply", "-f", "-", input=(
            "apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
            "spec:\n  owner:\n    kind: User\n    name: %s\n" % (NS, OWNER)))
        deadline = time.time() + 10
        while up.kubectl("get", "namespace", NS, check=False).returncode != 0:
            assert time.time() < deadline, "the Profile's namespace never appeared"
            time.sleep(0.05)
        # As the profile controller (owner) and KFAM (contributor) bind them.
        up.kubectl("apply", "-f", "-", input=ferrytest.user_role_binding(
            "namespaceAdmin", NS, "kubeflow-admin", OWNER))
        up.kubectl("apply", "-f", "-", input=ferrytest.user_role_binding(
            "user-carol-example-com-clusterrole-view", NS, "kubeflow-view", VIEWER))
        up.kubectl("create", "secret", "generic", "s3creds", "--from-literal=key=" + SECRET,
                   "-n", NS)
        up.kubectl("apply", "-f", "-", input=ISVC)

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    # --- sessions ----------------------------------------------------------------
    def dashboard(self, email=None, token=None):
        """A requests.Session signed in to the HTTPS dashboard with its form."""
        s = requests.Session()
        s.verify = False
        s.trust_env = False  # a CA bundle from the environment would override verify
        page = s.get(self.api_base + "/login", timeout=10)
        fields = {"csrf": ferrytest.form_token(page.text), "next": "/"}
        if token:
            fields["token"] = token
        else:
            fields.update(email=email, password=PASSWORDS[email])
        r = s.post(self.api_base + "/login", data=fields, allow_redirects=False, timeout=10)
        self.assertEqual(r.status_code, 303, r.text)
        self.assertIn("ferry_session", s.cookies.keys())
        return s

    def gateway_dashboard(self, email):
        """A requests.Session signed in to the dashboard on the external gateway."""
        s = requests.Session()
        r = ferrytest.oauth2_sign_in(self.ext_base, email, PASSWORDS[email], session=s)
        self.assertEqual(r.status_code, 302, r.text)
        return s

    def no_secret_in(self, r):
        for leak in (SECRET, base64.b64encode(SECRET.encode()).decode()):
            self.assertNotIn(leak, r.text)

    # --- the leaks ---------------------------------------------------------------
    def test_outsider_reads_no_secret_in_any_encoding(self):
        s = self.dashboard(OUTSIDER)
        get = forbidden(OUTSIDER, "get", "secrets", "", NS, "s3creds")
        for path in ["/api/v1/namespaces/%s/secrets/s3creds" % NS,
                     "/api/v1/namespaces/%s/%%73ecrets/s3creds" % NS,
                     "/api/v1/namespaces/%s/%%73%%65%%63%%72%%65%%74%%73/s3creds" % NS,
                     "/api/v1/namespaces/%s/secrets/%%73%%33creds" % NS,
                     "/api/v1/%%6eamespaces/%s/secrets/s3creds" % NS,
                     "/api/v1/namespaces/%s/secrets/s3creds/" % NS,
                     "/api/v1/namespaces/%s//secrets/s3creds" % NS]:
            r = send_raw(s, "GET", self.api_base + path)
            self.assertEqual(r.status_code, 403, path + ": " + r.text)
            self.assertEqual(r.json()["message"], get, path)
            self.no_secret_in(r)
        for path, verb, ns in [
                ("/api/v1/namespaces/%s/secrets" % NS, "list", NS),
                ("/api/v1/namespaces/%s/secrets?watch=1" % NS, "watch", NS),
                ("/api/v1/watch/namespaces/%s/secrets" % NS, "watch", NS),
                ("/api/v1/secrets", "list", None),
                ("/api/v1/%73ecrets", "list", None)]:
            r = send_raw(s, "GET", self.api_base + path)
            self.assertEqual(r.status_code, 403, path + ": " + r.text)
            self.assertEqual(r.json()["message"], forbidden(OUTSIDER, verb, "secrets", "", ns),
                             path)
            self.no_secret_in(r)
        # Decoded once, as the API acts on it: %2573ecrets is the resource "%73ecrets"
        # (which proves the bytes above went out unnormalized).
        r = send_raw(s, "GET", self.api_base + "/api/v1/namespaces/%s/%%2573ecrets/s3creds" % NS)
        self.assertEqual(r.json()["message"], forbidden(OUTSIDER, "get", "%73ecrets", "", NS,
                                                        "s3creds"))
        # A name asked for by field selector is a list of that Secret.
        r = s.get(self.api_base + "/api/v1/namespaces/%s/secrets" % NS, timeout=10,
                  params={"fieldSelector": "metadata.name=s3creds"})
        self.assertEqual(r.json()["message"], forbidden(OUTSIDER, "list", "secrets", "", NS,
                                                        "s3creds"))

    def test_signed_in_users_cannot_do_admin_actions(self):
        s = self.dashboard(OUTSIDER)
        jwt = "/apis/security.istio.io/v1beta1/namespaces/istio-system/authorizationpolicies/"
        cases = [
            ("POST", "/api/v1/namespaces",
             {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "eve-made"}},
             forbidden(OUTSIDER, "create", "namespaces", "")),
            ("DELETE", "/api/v1/namespaces/kubeflow", None,
             forbidden(OUTSIDER, "delete", "namespaces", "", "kubeflow", "kubeflow")),
            ("DELETE", jwt + "istio-ingressgateway-require-jwt", None,
             forbidden(OUTSIDER, "delete", "authorizationpolicies", "security.istio.io",
                       "istio-system", "istio-ingressgateway-require-jwt")),
            ("POST", "/api/v1/namespaces/%s/serviceaccounts/default-editor/token" % NS,
             {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}},
             forbidden(OUTSIDER, "create", "serviceaccounts/token", "", NS, "default-editor")),
            ("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
             {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
              "metadata": {"name": "eve-admin"},
              "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                          "name": "cluster-admin"},
              "subjects": [{"kind": "User", "name": OUTSIDER}]},
             forbidden(OUTSIDER, "create", "clusterrolebindings", "rbac.authorization.k8s.io")),
        ]
        for method, path, body, message in cases:
            r = s.request(method, self.api_base + path, json=body, timeout=10)
            self.assertEqual(r.status_code, 403, "%s %s: %s" % (method, path, r.text))
            self.assertEqual(r.json()["reason"], "Forbidden")
            self.assertEqual(r.json()["message"], message)
        self.up.kubectl("get", "authorizationpolicy", "istio-ingressgateway-require-jwt",
                        "-n", "istio-system")
        self.assertNotEqual(self.up.kubectl("get", "namespace", "eve-made",
                                            check=False).returncode, 0)
        # The profile owner is no admin either.
        owner = self.dashboard(OWNER)
        r = owner.delete(self.api_base + jwt + "istio-ingressgateway-require-jwt", timeout=10)
        self.assertEqual(r.json()["message"], forbidden(
            OWNER, "delete", "authorizationpolicies", "security.istio.io", "istio-system",
            "istio-ingressgateway-require-jwt"))

    def test_a_password_user_named_admin_is_not_the_admin(self):
        s = self.dashboard("admin")
        r = s.post(self.api_base + "/api/v1/namespaces", timeout=10, json={
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "named-admin"}})
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.json()["message"], forbidden("admin", "create", "namespaces", ""))
        self.assertEqual(s.get(self.api_base + "/ferry/namespaces", timeout=10).json(),
                         {"namespaces": []})

    def test_the_admin_token_holder_is_the_admin(self):
        with open(os.path.join(self.up.data_dir, "admin-token")) as f:
            s = self.dashboard(token=f.read().strip())
        r = s.post(self.api_base + "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                   json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
                   timeout=10)
        self.assertEqual(r.json()["status"]["userInfo"]["username"], "kubernetes-admin")
        names = s.get(self.api_base + "/ferry/namespaces", timeout=10).json()["namespaces"]
        for ns in ("default", "kube-system", "istio-system", NS):
            self.assertIn(ns, names)

    # --- what each user sees -----------------------------------------------------
    def test_owner_contributor_and_outsider(self):
        isvcs = "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices" % NS
        sessions = {who: self.dashboard(who) for who in (OWNER, VIEWER, OUTSIDER)}
        for who, s in sessions.items():
            whoami = s.get(self.api_base + "/ferry/whoami", timeout=10).json()
            # externalGateway: where the model page says the external gateway listens.
            self.assertEqual(whoami, {"user": who, "readOnly": False,
                                      "externalGateway": self.ext_base})
        self.assertEqual(sessions[OWNER].get(self.api_base + "/ferry/namespaces",
                                             timeout=10).json(), {"namespaces": [NS]})
        self.assertEqual(sessions[VIEWER].get(self.api_base + "/ferry/namespaces",
                                              timeout=10).json(), {"namespaces": [NS]})
        self.assertEqual(sessions[OUTSIDER].get(self.api_base + "/ferry/namespaces",
                                                timeout=10).json(), {"namespaces": []})
        # Both members list the models; the outsider is refused in Kubernetes' words.
        for who in (OWNER, VIEWER):
            r = sessions[who].get(self.api_base + isvcs, timeout=10)
            self.assertEqual(r.status_code, 200, r.text)
            self.assertEqual([i["metadata"]["name"] for i in r.json()["items"]], ["shared"])
        r = sessions[OUTSIDER].get(self.api_base + isvcs, timeout=10)
        self.assertEqual(r.json()["message"], forbidden(OUTSIDER, "list", "inferenceservices",
                                                        "serving.kserve.io", NS))
        # The owner reads their Secret (kubeflow-edit has secrets); the viewer may not.
        r = sessions[OWNER].get(self.api_base + "/api/v1/namespaces/%s/secrets/s3creds" % NS,
                                timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        r = send_raw(sessions[VIEWER], "GET",
                     self.api_base + "/api/v1/namespaces/%s/%%73ecrets/s3creds" % NS)
        self.assertEqual(r.json()["message"], forbidden(VIEWER, "get", "secrets", "", NS,
                                                        "s3creds"))
        self.no_secret_in(r)
        # can-i as the UI asks it; the viewer's write is refused by the API too.
        def can(who, verb):
            r = sessions[who].post(
                self.api_base + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                timeout=10, json={"apiVersion": "authorization.k8s.io/v1",
                                  "kind": "SelfSubjectAccessReview",
                                  "spec": {"resourceAttributes": {
                                      "verb": verb, "group": "serving.kserve.io",
                                      "resource": "inferenceservices", "namespace": NS}}})
            self.assertEqual(r.status_code, 201, r.text)
            return r.json()["status"]["allowed"]
        self.assertEqual([can(OWNER, v) for v in ("list", "create", "delete")], [True] * 3)
        self.assertEqual([can(VIEWER, v) for v in ("list", "create", "delete")],
                         [True, False, False])
        r = sessions[VIEWER].delete(self.api_base + isvcs + "/shared", timeout=10)
        self.assertEqual(r.json()["message"], forbidden(VIEWER, "delete", "inferenceservices",
                                                        "serving.kserve.io", NS, "shared"))

    def test_read_only_gateway_dashboard_decides_on_the_parsed_request(self):
        owner, outsider = self.gateway_dashboard(OWNER), self.gateway_dashboard(OUTSIDER)
        whoami = owner.get(self.ext_base + "/ferry/whoami", timeout=10).json()
        self.assertEqual(whoami, {"user": OWNER, "readOnly": True,
                                  "externalGateway": self.ext_base})
        secret = "/api/v1/namespaces/%s/%%73ecrets/s3creds" % NS
        # Reads are the user's, RBAC decides: the owner's own Secret, not the outsider's.
        r = send_raw(owner, "GET", self.ext_base + secret)
        self.assertEqual(r.status_code, 200, r.text)
        r = send_raw(outsider, "GET", self.ext_base + secret)
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.json()["message"], forbidden(OUTSIDER, "get", "secrets", "", NS,
                                                        "s3creds"))
        self.no_secret_in(r)
        # Writes never pass, whatever the encoding.
        for method, path in [
                ("POST", "/api/v1/namespaces/%s/%%73ecrets" % NS),
                ("DELETE", "/api/v1/namespaces/%s/secrets/s3creds" % NS),
                ("POST", "/api/v1/namespaces/%s/serviceaccounts/default-editor/%%74oken" % NS),
                ("PATCH", "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices/"
                          "shared" % NS)]:
            r = send_raw(owner, method, self.ext_base + path, data="{}",
                         headers={"Content-Type": "application/merge-patch+json"})
            self.assertEqual(r.status_code, 403, "%s %s: %s" % (method, path, r.text))
            self.assertIn("read-only", r.json()["message"])
        self.up.kubectl("get", "secret", "s3creds", "-n", NS)
        # "May I?" passes (it changes nothing) and answers for the user.
        r = owner.post(self.ext_base + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                       timeout=10, json={"apiVersion": "authorization.k8s.io/v1",
                                         "kind": "SelfSubjectAccessReview",
                                         "spec": {"resourceAttributes": {
                                             "verb": "delete", "resource": "secrets",
                                             "namespace": NS}}})
        self.assertEqual(r.status_code, 201, r.text)
        self.assertTrue(r.json()["status"]["allowed"])
        self.assertEqual(outsider.get(self.ext_base + "/ferry/namespaces", timeout=10).json(),
                         {"namespaces": []})


if __name__ == "__main__":
    unittest.main(verbosity=2)
