"""Who may do what on `ferry up`'s API, with the real kubectl: the admin, a
ServiceAccount token (`kubectl create token`) bound to `edit` in its
namespace, a dashboard user (OIDC token from `ferry kubeconfig --user`) bound
to `view`, impersonation (`--as`), and anonymous requests — Kubernetes' RBAC
semantics and its exact Forbidden texts, the %73ecrets vector, escalation,
aggregation of Kubeflow's pinned roles and bootstrap reconciliation.

Run with /usr/bin/python3; FERRY_BIN names the binary.
"""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import requests
import urllib3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import FERRY_BIN, Up  # noqa: E402

KUBEFLOW = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures",
                        "kubeflow-1.9.1")
ROLE_FILES = ["common/kubeflow-roles/base/cluster-roles.yaml",
              "contrib/kserve/kserve/aggregated-roles.yaml"]
A, B = "team-a", "team-b"
SA_USER = "system:serviceaccount:team-a:editor"
JANE = "jane@example.com"

# InferenceServices join Kubernetes' edit/view the way a CRD installer adds
# them (aggregation labels), so `edit` and `view` cover them.
ISVC_ROLES = textwrap.dedent("""\
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata:
      name: isvc-edit
      labels:
        rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rules:
    - apiGroups: ["serving.kserve.io"]
      resources: ["inferenceservices"]
      verbs: ["create", "delete", "deletecollection", "patch", "update"]
    ---
    apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata:
      name: isvc-view
      labels:
        rbac.authorization.k8s.io/aggregate-to-view: "true"
    rules:
    - apiGroups: ["serving.kserve.io"]
      resources: ["inferenceservices", "inferenceservices/status", "inferenceservices/log"]
      verbs: ["get", "list", "watch"]
    """)


def isvc(name, ns):
    return textwrap.dedent(f"""\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          predictor:
            model:
              modelFormat:
                name: sklearn
              storageUri: s3://nowhere/model
        """)


def forbidden(user, verb, resource, group, ns=None, name=None, qualified=None):
    """Kubernetes' 403 message (responsewriters.forbiddenMessage + NewForbidden)."""
    q = qualified or (resource.split("/")[0] + ("." + group if group else ""))
    head = q + (' "%s"' % name if name else "") + " is forbidden: "
    where = ' in the namespace "%s"' % ns if ns else " at the cluster scope"
    return head + 'User "%s" cannot %s resource "%s" in API group "%s"%s' % (
        user, verb, resource, group, where)


class RbacTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        urllib3.disable_warnings()
        cls.up = Up()
        cls.tmp = tempfile.mkdtemp(prefix="ferry-rbac-")
        cls.kc = {"admin": cls.up.kubeconfig}
        admin = cls.admin
        for ns in (A, B):
            admin("create", "namespace", ns)
            admin("create", "serviceaccount", "editor", "-n", ns)
            admin("create", "serviceaccount", "nsadmin", "-n", ns)
        admin("apply", "-f", "-", input=ISVC_ROLES)
        admin("create", "rolebinding", "editor-edit", "--clusterrole=edit",
              "--serviceaccount=%s:editor" % A, "-n", A)
        admin("create", "rolebinding", "nsadmin-admin", "--clusterrole=admin",
              "--serviceaccount=%s:nsadmin" % A, "-n", A)
        admin("create", "rolebinding", "jane-view", "--clusterrole=view", "--user=" + JANE,
              "-n", A)
        admin("apply", "-n", A, "-f", "-", input=isvc("shared", A))
        admin("apply", "-n", B, "-f", "-", input=isvc("other", B))
        admin("create", "secret", "generic", "s3creds", "--from-literal=key=hunter2", "-n", A)
        admin("create", "secret", "generic", "s3creds", "--from-literal=key=hunter2", "-n", B)
        cls.sa_token = admin("create", "token", "editor", "-n", A).stdout.strip()
        cls.kc["sa"] = cls.write_kubeconfig("sa", cls.sa_token)
        cls.kc["nsadmin"] = cls.write_kubeconfig(
            "nsadmin", admin("create", "token", "nsadmin", "-n", A).stdout.strip())
        user = subprocess.run([FERRY_BIN, "kubeconfig", "--data-dir", cls.up.data_dir, "--user",
                               JANE, "--group", "data-science"],
                              capture_output=True, text=True, check=True).stdout
        cls.kc["jane"] = os.path.join(cls.tmp, "jane.kubeconfig")
        with open(cls.kc["jane"], "w") as f:
            f.write(user)
        cls.jane_token = [ln.split("token: ")[1] for ln in user.splitlines()
                          if "token: " in ln][0]
        cls.kc["anonymous"] = cls.write_kubeconfig("anonymous", None)

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    @classmethod
    def write_kubeconfig(cls, name, token):
        with open(cls.up.kubeconfig) as f:
            lines = f.read().splitlines()
        out = []
        for ln in lines:
            if ln.startswith("    token: "):
                # No token: a bare username, which kubectl sends as Basic credentials that
                # the API ignores (as kube-apiserver since 1.19), i.e. anonymous. A user entry
                # with nothing at all would make kubectl prompt for a username.
                ln = "    token: " + token if token is not None else "    username: anonymous"
            out.append(ln)
        text = "\n".join(out) + "\n"
        path = os.path.join(cls.tmp, name + ".kubeconfig")
        with open(path, "w") as f:
            f.write(text)
        return path

    @classmethod
    def run_kubectl(cls, who, *args, input=None, check=True):
        cache = os.path.join(cls.tmp, "cache-" + who)
        r = subprocess.run(["kubectl", "--kubeconfig", cls.kc[who], "--cache-dir", cache]
                           + list(args), capture_output=True, text=True, input=input, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("kubectl (%s) %s failed:\n%s%s" % (who, " ".join(args),
                                                                  r.stdout, r.stderr))
        return r

    @classmethod
    def admin(cls, *args, **kw):
        return cls.run_kubectl("admin", *args, **kw)

    def denied(self, who, *args, message, input=None):
        """kubectl fails with the server's 403 text (after "Error from server (Forbidden): "
        or, for `create` subcommands, "error: failed to create ...: ")."""
        r = self.run_kubectl(who, *args, input=input, check=False)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn(message, r.stderr)
        return r

    def api(self, method, path, token=None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        return requests.request(method, "https://127.0.0.1:%d%s" % (self.up.api_port, path),
                                headers=headers, verify=False, timeout=10, **kw)

    # --- identities -----------------------------------------------------------------
    def test_whoami(self):
        who = json.loads(self.run_kubectl("admin", "auth", "whoami", "-o", "json").stdout)
        self.assertEqual(who["status"]["userInfo"]["username"], "kubernetes-admin")
        self.assertEqual(who["status"]["userInfo"]["groups"],
                         ["system:masters", "system:authenticated"])
        who = json.loads(self.run_kubectl("sa", "auth", "whoami", "-o", "json").stdout)
        self.assertEqual(who["status"]["userInfo"]["username"], SA_USER)
        self.assertEqual(who["status"]["userInfo"]["groups"],
                         ["system:serviceaccounts", "system:serviceaccounts:" + A,
                          "system:authenticated"])
        who = json.loads(self.run_kubectl("jane", "auth", "whoami", "-o", "json").stdout)
        self.assertEqual(who["status"]["userInfo"]["username"], JANE)
        self.assertEqual(who["status"]["userInfo"]["groups"],
                         ["data-science", "system:authenticated"])
        out = self.run_kubectl("admin", "auth", "whoami", "--as", JANE, "--as-group", "g1").stdout
        self.assertRegex(out, r"Username\s+jane@example.com")
        self.assertRegex(out, r"Groups\s+\[g1 system:authenticated\]")

    # --- a ServiceAccount bound to edit in its namespace ------------------------------
    def test_sa_manages_inferenceservices_in_its_namespace(self):
        sa = lambda *a, **kw: self.run_kubectl("sa", *a, **kw)  # noqa: E731
        self.assertIn("created", sa("apply", "-f", "-", input=isvc("mine", A)).stdout)
        self.assertIn("mine", sa("get", "isvc", "-n", A).stdout)
        self.assertIn("mine", sa("get", "isvc", "mine", "-n", A, "-o", "name").stdout)
        sa("patch", "isvc", "mine", "-n", A, "--type=merge",
           "-p", '{"metadata":{"labels":{"team":"a"}}}')
        self.assertEqual(sa("get", "isvc", "mine", "-n", A, "-o",
                            "jsonpath={.metadata.labels.team}").stdout, "a")
        r = self.api("GET", "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices"
                     "?watch=true&timeoutSeconds=1" % A, self.sa_token, stream=True)
        self.assertEqual(r.status_code, 200)
        self.assertIn('"type":"ADDED"', r.text)
        self.assertIn('deleted', sa("delete", "isvc", "mine", "-n", A).stdout)

    def test_deletecollection_by_selector(self):
        """DELETE on a collection is the deletecollection verb: the selected objects go, the
        answer lists them, others stay; a viewer is refused with Kubernetes' text."""
        sa = lambda *a, **kw: self.run_kubectl("sa", *a, **kw)  # noqa: E731
        for name in ("batch-1", "batch-2", "keeper"):
            sa("apply", "-f", "-", input=isvc(name, A))
        sa("label", "isvc", "batch-1", "batch-2", "-n", A, "run=nightly")
        path = "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices" % A
        r = self.api("DELETE", path + "?labelSelector=run%3Dnightly", self.jane_token)
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(r.json()["message"], forbidden(JANE, "deletecollection",
                                                        "inferenceservices", "serving.kserve.io",
                                                        A))
        r = self.api("DELETE", path + "?labelSelector=run%20in%20(nightly", self.sa_token)
        self.assertEqual(r.status_code, 400, r.text)  # a selector kube-apiserver refuses too
        r = self.api("DELETE", path + "?labelSelector=run%3Dnightly", self.sa_token)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["kind"], "InferenceServiceList")
        self.assertEqual(sorted(i["metadata"]["name"] for i in r.json()["items"]),
                         ["batch-1", "batch-2"])
        left = sa("get", "isvc", "-n", A, "-o", "name").stdout.split()
        self.assertNotIn("inferenceservice.serving.kserve.io/batch-1", left)
        self.assertIn("inferenceservice.serving.kserve.io/keeper", left)
        sa("delete", "isvc", "keeper", "-n", A)

    def test_sa_denied_in_another_namespace(self):
        self.denied("sa", "get", "isvc", "other", "-n", B,
                    message=forbidden(SA_USER, "get", "inferenceservices", "serving.kserve.io",
                                      B, "other"))
        self.denied("sa", "get", "isvc", "-n", B,
                    message=forbidden(SA_USER, "list", "inferenceservices", "serving.kserve.io",
                                      B))
        self.denied("sa", "get", "isvc", "-A",
                    message=forbidden(SA_USER, "list", "inferenceservices", "serving.kserve.io"))
        self.denied("sa", "apply", "-f", "-", input=isvc("intruder", B),
                    message=forbidden(SA_USER, "get", "inferenceservices", "serving.kserve.io",
                                      B, "intruder"))
        self.denied("sa", "delete", "isvc", "other", "-n", B,
                    message=forbidden(SA_USER, "delete", "inferenceservices",
                                      "serving.kserve.io", B, "other"))
        self.denied("sa", "patch", "isvc", "other", "-n", B, "--type=merge", "-p", "{}",
                    message=forbidden(SA_USER, "get", "inferenceservices", "serving.kserve.io",
                                      B, "other"))
        r = self.api("GET", "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices"
                     "?watch=true&timeoutSeconds=1" % B, self.sa_token)
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()["message"], forbidden(SA_USER, "watch", "inferenceservices",
                                                        "serving.kserve.io", B))

    def test_secrets_and_tokens(self):
        self.assertIn("s3creds", self.run_kubectl("sa", "get", "secret", "-n", A).stdout)
        self.run_kubectl("sa", "create", "secret", "generic", "scratch", "--from-literal=a=b",
                         "-n", A)
        self.assertIn("deleted", self.run_kubectl("sa", "delete", "secret", "scratch",
                                                  "-n", A).stdout)
        self.denied("sa", "create", "secret", "generic", "scratch", "--from-literal=a=b", "-n", B,
                    message=forbidden(SA_USER, "create", "secrets", "", B))
        self.denied("sa", "get", "secret", "s3creds", "-n", B,
                    message=forbidden(SA_USER, "get", "secrets", "", B, "s3creds"))
        # edit may mint tokens for ServiceAccounts of its namespace only.
        token = self.run_kubectl("sa", "create", "token", "editor", "-n", A).stdout.strip()
        self.assertEqual(token.count("."), 2)
        self.denied("sa", "create", "token", "editor", "-n", B,
                    message=forbidden(SA_USER, "create", "serviceaccounts/token", "", B, "editor",
                                      qualified="serviceaccounts"))
        self.denied("jane", "create", "token", "editor", "-n", A,
                    message=forbidden(JANE, "create", "serviceaccounts/token", "", A, "editor",
                                      qualified="serviceaccounts"))

    def test_encoded_secrets_path_is_still_secrets(self):
        # view has no secrets; an encoded segment names the same resource.
        want = forbidden(JANE, "get", "secrets", "", A, "s3creds")
        for path in ("/api/v1/namespaces/%s/secrets/s3creds" % A,
                     "/api/v1/namespaces/%s/%%73ecrets/s3creds" % A,
                     "/api/v1/namespaces/%s/%%73%%65%%63rets/s3creds" % A):
            r = self.api("GET", path, self.jane_token)
            self.assertEqual(r.status_code, 403, path)
            self.assertEqual(r.json()["message"], want, path)
            self.assertNotIn("hunter2", r.text)
            self.assertNotIn("aHVudGVyMg", r.text)
        self.denied("jane", "get", "secret", "s3creds", "-n", A, message=want)

    # --- a user bound to view ---------------------------------------------------------
    def test_user_with_view(self):
        self.assertIn("shared", self.run_kubectl("jane", "get", "isvc", "-n", A).stdout)
        self.denied("jane", "apply", "-f", "-", input=isvc("new", A),
                    message=forbidden(JANE, "create", "inferenceservices", "serving.kserve.io",
                                      A))
        self.denied("jane", "delete", "isvc", "shared", "-n", A,
                    message=forbidden(JANE, "delete", "inferenceservices", "serving.kserve.io",
                                      A, "shared"))
        self.denied("jane", "get", "isvc", "-n", B,
                    message=forbidden(JANE, "list", "inferenceservices", "serving.kserve.io", B))

    def test_can_i(self):
        can = lambda who, *a: self.run_kubectl(who, "auth", "can-i", *a,  # noqa: E731
                                               check=False)
        r = can("sa", "create", "inferenceservices.serving.kserve.io", "-n", A)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "yes"))
        r = can("sa", "create", "inferenceservices.serving.kserve.io", "-n", B)
        self.assertEqual((r.returncode, r.stdout.strip()), (1, "no"))
        r = can("jane", "get", "secrets", "-n", A)
        self.assertEqual(r.stdout.strip(), "no")
        r = can("admin", "delete", "clusterroles")
        self.assertEqual(r.stdout.strip(), "yes")
        r = can("sa", "--list", "-n", A)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"inferenceservices.serving.kserve.io\s+\[\]\s+\[\]\s+"
                                   r"\[create delete deletecollection patch update")
        self.assertRegex(r.stdout, r"selfsubjectaccessreviews.authorization.k8s.io\s+\[\]\s+\[\]"
                                   r"\s+\[create\]")
        self.assertRegex(r.stdout, r"\s+\[/api/\*\]\s+\[\]\s+\[get\]")
        r = can("jane", "--list", "-n", B)
        self.assertNotIn("inferenceservices", r.stdout)
        r = self.denied("anonymous", "auth", "can-i", "get", "pods",
                        message=forbidden("system:anonymous", "create",
                                          "selfsubjectaccessreviews", "authorization.k8s.io"))
        self.assertIn("Error from server (Forbidden): ", r.stderr)

    # --- impersonation ----------------------------------------------------------------
    def test_impersonation(self):
        self.assertIn("s3creds", self.admin("get", "secret", "-n", A, "--as", SA_USER).stdout)
        self.denied("admin", "get", "secret", "-n", A, "--as", JANE,
                    message=forbidden(JANE, "list", "secrets", "", A))
        self.denied("admin", "get", "secret", "-n", A, "--as", "nobody",
                    "--as-group", "system:serviceaccounts:" + A,
                    message=forbidden("nobody", "list", "secrets", "", A))
        # Without the impersonate verb on users, a ServiceAccount cannot pretend.
        self.denied("sa", "get", "isvc", "-n", A, "--as", JANE,
                    message='users "jane@example.com" is forbidden: User "%s" cannot impersonate '
                            'resource "users" in API group "" at the cluster scope' % SA_USER)
        # edit includes impersonating ServiceAccounts of its namespace (Kubernetes' policy).
        self.assertIn("shared", self.run_kubectl(
            "sa", "get", "isvc", "-n", A, "--as", "system:serviceaccount:%s:nsadmin" % A).stdout)

    # --- anonymous and bad credentials ------------------------------------------------
    def test_anonymous(self):
        for path in ("/healthz", "/livez", "/readyz", "/version", "/openid/v1/jwks",
                     "/.well-known/openid-configuration"):
            self.assertEqual(self.api("GET", path).status_code, 200, path)
        r = self.api("GET", "/api")
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()["message"],
                         'forbidden: User "system:anonymous" cannot get path "/api"')
        r = self.api("GET", "/api/v1/namespaces/%s/secrets" % A)
        self.assertEqual(r.json()["message"],
                         forbidden("system:anonymous", "list", "secrets", "", A))

    def test_bad_credentials(self):
        self.assertEqual(self.api("GET", "/version", "not-a-token").status_code, 401)
        # A token for the gateway's audience is not an API credential (as in Kubernetes).
        gw = self.admin("create", "token", "editor", "-n", A, "--audience",
                        "istio-ingressgateway.istio-system.svc.cluster.local").stdout.strip()
        r = self.api("GET", "/api/v1/namespaces/%s/configmaps" % A, gw)
        self.assertEqual(r.status_code, 401)
        self.assertEqual(r.json()["reason"], "Unauthorized")
        path = self.write_kubeconfig("gw", gw)
        self.kc["gw"] = path
        r = self.run_kubectl("gw", "get", "isvc", "-n", A, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("error: You must be logged in to the server", r.stderr)

    # --- RBAC objects -----------------------------------------------------------------
    def test_escalation_refused(self):
        nsadmin = "system:serviceaccount:%s:nsadmin" % A
        r = self.denied(
            "nsadmin", "create", "rolebinding", "grab", "--clusterrole=cluster-admin",
            "--serviceaccount=%s:nsadmin" % A, "-n", A,
            message='rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "%s" '
                    '(groups=["system:serviceaccounts" "system:serviceaccounts:%s" '
                    '"system:authenticated"]) is attempting to grant RBAC permissions not '
                    'currently held:\n{APIGroups:["*"], Resources:["*"], Verbs:["*"]}\n'
                    '{NonResourceURLs:["*"], Verbs:["*"]}' % (nsadmin, A))
        self.assertIn("grab", r.stderr)
        r = self.run_kubectl("nsadmin", "create", "rolebinding", "viewers", "--clusterrole=view",
                             "--user=bob@example.com", "-n", A)
        self.assertIn("created", r.stdout)
        # admin may read its namespace, not delete namespaces: a Role granting it escalates.
        self.denied("nsadmin", "create", "role", "ns-deleter", "--verb=delete",
                    "--resource=namespaces", "-n", A,
                    message='roles.rbac.authorization.k8s.io "ns-deleter" is forbidden: user "%s" '
                            '(groups=["system:serviceaccounts" "system:serviceaccounts:%s" '
                            '"system:authenticated"]) is attempting to grant RBAC permissions not '
                            'currently held:\n{APIGroups:[""], Resources:["namespaces"], '
                            'Verbs:["delete"]}' % (nsadmin, A))
        self.denied("nsadmin", "create", "rolebinding", "x", "--clusterrole=view",
                    "--user=bob@example.com", "-n", B,
                    message=forbidden(nsadmin, "create", "rolebindings",
                                      "rbac.authorization.k8s.io", B))

    def test_kubeflow_roles_aggregate(self):
        args = []
        for f in ROLE_FILES:
            args += ["-f", os.path.join(KUBEFLOW, f)]
        self.admin("apply", *args)
        edit = json.loads(self.admin("get", "clusterrole", "kubeflow-edit", "-o", "json").stdout)
        # kubeflow-kserve-edit's rule, then kubeflow-view's (from kubeflow-kserve-view).
        isvc_rules = [r for r in edit["rules"] if "inferenceservices" in r.get("resources", [])]
        self.assertEqual([r["verbs"] for r in isvc_rules],
                         [["get", "list", "watch", "create", "delete", "deletecollection",
                           "patch", "update"], ["get", "list", "watch"]])
        admin = self.admin("get", "clusterrole", "kubeflow-admin", "-o", "yaml").stdout
        self.assertIn("inferenceservices", admin)
        self.assertIn("localsubjectaccessreviews", admin)
        view = self.admin("get", "clusterrole", "kubeflow-view", "-o", "json").stdout
        self.assertNotIn("deletecollection", view)
        # Kubeflow's default-editor binding works the same through aggregation.
        self.admin("create", "rolebinding", "default-editor", "--clusterrole=kubeflow-edit",
                   "--serviceaccount=%s:editor" % B, "-n", B)
        token = self.admin("create", "token", "editor", "-n", B).stdout.strip()
        r = self.api("GET", "/apis/serving.kserve.io/v1beta1/namespaces/%s/inferenceservices"
                     % B, token)
        self.assertEqual(r.status_code, 200, r.text)
        # Kubernetes' own admin role shows its aggregated rules too.
        self.assertIn("rolebindings", self.admin("get", "clusterrole", "admin", "-o",
                                                 "yaml").stdout)

    def test_rbac_tables_and_immutable_roleref(self):
        out = self.admin("get", "clusterroles").stdout
        self.assertRegex(out.splitlines()[0], r"^NAME\s+CREATED AT$")
        out = self.admin("get", "rolebinding", "-n", A, "-o", "wide").stdout
        self.assertRegex(out.splitlines()[0],
                         r"^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS$")
        self.assertRegex(out, r"editor-edit\s+ClusterRole/edit\s+\S+\s+%s/editor" % A)
        r = self.admin("patch", "rolebinding", "jane-view", "-n", A, "--type=merge",
                       "-p", '{"roleRef":{"name":"edit"}}', check=False)
        self.assertIn('The RoleBinding "jane-view" is invalid: roleRef: Invalid value: '
                      'rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", '
                      'Name:"edit"}: cannot change roleRef', r.stderr)

    def test_zz_bootstrap_reconciled_at_start(self):
        self.admin("delete", "clusterrolebinding", "system:basic-user")
        self.admin("patch", "clusterrole", "system:discovery", "--type=json",
                   "-p", '[{"op":"replace","path":"/rules","value":[]}]')
        self.admin("label", "clusterrole", "system:discovery", "mine=yes")
        self.up.stop()
        self.up.start()
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if self.api("GET", "/readyz").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        crb = json.loads(self.admin("get", "clusterrolebinding", "system:basic-user", "-o",
                                    "json").stdout)
        self.assertEqual(crb["subjects"][0]["name"], "system:authenticated")
        role = json.loads(self.admin("get", "clusterrole", "system:discovery", "-o",
                                     "json").stdout)
        # The missing permissions come back (as broken-down rules, like Kubernetes adds them).
        urls = [u for r in role["rules"] for u in r.get("nonResourceURLs", [])]
        self.assertEqual(sorted(urls), ["/api", "/api/*", "/apis", "/apis/*", "/healthz",
                                        "/livez", "/openapi", "/openapi/*", "/readyz",
                                        "/version", "/version/"])
        self.assertEqual(role["metadata"]["labels"]["mine"], "yes")
        self.assertEqual(role["metadata"]["annotations"]
                         ["rbac.authorization.kubernetes.io/autoupdate"], "true")


if __name__ == "__main__":
    unittest.main(verbosity=2)
