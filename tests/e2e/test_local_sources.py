"""Local model sources through `ferry up` and kubectl, each escape provoked for
real: a model directory with a symlink to the data directory's users file, a
link to `/`, file:// outside the allowed roots, `--allow-local-models /` next to
the data directory, pvc:// claims (default and mapped, and `..`), an MLflow
input example that climbs out of the model directory; and the data directory's
modes (0700/0600, loosened files tightened at restart with a log line).
Every refusal is checked to have written and read nothing outside."""
import json
import os
import shutil
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ferrytest  # noqa: E402
from ferrytest import SEED_REQUEST, Up  # noqa: E402

NS = "local"


def isvc(name, uri):
    return ("apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            "metadata:\n  name: %s\nspec:\n  predictor:\n    model:\n"
            "      modelFormat:\n        name: mlflow\n      protocolVersion: v2\n"
            "      storageUri: %s\n" % (name, uri))


def iris_copy(dest):
    shutil.copytree(os.path.join(ferrytest.mlflow_models(), "iris_tensor"), dest)
    return dest


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def snapshot(path):
    """Content and mtime (ns) of a file: proof it was neither written nor replaced."""
    with open(path, "rb") as f:
        return f.read(), os.stat(path).st_mtime_ns, os.stat(path).st_ino


class LocalSourcesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = tempfile.mkdtemp(prefix="ferry-up-")
        cls.root = tempfile.mkdtemp(prefix="local-models-")
        iris_copy(os.path.join(cls.root, "good"))
        # A link to the data directory's users file (the first probe's attack).
        leak = iris_copy(os.path.join(cls.root, "leak-users"))
        os.symlink(os.path.join(cls.data, "users"), os.path.join(leak, "users"))
        os.symlink("/", os.path.join(iris_copy(os.path.join(cls.root, "rootlink")), "rootlink"))
        # An MLflow input example that climbs from the revision directory
        # (DATA/models/NS/NAME/REV) to DATA/users.
        example = iris_copy(os.path.join(cls.root, "example-escape"))
        with open(os.path.join(example, "MLmodel")) as f:
            text = f.read()
        assert "artifact_path: input_example.json" in text
        with open(os.path.join(example, "MLmodel"), "w") as f:
            f.write(text.replace("artifact_path: input_example.json",
                                 "artifact_path: ../../../../users"))
        iris_copy(os.path.join(cls.data, "pvc", "claim", "iris"))
        cls.mapped = tempfile.mkdtemp(prefix="mapped-claim-")
        iris_copy(os.path.join(cls.mapped, "iris"))
        cls.up = Up(data_dir=cls.data, profile="none",
                    extra=["--allow-local-models", cls.root, "--pvc", "mapped=" + cls.mapped])
        cls.up.kubectl("create", "namespace", NS)
        cls.users = os.path.join(cls.data, "users")
        for _ in range(100):  # the dashboard writes users at start
            if os.path.exists(cls.users):
                break
            time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.up.stop()
        for d in (cls.data, cls.root, cls.mapped):
            shutil.rmtree(d, ignore_errors=True)

    # --- helpers

    def apply(self, name, uri, check=True):
        return self.up.kubectl("apply", "-n", NS, "-f", "-", input=isvc(name, uri), check=check)

    def ready(self, name):
        self.up.kubectl("wait", "--for=condition=Ready", "isvc/" + name, "-n", NS,
                        "--timeout=60s")

    def failure(self, name, timeout=30):
        """The InferenceService's lastFailureInfo once its load failed."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            obj = json.loads(self.up.kubectl("get", "isvc", name, "-n", NS, "-o", "json").stdout)
            info = obj.get("status", {}).get("modelStatus", {}).get("lastFailureInfo")
            if info:
                return info
            time.sleep(0.1)
        self.fail("%s never failed:\n%s" % (name, self.up.output()[-3000:]))

    def infer(self, name):
        host = "%s.%s.svc.cluster.local" % (name, NS)
        return self.up.internal(host, "/v2/models/%s/infer" % name, json=SEED_REQUEST)

    def assert_serves(self, name):
        r = self.infer(name)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertEqual(r.json()["outputs"][0]["data"], [1, 1])

    def written(self, name):
        """Every file Ferry wrote for InferenceService `name` (revisions)."""
        out = []
        for top, _, files in os.walk(os.path.join(self.data, "models", NS, name)):
            out += [os.path.join(top, f) for f in files]
        return out

    # --- file:// sources

    def test_file_inside_an_allowed_root_serves(self):
        self.apply("good", "file://" + os.path.join(self.root, "good"))
        self.ready("good")
        self.assert_serves("good")

    def test_symlink_to_the_data_directory_is_refused_and_nothing_is_written(self):
        before = snapshot(self.users)
        self.apply("leak", "file://" + os.path.join(self.root, "leak-users"))
        info = self.failure("leak")
        self.assertIn("symlink `users` -> `%s`" % self.users, info["message"])
        self.assertIn("leads outside it", info["message"])
        self.assertEqual(snapshot(self.users), before)
        self.assertEqual(self.written("leak"), [])

    def test_link_to_the_root_fails_only_that_model(self):
        self.apply("good2", "file://" + os.path.join(self.root, "good"))
        self.ready("good2")
        self.apply("rootlink", "file://" + os.path.join(self.root, "rootlink"))
        info = self.failure("rootlink")
        self.assertIn("symlink `rootlink` -> `/`", info["message"])
        for listed in ("proc", "etc/", "Too many levels"):  # nothing outside is listed
            self.assertNotIn(listed, info["message"])
        self.assertIsNone(self.up.proc.poll(), "ferry up died:\n" + self.up.output()[-3000:])
        self.assert_serves("good2")
        self.assertEqual(self.written("rootlink"), [])

    def test_outside_the_allowed_roots_is_refused_at_admission(self):
        r = self.apply("ssl", "file:///etc/ssl", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("spec.predictor.model.storageUri", r.stderr)
        self.assertIn("file:///etc/ssl", r.stderr)
        self.assertIn(self.root, r.stderr)
        self.assertIn("--allow-local-models DIR", r.stderr)
        got = self.up.kubectl("get", "isvc", "ssl", "-n", NS, check=False)
        self.assertIn("NotFound", got.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.data, "models", NS, "ssl")))
        for uri in ("file://" + self.users, "file://" + self.data, "/etc/ssl"):
            r = self.apply("probe", uri, check=False)
            self.assertNotEqual(r.returncode, 0, uri)
            self.assertIn("storageUri", r.stderr)

    # --- pvc://

    def test_pvc_claims_under_the_data_directory_and_mapped(self):
        self.apply("claim", "pvc://claim/iris")
        self.apply("mapped", "pvc://mapped/iris")
        self.ready("claim")
        self.ready("mapped")
        self.assert_serves("claim")
        self.assert_serves("mapped")
        r = self.apply("escape", "pvc://claim/../x", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("escapes its claim", r.stderr)
        r = self.apply("escape", "pvc://mapped/../../etc", check=False)
        self.assertIn("escapes its claim", r.stderr)

    # --- paths named by the model's metadata

    def test_input_example_outside_the_model_directory_is_refused(self):
        before = snapshot(self.users)
        self.apply("example", "file://" + os.path.join(self.root, "example-escape"))
        info = self.failure("example")
        self.assertIn('saved_input_example_info.artifact_path is "../../../../users"',
                      info["message"])
        self.assertEqual(snapshot(self.users), before)

    # --- the data directory's modes

    def test_data_directory_is_private(self):
        self.apply("modes", "file://" + os.path.join(self.root, "good"))
        self.ready("modes")
        self.assertEqual(mode(self.data), 0o700)
        claims = os.path.join(self.data, "pvc") + os.sep  # the operator's claim contents
        for top, dirs, files in os.walk(self.data):
            for p in [os.path.join(top, n) for n in dirs + files]:
                if p.startswith(claims) or os.path.islink(p):
                    continue
                self.assertEqual(mode(p) & 0o077, 0, p)
                if os.path.isdir(p):
                    self.assertEqual(mode(p), 0o700, p)
        for f in ("store.db", "store.db-wal", "store.db-shm", "users", "admin-token",
                  "serviceaccount.key", "kubeconfig", "ferry-up.log"):
            self.assertEqual(mode(os.path.join(self.data, f)), 0o600, f)


class DataDirectoryTest(unittest.TestCase):
    def test_allowing_root_still_refuses_the_data_directory(self):
        data = tempfile.mkdtemp(prefix="ferry-up-")
        root = tempfile.mkdtemp(prefix="local-models-")
        iris_copy(os.path.join(root, "good"))
        os.symlink(data, os.path.join(root, "alias"))
        up = Up(data_dir=data, profile="none", extra=["--allow-local-models", "/"])
        try:
            up.kubectl("create", "namespace", NS)
            users = os.path.join(data, "users")
            for uri in ("file://" + users, "file://" + data, "file://" + os.path.dirname(data),
                        "file:///", os.path.join(data, "store.db"),
                        "file://" + os.path.join(data, "pvc")):
                r = up.kubectl("apply", "-n", NS, "-f", "-", input=isvc("d", uri), check=False)
                self.assertNotEqual(r.returncode, 0, uri)
                self.assertIn("data directory", r.stderr, uri)
            # Through a symlink the admission cannot see; the fetch can.
            before = snapshot(users)
            up.kubectl("apply", "-n", NS, "-f", "-",
                       input=isvc("alias", "file://" + os.path.join(root, "alias")))
            deadline, info = time.time() + 30, None
            while info is None and time.time() < deadline:
                obj = json.loads(up.kubectl("get", "isvc", "alias", "-n", NS, "-o",
                                            "json").stdout)
                info = obj.get("status", {}).get("modelStatus", {}).get("lastFailureInfo")
                time.sleep(0.1)
            self.assertIsNotNone(info)
            self.assertIn("data directory", info["message"])
            self.assertEqual(snapshot(users), before)
            up.kubectl("apply", "-n", NS, "-f", "-",
                       input=isvc("good", "file://" + os.path.join(root, "good")))
            up.kubectl("wait", "--for=condition=Ready", "isvc/good", "-n", NS, "--timeout=60s")
        finally:
            up.stop()
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(root, ignore_errors=True)

    def test_loosened_files_are_tightened_at_restart(self):
        data = tempfile.mkdtemp(prefix="ferry-up-")
        os.chmod(data, 0o755)
        up = Up(data_dir=data, profile="none")
        try:
            self.assertIn("%s had mode 0755, now 0700" % data, up.output())
            up.stop()
            os.chmod(data, 0o755)
            os.chmod(os.path.join(data, "users"), 0o644)
            os.chmod(os.path.join(data, "store.db"), 0o664)
            os.chmod(os.path.join(data, "serving.key"), 0o640)
            seen = len(up.output())
            up.start()
            deadline = time.time() + 30
            while "export KUBECONFIG" not in up.output()[seen:] and time.time() < deadline:
                time.sleep(0.02)
            log = up.output()[seen:]
            self.assertIn("%s/users had mode 0644, now 0600" % data, log)
            self.assertIn("%s/serving.key had mode 0640, now 0600" % data, log)
            self.assertIn("%s/store.db had mode 0664, now 0600" % data, log)
            self.assertIn("%s had mode 0755, now 0700" % data, log)
            self.assertEqual(mode(data), 0o700)
            self.assertEqual(mode(os.path.join(data, "users")), 0o600)
            self.assertEqual(mode(os.path.join(data, "store.db")), 0o600)
            up.kubectl("create", "namespace", NS)  # a write: the WAL takes the db's mode
            self.assertEqual(mode(os.path.join(data, "store.db-wal")), 0o600)
        finally:
            up.stop()
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
