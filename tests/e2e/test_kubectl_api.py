"""E2E: the real kubectl (v1.32 via /usr/bin/kubectl) and python3-kubernetes
against ferry_api_testserver (HttpServer over TLS + ApiServer + SQLite store).

Run with /usr/bin/python3; FERRY_API_TESTSERVER names the test server binary.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

import requests
import urllib3

KUBECTL = "/usr/bin/kubectl"
SERVER_BIN = os.environ.get("FERRY_API_TESTSERVER", "")
NS = "kubeflow-user-example-com"
TOKEN = "e2e-admin-token"

SA_YAML = textwrap.dedent("""\
    apiVersion: v1
    kind: Secret
    metadata:
      name: s3creds
      namespace: kubeflow-user-example-com
      annotations:
        serving.kserve.io/s3-endpoint: 127.0.0.1:9000
        serving.kserve.io/s3-usehttps: "0"
        serving.kserve.io/s3-region: us-east-1
    type: Opaque
    stringData:
      AWS_ACCESS_KEY_ID: minio
      AWS_SECRET_ACCESS_KEY: minio123
    ---
    apiVersion: v1
    kind: ServiceAccount
    metadata:
      name: sa
      namespace: kubeflow-user-example-com
    secrets:
    - name: s3creds
    """)


def isvc_yaml(name, uri="s3://models/iris", extra=""):
    return textwrap.dedent(f"""\
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: {name}
          namespace: kubeflow-user-example-com
        spec:
          predictor:
            serviceAccountName: sa
            model:
              modelFormat:
                name: mlflow
              storageUri: {uri}
        """) + extra


AP_YAML = textwrap.dedent("""\
    apiVersion: security.istio.io/v1beta1
    kind: AuthorizationPolicy
    metadata:
      name: istio-ingressgateway-require-jwt
      namespace: istio-system
    spec:
      action: DENY
      selector:
        matchLabels:
          app: istio-ingressgateway
      rules:
      - from:
        - source:
            notRequestPrincipals: ["*"]
    """)

SVC_YAML = textwrap.dedent("""\
    apiVersion: v1
    kind: Service
    metadata:
      name: istio-ingressgateway
      namespace: istio-system
    spec:
      selector:
        app: istio-ingressgateway
      ports:
      - name: http2
        port: 80
        targetPort: 8080
      - name: https
        port: 443
        targetPort: 8443
    """)

EDITOR_SH = textwrap.dedent("""\
    #!/bin/sh
    # Idempotent: kubectl re-opens the editor when a save fails.
    grep -q edited-by "$1" && exit 0
    /usr/bin/python3 - "$1" <<'PY'
    import sys, yaml
    p = sys.argv[1]
    d = yaml.safe_load(open(p))
    d["metadata"].setdefault("labels", {})["edited-by"] = "script"
    d["spec"]["rules"][0]["from"][0]["source"]["notRequestPrincipals"].append("nobody@example.com")
    open(p, "w").write(yaml.safe_dump(d))
    PY
    """)


class KubectlApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not SERVER_BIN or not os.path.exists(SERVER_BIN):
            raise unittest.SkipTest("FERRY_API_TESTSERVER is not set to the test server binary")
        if not os.access(KUBECTL, os.X_OK):
            raise unittest.SkipTest(KUBECTL + " is not installed")
        cls.tmp = tempfile.mkdtemp(prefix="ferry-kubectl-")
        # The server generates its self-signed certificate (EnsureSelfSignedCert).
        cert, key = os.path.join(cls.tmp, "tls.crt"), os.path.join(cls.tmp, "tls.key")
        cls.cert = cert
        cls.kubeconfig = os.path.join(cls.tmp, "kubeconfig")
        cls.proc = subprocess.Popen(
            [SERVER_BIN, "--data-dir", os.path.join(cls.tmp, "data"), "--kubeconfig",
             cls.kubeconfig, "--token", TOKEN, "--tls-cert", cert, "--tls-key", key,
             "--namespace", NS, "--namespace", "istio-system"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline()
        if not line.startswith("READY "):
            cls.proc.kill()
            raise RuntimeError("test server did not start: " + line)
        cls.base = "https://127.0.0.1:" + line.split()[1]
        urllib3.disable_warnings()
        cls.kubectl("apply", "-f", "-", input=SA_YAML)

    @classmethod
    def tearDownClass(cls):
        cls.proc.stdin.close()
        try:
            cls.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def kubectl(cls, *args, input=None, check=True, env=None, kubeconfig=None, timeout=60):
        cmd = [KUBECTL, "--kubeconfig", kubeconfig or cls.kubeconfig,
               "--cache-dir", os.path.join(cls.tmp, "cache"), *args]
        r = subprocess.run(cmd, input=input, capture_output=True, text=True, env=env,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr}")
        return r

    def http(self, method, path, **kw):
        headers = kw.pop("headers", {})
        headers["Authorization"] = "Bearer " + TOKEN
        return requests.request(method, self.base + path, headers=headers, verify=False,
                                timeout=10, **kw)

    def set_ready(self, name, status="True"):
        body = {"status": {"url": f"http://{name}.{NS}.example.com",
                           "conditions": [{"type": "Ready", "status": status}]}}
        r = self.http("PATCH", f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/"
                      f"inferenceservices/{name}/status", data=json.dumps(body),
                      headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(r.status_code, 200, r.text)
        return r.json()

    # --- Secret + ServiceAccount ---------------------------------------------------
    def test_secret_and_serviceaccount(self):
        r = self.kubectl("apply", "-f", "-", input=SA_YAML)
        self.assertIn("serviceaccount/sa unchanged", r.stdout)
        secret = json.loads(self.kubectl("get", "secret", "s3creds", "-n", NS, "-o", "json").stdout)
        self.assertNotIn("stringData", secret)
        self.assertEqual(base64.b64decode(secret["data"]["AWS_ACCESS_KEY_ID"]), b"minio")
        self.assertEqual(secret["metadata"]["annotations"]["serving.kserve.io/s3-endpoint"],
                         "127.0.0.1:9000")
        out = self.kubectl("get", "secret,sa", "-n", NS).stdout
        self.assertRegex(out, r"NAME\s+TYPE\s+DATA\s+AGE")
        self.assertRegex(out, r"secret/s3creds\s+Opaque\s+2\s")
        self.assertRegex(out, r"serviceaccount/sa\s+1\s")

    def test_strategic_merge_keeps_list_entries_by_key(self):
        self.kubectl("apply", "-f", "-", input="apiVersion: v1\nkind: ServiceAccount\n"
                     f"metadata:\n  name: merge-sa\n  namespace: {NS}\n")
        self.kubectl("patch", "sa", "merge-sa", "-n", NS, "-p", '{"secrets":[{"name":"a"}]}')
        self.kubectl("patch", "sa", "merge-sa", "-n", NS, "-p", '{"secrets":[{"name":"b"}]}')
        sa = json.loads(self.kubectl("get", "sa", "merge-sa", "-n", NS, "-o", "json").stdout)
        self.assertEqual([s["name"] for s in sa["secrets"]], ["a", "b"])
        self.kubectl("patch", "sa", "merge-sa", "-n", NS, "-p",
                     '{"secrets":[{"name":"a","$patch":"delete"}]}')
        sa = json.loads(self.kubectl("get", "sa", "merge-sa", "-n", NS, "-o", "json").stdout)
        self.assertEqual([s["name"] for s in sa["secrets"]], ["b"])

    def test_kubectl_create_generators_protobuf(self):
        # kubectl's typed clients POST protobuf for these.
        self.kubectl("create", "namespace", "team-gen")
        self.kubectl("create", "serviceaccount", "bot", "-n", "team-gen")
        self.kubectl("create", "secret", "generic", "s1", "--from-literal=k=v", "-n", "team-gen")
        self.kubectl("create", "configmap", "c1", "--from-literal=x=y", "-n", "team-gen")
        self.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080", "-n", "team-gen")
        svc = json.loads(self.kubectl("get", "svc", "web", "-n", "team-gen", "-o", "json").stdout)
        self.assertEqual(svc["spec"]["ports"][0]["targetPort"], 8080)
        secret = json.loads(self.kubectl("get", "secret", "s1", "-n", "team-gen", "-o",
                                         "json").stdout)
        self.assertEqual(secret["type"], "Opaque")
        self.assertEqual(base64.b64decode(secret["data"]["k"]), b"v")
        out = self.kubectl("get", "ns").stdout
        self.assertRegex(out, r"team-gen\s+Active\s")
        self.kubectl("delete", "namespace", "team-gen")
        r = self.kubectl("get", "sa", "bot", "-n", "team-gen", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn('namespaces "team-gen" not found', r.stderr)  # kubectl checks the ns first

    # --- InferenceService ---------------------------------------------------------
    def test_isvc_apply_get_describe_delete(self):
        name = "irish-s3"
        r = self.kubectl("apply", "-f", "-", input=isvc_yaml(name))
        self.assertIn(f"inferenceservice.serving.kserve.io/{name} created", r.stdout)
        r = self.kubectl("apply", "-f", "-", input=isvc_yaml(name))
        self.assertIn(f"inferenceservice.serving.kserve.io/{name} unchanged", r.stdout)
        r = self.kubectl("apply", "-f", "-", input=isvc_yaml(name, "s3://models/iris-v2"))
        self.assertIn(f"inferenceservice.serving.kserve.io/{name} configured", r.stdout)
        obj = json.loads(self.kubectl("get", "isvc", name, "-n", NS, "-o", "json").stdout)
        self.assertEqual(obj["metadata"]["generation"], 2)
        self.assertEqual(obj["spec"]["predictor"]["model"]["protocolVersion"], "v2")  # mlflow
        self.assertTrue(obj["metadata"]["uid"])
        self.set_ready(name)
        out = self.kubectl("get", "inferenceservice", "-A").stdout
        self.assertRegex(out.splitlines()[0],
                         r"^NAMESPACE\s+NAME\s+URL\s+READY\s+PREV\s+LATEST\s+AGE$")
        self.assertRegex(out, rf"{NS}\s+{name}\s+http://{name}\.{NS}\.example\.com\s+True\s")
        wide = self.kubectl("get", "isvc", "-n", NS, "-o", "wide").stdout
        self.assertIn("PREVROLLEDOUTREVISION", wide)
        self.assertIn("LATESTREADYREVISION", wide)
        self.assertIn("storageUri: s3://models/iris-v2",
                      self.kubectl("get", "isvc", name, "-n", NS, "-o", "yaml").stdout)
        obj2 = json.loads(self.kubectl("get", "isvc", name, "-n", NS, "-o", "json").stdout)
        self.assertEqual(obj2["metadata"]["generation"], 2, "status writes keep generation")
        self.http("POST", f"/api/v1/namespaces/{NS}/events", json={
            "metadata": {"name": name + ".1"},
            "involvedObject": {"kind": "InferenceService", "namespace": NS, "name": name,
                               "uid": obj["metadata"]["uid"]},
            "reason": "Loaded", "message": "model is ready", "type": "Normal", "count": 1})
        desc = self.kubectl("describe", "inferenceservice", name, "-n", NS).stdout
        self.assertIn("Storage Uri:", desc)
        self.assertIn("model is ready", desc)
        r = self.kubectl("delete", "-f", "-", input=isvc_yaml(name))
        self.assertIn(f'inferenceservice.serving.kserve.io "{name}" deleted', r.stdout)
        r = self.kubectl("get", "isvc", name, "-n", NS, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f'Error from server (NotFound): inferenceservices.serving.kserve.io '
                      f'"{name}" not found', r.stderr)

    def test_isvc_errors(self):
        self.kubectl("apply", "-f", "-", input=isvc_yaml("dup"))
        r = self.kubectl("create", "-f", "-", input=isvc_yaml("dup"), check=False)
        self.assertIn('Error from server (AlreadyExists): error when creating "STDIN": '
                      'inferenceservices.serving.kserve.io "dup" already exists', r.stderr)
        bad = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n" \
              f"metadata:\n  name: bad-isvc\n  namespace: {NS}\nspec:\n  predictorr: {{}}\n"
        r = self.kubectl("apply", "-f", "-", input=bad, check=False)
        self.assertIn('Error from server (BadRequest): error when creating "STDIN": '
                      'InferenceService in version "v1beta1" cannot be handled as a '
                      'InferenceService: strict decoding error: unknown field '
                      '"spec.predictorr"', r.stderr)
        r = self.kubectl("apply", "--validate=false", "-f", "-", input=bad, check=False)
        self.assertIn('The InferenceService "bad-isvc" is invalid: spec.predictor: '
                      'Required value', r.stderr)
        proto = isvc_yaml("bad-proto").replace("storageUri", "protocolVersion: v3\n      storageUri")
        r = self.kubectl("apply", "-f", "-", input=proto, check=False)
        self.assertIn("spec.predictor.model.protocolVersion: Unsupported value", r.stderr)
        r = self.kubectl("patch", "isvc", "dup", "-n", NS, "-p", '{"spec":{}}', check=False)
        self.assertIn("error: application/strategic-merge-patch+json is not supported by "
                      "serving.kserve.io/v1beta1, Kind=InferenceService: the body of the request "
                      "was in an unknown format - accepted media types include: "
                      "application/json-patch+json, application/merge-patch+json, "
                      "application/apply-patch+yaml", r.stderr)
        r = self.kubectl("apply", "-f", "-", input=isvc_yaml("x").replace(NS, "missing-ns"),
                         check=False)
        self.assertIn('namespaces "missing-ns" not found', r.stderr)

    def test_yaml_bomb_is_refused_and_server_keeps_serving(self):
        # "Billion laughs": nine levels of ten aliases would expand to 10^9
        # values; server-side apply refuses it with 400 before expanding it.
        bomb = "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n" \
               "metadata: {name: bomb, namespace: %s}\n" % NS
        bomb += "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in range(1, 10):
            bomb += "a%d: &a%d [%s]\n" % (i, i, ", ".join(["*a%d" % (i - 1)] * 10))
        path = f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices/bomb"
        r = self.http("PATCH", path + "?fieldManager=e2e", data=bomb,
                      headers={"Content-Type": "application/apply-patch+yaml"})
        self.assertEqual(r.status_code, 400, r.text[:300])
        self.assertIn("expands to more than", r.json()["message"])
        self.assertEqual(self.http("GET", path).status_code, 404)  # nothing stored
        self.kubectl("get", "isvc", "-n", NS)

    def test_conflict_on_stale_resource_version(self):
        self.kubectl("apply", "-f", "-", input=isvc_yaml("conflict"))
        obj = self.http("GET", f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/"
                        "inferenceservices/conflict").json()
        obj["spec"]["predictor"]["model"]["storageUri"] = "s3://a"
        path = f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices/conflict"
        self.assertEqual(self.http("PUT", path, json=obj).status_code, 200)
        r = self.http("PUT", path, json=obj)  # same, now stale resourceVersion
        self.assertEqual(r.status_code, 409)
        self.assertEqual(r.json()["reason"], "Conflict")
        self.assertIn("the object has been modified", r.json()["message"])

    def test_unauthorized(self):
        bad = os.path.join(self.tmp, "bad-kubeconfig")
        with open(self.kubeconfig) as f, open(bad, "w") as g:
            g.write(f.read().replace(TOKEN, "wrong-token"))
        r = self.kubectl("get", "isvc", "-n", NS, kubeconfig=bad, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Unauthorized", r.stderr)
        # No credential at all is system:anonymous, which RBAC refuses (403, as Kubernetes).
        r = requests.get(self.base + "/api/v1/namespaces", verify=False)
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.json()["message"],
                         'namespaces is forbidden: User "system:anonymous" cannot list resource '
                         '"namespaces" in API group "" at the cluster scope')

    # --- Istio + Service ------------------------------------------------------------
    def test_edit_authorizationpolicy(self):
        self.kubectl("apply", "-f", "-", input=AP_YAML)
        out = self.kubectl("get", "authorizationpolicy", "-A").stdout
        self.assertRegex(out.splitlines()[0], r"^NAMESPACE\s+NAME\s+ACTION\s+AGE$")
        self.assertRegex(out, r"istio-ingressgateway-require-jwt\s+DENY\s")
        editor = os.path.join(self.tmp, "editor.sh")
        with open(editor, "w") as f:
            f.write(EDITOR_SH)
        os.chmod(editor, 0o755)
        env = dict(os.environ, EDITOR=editor)
        r = self.kubectl("edit", "authorizationpolicy", "istio-ingressgateway-require-jwt",
                         "-n", "istio-system", env=env)
        self.assertIn("authorizationpolicy.security.istio.io/istio-ingressgateway-require-jwt "
                      "edited", r.stdout)
        ap = json.loads(self.kubectl("get", "ap", "istio-ingressgateway-require-jwt", "-n",
                                     "istio-system", "-o", "json").stdout)
        self.assertEqual(ap["apiVersion"], "security.istio.io/v1")
        self.assertEqual(ap["metadata"]["labels"]["edited-by"], "script")
        self.assertEqual(ap["spec"]["rules"][0]["from"][0]["source"]["notRequestPrincipals"],
                         ["*", "nobody@example.com"])
        bad = AP_YAML.replace("istio-ingressgateway-require-jwt", "deny-nothing").split("  rules:")[0]
        r = self.kubectl("apply", "-f", "-", input=bad, check=False)
        self.assertIn('The AuthorizationPolicy "deny-nothing" is invalid: spec.rules: Required '
                      'value', r.stderr)

    def test_patch_service(self):
        self.kubectl("apply", "-f", "-", input=SVC_YAML)
        out = self.kubectl("get", "svc", "-n", "istio-system").stdout
        self.assertRegex(out.splitlines()[0],
                         r"^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$")
        self.assertRegex(out, r"istio-ingressgateway\s+ClusterIP\s+10\.96\.\S+\s+<none>\s+"
                              r"80/TCP,443/TCP\s")
        r = self.kubectl("patch", "svc", "istio-ingressgateway", "-n", "istio-system", "-p",
                         '{"spec": {"type": "LoadBalancer"}}')
        self.assertIn("service/istio-ingressgateway patched", r.stdout)
        r = self.kubectl("patch", "svc", "istio-ingressgateway", "-n", "istio-system", "-p",
                         '{"spec": {"type": "LoadBalancer"}}')
        self.assertIn("service/istio-ingressgateway patched (no change)", r.stdout)
        out = self.kubectl("get", "svc", "-n", "istio-system").stdout
        self.assertRegex(out, r"LoadBalancer\s+10\.96\.\S+\s+<pending>\s+80:\d+/TCP,443:\d+/TCP")
        # Strategic merge by port: only the 443 entry changes.
        self.kubectl("patch", "svc", "istio-ingressgateway", "-n", "istio-system", "-p",
                     '{"spec":{"ports":[{"port":443,"name":"https-new"}]}}')
        r = self.kubectl("patch", "svc", "istio-ingressgateway", "-n", "istio-system",
                         "--type=json", "-p",
                         '[{"op":"replace","path":"/spec/ports/0/port","value":8081}]')
        self.assertIn("patched", r.stdout)
        svc = json.loads(self.kubectl("get", "svc", "istio-ingressgateway", "-n",
                                      "istio-system", "-o", "json").stdout)
        self.assertEqual([(p["name"], p["port"]) for p in svc["spec"]["ports"]],
                         [("http2", 8081), ("https-new", 443)])

    # --- Watch ----------------------------------------------------------------------
    def test_get_watch_and_wait(self):
        proc = subprocess.Popen(
            [KUBECTL, "--kubeconfig", self.kubeconfig, "--cache-dir",
             os.path.join(self.tmp, "cache"), "get", "isvc", "-n", NS, "-w"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(1.5)
            self.kubectl("apply", "-f", "-", input=isvc_yaml("watched"))
            waiter = subprocess.Popen(
                [KUBECTL, "--kubeconfig", self.kubeconfig, "--cache-dir",
                 os.path.join(self.tmp, "cache"), "wait", "--for=condition=Ready",
                 "isvc/watched", "-n", NS, "--timeout=20s"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
            self.set_ready("watched")
            out, err = waiter.communicate(timeout=30)
            self.assertEqual(waiter.returncode, 0, err)
            self.assertIn("inferenceservice.serving.kserve.io/watched condition met", out)
            self.kubectl("delete", "isvc", "watched", "-n", NS)
            time.sleep(1.0)
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=10)
        rows = [l for l in out.splitlines() if l.startswith("watched")]
        self.assertGreaterEqual(len(rows), 3, out)  # ADDED, MODIFIED (ready), DELETED
        self.assertTrue(any("True" in l for l in rows), out)

    def test_watch_timeout_ends_stream(self):
        start = time.time()
        r = self.http("GET", f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/"
                      "inferenceservices?watch=true&resourceVersion=0&timeoutSeconds=1",
                      stream=True)
        self.assertEqual(r.status_code, 200)
        lines = [json.loads(l) for l in r.iter_lines() if l]
        self.assertLess(time.time() - start, 5)
        self.assertTrue(all(e["type"] == "ADDED" for e in lines))

    # --- Tokens ---------------------------------------------------------------------
    def test_create_token(self):
        tok = self.kubectl("create", "token", "sa", "-n", NS, "--audience", "ferry",
                           "--duration", "20m").stdout.strip()
        header, payload, _ = tok.split(".")
        pad = lambda s: s + "=" * (-len(s) % 4)
        claims = json.loads(base64.urlsafe_b64decode(pad(payload)))
        self.assertEqual(claims["sub"], f"system:serviceaccount:{NS}:sa")
        self.assertEqual(claims["aud"], ["ferry"])
        self.assertEqual(claims["exp"] - claims["iat"], 1200)
        self.assertEqual(json.loads(base64.urlsafe_b64decode(pad(header)))["alg"], "RS256")
        # Verified TLS: the generated certificate names 127.0.0.1.
        jwks = requests.get(self.base + "/openid/v1/jwks", verify=self.cert).json()
        self.assertEqual(jwks["keys"][0]["kty"], "RSA")
        r = self.kubectl("create", "token", "nosuchsa", "-n", NS, check=False)
        self.assertIn('serviceaccounts "nosuchsa" not found', r.stderr)

    # --- python3-kubernetes -----------------------------------------------------------
    def test_custom_objects_api(self):
        from kubernetes import client
        cfg = client.Configuration()
        cfg.host = self.base
        cfg.verify_ssl = False
        cfg.api_key = {"authorization": "Bearer " + TOKEN}
        api_client = client.ApiClient(cfg)
        self.addCleanup(api_client.close)
        api = client.CustomObjectsApi(api_client)
        g, v, p = "serving.kserve.io", "v1beta1", "inferenceservices"
        body = {"apiVersion": f"{g}/{v}", "kind": "InferenceService",
                "metadata": {"name": "py-isvc", "labels": {"via": "python"}},
                "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"},
                                                 "storageUri": "s3://m/py"}}}}
        created = api.create_namespaced_custom_object(g, v, NS, p, body)
        self.assertEqual(created["spec"]["predictor"]["model"]["protocolVersion"], "v1")
        got = api.get_namespaced_custom_object(g, v, NS, p, "py-isvc")
        self.assertEqual(got["metadata"]["uid"], created["metadata"]["uid"])
        items = api.list_namespaced_custom_object(g, v, NS, p, label_selector="via=python")
        self.assertEqual([i["metadata"]["name"] for i in items["items"]], ["py-isvc"])
        everywhere = api.list_cluster_custom_object(g, v, p)
        self.assertIn("py-isvc", [i["metadata"]["name"] for i in everywhere["items"]])
        patched = api.patch_namespaced_custom_object(
            g, v, NS, p, "py-isvc", {"metadata": {"labels": {"via": "patch"}}})
        self.assertEqual(patched["metadata"]["labels"]["via"], "patch")
        api.delete_namespaced_custom_object(g, v, NS, p, "py-isvc")
        with self.assertRaises(client.exceptions.ApiException) as ctx:
            api.get_namespaced_custom_object(g, v, NS, p, "py-isvc")
        self.assertEqual(ctx.exception.status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
