#!/usr/bin/python3
"""deploy/kserve/ against KServe's own artifacts (v0.13.0, v0.14.0, v0.15.0 in
tests/fixtures/kserve): every manifest and every kustomize rendering is
validated against the CRDs' schemas with unknown fields refused; Ferry's
runtimes go through KServe's admission check next to the stock runtimes (both
ways); runtime selection is computed for every (format, version, protocol) an
InferenceService can name; the containers KServe would build (runtime merged
with the InferenceService, storage initializer merged with the
ClusterStorageContainer) pass Knative's container rules and the "restricted"
Pod Security Standard. The rules themselves are in kserve_rules.py.

Run with /usr/bin/python3 (Debian's yaml, jsonschema; kubectl for kustomize).
"""
import copy
import itertools
import os
import shutil
import subprocess
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kserve_rules as kr  # noqa: E402

DEPLOY = os.path.join(kr.REPO, "deploy", "kserve")
SEED = os.path.join(kr.REPO, "tests", "e2e", "seed")
KSERVES = {v: kr.KServe(v) for v in kr.VERSIONS}
PROTOCOLS = (None, "v1", "v2", "grpc-v1", "grpc-v2")


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def kustomize(directory):
    p = subprocess.run(["kubectl", "kustomize", directory], capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError("kubectl kustomize %s: %s" % (directory, p.stderr))
    return [d for d in yaml.safe_load_all(p.stdout) if d]


def kustomizations():
    """Every directory under deploy/kserve with a kustomization.yaml, and the
    files its kustomization uses as patches or configurations."""
    dirs, aux = [], set()
    for root, _, files in os.walk(DEPLOY):
        if "kustomization.yaml" in files:
            dirs.append(root)
            with open(os.path.join(root, "kustomization.yaml")) as f:
                k = yaml.safe_load(f)
            for p in k.get("patches", []) + k.get("patchesStrategicMerge", []):
                aux.add(os.path.normpath(os.path.join(root, p["path"] if isinstance(p, dict)
                                                      else p)))
            for c in k.get("configurations", []):
                aux.add(os.path.normpath(os.path.join(root, c)))
    return sorted(dirs), aux


def rel(path):
    return os.path.relpath(path, kr.REPO)


def with_timestamp(objs, ts):
    out = copy.deepcopy(objs)
    for o in out:
        o["metadata"]["creationTimestamp"] = ts
    return out


def ferry_runtimes(rendering):
    return [d for d in rendering if d["kind"] in ("ClusterServingRuntime", "ServingRuntime")]


class Renderings:
    """kubectl kustomize of every kustomization, once."""
    cache = None

    @classmethod
    def get(cls):
        if cls.cache is None:
            if not shutil.which("kubectl"):
                raise unittest.SkipTest("kubectl not installed (needed for kustomize)")
            dirs, _ = kustomizations()
            cls.cache = {rel(d): kustomize(d) for d in dirs}
        return cls.cache


def model(fmt, version=None, protocol=None, runtime=None):
    m = {"modelFormat": {"name": fmt}, "storageUri": "s3://bucket/model"}
    if version is not None:
        m["modelFormat"]["version"] = version
    if protocol is not None:
        m["protocolVersion"] = protocol
    if runtime is not None:
        m["runtime"] = runtime
    return m


def select(model_spec, namespaced, cluster, minor):
    try:
        return kr.resolve_runtime(model_spec, namespaced, cluster, minor)[0]["metadata"]["name"]
    except kr.SelectionError:
        return None


def all_models(runtimes):
    """Every (format, version, protocol) an InferenceService can name that
    could matter: each format any runtime lists (and one none lists), each
    version listed for it plus none and one nobody lists, each protocol plus
    none."""
    versions = {}
    for rt in runtimes:
        for f in rt["spec"].get("supportedModelFormats") or []:
            versions.setdefault(f["name"], set()).add(f.get("version"))
    versions["no-such-format"] = set()
    for fmt in sorted(versions):
        for v in sorted(versions[fmt] - {None}) + [None, "99"]:
            for p in PROTOCOLS:
                yield model(fmt, v, p)


class SchemaTest(unittest.TestCase):
    """The API server's strict field validation, for every KServe version."""

    def test_every_manifest_and_rendering_is_accepted(self):
        _, aux = kustomizations()
        checked = 0
        for version, ks in KSERVES.items():
            validator = kr.SchemaValidator(ks)
            for where, docs in Renderings.get().items():
                for d in docs:
                    with self.subTest(version=version, kustomization=where,
                                      name=d["metadata"]["name"]):
                        self.assertEqual(validator.errors(d), [])
                        checked += 1
            for root, _, files in os.walk(DEPLOY):
                for name in files:
                    path = os.path.join(root, name)
                    if not name.endswith(".yaml") or name == "kustomization.yaml" or path in aux:
                        continue
                    for d in load_all(path):
                        with self.subTest(version=version, file=rel(path)):
                            self.assertEqual(validator.errors(d), [])
                            checked += 1
        self.assertGreater(checked, 30)

    def test_stock_runtimes_are_accepted(self):
        # The validator itself against KServe's own manifests.
        for version, ks in KSERVES.items():
            validator = kr.SchemaValidator(ks)
            for rt in ks.stock_runtimes:
                with self.subTest(version=version, runtime=rt["metadata"]["name"]):
                    self.assertEqual(validator.errors(rt), [])

    def test_unknown_fields_are_refused(self):
        csc = load_all(os.path.join(DEPLOY, "storage-initializer",
                                    "cluster-storage-container.yaml"))[0]
        csc["spec"]["workloadType"] = "initContainer"
        # The field the old manifest set: added to the CRD in 0.14.
        errs = kr.SchemaValidator(KSERVES["v0.13.0"]).errors(csc)
        self.assertTrue(any("workloadType" in e for e in errs), errs)
        self.assertEqual(kr.SchemaValidator(KSERVES["v0.14.0"]).errors(csc), [])
        rt = load_all(os.path.join(DEPLOY, "runtimes", "cluster-serving-runtime.yaml"))[0]
        rt["spec"]["containers"][0]["securityContext"]["runAsUsr"] = 1000
        rt["spec"]["supportedModelFormats"][0]["priority"] = "high"
        rt["metadata"]["uid"] = "1234"
        errs = kr.SchemaValidator(KSERVES["v0.15.0"]).errors(rt)
        self.assertTrue(any("runAsUsr" in e for e in errs), errs)
        self.assertTrue(any("'high' is not of type 'integer'" in e for e in errs), errs)
        self.assertTrue(any("metadata.uid" in e for e in errs), errs)

    def test_seed_objects_are_accepted(self):
        for version, ks in KSERVES.items():
            validator = kr.SchemaValidator(ks)
            for d in load_all(os.path.join(SEED, "is_mlflow.yaml")):
                self.assertEqual(validator.errors(d), [], version)


class AdmissionTest(unittest.TestCase):
    """KServe's ServingRuntime webhook with the stock runtimes installed."""

    def test_stock_runtimes_admit_each_other(self):
        for version, ks in KSERVES.items():
            for rt in ks.stock_runtimes:
                with self.subTest(version=version, runtime=rt["metadata"]["name"]):
                    self.assertIsNone(kr.admission_refusal(rt, ks.stock_runtimes))

    def test_ferry_cluster_runtimes_are_admitted_both_ways(self):
        for version, ks in KSERVES.items():
            for where, docs in Renderings.get().items():
                ours = [d for d in ferry_runtimes(docs) if d["kind"] == "ClusterServingRuntime"]
                if not ours:
                    continue
                installed = ks.stock_runtimes + ours
                for rt in ours:
                    with self.subTest(version=version, kustomization=where,
                                      runtime=rt["metadata"]["name"]):
                        self.assertIsNone(kr.admission_refusal(rt, installed))
                # A KServe upgrade re-applies the stock runtimes next to ours.
                for rt in ks.stock_runtimes:
                    with self.subTest(version=version, kustomization=where,
                                      stock=rt["metadata"]["name"]):
                        self.assertIsNone(kr.admission_refusal(rt, installed))

    def test_namespaced_runtimes_are_admitted(self):
        ours = Renderings.get()["deploy/kserve/namespaced"]
        self.assertEqual({d["kind"] for d in ours}, {"ServingRuntime"})
        for rt in ours:
            self.assertIsNone(kr.admission_refusal(rt, ours))

    def test_the_old_manifest_is_refused(self):
        # What deploy/kserve shipped before: sklearn "1" autoSelect priority 1
        # on v1/v2, the same as kserve-sklearnserver.
        old = load_all(os.path.join(DEPLOY, "runtimes", "cluster-serving-runtime.yaml"))[0]
        old["spec"]["protocolVersions"] = ["v1", "v2", "grpc-v2"]
        for f in old["spec"]["supportedModelFormats"]:
            f["autoSelect"] = True
            f["priority"] = 2 if f["name"] == "mlflow" else 1
        for version, ks in KSERVES.items():
            msg = kr.admission_refusal(old, ks.stock_runtimes)
            self.assertIsNotNone(msg, version)
            self.assertIn("same priority assigned for the model format", msg)
            self.assertRegex(msg, r"kserve-(sklearnserver|xgbserver) and ferry")
        mixed = copy.deepcopy(old)
        mixed["spec"]["supportedModelFormats"][1]["priority"] = 7
        self.assertIn("different priorities assigned for the model format mlflow",
                      kr.admission_refusal(mixed, KSERVES["v0.15.0"].stock_runtimes))
        disabled = copy.deepcopy(old)
        disabled["spec"]["disabled"] = True
        self.assertIsNone(kr.admission_refusal(disabled, KSERVES["v0.15.0"].stock_runtimes))


class SelectionTest(unittest.TestCase):
    """GetSupportingRuntimes for everything an InferenceService can name."""

    def cluster(self, ks, where):
        ours = [d for d in Renderings.get()[where] if d["kind"] == "ClusterServingRuntime"]
        # KServe's runtimes were installed first; Ferry's are newer.
        return (with_timestamp(ks.stock_runtimes, "2024-01-01T00:00:00Z"),
                with_timestamp(ours, "2024-06-01T00:00:00Z"))

    def test_installing_ferry_changes_no_selection(self):
        n = 0
        for version, ks in KSERVES.items():
            stock, ours = self.cluster(ks, "deploy/kserve")
            for m in all_models(stock + ours):
                with self.subTest(version=version, model=m):
                    self.assertEqual(select(m, [], stock + ours, ks.minor),
                                     select(m, [], stock, ks.minor))
                n += 1
            # The namespaced variant changes nothing either.
            namespaced = Renderings.get()["deploy/kserve/namespaced"]
            for m in all_models(stock + namespaced):
                self.assertEqual(select(m, namespaced, stock, ks.minor),
                                 select(m, [], stock, ks.minor), (version, m))
        self.assertGreater(n, 500)

    def test_auto_select_overlay_takes_exactly_ferrys_formats(self):
        for version, ks in KSERVES.items():
            stock, ours = self.cluster(ks, "deploy/kserve/overlays/auto-select")
            for m in all_models(stock + ours):
                fmt = m["modelFormat"]
                protocol = kr.model_protocol(m)
                ferry_formats = {(f["name"], f.get("version")) for rt in ours
                                 for f in rt["spec"]["supportedModelFormats"]}
                supported = (fmt["name"], fmt.get("version")) in ferry_formats or (
                    fmt.get("version") is None and fmt["name"] in {f for f, _ in ferry_formats})
                got = select(m, [], stock + ours, ks.minor)
                with self.subTest(version=version, model=m):
                    if supported and protocol in ("v1", "v2"):
                        self.assertEqual(got, "ferry")
                    elif supported and protocol == "grpc-v2":
                        self.assertEqual(got, "ferry-grpc")
                    else:
                        self.assertEqual(got, select(m, [], stock, ks.minor))

    def test_documented_table(self):
        # docs/kubernetes.md, "Which runtime serves which model".
        rows = [
            # format, version, protocol: (installed as shipped, with overlays/auto-select)
            (("mlflow", None, "v2"), ("kserve-mlserver", "ferry")),
            (("mlflow", None, None), (None, "ferry")),
            (("mlflow", "2", "v2"), ("kserve-mlserver", "ferry")),
            (("sklearn", None, None), ("kserve-sklearnserver", "ferry")),
            (("sklearn", None, "v2"), ("kserve-mlserver", "ferry")),
            (("xgboost", "1", "v1"), ("kserve-xgbserver", "ferry")),
            (("sklearn", None, "grpc-v2"), (None, "ferry-grpc")),
            (("lightgbm", None, "v2"), ("kserve-mlserver", "kserve-mlserver")),
            (("tensorflow", None, None), ("kserve-tensorflow-serving",
                                          "kserve-tensorflow-serving")),
        ]
        for version, ks in KSERVES.items():
            for (fmt, v, p), want in rows:
                for where, expected in zip(("deploy/kserve",
                                            "deploy/kserve/overlays/auto-select"), want):
                    stock, ours = self.cluster(ks, where)
                    if version == "v0.13.0" and (fmt, v) == ("mlflow", "2"):
                        expected = expected if expected == "ferry" else None  # no mlflow 2 in 0.13
                    self.assertEqual(select(model(fmt, v, p), [], stock + ours, ks.minor),
                                     expected, (version, where, fmt, v, p))

    def test_naming_the_runtime(self):
        for version, ks in KSERVES.items():
            stock, ours = self.cluster(ks, "deploy/kserve")
            everything = stock + ours
            for fmt in ("mlflow", "sklearn", "xgboost"):
                for p in (None, "v1", "v2"):
                    rt, proto = kr.resolve_runtime(model(fmt, None, p, "ferry"), [], everything)
                    self.assertEqual((rt["metadata"]["name"], proto), ("ferry", p or "v1"))
                rt, proto = kr.resolve_runtime(model(fmt, None, "grpc-v2", "ferry-grpc"), [],
                                               everything)
                self.assertEqual((rt["metadata"]["name"], proto), ("ferry-grpc", "grpc-v2"))
                rt, proto = kr.resolve_runtime(model(fmt, None, None, "ferry-grpc"), [],
                                               everything)
                self.assertEqual(proto, "grpc-v2")
            with self.assertRaisesRegex(kr.SelectionError, "protocol version"):
                kr.resolve_runtime(model("mlflow", None, "grpc-v2", "ferry"), [], everything)
            with self.assertRaisesRegex(kr.SelectionError, "framework/version"):
                kr.resolve_runtime(model("pytorch", None, "v2", "ferry"), [], everything)
            with self.assertRaisesRegex(kr.SelectionError, "framework/version"):
                kr.resolve_runtime(model("sklearn", "0", "v2", "ferry"), [], everything)
            # A namespace's ServingRuntime of the same name wins.
            namespaced = Renderings.get()["deploy/kserve/namespaced"]
            rt, _ = kr.resolve_runtime(model("mlflow", None, "v2", "ferry"), namespaced,
                                       everything)
            self.assertEqual(rt["kind"], "ServingRuntime")


def example_isvcs():
    out = []
    for name in sorted(os.listdir(DEPLOY)):
        if name.startswith("inferenceservice-"):
            for d in load_all(os.path.join(DEPLOY, name)):
                d["metadata"].setdefault("namespace", "my-profile")
                out.append(d)
    return out


class ContainerTest(unittest.TestCase):
    """The pod KServe builds: kserve-container and storage-initializer."""

    def runtimes(self):
        out = {}
        for where in ("deploy/kserve", "deploy/kserve/namespaced"):
            for rt in Renderings.get()[where]:
                out[(where, rt["metadata"]["name"])] = rt
        return out

    def test_runtime_containers_pass_knative_and_restricted(self):
        isvcs = {i["metadata"]["name"]: i for i in example_isvcs()}
        self.assertEqual(set(isvcs), {"irish-s3", "irish-s3-grpc"})
        for (where, name), rt in self.runtimes().items():
            isvc = isvcs["irish-s3-grpc" if name == "ferry-grpc" else "irish-s3"]
            c = kr.kserve_container(rt, isvc)
            with self.subTest(runtime=name, where=where):
                self.assertEqual(kr.knative_refusals(c), [])
                self.assertEqual(kr.restricted_refusals(c), [])
                self.assertNotIn("runAsUser", c["securityContext"])
                name_arg = "--model_name=" + isvc["metadata"]["name"]
                self.assertEqual(c["args"][:3], ["serve", name_arg, "--model_dir=/mnt/models"])
                port = kr.serving_port(c)
                self.assertEqual(port["name"], "h2c" if name == "ferry-grpc" else "http1")
                self.assertIn("--grpc_port=%d" % (8081 if name == "ferry-grpc" else 0), c["args"])
                self.assertIn("--http_port=8080", c["args"])
                # Probes go to the one serving port.
                probe = c["readinessProbe"]
                probe_port = (probe.get("httpGet") or probe.get("tcpSocket"))["port"]
                self.assertEqual(probe_port, port["containerPort"])
                if "livenessProbe" in c:
                    self.assertEqual(c["livenessProbe"]["httpGet"]["port"], port["containerPort"])

    def test_isvc_fields_merge_over_the_runtime(self):
        rt = self.runtimes()[("deploy/kserve", "ferry")]
        isvc = copy.deepcopy([i for i in example_isvcs() if i["metadata"]["name"] == "irish-s3"][0])
        m = isvc["spec"]["predictor"]["model"]
        m["args"] = ["--max_batch_size=32"]
        m["env"] = [{"name": "S3_MAX_FILE_CONCURRENCY", "value": "8"}]
        m["resources"] = {"limits": {"cpu": "4"}}
        c = kr.kserve_container(rt, isvc)
        self.assertEqual(c["args"][-1], "--max_batch_size=32")
        self.assertEqual(c["args"][0], "serve")
        self.assertEqual(c["resources"]["limits"], {"cpu": "4", "memory": "2Gi"})
        self.assertEqual(c["env"], m["env"])
        self.assertEqual(c["name"], "kserve-container")
        self.assertEqual(c["image"], rt["spec"]["containers"][0]["image"])

    def test_second_port_is_refused_by_knative(self):
        # The old docs' gRPC recipe: an h2c port added on top of the REST runtime.
        rt = self.runtimes()[("deploy/kserve", "ferry")]
        isvc = copy.deepcopy([i for i in example_isvcs() if i["metadata"]["name"] == "irish-s3"][0])
        isvc["spec"]["predictor"]["model"]["ports"] = [{"name": "h2c", "containerPort": 8081}]
        errs = kr.knative_refusals(kr.kserve_container(rt, isvc))
        self.assertTrue(any("more than one container port" in e for e in errs), errs)
        bad = {"ports": [{"name": "grpc", "containerPort": 9090}]}
        self.assertEqual(len(kr.knative_refusals(bad)), 2)

    def test_old_security_context_is_refused_by_restricted(self):
        old = {"securityContext": {"runAsNonRoot": True, "runAsUser": 1000,
                                   "allowPrivilegeEscalation": False,
                                   "capabilities": {"drop": ["ALL"]}}}
        self.assertEqual(kr.restricted_refusals(old),
                         ["seccompProfile.type is None, not RuntimeDefault or Localhost"])

    def test_storage_initializer_container(self):
        csc = Renderings.get()["deploy/kserve/storage-initializer"][0]
        isvc = [i for i in example_isvcs() if i["metadata"]["name"] == "irish-s3"][0]
        uri = isvc["spec"]["predictor"]["model"]["storageUri"]
        for version, ks in KSERVES.items():
            user = kr.kserve_container(self.runtimes()[("deploy/kserve", "ferry")], isvc)
            self.assertEqual(kr.storage_container_for(uri, [csc]), [csc])
            init = kr.storage_initializer_container(ks, uri, user, csc)
            with self.subTest(version=version):
                self.assertEqual(init["name"], "storage-initializer")
                self.assertEqual(init["command"] + init["args"],
                                 ["ferry", "storage-initializer", uri, "/mnt/models"])
                self.assertEqual(init["image"], csc["spec"]["container"]["image"])
                self.assertEqual(kr.restricted_refusals(init), [])
                self.assertEqual(init["volumeMounts"][0]["mountPath"], "/mnt/models")
        # With args set, KServe's [SRC, DEST] would be replaced: refuse that.
        bad = copy.deepcopy(csc)
        bad["spec"]["container"]["args"] = ["storage-initializer"]
        init = kr.storage_initializer_container(KSERVES["v0.15.0"], uri, {}, bad)
        self.assertEqual(init["args"], ["storage-initializer"])
        self.assertEqual(kr.storage_container_for("gs://b/m", [csc]), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
