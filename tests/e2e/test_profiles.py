"""Kubeflow profiles and contributors on `ferry up`, with the real kubectl.

Two Profiles (team-a as kubeflow.org/v1beta1, as Kubeflow's own default
Profile is written; team-b as v1), contributors added by the owner with
`ferry contributor`, and kubeconfigs for: the admin, the owner (a user), a
contributor with edit, one with view, default-editor and default-viewer of
both profiles, and anonymous. Each runs the tutorial's commands (apply the
Secret + ServiceAccount and the InferenceService from tests/e2e/seed, get,
describe, delete, create token, edit a policy) in its own and in the other
namespace; the expected outcome of every command is derived from Kubeflow's
pinned ClusterRoles (deploy/kubeflow-1.9.1, aggregated here as
kube-controller-manager does) and the bindings the profile controller and
KFAM create — and `kubectl auth can-i --list` must list the same verbs.

Also: what Ferry installs equals the pinned files; the objects of a Profile as
Kubeflow's controller makes them; ns-owner-access-istio edits reverted and its
deletion undone; KFAM's name mangling; deleting a Profile deletes its
namespace and everything in it; `kubectl apply` of the tutorial's ap.yaml
over what Ferry installed gives no warning.

Run with /usr/bin/python3; FERRY_BIN names the binary.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

import requests
import urllib3
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferrytest import FERRY_BIN, REPO, Up  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed")
PINNED = os.path.join(REPO, "deploy", "kubeflow-1.9.1")
A, B = "team-a", "team-b"
ALICE, BOB, CAROL, DAVE = ("alice@example.com", "bob@example.com", "carol@example.com",
                           "dave@example.com")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
RBAC = "rbac.authorization.k8s.io"

PROFILE_A = """\
apiVersion: kubeflow.org/v1beta1
kind: Profile
metadata:
  name: team-a
spec:
  owner:
    kind: User
    name: alice@example.com
  resourceQuotaSpec:
    hard:
      cpu: "4"
      memory: 8Gi
"""
PROFILE_B = """\
apiVersion: kubeflow.org/v1
kind: Profile
metadata:
  name: team-b
spec:
  owner:
    kind: User
    name: bob@example.com
"""

# Who is bound to which Kubeflow ClusterRole where (profile controller + KFAM).
BINDINGS = {
    "owner": {A: "kubeflow-admin"},
    "contrib-edit": {A: "kubeflow-edit"},
    "contrib-view": {A: "kubeflow-view"},
    "a-editor": {A: "kubeflow-edit"},
    "a-viewer": {A: "kubeflow-view"},
    "b-editor": {B: "kubeflow-edit"},
    "b-viewer": {B: "kubeflow-view"},
    "anonymous": {},
}
HOME = {"admin": A, "owner": A, "contrib-edit": A, "contrib-view": A, "a-editor": A,
        "a-viewer": A, "b-editor": B, "b-viewer": B, "anonymous": A}


def pinned_objects():
    out = []
    for path in sorted(glob.glob(os.path.join(PINNED, "**", "*.yaml"), recursive=True)):
        with open(path) as f:
            out += [d for d in yaml.safe_load_all(f) if d]
    return out


def aggregated_rules(cluster_roles):
    """ClusterRole name -> rules after aggregation (a fixed point, as the
    clusterrole-aggregation controller converges), over the pinned roles and
    any other installed role that carries their aggregation labels."""
    roles = {o["metadata"]["name"]: o for o in cluster_roles}
    roles.update({o["metadata"]["name"]: o for o in pinned_objects()})
    rules = {n: list(r.get("rules") or []) for n, r in roles.items()}
    for _ in range(len(roles)):
        for name, role in roles.items():
            sel = (role.get("aggregationRule") or {}).get("clusterRoleSelectors")
            if not sel:
                continue
            agg = []
            for other, o in sorted(roles.items()):
                labels = o["metadata"].get("labels") or {}
                if other != name and any(all(labels.get(k) == v for k, v in
                                             s["matchLabels"].items()) for s in sel):
                    agg += [r for r in rules[other] if r not in agg]
            rules[name] = agg
    return rules


def covers(rule, verb, group, resource):
    return ((group in rule.get("apiGroups", []) or "*" in rule.get("apiGroups", []))
            and (resource in rule.get("resources", []) or "*" in rule.get("resources", []))
            and (verb in rule["verbs"] or "*" in rule["verbs"])
            and not rule.get("resourceNames"))


def norm_rule(rule):
    return {k: v for k, v in rule.items() if v}


class ProfilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        urllib3.disable_warnings()
        cls.up = Up()
        installed = json.loads(subprocess.run(
            ["kubectl", "--kubeconfig", cls.up.kubeconfig, "get", "clusterroles", "-o", "json"],
            capture_output=True, text=True, check=True).stdout)["items"]
        cls.rules = aggregated_rules(installed)
        cls.tmp = tempfile.mkdtemp(prefix="ferry-profiles-")
        cls.kc = {"admin": cls.up.kubeconfig}
        cls.admin("apply", "-f", "-", input=PROFILE_A)
        cls.admin("apply", "-f", "-", input=PROFILE_B)
        for p in (A, B):
            cls.admin("wait", "--for=condition=Successful", "profile/" + p, "--timeout=20s")
            cls.wait_for(lambda p=p: cls.admin("get", "rolebinding", "namespaceAdmin", "-n", p,
                                                check=False).returncode == 0)
        for who, email in (("owner", ALICE), ("bob", BOB), ("contrib-edit", CAROL),
                           ("contrib-view", DAVE)):
            cls.kc[who] = cls.user_kubeconfig(who, email)
        for who, ns, sa in (("a-editor", A, "default-editor"), ("a-viewer", A, "default-viewer"),
                            ("b-editor", B, "default-editor"), ("b-viewer", B, "default-viewer")):
            token = cls.admin("create", "token", sa, "-n", ns, "--duration=2h").stdout.strip()
            cls.kc[who] = cls.token_kubeconfig(who, token)
        cls.kc["anonymous"] = cls.token_kubeconfig("anonymous", None)
        # The owner adds the contributors, as from the dashboard.
        cls.contributor("owner", "add", CAROL, "--role", "edit")
        cls.contributor("owner", "add", DAVE, "--role", "view")
        # What the matrix describes and deletes: the tutorial's objects, by the admin.
        for ns in (A, B):
            cls.admin("apply", "-n", ns, "-f", os.path.join(SEED, "sa.yaml"))
            cls.admin("apply", "-n", ns, "-f", os.path.join(SEED, "is_mlflow.yaml"))

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()

    # --- helpers --------------------------------------------------------------------
    @classmethod
    def wait_for(cls, cond, timeout=15, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return
            time.sleep(0.1)
        raise AssertionError("timed out waiting for " + what + "\n" + cls.up.output()[-2000:])

    @classmethod
    def token_kubeconfig(cls, name, token):
        with open(cls.up.kubeconfig) as f:
            lines = f.read().splitlines()
        out = []
        for ln in lines:
            if ln.startswith("    token: "):
                # No token: kubectl sends a bare username as Basic credentials, which the
                # API ignores (as kube-apiserver since 1.19): anonymous.
                ln = "    token: " + token if token is not None else "    username: anonymous"
            out.append(ln)
        path = os.path.join(cls.tmp, name + ".kubeconfig")
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")
        return path

    @classmethod
    def user_kubeconfig(cls, name, email):
        text = subprocess.run([FERRY_BIN, "kubeconfig", "--data-dir", cls.up.data_dir, "--user",
                               email], capture_output=True, text=True, check=True).stdout
        path = os.path.join(cls.tmp, name + ".kubeconfig")
        with open(path, "w") as f:
            f.write(text)
        return path

    @classmethod
    def kubectl(cls, who, *args, input=None, check=True):
        cache = os.path.join(cls.tmp, "cache-" + who)
        r = subprocess.run(["kubectl", "--kubeconfig", cls.kc[who], "--cache-dir", cache]
                           + list(args), capture_output=True, text=True, input=input, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("kubectl (%s) %s failed:\n%s%s" % (who, " ".join(args),
                                                                  r.stdout, r.stderr))
        return r

    @classmethod
    def admin(cls, *args, **kw):
        return cls.kubectl("admin", *args, **kw)

    @classmethod
    def contributor(cls, who, *args, check=True):
        r = subprocess.run([FERRY_BIN, "contributor"] + list(args[:1]) +
                           ["--kubeconfig", cls.kc[who], "-n", A] + list(args[1:]),
                           capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError("ferry contributor %s (%s): %s%s" % (args, who, r.stdout,
                                                                      r.stderr))
        return r

    def get_json(self, *args):
        return json.loads(self.admin("get", "-o", "json", *args).stdout)

    def can(self, who, verb, group, resource, ns):
        """The oracle: what Kubeflow's roles allow `who` in `ns`."""
        if who == "admin":
            return True
        role = BINDINGS[who].get(ns)
        return bool(role) and any(covers(r, verb, group, resource) for r in self.rules[role])

    # --- the matrix -------------------------------------------------------------------
    def seed_file(self, name, who):
        """A seed file with its object names suffixed per identity."""
        with open(os.path.join(SEED, name)) as f:
            text = f.read()
        for old in ("s3creds", "irish-s3"):
            text = text.replace(old, old + "-" + who)
        return re.sub(r"(?m)^  name: sa$", "  name: sa-" + who, text).replace(
            "serviceAccountName: sa", "serviceAccountName: sa-" + who)

    def test_matrix(self):
        isvc = ("serving.kserve.io", "inferenceservices")
        policy = ("security.istio.io", "authorizationpolicies")
        checked = 0
        for who in BINDINGS.keys() | {"admin"}:
            own = HOME[who]
            other = B if own == A else A
            for ns in (own, other):
                self.admin("apply", "-n", ns, "-f", "-",
                           input=self.seed_file("is_mlflow.yaml", "del-" + who))
                can = lambda verb, gr, ns=ns, who=who: self.can(who, verb, gr[0], gr[1], ns)
                cases = [
                    # kubectl apply -f sa.yaml: GET then create, for the Secret and the SA.
                    (["apply", "-n", ns, "-f", "-"], self.seed_file("sa.yaml", who),
                     all(can(v, ("", r)) for v in ("get", "create")
                         for r in ("secrets", "serviceaccounts"))),
                    (["apply", "-n", ns, "-f", "-"], self.seed_file("is_mlflow.yaml", who),
                     can("get", isvc) and can("create", isvc)),
                    (["get", "inferenceservices", "-n", ns], None, can("list", isvc)),
                    (["get", "secrets", "-n", ns], None, can("list", ("", "secrets"))),
                    (["get", "inferenceservice", "irish-s3", "-n", ns], None, can("get", isvc)),
                    (["describe", "inferenceservice", "irish-s3", "-n", ns], None,
                     can("get", isvc)),
                    (["delete", "inferenceservice", "irish-s3-del-" + who, "-n", ns], None,
                     can("delete", isvc)),
                    (["create", "token", "default-editor", "-n", ns], None,
                     can("create", ("", "serviceaccounts/token"))),
                    (["patch", "authorizationpolicy", "ns-owner-access-istio", "-n", ns,
                      "--type", "merge", "-p", '{"metadata":{"labels":{"edited-by":"x"}}}'],
                     None, can("patch", policy)),
                ]
                for args, stdin, allowed in cases:
                    r = self.kubectl(who, *args, input=stdin, check=False)
                    msg = "%s: kubectl %s -> %d\n%s%s" % (who, " ".join(args), r.returncode,
                                                          r.stdout, r.stderr)
                    if allowed:
                        self.assertEqual(r.returncode, 0, "expected allowed; " + msg)
                    else:
                        self.assertNotEqual(r.returncode, 0, "expected denied; " + msg)
                        # Anonymous may not read the OpenAPI document either (as in
                        # Kubernetes): kubectl apply stops at its client-side validation.
                        self.assertRegex(r.stderr, "Forbidden|forbidden" + (
                            "|failed to download openapi" if who == "anonymous" else ""), msg)
                    checked += 1
            # The tutorial's `kubectl edit` of the gateway's require-jwt policy: admins only.
            r = self.kubectl(who, "patch", "authorizationpolicy",
                             "istio-ingressgateway-require-jwt", "-n", "istio-system", "--type",
                             "merge", "-p", '{"metadata":{"labels":{"edited-by":"x"}}}',
                             check=False)
            self.assertEqual(r.returncode == 0, who == "admin", who + ": " + r.stderr)
        self.assertEqual(checked, 9 * 2 * 9)

    def test_can_i_list(self):
        resources = [("", "secrets"), ("", "serviceaccounts"),
                     ("serving.kserve.io", "inferenceservices"),
                     ("security.istio.io", "authorizationpolicies"), (RBAC, "rolebindings")]
        for who in BINDINGS:
            for ns in (A, B):
                r = self.kubectl(who, "auth", "can-i", "--list", "-n", ns, check=False)
                if who == "anonymous":
                    # Anonymous may not even ask (no SelfSubjectRulesReview for it).
                    self.assertNotEqual(r.returncode, 0)
                    continue
                self.assertEqual(r.returncode, 0, r.stderr)
                listed = {}
                for line in r.stdout.splitlines()[1:]:
                    if not line or line.startswith(" ") or line.startswith("["):
                        continue
                    name = line.split()[0]
                    verbs = re.findall(r"\[([^\]]*)\]\s*$", line)
                    listed.setdefault(name, set()).update(verbs[0].split() if verbs else [])
                role = BINDINGS[who].get(ns)
                for group, res in resources:
                    key = res + ("." + group if group else "")
                    want = set()
                    for rule in self.rules.get(role, []):
                        if res in rule.get("resources", []) and group in rule["apiGroups"]:
                            want.update(rule["verbs"])
                    self.assertEqual(listed.get(key, set()), want, "%s in %s: %s" % (who, ns,
                                                                                    key))
        r = self.kubectl("admin", "auth", "can-i", "--list", "-n", A)
        self.assertRegex(r.stdout, r"(?m)^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]")

    # --- what Ferry installs ------------------------------------------------------------
    def test_pinned_roles_installed(self):
        objects = pinned_objects()
        self.assertGreaterEqual(len(objects), 12)
        for obj in objects:
            name = obj["metadata"]["name"]
            got = self.get_json("clusterrole", name)
            self.assertEqual(got["metadata"].get("labels"), obj["metadata"].get("labels"), name)
            self.assertEqual(got.get("aggregationRule"), obj.get("aggregationRule"), name)
            rules = [norm_rule(r) for r in got.get("rules") or []]
            want = [norm_rule(r) for r in self.rules[name]]
            self.assertCountEqual(rules, want, name)
            # As kubectl apply records it: the object with an (empty) annotations map.
            applied = json.loads(got["metadata"]["annotations"][LAST_APPLIED])
            want = json.loads(json.dumps(obj))
            want["metadata"].setdefault("annotations", {})
            self.assertEqual(applied, want, name)
        # Applying the same files again is an ordinary three-way apply (strategic merge).
        r = self.admin("apply", "-f", os.path.join(PINNED, "common", "kubeflow-roles", "base",
                                                   "cluster-roles.yaml"))
        self.assertNotIn("Warning", r.stderr)
        # What Ferry recorded is what kubectl computes: nothing to patch on a plain role...
        self.assertIn("clusterrole.rbac.authorization.k8s.io/kubeflow-kubernetes-edit unchanged",
                      r.stdout)
        # ...while an aggregated role gets its empty `rules` back, as on Kubernetes, and
        # aggregation fills them again.
        self.assertIn("clusterrole.rbac.authorization.k8s.io/kubeflow-edit configured", r.stdout)
        rules = [norm_rule(r) for r in self.get_json("clusterrole", "kubeflow-edit")["rules"]]
        self.assertCountEqual(rules, [norm_rule(r) for r in self.rules["kubeflow-edit"]])

    def test_apply_over_installed_objects_gives_no_warning(self):
        for path in ("ap.yaml", "ap_path.yaml"):
            r = self.admin("apply", "-f", os.path.join(SEED, path))
            self.assertNotIn("Warning", r.stderr)
            self.assertNotIn("last-applied-configuration", r.stderr)
        ns = self.get_json("namespace", "kubeflow")
        self.assertIn(LAST_APPLIED, ns["metadata"]["annotations"])

    # --- a Profile's objects ----------------------------------------------------------
    def test_profile_objects(self):
        beta = self.get_json("profiles.v1beta1.kubeflow.org", A)
        self.assertEqual(beta["apiVersion"], "kubeflow.org/v1beta1")
        profile = self.get_json("profile", A)
        self.assertEqual(profile["apiVersion"], "kubeflow.org/v1")
        self.assertIn("profile-finalizer", profile["metadata"]["finalizers"])
        self.assertEqual(profile["status"]["conditions"],
                         [{"type": "Successful", "status": "True"}])
        owner_ref = {"apiVersion": "kubeflow.org/v1", "kind": "Profile", "name": A,
                     "uid": profile["metadata"]["uid"], "controller": True,
                     "blockOwnerDeletion": True}
        ns = self.get_json("namespace", A)
        self.assertEqual(ns["metadata"]["annotations"], {"owner": ALICE})
        self.assertEqual(ns["metadata"]["labels"], {
            "istio-injection": "enabled",
            "katib.kubeflow.org/metrics-collector-injection": "enabled",
            "serving.kubeflow.org/inferenceservice": "enabled",
            "pipelines.kubeflow.org/enabled": "true",
            "app.kubernetes.io/part-of": "kubeflow-profile"})
        self.assertEqual(ns["metadata"]["ownerReferences"], [owner_ref])
        sas = {i["metadata"]["name"] for i in self.get_json("sa", "-n", A)["items"]}
        self.assertTrue({"default", "default-editor", "default-viewer"} <= sas, sas)
        for sa in ("default-editor", "default-viewer"):
            got = self.get_json("sa", sa, "-n", A)
            self.assertEqual(got["metadata"]["ownerReferences"], [owner_ref])
            rb = self.get_json("rolebinding", sa, "-n", A)
            self.assertEqual(rb["roleRef"], {"apiGroup": RBAC, "kind": "ClusterRole",
                                             "name": "kubeflow-" + sa.split("-")[1][:4]})
            self.assertEqual(rb["subjects"], [{"kind": "ServiceAccount", "name": sa,
                                               "namespace": A}])
        admin_rb = self.get_json("rolebinding", "namespaceAdmin", "-n", A)
        self.assertEqual(admin_rb["metadata"]["annotations"], {"user": ALICE, "role": "admin"})
        self.assertEqual(admin_rb["roleRef"]["name"], "kubeflow-admin")
        self.assertEqual(admin_rb["subjects"], [{"apiGroup": RBAC, "kind": "User",
                                                 "name": ALICE}])
        quota = self.get_json("resourcequota", "kf-resource-quota", "-n", A)
        self.assertEqual(quota["spec"], {"hard": {"cpu": "4", "memory": "8Gi"}})
        self.assertEqual(quota["metadata"]["ownerReferences"], [owner_ref])
        self.assertRaises(AssertionError, self.admin, "get", "resourcequota",
                          "kf-resource-quota", "-n", B)
        ap = self.get_json("authorizationpolicies.v1beta1.security.istio.io",
                           "ns-owner-access-istio", "-n", A)
        self.assertEqual(ap["metadata"]["annotations"], {"user": ALICE, "role": "admin"})
        self.assertEqual(ap["metadata"]["ownerReferences"], [owner_ref])
        self.assertEqual(ap["spec"], self.owner_policy_spec(A, ALICE))

    @staticmethod
    def owner_policy_spec(ns, owner):
        """getAuthorizationPolicy in Kubeflow's profile_controller.go (v1.9)."""
        return {"rules": [
            {"when": [{"key": "request.headers[kubeflow-userid]", "values": [owner]}],
             "from": [{"source": {"principals": [
                 "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
                 "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"]}}]},
            {"when": [{"key": "source.namespace", "values": [ns]}]},
            {"to": [{"operation": {"paths": ["/healthz", "/metrics", "/wait-for-drain"]}}]},
            {"from": [{"source": {"principals": [
                "cluster.local/ns/kubeflow/sa/notebook-controller-service-account"]}}],
             "to": [{"operation": {"methods": ["GET"], "paths": ["*/api/kernels"]}}]}]}

    def test_owner_policy_edit_reverted_and_deletion_recreated(self):
        want = self.owner_policy_spec(B, BOB)
        self.admin("patch", "authorizationpolicy", "ns-owner-access-istio", "-n", B, "--type",
                   "merge", "-p", '{"spec":{"rules":[{}]}}')
        self.wait_for(lambda: self.get_json("authorizationpolicy", "ns-owner-access-istio",
                                            "-n", B)["spec"] == want, what="the edit reverted")
        self.admin("delete", "authorizationpolicy", "ns-owner-access-istio", "-n", B)
        self.wait_for(lambda: self.admin("get", "authorizationpolicy", "ns-owner-access-istio",
                                         "-n", B, check=False).returncode == 0,
                      what="ns-owner-access-istio recreated")
        self.assertEqual(self.get_json("authorizationpolicy", "ns-owner-access-istio", "-n",
                                       B)["spec"], want)
        # The owner's RoleBinding is kept too.
        self.admin("delete", "rolebinding", "namespaceAdmin", "-n", B)
        self.wait_for(lambda: self.admin("get", "rolebinding", "namespaceAdmin", "-n", B,
                                         check=False).returncode == 0,
                      what="namespaceAdmin recreated")

    def test_namespace_of_another_owner_is_refused(self):
        self.admin("create", "namespace", "taken")
        self.admin("apply", "-f", "-", input=PROFILE_B.replace("team-b", "taken"))
        self.wait_for(lambda: self.get_json("profile", "taken").get("status"),
                      what="a status on Profile taken")
        cond = self.get_json("profile", "taken")["status"]["conditions"]
        self.assertEqual(cond, [{"type": "Failed", "status": "True", "message":
                                 "namespace already exist, but not owned by profile creator "
                                 + BOB}])
        self.assertNotIn("annotations", self.get_json("namespace", "taken")["metadata"])
        self.admin("delete", "profile", "taken")
        self.admin("get", "namespace", "taken")  # not the Profile's: kept

    # --- contributors -------------------------------------------------------------------
    def test_contributors_as_kfam_makes_them(self):
        for email, role in ((CAROL, "edit"), (DAVE, "view")):
            name = "user-%s-clusterrole-%s" % (re.sub("[^a-z0-9]+", "-", email), role)
            rb = self.get_json("rolebinding", name, "-n", A)
            self.assertEqual(rb["metadata"]["annotations"], {"user": email, "role": role})
            self.assertEqual(rb["roleRef"], {"apiGroup": RBAC, "kind": "ClusterRole",
                                             "name": "kubeflow-" + role})
            self.assertEqual(rb["subjects"], [{"apiGroup": RBAC, "kind": "User", "name": email}])
            ap = self.get_json("authorizationpolicy", name, "-n", A)
            self.assertEqual(ap["metadata"]["annotations"], {"user": email, "role": role})
            self.assertEqual(ap["spec"], {"rules": [
                {"when": [{"key": "request.headers[kubeflow-userid]", "values": [email]}],
                 "from": [{"source": {"principals": [
                     "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
                     "cluster.local/ns/kubeflow/sa/ml-pipeline-ui"]}}]}]})
        listed = self.contributor("owner", "list").stdout
        self.assertIn("%s\tedit\tuser-carol-example-com-clusterrole-edit" % CAROL, listed)
        self.assertIn("%s\tadmin\tnamespaceAdmin" % ALICE, listed)
        # KFAM's REST shape, as the dashboard calls it.
        with open(self.kc["owner"]) as f:
            token = [ln.split("token: ")[1] for ln in f if "token: " in ln][0]
        r = requests.get("https://127.0.0.1:%d/kfam/v1/bindings" % self.up.api_port,
                         params={"namespace": A, "role": "view"}, verify=False, timeout=10,
                         headers={"Authorization": "Bearer " + token.strip()})
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json(), {"bindings": [
            {"user": {"kind": "User", "name": DAVE}, "referredNamespace": A,
             "roleRef": {"kind": "ClusterRole", "name": "view"}}]})

    def test_contributor_changes_need_rolebinding_rights(self):
        # Another profile's owner, an edit contributor, a view contributor: refused.
        for who in ("bob", "contrib-edit", "contrib-view"):
            r = self.contributor(who, "add", "mallory@example.com", check=False)
            self.assertNotEqual(r.returncode, 0, who)
            self.assertIn("cannot create resource \"rolebindings\" in API group "
                          "\"rbac.authorization.k8s.io\" in the namespace \"team-a\"", r.stderr)
            r = self.contributor(who, "remove", DAVE, "--role", "view", check=False)
            self.assertNotEqual(r.returncode, 0, who)
            self.assertIn("cannot delete resource", r.stderr)
        r = self.contributor("owner", "add", "x@example.com", "--role", "admin", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("use edit or view", r.stderr)
        self.assertEqual(self.admin("get", "rolebinding", "-n", A, "-o", "name").stdout.count(
            "mallory"), 0)

    def test_mangling_and_removal(self):
        cases = {"Jane.Doe+ML@Example.COM": "user-jane-doe-ml-example-com-clusterrole-view",
                 "_odd__name_@x.io": "user-odd-name-x-io-clusterrole-view"}
        for email, name in cases.items():
            out = self.contributor("owner", "add", email, "--role", "view").stdout
            self.assertIn(name, out)
            self.admin("get", "rolebinding", name, "-n", A)
            self.admin("get", "authorizationpolicy", name, "-n", A)
            self.contributor("owner", "remove", email, "--role", "view")
            for kind in ("rolebinding", "authorizationpolicy"):
                r = self.admin("get", kind, name, "-n", A, check=False)
                self.assertIn("NotFound", r.stderr)

    def test_contributor_rights_follow_the_binding(self):
        self.kubectl("contrib-edit", "get", "inferenceservices", "-n", A)
        self.assertEqual(self.kubectl("contrib-edit", "auth", "can-i", "create",
                                      "inferenceservices", "-n", A).stdout.strip(), "yes")
        self.assertEqual(self.kubectl("contrib-view", "auth", "can-i", "create",
                                      "inferenceservices", "-n", A, check=False).stdout.strip(),
                         "no")

    # --- quota ------------------------------------------------------------------------
    def test_quota_counts_inferenceservices(self):
        """A profile's resourceQuotaSpec limits how many InferenceServices its users create,
        with kube-apiserver's own refusal, and `kubectl get/describe quota` show the usage."""
        key = "count/inferenceservices.serving.kserve.io"
        profile = PROFILE_A.replace("team-a", "team-q").replace('cpu: "4"',
                                                                 'cpu: "4"\n      %s: "1"' % key)
        self.admin("apply", "-f", "-", input=profile)
        try:
            self.admin("wait", "--for=condition=Successful", "profile/team-q", "--timeout=20s")
            self.wait_for(lambda: self.admin("auth", "can-i", "create", "inferenceservices",
                                             "-n", "team-q", "--as", ALICE,
                                             check=False).stdout.strip() == "yes",
                          what="alice is admin of team-q")
            with open(os.path.join(SEED, "is_mlflow.yaml")) as f:
                first = f.read()
            second = first.replace('"irish-s3"', '"irish-s3-b"')
            self.kubectl("owner", "apply", "-n", "team-q", "-f", "-", input=first)
            r = self.kubectl("owner", "apply", "-n", "team-q", "-f", "-", input=second,
                             check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('Error from server (Forbidden): error when creating "STDIN": '
                          'inferenceservices.serving.kserve.io "irish-s3-b" is forbidden: '
                          "exceeded quota: kf-resource-quota, requested: %s=1, used: %s=1, "
                          "limited: %s=1" % (key, key, key), r.stderr)
            self.assertIn("NotFound", self.admin("get", "isvc", "irish-s3-b", "-n", "team-q",
                                                 check=False).stderr)
            table = self.admin("get", "quota", "-n", "team-q").stdout
            self.assertIn("%s: 1/1, cpu: 0/4, memory: 0/8Gi" % key, table)
            described = self.admin("describe", "quota", "kf-resource-quota", "-n",
                                   "team-q").stdout
            self.assertRegex(described, r"%s\s+1\s+1" % re.escape(key))
            # The admin raises the limit in the Profile; the controller updates the quota.
            self.admin("apply", "-f", "-", input=profile.replace('%s: "1"' % key,
                                                                  '%s: "2"' % key))
            self.wait_for(lambda: self.get_json("quota", "kf-resource-quota", "-n", "team-q")
                          .get("status", {}).get("hard", {}).get(key) == "2",
                          what="the raised quota")
            self.kubectl("owner", "apply", "-n", "team-q", "-f", "-", input=second)
            self.assertIn("%s: 2/2" % key, self.admin("get", "quota", "-n", "team-q").stdout)
        finally:
            self.admin("delete", "profile", "team-q", "--wait=false", check=False)

    # --- deletion ---------------------------------------------------------------------
    def test_zz_profile_deletion_cascades(self):
        self.admin("apply", "-f", "-", input=PROFILE_B.replace("team-b", "team-c"))
        self.admin("wait", "--for=condition=Successful", "profile/team-c", "--timeout=20s")
        self.admin("apply", "-n", "team-c", "-f", os.path.join(SEED, "sa.yaml"))
        self.admin("apply", "-n", "team-c", "-f", os.path.join(SEED, "is_mlflow.yaml"))
        self.admin("delete", "profile", "team-c")
        self.wait_for(lambda: self.admin("get", "profile", "team-c", check=False).returncode != 0,
                      what="Profile team-c gone")
        r = self.admin("get", "namespace", "team-c", check=False)
        self.assertIn('namespaces "team-c" not found', r.stderr)
        for kind in ("inferenceservices", "secrets", "serviceaccounts", "rolebindings",
                     "authorizationpolicies", "resourcequotas"):
            r = self.admin("get", kind, "-n", "team-c", "-o", "name")
            self.assertEqual(r.stdout.strip(), "", kind)


if __name__ == "__main__":
    unittest.main(verbosity=2)
