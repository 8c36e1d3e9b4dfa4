#!/usr/bin/python3
"""`ferry export` of the seed scenario, end to end:

1. The tutorial on `ferry up` (kubeflow profile): a Profile, sa.yaml,
   is_mlflow.yaml, the two AuthorizationPolicies of ap_path.yaml and ap.yaml,
   the edit of istio-ingressgateway-require-jwt, plus a model served from a
   local path.
2. `ferry export --runtime ferry --upload-to ... --s3-endpoint ...` from the
   running API, and again from the data directory with `ferry up` stopped
   (same objects).
3. What comes out: exactly the user's objects (Kubeflow's unchanged defaults
   and Ferry's own left out), no server-set metadata or status, and every
   KServe/Kubeflow object accepted by the CRD schemas of KServe 0.13-0.15
   (unknown fields refused) and Kubeflow's Profile CRD; every
   InferenceService resolves to Ferry's runtime next to the stock runtimes
   and its merged container passes Knative's rules.
4. The printed `aws s3 cp` uploads the local model, and the export applied
   to a fresh `ferry up` (its S3 endpoint put back to the test server) serves
   both models: the file is usable as is.

Run with /usr/bin/python3 (Debian's requests, yaml, jsonschema, awscli).
"""
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
import kserve_rules as kr  # noqa: E402
from ferrytest import FERRY_BIN, SEED_REQUEST, Up  # noqa: E402

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed")
DEPLOY = os.path.join(kr.REPO, "deploy", "kserve")
RUN = "1/d9a3dd7164bd423b9482ab8a77316c33/artifacts/iris_model"
NS = "my-profile"
UPLOAD = "s3://mlflow/exported"
CLUSTER_S3 = "minio-service.kubeflow:9000"

LOCAL_ISVC = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris-local
  labels:
    team: fraud
spec:
  predictor:
    serviceAccountName: sa
    model:
      modelFormat:
        name: mlflow
      protocolVersion: v2
      storageUri: file://%s
"""


def seed_text(name, replace=None):
    with open(os.path.join(SEED, name)) as f:
        text = f.read()
    for k, v in (replace or {}).items():
        text = text.replace(k, v)
    return text


def sa_yaml():
    endpoint, access, key = ferrytest.ensure_s3()
    return seed_text("sa.yaml", {"S3_ENDPOINT_HOSTPORT": endpoint.split("://")[1],
                                 "S3_ACCESS_KEY": access, "S3_SECRET_KEY": key})


def export(args, env=None):
    p = subprocess.run([FERRY_BIN, "export"] + args, capture_output=True, text=True, timeout=60,
                       env=env)
    return p


def docs_of(text):
    return [d for d in yaml.safe_load_all(text) if d]


def key(d):
    return "%s %s/%s" % (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])


def profile_manifest():
    return ("apiVersion: kubeflow.org/v1\nkind: Profile\nmetadata:\n  name: %s\n"
            "spec:\n  owner:\n    kind: User\n    name: user@example.com\n" % NS)


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.models = ferrytest.mlflow_models()
        ferrytest.s3_upload(os.path.join(cls.models, "iris_tensor"), "s3://mlflow/" + RUN + "/")
        cls.local = tempfile.mkdtemp(prefix="ferry-export-model-")
        shutil.copytree(os.path.join(cls.models, "iris_tensor"), cls.local, dirs_exist_ok=True)
        cls.tmp = tempfile.mkdtemp(prefix="ferry-export-")
        cls.up = up = Up(extra=["--allow-local-models", cls.local])
        up.kubectl("apply", "-f", "-", input=profile_manifest())
        up.kubectl("wait", "--for=jsonpath={.metadata.name}=default-editor",
                   "serviceaccount/default-editor", "-n", NS, "--timeout=20s")
        up.kubectl("apply", "-n", NS, "-f", "-", input=sa_yaml())
        up.kubectl("apply", "-n", NS, "-f", os.path.join(SEED, "is_mlflow.yaml"))
        up.kubectl("apply", "-n", NS, "-f", "-", input=LOCAL_ISVC % cls.local)
        up.kubectl("apply", "-f", os.path.join(SEED, "ap_path.yaml"))
        up.kubectl("apply", "-f", os.path.join(SEED, "ap.yaml"))
        # The tutorial's `kubectl edit` of require-jwt: /v1/* and /v2/* added to notPaths.
        up.kubectl("patch", "authorizationpolicy", "istio-ingressgateway-require-jwt", "-n",
                   "istio-system", "--type", "json", "-p",
                   '[{"op": "add", "path": "/spec/rules/0/to/0/operation/notPaths/-",'
                   ' "value": "/v1/*"}, {"op": "add", "path":'
                   ' "/spec/rules/0/to/0/operation/notPaths/-", "value": "/v2/*"}]')
        for name in ("irish-s3", "iris-local"):
            up.kubectl("wait", "--for=condition=Ready", "inferenceservice/" + name, "-n", NS,
                       "--timeout=60s")
        cls.args = ["--data-dir", up.data_dir, "--runtime", "ferry", "--upload-to", UPLOAD,
                    "--s3-endpoint", CLUSTER_S3]
        cls.out = os.path.join(cls.tmp, "export.yaml")
        cls.online = export(cls.args + ["-o", cls.out])
        up.stop()
        cls.offline = export(cls.args)  # the store, ferry up stopped

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.up.data_dir, ignore_errors=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)
        shutil.rmtree(cls.local, ignore_errors=True)

    def docs(self):
        self.assertEqual(self.online.returncode, 0, self.online.stderr)
        with open(self.out) as f:
            return docs_of(f.read())

    def test_exactly_the_users_objects(self):
        self.assertEqual([key(d) for d in self.docs()], [
            "Profile /my-profile",
            "Secret my-profile/s3creds",
            "ServiceAccount my-profile/sa",
            "AuthorizationPolicy istio-system/allowlist-by-paths",
            "AuthorizationPolicy istio-system/istio-ingressgateway-oauth2-proxy",
            "AuthorizationPolicy istio-system/istio-ingressgateway-require-jwt",
            "InferenceService my-profile/iris-local",
            "InferenceService my-profile/irish-s3",
        ])
        self.assertEqual(oct(os.stat(self.out).st_mode & 0o777), "0o600")
        # The changed Kubeflow defaults are pointed out, in the file and on stderr.
        with open(self.out) as f:
            text = f.read()
        for name in ("istio-ingressgateway-oauth2-proxy", "istio-ingressgateway-require-jwt"):
            self.assertIn("AuthorizationPolicy istio-system/%s is one of Kubeflow's defaults"
                          % name, text)
            self.assertIn(name, self.online.stderr)
        self.assertIn("wrote 8 objects", self.online.stderr)
        self.assertNotIn("no ServiceAccount", self.online.stderr)

    def test_offline_export_from_the_data_directory(self):
        self.assertEqual(self.offline.returncode, 0, self.offline.stderr)
        self.assertIn("reading the store in", self.offline.stderr)
        self.assertEqual(docs_of(self.offline.stdout), self.docs())

    def test_rewrites(self):
        docs = {key(d): d for d in self.docs()}
        seed = docs["InferenceService my-profile/irish-s3"]
        with open(os.path.join(SEED, "is_mlflow.yaml")) as f:
            want = yaml.safe_load(f)
        want["metadata"]["namespace"] = NS
        want["spec"]["predictor"]["model"]["runtime"] = "ferry"
        self.assertEqual(seed, want)  # the tutorial's file + runtime, nothing server-set
        local = docs["InferenceService my-profile/iris-local"]
        self.assertEqual(local["spec"]["predictor"]["model"]["storageUri"],
                         UPLOAD + "/my-profile/iris-local")
        self.assertEqual(local["metadata"]["labels"], {"team": "fraud"})
        secret = docs["Secret my-profile/s3creds"]
        self.assertEqual(secret["metadata"]["annotations"]["serving.kserve.io/s3-endpoint"],
                         CLUSTER_S3)
        self.assertEqual(sorted(secret["data"]), ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
        for d in docs.values():
            self.assertNotIn("status", d)
            self.assertLessEqual(set(d["metadata"]), {"name", "namespace", "labels",
                                                      "annotations"}, key(d))

    def test_schemas_admission_and_selection(self):
        docs = self.docs()
        ours = []
        for name in ("cluster-serving-runtime.yaml", "cluster-serving-runtime-grpc.yaml"):
            with open(os.path.join(DEPLOY, "runtimes", name)) as f:
                ours += docs_of(f.read())
        checked = 0
        for version, ks in ((v, kr.KServe(v)) for v in kr.VERSIONS):
            validator = kr.SchemaValidator(ks, [kr.load_crd(kr.PROFILE_CRD)])
            for d in docs:
                if d["apiVersion"].startswith(("serving.kserve.io/", "kubeflow.org/")):
                    self.assertEqual(validator.errors(d), [], (version, key(d)))
                    checked += 1
                if d["kind"] != "InferenceService":
                    continue
                model = d["spec"]["predictor"]["model"]
                rt, protocol = kr.resolve_runtime(model, [], ks.stock_runtimes + ours, ks.minor)
                self.assertEqual((rt["metadata"]["name"], protocol), ("ferry", "v2"))
                c = kr.kserve_container(rt, d)
                self.assertEqual(kr.knative_refusals(c), [], key(d))
                self.assertIn("--model_name=" + d["metadata"]["name"], c["args"])
        self.assertEqual(checked, 3 * 3)

    def test_upload_and_apply_to_a_fresh_ferry_up(self):
        with open(self.out) as f:
            text = f.read()
        commands = [ln[len("#   "):] for ln in text.splitlines() if ln.startswith("#   aws s3 cp")]
        self.assertEqual(len(commands), 1, text)
        argv = shlex.split(commands[0])
        self.assertEqual(argv[:4], ["aws", "s3", "cp", "--recursive"])
        self.assertEqual(argv[4:], [self.local, UPLOAD + "/my-profile/iris-local/"])
        endpoint, access, secret = ferrytest.ensure_s3()
        env = dict(os.environ, AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret,
                   AWS_DEFAULT_REGION="us-east-1")
        subprocess.run(["/usr/bin/aws", "--endpoint-url", endpoint] + argv[1:] +
                       ["--only-show-errors"], check=True, env=env)
        # A cluster would reach its own MinIO; the fresh ferry up reaches the test server.
        text = text.replace(CLUSTER_S3, endpoint.split("://")[1])
        up = Up()
        try:
            # As the header says: the Profile first makes its namespace, then all applies.
            self.assertIn("kubectl wait --for=jsonpath='{.status.phase}'=Active "
                          "namespace/my-profile", text)
            first = up.kubectl("apply", "-f", "-", input=text, check=False)
            self.assertIn("profile.kubeflow.org/my-profile created", first.stdout)
            up.kubectl("wait", "--for=jsonpath={.metadata.name}=default-editor",
                       "serviceaccount/default-editor", "-n", NS, "--timeout=20s")
            r = up.kubectl("apply", "--dry-run=server", "--validate=strict", "-f", "-",
                           input=text)
            self.assertIn("server dry run", r.stdout)
            up.kubectl("apply", "-f", "-", input=text)
            for name in ("irish-s3", "iris-local"):
                up.kubectl("wait", "--for=condition=Ready", "inferenceservice/" + name, "-n", NS,
                           "--timeout=60s")
                host = "%s.%s.svc.cluster.local" % (name, NS)
                # A Profile namespace: the gateway wants a token of the namespace.
                token = up.kubectl("create", "token", "default-editor", "-n", NS).stdout.strip()
                resp = up.internal(host, "/v2/models/%s/infer" % name, json=SEED_REQUEST,
                                   headers={"Authorization": "Bearer " + token})
                self.assertEqual(resp.status_code, 200, resp.text)
                self.assertEqual(resp.json()["outputs"][0]["data"], [1, 1])
        finally:
            up.stop()
            shutil.rmtree(up.data_dir, ignore_errors=True)

    def test_nothing_to_do_without_ferry_up(self):
        p = export(["--data-dir", os.path.join(self.tmp, "nowhere")])
        self.assertEqual(p.returncode, 1)
        self.assertIn("start `ferry up`", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
